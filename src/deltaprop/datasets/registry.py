"""Named data sets behind one call: ``load(name) → ((X_train, y_train), (X_test, y_test))``.

X is float32 of shape (n, d) with features in [0, 1]; y holds integer class labels (n,).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .digits import load_digits
from .preprocessing import train_test_split

__all__ = ["DATASETS", "load"]

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

#: name → (description, loader returning the whole set as (X, y))
DATASETS: dict[str, tuple[str, Callable[[], tuple[np.ndarray, np.ndarray]]]] = {
    "digits": ("8×8 handwritten digits bundled with scikit-learn (1797 images, 10 classes)", load_digits),
}


def load(name: str, test_fraction: float = 0.2, seed: int = 0) -> Split:
    """Load a data set by name, split into training and test parts.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.
    test_fraction : float
        Share of the examples held out for testing, for sets that come as one piece.
    seed : int
        Seed of that split; the default gives the fixed split every tool of deltaprop uses.

    Returns
    -------
    ((X_train, y_train), (X_test, y_test))
    """
    if name not in DATASETS:
        raise ValueError(f"data set {name!r} is unknown; choose one of {', '.join(DATASETS)}")
    X, y = DATASETS[name][1]()
    return train_test_split(X, y, test_fraction, seed)
