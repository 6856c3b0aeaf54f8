"""Preprocessing: standardisation fitted on the training split only."""

from __future__ import annotations

import numpy as np
import pytest

from deltaprop.datasets import Standardizer


def test_standardizer_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    X_train = rng.normal(5.0, 3.0, (500, 3)).astype(np.float32)
    X_train[:, 2] = 7.0  # a constant feature
    X_test = rng.normal(-2.0, 1.0, (50, 3)).astype(np.float32)
    scaler = Standardizer().fit(X_train)
    Z = scaler.transform(X_train)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z[:, :2].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Z[:, :2].std(axis=0), 1, rtol=1e-5)
    np.testing.assert_array_equal(Z[:, 2], 0)  # centred, not divided by zero
    # the test split is transformed with the training mean and std, not its own
    expected = (X_test[:, 0] - X_train[:, 0].astype(np.float64).mean()) / X_train[:, 0].astype(np.float64).std()
    np.testing.assert_allclose(scaler.transform(X_test)[:, 0], expected, rtol=1e-5)


def test_standardizer_errors():
    with pytest.raises(ValueError, match="called before fit"):
        Standardizer().transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\); got shape \(2, 3\)"):
        Standardizer().fit(np.zeros((2, 2))).transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"X_train must have shape \(n, d\) with n ≥ 1"):
        Standardizer().fit(np.zeros(3))
