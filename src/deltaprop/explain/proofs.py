"""The derivation view: the blocks that show why BP1–BP4 hold and what caching δ saves, with the numbers.

:func:`derivation_blocks` turns a :class:`~deltaprop.explain.derivation.Derivation` (and the
pass it derives) into blocks, in three sections that follow the explanation's own: the proofs
(Nielsen's chain rule for BP1 and BP2 term by term, BP3 and BP4 in one line each, Ng's chain
for the weight factor by factor), the path sum (every path from the weight to the cost, drawn
on the graph, adding up to backprop's value), and the multiplications of per-entry path sums
against backprop, for this network and over depth and width. Nothing here computes: the
numbers are the derivation's and the pass's.

Symbols → names, numbered as in the book (layer 1 is the input): the weight w^l_jk → ``d.weight``
(j, k from 1); ∂u/∂v → ``partial(u, v)``; the sections' numbers → ``first`` (the first one's).
"""

from __future__ import annotations

import numpy as np

from .blocks import Equation, Heading, Para, Table, Words
from .derivation import Derivation, Path, multiplications
from .formula import SIGMA_PRIME, Call, Frac, Math, Num, Paren, Sym, d_cost, indexed, partial, row, sum_of
from .numbers import Numbers
from .sections import computation_graph
from .selection import shown_indices, terms

__all__ = ["derivation_blocks", "WHOLE", "DEPTHS", "WIDTHS"]

#: Up to this many outputs, a coupled output's Jacobian-vector product is shown term by term; beyond, row by row.
WHOLE = 5
#: The depths (layers with weights) and widths of the table of multiplication counts.
DEPTHS = (2, 3, 4, 6, 8)
WIDTHS = (10, 100)


def derivation_blocks(e: Numbers, d: Derivation, first: int) -> list:
    """The derivation's blocks, its sections numbered from ``first``; language-neutral."""
    return _proofs_section(e, d, first) + _paths_section(e, d, first + 1) + _count_section(e, d, first + 2)


def _weight_symbols(d: Derivation) -> tuple[Sym, Sym]:
    """w^l_jk in the book's notation and Θ^(l−1)_jk in Ng's."""
    l, j, k = d.weight
    return indexed("w", l, j - 1, k - 1), indexed("Θ", f"({l - 1})", j - 1, k - 1)


def _checked(value: float, numerical: float) -> list:
    """``= value ≈ numerical``: a result, then the central difference of the cost."""
    return ["=", Num(value, bare=True), "≈", Num(numerical, bare=True)]


def _sum_equation(lhs: Math, factors: list[tuple[float, float]], total: float) -> list:
    """``lhs = (f × g) + (f × g) + … = total``, the terms cut as :func:`~deltaprop.explain.selection.terms` says."""
    products = np.array([f * g for f, g in factors])
    ks, cut = terms(products)
    numeric = sum_of([row(Num(factors[k][0]), "×", Num(factors[k][1])) for k in ks]) + (["+", "…"] if cut else [])
    blocks = [Equation(row(lhs, "=", *numeric, "=", Num(total, bare=True)))]
    if cut:
        rest = np.delete(products, ks)
        blocks.append(Para(Words("terms", {"n": products.size, "shown": len(ks), "rest_n": rest.size, "rest": Num(float(rest.sum()), bare=True)})))
    return blocks


def _proofs_section(e: Numbers, d: Derivation, n: int) -> list:
    w, theta = _weight_symbols(d)
    blocks: list = [Heading(Words("sec_proofs", {"n": n})), Para(Words("proofs_intro", {"w": w, "theta": theta}))]
    return blocks + _bp1_proof(e, d) + _bp2_proof(e, d) + _bp34_proof(e, d) + _chain(e, d)


