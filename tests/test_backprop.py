"""BP1–BP4: against central differences, per-example against vectorised, and by hand.

The hand-worked numbers below were computed once with scalar ``math`` arithmetic (no NumPy,
no deltaprop), following seed 002's table 1.1 line by line.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deltaprop as dp
from deltaprop.backprop import backprop, forward

from .strategies import HIDDEN, PAIRS, assume_well_conditioned, networks_with_data



@pytest.mark.parametrize("pair", PAIRS, ids="+".join)
@pytest.mark.parametrize("hidden", HIDDEN)
@settings(max_examples=15)
@given(data=st.data())
def test_gradients_equal_central_differences(hidden, pair, data):
    """Every hidden activation × every (output, cost) pairing, random depths 1–4 and widths."""
    net, X, y, l2 = data.draw(networks_with_data(hidden=hidden, pair=pair))
    assume_well_conditioned(net, X, margin=1e-6)
    report = dp.check_gradients(net, X, y, l2=l2)
    assert report.mode == "every entry"
    assert report.passed(1e-7), f"{net}\n{report}"


@pytest.mark.parametrize("pair", PAIRS, ids="+".join)
@pytest.mark.parametrize("hidden", HIDDEN)
@settings(max_examples=8)
@given(data=st.data())
def test_per_example_loop_equals_vectorised_form(hidden, pair, data):
    net, X, y, l2 = data.draw(networks_with_data(hidden=hidden, pair=pair))
    vectorised = net.gradients(X, y, l2=l2)
    looped = net.gradients(X, y, l2=l2, per_example=True)
    for name, fast, slow in [("dW", vectorised.dW, looped.dW), ("db", vectorised.db, looped.db), ("deltas", vectorised.deltas, looped.deltas)]:
        for i, (a, b) in enumerate(zip(fast, slow)):
            assert a.shape == b.shape and a.dtype == b.dtype
            scale = max(np.abs(a).max(), np.abs(b).max(), 1e-300)
            assert np.abs(a - b).max() <= 1e-12 * scale, f"{name}[{i}]"


@given(networks_with_data())
def test_deltas_are_the_derivative_of_each_examples_cost_by_z(case):
    """δ^l_j = ∂C_x/∂z^l_j per example, not divided by n: check via BP3 on one example."""
    net, X, y, l2 = case
    grads = net.gradients(X, y)
    for x in range(len(X)):
        single = net.gradients(X[x : x + 1], y[x : x + 1])
        for i in range(len(net.weights)):
            np.testing.assert_allclose(grads.deltas[i][x], single.db[i], rtol=1e-12, atol=1e-15)


@given(networks_with_data(dtype="float32"))
def test_float32_gradients_track_float64(case):
    net, X, y, l2 = case
    assume_well_conditioned(net, X, margin=1e-3)
    g32 = net.gradients(X, y, l2=l2)
    g64 = net.copy("float64").gradients(X, y, l2=l2)
    for a, b in zip(g32.parameters(), g64.parameters()):
        assert a.dtype == np.float32
        # float32 loses digits where outputs saturate (1 − a); a 1 % bound still catches a wrong formula
        np.testing.assert_allclose(a, b, rtol=1e-2, atol=1e-3 * max(1.0, np.abs(b).max()))


def test_backprop_is_four_tagged_lines():
    """The equations stay readable: BP1–BP4 each tagged once in the vectorised function."""
    source = inspect.getsource(backprop)
    for tag in ("(BP1)", "(BP2)", "(BP3)", "(BP4)"):
        assert source.count(tag) == 1, tag


# ---------------------------------------------------------------- seed 002, by hand
def seed_002_network() -> dp.Network:
    """Seed 002's figure 1.1: 3 inputs, 3 sigmoid hidden units, 1 sigmoid output, no bias."""
    net = dp.Network([3, 3, 1], activation="sigmoid", output="sigmoid", cost="cross_entropy", dtype="float64")
    net.weights[0][...] = [[0.1, 0.2, 0.3], [-0.4, 0.5, 0.6], [0.7, -0.8, 0.9]]  # Θ^(1)
    net.weights[1][...] = [[0.2, -0.3, 0.4]]  # Θ^(2)
    for b in net.biases:
        b[...] = 0.0  # the seed leaves out the bias unit
    return net


