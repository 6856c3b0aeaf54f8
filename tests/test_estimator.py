"""DeltaPropClassifier / DeltaPropRegressor: scikit-learn's own estimator checks, pipelines and
search, alpha → λ against MLPClassifier's step, weights, partial_fit, stopping, errors."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import deltaprop as dp  # noqa: E402
from deltaprop.estimator import DeltaPropClassifier, DeltaPropRegressor  # noqa: E402

IGNORE_CONVERGENCE = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    return dp.datasets.load("digits")


@pytest.fixture(scope="module")
def small_digits(digits):
    (X, y), (X_test, y_test) = digits
    return X[:500].astype(np.float64), y[:500], X_test.astype(np.float64), y_test


# ---------------------------------------------------------------- scikit-learn's checks
@IGNORE_CONVERGENCE  # the checks fit with a small max_iter on purpose
@parametrize_with_checks(
    [
        DeltaPropClassifier(max_iter=100),
        DeltaPropClassifier(
            hidden_layer_sizes=(16, 8), activation=["tanh", "logistic"], solver="sgd", learning_rate_init=0.05, max_iter=100
        ),
        DeltaPropRegressor(max_iter=100),
        DeltaPropClassifier((10,), solver="lbfgs", max_iter=50),
        DeltaPropRegressor(solver="sgd", learning_rate="adaptive", target_scaling=True, max_iter=100),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_import_deltaprop_does_not_import_sklearn():
    code = "import sys, deltaprop\nassert 'sklearn' not in sys.modules and 'deltaprop.estimator' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- in scikit-learn's tools
@IGNORE_CONVERGENCE
def test_pipeline_grid_search_and_cross_val_score_on_digits(digits):
    (X, y), (X_test, y_test) = digits
    pipe = Pipeline([("scale", StandardScaler()), ("clf", DeltaPropClassifier((32,), learning_rate_init=0.01, max_iter=30, random_state=0))])
    scores = cross_val_score(pipe, X[:900], y[:900], cv=3)
    assert scores.shape == (3,) and scores.min() > 0.9
    grid = {"clf__alpha": [1e-4, 1.0], "clf__learning_rate_init": [3e-3, 1e-2]}
    search = GridSearchCV(pipe, grid, cv=StratifiedKFold(3, shuffle=True, random_state=0)).fit(X[:900], y[:900])
    assert len(search.cv_results_["params"]) == 4 and np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_score_ > 0.9 and search.score(X_test, y_test) > 0.9
    assert search.best_estimator_.named_steps["clf"].n_features_in_ == 64


def test_clone_round_trips_parameters_and_forgets_the_fit(small_digits):
    X, y, _, _ = small_digits
    est = DeltaPropClassifier(
        (20, 10), ["tanh", "relu"], out_activation="softmax", cost="quadratic", solver="sgd", alpha=0.01,
        batch_size=32, max_iter=2, random_state=5, dropout=0.2, init="he", dtype="float32", class_weight={0: 2.0},
    )
    copy = clone(est)
    assert copy.get_params() == est.get_params() and copy is not est
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    refit = clone(est)
    assert not hasattr(refit, "network_") and refit.get_params() == est.get_params()
    with pytest.warns(ConvergenceWarning):
        refit.fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, refit.coefs_ + refit.intercepts_):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- fitted attributes
@IGNORE_CONVERGENCE
def test_coefs_are_views_of_the_transposed_weights(small_digits):
    X, y, _, _ = small_digits
    est = DeltaPropClassifier((30, 20), max_iter=2, random_state=0).fit(X, y)
    net = est.network_
    assert [c.shape for c in est.coefs_] == [(64, 30), (30, 20), (20, 10)]
    for i, (coef, intercept) in enumerate(zip(est.coefs_, est.intercepts_)):
        np.testing.assert_array_equal(coef, net.weights[i].T)
        assert np.shares_memory(coef, net.weights[i]) and intercept is net.biases[i]
    assert (est.n_layers_, est.n_outputs_, est.out_activation_, est.n_features_in_) == (4, 10, "softmax", 64)
    assert est.classes_.tolist() == list(range(10)) and est.t_ == 2 * len(X) and est.n_iter_ == 2
    assert net.dtype == np.float64 and net.cost_function.name == "log_likelihood"
    assert DeltaPropClassifier(max_iter=1).fit(X.astype(np.float32), y).network_.dtype == np.float32
    assert DeltaPropClassifier(max_iter=1, dtype="float32").fit(X, y).network_.dtype == np.float32


@IGNORE_CONVERGENCE
def test_predict_proba_rows_sum_to_one_and_predict_is_their_argmax(small_digits):
    X, y, X_test, _ = small_digits
    est = DeltaPropClassifier((30,), max_iter=10, random_state=0).fit(X, y)
    proba = est.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(est.predict(X_test), est.classes_[proba.argmax(axis=1)])
    binary = DeltaPropClassifier((30,), max_iter=10, random_state=0).fit(X, y == 3)
    p = binary.predict_proba(X_test)
    assert binary.n_outputs_ == 1 and p.shape == (len(X_test), 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(binary.predict(X_test), p[:, 1] >= 0.5)
    two_units = DeltaPropClassifier((30,), out_activation="softmax", max_iter=10, random_state=0).fit(X, y == 3)
    assert two_units.n_outputs_ == 2 and two_units.score(X_test, small_digits[3] == 3) > 0.9


@IGNORE_CONVERGENCE
def test_deterministic_given_random_state(small_digits):
    X, y, _, _ = small_digits
    fits = [DeltaPropClassifier((16,), max_iter=3, random_state=seed, dropout=0.1).fit(X, y) for seed in (7, 7, 8)]
    for a, b in zip(fits[0].coefs_, fits[1].coefs_):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(fits[0].coefs_[0], fits[2].coefs_[0])


# ---------------------------------------------------------------- the alpha → λ mapping
@pytest.mark.parametrize("batch_size", [10, 40])
@IGNORE_CONVERGENCE
def test_alpha_shrinks_weights_as_mlpclassifier_does(batch_size):
    """With X = 0 the data term of ∂C/∂W⁰ vanishes, so one SGD epoch multiplies the first
    layer's weights by (1 − η α/m)^(n/m) in MLPClassifier; deltaprop's λ = α n/m must match."""
    n, eta, alpha = 40, 0.1, 0.5
    X, y = np.zeros((n, 5)), np.arange(n) % 2
    factor = (1 - eta * alpha / batch_size) ** (n // batch_size)
    settings = dict(solver="sgd", momentum=0.0, learning_rate_init=eta, alpha=alpha, batch_size=batch_size, max_iter=1)
    for est in (DeltaPropClassifier((4,), random_state=0, **settings), MLPClassifier((4,), random_state=0, **settings)):
        est.fit(X, y)
        before = est.coefs_[0].copy()
        est.set_params(warm_start=True).fit(X, y)
        np.testing.assert_allclose(est.coefs_[0], factor * before, rtol=1e-12)


def test_sample_weight_two_equals_duplicating_rows():
    """Full-batch SGD: weight 2 on a row is the row twice, penalty included (λ = α n / (m w̄))."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 4)), rng.integers(0, 3, 30)
    w = np.where(np.arange(30) < 10, 2.0, 1.0)
    X_dup, y_dup = np.vstack([X, X[:10]]), np.concatenate([y, y[:10]])
    settings = dict(solver="sgd", momentum=0.0, learning_rate_init=0.3, alpha=0.5, max_iter=3, tol=0.0, random_state=1)
    with pytest.warns(ConvergenceWarning):
        weighted = DeltaPropClassifier((6,), batch_size=30, **settings).fit(X, y, sample_weight=w)
    with pytest.warns(ConvergenceWarning):
        duplicated = DeltaPropClassifier((6,), batch_size=40, **settings).fit(X_dup, y_dup)
    for a, b in zip(weighted.coefs_ + weighted.intercepts_, duplicated.coefs_ + duplicated.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(weighted.loss_curve_, duplicated.loss_curve_, rtol=1e-10)


def test_loss_curve_is_each_epochs_mean_batch_loss_with_its_penalty():
    """One batch per epoch: loss_curve_[k] is the cost, penalty α/(2n) Σ‖W‖² included, at the
    weights before epoch k's step, which a run of k epochs ends with."""
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (90, 2))
    y = np.column_stack([np.sin(3 * X[:, 0]), X[:, 0] * X[:, 1]])
    settings = dict(hidden_layer_sizes=(12,), alpha=0.3, batch_size=90, random_state=0)
    with pytest.warns(ConvergenceWarning):
        est = DeltaPropRegressor(max_iter=4, **settings).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        three = DeltaPropRegressor(max_iter=3, **settings).fit(X, y)
    assert est.loss_curve_[:3] == three.loss_curve_
    assert est.loss_ == est.loss_curve_[-1] == pytest.approx(three.network_.cost(X, y, l2=0.3), rel=1e-12)
    assert est.best_loss_ == min(est.loss_curve_)


