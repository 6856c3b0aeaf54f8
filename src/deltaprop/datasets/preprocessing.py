"""Preprocessing shared by the data sets: the seeded train/test split."""

from __future__ import annotations

import numpy as np

__all__ = ["train_test_split"]


def train_test_split(
    X: np.ndarray, y: np.ndarray, test_fraction: float = 0.2, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Shuffle the rows with a seeded Generator and cut off the last ``test_fraction``.

    Returns ``((X_train, y_train), (X_test, y_test))``; the same seed gives the same split.
    """
    if not isinstance(test_fraction, (int, float)) or not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be a number in (0, 1); got {test_fraction!r}")
    n_test = round(len(X) * test_fraction)
    if not 0 < n_test < len(X):
        raise ValueError(f"test_fraction {test_fraction} leaves no rows for training or testing in {len(X)} examples")
    order = np.random.default_rng(seed).permutation(len(X))
    train, test = order[:-n_test], order[-n_test:]
    return (X[train], y[train]), (X[test], y[test])