def _bp1_proof(e: Numbers, d: Derivation) -> list:
    """BP1 by the chain rule over the output activations: δ^L_j = Σ_k ∂C/∂a^L_k ∂a^L_k/∂z^L_j, term by term."""
    net = e.network
    L = len(net.sizes)
    j, output = d.bp1_neuron, net.activations[-1]
    grad, jacobian = e.grad_activations[-1], d.jacobians[-1]
    a_k, z_j = indexed("a", L, j), indexed("z", L, j)
    general = row(indexed("δ", L, j), "=", d_cost(z_j), "=", Sym("∑", "k"), d_cost(Sym("a", "k", str(L))), partial(Sym("a", "k", str(L)), z_j))
    key = "proof_bp1" if output.elementwise else "proof_bp1_softmax"
    blocks = [Para(Words(key, {"eq": general, "act": output.name, "j": j + 1})), Equation(general)]
    ks = shown_indices(grad, j)
    blocks.append(Table([Sym("k"), d_cost(Sym("a", "k", str(L))), partial(Sym("a", "k", str(L)), z_j), Words("term")],
                        [[k + 1, float(grad[k]), float(jacobian[k, j]), float(grad[k] * jacobian[k, j])] for k in ks]))
    blocks += _sum_equation(indexed("δ", L, j), [(float(grad[k]), float(jacobian[k, j])) for k in range(grad.size)], float(np.sum(d.bp1_terms)))
    if output.elementwise:
        blocks.append(Equation(row(indexed("δ", L, j), "=", d_cost(a_k), Call(SIGMA_PRIME, z_j), *_checked(float(e.deltas[-1][j]), float(e.numerical_db[-1][j])))))
    else:
        blocks.append(Equation(row(indexed("δ", L, j), *_checked(float(e.deltas[-1][j]), float(e.numerical_db[-1][j])))))
        all_terms = grad[None, :] * jacobian.T  # row j, column k: ∂C/∂a^L_k ∂a^L_k/∂z^L_j
        if grad.size <= WHOLE:
            header = [Sym("j")] + [row(Sym("k"), "=", Num(float(k + 1), bare=True)) for k in range(grad.size)] + [Sym("∑", "k"), Sym("δ", "j", str(L))]
            rows = [[r + 1, *map(float, all_terms[r]), float(np.sum(all_terms[r])), float(e.deltas[-1][r])] for r in range(grad.size)]
            blocks += [Para(Words("proof_bp1_all", {"L": L})), Table(header, rows)]
        else:
            shown, note = shown_indices(e.deltas[-1], j), []
            if len(shown) < grad.size:
                note = [Para(Words("shown", {"shown": len(shown), "n": grad.size, "what": "|δ|"}))]
            header = [Sym("j"), Words("diagonal"), Words("off_diagonal"), Sym("∑", "k"), Sym("δ", "j", str(L))]
            rows = [[r + 1, float(all_terms[r, r]), float(np.sum(np.delete(all_terms[r], r))), float(np.sum(all_terms[r])), float(e.deltas[-1][r])] for r in shown]
            blocks += [Para(Words("proof_bp1_rows", {"L": L})), *note, Table(header, rows)]
    return blocks


def _bp2_proof(e: Numbers, d: Derivation) -> list:
    """BP2 by the chain rule over the next layer's weighted inputs: δ^l_j = Σ_k ∂z^{l+1}_k/∂z^l_j δ^{l+1}_k,
    with ∂z^{l+1}_k/∂z^l_j = w^{l+1}_kj σ'(z^l_j), term by term; then σ'(z^l_j) taken out of the sum."""
    if d.bp2_neuron is None:
        return [Para(Words("bp2_none"))]
    net = e.network
    l, j = d.bp2_neuron
    z_j, delta_next = indexed("z", l, j), e.deltas[l - 1]
    W_next, sp = net.weights[l - 1], float(e.derivatives[l - 2][j])
    dz = partial(Sym("z", "k", str(l + 1)), z_j)
    general = row(indexed("δ", l, j), "=", Sym("∑", "k"), d_cost(Sym("z", "k", str(l + 1))), dz, "=", Sym("∑", "k"), dz, Sym("δ", "k", str(l + 1)))
    z_next = row(Sym("z", "k", str(l + 1)), "=", Sym("∑", "i"), Sym("w", "ki", str(l + 1)), Call(Sym("σ"), Sym("z", "i", str(l))), "+", Sym("b", "k", str(l + 1)))
    derivative = row(dz, "=", _column(l + 1, j), Call(SIGMA_PRIME, z_j))
    blocks = [Para(Words("proof_bp2", {"eq": general, "z": z_next, "dz": derivative, "j": j + 1, "l": l})), Equation(general), Equation(derivative)]
    ks = shown_indices(delta_next, int(np.argmax(np.abs(d.bp2_terms))))
    blocks.append(Table([Sym("k"), _column(l + 1, j), Call(SIGMA_PRIME, z_j), dz, Sym("δ", "k", str(l + 1)), Words("term")],
                        [[k + 1, float(W_next[k, j]), sp, float(d.bp2_factors[k]), float(delta_next[k]), float(d.bp2_terms[k])] for k in ks]))
    blocks += _sum_equation(indexed("δ", l, j), [(float(d.bp2_factors[k]), float(delta_next[k])) for k in range(delta_next.size)], float(np.sum(d.bp2_terms)))
    back = float(W_next[:, j] @ delta_next)  # Σ_k w^{l+1}_kj δ^{l+1}_k
    blocks += [Para(Words("proof_bp2_factor", {"sp": Call(SIGMA_PRIME, z_j)})),
               Equation(row(indexed("δ", l, j), "=", Paren(row(Sym("∑", "k"), _column(l + 1, j), Sym("δ", "k", str(l + 1)))),
                            Call(SIGMA_PRIME, z_j), "=", Num(back), "×", Num(sp), *_checked(float(e.deltas[l - 2][j]), float(e.numerical_db[l - 2][j]))))]
    return blocks