def test_seed_002_worked_example():
    net = seed_002_network()
    x, y = np.array([[1.0, 0.5, -1.0]]), np.array([1])
    zs, acts = forward(net, x)
    # forward: z^(2) = Θ^(1) x, a^(2) = g(z^(2)), z^(3) = Θ^(2) a^(2), a^(3) = g(z^(3))
    np.testing.assert_allclose(zs[0][0], [-0.1, -0.75, -0.6], rtol=1e-15)
    np.testing.assert_allclose(acts[1][0], [0.47502081252106, 0.320821300824607, 0.35434369377420455], rtol=1e-14)
    np.testing.assert_allclose(zs[1][0], [0.14049524976651173], rtol=1e-14)
    np.testing.assert_allclose(acts[2][0], [0.5350661507605631], rtol=1e-14)
    # J(Θ) = −[y log h + (1 − y) log(1 − h)]
    assert net.cost(x, y) == pytest.approx(0.6253648934482756, rel=1e-14)
    grads = net.gradients(x, y)
    # line 4: δ^(3) = a^(3) − y
    np.testing.assert_allclose(grads.deltas[1][0], [-0.4649338492394369], rtol=1e-14)
    # line 5: δ^(2) = (Θ^(2))ᵀ δ^(3) .* g'(z^(2)), with g'(z^(2)) = a^(2)(1 − a^(2)):
    g_prime = net.activations[0].derivative(zs[0], acts[1])[0]
    np.testing.assert_allclose(g_prime, [0.24937604019289197, 0.21789499376181404, 0.2287842404566573], rtol=1e-14)
    np.testing.assert_allclose(grads.deltas[0][0], [-0.023188672454993963, 0.030392027453904985, -0.04254781502433384], rtol=1e-13)
    # line 6: Δ^(2) = δ^(3) (a^(2))ᵀ
    np.testing.assert_allclose(grads.dW[1], [[-0.22085325483426133, -0.14916068231038787, -0.16474637750016122]], rtol=1e-13)
    # line 7: Δ^(1) = δ^(2) (a^(1))ᵀ
    expected = [
        [-0.023188672454993963, -0.011594336227496982, 0.023188672454993963],
        [0.030392027453904985, 0.015196013726952493, -0.030392027453904985],
        [-0.04254781502433384, -0.02127390751216692, 0.04254781502433384],
    ]
    np.testing.assert_allclose(grads.dW[0], expected, rtol=1e-13)
    # ∂J/∂Θ^(2)_11 = δ^(3)_1 a^(2)_1 and ∂J/∂Θ^(1)_11 = δ^(2)_1 a^(1)_1 (式 2, 式 6)
    assert grads.dW[1][0, 0] == pytest.approx(-0.4649338492394369 * 0.47502081252106, rel=1e-14)
    assert grads.dW[0][0, 0] == pytest.approx(-0.023188672454993963 * 1.0, rel=1e-13)


def test_seed_002_short_cut_equals_general_bp1():
    """δ^(3) = a^(3) − y is ∇_a J ⊙ g'(z^(3)) with the algebra done (式 3)."""
    net = seed_002_network()
    x, Y = np.array([[1.0, 0.5, -1.0]]), np.array([[1.0]])
    zs, acts = forward(net, x)
    cost, sigma = net.cost_function, net.activations[-1]
    general = cost.grad_a(acts[-1], Y) * sigma.derivative(zs[-1], acts[-1])
    np.testing.assert_allclose(cost.delta(zs[-1], acts[-1], Y, sigma), general, rtol=1e-13)


