"""The derivation view (``derive=True``): every number against backprop and central differences, the
path sum against backprop, the multiplication counts against a brute-force counter on the graph.

The reference below differentiates the functions of the network written out in
tests/explain/test_numbers.py (a forward pass and the costs, without deltaprop) by central
differences; the brute-force counter builds the computation graph node by node and counts the
multiplications of its path sums and of reverse accumulation over it.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deltaprop as dp
from deltaprop.explain import default_example, derivation, explain
from deltaprop.explain.derivation import LISTED, multiplications
from deltaprop.explain.formula import fmt
from deltaprop.explain.proofs import DEPTHS, WIDTHS

from .common import default_explanation, num
from .test_numbers import ACTIVATION, COST, central_difference, cost_from_layer, cost_of

NETWORKS = {
    "seed002-sigmoid-cross_entropy": ([3, 3, 1], "sigmoid", "sigmoid", "cross_entropy", (2, 1, 1)),
    "tanh-softmax-log_likelihood": ([3, 4, 3], "tanh", "softmax", "log_likelihood", (2, 2, 3)),
    "softmax of 7, row by row": ([2, 3, 7], "tanh", "softmax", "quadratic", (2, 1, 2)),
    "softplus-softmax-quadratic": ([2, 3, 3, 3], "softplus", "softmax", "quadratic", (2, 3, 1)),
    "relu-identity-quadratic, a second-layer weight": ([2, 4, 3, 2], "relu", "identity", "quadratic", (3, 2, 4)),
    "leaky_relu-sigmoid-cross_entropy, output weight": ([3, 2, 2], "leaky_relu", "sigmoid", "cross_entropy", (3, 2, 1)),
    "no hidden layer, softmax": ([4, 3], "sigmoid", "softmax", "log_likelihood", (2, 3, 4)),
    "wide, paths cut": ([5, 6, 5, 4], "sigmoid", "sigmoid", "quadratic", (2, 1, 1)),
}


@pytest.fixture(params=list(NETWORKS), scope="module")
def case(request) -> tuple[dp.Explanation, dict]:
    sizes, activation, output, cost, weight = NETWORKS[request.param]
    net = dp.Network(sizes, activation=activation, output=output, cost=cost, seed=5, dtype="float64")
    x, y = default_example(net, seed=5)
    e = explain(net, x, y, derive=True, weight=weight)
    return e, e.to_dict()


def close(got: float, want: float, what: str, rel: float = 1e-5, abs_: float = 1e-8) -> None:
    assert got == pytest.approx(want, rel=rel, abs=abs_), what


def activation_of(d: dict, layer: int):
    """σ of layer ``layer`` (numbered as in the book), from the reference."""
    return ACTIVATION[d["activations"][layer - 2]]


def numerical_jacobian(d: dict, layer: int) -> np.ndarray:
    """∂a^l_k/∂z^l_j (rows k, columns j) by central differences of the reference activation."""
    z = np.array(d["layers"][layer - 2]["z"])
    f = activation_of(d, layer)
    columns = []
    for j in range(z.size):
        h = np.zeros_like(z)
        h[j] = 1e-6
        columns.append((f(z + h) - f(z - h)) / 2e-6)
    return np.array(columns).T


def numerical_grad_a(d: dict) -> np.ndarray:
    """∂C/∂a^L by central differences of the reference cost."""
    return central_difference(lambda a: COST[d["cost_function"]](a, np.array(d["y"])), np.array(d["layers"][-1]["a"]), h=1e-7)


def numerical_delta(d: dict, layer: int) -> np.ndarray:
    """δ^l = ∂C/∂z^l by central differences of the reference network above layer l."""
    i = layer - 2
    return central_difference(lambda z: cost_from_layer(d, i, z), np.array(d["layers"][i]["z"]))


def numerical_dW(d: dict, layer: int) -> np.ndarray:
    weights, biases = [np.array(W) for W in d["weights"]], [np.array(b) for b in d["biases"]]
    i = layer - 2
    return central_difference(lambda W: cost_of(d, weights[:i] + [W] + weights[i + 1 :], biases), weights[i])


def numerical_db(d: dict, layer: int) -> np.ndarray:
    weights, biases = [np.array(W) for W in d["weights"]], [np.array(b) for b in d["biases"]]
    i = layer - 2
    return central_difference(lambda b: cost_of(d, weights, biases[:i] + [b] + biases[i + 1 :]), biases[i])


NODE = re.compile(r"^(?P<kind>[wza])\^(?P<layer>\d+)_(?P<index>\d+(,\d+)?)$")


def parse_node(name: str) -> tuple[str, int, tuple[int, ...]]:
    """``z^3_2`` → ("z", 3, (1,)); ``w^2_11`` → ("w", 2, (0, 0)); ``w^2_12,3`` → ("w", 2, (11, 2))."""
    m = NODE.match(name)
    assert m, name
    index = m["index"]
    parts = index.split(",") if "," in index else list(index) if m["kind"] == "w" else [index]
    return m["kind"], int(m["layer"]), tuple(int(p) - 1 for p in parts)


def reference_factors(d: dict, nodes: list[str]) -> list[float]:
    """The partial derivatives along a path given by its node names, each by central differences:
    ∂z/∂w, then ∂a/∂z and ∂z/∂a alternately, then ∂C/∂a^L."""
    kind, l, (j, k) = parse_node(nodes[0])
    assert kind == "w" and nodes[-1] == "C"
    weights = [np.array(W) for W in d["weights"]]
    acts = [np.array(d["x"])] + [np.array(layer["a"]) for layer in d["layers"]]
    h = 1e-6
    factors = []
    # ∂z^l_j/∂w^l_jk: z^l_j as a function of w^l_jk alone.
    W = weights[l - 2]
    z_of_w = lambda w: (np.where(np.arange(W.shape[1]) == k, w, W[j]) @ acts[l - 2]) + d["biases"][l - 2][j]
    factors.append((z_of_w(W[j, k] + h) - z_of_w(W[j, k] - h)) / (2 * h))
    previous = None
    for zname, aname in zip(nodes[1:-1:2], nodes[2:-1:2]):
        _, m, (zi,) = parse_node(zname)
        _, m2, (ai,) = parse_node(aname)
        assert m == m2
        if previous is not None:  # ∂z^m_zi/∂a^{m−1}_previous
            z_of_a = lambda a: weights[m - 2][zi] @ np.where(np.arange(acts[m - 2].size) == previous, a, acts[m - 2]) + d["biases"][m - 2][zi]
            factors.append((z_of_a(acts[m - 2][previous] + h) - z_of_a(acts[m - 2][previous] - h)) / (2 * h))
        factors.append(numerical_jacobian(d, m)[ai, zi])
        previous = ai
    factors.append(numerical_grad_a(d)[previous])
    return factors


# --------------------------------------------------------------- the JSON: the numbers checked


def test_the_derivation_object_has_exactly_the_fields_design_fixes(case):
    e, d = case
    D = d["derivation"]
    assert list(D) == ["weight", "paths", "n_paths", "path_sum", "backprop", "multiplications"]
    assert list(D["multiplications"]) == ["path_sums", "backprop"]
    assert D["weight"] == list(e.weight) and len(D["paths"]) == min(D["n_paths"], LISTED)
    assert all(list(p) == ["nodes", "product"] for p in D["paths"])
    json.dumps(d, allow_nan=False)


def test_bp1_term_by_term(case):
    _, d = case
    bp1 = d["proofs"]["bp1"]
    L, j = bp1["neuron"][0], bp1["neuron"][1] - 1
    assert L == len(d["sizes"])
    np.testing.assert_allclose(bp1["grad_a"], numerical_grad_a(d), rtol=1e-5, atol=1e-7)
    jacobian = numerical_jacobian(d, L)
    np.testing.assert_allclose(bp1["da_dz"], jacobian[:, j], rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(bp1["terms"], np.array(bp1["grad_a"]) * np.array(bp1["da_dz"]), rtol=1e-15, atol=0)
    assert bp1["delta"] == d["layers"][-1]["delta"][j]  # backprop's own
    close(bp1["sum"], bp1["delta"], "Σ_k ∂C/∂a_k ∂a_k/∂z_j is δ^L_j", rel=1e-12, abs_=1e-15)
    close(bp1["sum"], numerical_delta(d, L)[j], "δ^L_j against the central difference")
    off_diagonal = [t for k, t in enumerate(bp1["terms"]) if k != j]
    if d["activations"][-1] == "softmax":  # the Jacobian is full: the terms need not vanish off the diagonal
        assert np.abs(np.delete(jacobian[:, j], j)).min() > 1e-6
        np.testing.assert_allclose(bp1["jacobian"], jacobian, rtol=1e-5, atol=1e-8)
        all_terms = np.array(bp1["grad_a"])[None, :] * np.array(bp1["jacobian"]).T  # row j: ∂C/∂a_k ∂a_k/∂z_j
        np.testing.assert_allclose(all_terms.sum(axis=1), d["layers"][-1]["delta"], rtol=1e-12, atol=1e-15)
    else:
        assert off_diagonal == [0.0] * len(off_diagonal) and bp1["jacobian"] is None


def test_bp2_term_by_term(case):
    _, d = case
    bp2 = d["proofs"]["bp2"]
    if len(d["sizes"]) == 2:
        assert bp2 is None
        return
    l, j = bp2["neuron"][0], bp2["neuron"][1] - 1
    # ∂z^{l+1}_k/∂z^l_j: z^{l+1} as a function of z^l_j alone, through σ.
    z = np.array(d["layers"][l - 2]["z"])
    W, b, f = np.array(d["weights"][l - 1]), np.array(d["biases"][l - 1]), activation_of(d, l)
    z_next = lambda zj: W @ f(np.where(np.arange(z.size) == j, zj, z)) + b
    close(bp2["sp"], numerical_jacobian(d, l)[j, j], "σ'(z^l_j)")
    np.testing.assert_allclose(bp2["dz_dz"], (z_next(z[j] + 1e-6) - z_next(z[j] - 1e-6)) / 2e-6, rtol=1e-5, atol=1e-8)
    np.testing.assert_array_equal(bp2["delta_next"], d["layers"][l - 1]["delta"])
    np.testing.assert_allclose(bp2["delta_next"], numerical_delta(d, l + 1), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(bp2["terms"], np.array(bp2["dz_dz"]) * np.array(bp2["delta_next"]), rtol=1e-15, atol=0)
    assert bp2["delta"] == d["layers"][l - 2]["delta"][j]
    close(bp2["sum"], bp2["delta"], "Σ_k ∂z^{l+1}_k/∂z^l_j δ^{l+1}_k is δ^l_j", rel=1e-12, abs_=1e-15)
    close(bp2["sum"], numerical_delta(d, l)[j], "δ^l_j against the central difference")


def test_bp3_and_bp4_in_one_line(case):
    _, d = case
    bp3, bp4 = d["proofs"]["bp3"], d["proofs"]["bp4"]
    l, j, k = bp4["weight"]
    assert bp3["bias"] == [l, j]
    layer = d["layers"][l - 2]
    assert bp3["delta"] == bp3["db"] == layer["db"][j - 1] == layer["delta"][j - 1]
    close(bp3["db"], numerical_db(d, l)[j - 1], "∂C/∂b")
    a_in = (d["x"] if l == 2 else d["layers"][l - 3]["a"])[k - 1]
    assert bp4["a"] == a_in and bp4["delta"] == layer["delta"][j - 1]
    assert bp4["dW"] == layer["dW"][j - 1][k - 1] == pytest.approx(a_in * bp4["delta"], rel=1e-15)
    close(bp4["dW"], numerical_dW(d, l)[j - 1, k - 1], "∂C/∂w")


def test_ngs_chain_factor_by_factor(case):
    _, d = case
    chain, D = d["proofs"]["chain"], d["derivation"]
    np.testing.assert_allclose(chain["factors"], reference_factors(d, chain["nodes"]), rtol=1e-5, atol=1e-8)
    assert chain["product"] == pytest.approx(math.prod(chain["factors"]), rel=1e-14)
    assert chain["front"] == pytest.approx(math.prod(chain["factors"][1:]), rel=1e-14)
    l, j, _ = D["weight"]
    if D["n_paths"] == 1:  # Ng's network: the chain is the derivative, its front part δ^l_j
        close(chain["front"], d["layers"][l - 2]["delta"][j - 1], "the front part is δ", rel=1e-12, abs_=1e-15)
        close(chain["product"], D["backprop"], "the chain is δ a", rel=1e-12, abs_=1e-15)
    assert chain["nodes"] in [p["nodes"] for p in D["paths"]] or D["n_paths"] > LISTED


def test_every_listed_path_is_a_product_of_partial_derivatives(case):
    e, d = case
    D = d["derivation"]
    for p, path in zip(D["paths"], e.derivation.paths, strict=True):
        factors = reference_factors(d, p["nodes"])
        np.testing.assert_allclose(path.factors, factors, rtol=1e-5, atol=1e-8, err_msg=f"the factors along {p['nodes']}")
        assert p["product"] == path.product == pytest.approx(math.prod(path.factors), rel=1e-14, abs=1e-300)
    assert len({tuple(p["nodes"]) for p in D["paths"]}) == len(D["paths"])  # distinct paths


def test_the_path_sum_is_backprops_gradient_and_the_central_difference(case):
    _, d = case
    D = d["derivation"]
    l, j, k = D["weight"]
    assert D["backprop"] == d["layers"][l - 2]["dW"][j - 1][k - 1]
    assert abs(D["path_sum"] - D["backprop"]) <= 1e-12
    close(D["path_sum"], numerical_dW(d, l)[j - 1, k - 1], "the path sum against the central difference")
    if D["n_paths"] <= LISTED:
        assert D["path_sum"] == pytest.approx(math.fsum(p["product"] for p in D["paths"]), rel=1e-15, abs=1e-300)


def test_the_multiplication_counts_are_the_brute_force_counts(case):
    e, d = case
    counted = brute_force(e.network, e.x, e.y)
    l, j, k = e.derivation.weight
    assert e.derivation.n_paths == d["derivation"]["n_paths"] == counted["n_paths"][("w", l, j - 1, k - 1)]
    m = e.derivation.multiplications
    assert (m.forward, m.backward, m.path_products) == (counted["forward"], counted["backward"], counted["path_products"])
    assert d["derivation"]["multiplications"] == {"path_sums": m.forward + m.path_products, "backprop": m.forward + m.backward}
    assert d["proofs"]["multiplications"] == {"forward": m.forward, "backward": m.backward, "path_products": m.path_products}


def test_every_number_printed_in_the_derivation_is_one_checked_above(case):
    """The Markdown of the derivation prints only numbers that the tests above check (to 6 digits),
    the counts of the table, and small integers (indices, equation numbers)."""
    e, d = case
    checked: set[str] = set()

    def collect(value) -> None:
        if isinstance(value, dict):
            for v in value.values():
                collect(v)
        elif isinstance(value, list):
            for v in value:
                collect(v)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            checked.add(fmt(float(value)))
            checked.add(str(value))

    collect(d["proofs"])
    collect(d["derivation"])
    if d["proofs"]["bp1"]["jacobian"] is not None:  # the whole Jacobian-vector product, checked in test_bp1_term_by_term
        all_terms = np.array(d["proofs"]["bp1"]["grad_a"])[None, :] * np.array(d["proofs"]["bp1"]["jacobian"]).T
        collect([all_terms.tolist(), all_terms.sum(axis=1).tolist(), [np.sum(np.delete(r, i)) for i, r in enumerate(all_terms)]])
    collect(d["derivation"]["path_sum"] - sum(p["product"] for p in d["derivation"]["paths"]))  # the paths not listed: their sum
    collect(d["derivation"]["n_paths"] - len(d["derivation"]["paths"]))  # and their number
    l, j, k = d["derivation"]["weight"]
    layer = d["layers"][l - 2]
    collect([d["x"], d["weights"], [layer["a"] for layer in d["layers"]], [layer["delta"] for layer in d["layers"]], layer["dW"][j - 1][k - 1]])
    collect([[layer["dW_numerical"], layer["db_numerical"]] for layer in d["layers"]])
    collect([[W[:, c] @ np.array(d["layers"][i + 1]["delta"]) for c in range(W.shape[1])] for i, W in enumerate(map(np.array, d["weights"][1:]))])
    m = e.derivation.multiplications
    collect(m.path_sums / m.backprop)
    for width in WIDTHS:
        for depth in DEPTHS:
            c = brute_force_closed(width, depth)
            collect([c[0], c[1], c[0] / c[1], depth, width])
    collect([list(p.factors) for p in e.derivation.paths])  # checked in test_every_listed_path_is_a_product_of_partial_derivatives
    collect(list(range(0, max(11, LISTED + 1))))
    text = e.to_text(width=1000)
    printed = re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[+-]\d+)?", text[text.index("7. Why the equations hold"):])
    assert len(printed) > 40
    unchecked = sorted({n for n in printed if n not in checked and n.lstrip("-") not in checked})
    assert unchecked == []


def brute_force_closed(width: int, depth: int) -> tuple[int, int]:
    """The table's counts for a network of one width, by the brute-force counter (small) or the
    closed form (checked against the counter on small networks)."""
    m = multiplications([width] * (depth + 1), [True] * depth)
    return m.path_sums, m.backprop


# ----------------------------------------------------------- the brute-force counter on the graph


class Count:
    """Multiplications counted as they happen."""

    def __init__(self) -> None:
        self.n = 0

    def mul(self, a: float, b: float) -> float:
        self.n += 1
        return a * b


ONE = object()  # a local derivative that is 1 by construction (∂z/∂b, ∂C/∂C): multiplying by it is free


def brute_force(net: dp.Network, x: np.ndarray, y: np.ndarray) -> dict:
    """Build the computation graph of one example node by node and count the multiplications of
    (1) the forward pass, (2) every parameter's own path sum, (3) reverse accumulation (backprop);
    and check that both give the network's gradient."""
    L = len(net.sizes)
    forward = Count()
    a = {(1, i): float(x[i]) for i in range(net.sizes[0])}
    z = {}
    for l in range(2, L + 1):
        W, b = net.weights[l - 2], net.biases[l - 2]
        for j in range(net.sizes[l - 1]):
            z[l, j] = math.fsum(forward.mul(float(W[j, k]), a[l - 1, k]) for k in range(net.sizes[l - 2])) + float(b[j])
        zs = np.array([z[l, j] for j in range(net.sizes[l - 1])])
        values = net.activations[l - 2].f(zs[None, :])[0]
        a.update({(l, j): float(values[j]) for j in range(zs.size)})
    aL = np.array([a[L, j] for j in range(net.sizes[-1])])
    grad_a = net.cost_function.grad_a(aL[None, :], y[None, :])[0]
    # Edges: node → [(successor, local derivative)]; nodes are ("w", l, j, k), ("b", l, j), ("z", l, j), ("a", l, j), "C".
    edges: dict = {}
    for l in range(2, L + 1):
        n, n_in = net.sizes[l - 1], net.sizes[l - 2]
        act = net.activations[l - 2]
        zs = np.array([z[l, j] for j in range(n)])
        az = np.array([a[l, j] for j in range(n)])
        for j in range(n):
            for k in range(n_in):
                edges[("w", l, j, k)] = [(("z", l, j), a[l - 1, k])]
                if l > 2:
                    edges.setdefault(("a", l - 1, k), []).append((("z", l, j), float(net.weights[l - 2][j, k])))
            edges[("b", l, j)] = [(("z", l, j), ONE)]
            if act.elementwise:
                edges[("z", l, j)] = [(("a", l, j), float(act.derivative(zs[None, :], az[None, :])[0, j]))]
            else:
                row = act.backward(zs[None, :], az[None, :], np.eye(n)[j][None, :])[0]  # ∂a_j/∂z_i over i
                for i in range(n):
                    edges.setdefault(("z", l, i), []).append((("a", l, j), float(row[i])))
    for j in range(net.sizes[-1]):
        edges[("a", L, j)] = [("C", float(grad_a[j]))]
    params = [node for node in edges if node[0] in ("w", "b")]

    # (2) every parameter's own path sum, path by path.
    paths = Count()

    def walk(node, factors):
        if node == "C":
            real = [f for f in factors if f is not ONE]
            product = real[0]
            for f in real[1:]:
                product = paths.mul(product, f)
            yield product
            return
        for succ, local in edges[node]:
            yield from walk(succ, factors + [local])

    by_paths = {p: math.fsum(walk(p, [])) for p in params}
    n_paths = {p: sum(1 for _ in walk(p, [])) for p in params}
    paths.n //= 2  # walked twice

    # (3) reverse accumulation: each node's adjoint once, from the cost down.
    backward = Count()
    adjoint: dict = {"C": ONE}

    def adj(node):
        if node not in adjoint:
            total = []
            for succ, local in edges[node]:
                s = adj(succ)
                total.append(s if local is ONE else local if s is ONE else backward.mul(local, s))
            adjoint[node] = math.fsum(total)
        return adjoint[node]

    by_backprop = {p: adj(p) for p in params}
    grads = net.gradients(x[None, :], y[None, :])
    for l in range(2, L + 1):
        for j in range(net.sizes[l - 1]):
            assert by_backprop[("b", l, j)] == pytest.approx(grads.db[l - 2][j], rel=1e-9, abs=1e-12)
            assert by_paths[("b", l, j)] == pytest.approx(grads.db[l - 2][j], rel=1e-9, abs=1e-12)
            for k in range(net.sizes[l - 2]):
                assert by_backprop[("w", l, j, k)] == pytest.approx(grads.dW[l - 2][j, k], rel=1e-9, abs=1e-12)
                assert by_paths[("w", l, j, k)] == pytest.approx(grads.dW[l - 2][j, k], rel=1e-9, abs=1e-12)
    return {"forward": forward.n, "backward": backward.n, "path_products": paths.n, "n_paths": n_paths}


