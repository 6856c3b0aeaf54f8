"""At equal max_iter the estimators score at least what MLPClassifier and MLPRegressor score:
on scikit-learn's own regression test data (``check_regressors_train``'s), on diabetes, and,
cross-validated, on digits, iris, wine and breast cancer.

From the same first weights and the same batch order the runs are the same run, so the
scores are equal (the fast tests). With each estimator's own random draws the scores spread
over seeds; the slow tests average several seeds and folds and allow one or two test rows
of difference, the spread between seeds of either estimator. ``target_scaling=True`` (which
MLPRegressor lacks) beats MLPRegressor outright on diabetes, whose targets are in the hundreds.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score, train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler, scale  # noqa: E402
from sklearn.utils.estimator_checks import _regression_dataset  # noqa: E402

from deltaprop.estimator import DeltaPropClassifier, DeltaPropRegressor  # noqa: E402

from .test_parity import fit_both  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def check_data():
    """The data of scikit-learn's ``check_regressors_train``: X standardised, y scaled."""
    X, y = _regression_dataset()
    return X, scale(y)


@pytest.mark.parametrize("max_iter", [20, 50])
def test_regressor_scores_mlpregressors_r2_on_the_check_data_from_the_same_weights(monkeypatch, max_iter):
    X, y = check_data()  # 200 rows: one batch per epoch, so the order inside it is round-off only
    theirs, ours = fit_both(monkeypatch, MLPRegressor(max_iter=max_iter), DeltaPropRegressor(max_iter=max_iter), X, y, [10, 100, 1])
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), abs=1e-9)


def test_regressor_on_diabetes_scores_mlpregressors_r2_and_far_more_with_target_scaling(monkeypatch):
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    theirs, ours = fit_both(monkeypatch, MLPRegressor(shuffle=False), DeltaPropRegressor(shuffle=False), X_train, y_train, [10, 100, 1])
    assert ours.score(X_test, y_test) == pytest.approx(theirs.score(X_test, y_test), abs=1e-9) and theirs.score(X_test, y_test) < 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scaled = DeltaPropRegressor(target_scaling=True, random_state=0).fit(X_train, y_train)
    assert scaled.score(X_test, y_test) > 0.3 > theirs.score(X_test, y_test) + 3  # R² 0.38 against −3.3 on this split


def mean_cv_score(make, X, y, cv, seeds):
    return float(np.mean([cross_val_score(make(seed), X, y, cv=cv).mean() for seed in seeds]))


@pytest.mark.slow
@pytest.mark.parametrize("max_iter", [20, 50])
def test_regressor_r2_over_seeds_on_the_check_data(max_iter):
    X, y = check_data()
    cv, seeds = KFold(5, shuffle=True, random_state=0), range(12)
    ours = mean_cv_score(lambda s: DeltaPropRegressor(max_iter=max_iter, random_state=s), X, y, cv, seeds)
    theirs = mean_cv_score(lambda s: MLPRegressor(max_iter=max_iter, random_state=s), X, y, cv, seeds)
    assert ours >= theirs - 0.02  # measured: 0.250 against 0.256 at 20 (standard error 0.04), 0.583 against 0.585 at 50


@pytest.mark.slow
def test_regressor_r2_over_seeds_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    cv, seeds = KFold(5, shuffle=True, random_state=0), range(4)
    plain = mean_cv_score(lambda s: DeltaPropRegressor(random_state=s), X, y, cv, seeds)
    scaled = mean_cv_score(lambda s: DeltaPropRegressor(target_scaling=True, random_state=s), X, y, cv, seeds)
    theirs = mean_cv_score(lambda s: MLPRegressor(random_state=s), X, y, cv, seeds)
    assert plain >= theirs - 0.1 and scaled > 0.45 > theirs + 3  # measured: −3.11, 0.487 and −3.05


CLASSIFICATION = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer, "digits": load_digits}


@pytest.mark.slow
@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classifier_accuracy_cross_validated(name):
    X, y = CLASSIFICATION[name](return_X_y=True)
    cv, seeds, budget = StratifiedKFold(5, shuffle=True, random_state=0), range(3), 50 if name == "digits" else 200
    ours = mean_cv_score(lambda s: make_pipeline(StandardScaler(), DeltaPropClassifier(max_iter=budget, random_state=s)), X, y, cv, seeds)
    theirs = mean_cv_score(lambda s: make_pipeline(StandardScaler(), MLPClassifier(max_iter=budget, random_state=s)), X, y, cv, seeds)
    assert ours >= theirs - 2 / len(y)  # two rows of the data set: the spread between seeds