# ---------------------------------------------------------------- seed 000, element by element
def test_seed_000_bp2_element_by_element():
    """δ^2_3 = (w^3_13 δ^3_1 + w^3_23 δ^3_2) σ'(z^2_3), for every hidden unit and example.

    Seed 000 numbers layers from 1 (the input): layer 2 is ``weights[0]``'s output, layer 3
    (two neurons) is ``weights[1]``'s, so w^3_jk = ``weights[1][j − 1, k − 1]``.
    """
    net = dp.Network([2, 4, 2], activation="sigmoid", output="sigmoid", cost="quadratic", dtype="float64", seed=3)
    rng = np.random.default_rng(7)
    X, Y = rng.standard_normal((5, 2)), rng.uniform(0, 1, (5, 2))
    zs, acts = forward(net, X)
    deltas = net.gradients(X, Y).deltas
    w3 = net.weights[1]
    sigmoid_prime = lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2  # noqa: E731 - independent of σ(1 − σ)
    for x in range(5):
        d3_1, d3_2 = deltas[1][x]
        # BP1 with the quadratic cost: δ^3_j = (a^3_j − y_j) σ'(z^3_j)
        for j in range(2):
            assert deltas[1][x, j] == pytest.approx((acts[2][x, j] - Y[x, j]) * sigmoid_prime(zs[1][x, j]), rel=1e-12)
        # the seed's own example, then every other k the same way
        assert deltas[0][x, 2] == pytest.approx((w3[0, 2] * d3_1 + w3[1, 2] * d3_2) * sigmoid_prime(zs[0][x, 2]), rel=1e-12)
        for k in range(4):
            assert deltas[0][x, k] == pytest.approx((w3[0, k] * d3_1 + w3[1, k] * d3_2) * sigmoid_prime(zs[0][x, k]), rel=1e-12)


def test_seed_000_bp3_bp4_for_one_example():
    """∂C/∂b^l_j = δ^l_j and ∂C/∂w^3_13 = a^2_3 δ^3_1 ("a_in × δ_out")."""
    net = dp.Network([2, 4, 2], activation="tanh", output="identity", cost="quadratic", dtype="float64", seed=1)
    x, y = np.array([[0.3, -1.2]]), np.array([[0.5, -0.25]])
    zs, acts = forward(net, x)
    grads = net.gradients(x, y)
    for i in range(2):
        np.testing.assert_array_equal(grads.db[i], grads.deltas[i][0])
    assert grads.dW[1][0, 2] == pytest.approx(acts[1][0, 2] * grads.deltas[1][0, 0], rel=1e-14)
    np.testing.assert_allclose(grads.dW[1], np.outer(grads.deltas[1][0], acts[1][0]), rtol=1e-14)


