"""The data-set registry: digits by name, a fixed seeded split, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.datasets import train_test_split


def test_digits_shapes_range_and_fixed_split():
    (X, y), (X_test, y_test) = dp.datasets.load("digits")
    assert X.shape == (1438, 64) and X_test.shape == (359, 64)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10)) == set(np.unique(y_test))
    (X2, y2), _ = dp.datasets.load("digits")
    np.testing.assert_array_equal(X, X2)  # the same split every time
    np.testing.assert_array_equal(y, y2)


def test_split_is_a_seeded_partition():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    (Xa, ya), (Xb, yb) = train_test_split(X, y, test_fraction=0.3, seed=1)
    assert len(yb) == 3 and sorted(np.concatenate([ya, yb])) == list(range(10))
    np.testing.assert_array_equal(Xa[:, 0], 2 * ya)  # rows stay with their labels
    (_, ya2), _ = train_test_split(X, y, test_fraction=0.3, seed=1)
    (_, ya3), _ = train_test_split(X, y, test_fraction=0.3, seed=2)
    np.testing.assert_array_equal(ya, ya2)
    assert not np.array_equal(ya, ya3)


@pytest.mark.parametrize("fraction", [0, 1, 1.5, "half"])
def test_split_fraction_must_be_inside_zero_one(fraction):
    with pytest.raises(ValueError, match="test_fraction must be a number in \\(0, 1\\)"):
        train_test_split(np.zeros((10, 2)), np.zeros(10), test_fraction=fraction)


def test_unknown_name():
    with pytest.raises(ValueError, match="data set 'cifar' is unknown; choose one of digits"):
        dp.datasets.load("cifar")