@pytest.mark.parametrize(
    ("sizes", "output"),
    [([2, 2], "sigmoid"), ([3, 1], "identity"), ([2, 3, 2], "softmax"), ([3, 2, 4, 2], "tanh"), ([2, 3, 3, 3, 2], "softmax"), ([1, 4, 1, 3], "sigmoid")],
)
def test_the_closed_form_counts_are_the_brute_force_counts(sizes, output):
    net = dp.Network(sizes, activation="tanh", output=output, cost="quadratic", seed=1, dtype="float64")
    rng = np.random.default_rng(2)
    counted = brute_force(net, rng.uniform(-1, 1, sizes[0]), rng.uniform(0, 1, sizes[-1]))
    m = multiplications(sizes, [act.elementwise for act in net.activations])
    assert (m.forward, m.backward, m.path_products) == (counted["forward"], counted["backward"], counted["path_products"])


def test_path_sums_grow_exponentially_with_depth_backprop_linearly():
    widths = [multiplications([4] * (depth + 1), [True] * depth) for depth in range(2, 9)]
    backprop = [m.backprop for m in widths]
    path_sums = [m.path_sums for m in widths]
    assert len(set(np.diff(backprop))) == 1  # linear: the same step per layer
    ratios = [b / a for a, b in zip(path_sums, path_sums[1:])]
    assert all(r > 4 for r in ratios)  # at least the width's factor per layer


