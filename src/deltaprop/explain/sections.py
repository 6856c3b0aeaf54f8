"""The story of one pass: the blocks of an explanation, section by section, built from its numbers.

:func:`document` turns a :class:`~deltaprop.explain.numbers.Numbers` into the blocks of
:mod:`deltaprop.explain.blocks`, in order: the title and introduction, the computation graph,
then 1. the network, 2. the forward pass, 3. the cost, 4. BP1, 5. BP2, 6. BP3 and BP4 with
their numerical checks, and, when a learning rate was given, 7. one step of gradient descent.
What of a large network is shown follows :mod:`deltaprop.explain.selection`. Nothing here
computes a z, a, δ or gradient: the products written out are the terms of the sums shown.

Symbols → names, numbered as in Nielsen's book (layer 1 is the input, layer L the output; list
index i is weight layer l = i + 2): the worked neuron j of layer l → ``e.path[l − 1]``;
w^l_jk, a^l_j, δ^l_j → ``indexed("w", l, j, k)`` … (:mod:`deltaprop.explain.formula`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .blocks import Equation, Graph, GraphColumn, Heading, Label, Para, Table, Words
from .formula import SIGMA, SIGMA_PRIME, Call, Frac, Math, Num, Paren, Sym, d_cost, indexed, row, subscript, sum_of, vector
from .numbers import Numbers
from .selection import FULL, TOP, graph_rows, shown_indices, shown_weights, terms

__all__ = ["document", "computation_graph"]


def document(e: Numbers) -> list:
    """The blocks that explain ``e``, in reading order; language-neutral (the prose is :class:`Words`)."""
    net = e.network
    L = len(net.sizes)
    hidden = ", ".join(dict.fromkeys(a.name for a in net.activations[:-1])) or Words("no_hidden")
    intro = {
        "sizes": "-".join(map(str, net.sizes)), "hidden": hidden, "output": net.activations[-1].name,
        "cost": net.cost_function.name, "L": L, "W": Sym("W", sup="l"), "w": Sym("w", "jk", "l"), "theta": Sym("Θ", sup="(l−1)"),
    }
    blocks: list = [Heading(Words("title"), 1), Para(Words("intro", intro)), computation_graph(e)]
    blocks += _network_section(e)
    blocks += _forward_section(e)
    blocks += _cost_section(e)
    blocks += _bp1_section(e)
    blocks += _bp2_section(e)
    blocks += _gradient_section(e)
    if e.lr is not None:
        blocks += _update_section(e)
    return blocks


def computation_graph(e: Numbers, paths: Sequence[Sequence[tuple[int, int]]] = ()) -> Graph:
    """The computation graph as seed 002's figure 3.2: x → z → a → … → C, each node with its values.

    ``paths`` are drawn over it: each a sequence of nodes (column, neuron), the neuron 0-based
    (0 for C); a path through a neuron that is not drawn is left out.
    """
    rows = graph_rows(e.x, e.path[0])
    drawn = [rows]
    columns = [GraphColumn("x", None, tuple((Label(indexed("x", None, j), float(e.x[j])), None) for j in rows), rows.index(e.path[0]), e.x.size)]
    for i in range(len(e.network.weights)):
        l, keep = i + 2, e.path[i + 1]
        z, a, delta, grad = e.weighted_inputs[i], e.activations[i + 1], e.deltas[i], e.grad_activations[i]
        rows = graph_rows(delta, keep)
        drawn += [rows, rows]
        z_nodes = tuple((Label(indexed("z", l, j), float(z[j])), Label(indexed("δ", l, j), float(delta[j]))) for j in rows)
        a_nodes = tuple((Label(indexed("a", l, j), float(a[j])), Label(d_cost(indexed("a", l, j)), float(grad[j]))) for j in rows)
        columns.append(GraphColumn("z", l, z_nodes, rows.index(keep), delta.size, float(np.linalg.norm(e.dW[i]))))
        columns.append(GraphColumn("a", l, a_nodes, rows.index(keep), delta.size))
    columns.append(GraphColumn("C", None, ((Label(Sym("C"), e.cost), None),), 0, 1))
    drawn.append([0])
    shown = tuple(tuple((c, drawn[c].index(n)) for c, n in path) for path in paths if all(n in drawn[c] for c, n in path))
    return Graph(tuple(columns), shown)

def _cut_note(products: np.ndarray, kept: list[int]) -> list:
    """The note under a cut sum: how many terms, and what the ones left out add up to."""
    rest = np.delete(products, kept)
    return [Para(Words("terms", {"n": products.size, "shown": len(kept), "rest_n": rest.size, "rest": Num(float(rest.sum()), bare=True)}))]


def _matrix(name: Sym, element: str, W: np.ndarray, b: np.ndarray, layer: int) -> list:
    """W^l beside b^l as one table (rows j), or a summary of each when large."""
    if max(W.shape) <= FULL:
        header = [Sym("j")] + [Sym(element, f"j{k + 1}" if k < 9 else f"j,{k + 1}", str(layer)) for k in range(W.shape[1])] + [Sym("b", "j", str(layer))]
        return [Table(header, [[j + 1, *map(float, W[j]), float(b[j])] for j in range(W.shape[0])])]
    return _summary(name, W, lambda j, k: indexed(element, layer, j, k)) + _summary(Sym("b", sup=str(layer)), b, lambda j: indexed("b", layer, j))


def _summary(name: Sym, array: np.ndarray, entry) -> list:
    """Shape, norm and the TOP largest entries of a large array (a short vector in full)."""
    if array.ndim == 1 and array.size <= FULL:
        return [Equation(row(name, "=", vector(array)))]
    shape = " × ".join(map(str, array.shape)) if array.ndim > 1 else f"{array.size}"
    largest = np.argsort(-np.abs(array), axis=None, kind="stable")[:TOP]
    rows = [[entry(*np.unravel_index(int(f), array.shape)), float(array.flat[f])] for f in largest]
    words = Words("summary", {"name": name, "shape": shape, "norm": Num(float(np.linalg.norm(array)), bare=True)})
    return [Para(words), Table([Words("entry"), Words("value")], rows)]


def _network_section(e: Numbers) -> list:
    net = e.network
    blocks: list = [Heading(Words("sec_network"))]
    for i, (W, b) in enumerate(zip(net.weights, net.biases)):
        l = i + 2
        args = {"l": l, "act": net.activations[i].name, "W": Sym("W", sup=str(l)), "shape": f"{W.shape[0]} × {W.shape[1]}", "b": Sym("b", sup=str(l))}
        blocks += [Para(Words("params", args))] + _matrix(Sym("W", sup=str(l)), "w", W, b, l)
    blocks.append(Para(Words("example", {"x": row(Sym("x"), "=", Sym("a", sup="1")), "y": Sym("y")})))
    if e.x.size <= FULL:
        blocks.append(Equation(row(Sym("x"), "=", vector(e.x))))
    else:
        shown = shown_indices(e.x, e.path[0])
        blocks += [Para(Words("shown", {"shown": len(shown), "n": e.x.size, "what": "|x|"})),
                   Table([Sym("k"), Sym("x", "k")], [[k + 1, float(e.x[k])] for k in shown])]
    blocks += _summary(Sym("y"), e.y, lambda j: indexed("y", None, j))
    return blocks


def _layer_rows(e: Numbers, i: int) -> tuple[list[int], list]:
    """The neurons of layer i + 2 shown in tables, and the note saying so when some are left out."""
    shown = shown_indices(e.deltas[i], e.path[i + 1])
    n = e.deltas[i].size
    return shown, ([Para(Words("shown", {"shown": len(shown), "n": n, "what": "|δ|"}))] if len(shown) < n else [])


def _forward_section(e: Numbers) -> list:
    net = e.network
    blocks: list = [
        Heading(Words("sec_forward")), Para(Words("forward")),
        Equation(row(Sym("z", sup="l"), "=", Sym("W", sup="l"), Sym("a", sup="l−1"), "+", Sym("b", sup="l"), ",",
                     Sym("a", sup="l"), "=", Call(SIGMA, Sym("z", sup="l")))),
    ]
    for i, (W, b, act) in enumerate(zip(net.weights, net.biases, net.activations)):
        l, j = i + 2, e.path[i + 1]
        z, a, a_in = e.weighted_inputs[i], e.activations[i + 1], e.activations[i]
        shown, note = _layer_rows(e, i)
        blocks += [Para(Words("layer", {"l": l, "act": act.name})), *note,
                   Table([Sym("j"), Sym("z", "j", str(l)), Sym("a", "j", str(l))], [[r + 1, float(z[r]), float(a[r])] for r in shown])]
        products = W[j] * a_in
        ks, cut = terms(products)
        symbolic = sum_of([row(indexed("w", l, j, k), indexed("a", l - 1, k)) for k in ks]) + (["+", "…"] if cut else [])
        numeric = sum_of([row(Num(float(W[j, k])), "×", Num(float(a_in[k]))) for k in ks]) + (["+", "…"] if cut else [])
        blocks.append(Equation(row(indexed("z", l, j), "=", *symbolic, "+", indexed("b", l, j))))
        blocks.append(Equation(row("=", *numeric, "+", Num(float(b[j])), "=", Num(float(z[j]), bare=True))))
        if cut:
            blocks += _cut_note(products, ks)
        if act.elementwise:
            blocks.append(Equation(row(indexed("a", l, j), "=", Call(SIGMA, indexed("z", l, j)), "=", Call(SIGMA, Num(float(z[j]), bare=True)), "=", Num(float(a[j]), bare=True))))
        else:
            blocks.append(Equation(row(indexed("a", l, j), "=", Sym(Call(SIGMA, Sym("z", sup=str(l))), subscript(j)), "=", Num(float(a[j]), bare=True))))
    return blocks


def _cost_formula(name: str, a, y) -> Math | None:
    """The per-output term of the cost: a and y are symbols or numbers."""
    if name == "cross_entropy":
        return Paren(row(y, Call(Sym("ln"), a), "+", Paren(row(1.0, "−", y)), Call(Sym("ln"), row(1.0, "−", a))), "[", "]")
    if name == "log_likelihood":
        return row(y, Call(Sym("ln"), a))
    if name == "quadratic":
        return Sym(Paren(row(a, "−", y)), sup="2")
    return None


def _cost_section(e: Numbers) -> list:
    net = e.network
    L, name = len(net.sizes), net.cost_function.name
    blocks: list = [Heading(Words("sec_cost")), Para(Words("cost", {"cost": name}))]
    general = _cost_formula(name, Sym("a", "j", str(L)), Sym("y", "j"))
    if general is None:  # a cost of the user's own: its value only
        return blocks + [Equation(row(Sym("C"), "=", Num(e.cost, bare=True)))]
    prefix = ["½"] if name == "quadratic" else ["−"]
    blocks.append(Equation(row(Sym("C"), "=", *prefix, Sym("∑", "j"), general)))
    aL = e.activations[-1]
    numeric: list = []
    if aL.size <= FULL:
        terms = [_cost_formula(name, Num(float(aL[j])), Num(float(e.y[j]))) for j in range(aL.size)]
        numeric = ["=", *prefix, Paren(row(*sum_of(terms))) if len(terms) > 1 else terms[0]]
    return blocks + [Equation(row(*numeric, "=", Num(e.cost, bare=True)))]


def _bp1_section(e: Numbers) -> list:
    net = e.network
    L, depth = len(net.sizes), len(net.weights)
    output, cost = net.activations[-1], net.cost_function
    aL, grad, general = e.activations[-1], e.grad_activations[-1], e.general_output_delta
    j = e.path[-1]
    grad_sym = row(Sym("∇", "a"), Sym("C"))
    shown, note = _layer_rows(e, depth - 1)
    blocks: list = [Heading(Words("sec_bp1"))]
    if output.elementwise:
        sp = e.derivatives[-1]
        blocks += [
            Para(Words("bp1", {"delta": Sym("δ", "j", "l"), "grad": grad_sym, "sp": Call(SIGMA_PRIME, Sym("z", sup="L"))})),
            Equation(row(Sym("δ", sup="L"), "=", grad_sym, "⊙", Call(SIGMA_PRIME, Sym("z", sup="L")))), *note,
            Table([Sym("j"), d_cost(Sym("a", "j", str(L))), Call(SIGMA_PRIME, Sym("z", "j", str(L))), Sym("δ", "j", str(L))],
                  [[r + 1, float(grad[r]), float(sp[r]), float(general[r])] for r in shown]),
            Equation(row(indexed("δ", L, j), "=", d_cost(indexed("a", L, j)), Call(SIGMA_PRIME, indexed("z", L, j)), "=",
                         Num(float(grad[j])), "×", Num(float(sp[j])), "=", Num(float(general[j]), bare=True))),
        ]
    else:
        inner = float(grad @ aL)  # ⟨∇_a C, a^L⟩
        blocks += [
            Para(Words("bp1_softmax", {"a": Sym("a", "k", "L"), "sp": Call(SIGMA_PRIME, Sym("z", sup="L"))})),
            Equation(row(Sym("δ", sup="L"), "=", Sym("a", sup="L"), "⊙", Paren(row(grad_sym, "−", Paren(row(grad_sym, ",", Sym("a", sup="L")), "⟨", "⟩"))))),
            Equation(row(Paren(row(grad_sym, ",", Sym("a", sup="L")), "⟨", "⟩"), "=", Sym("∑", "k"), d_cost(Sym("a", "k", "L")), Sym("a", "k", "L"), "=", Num(inner, bare=True))), *note,
            Table([Sym("j"), d_cost(Sym("a", "j", str(L))), Sym("a", "j", str(L)), Sym("δ", "j", str(L))],
                  [[r + 1, float(grad[r]), float(aL[r]), float(general[r])] for r in shown]),
            Equation(row(indexed("δ", L, j), "=", indexed("a", L, j), Paren(row(d_cost(indexed("a", L, j)), "−", Paren(row(grad_sym, ",", Sym("a", sup="L")), "⟨", "⟩"))), "=",
                         Num(float(aL[j])), "×", Paren(row(Num(float(grad[j])), "−", Num(inner))), "=", Num(float(general[j]), bare=True))),
        ]
    shortcut = row(Sym("δ", sup="L"), "=", Sym("a", sup="L"), "−", Sym("y"))
    args = {"cost": cost.name, "act": output.name, "eq": shortcut}
    if cost.matched != output.name:
        return blocks + [Para(Words("no_shortcut", args))]
    delta = e.deltas[-1]
    rows = [[r + 1, float(aL[r]), float(e.y[r]), float(delta[r]), float(general[r]), _agree_exact(delta[r], general[r])] for r in shown]
    header = [Sym("j"), Sym("a", "j", str(L)), Sym("y", "j"), row(Sym("a", "j", str(L)), "−", Sym("y", "j")), Words("general_bp1"), Words("agree")]
    return blocks + [Para(Words("shortcut", args)), Equation(shortcut), Table(header, rows)]


def _agree_exact(a: float, b: float) -> bool:
    """Two forms of the same quantity agree to float64 round-off."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _bp2_section(e: Numbers) -> list:
    net = e.network
    depth = len(net.weights)
    blocks: list = [Heading(Words("sec_bp2"))]
    if depth == 1:
        return blocks + [Para(Words("bp2_none"))]

    def back(after: str) -> Paren:
        """((W^{l+1})ᵀ δ^{l+1}) with l + 1 written ``after``: the error carried back to layer l."""
        return Paren(row(Sym(Paren(Sym("W", sup=after)), sup="T"), Sym("δ", sup=after)))

    blocks += [
        Para(Words("bp2", {"delta": Sym("δ", sup="l+1"), "sp": Call(SIGMA_PRIME, Sym("z", sup="l"))})),
        Equation(row(Sym("δ", sup="l"), "=", back("l+1"), "⊙", Call(SIGMA_PRIME, Sym("z", sup="l")))),
    ]
    for i in reversed(range(depth - 1)):
        l, j = i + 2, e.path[i + 1]
        sp, back_values, delta, delta_next = e.derivatives[i], e.grad_activations[i], e.deltas[i], e.deltas[i + 1]
        shown, note = _layer_rows(e, i)
        blocks += [
            Para(Words("layer", {"l": l, "act": net.activations[i].name})), *note,
            Table([Sym("j"), Sym(back(str(l + 1)), "j"), Call(SIGMA_PRIME, Sym("z", "j", str(l))), Sym("δ", "j", str(l))],
                  [[r + 1, float(back_values[r]), float(sp[r]), float(delta[r])] for r in shown]),
            Para(Words("bp2_worked", {"j": j + 1, "l": l, "sp": Call(SIGMA_PRIME, indexed("z", l, j))})),
        ]
        W_next = net.weights[i + 1]
        products = W_next[:, j] * delta_next
        ks, cut = terms(products)
        tail = ["+", "…"] if cut else []
        symbolic = Paren(row(*sum_of([row(indexed("w", l + 1, k, j), indexed("δ", l + 1, k)) for k in ks]), *tail))
        numeric = Paren(row(*sum_of([row(Num(float(W_next[k, j])), "×", Num(float(delta_next[k]))) for k in ks]), *tail))
        blocks.append(Equation(row(indexed("δ", l, j), "=", symbolic, Call(SIGMA_PRIME, indexed("z", l, j)))))
        blocks.append(Equation(row("=", numeric, "×", Num(float(sp[j])), "=", Num(float(delta[j]), bare=True))))
        if cut:
            blocks += _cut_note(products, ks)
    return blocks


