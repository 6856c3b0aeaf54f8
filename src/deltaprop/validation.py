"""Checks at the API's edges: inputs, targets and numeric arguments, with clear messages.

Every function returns the value converted (to the network's dtype, to one-hot rows) or
raises a ``ValueError`` whose message names the parameter, the value and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection

import numpy as np

__all__ = [
    "is_integer",
    "is_real",
    "integer",
    "positive_int",
    "non_negative_int",
    "real_number",
    "positive_number",
    "non_negative",
    "boolean",
    "known_name",
    "all_finite",
    "as_sample_weight",
    "generator",
    "MAX_CLASSES",
    "class_count",
    "as_inputs",
    "as_targets",
]


#: The most classes a classifier built from labels may have: labels 0 … 9,999. Beyond that a
#: label column is almost surely something else (an id, a price), and its one-hot rows and
#: output layer would take gigabytes.
MAX_CLASSES = 10_000


def is_integer(value: object) -> bool:
    """Return whether ``value`` is a Python or NumPy integer (a bool is not one)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value: object) -> bool:
    """Return whether ``value`` is a Python or NumPy integer or float, NaN and inf included
    (a bool is not one)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def integer(name: str, value: object, allowed: str, ok: Callable[[int], bool]) -> int:
    """Return ``value`` as an int if it is an integer (:func:`is_integer`) for which ``ok``
    holds; else raise ``ValueError`` saying ``name must be {allowed}; got {value!r}``."""
    if not is_integer(value) or not ok(value):
        raise ValueError(f"{name} must be {allowed}; got {value!r}")
    return int(value)


def positive_int(name: str, value: object) -> int:
    """Return ``value`` as an int if it is a positive integer (not a bool), else raise."""
    return integer(name, value, "a positive integer", lambda v: v >= 1)


def non_negative_int(name: str, value: object) -> int:
    """Return ``value`` as an int if it is an integer ≥ 0 (not a bool), else raise."""
    return integer(name, value, "an integer ≥ 0", lambda v: v >= 0)


def real_number(name: str, value: object, allowed: str, ok: Callable[[float], bool]) -> float:
    """Return ``value`` as a float if it is a finite real number (:func:`is_real`) for which
    ``ok`` holds; else raise ``ValueError`` saying ``name must be {allowed}; got {value!r}``."""
    if not is_real(value) or not _finite(value) or not ok(value):
        raise ValueError(f"{name} must be {allowed}; got {value!r}")
    return float(value)


def _finite(value: int | float | np.number) -> bool:
    """Whether a real number is finite as a float (an int too large for a float is not)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def positive_number(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite real number > 0, or raise ValueError."""
    return real_number(name, value, "a finite number > 0", lambda v: v > 0)


def non_negative(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite real number ≥ 0, or raise ValueError."""
    return real_number(name, value, "a finite number ≥ 0", lambda v: v >= 0)


def boolean(name: str, value: object) -> bool:
    """Return ``value`` as a bool if it is a Python or NumPy bool, or raise ValueError."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def known_name(kind: str, name: object, names: Collection[str]) -> str:
    """Return ``name`` if it is one of ``names`` (a registry's keys), else raise ValueError
    saying ``{kind} {name!r} is unknown; choose one of ...``."""
    if not isinstance(name, str) or name not in names:
        raise ValueError(f"{kind} {name!r} is unknown; choose one of {', '.join(names)}")
    return name


def _first_bad(mask: np.ndarray) -> str:
    """Describe where the first True of a boolean array is: 'row 3, column 5'."""
    index = np.unravel_index(int(np.argmax(mask)), mask.shape)
    return ", ".join(f"{axis} {i}" for axis, i in zip(("row", "column"), index))


def all_finite(a: np.ndarray) -> bool:
    """Return whether a float array holds no NaN or inf, without a full-size boolean temporary.

    min and max propagate NaN and reach ±inf when one is present, so two reductions suffice.
    """
    return a.size == 0 or bool(np.isfinite(a.min()) and np.isfinite(a.max()))


def as_sample_weight(sample_weight: object, n: int, dtype: np.dtype) -> np.ndarray | None:
    """Return per-example weights (n,) ≥ 0 with a positive sum in ``dtype``, ``None`` for none, or raise."""
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("sample_weight must be a vector of numbers, one per example") from None
    if w.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},), one weight per example; got shape {w.shape}")
    if not all_finite(w) or (w < 0).any() or w.sum() <= 0:
        raise ValueError("sample_weight must be finite and ≥ 0, with a positive sum")
    largest = float(np.finfo(dtype).max)
    if w.sum() > largest:  # the weighted mean's denominator would overflow to inf
        raise ValueError(
            f"sample_weight must sum to at most {largest:.4g}, the largest {np.dtype(dtype).name}; "
            f"got a sum of {w.sum():.4g} (weights up to {w.max():.4g}): scale them down, only their ratios matter"
        )
    return w.astype(dtype)


def class_count(name: str, labels: np.ndarray) -> int:
    """Return the number of classes that integer labels 0 … k−1 need (k = largest + 1), or raise
    ``ValueError`` when a label is negative or k would exceed :data:`MAX_CLASSES`."""
    if labels.size == 0:
        raise ValueError(f"{name} holds no labels")
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= MAX_CLASSES:
        bad = low if low < 0 else high
        raise ValueError(
            f"{name}: label {bad} is out of range; class labels must be integers from 0 to {MAX_CLASSES - 1} (at most {MAX_CLASSES:,} classes)"
        )
    return high + 1


def generator(name: str, seed: object) -> np.random.Generator:
    """Return ``numpy.random.default_rng(seed)`` for a seed that is an integer ≥ 0, a
    Generator (used as it is) or None (fresh entropy), else raise ``ValueError``."""
    if not (seed is None or isinstance(seed, np.random.Generator) or (is_integer(seed) and seed >= 0)):
        raise ValueError(f"{name} must be an integer ≥ 0, a numpy Generator or None; got {seed!r}")
    return np.random.default_rng(seed)


def as_inputs(X: object, n_in: int, dtype: np.dtype) -> np.ndarray:
    """Return ``X`` as a finite array of shape (n, n_0) in ``dtype``, or raise."""
    try:
        X = np.asarray(X)
    except ValueError:  # ragged rows
        raise ValueError(f"X must be a numeric array of shape (n, {n_in})") from None
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X must hold real numbers; got dtype {X.dtype}")
    with np.errstate(over="ignore"):  # values beyond float32 become inf, refused below
        X = X.astype(dtype, copy=False)
    if X.ndim != 2 or X.shape[1] != n_in:
        hint = "; for one example use X.reshape(1, -1)" if X.ndim == 1 else ""
        raise ValueError(f"X must have shape (n, {n_in}); got shape {X.shape}{hint}")
    if X.shape[0] == 0:
        raise ValueError("X has no rows")
    if not all_finite(X):
        raise ValueError(f"X contains NaN, inf or a value beyond {np.dtype(dtype).name} (first at {_first_bad(~np.isfinite(X))})")
    return X


def as_targets(y: object, n: int, n_out: int, dtype: np.dtype, cost: str) -> np.ndarray:
    """Return float targets of shape (n, n_out) for labels (n,) or targets (n, n_out).

    Integer labels become one-hot rows (for one output: the 0/1 label itself). A 1-D
    float ``y`` is a label vector when its values are whole numbers and there are
    several outputs, or the single output's targets when there is one.

    Raises
    ------
    ValueError
        On a length or shape mismatch, NaN/inf, labels out of range, or targets outside
        what the cost accepts ([0, 1] for the cross-entropy costs; rows summing to 1 for
        the log-likelihood).
    """
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"y must hold numbers; got dtype {y.dtype}")
    if y.ndim not in (1, 2) or len(y) != n:
        raise ValueError(f"y must have shape ({n},) or ({n}, {n_out}) to match X's {n} rows; got shape {y.shape}")
    if y.dtype.kind == "f" and not all_finite(y):
        raise ValueError(f"y contains NaN or inf (first at {_first_bad(~np.isfinite(y))})")
    if y.ndim == 1 and n_out == 1:
        Y = y.reshape(n, 1).astype(dtype)
        if y.dtype.kind != "f" and cost != "quadratic" and ((y < 0) | (y > 1)).any():
            raise ValueError(f"y holds label {y[(y < 0) | (y > 1)][0].item()}; a network with one output takes labels 0 and 1")
    elif y.ndim == 1:
        if y.dtype.kind == "f" and (y != np.round(y)).any():
            raise ValueError(
                f"y of shape ({n},) must hold integer class labels; got {y[y != np.round(y)][0].item()!r}"
                f" (float targets need shape ({n}, {n_out}))"
            )
        out_of_range = (y < 0) | (y >= n_out)
        if out_of_range.any():
            raise ValueError(
                f"y holds label {y[out_of_range][0].item()!r} at index {int(np.argmax(out_of_range))}; "
                f"labels must be integers in [0, {n_out}) for {n_out} outputs"
            )
        Y = np.zeros((n, n_out), dtype=dtype)
        Y[np.arange(n), y.astype(np.intp)] = 1
    else:
        if y.shape[1] != n_out:
            raise ValueError(f"y must have shape ({n},) or ({n}, {n_out}); got shape {y.shape}")
        Y = y.astype(dtype)
    if cost in ("cross_entropy", "log_likelihood") and ((Y < 0) | (Y > 1)).any():
        raise ValueError(f"the {cost} cost needs targets in [0, 1]; y has {Y[(Y < 0) | (Y > 1)][0].item()!r}")
    if cost == "log_likelihood":
        sums = Y.sum(axis=1, dtype=np.float64)
        off = np.abs(sums - 1) > 1e-4
        if off.any():
            row = int(np.argmax(off))
            raise ValueError(
                f"the log_likelihood cost needs each target row to sum to 1; row {row} sums to {sums[row]:.6g}"
            )
        if y.ndim == 2:  # δ^L = a − y is the exact gradient only when Σ_k y_k = 1
            Y = (Y / sums[:, None]).astype(dtype)
    return Y