# ------------------------------------------------------------ the path sum for random networks

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "identity"]
OUTPUTS = HIDDEN + ["softmax"]
COSTS = ["quadratic", "cross_entropy", "log_likelihood"]


@st.composite
def networks(draw):
    cost = draw(st.sampled_from(COSTS))
    output = draw(st.sampled_from(OUTPUTS if cost == "quadratic" else ["sigmoid", "softmax"]))  # the log costs need a in (0, 1)
    hidden = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    n_out = draw(st.integers(2 if output == "softmax" else 1, 3))
    sizes = [draw(st.integers(1, 3))] + hidden + [n_out]
    activation = [draw(st.sampled_from(HIDDEN)) for _ in hidden]
    seed = draw(st.integers(0, 2**16))
    net = dp.Network(sizes, activation=activation, output=output, cost=cost, seed=seed, dtype="float64")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, sizes[0])
    y = np.eye(n_out)[rng.integers(n_out)] if cost != "quadratic" or output == "softmax" else rng.uniform(0, 1, n_out)
    l = draw(st.integers(2, len(sizes)))
    weight = (l, draw(st.integers(1, sizes[l - 1])), draw(st.integers(1, sizes[l - 2])))
    return net, x, y, weight


PAIRINGS = [(h, o, c) for h in HIDDEN for o in OUTPUTS for c in COSTS if c == "quadratic" or o in ("sigmoid", "softmax")]