def _bp34_proof(e: Numbers, d: Derivation) -> list:
    """BP3 and BP4 in one line each, from ∂z^l_j/∂b^l_j = 1 and ∂z^l_j/∂w^l_jk = a^{l−1}_k."""
    w, _ = _weight_symbols(d)
    l, j, k = d.weight[0], d.weight[1] - 1, d.weight[2] - 1
    z_j, b_j, a_k, delta = indexed("z", l, j), indexed("b", l, j), indexed("a", l - 1, k), float(e.deltas[l - 2][j])
    z_sum = row(z_j, "=", Sym("∑", "k"), Sym("w", f"{j + 1}k" if j < 9 else f"{j + 1},k", str(l)), Sym("a", "k", str(l - 1)), "+", b_j)
    return [
        Para(Words("proof_bp34", {"z": z_sum, "dzdb": row(partial(z_j, b_j), "=", Num(1.0, bare=True)), "dzdw": row(partial(z_j, w), "=", a_k)})),
        Equation(row(d_cost(b_j), "=", d_cost(z_j), partial(z_j, b_j), "=", indexed("δ", l, j), "×", Num(1.0), *_checked(float(e.db[l - 2][j]), float(e.numerical_db[l - 2][j])))),
        Equation(row(d_cost(w), "=", d_cost(z_j), partial(z_j, w), "=", indexed("δ", l, j), a_k, "=", Num(delta), "×", Num(float(e.activations[l - 2][k])),
                     *_checked(d.backprop, float(e.numerical_dW[l - 2][j, k])))),
    ]


def _chain(e: Numbers, d: Derivation) -> list:
    """Ng's chain for the weight: the factors along one path, from the cost down as Ng writes them;
    its front part is δ^l_j when it is the only path."""
    w, theta = _weight_symbols(d)
    l, j, k = d.weight[0], d.weight[1] - 1, d.weight[2] - 1
    a_k, delta = indexed("a", l - 1, k), float(e.deltas[l - 2][j])
    chain = _factors(e, d, d.chain)[::-1]
    blocks = [
        Para(Words("chain", {"theta": theta, "w": w, "C": Sym("C")})),
        Equation(row(d_cost(w), "=", *[f for f, _, _ in chain])),
        Table([Words("factor"), Words("is"), Words("value")], [[f, what, value] for f, what, value in chain]),
        Equation(row("=", *[item for _, _, v in chain for item in (Num(v), "×")][:-1], "=", Num(d.chain.product, bare=True))),
    ]
    delta_sym = indexed("δ", l, j)
    front = [item for _, _, v in chain[:-1] for item in (Num(v), "×")][:-1]
    if d.n_paths == 1:
        blocks += [
            Para(Words("chain_front_one", {"delta": delta_sym, "result": row(d_cost(w), "=", delta_sym, a_k)})),
            Equation(row(delta_sym, "=", *front, *_checked(d.chain_front, float(e.numerical_db[l - 2][j])))),
            Equation(row(d_cost(w), "=", delta_sym, a_k, "=", Num(delta), "×", Num(float(e.activations[l - 2][k])), "=", Num(d.backprop, bare=True))),
        ]
    else:
        blocks.append(Para(Words("chain_front_many", {"n": d.n_paths, "front": Num(d.chain_front, bare=True), "delta": delta_sym, "value": Num(delta, bare=True)})))
    return blocks


def _factors(e: Numbers, d: Derivation, path: Path) -> list[tuple[Math, object, float]]:
    """Each factor of ``path``, weight first: (∂u/∂v, what it is, its value)."""
    l, j, k = d.weight
    out: list[tuple[Math, object, float]] = []
    values = iter(path.factors)
    before = None  # the a-neuron of the layer before
    for m, (zi, ai) in enumerate(path.neurons, start=l):
        z, a = indexed("z", m, zi), indexed("a", m, ai)
        if before is None:
            out.append((partial(z, indexed("w", l, j - 1, k - 1)), indexed("a", l - 1, k - 1), next(values)))
        else:
            out.append((partial(z, indexed("a", m - 1, before)), indexed("w", m, zi, before), next(values)))
        what = Call(SIGMA_PRIME, z) if e.network.activations[m - 2].elementwise else row(a, Paren(row(float(ai == zi), "−", indexed("a", m, zi))))
        out.append((partial(a, z), what, next(values)))
        before = ai
    a, y = indexed("a", len(e.network.sizes), before), indexed("y", None, before)
    out.append((d_cost(a), _cost_gradient(e.network.cost_function.name, a, y), next(values)))
    return out