def _gradient_section(e: Numbers) -> list:
    net = e.network
    rule = row(Frac(Sym("∂C"), Sym("∂w")), "=", Sym("a", "in"), Sym("δ", "out"))
    a_prev_T = Sym(Paren(Sym("a", sup="l−1")), sup="T")
    blocks: list = [
        Heading(Words("sec_grad")), Para(Words("bp34", {"rule": rule})),
        Equation(row(d_cost(Sym("b", "j", "l")), "=", Sym("δ", "j", "l"), ",", d_cost(Sym("w", "jk", "l")), "=", Sym("a", "k", "l−1"), Sym("δ", "j", "l"))),
        Equation(row(d_cost(Sym("b", sup="l")), "=", Sym("δ", sup="l"), ",", d_cost(Sym("W", sup="l")), "=", Sym("δ", sup="l"), a_prev_T)),
        Para(Words("numerical", {"eps": Num(e.check.eps, bare=True)})),
    ]
    ok, numeric = Words("agree"), Words("numeric")
    for i in range(len(net.weights)):
        l, j, k = i + 2, e.path[i + 1], e.path[i]
        a_in, delta, dW, num_dW = e.activations[i], e.deltas[i], e.dW[i], e.numerical_dW[i]
        entries = shown_weights(dW, a_in, j, k)
        blocks += [
            Para(Words("layer", {"l": l, "act": net.activations[i].name})),
            Equation(row(d_cost(indexed("w", l, j, k)), "=", indexed("a", l - 1, k), indexed("δ", l, j), "=", Num(float(a_in[k])), "×", Num(float(delta[j])),
                         "=", Num(float(dW[j, k]), bare=True), "≈", Num(float(num_dW[j, k]), bare=True))),
        ]
        if len(entries) < dW.size:
            words = {"shown": len(entries), "n": dW.size, "j": j + 1, "name": d_cost(Sym("W", sup=str(l))), "norm": Num(float(np.linalg.norm(dW)), bare=True)}
            blocks.append(Para(Words("shown_weights", words)))
        blocks.append(Table(
            [Sym("j"), Sym("k"), Sym("a", "k", str(l - 1)), Sym("δ", "j", str(l)), d_cost(Sym("w", "jk", str(l))), numeric, ok],
            [[r + 1, c + 1, float(a_in[c]), float(delta[r]), float(dW[r, c]), float(num_dW[r, c]), _agree(dW[r, c], num_dW[r, c])] for r, c in entries],
        ))
        db, num_db = e.db[i], e.numerical_db[i]
        rows_b = shown_indices(delta, j)
        blocks.append(Table(
            [Sym("j"), row(d_cost(Sym("b", "j", str(l))), "=", Sym("δ", "j", str(l))), numeric, ok],
            [[r + 1, float(db[r]), float(num_db[r]), _agree(db[r], num_db[r])] for r in rows_b],
        ))
    every = all(p.checked == math.prod(p.shape) for p in e.check.parameters)
    mode = Words("mode_every") if every else Words("mode_directions", {"k": e.check.parameters[0].checked})
    rows = []
    for p, (name, l) in zip(e.check.parameters, [(n, i + 2) for i in range(len(net.weights)) for n in ("W", "b")]):
        rows.append([d_cost(Sym(name, sup=str(l))), " × ".join(map(str, p.shape)), _bound(p.rel_error), p.rel_error < 1e-7])
    return blocks + [Para(Words("check", {"mode": mode})), Table([Words("array"), Words("shape"), Words("max_rel_error"), ok], rows)]


