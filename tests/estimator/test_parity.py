"""The estimators against MLPClassifier and MLPRegressor from identical initial weights: every
solver's run (weights, loss curve, epochs, rows seen) equals scikit-learn's to float64 round-off.

Both start from the same weights: scikit-learn's ``_init_coef`` (on the one instance) and
deltaprop's ``_sklearn_init`` (for the test) are replaced by functions that hand out the
same arrays. ``shuffle=False`` takes the rows in the same order, since the two
shuffle with different generators; the last batch of each epoch is smaller than the rest on
purpose (its penalty is α over its own size in both).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from scipy import sparse  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import deltaprop.estimator as estimator  # noqa: E402
from deltaprop.estimator import DeltaPropClassifier, DeltaPropRegressor  # noqa: E402

#: Round-off between two float64 runs of the same arithmetic in another order, after tens of steps.
RTOL, ATOL = 1e-9, 1e-12
#: L-BFGS's line searches amplify round-off: after 60 iterations the runs differ by ~1e-8 relative.
LBFGS_RTOL, LBFGS_ATOL = 1e-6, 1e-9


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X)[:300], (y[:300] - y.mean()) / y.std()


def first_weights(sizes, seed=0):
    """Glorot-uniform weights (n_in, n_out) and biases for every layer, as scikit-learn draws them."""
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        bound = np.sqrt(6 / (n_in + n_out))
        layers.append((rng.uniform(-bound, bound, (n_in, n_out)), rng.uniform(-bound, bound, n_out)))
    return layers


def same_first_weights(monkeypatch, theirs, sizes, seed=0):
    """Make ``theirs`` (an MLP*) and every DeltaProp* estimator fitted next start from the same weights."""
    layers = first_weights(sizes, seed)
    handed = iter(layers)
    theirs._init_coef = lambda fan_in, fan_out, dtype: tuple(a.copy() for a in next(handed))  # it trains them in place

    def write(net, rng, hidden):
        for W, b, (coef, intercept) in zip(net.weights, net.biases, layers):
            W[...], b[...] = coef.T, intercept

    monkeypatch.setattr(estimator, "_sklearn_init", write)


def fit_both(monkeypatch, theirs, ours, X, y, sizes, sample_weight=None, seed=0):
    """Fit MLP* and DeltaProp* from the same first weights; return both."""
    same_first_weights(monkeypatch, theirs, sizes, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y, sample_weight=sample_weight)
        ours.fit(X, y, sample_weight=sample_weight)
    return theirs, ours


def assert_same_run(theirs, ours, loss_curve=True, rtol=RTOL, atol=ATOL):
    assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    if loss_curve:
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=RTOL)
        assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=RTOL)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=rtol)


STOCHASTIC = {
    "sgd": dict(solver="sgd", momentum=0.0, learning_rate_init=0.05),
    "momentum": dict(solver="sgd", momentum=0.9, nesterovs_momentum=False, learning_rate_init=0.02),
    "nesterov": dict(solver="sgd", momentum=0.9, nesterovs_momentum=True, learning_rate_init=0.02),
    "invscaling": dict(solver="sgd", momentum=0.9, learning_rate="invscaling", power_t=0.25, learning_rate_init=0.1),
    "adaptive": dict(solver="sgd", momentum=0.5, learning_rate="adaptive", learning_rate_init=0.1, tol=1e-2, n_iter_no_change=2),
    "adam": dict(solver="adam", learning_rate_init=0.01),
}


@pytest.mark.parametrize("settings", STOCHASTIC.values(), ids=STOCHASTIC.keys())
def test_classifier_runs_equal_mlpclassifier(monkeypatch, iris, settings):
    X, y = iris
    common = dict(hidden_layer_sizes=(7, 5), activation="tanh", alpha=1e-3, batch_size=32, max_iter=25, shuffle=False, **settings)
    theirs, ours = fit_both(monkeypatch, MLPClassifier(**common), DeltaPropClassifier(**common), X, y, [4, 7, 5, 3])
    assert_same_run(theirs, ours)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.predict_log_proba(X), theirs.predict_log_proba(X), rtol=1e-9, atol=1e-12)


def test_adaptive_learning_rate_drops_and_stops_as_mlpclassifier(monkeypatch, iris):
    X, y = iris
    common = dict(hidden_layer_sizes=(6,), solver="sgd", learning_rate="adaptive", learning_rate_init=0.3, tol=0.05,
                  n_iter_no_change=1, batch_size=50, max_iter=200, shuffle=False)
    theirs, ours = fit_both(monkeypatch, MLPClassifier(**common), DeltaPropClassifier(**common), X, y, [4, 6, 3])
    assert theirs.n_iter_ < 200 and theirs._optimizer.learning_rate <= 1e-6  # it divided η by 5 down to the floor
    assert_same_run(theirs, ours)
    assert ours._optimizer.lr == theirs._optimizer.learning_rate


def test_tol_stops_both_at_the_same_epoch(monkeypatch, iris):
    X, y = iris
    common = dict(hidden_layer_sizes=(8,), solver="adam", learning_rate_init=0.01, tol=1e-2, n_iter_no_change=3,
                  batch_size=40, max_iter=300, shuffle=False)
    theirs, ours = fit_both(monkeypatch, MLPClassifier(**common), DeltaPropClassifier(**common), X, y, [4, 8, 3])
    assert theirs.n_iter_ < 300
    assert_same_run(theirs, ours)


def test_binary_multilabel_and_sample_weights_equal_mlpclassifier(monkeypatch, iris):
    X, y = iris
    w = np.random.default_rng(3).uniform(0.2, 3.0, len(X))
    common = dict(hidden_layer_sizes=(5,), activation="logistic", solver="adam", learning_rate_init=0.02, batch_size=64,
                  max_iter=15, shuffle=False)
    theirs, ours = fit_both(monkeypatch, MLPClassifier(**common), DeltaPropClassifier(**common), X, y == 1, [4, 5, 1], w)
    assert_same_run(theirs, ours)
    labels = np.column_stack([y == 0, y == 2, X[:, 0] > 0]).astype(int)
    theirs, ours = fit_both(monkeypatch, MLPClassifier(**common), DeltaPropClassifier(**common), X, labels, [4, 5, 3])
    assert_same_run(theirs, ours)


def test_sparse_input_runs_as_dense_and_as_mlpclassifier(monkeypatch, iris):
    X, y = iris
    X_sparse = sparse.csr_matrix(np.where(np.abs(X) < 0.7, 0.0, X))
    common = dict(hidden_layer_sizes=(6,), solver="adam", learning_rate_init=0.01, batch_size=32, max_iter=10, shuffle=False)
    theirs, ours = fit_both(monkeypatch, MLPClassifier(**common), DeltaPropClassifier(**common), X_sparse, y, [4, 6, 3])
    assert_same_run(theirs, ours)
    _, dense = fit_both(monkeypatch, MLPClassifier(**common), DeltaPropClassifier(**common), X_sparse.toarray(), y, [4, 6, 3])
    for a, b in zip(ours.coefs_, dense.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.predict_proba(X_sparse.tocsc()), dense.predict_proba(X_sparse.toarray()), rtol=1e-12)


def test_lbfgs_classifier_equals_mlpclassifier(monkeypatch, iris):
    X, y = iris
    common = dict(hidden_layer_sizes=(6,), solver="lbfgs", alpha=1e-2, max_iter=60)
    theirs, ours = fit_both(monkeypatch, MLPClassifier(**common), DeltaPropClassifier(**common), X, y, [4, 6, 3])
    assert_same_run(theirs, ours, loss_curve=False, rtol=LBFGS_RTOL, atol=LBFGS_ATOL)  # MLPClassifier keeps no loss curve for lbfgs


@pytest.mark.parametrize("settings", STOCHASTIC.values(), ids=STOCHASTIC.keys())
def test_regressor_runs_equal_mlpregressor(monkeypatch, diabetes, settings):
    X, y = diabetes
    common = dict(hidden_layer_sizes=(9,), alpha=1e-2, batch_size=64, max_iter=20, shuffle=False, **settings)
    theirs, ours = fit_both(monkeypatch, MLPRegressor(**common), DeltaPropRegressor(**common), X, y, [10, 9, 1])
    assert_same_run(theirs, ours)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9, atol=1e-12)


def test_lbfgs_regressor_with_sample_weights_and_max_fun_equals_mlpregressor(monkeypatch, diabetes):
    X, y = diabetes
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(X))
    common = dict(hidden_layer_sizes=(8,), solver="lbfgs", alpha=1e-2, max_iter=80)
    theirs, ours = fit_both(monkeypatch, MLPRegressor(**common), DeltaPropRegressor(**common), X, y, [10, 8, 1], w)
    assert theirs.n_iter_ > 30  # tol is gtol alone: no early stop on a small decrease of the loss
    assert_same_run(theirs, ours, loss_curve=False, rtol=LBFGS_RTOL, atol=LBFGS_ATOL)
    few = dict(common, max_fun=8)
    theirs, ours = fit_both(monkeypatch, MLPRegressor(**few), DeltaPropRegressor(**few), X, y, [10, 8, 1])
    assert theirs.n_iter_ <= 8  # max_fun ran out, long before max_iter
    assert_same_run(theirs, ours, loss_curve=False, rtol=LBFGS_RTOL, atol=LBFGS_ATOL)


def test_poisson_regressor_equals_mlpregressor(monkeypatch, diabetes):
    X, _ = diabetes
    counts = np.random.default_rng(2).poisson(np.exp(0.5 * X[:, 2] + 0.3 * X[:, 3]))
    for solver in ("adam", "lbfgs"):
        common = dict(loss="poisson", hidden_layer_sizes=(6,), solver=solver, learning_rate_init=0.01, batch_size=50,
                      max_iter=20, shuffle=False)
        theirs, ours = fit_both(monkeypatch, MLPRegressor(**common), DeltaPropRegressor(**common), X, counts, [10, 6, 1])
        assert ours.out_activation_ == theirs.out_activation_ == "exp"
        lbfgs = solver == "lbfgs"
        assert_same_run(theirs, ours, not lbfgs, LBFGS_RTOL if lbfgs else RTOL, LBFGS_ATOL if lbfgs else ATOL)
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9)


def test_partial_fit_calls_equal_mlpclassifiers(monkeypatch, iris):
    X, y = iris
    common = dict(hidden_layer_sizes=(6,), solver="sgd", momentum=0.9, learning_rate="invscaling", learning_rate_init=0.2,
                  batch_size=20, shuffle=False)
    theirs, ours = MLPClassifier(**common), DeltaPropClassifier(**common)
    same_first_weights(monkeypatch, theirs, [4, 6, 3])
    for chunk in np.array_split(np.arange(len(X)), 4):  # each call: one epoch over its chunk, the optimizer kept
        theirs.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
        ours.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
    assert_same_run(theirs, ours)


def test_two_output_regressor_takes_mlpregressors_steps(monkeypatch, diabetes):
    """MLPRegressor reports its squared loss divided by the number of outputs but descends the
    undivided one: the weights agree, and our loss is the one descended."""
    X, y = diabetes
    Y = np.column_stack([y, X[:, 0] * X[:, 1]])
    common = dict(hidden_layer_sizes=(7,), solver="adam", learning_rate_init=0.01, alpha=0.0, batch_size=60, max_iter=10, shuffle=False)
    theirs, ours = fit_both(monkeypatch, MLPRegressor(**common), DeltaPropRegressor(**common), X, Y, [10, 7, 2])
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours.loss_curve_, 2 * np.asarray(theirs.loss_curve_), rtol=RTOL)  # α = 0: the data term alone