def _cost_gradient(name: str, a: Sym, y: Sym) -> Math:
    """∂C/∂a_n of the cost ``name`` as a formula of a_n and y_n (∂C/∂a_n itself for a cost of the user's own)."""
    if name == "quadratic":
        return row(a, "−", y)
    if name == "cross_entropy":
        return Frac(Paren(row(a, "−", y)), Paren(row(a, Paren(row(1.0, "−", a)))))  # bracketed: one line in text
    if name == "log_likelihood":
        return row("−", Frac(y, a))
    return d_cost(a)


def _column(l: int, j: int) -> Sym:
    """w^l_kj with j fixed (0-based): the weights leaving neuron j of layer l − 1."""
    return Sym("w", f"k{j + 1}" if j < 9 else f"k,{j + 1}", str(l))


def _paths_section(e: Numbers, d: Derivation, n: int) -> list:
    l, j, k = d.weight
    w, _ = _weight_symbols(d)
    L = len(e.network.sizes)
    blocks: list = [Heading(Words("sec_paths", {"n": n})), Para(Words("paths" if d.n_paths > 1 else "paths_one", {"w": w, "n": d.n_paths}))]
    drawn = []
    for p in d.paths:
        nodes = [(2 * l - 4, k - 1)] + [(c, i) for m, (zi, ai) in enumerate(p.neurons, start=l) for c, i in ((2 * m - 3, zi), (2 * m - 2, ai))] + [(2 * L - 1, 0)]
        drawn.append(nodes)
    blocks.append(computation_graph(e, drawn))
    rows = []
    for number, p in enumerate(d.paths, start=1):
        factors = _factors(e, d, p)
        nodes = [w] + [s for m, (zi, ai) in enumerate(p.neurons, start=l) for s in (indexed("z", m, zi), indexed("a", m, ai))] + [Sym("C")]
        route = row(*[item for s in nodes for item in (s, "→")][:-1])
        rows.append([number, route, row(*[item for _, _, v in factors for item in (Num(v), "×")][:-1]), p.product])
    blocks.append(Table([Sym("#"), Words("path"), Words("factors"), Words("product")], rows))
    listed = float(sum(p.product for p in d.paths))
    if d.n_paths > len(d.paths):
        key = "paths_listed" if d.enumerated else "paths_accumulated"
        blocks.append(Para(Words(key, {"shown": len(d.paths), "n": d.n_paths, "rest_n": d.n_paths - len(d.paths), "rest": Num(d.path_sum - listed, bare=True)})))
    bp = row(indexed("a", l - 1, k - 1), indexed("δ", l, j - 1))
    blocks += [
        Equation(row(d_cost(w), "=", *_path_terms(d.n_paths), "=", Num(d.path_sum, bare=True))),
        Para(Words("paths_equal", {"bp": bp, "z": indexed("z", l, j - 1), "delta": indexed("δ", l, j - 1), "a": indexed("a", l - 1, k - 1)})),
        Equation(row(bp, "=", Num(float(e.activations[l - 2][k - 1])), "×", Num(float(e.deltas[l - 2][j - 1])), "=", Num(d.backprop, bare=True))),
    ]
    return blocks


def _path_terms(n: int) -> list:
    """p₁ + p₂ + … + p_n: the products of the n paths, summed."""
    shown = [1, 2, 3] if n <= 3 else [1, 2, n]
    items = sum_of([Sym("p", str(i)) for i in shown[:n]])
    return items[:-1] + ["…", "+", items[-1]] if n > 3 else items


def _count_section(e: Numbers, d: Derivation, n: int) -> list:
    m = d.multiplications
    blocks: list = [
        Heading(Words("sec_count", {"n": n})), Para(Words("count")),
        Table([Words("multiplications"), Words("path_sums"), Words("backprop")],
              [[Words("forward_pass"), m.forward, m.forward], [Words("chain_products"), m.path_products, m.backward], [Words("total"), m.path_sums, m.backprop]]),
        Para(Words("count_ratio", {"ratio": Num(m.path_sums / m.backprop, bare=True)})),
        Para(Words("count_table")),
    ]
    rows = []
    for width in WIDTHS:
        for depth in DEPTHS:
            c = multiplications([width] * (depth + 1), [True] * depth)
            rows.append([depth, width, _count(c.path_sums), _count(c.backprop), c.path_sums / c.backprop])
    return blocks + [Table([Words("depth"), Words("width"), Words("path_sums"), Words("backprop"), Words("ratio")], rows)]


def _count(value: int) -> int | float:
    """A count as an exact integer up to a billion, as a float (6 digits) beyond."""
    return value if value < 10**9 else float(value)