@pytest.mark.parametrize(("hidden", "output", "cost"), PAIRINGS)
def test_every_activation_and_cost_pairing_has_the_path_sum_of_backprop(hidden, output, cost):
    net = dp.Network([3, 3, 2, 3], activation=hidden, output=output, cost=cost, seed=11, dtype="float64")
    x, y = default_example(net, seed=11)
    d = explain(net, x, y, derive=True).derivation
    assert d.n_paths == 2 * 3 * (3 if output == "softmax" else 1)
    assert abs(d.path_sum - d.backprop) <= 1e-12


@given(networks())  # the profile's number of examples (tests/conftest.py)
def test_the_path_sum_equals_backprop_to_1e_12(case):
    net, x, y, weight = case
    d = explain(net, x, y, derive=True, weight=weight).derivation
    assert d.enumerated
    assert abs(d.path_sum - d.backprop) <= 1e-12 * max(1.0, abs(d.backprop))
    l, j, k = weight
    assert d.backprop == net.gradients(x[None, :], y[None, :]).dW[l - 2][j - 1, k - 1]


@settings(max_examples=50)
@given(networks())
def test_the_accumulated_path_sum_is_the_enumerated_one(case):
    net, x, y, weight = case
    enumerated = explain(net, x, y, derive=True, weight=weight).derivation
    previous = derivation.ENUMERATED
    derivation.ENUMERATED = 0  # every network is "too large": the products are accumulated forward
    try:
        accumulated = explain(net, x, y, derive=True, weight=weight).derivation
    finally:
        derivation.ENUMERATED = previous
    assert not accumulated.enumerated and accumulated.n_paths == enumerated.n_paths
    assert abs(accumulated.path_sum - enumerated.path_sum) <= 1e-12 * max(1.0, abs(enumerated.path_sum))


