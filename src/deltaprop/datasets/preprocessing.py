"""Preprocessing: the seeded train/test (or train/validation) split and standardisation.

One-hot target rows are made inside the network (:func:`deltaprop.validation.as_targets`)."""

from __future__ import annotations

import numpy as np

from ..scaling import Scaling
from ..validation import real_number

__all__ = ["Standardizer", "train_test_split"]


def train_test_split(
    X: np.ndarray, y: np.ndarray, test_fraction: float = 0.2, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Shuffle the rows with a seeded Generator and cut off the last ``test_fraction``.

    Returns ``((X_train, y_train), (X_test, y_test))``; the same seed gives the same split.
    """
    test_fraction = real_number("test_fraction", test_fraction, "a number in (0, 1)", lambda v: 0 < v < 1)
    n_test = round(len(X) * test_fraction)
    if not 0 < n_test < len(X):
        raise ValueError(f"test_fraction {test_fraction} leaves no rows for training or testing in {len(X)} examples")
    order = np.random.default_rng(seed).permutation(len(X))
    train, test = order[:-n_test], order[-n_test:]
    return (X[train], y[train]), (X[test], y[test])


class Standardizer:
    """Feature-wise (x − mean) / std, with mean and std fitted on the training split only
    (:meth:`deltaprop.Scaling.standardize`; a network carries such a Scaling itself).

    A constant feature (std 0) is centred and left unscaled, never divided by zero.

    Attributes
    ----------
    mean, std : ndarray, shape (d,)
        Set by :meth:`fit`.
    """

    def fit(self, X_train: np.ndarray) -> Standardizer:
        """Learn each feature's mean and standard deviation from ``X_train`` (n, d)."""
        X_train = np.asarray(X_train)
        if X_train.ndim != 2 or len(X_train) == 0:
            raise ValueError(f"X_train must have shape (n, d) with n ≥ 1; got shape {X_train.shape}")
        scaling = Scaling.standardize(X_train)
        self.mean, self.std = scaling.shift, scaling.scale
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Return ``X`` standardised with the fitted statistics, in ``X``'s float dtype."""
        if not hasattr(self, "mean"):
            raise ValueError("Standardizer.transform called before fit")
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != len(self.mean):
            raise ValueError(f"X must have shape (n, {len(self.mean)}); got shape {X.shape}")
        dtype = X.dtype if X.dtype.kind == "f" else np.float32
        return ((X - self.mean) / self.std).astype(dtype)