def test_l2_adds_lambda_over_n_total_times_w_to_weights_only():
    net = dp.Network([3, 4, 2], output="softmax", cost="log_likelihood", dtype="float64", seed=2)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    plain = net.gradients(X, y)
    regularised = net.gradients(X, y, l2=3.0, n_total=600)
    for i, W in enumerate(net.weights):
        np.testing.assert_allclose(regularised.dW[i] - plain.dW[i], 3.0 / 600 * W, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(regularised.db[i], plain.db[i])
    # n defaults to the batch size
    np.testing.assert_allclose(net.gradients(X, y, l2=3.0).dW[0] - plain.dW[0], 3.0 / 6 * net.weights[0], rtol=1e-12)


def test_backprop_refuses_labels_instead_of_target_rows():
    net = dp.Network([2, 3, 3], output="softmax", cost="log_likelihood")
    with pytest.raises(ValueError, match=r"Y must be float targets of shape \(3, 3\); got \(3,\) \(Network.targets converts labels\)"):
        backprop(net, np.zeros((3, 2), np.float32), np.array([0, 1, 2]))


def test_soft_targets_close_to_summing_to_one_are_renormalised():
    """δ^L = a − y is exact only for Σ_k y_k = 1: rows within 1e-4 are rescaled first."""
    rng = np.random.default_rng(0)
    net = dp.Network([3, 4, 3], output="softmax", cost="log_likelihood", dtype="float64")
    X, Y = rng.standard_normal((5, 3)), rng.dirichlet(np.ones(3), 5) * (1 - 5e-5)
    np.testing.assert_allclose(net.targets(Y, 5).sum(axis=1), 1.0, rtol=1e-15)
    assert dp.check_gradients(net, X, Y).passed(1e-7)


def test_one_output_regression_takes_integer_targets():
    net = dp.Network([1, 4, 1], output="identity", cost="quadratic", dtype="float64")
    np.testing.assert_array_equal(net.targets(np.array([3, 5, 7]), 3), [[3.0], [5.0], [7.0]])


# ---------------------------------------------------------------- dropout
def test_dropout_masks_are_zero_or_one_over_keep_rate():
    net = dp.Network([3, 50, 40, 2], output="softmax", cost="log_likelihood")
    masks = dp.dropout_masks(net, 2000, 0.3, np.random.default_rng(0))
    assert len(masks) == 3 and masks[-1] is None  # the output layer is never dropped
    keep = net.dtype.type(1 / 0.7)
    for mask, width in zip(masks[:-1], (50, 40)):
        assert mask.shape == (2000, width) and mask.dtype == np.float32
        assert set(np.unique(mask)) == {0.0, keep}
        assert np.mean(mask != 0) == pytest.approx(0.7, abs=0.005)  # sd of the rate ≈ 0.0007
    again = dp.dropout_masks(net, 2000, 0.3, np.random.default_rng(0))
    np.testing.assert_array_equal(again[0], masks[0])
    assert all(np.all(m == 1.0) for m in dp.dropout_masks(net, 10, 0.0, np.random.default_rng(0))[:-1])


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "softplus"])
@pytest.mark.parametrize("pair", [("softmax", "log_likelihood"), ("sigmoid", "cross_entropy"), ("identity", "quadratic")])
def test_backprop_with_dropout_masks_equals_central_differences(hidden, pair):
    """With masks held fixed, backprop's gradient is that of the cost of forward(net, X, masks)."""
    rng = np.random.default_rng(5)
    net = dp.Network([4, 6, 5, 3], activation=hidden, output=pair[0], cost=pair[1], dtype="float64", seed=rng)
    X = rng.standard_normal((7, 4))
    Y = rng.standard_normal((7, 3)) if pair[1] == "quadratic" else np.eye(3)[rng.integers(0, 3, 7)]
    masks = dp.dropout_masks(net, 7, 0.4, rng)
    assert 0 < np.mean(masks[0] == 0) < 1 and 0 < np.mean(masks[1] == 0) < 1

    def cost():
        return net.cost_function.value(forward(net, X, masks).activations[-1], Y) + dp.Penalty(0.3, 0.2, 50).cost(net.weights)

    analytic = backprop(net, X, Y, dp.Penalty(0.3, 0.2, 50), masks).parameters()
    plain = backprop(net, X, Y, dp.Penalty(0.3, 0.2, 50)).parameters()
    eps = 1e-6
    for P, G in zip(net.parameters(), analytic):
        numerical = np.empty_like(P)
        for index in np.ndindex(P.shape):
            original = P[index]
            P[index] = original + eps
            c_plus = cost()
            P[index] = original - eps
            c_minus = cost()
            P[index] = original
            numerical[index] = (c_plus - c_minus) / (2 * eps)
        np.testing.assert_allclose(G, numerical, rtol=1e-6, atol=1e-8)
    assert not all(np.allclose(g, u) for g, u in zip(analytic, plain))  # the masks mattered