def test_a_large_network_counts_its_paths_exactly_and_lists_the_first():
    net = dp.Network([20, 30, 30, 30, 30, 10], output="softmax", cost="log_likelihood", seed=0, dtype="float64")
    x, y = default_example(net)
    e = explain(net, x, y, derive=True, weight=(2, 4, 7))
    d = e.derivation
    assert d.n_paths == 30 * 30 * 30 * 10 * 10 and not d.enumerated
    assert len(d.paths) == LISTED and d.paths[0].neurons == ((3, 3), (0, 0), (0, 0), (0, 0), (0, 0))
    assert abs(d.path_sum - d.backprop) <= 1e-12
    rest = fmt(d.path_sum - sum(p.product for p in d.paths))
    assert "2700000 paths are too many to add one by one" in e.to_text(width=1000)
    assert f"Listed are the first {LISTED}; the other {2700000 - LISTED} add up to {rest}." in e.to_text(width=1000)


# -------------------------------------------------------------------------- the documents


def test_the_default_derivation_shows_ngs_chain_equal_to_delta_times_a():
    e = default_explanation(derive=True)
    md = e.to_markdown()
    chain = e.derivation.chain
    assert e.derivation.weight == (2, 1, 1) and e.derivation.n_paths == 1
    text = e.to_text()
    delta, a = e.deltas[0][0], e.x[0]
    assert f"= {fmt(chain.product)}\n" in text and chain.product == pytest.approx(delta * a, rel=1e-15)
    assert f"    ∂C/∂w²₁₁ = δ²₁ a¹₁ = {fmt(delta)} × {fmt(a)} = {fmt(e.dW[0][0, 0])}\n" in text
    assert f"    δ²₁ = {' × '.join(num(f) for f in chain.factors[:0:-1])} = {fmt(e.derivation.chain_front)} ≈ {fmt(e.numerical_db[0][0])}\n" in text
    for heading in ("## 7. Why the equations hold", "## 8. The path sum", "## 9. What caching δ saves"):
        assert heading in md


