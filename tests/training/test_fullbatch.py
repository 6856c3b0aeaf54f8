"""Full-batch training: the gradient SciPy receives is the derivative of the cost it receives;
L-BFGS learns digits; CG lowers the cost at every iteration; the network is written back in
place; bad input is refused before any work."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.training.fullbatch import fit_full_batch

pytest.importorskip("scipy")


@pytest.fixture(scope="module")
def digits():
    return dp.datasets.load("digits")


def small_problem(dtype="float64"):
    rng = np.random.default_rng(3)
    net = dp.Network([4, 5, 3], activation="tanh", output="softmax", cost="log_likelihood", dtype=dtype, seed=2)
    return net, rng.standard_normal((13, 4)), rng.integers(0, 3, 13)


def captured_objective(monkeypatch, net, X, y, l2):
    """Run fit_full_batch with scipy.optimize.minimize replaced; return what it was handed."""
    import scipy.optimize

    handed = {}

    def fake_minimize(fun, x0, **kwargs):
        handed.update(fun=fun, x0=x0.copy(), **kwargs)
        return scipy.optimize.OptimizeResult(x=x0, nit=0, nfev=0, message="captured", success=False)

    monkeypatch.setattr(scipy.optimize, "minimize", fake_minimize)
    fit_full_batch(net, X, y, l2=l2)
    return handed


def test_scipy_gets_the_regularised_cost_and_its_exact_gradient(monkeypatch):
    net, X, y = small_problem()
    original = [p.copy() for p in net.parameters()]
    handed = captured_objective(monkeypatch, net, X, y, l2=0.7)
    assert handed["jac"] is True and handed["method"] == "L-BFGS-B"
    theta0 = handed["x0"]
    assert theta0.dtype == np.float64 and theta0.shape == (4 * 5 + 5 + 5 * 3 + 3,)
    np.testing.assert_array_equal(theta0, np.concatenate([p.ravel() for p in original]))  # W0, b0, W1, b1

    rng = np.random.default_rng(0)
    theta = theta0 + 0.3 * rng.standard_normal(theta0.shape)
    cost, grad = handed["fun"](theta)
    assert grad.dtype == np.float64 and grad.shape == theta.shape
    # the objective wrote θ into the network: its cost is the network's regularised cost there
    assert cost == pytest.approx(net.cost(X, y, l2=0.7), rel=1e-15)
    # central differences of the same objective, coordinate by coordinate
    h = 1e-6
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        numeric[i] = (handed["fun"](theta + step)[0] - handed["fun"](theta - step)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    # and the regularisation is in it: without l2 the gradient differs by (λ/n) W
    net_plain, _, _ = small_problem()
    plain = captured_objective(monkeypatch, net_plain, X, y, l2=0.0)["fun"](theta)[1]
    weights = np.zeros_like(theta)
    weights[:20], weights[25:40] = theta[:20], theta[25:40]
    np.testing.assert_allclose(grad - plain, 0.7 / 13 * weights, rtol=1e-9, atol=1e-14)


def test_lbfgs_learns_digits(digits):
    (X, y), (X_test, y_test) = digits
    net = dp.Network([64, 30, 10], activation="sigmoid", output="softmax", cost="log_likelihood", dtype="float64", seed=0)
    result = fit_full_batch(net, X, y, method="L-BFGS-B", l2=1.0, max_iter=60)
    assert net.accuracy(X_test, y_test) >= 0.95
    assert result.iterations == len(result.costs) - 1 and 0 < result.iterations <= 60
    assert result.evaluations >= result.iterations
    assert result.costs[0] == pytest.approx(dp.Network([64, 30, 10], output="softmax", cost="log_likelihood", dtype="float64", seed=0).cost(X, y, l2=1.0))
    assert isinstance(result.cost, float) and result.cost == result.costs[-1]
    assert result.cost == pytest.approx(net.cost(X, y, l2=1.0), rel=1e-12)
    assert result.cost < result.costs[0] / 5
    assert isinstance(result.message, str) and result.message


def test_cg_lowers_the_cost_at_every_iteration(digits):
    (X, y), _ = digits
    X, y = X[:400], y[:400]
    net = dp.Network([64, 20, 10], activation="sigmoid", output="sigmoid", cost="cross_entropy", dtype="float64", seed=1)
    result = fit_full_batch(net, X, y, method="CG", l2=1.0, max_iter=40)
    costs = np.array(result.costs)
    assert len(costs) == result.iterations + 1
    assert np.all(np.diff(costs) <= 1e-12 * costs[:-1])  # a Wolfe line search accepts only decreases
    assert costs[-1] < costs[0] / 5
    assert costs[-1] == pytest.approx(net.cost(X, y, l2=1.0), rel=1e-12)


def test_writes_back_in_place_in_the_networks_dtype():
    net, X, y = small_problem(dtype="float32")
    arrays = net.parameters()
    before = [p.copy() for p in arrays]
    result = fit_full_batch(net, X, y, max_iter=20)
    assert all(a is b for a, b in zip(arrays, net.parameters()))
    assert all(p.dtype == np.float32 for p in arrays)
    assert any(not np.array_equal(p, b) for p, b in zip(arrays, before))
    assert result.cost == result.costs[-1] < result.costs[0]
    assert net.cost(X, y) == pytest.approx(result.cost, rel=1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "BFGS"}, "method must be one of 'L-BFGS-B', 'CG'; got 'BFGS'"),
        ({"method": "lbfgs"}, "method must be one of 'L-BFGS-B', 'CG'; got 'lbfgs'"),
        ({"max_iter": 0}, "max_iter must be a positive integer; got 0"),
        ({"tol": -1.0}, "tol must be a finite number ≥ 0; got -1.0"),
        ({"tol": float("nan")}, "tol must be a finite number ≥ 0; got nan"),
        ({"max_fun": 0}, "max_fun must be a positive integer; got 0"),
        ({"sample_weight": -np.ones(13)}, "sample_weight must be finite and ≥ 0, with a positive sum"),
        ({"l2": -1.0}, "l2 must be a finite number ≥ 0; got -1.0"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    net, X, y = small_problem()
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match=re.escape(message)):
        fit_full_batch(net, X, y, **kwargs)
    assert all(np.array_equal(p, b) for p, b in zip(net.parameters(), before))


def test_bad_data_is_refused():
    net, X, y = small_problem()
    X[2, 1] = np.nan
    with pytest.raises(ValueError, match=re.escape("X contains NaN, inf or a value beyond float64 (first at row 2, column 1)")):
        fit_full_batch(net, X, y)
    with pytest.raises(ValueError, match="labels must be integers in \\[0, 3\\)"):
        fit_full_batch(net, np.zeros((13, 4)), np.full(13, 3))


def test_missing_scipy_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    net, X, y = small_problem()
    with pytest.raises(ImportError, match=re.escape("full-batch training needs SciPy: pip install deltaprop[scipy]")):
        fit_full_batch(net, X, y)


def test_a_non_finite_end_keeps_the_starting_parameters(monkeypatch):
    """If the optimizer ends on NaN or inf, the network keeps its starting parameters and the
    result says so (issue 5: divergence leaves finite weights)."""
    import scipy.optimize

    net, X, y = small_problem()
    start = [p.copy() for p in net.parameters()]

    def diverging_minimize(fun, x0, **kwargs):
        return scipy.optimize.OptimizeResult(x=np.full_like(x0, np.nan), nit=3, nfev=4, message="diverged", success=True)

    monkeypatch.setattr(scipy.optimize, "minimize", diverging_minimize)
    result = fit_full_batch(net, X, y)
    assert result.success is False
    assert result.cost == result.costs[0] == pytest.approx(net.cost(X, y), rel=1e-6)  # J of the parameters kept
    assert result.message == "the cost or a parameter became NaN or infinite (diverged); the network keeps its starting parameters"
    for p, s in zip(net.parameters(), start):
        np.testing.assert_array_equal(p, s)


def test_tol_is_the_gradient_tolerance_alone(monkeypatch):
    """SciPy's ``tol`` would also set L-BFGS-B's ftol and stop on the first small relative
    decrease of J; only ``gtol`` is set, as scikit-learn's MLP sets it."""
    handed = captured_objective(monkeypatch, *small_problem(), l2=0.0)
    assert "tol" not in handed and handed["options"] == {"maxiter": 200, "gtol": 1e-6, "maxfun": 15000}