def test_dropout_units_dropped_pass_nothing_and_expected_activation_is_unchanged():
    rng = np.random.default_rng(1)
    net = dp.Network([4, 8, 3], activation="tanh", output="softmax", cost="log_likelihood", dtype="float64")
    X, Y = rng.standard_normal((5, 4)), np.eye(3)[rng.integers(0, 3, 5)]
    masks = dp.dropout_masks(net, 5, 0.5, rng)
    grads = backprop(net, X, Y, masks=masks)
    dropped = masks[0] == 0
    assert dropped.any()
    np.testing.assert_array_equal(grads.deltas[0][dropped], 0.0)  # δ of a dropped unit is 0
    # inverted dropout: averaged over many masks, a masked hidden activation is the unmasked one
    many = np.repeat(X[:1], 40000, axis=0)
    masked = forward(net, many, dp.dropout_masks(net, 40000, 0.5, rng)).activations[1].mean(axis=0)
    plain = forward(net, X[:1]).activations[1][0]
    np.testing.assert_allclose(masked, plain, atol=0.02)
    # masks of all ones (p = 0) change nothing
    ones = backprop(net, X, Y, masks=dp.dropout_masks(net, 5, 0.0, rng))
    for a, b in zip(ones.parameters(), backprop(net, X, Y).parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-15, atol=0)


# ---------------------------------------------------------------- L1
def test_l1_gradients_pass_the_gradient_check():
    rng = np.random.default_rng(3)
    for output, cost in (("softmax", "log_likelihood"), ("sigmoid", "cross_entropy"), ("identity", "quadratic")):
        net = dp.Network([3, 5, 4, 2], activation="tanh", output=output, cost=cost, dtype="float64", seed=rng)
        X = rng.standard_normal((6, 3))
        y = rng.standard_normal((6, 2)) if cost == "quadratic" else rng.integers(0, 2, 6)
        report = dp.check_gradients(net, X, y, l1=0.9, l2=0.4, n_total=20)
        assert report.passed(1e-7), str(report)
        # the check is sensitive to the L1 term: leaving it out of backprop would fail
        plain = net.gradients(X, y, l2=0.4, n_total=20).dW[0]
        assert np.abs(net.gradients(X, y, l2=0.4, n_total=20, l1=0.9).dW[0] - plain).max() > 1e-3


def test_l1_cost_term_is_lambda_over_n_sum_of_absolute_weights():
    rng = np.random.default_rng(0)
    net = dp.Network([3, 4, 2], output="softmax", cost="log_likelihood", dtype="float64", seed=2)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    l1_sum = sum(np.abs(W).sum() for W in net.weights)
    plain = net.cost(X, y)
    assert net.cost(X, y, l1=1.5, n_total=300) - plain == pytest.approx(1.5 / 300 * l1_sum, rel=1e-12)
    assert net.cost(X, y, l1=1.5) - plain == pytest.approx(1.5 / 6 * l1_sum, rel=1e-12)  # n defaults to len(X)
    both = net.cost(X, y, l2=0.5, l1=1.5, n_total=300) - plain
    assert both == pytest.approx(1.5 / 300 * l1_sum + 0.5 / 600 * sum((W * W).sum() for W in net.weights), rel=1e-12)
    net.biases[0][...] = 100.0  # biases carry no penalty
    assert net.cost(X, y, l1=1.5) - net.cost(X, y) == pytest.approx(1.5 / 6 * l1_sum, rel=1e-12)
    grads, without = net.gradients(X, y, l1=1.5, n_total=300), net.gradients(X, y)
    for i, W in enumerate(net.weights):
        np.testing.assert_allclose(grads.dW[i] - without.dW[i], 1.5 / 300 * np.sign(W), rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(grads.db[i], without.db[i])
    with pytest.raises(ValueError, match="l1 must be a finite number ≥ 0; got -0.5"):
        net.cost(X, y, l1=-0.5)


def test_per_example_loop_equals_vectorised_form_with_l1_and_l2():
    rng = np.random.default_rng(8)
    net = dp.Network([4, 5, 3, 3], activation="softplus", output="softmax", cost="log_likelihood", dtype="float64", seed=1)
    X, y = rng.standard_normal((9, 4)), rng.integers(0, 3, 9)
    fast = net.gradients(X, y, l2=0.7, l1=0.3, n_total=40)
    slow = net.gradients(X, y, l2=0.7, l1=0.3, n_total=40, per_example=True)
    for a, b in zip(fast.parameters() + fast.deltas, slow.parameters() + slow.deltas):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
