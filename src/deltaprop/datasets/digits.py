"""scikit-learn's bundled 8×8 handwritten digits: 1797 images, 10 classes, no download."""

from __future__ import annotations

import numpy as np

__all__ = ["load_digits", "DIGITS_MAX"]


#: The largest pixel value of the digits.
DIGITS_MAX = 16


def load_digits(raw: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return X (1797, 64) float32 with pixels scaled from 0…16 to [0, 1] (kept 0…16 with
    ``raw``), and y (1797,) int64."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ValueError("the digits data set comes with scikit-learn: pip install 'deltaprop[sklearn]'") from None
    X, y = sklearn_digits(return_X_y=True)
    return (X if raw else X / float(DIGITS_MAX)).astype(np.float32), y.astype(np.int64)