# ---------------------------------------------------------------- class and sample weights
def _overlapping_classes(seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0.0, 1.0, (900, 2)), rng.normal(1.2, 1.0, (100, 2))])
    return X, np.repeat(["common", "rare"], [900, 100])


@IGNORE_CONVERGENCE
def test_class_weight_balanced_raises_recall_of_the_rare_class():
    X, y = _overlapping_classes()
    settings = dict(hidden_layer_sizes=(8,), max_iter=40, learning_rate_init=0.01, random_state=0)
    plain = DeltaPropClassifier(**settings).fit(X, y)
    balanced = DeltaPropClassifier(class_weight="balanced", **settings).fit(X, y)
    rare = y == "rare"
    recall_plain, recall_balanced = (np.mean(m.predict(X)[rare] == "rare") for m in (plain, balanced))
    assert recall_plain < 0.3 and recall_balanced > recall_plain + 0.3
    assert balanced.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean()


@IGNORE_CONVERGENCE
def test_class_weight_dict_is_a_sample_weight_per_class():
    X, y = _overlapping_classes(1)
    settings = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0, dtype="float64")
    by_class = DeltaPropClassifier(class_weight={"rare": 3.0}, **settings).fit(X, y, sample_weight=np.full(len(y), 0.5))
    by_row = DeltaPropClassifier(**settings).fit(X, y, sample_weight=np.where(y == "rare", 1.5, 0.5))
    for a, b in zip(by_class.coefs_, by_row.coefs_):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- partial_fit, warm start, order
