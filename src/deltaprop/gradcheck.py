"""Gradient checking: backprop's ∂C/∂W and ∂C/∂b against central differences.

For a parameter p, the numerical derivative is (C(p + ε) − C(p − ε)) / 2ε. The analytic
gradient is :func:`deltaprop.backprop.backprop` in float64. The cost differences are
evaluated in ``np.longdouble`` (80-bit extended precision on x86-64, quad on aarch64; plain
float64 where the platform has nothing wider): in float64, cancellation in C(p + ε) − C(p − ε)
leaves an error of about 1e-10, which is 1e-6 relative to a small gradient and would hide
real errors of that size.

The relative error of an array is max|analytic − numerical| / max(max|analytic|,
max|numerical|, floor): the worst entry measured against the array's largest gradient, so an
entry that is exactly zero does not divide by zero. The central difference carries rounding
noise of about u·max(1, |C|)/ε (u the unit round-off of the precision used); ``floor`` is 1e8
times that noise, so that noise alone stays below a relative error of 1e-8. An array whose
gradients are all smaller than ``floor`` (about 1e-5·|C| in extended precision) is thus held
to an absolute error below 1e-8·floor instead of a relative one it could not resolve.

For large networks, ``directions=k`` checks k random unit directions v per array instead of
every entry: (C(p + εv) − C(p − εv)) / 2ε against ⟨∇C, v⟩, relative to ‖∇C‖.

When every entry is checked, :attr:`GradientCheck.numerical` hands back the central difference
of each entry; :func:`central_differences` computes them for chosen entries only (what
:mod:`deltaprop.explain` shows of a network too large to check entry by entry).

Symbols → names: ε → ``eps``; C → the network's ``regularised_cost``; the numerical ∂C/∂p →
``numerical[i]`` for the i-th array of ``Network.parameters()`` (W^2, b^2, W^3, … in seed
000's numbering, named ``W0``, ``b0``, ``W1``, … here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .backprop import backprop
from .network import Network
from .penalty import Penalty

__all__ = ["check_gradients", "central_differences", "GradientCheck", "ParameterCheck"]

#: Networks with more parameters than this are checked along random directions by default.
FULL_CHECK_LIMIT = 5000


@dataclass(frozen=True)
class ParameterCheck:
    """The comparison for one parameter array (``W0``, ``b0``, ...)."""

    name: str
    shape: tuple[int, ...]
    checked: int
    max_abs_error: float
    rel_error: float


@dataclass(frozen=True)
class GradientCheck:
    """The result of :func:`check_gradients`.

    Attributes
    ----------
    parameters : list of ParameterCheck
        One comparison per array, in ``Network.parameters()`` order.
    cost : float
        The (regularised) cost at the unchanged parameters.
    eps : float
        The step ε of the central differences.
    mode : str
        ``"every entry"`` or ``"k random directions per array"``.
    numerical : list of ndarray or None
        Per array, in ``Network.parameters()`` order: the central difference
        (C(p + ε) − C(p − ε)) / 2ε of every entry p, float64, shaped like the array; None for
        an array checked along random directions.
    """

    parameters: list[ParameterCheck]
    cost: float
    eps: float
    mode: str
    numerical: list[np.ndarray | None]

    @property
    def max_rel_error(self) -> float:
        """The largest relative error over all arrays."""
        return max(p.rel_error for p in self.parameters)

    def passed(self, tol: float = 1e-7) -> bool:
        """True when every array's relative error is below ``tol``."""
        return self.max_rel_error < tol

    def __str__(self) -> str:
        lines = [f"gradient check ({self.mode}, eps={self.eps:g}), cost {self.cost:.6g}"]
        lines.append(f"{'parameter':<10} {'shape':<12} {'checked':>8} {'max abs error':>14} {'rel error':>10}")
        for p in self.parameters:
            shape = "×".join(map(str, p.shape))
            lines.append(f"{p.name:<10} {shape:<12} {p.checked:>8} {p.max_abs_error:>14.3e} {p.rel_error:>10.3e}")
        return "\n".join(lines)


