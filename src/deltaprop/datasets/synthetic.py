"""Synthetic 2-D teaching sets: two classes a straight line cannot separate.

Each generator is ``name(n, noise, seed) → (X, y)`` with ``X`` float32 of shape (n, 2) and
``y`` int64 labels of shape (n,): class 0 gets ``n - n // 2`` points and class 1 gets
``n // 2`` (an odd point goes to class 0). The clean points lie on the shapes described
below; ``noise`` is the standard deviation of the Gaussian noise added to each coordinate,
so ``noise=0`` puts every point exactly on its shape. The rows are shuffled. Randomness comes
only from ``numpy.random.default_rng(seed)``: the same seed gives the same bytes.

* :func:`xor` — four blobs at the corners (±1, ±1); the label is the xor of the signs.
* :func:`moons` — two interleaving unit half circles.
* :func:`circles` — two concentric circles, radii 1 and 0.5.
* :func:`spirals` — two interleaved Archimedean spirals, one the other turned by π (or
  ``arms=k`` spirals, each turned by 2π/k from the one before: k classes).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..validation import integer, non_negative

__all__ = ["xor", "moons", "circles", "spirals", "SYNTHETIC"]

#: radius of the inner circle of :func:`circles` (the outer one has radius 1)
CIRCLES_FACTOR = 0.5
#: angles at which each spiral arm starts and ends (1.25 turns); the radius is θ / SPIRAL_END
SPIRAL_START, SPIRAL_END = 0.5 * math.pi, 3.0 * math.pi

Seed = int | np.random.Generator | None


def _check(n: object, noise: object) -> tuple[int, int]:
    """Validate ``n`` and ``noise``; return the class sizes (n - n // 2, n // 2)."""
    n = integer("n", n, "an integer ≥ 2 (one point per class at least)", lambda v: v >= 2)
    non_negative("noise", noise)
    return n - n // 2, n // 2


def _finish(
    rng: np.random.Generator, clean: tuple[np.ndarray, ...], noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """Stack the classes' clean points (class c is ``clean[c]``), add the noise, shuffle and cast."""
    X = np.concatenate(clean)
    y = np.repeat(np.arange(len(clean), dtype=np.int64), [len(c) for c in clean])
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(X))
    return X[order].astype(np.float32), y[order]


def xor(n: int = 200, noise: float = 0.25, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian blobs at the corners (±1, ±1) of a square.

    The label of a blob is the xor of its corner's signs: class 0 at (1, 1) and (−1, −1),
    class 1 at (1, −1) and (−1, 1). Each class shares its points between its two corners
    (the first one gets the odd point). With noise a point may stray over an axis; it keeps
    its blob's label.

    Parameters
    ----------
    n : int
        Number of points, at least 2.
    noise : float
        Standard deviation of each blob, ≥ 0; 0 puts every point on its corner.
    seed : int or numpy.random.Generator
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    X : np.ndarray
        float32 of shape (n, 2).
    y : np.ndarray
        int64 labels 0/1 of shape (n,).
    """
    n0, n1 = _check(n, noise)
    rng = np.random.default_rng(seed)

    def corners(m: int, first: tuple[float, float], second: tuple[float, float]) -> np.ndarray:
        return np.array([first] * (m - m // 2) + [second] * (m // 2), dtype=np.float64).reshape(m, 2)

    clean = corners(n0, (1.0, 1.0), (-1.0, -1.0)), corners(n1, (1.0, -1.0), (-1.0, 1.0))
    return _finish(rng, clean, noise)


def moons(n: int = 200, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles of radius 1.

    Class 0 lies on the upper half of the circle around (0, 0): (cos t, sin t); class 1 on
    the lower half of the circle around (1, 0.5): (1 − cos t, 0.5 − sin t); t runs evenly
    over [0, π].

    Parameters
    ----------
    n : int
        Number of points, at least 2.
    noise : float
        Standard deviation of the Gaussian noise on each coordinate, ≥ 0.
    seed : int or numpy.random.Generator
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    X : np.ndarray
        float32 of shape (n, 2).
    y : np.ndarray
        int64 labels 0/1 of shape (n,).
    """
    n0, n1 = _check(n, noise)
    rng = np.random.default_rng(seed)
    t0, t1 = np.linspace(0, math.pi, n0), np.linspace(0, math.pi, n1)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])
    inner = np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])
    return _finish(rng, (outer, inner), noise)


def circles(n: int = 200, noise: float = 0.05, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles around the origin: class 0 radius 1, class 1 radius 0.5.

    The points of each circle are spread evenly over its angle.

    Parameters
    ----------
    n : int
        Number of points, at least 2.
    noise : float
        Standard deviation of the Gaussian noise on each coordinate, ≥ 0.
    seed : int or numpy.random.Generator
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    X : np.ndarray
        float32 of shape (n, 2).
    y : np.ndarray
        int64 labels 0/1 of shape (n,).
    """
    n0, n1 = _check(n, noise)
    rng = np.random.default_rng(seed)

    def ring(m: int, radius: float) -> np.ndarray:
        t = np.linspace(0, 2 * math.pi, m, endpoint=False)
        return radius * np.column_stack([np.cos(t), np.sin(t)])

    return _finish(rng, (ring(n0, 1.0), ring(n1, CIRCLES_FACTOR)), noise)


def spirals(n: int = 200, noise: float = 0.05, seed: Seed = 0, arms: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved Archimedean spirals, r = θ / 3π, θ from π/2 to 3π (1.25 turns).

    Class 0 is the point r (cos θ, sin θ); class c the same spiral turned by 2πc/k,
    r (cos(θ + 2πc/k), sin(θ + 2πc/k)), for k = ``arms`` (two arms: the second turned by π).
    θ² runs evenly, so the points are spread about evenly along each arm; the arms end on
    the unit circle.

    Parameters
    ----------
    n : int
        Number of points, at least ``arms``. Class c gets ⌊n/k⌋ points, one more for the first
        n mod k classes (for two arms: ``n - n // 2`` and ``n // 2``).
    noise : float
        Standard deviation of the Gaussian noise on each coordinate, ≥ 0.
    seed : int or numpy.random.Generator
        Seed of ``numpy.random.default_rng``.
    arms : int
        The number of spirals k, that is of classes, ≥ 2.

    Returns
    -------
    X : np.ndarray
        float32 of shape (n, 2).
    y : np.ndarray
        int64 labels 0 … k−1 of shape (n,).
    """
    arms = integer("arms", arms, "an integer ≥ 2 (one spiral per class)", lambda v: v >= 2)
    n = integer("n", n, f"an integer ≥ {arms} (one point per class at least)", lambda v: v >= arms)
    non_negative("noise", noise)
    rng = np.random.default_rng(seed)

    def arm(m: int, turn: float) -> np.ndarray:
        theta = np.sqrt(np.linspace(SPIRAL_START**2, SPIRAL_END**2, m))
        r = theta / SPIRAL_END
        return r[:, None] * np.column_stack([np.cos(theta + turn), np.sin(theta + turn)])

    sizes = [n // arms + (c < n % arms) for c in range(arms)]
    return _finish(rng, tuple(arm(m, 2 * math.pi * c / arms) for c, m in enumerate(sizes)), noise)


#: name → generator, for the CLI and the data-set registry
SYNTHETIC: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "xor": xor,
    "moons": moons,
    "circles": circles,
    "spirals": spirals,
}