def test_partial_fit_sequence_equals_fit(small_digits):
    X, y, _, _ = small_digits
    settings = dict(hidden_layer_sizes=(16,), batch_size=64, random_state=3)
    with pytest.warns(ConvergenceWarning):
        whole = DeltaPropClassifier(max_iter=4, **settings).fit(X, y)
    steps = DeltaPropClassifier(**settings)
    for _ in range(4):
        steps.partial_fit(X, y, classes=np.arange(10))
    for a, b in zip(whole.coefs_ + whole.intercepts_, steps.coefs_ + steps.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert steps.loss_curve_ == whole.loss_curve_ and steps.t_ == whole.t_ == 4 * len(X) and steps.n_iter_ == 1
    with pytest.raises(ValueError, match=re.escape("y has classes [10] that are not in classes_")):
        steps.partial_fit(X[:3], [1, 2, 10])


def test_partial_fit_learns_from_chunks_with_string_labels(small_digits):
    X, y, X_test, y_test = small_digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    est = DeltaPropClassifier((32,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call to partial_fit"):
        est.partial_fit(X, names[y])
    for epoch in range(5):
        for chunk in np.array_split(np.arange(len(X)), 5):
            est.partial_fit(X[chunk], names[y[chunk]], classes=names)
    assert set(est.predict(X_test)) <= set(names) and est.score(X_test, names[y_test]) > 0.85


@IGNORE_CONVERGENCE
def test_string_labels_fit_as_their_codes(small_digits):
    X, y, X_test, _ = small_digits
    labels = np.array([f"digit {i}" for i in range(10)])  # sorted as 0 … 9
    codes = DeltaPropClassifier((16,), max_iter=3, random_state=0).fit(X, y)
    named = DeltaPropClassifier((16,), max_iter=3, random_state=0).fit(X, labels[y])
    np.testing.assert_array_equal(named.predict_proba(X_test), codes.predict_proba(X_test))
    np.testing.assert_array_equal(named.predict(X_test), labels[codes.predict(X_test)])
    assert named.classes_.tolist() == labels.tolist()


@IGNORE_CONVERGENCE
def test_warm_start_continues_the_network(small_digits):
    X, y, _, _ = small_digits
    est = DeltaPropClassifier((16,), max_iter=3, random_state=0, warm_start=True).fit(X, y)
    first = est.coefs_[0].copy()
    est.fit(X, y)
    assert len(est.loss_curve_) == 6 and est.t_ == 6 * len(X) and est.n_iter_ == 3
    fresh = DeltaPropClassifier((16,), max_iter=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(fresh.coefs_[0], first)
    assert not np.array_equal(est.coefs_[0], first)
    with pytest.raises(ValueError, match=re.escape("warm_start needs y with the classes of the previous fit")):
        est.fit(X[y < 5], y[y < 5])


@IGNORE_CONVERGENCE
def test_shuffle_false_takes_the_rows_in_order():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((40, 3)), rng.integers(0, 2, 40)
    settings = dict(solver="sgd", momentum=0.0, learning_rate_init=0.2, alpha=0.1, batch_size=7, max_iter=2, random_state=9)
    est = DeltaPropClassifier((5,), activation="tanh", shuffle=False, init="xavier", **settings).fit(X, y)
    net = dp.Network([3, 5, 1], activation="tanh", output="sigmoid", cost="cross_entropy", init="xavier",
                     seed=np.random.default_rng(9), dtype="float64")
    Y, optimizer = net.targets(y, 40), dp.SGD(lr=0.2)
    for _ in range(2):
        for first in range(0, 40, 7):  # the last batch has 5 rows, and its own penalty α/(2·5) Σ‖W‖²
            grads = dp.backprop(net, X[first : first + 7], Y[first : first + 7], dp.Penalty(l2=0.1, n=len(X[first : first + 7])))
            optimizer.step(net.parameters(), grads.parameters())
    for a, b in zip(est.network_.parameters(), net.parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    shuffled = DeltaPropClassifier((5,), activation="tanh", **settings).fit(X, y)
    assert not np.allclose(shuffled.coefs_[0], est.coefs_[0])


# ---------------------------------------------------------------- stopping
def _stops_like_sklearn(values, tol, patience, higher_is_better):
    """Replay MLPClassifier's counter; return the epoch (from 1) at which it stops, or None."""
    best, count = (-np.inf, 0) if higher_is_better else (np.inf, 0)
    for epoch, v in enumerate(values, 1):
        improved = v >= best + tol if higher_is_better else v <= best - tol
        best = max(best, v) if higher_is_better else min(best, v)
        count = 0 if improved else count + 1
        if count > patience:
            return epoch
    return None


def test_tol_stops_on_the_training_loss(small_digits, capsys):
    X, y, _, _ = small_digits
    est = DeltaPropClassifier((16,), tol=0.05, n_iter_no_change=2, max_iter=100, random_state=0, verbose=True)
    est.fit(X, y)  # no ConvergenceWarning: it stopped
    assert est.n_iter_ < 100 and len(est.loss_curve_) == est.n_iter_
    assert _stops_like_sklearn(est.loss_curve_, 0.05, 2, higher_is_better=False) == est.n_iter_
    assert est.best_loss_ == min(est.loss_curve_) and est.validation_scores_ is None
    out, err = capsys.readouterr()
    lines = [f"Iteration {k}, loss = {loss:.8f}" for k, loss in enumerate(est.loss_curve_, 1)]
    stop = "Training loss did not improve more than tol=0.050000 for 2 consecutive epochs. Stopping."
    assert out == "\n".join([*lines, stop]) + "\n" and err == ""  # MLPClassifier's lines


def test_early_stopping_keeps_the_best_validation_weights(small_digits):
    X, y, _, _ = small_digits
    settings = dict(hidden_layer_sizes=(16,), early_stopping=True, n_iter_no_change=3, learning_rate_init=0.02, random_state=0)
    est = DeltaPropClassifier(max_iter=200, **settings).fit(X, y)
    scores = est.validation_scores_
    assert est.n_iter_ < 200 and len(scores) == est.n_iter_ and est.best_loss_ is None
    assert _stops_like_sklearn(scores, 1e-4, 3, higher_is_better=True) == est.n_iter_
    assert est.best_validation_score_ == max(scores)
    best_epoch = int(np.argmax(scores)) + 1  # the same run cut at its best epoch ends with those weights
    with pytest.warns(ConvergenceWarning):
        short = DeltaPropClassifier(max_iter=best_epoch, **settings).fit(X, y)
    for a, b in zip(est.coefs_, short.coefs_):
        np.testing.assert_array_equal(a, b)


def test_regressor_early_stopping_scores_r2():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 1))
    est = DeltaPropRegressor((16,), early_stopping=True, learning_rate_init=0.03, max_iter=300, random_state=1)
    est.fit(X, np.sin(3 * X[:, 0]))
    assert est.n_iter_ < 300 and max(est.validation_scores_) == est.best_validation_score_ > 0.9


def test_convergence_warning_when_max_iter_runs_out(small_digits):
    X, y, _, _ = small_digits
    with pytest.warns(ConvergenceWarning, match=re.escape("DeltaPropClassifier: max_iter=2 epochs reached")):
        DeltaPropClassifier((8,), max_iter=2, random_state=0).fit(X, y)


@IGNORE_CONVERGENCE
def test_batch_size_beyond_the_rows_is_clipped_with_a_warning(small_digits):
    X, y, _, _ = small_digits
    with pytest.warns(UserWarning, match=re.escape("batch_size=100 is larger than the 50 training rows; using 50")):
        clipped = DeltaPropClassifier((8,), batch_size=100, max_iter=2, random_state=0).fit(X[:50], y[:50])
    exact = DeltaPropClassifier((8,), batch_size=50, max_iter=2, random_state=0).fit(X[:50], y[:50])
    np.testing.assert_array_equal(clipped.coefs_[0], exact.coefs_[0])


# ---------------------------------------------------------------- other targets and solvers
@IGNORE_CONVERGENCE
def test_multilabel_uses_sigmoid_outputs_and_cross_entropy(small_digits):
    X, y, X_test, y_test = small_digits
    labels = lambda d: np.column_stack([d % 2 == 0, d > 4, d == 0]).astype(int)  # noqa: E731
    est = DeltaPropClassifier((32,), max_iter=30, learning_rate_init=0.01, random_state=0).fit(X, labels(y))
    assert (est.out_activation_, est.network_.cost_function.name, est.n_outputs_) == ("sigmoid", "cross_entropy", 3)
    proba = est.predict_proba(X_test)
    assert proba.shape == (len(X_test), 3) and ((0 <= proba) & (proba <= 1)).all()
    np.testing.assert_array_equal(est.predict(X_test), (proba >= 0.5).astype(int))
    assert est.score(X_test, labels(y_test)) > 0.8  # all three labels right
    with pytest.raises(ValueError, match=re.escape("out_activation='softmax' makes the classes exclusive")):
        DeltaPropClassifier(out_activation="softmax").fit(X, labels(y))
    with pytest.raises(ValueError, match=re.escape("class_weight needs single-label y")):
        DeltaPropClassifier(class_weight="balanced").fit(X, labels(y))


@IGNORE_CONVERGENCE
def test_regressor_one_and_two_outputs():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (400, 2))
    y1 = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    est = DeltaPropRegressor((32,), activation="tanh", learning_rate_init=0.01, batch_size=32, max_iter=150, random_state=0).fit(X, y1)
    assert est.predict(X).shape == (400,) and est.score(X, y1) > 0.9
    assert (est.out_activation_, est.network_.cost_function.name) == ("identity", "quadratic")
    y2 = np.column_stack([y1, X[:, 0] * X[:, 1]])
    two = DeltaPropRegressor((32,), activation="tanh", learning_rate_init=0.01, batch_size=32, max_iter=150, random_state=0).fit(X, y2)
    assert two.predict(X).shape == (400, 2) and two.n_outputs_ == 2 and two.score(X, y2) > 0.9
    with pytest.raises(ValueError, match=re.escape("y has 1 target columns; the network was fitted with 2 outputs")):
        two.partial_fit(X, y1)


def test_lbfgs_minimises_the_cost_with_lambda_alpha(small_digits):
    X, y, X_test, y_test = small_digits
    est = DeltaPropClassifier((20,), solver="lbfgs", alpha=1.0, tol=1e-3, max_iter=500, random_state=0).fit(X[:300], y[:300])
    assert 20 < est.n_iter_ < 500 and est.score(X[:300], y[:300]) == 1.0 and est.score(X_test, y_test) > 0.85
    assert est.loss_ == pytest.approx(est.network_.cost(X[:300], y[:300], l2=1.0), rel=1e-9)
    assert all(b <= a + 1e-12 for a, b in zip(est.loss_curve_, est.loss_curve_[1:]))
    assert not hasattr(est, "partial_fit") and hasattr(DeltaPropClassifier(), "partial_fit")  # hidden, as scikit-learn
    assert not hasattr(DeltaPropRegressor(solver="lbfgs"), "partial_fit")
    with pytest.raises(AttributeError, match=re.escape("This 'DeltaPropClassifier' has no attribute 'partial_fit'")) as raised:
        est.partial_fit(X, y)
    assert str(raised.value.__cause__) == "partial_fit is only available for the stochastic solvers 'sgd' and 'adam'; solver='lbfgs'"
    with pytest.warns(ConvergenceWarning, match=re.escape("DeltaPropClassifier: lbfgs stopped after 2 iterations without converging: "
                                                          "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT; increase max_iter (max_iter=2)")):
        DeltaPropClassifier((20,), solver="lbfgs", max_iter=2).fit(X, y)
    with pytest.warns(ConvergenceWarning, match=re.escape("increase max_fun (max_fun=5)")):
        DeltaPropClassifier((20,), solver="lbfgs", max_fun=5).fit(X, y)


def test_lbfgs_sample_weight_two_equals_duplicating_rows(small_digits):
    X, y, _, _ = small_digits
    X, y = X[:120], y[:120]
    w = np.where(np.arange(120) < 40, 2.0, 1.0)
    settings = dict(hidden_layer_sizes=(10,), solver="lbfgs", alpha=0.5, max_iter=15, random_state=0)
    with pytest.warns(ConvergenceWarning):
        weighted = DeltaPropClassifier(**settings).fit(X, y, sample_weight=w)
    with pytest.warns(ConvergenceWarning):
        duplicated = DeltaPropClassifier(**settings).fit(np.vstack([X, X[:40]]), np.concatenate([y, y[:40]]))
    for a, b in zip(weighted.coefs_ + weighted.intercepts_, duplicated.coefs_ + duplicated.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


def test_tol_zero_and_n_iter_no_change_inf_never_stop_early(small_digits):
    X, y, _, _ = small_digits
    with pytest.warns(ConvergenceWarning):
        est = DeltaPropClassifier((8,), tol=10.0, n_iter_no_change=np.inf, max_iter=7, random_state=0).fit(X, y)
    assert est.n_iter_ == 7  # every epoch fails tol=10, and no count exceeds ∞
    with pytest.warns(ConvergenceWarning):
        assert DeltaPropClassifier((8,), solver="lbfgs", tol=0.0, max_iter=5, random_state=0).fit(X, y).n_iter_ == 5


@IGNORE_CONVERGENCE
def test_per_layer_activations_dropout_and_init(small_digits):
    X, y, X_test, y_test = small_digits
    settings = dict(hidden_layer_sizes=(40, 20), activation=["tanh", "logistic"], init="he", max_iter=20,
                    learning_rate_init=0.01, random_state=0)
    plain = DeltaPropClassifier(**settings).fit(X, y)
    dropped = DeltaPropClassifier(dropout=0.3, **settings).fit(X, y)
    assert [a.name for a in dropped.network_.activations] == ["tanh", "sigmoid", "softmax"]
    assert not np.allclose(plain.coefs_[0], dropped.coefs_[0]) and dropped.score(X_test, y_test) > 0.85


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_input_is_never_made_dense(small_digits, monkeypatch, solver):
    sparse = pytest.importorskip("scipy.sparse")
    X, y, X_test, _ = small_digits
    X_sparse, X_test_sparse = sparse.csr_matrix(X[:200]), sparse.csc_matrix(X_test)
    settings = dict(hidden_layer_sizes=(12,), solver=solver, max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning):
        dense = DeltaPropClassifier(**settings).fit(X[:200], y[:200])

    def refuse(self, *args, **kwargs):
        raise AssertionError("a sparse X was made dense")

    for cls in (sparse.csr_matrix, sparse.csc_matrix):
        monkeypatch.setattr(cls, "toarray", refuse)
        monkeypatch.setattr(cls, "todense", refuse)
    with pytest.warns(ConvergenceWarning):
        est = DeltaPropClassifier(**settings).fit(X_sparse, y[:200])
    proba = est.predict_proba(X_test_sparse)
    monkeypatch.undo()
    for a, b in zip(est.coefs_, dense.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(proba, dense.predict_proba(X_test), rtol=1e-9, atol=1e-12)


def test_predict_log_proba_is_the_log_of_predict_proba(small_digits):
    X, y, X_test, _ = small_digits
    for target in (y, y == 3, np.column_stack([y % 2, y > 4])):
        with pytest.warns(ConvergenceWarning):
            est = DeltaPropClassifier((16,), max_iter=5, random_state=0).fit(X, target)
        np.testing.assert_array_equal(est.predict_log_proba(X_test), np.log(est.predict_proba(X_test)))
    est.network_.weights[-1] *= 1e4  # saturated: some probabilities round to 0, as in MLPClassifier
    assert (est.predict_log_proba(X_test) == -np.inf).any()


@IGNORE_CONVERGENCE
def test_feature_names_are_kept_and_checked(small_digits):
    pd = pytest.importorskip("pandas")
    X, y, _, _ = small_digits
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(64)])
    est = DeltaPropClassifier((8,), max_iter=1).fit(frame, y)
    assert est.feature_names_in_.tolist() == list(frame.columns)
    with pytest.raises(ValueError, match="Feature names"):
        est.predict(frame.rename(columns={"pixel0": "other"}))


# ---------------------------------------------------------------- bad parameters
BAD_PARAMETERS = [
    ({"hidden_layer_sizes": (10, 0)}, "hidden_layer_sizes must be a positive integer or a sequence of them, e.g. (100,) or (64, 32); got (10, 0)"),
    ({"hidden_layer_sizes": "100"}, "hidden_layer_sizes must be a positive integer or a sequence of them, e.g. (100,) or (64, 32); got '100'"),
    ({"activation": "softmax"}, "activation must be one of 'logistic', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'softplus', 'identity', 'exp'; got 'softmax'"),
    ({"hidden_layer_sizes": (8, 8), "activation": ["relu"]}, "activation must be a name or a list of names, one per hidden layer (2 for hidden_layer_sizes=(8, 8)); got ['relu']"),
    ({"out_activation": "identity"}, "out_activation must be one of 'softmax', 'sigmoid', 'logistic'; got 'identity'"),
    ({"cost": "hinge"}, "cost must be one of 'quadratic', 'cross_entropy', 'log_likelihood', 'poisson'; got 'hinge'"),
    ({"solver": "lbfgsb"}, "solver must be one of 'sgd', 'adam', 'lbfgs'; got 'lbfgsb'"),
    ({"init": "zeros"}, "init must be one of 'sklearn', 'default', 'xavier', 'glorot', 'he'; got 'zeros'"),
    ({"learning_rate": "optimal"}, "learning_rate must be one of 'constant', 'invscaling', 'adaptive'; got 'optimal'"),
    ({"power_t": -0.5}, "power_t must be a finite number ≥ 0; got -0.5"),
    ({"max_fun": 0}, "max_fun must be a positive integer; got 0"),
    ({"epsilon_placement": "keras"}, "epsilon_placement must be one of 'sklearn', 'pytorch'; got 'keras'"),
    ({"alpha": -1.0}, "alpha must be a finite number ≥ 0; got -1.0"),
    ({"batch_size": 0}, "batch_size must be 'auto' or a positive integer; got 0"),
    ({"learning_rate_init": 0}, "learning_rate_init must be a finite number > 0; got 0"),
    ({"max_iter": 0}, "max_iter must be a positive integer; got 0"),
    ({"n_iter_no_change": 2.5}, "n_iter_no_change must be a positive integer or np.inf; got 2.5"),
    ({"shuffle": "yes"}, "shuffle must be True or False; got 'yes'"),
    ({"verbose": -1}, "verbose must be True, False or an integer ≥ 0; got -1"),
    ({"tol": float("inf")}, "tol must be a finite number ≥ 0; got inf"),
    ({"momentum": 1.5}, "momentum must be a number in [0, 1]; got 1.5"),
    ({"validation_fraction": 1.0}, "validation_fraction must be a number in (0, 1); got 1.0"),
    ({"beta_2": 1.0}, "beta_2 must be a number in [0, 1); got 1.0"),
    ({"epsilon": 0.0}, "epsilon must be a finite number > 0; got 0.0"),
    ({"dropout": 1.0}, "dropout must be a probability in [0, 1); got 1.0"),
    ({"solver": "lbfgs", "dropout": 0.5}, "dropout needs a stochastic solver ('sgd' or 'adam'); solver='lbfgs' got dropout=0.5"),
    ({"dtype": "float16"}, "dtype must be None (X's float dtype), 'float32' or 'float64'; got 'float16'"),
    ({"random_state": -1}, "random_state must be None, an integer ≥ 0, a numpy RandomState or Generator; got -1"),
    ({"class_weight": "auto"}, "class_weight must be 'balanced', a dict {class: weight} or None; got 'auto'"),
    ({"out_activation": "sigmoid", "cost": "log_likelihood"}, "cost='log_likelihood' needs out_activation='softmax'; with sigmoid outputs use 'cross_entropy'"),
]


@pytest.mark.parametrize("params, message", BAD_PARAMETERS, ids=[", ".join(p) for p, _ in BAD_PARAMETERS])
def test_bad_parameters_are_refused_in_fit_with_exact_messages(params, message):
    est = DeltaPropClassifier(**params)  # no check in __init__
    assert est.get_params()[next(iter(params))] == params[next(iter(params))]
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        est.fit(np.eye(4), [0, 1, 2, 2])


def test_bad_calls_are_refused_with_exact_messages(small_digits):
    X, y, _, _ = small_digits
    cases = [
        (lambda: DeltaPropClassifier(early_stopping=True).partial_fit(X, y, classes=np.arange(10)),
         "partial_fit does not support early_stopping=True; call fit, or set early_stopping=False"),
        (lambda: DeltaPropClassifier(class_weight="balanced").partial_fit(X, y, classes=np.arange(10)),
         "class_weight='balanced' is not supported by partial_fit: compute it over all the data with "
         "sklearn.utils.class_weight.compute_class_weight('balanced', classes=classes, y=y_all) and pass a dict"),
        (lambda: DeltaPropRegressor(early_stopping=True, validation_fraction=0.01).fit(X[:50], y[:50]),
         "the validation set is too small (1 row of 50); raise validation_fraction (0.01) or pass more rows"),
        (lambda: DeltaPropRegressor(cost="absolute").fit(X, y),
         "cost must be one of 'quadratic', 'cross_entropy', 'log_likelihood', 'poisson'; got 'absolute'"),
        (lambda: DeltaPropRegressor(loss="absolute_error").fit(X, y), "loss must be one of 'squared_error', 'poisson'; got 'absolute_error'"),
        (lambda: DeltaPropRegressor(loss="poisson").fit(X, y - 1.0),
         "loss='poisson' needs targets y ≥ 0 (counts or rates); the smallest is -1.0"),
        (lambda: DeltaPropRegressor(loss="poisson", cost="quadratic").fit(X, y), "loss='poisson' is the cost 'poisson'; got cost='quadratic'"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            call()


# ---------------------------------------------------------------- review mends
def test_warm_start_refuses_a_changed_architecture(digits):
    (X, y), _ = digits
    clf = DeltaPropClassifier((20,), max_iter=2, warm_start=True, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X[:200], y[:200])
    clf.set_params(hidden_layer_sizes=(30,))
    with pytest.raises(ValueError, match=r"^warm_start keeps the fitted network \[64, 20, 10\] \(relu, softmax\); hidden_layer_sizes, activation and out_activation must not change between fits$"):
        clf.fit(X[:200], y[:200])


def test_early_stopping_is_for_the_stochastic_solvers_only(digits):
    (X, y), _ = digits
    est = DeltaPropClassifier((10,), solver="lbfgs", early_stopping=True, max_iter=300, random_state=0).fit(X[:100], y[:100])
    assert est.validation_scores_ is None and est.best_validation_score_ is None  # ignored, as MLPClassifier does


def test_validation_scores_are_not_shared_with_a_later_warm_fit(digits):
    (X, y), _ = digits
    clf = DeltaPropClassifier((20,), max_iter=3, early_stopping=True, n_iter_no_change=50, warm_start=True, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X[:300], y[:300])
    first = clf.validation_scores_
    kept = list(first)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X[:300], y[:300])
    assert first == kept  # the list handed out after the first fit did not grow
