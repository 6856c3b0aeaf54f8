"""Feature scaling that a network carries: x ↦ (x − shift) / scale, feature by feature.

Symbols → names: μ (the training split's mean) or 0 → ``shift``; σ (its standard deviation) or
the pixel maximum → ``scale``.

A network trained on standardised table columns, or on pixels brought from 0…255 to [0, 1],
keeps the :class:`Scaling` it was trained with (``Network.input_scaling``) and applies it to
every input it is given, so it takes the data as it comes from the file. A regressor keeps one
for its targets too (``Network.target_scaling``): it learns standardised targets and answers in
the targets' own units.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Scaling"]


class Scaling:
    """x ↦ (x − shift) / scale per feature, and back.

    Parameters
    ----------
    shift, scale : array_like, shape (d,)
        Finite numbers; ``scale`` > 0. Stored as float64.
    """

    def __init__(self, shift: object, scale: object) -> None:
        shift, scale = np.array(shift, dtype=np.float64), np.array(scale, dtype=np.float64)
        if shift.ndim != 1 or scale.shape != shift.shape or shift.size == 0:
            raise ValueError(f"shift and scale must be vectors of one length; got shapes {shift.shape} and {scale.shape}")
        if not (np.isfinite(shift).all() and np.isfinite(scale).all() and (scale > 0).all()):
            raise ValueError("shift must be finite and scale finite and > 0")
        self.shift, self.scale = shift, scale

    @classmethod
    def standardize(cls, X: np.ndarray) -> Scaling:
        """The standardisation of the columns of ``X`` (n, d): their mean and standard
        deviation; a constant column is centred and left unscaled."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or len(X) == 0:
            raise ValueError(f"X must have shape (n, d) with n ≥ 1; got shape {X.shape}")
        std = X.std(axis=0)
        return cls(X.mean(axis=0), np.where(std > 0, std, 1.0))

    @classmethod
    def divide_by(cls, value: float, width: int) -> Scaling:
        """x ↦ x / value for ``width`` features: pixels from 0…value to [0, 1]."""
        return cls(np.zeros(width), np.full(width, float(value)))

    def looks_applied(self, X: np.ndarray) -> bool:
        """Whether ``X`` looks scaled already: this is a pixel scaling (x / c, c > 1.5) and
        ``X`` lies in [0, 1] with some value above 0."""
        if self.shift.any() or not (self.scale == self.scale[0]).all() or self.scale[0] <= 1.5 or X.size == 0:
            return False
        return bool(0 < X.max() <= 1 and X.min() >= 0)

    @property
    def width(self) -> int:
        """The number of features d."""
        return self.shift.size

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Return (X − shift) / scale as a new array in ``X``'s float dtype."""
        dtype = X.dtype
        shift, scale = self.shift.astype(dtype), self.scale.astype(dtype)
        return (X - shift) / scale if shift.any() else X / scale

    def invert(self, Z: np.ndarray) -> np.ndarray:
        """Return Z · scale + shift, the values in the units they came in."""
        return Z * self.scale.astype(Z.dtype) + self.shift.astype(Z.dtype)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scaling) and np.array_equal(self.shift, other.shift) and np.array_equal(self.scale, other.scale)

    def __repr__(self) -> str:
        return f"Scaling(width={self.width})"