def test_a_smooth_regression_runs_on_to_a_small_cost():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2))
    Y = np.column_stack([np.sin(3 * X[:, 0]), X[:, 0] * X[:, 1]])
    net = dp.Network([2, 20, 2], activation="tanh", output="identity", cost="quadratic", dtype="float64", seed=0)
    result = fit_full_batch(net, X, Y, max_iter=300, tol=1e-4)
    assert result.iterations > 100 and result.cost < 0.01 * result.costs[0]  # ftol=tol stopped it after 1 or 2


def test_max_fun_bounds_the_evaluations():
    net, X, y = small_problem()
    result = fit_full_batch(net, X, y, max_fun=6)
    assert not result.success and result.evaluations <= 7 and "F,G EVALUATIONS EXCEEDS LIMIT" in result.message


def test_sample_weight_two_is_the_row_twice_and_sparse_x_is_dense_x():
    sparse = pytest.importorskip("scipy.sparse")
    net, X, y = small_problem()
    w = np.where(np.arange(13) < 4, 2.0, 1.0)
    weighted, twice = net.copy(), net.copy()
    fit_full_batch(weighted, X, y, l2=0.5, max_iter=20, sample_weight=w)
    fit_full_batch(twice, np.vstack([X, X[:4]]), np.concatenate([y, y[:4]]), l2=0.5, max_iter=20)
    for a, b in zip(weighted.parameters(), twice.parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)
    X[np.abs(X) < 0.8] = 0.0
    dense, thin = net.copy(), net.copy()
    fit_full_batch(dense, X, y, max_iter=20)
    fit_full_batch(thin, sparse.csr_matrix(X), y, max_iter=20)
    for a, b in zip(dense.parameters(), thin.parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