def test_a_learning_rate_moves_the_derivation_sections_down_one():
    md = default_explanation(derive=True, lr=0.5).to_markdown()
    assert "## 7. One step of gradient descent" in md and "## 8. Why the equations hold" in md and "## 10. What caching" in md


def test_the_softmax_proof_shows_the_whole_jacobian_vector_product():
    net = dp.Network([3, 4, 3], activation="tanh", output="softmax", cost="log_likelihood", seed=0, dtype="float64")
    x, y = default_example(net)
    e = explain(net, x, y, derive=True)
    text = e.to_text(width=1000)
    assert "holds only for element-wise output activations" in text and "The whole Jacobian-vector product" in text
    target = int(np.argmax(e.y))
    for j in range(3):  # row j's term for the target class is ∂C/∂a_y ∂a_y/∂z_j: off the diagonal for j ≠ y, not zero
        term = e.grad_activations[-1][target] * e.derivation.jacobians[-1][target, j]
        assert abs(term) > 1e-6 and fmt(term) in text


def test_the_html_draws_every_listed_path_on_the_graph():
    net = dp.Network([3, 4, 3], activation="tanh", output="softmax", cost="log_likelihood", seed=0, dtype="float64")
    x, y = default_example(net)
    page = explain(net, x, y, derive=True, weight=(2, 2, 3)).to_html()
    assert page.count("<svg") == 2 and page.count('class="dp-path"') == 9
    assert "the paths from the weight to the cost in green" in page


def test_derive_and_weight_are_checked():
    net = dp.Network([3, 3, 1], seed=0)
    with pytest.raises(ValueError) as info:
        explain(net, [0.1, 0.2, 0.3], 1, derive=True, weight=(2, 4, 1))
    assert str(info.value) == "weight must be (layer, j, k) with layer from 2 to 3, j and k from 1 to the shape of its W (layer 2: 3 × 3, layer 3: 1 × 3); got (2, 4, 1)"
    with pytest.raises(ValueError) as info:
        explain(net, [0.1, 0.2, 0.3], 1, weight=(2, 1, 1))
    assert str(info.value) == "weight (2, 1, 1) picks the weight of the derivation; give derive=True too"
    with pytest.raises(ValueError) as info:
        explain(net, [0.1, 0.2, 0.3], 1, derive="yes")
    assert str(info.value) == "derive must be True or False; got 'yes'"
