"""Everything MLPClassifier and MLPRegressor expose exists here with the same meaning: the
parameters (names and defaults), the public methods and the fitted attributes; and the
behaviours scikit-learn users rely on beyond the weights: Adam's two ε placements, the
diverging run under early stopping, target scaling."""

from __future__ import annotations

import inspect
import math
import re

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import deltaprop as dp  # noqa: E402
from deltaprop.estimator import DeltaPropClassifier, DeltaPropRegressor  # noqa: E402

from .test_parity import first_weights, fit_both  # noqa: E402

#: What deltaprop adds to MLPClassifier's parameters (README: the estimators' differences).
ADDED = {"out_activation", "cost", "dropout", "init", "dtype", "epsilon_placement"}
PAIRS = [(MLPClassifier, DeltaPropClassifier, ADDED | {"class_weight"}), (MLPRegressor, DeltaPropRegressor, ADDED | {"target_scaling"})]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def public(obj):
    return {name for name in dir(obj) if not name.startswith("_")}


@pytest.mark.parametrize("theirs, ours, added", PAIRS, ids=["classifier", "regressor"])
def test_every_parameter_with_its_default_and_only_the_documented_additions(theirs, ours, added):
    their_params, our_params = theirs().get_params(), ours().get_params()
    assert set(our_params) - set(their_params) == added
    for name, default in their_params.items():
        assert our_params[name] == default, name
    assert inspect.signature(ours).parameters["hidden_layer_sizes"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD


@pytest.mark.parametrize("theirs, ours, added", PAIRS, ids=["classifier", "regressor"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_every_method_and_fitted_attribute(iris, theirs, ours, added):
    X, y = iris
    target = y if theirs is MLPClassifier else X[:, 0] + y
    for solver in ("adam", "lbfgs"):
        their_fit = theirs(hidden_layer_sizes=(5,), solver=solver, max_iter=5).fit(X, target)
        our_fit = ours(hidden_layer_sizes=(5,), solver=solver, max_iter=5).fit(X, target)
        missing = public(their_fit) - public(our_fit)
        if theirs is MLPRegressor and solver == "lbfgs":
            missing -= {"partial_fit"}  # MLPRegressor's available_if forgets to call its check; ours hides it too
        assert not missing, missing
    stochastic = theirs(hidden_layer_sizes=(5,), max_iter=5, early_stopping=True).fit(X, target)
    ours_stochastic = ours(hidden_layer_sizes=(5,), max_iter=5, early_stopping=True).fit(X, target)
    for name in ("loss_", "best_loss_", "loss_curve_", "validation_scores_", "best_validation_score_", "n_iter_", "t_",
                 "n_layers_", "n_outputs_", "out_activation_", "n_features_in_", "coefs_", "intercepts_"):
        mine, theirs_value = getattr(ours_stochastic, name), getattr(stochastic, name)
        assert type(mine) is type(theirs_value) or isinstance(mine, float) and isinstance(theirs_value, float), name
    assert ours_stochastic.out_activation_ == stochastic.out_activation_.replace("logistic", "sigmoid")


def test_loss_attribute_of_the_classifier_names_the_loss():
    assert DeltaPropClassifier().loss == MLPClassifier().loss == "log_loss"
    assert DeltaPropClassifier(cost="quadratic").loss == "quadratic"


def test_sklearn_placement_of_epsilon_is_mlpclassifiers_and_pytorchs_is_deltaprop_adam(monkeypatch, iris):
    X, y = iris
    settings = dict(hidden_layer_sizes=(6,), learning_rate_init=0.05, epsilon=1e-3, batch_size=150, max_iter=12, shuffle=False)
    theirs, sklearn_placed = fit_both(monkeypatch, MLPClassifier(**settings), DeltaPropClassifier(**settings), X, y, [4, 6, 3])
    _, pytorch_placed = fit_both(monkeypatch, MLPClassifier(**settings), DeltaPropClassifier(epsilon_placement="pytorch", **settings),
                                 X, y, [4, 6, 3])
    np.testing.assert_allclose(sklearn_placed.coefs_[0], theirs.coefs_[0], rtol=1e-10)
    assert np.abs(pytorch_placed.coefs_[0] - theirs.coefs_[0]).max() > 1e-4  # ε counts 1/√(1 − β₂ᵗ) times more early on
    net = dp.Network([4, 6, 3], activation="relu", output="softmax", cost="log_likelihood", dtype="float64", seed=0)
    for (coef, intercept), W, b in zip(first_weights([4, 6, 3]), net.weights, net.biases):
        W[...], b[...] = coef.T, intercept
    adam = dp.Adam(lr=0.05, eps=1e-3)
    Y = net.targets(y, len(y))
    for _ in range(12):
        grads = dp.backprop(net, X, Y, dp.Penalty(l2=1e-4, n=len(X)))
        adam.step(net.parameters(), grads.parameters())
    for a, b in zip(pytorch_placed.network_.parameters(), net.parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_a_diverging_run_with_early_stopping_stops_warns_and_keeps_the_best_weights(iris):
    X, y = iris
    settings = dict(hidden_layer_sizes=(20,), solver="sgd", momentum=0.9, learning_rate_init=50.0, batch_size=10,
                    early_stopping=True, n_iter_no_change=50, max_iter=100, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"^DeltaPropClassifier: training diverged in epoch (\d+) \(the loss became (nan|inf)\); "
                                                r"stopping with the weights of the best validation score"):
        est = DeltaPropClassifier(**settings).fit(X * 100, y)
    scores = est.validation_scores_
    assert est.n_iter_ < 100 and len(scores) == est.n_iter_ and math.isnan(scores[-1])
    assert est.best_validation_score_ == max(s for s in scores if not math.isnan(s))
    assert all(np.isfinite(p).all() for p in est.network_.parameters()) and np.isfinite(est.predict_proba(X)).all()
    plain = DeltaPropClassifier(**{**settings, "early_stopping": False})
    with pytest.raises(dp.TrainingDiverged, match=r"^DeltaPropClassifier: training diverged in epoch \d+: the loss became (nan|inf); "
                                                  r"learning_rate_init=50.0 is probably too high, or X needs scaling. "
                                                  r"The network keeps its weights from before that epoch.$") as raised:
        plain.fit(X * 100, y)
    assert all(np.isfinite(p).all() for p in plain.network_.parameters())
    assert len(raised.value.history.cost) == plain.n_iter_ and not np.isfinite(raised.value.history.cost[-1])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_target_scaling_learns_standardised_targets_and_answers_in_their_units(iris, tmp_path):
    X, _ = iris
    y = 300 + 80 * np.column_stack([np.sin(X[:, 0]), X[:, 1] * X[:, 2]])
    plain = DeltaPropRegressor((16,), learning_rate_init=0.01, batch_size=32, max_iter=100, random_state=0).fit(X, y)
    scaled = DeltaPropRegressor((16,), learning_rate_init=0.01, batch_size=32, max_iter=100, random_state=0, target_scaling=True).fit(X, y)
    scaling = scaled.network_.target_scaling
    np.testing.assert_allclose(scaling.shift, y.mean(axis=0))
    np.testing.assert_allclose(scaling.scale, y.std(axis=0))
    assert scaled.score(X, y) > 0.9 > 0.5 > plain.score(X, y)
    np.testing.assert_allclose(scaled.predict(X), scaled.network_.predict(X), rtol=1e-12)  # the network carries it
    dp.save(scaled.network_, tmp_path / "model.npz")
    np.testing.assert_allclose(dp.load(tmp_path / "model.npz").predict(X), scaled.predict(X), rtol=1e-12)
    with pytest.raises(ValueError, match=re.escape("target_scaling=True would make Poisson targets negative; use it with loss='squared_error'")):
        DeltaPropRegressor(loss="poisson", target_scaling=True).fit(X, np.abs(y))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("activation, hidden, factor", [("relu", (40, 30), 6.0), ("logistic", (40, 30), 2.0), ("logistic", (), 2.0)])
def test_first_weights_and_biases_are_glorot_uniform_as_mlpclassifiers(iris, activation, hidden, factor):
    X, y = iris
    X = np.hstack([X] * 10)  # 40 inputs: enough entries to reach near each bound
    est = DeltaPropClassifier(hidden, activation, solver="sgd", learning_rate_init=1e-12, max_iter=1, random_state=0).fit(X, y)
    for coef, intercept in zip(est.coefs_, est.intercepts_):
        bound = np.sqrt(factor / sum(coef.shape))
        assert 0.9 * bound < np.abs(coef).max() <= bound and 0 < np.abs(intercept).max() <= bound
    assert np.abs(DeltaPropClassifier(hidden, activation, init="xavier", max_iter=1).fit(X, y).intercepts_[0]).max() < 1e-2