def _update_section(e: Numbers) -> list:
    net = e.network
    blocks: list = [
        Heading(Words("sec_update")), Para(Words("update", {"eta": Sym("η"), "lr": Num(e.lr, bare=True)})),
        Equation(row(Sym("W", sup="l"), "←", Sym("W", sup="l"), "−", Sym("η"), d_cost(Sym("W", sup="l")), ",",
                     Sym("b", sup="l"), "←", Sym("b", sup="l"), "−", Sym("η"), d_cost(Sym("b", sup="l")))),
    ]
    for i, (W, W_new, b_new) in enumerate(zip(net.weights, e.updated_weights, e.updated_biases)):
        l, j, k = i + 2, e.path[i + 1], e.path[i]
        blocks += [
            Para(Words("layer", {"l": l, "act": net.activations[i].name})),
            Equation(row(indexed("w", l, j, k), "←", Num(float(W[j, k]), bare=True), "−", Num(e.lr), "×", Num(float(e.dW[i][j, k])), "=", Num(float(W_new[j, k]), bare=True))),
            *_matrix(Sym("W", sup=str(l)), "w", W_new, b_new, l),
        ]
    return blocks + [Para(Words("cost_after", {"before": Num(e.cost, bare=True), "after": Num(e.cost_after, bare=True)}))]


def _agree(analytic: float, numerical: float) -> bool:
    """Backprop and the central difference agree to one part in a million."""
    return math.isclose(analytic, numerical, rel_tol=1e-6, abs_tol=1e-9)


def _bound(error: float) -> str:
    """A relative error as the next power of ten above it, so it reads the same on every machine."""
    if not math.isfinite(error):
        return str(error)
    return "0" if error == 0 else f"< 1e{math.floor(math.log10(error)) + 1}"