def check_gradients(
    net: Network,
    X: object,
    y: object,
    l2: float = 0.0,
    n_total: int | None = None,
    eps: float = 1e-6,
    directions: int | None = None,
    seed: int = 0,
    l1: float = 0.0,
) -> GradientCheck:
    """Compare backprop's gradients with central differences of the (regularised) cost.

    Parameters
    ----------
    net : Network
        Left unchanged; the check works on copies.
    X, y : array_like
        A batch of inputs and its labels or targets.
    l2, n_total : float, int
        The regularisation of the cost, as in :meth:`Network.cost`.
    eps : float
        The step ε of the central difference.
    directions : int, optional
        Check this many random directions per array instead of every entry. By default
        every entry is checked when the network has at most 5000 parameters, 8 directions
        per array otherwise.
    seed : int
        Seed of the random directions.
    l1 : float
        λ₁ of the cost's L1 term λ₁/n Σ|w| (its derivative sign(w) is checked away from w = 0).

    Returns
    -------
    GradientCheck
        With the per-entry central differences in ``numerical`` when every entry was checked.
    """
    net.check_parameters()
    eps = _step(eps)
    if directions is not None and (isinstance(directions, bool) or not isinstance(directions, (int, np.integer)) or directions < 1):
        raise ValueError(f"directions must be a positive integer; got {directions!r}")
    directions = None if directions is None else int(directions)
    net64, X64, Y64, penalty = _batch(net, X, y, l2, n_total, l1)
    analytic = backprop(net64, X64, Y64, penalty).parameters()
    wide, cost = _wide_cost(net, X64, Y64, penalty)
    base = float(cost())
    floor = 1e8 * float(np.finfo(np.longdouble).eps) * max(1.0, abs(base)) / eps
    if directions is None and sum(p.size for p in analytic) > FULL_CHECK_LIMIT:
        directions = 8
    rng = np.random.default_rng(seed)
    names = [f"{kind}{i}" for i in range(len(net.weights)) for kind in ("W", "b")]
    rows, per_entry = [], []
    for name, P, G in zip(names, wide.parameters(), analytic):
        if directions is None:
            numerical = np.empty(P.shape)
            for index in np.ndindex(P.shape):
                numerical[index] = _central_difference(cost, P, index, eps)
            error = np.abs(G - numerical)
            scale = max(np.abs(G).max(), np.abs(numerical).max(), floor)
            rows.append(ParameterCheck(name, P.shape, P.size, float(error.max()), float(error.max() / scale)))
            per_entry.append(numerical)
        else:
            original = P.copy()
            errors = []
            for _ in range(directions):
                v = rng.standard_normal(P.shape)
                v /= np.linalg.norm(v)
                P[...] = original + eps * v
                c_plus = cost()
                P[...] = original - eps * v
                c_minus = cost()
                errors.append(abs(float((c_plus - c_minus) / (2 * eps)) - float(np.sum(G * v))))
            P[...] = original
            scale = max(float(np.linalg.norm(G)), floor)
            rows.append(ParameterCheck(name, P.shape, directions, max(errors), max(errors) / scale))
            per_entry.append(None)
    mode = "every entry" if directions is None else f"{directions} random directions per array"
    return GradientCheck(rows, base, eps, mode, per_entry)


def central_differences(
    net: Network,
    X: object,
    y: object,
    entries: Sequence[Iterable[tuple[int, ...]]],
    l2: float = 0.0,
    n_total: int | None = None,
    eps: float = 1e-6,
    l1: float = 0.0,
) -> list[np.ndarray]:
    """Central differences of the (regularised) cost for chosen entries of each parameter array.

    The same differences as :func:`check_gradients` takes when it checks every entry, for a
    network too large to difference whole.

    Parameters
    ----------
    net : Network
        Left unchanged; the differences are taken on a copy.
    X, y : array_like
        A batch of inputs and its labels or targets.
    entries : sequence of iterables of index tuples
        One per array of ``net.parameters()``, in that order: the indices to difference
        (``(j, k)`` of a W, ``(j,)`` of a b); an empty one for an array left out.
    l2, n_total, eps, l1 : float, int, float, float
        As in :func:`check_gradients`.

    Returns
    -------
    list of ndarray
        Per array, float64 and shaped like it: (C(p + ε) − C(p − ε)) / 2ε at the chosen
        entries, NaN at the others.
    """
    net.check_parameters()
    eps = _step(eps)
    _, X64, Y64, penalty = _batch(net, X, y, l2, n_total, l1)
    wide, cost = _wide_cost(net, X64, Y64, penalty)
    parameters = wide.parameters()
    if len(entries) != len(parameters):
        raise ValueError(f"entries must hold one collection of indices per parameter array ({len(parameters)}); got {len(entries)}")
    out = []
    for P, chosen in zip(parameters, entries):
        numerical = np.full(P.shape, np.nan)
        for index in chosen:
            numerical[index] = _central_difference(cost, P, tuple(index), eps)
        out.append(numerical)
    return out


def _step(eps: object) -> float:
    """ε, checked."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) or not 0 < eps < 1:
        raise ValueError(f"eps must be a number in (0, 1); got {eps!r}")
    return float(eps)


def _batch(net: Network, X: object, y: object, l2: object, n_total: object, l1: object) -> tuple[Network, np.ndarray, np.ndarray, Penalty]:
    """A float64 copy of ``net``, the batch as its float64 input and target rows, and the penalty."""
    net64 = net.copy(np.float64)
    X64 = net64.inputs(X)
    Y64 = net64.targets(y, len(X64))
    return net64, X64, Y64, Penalty.checked(l2, l1, n_total, len(X64))


def _wide_cost(net: Network, X64: np.ndarray, Y64: np.ndarray, penalty: Penalty) -> tuple[Network, Callable[[], np.floating]]:
    """An extended-precision copy of ``net`` and its cost on the batch at the copy's current
    parameters (a function: the copy's arrays are moved in place between calls)."""
    wide = net.copy(np.longdouble)
    Xw, Yw = X64.astype(np.longdouble), Y64.astype(np.longdouble)

    def cost() -> np.floating:
        return wide.regularised_cost(Xw, Yw, penalty)

    return wide, cost


def _central_difference(cost: Callable[[], np.floating], P: np.ndarray, index: tuple[int, ...], eps: float) -> np.floating:
    """(C(p + ε) − C(p − ε)) / 2ε for the entry ``index`` of ``P``, which is left as it was."""
    original = P[index]
    P[index] = original + eps
    c_plus = cost()
    P[index] = original - eps
    c_minus = cost()
    P[index] = original
    return (c_plus - c_minus) / (2 * eps)
