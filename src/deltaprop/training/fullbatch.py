"""Full-batch training: the cost and its backprop gradient handed to a general optimizer.

Seed 002 puts backpropagation's purpose this way: it supplies the gradient to an optimizer,
gradient descent or a more advanced method; Ng's course hands the unrolled parameters, J(Θ)
and its gradient to ``fmincg`` (nonlinear conjugate gradient). Here the same pair goes to
``scipy.optimize.minimize``: L-BFGS (``"L-BFGS-B"``) or Polak–Ribière conjugate gradient
(``"CG"``), over the whole training set at every evaluation.

Symbols → names: θ (all parameters unrolled into one vector) → ``theta``, float64, the arrays
of :meth:`deltaprop.Network.parameters` (W⁰, b⁰, W¹, b¹, …) each raveled in C order, one after
the other; J(θ) = C + λ/(2n) Σ‖W‖² (n = ``len(X)``, or Σ w with sample weights) → the objective; ∇J → its gradient, from
:func:`deltaprop.backprop.backprop`. SciPy is an extra: ``pip install deltaprop[scipy]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..backprop import backprop
from ..network import Network
from ..penalty import Penalty
from ..validation import all_finite, as_sample_weight, non_negative, positive_int

__all__ = ["fit_full_batch", "FullBatchResult", "METHODS"]

#: The methods of ``scipy.optimize.minimize`` that :func:`fit_full_batch` drives.
METHODS = ("L-BFGS-B", "CG")


@dataclass
class FullBatchResult:
    """What :func:`fit_full_batch` reports.

    Attributes
    ----------
    cost : float
        J(θ) of the parameters the network ends with: after the last iteration, or at the
        start when the run broke down and the starting parameters were kept (NaN until
        :func:`fit_full_batch` fills it in).
    costs : list of float
        The curve: J(θ) at the start (``costs[0]``) and after each iteration (``costs[i]``).
    iterations : int
        Iterations taken.
    evaluations : int
        Evaluations of J and ∇J (each one forward and one backward pass over all of X).
    message : str
        SciPy's reason for stopping.
    success : bool
        Whether SciPy reports convergence (False when ``max_iter`` or ``max_fun`` ran out first).
    """

    cost: float = math.nan
    costs: list[float] = field(default_factory=list)
    iterations: int = 0
    evaluations: int = 0
    message: str = ""
    success: bool = False


def _sparse_inputs(net: Network, X: object) -> object:
    """A SciPy sparse X checked as :meth:`Network.inputs` checks a dense one, kept sparse."""
    if X.ndim != 2 or X.shape[1] != net.sizes[0] or X.shape[0] == 0:
        raise ValueError(f"X must have shape (n, {net.sizes[0]}) with n ≥ 1; got shape {X.shape}")
    X = X.astype(net.dtype)
    if not all_finite(X.data):
        raise ValueError("X contains NaN or inf")
    return X


def _objective(
    net: Network, X: np.ndarray, Y: np.ndarray, penalty: Penalty, sample_weight: np.ndarray | None
) -> tuple[Callable[[np.ndarray], tuple[float, np.ndarray]], Callable[[np.ndarray], None], np.ndarray]:
    """Return (θ ↦ (J(θ), ∇J(θ)), θ ↦ write θ into the network, θ now).

    Both functions write θ into the network's own arrays, in place and in its dtype.
    """
    params = net.parameters()
    offsets = np.cumsum([p.size for p in params])[:-1]

    def write(theta: np.ndarray) -> None:
        for p, piece in zip(params, np.split(theta, offsets)):
            p[...] = piece.reshape(p.shape)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        write(theta)
        cost = float(net.regularised_cost(X, Y, penalty, sample_weight))  # J(θ)
        grads = backprop(net, X, Y, penalty, sample_weight=sample_weight)  # ∇J(θ): BP1–BP4 plus (λ/n) W
        return cost, np.concatenate([g.ravel() for g in grads.parameters()]).astype(np.float64)

    theta = np.concatenate([p.ravel() for p in params]).astype(np.float64)
    return objective, write, theta


def fit_full_batch(
    net: Network,
    X: object,
    y: object,
    method: str = "L-BFGS-B",
    l2: float = 0.0,
    max_iter: int = 200,
    tol: float = 1e-6,
    max_fun: int = 15000,
    sample_weight: object = None,
) -> FullBatchResult:
    """Train ``net`` in place on all of ``X`` at once with L-BFGS or conjugate gradient.

    Minimises J(θ) = C + λ/(2n) Σ‖W‖² (n = ``len(X)``) over the unrolled parameters θ
    with ``scipy.optimize.minimize(method=..., jac=True)``, the gradient from backprop. The
    evaluations run in the network's dtype; a float64 network gives the line searches the
    precision they expect (a float32 one tends to stop early on a line-search message).
    The network ends at SciPy's final θ, written into its own arrays in its dtype.

    Parameters
    ----------
    net : Network
    X : array_like or SciPy sparse matrix, shape (n, n_0)
        A sparse X stays sparse: the first layer's products are sparse-dense.
    y : array_like
        Labels (n,) or targets (n, n_out).
    method : {"L-BFGS-B", "CG"}
        L-BFGS with bounds (none are set) or Polak–Ribière nonlinear conjugate gradient,
        the method of the course's ``fmincg``.
    l2 : float
        λ ≥ 0.
    max_iter : int
        The most iterations, ≥ 1.
    tol : float
        The gradient tolerance ``gtol`` (≥ 0): the method stops when the largest component
        of ∇J (L-BFGS-B's projected gradient; CG: the gradient's norm) falls below it.
        (L-BFGS-B keeps SciPy's own ``ftol`` on the relative reduction of J, as
        scikit-learn's MLP does: passing ``tol`` as SciPy's ``tol`` would set both and
        stop far too early.)
    max_fun : int
        L-BFGS-B's most evaluations of J and ∇J, ≥ 1 (SciPy's ``maxfun``; CG has none).
        Running out of them ends the run with ``success`` False.
    sample_weight : array_like, shape (n,), optional
        Weights w_x ≥ 0 of the rows: J = Σ_x w_x C_x / Σ w + λ/(2 Σ w) Σ‖W‖², so a
        weight of 2 is the row twice (Σ w = n without weights).

    Returns
    -------
    FullBatchResult

    Raises
    ------
    ValueError
        For an unknown method, bad numbers or bad training data, before any work.
    ImportError
        If SciPy is not installed.
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    max_iter = positive_int("max_iter", max_iter)
    tol = non_negative("tol", tol)
    max_fun = positive_int("max_fun", max_fun)
    net.check_parameters()
    try:
        from scipy.optimize import minimize
        from scipy.sparse import issparse
    except ImportError:
        raise ImportError("full-batch training needs SciPy: pip install deltaprop[scipy]") from None
    X = _sparse_inputs(net, X) if issparse(X) else net.inputs(X)
    Y = net.targets(y, X.shape[0])
    w = as_sample_weight(sample_weight, X.shape[0], net.dtype)
    total = X.shape[0] if w is None else float(w.sum())
    penalty = Penalty(non_negative("l2", l2), 0.0, total)  # λ/(2 Σw) Σ‖W‖²: n rows without weights

    objective, write, theta0 = _objective(net, X, Y, penalty, w)
    last: list = [None, None]  # θ and J(θ) of the latest evaluation, for the per-iteration costs

    def evaluate(theta: np.ndarray) -> tuple[float, np.ndarray]:
        cost, grad = objective(theta)
        last[:] = [theta.copy(), cost]
        return cost, grad

    result = FullBatchResult()

    def iteration_done(theta: np.ndarray) -> None:
        if not np.array_equal(theta, last[0]):  # the accepted θ is usually the latest evaluated
            evaluate(theta)
        result.costs.append(last[1])

    options = {"maxiter": max_iter, "gtol": tol, **({"maxfun": max_fun} if method == "L-BFGS-B" else {})}
    with np.errstate(over="ignore", invalid="ignore"):  # a trial step may overflow; the line search backs off
        result.costs.append(float(net.regularised_cost(X, Y, penalty, w)))  # J at the start
        found = minimize(
            evaluate, theta0, method=method, jac=True, options=options, callback=iteration_done
        )
    result.iterations, result.evaluations = int(found.nit), int(found.nfev)
    result.message, result.success = str(found.message), bool(found.success)
    if all_finite(found.x) and np.isfinite(result.costs[-1]):
        write(found.x)
        result.cost = result.costs[-1]
    else:  # keep the starting parameters rather than NaN or inf
        write(theta0)
        result.cost = result.costs[0]
        result.success = False
        result.message = f"the cost or a parameter became NaN or infinite ({found.message}); the network keeps its starting parameters"
    return result
