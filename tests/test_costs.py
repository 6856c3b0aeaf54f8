"""Costs: values by hand, ∇_a C by differences, BP1's short cut equal to its general form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltaprop.activations import exp, identity, sigmoid, softmax, tanh
from deltaprop.costs import COSTS, cross_entropy, get_cost, log_likelihood, poisson, quadratic

MATCHED = [(cross_entropy, sigmoid), (log_likelihood, softmax), (quadratic, identity), (poisson, exp)]


def test_values_by_hand():
    a = np.array([[0.8, 0.2], [0.4, 0.6]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    # mean over the two examples of ½‖a − y‖²: (0.04 + 0.04)/2 and (0.16 + 0.16)/2
    assert quadratic.value(a, y) == pytest.approx((0.04 + 0.16) / 2)
    assert cross_entropy.value(a, y) == pytest.approx(-(2 * np.log(0.8) + 2 * np.log(0.6)) / 2)
    assert log_likelihood.value(a, y) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)


@pytest.mark.parametrize("cost", list(COSTS.values()), ids=lambda c: c.name)
@given(st.integers(0, 2**32 - 1))
def test_grad_a_matches_central_difference(cost, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.05, 0.95, (1, 4))
    y = rng.dirichlet(np.ones(4))[None, :]
    h = 1e-6
    numerical = np.array([(cost.value(a + h * e, y) - cost.value(a - h * e, y)) / (2 * h) for e in np.eye(4)])
    np.testing.assert_allclose(cost.grad_a(a, y)[0], numerical, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("cost,act", MATCHED, ids=lambda o: o.name)
@given(st.integers(0, 2**32 - 1))
def test_short_cut_equals_general_bp1(cost, act, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 3, (5, 3))
    a = act.f(z)
    y = rng.dirichlet(np.ones(3), 5) if cost is log_likelihood else rng.uniform(0, 1, (5, 3))
    if cost is poisson:
        y = rng.poisson(2.0, (5, 3)).astype(float)  # counts, zeros among them
    general = act.backward(z, a, cost.grad_a(a, y))  # ∇_a C ⊙ σ'(z^L), Jacobian for softmax
    np.testing.assert_allclose(cost.delta(z, a, y, act), a - y)
    np.testing.assert_allclose(general, a - y, rtol=1e-9, atol=1e-12)


def test_unmatched_pair_takes_the_general_form():
    z = np.array([[0.3, -1.2]])
    a, y = tanh.f(z), np.array([[0.5, -0.5]])
    np.testing.assert_allclose(quadratic.delta(z, a, y, tanh), (a - y) * (1 - a**2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_outputs_give_finite_cost_and_gradient(dtype):
    a = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)
    y = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=dtype)
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        for cost in (cross_entropy, log_likelihood):
            value = cost.value(a, y)
            assert np.isfinite(value) and value > 10  # large, never log(0) = inf
            assert np.isfinite(cost.grad_a(a, y)).all()


def test_registry_lookup():
    assert get_cost("quadratic") is quadratic
    with pytest.raises(ValueError, match="cost 'hinge' is unknown; choose one of quadratic, cross_entropy, log_likelihood"):
        get_cost("hinge")


def test_poisson_is_half_the_deviance_and_zero_at_a_equal_y():
    a = np.array([[2.0, 0.5], [1.0, 3.0]])
    y = np.array([[1.0, 0.0], [1.0, 3.0]])
    # row 1: 1·ln(1/2) − 1 + 2 and 0 − 0 + 0.5; row 2: a = y, 0
    assert poisson.value(a, y) == pytest.approx((np.log(0.5) + 1 + 0.5) / 2)
    assert poisson.value(y + (y == 0), y + (y == 0)) == 0.0
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        assert np.isfinite(poisson.value(np.array([[0.0, 1e300]]), np.array([[2.0, 0.0]])))


def test_poisson_network_passes_the_gradient_check():
    import deltaprop as dp

    rng = np.random.default_rng(0)
    net = dp.Network([3, 5, 2], activation="tanh", output="exp", cost="poisson", seed=0, dtype="float64")
    X = rng.standard_normal((9, 3))
    y = rng.poisson(1.5, (9, 2)).astype(float)
    assert dp.check_gradients(net, X, y, l2=0.3).passed(1e-7)
