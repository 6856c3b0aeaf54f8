"""The training step's fast path: BP1–BP4 into buffers that live as long as the run.

:func:`deltaprop.backprop.backprop` is the reference: it allocates every z^l, a^l and δ^l afresh
and keeps δ^l per example. A :class:`Workspace` holds them for one batch size, so that a step of
a :class:`~deltaprop.training.trainer.Trainer` allocates nothing, and it folds the batch mean into
BP1 once: δ^L is scaled by each example's share of C (1/n, or w_x/Σw), so BP2 carries the share
down the layers and BP3 and BP4 are a plain sum and a plain product. Same equations, the same
tags; the tests hold the two paths equal (float64 to 1e-12, float32 to round-off).

Symbols → names as in :mod:`deltaprop.backprop`: z^l → ``weighted_inputs[i]``, a^l →
``activations[i + 1]`` (``activations[0]`` is the batch's X), δ^l·share → ``deltas[i]``.
"""

from __future__ import annotations

from collections.abc import Sequence
import os
from concurrent.futures import Executor, ThreadPoolExecutor

import numpy as np

from ..activations import ACTIVATIONS
from ..backprop import Layers
from ..costs import COSTS
from ..penalty import Penalty

__all__ = ["Workspace", "SPLIT_GATHER_ROWS", "BUILT_IN"]

#: Batches of at least this many rows are gathered in two halves at once, on two threads:
#: random rows of a large training set come from main memory, and one core's copy runs at
#: half the speed two reach (measured at batch 1024 on a busy machine: 46 against 30 ms an epoch).
SPLIT_GATHER_ROWS = 512
_helper: Executor | None = None

#: The exact classes of the registries' activations and costs (a user's subclass may change
#: ``f`` or keep the old ``f(z)`` signature, so it takes the reference path).
BUILT_IN = frozenset({type(a) for a in ACTIVATIONS.values()} | {type(c) for c in COSTS.values()})


class Workspace:
    """The z, a and δ buffers of one batch size for one network, and the step that fills them.

    Parameters
    ----------
    net : Network
        Its sizes and dtype shape the buffers.
    n : int
        The batch size (a run's last, smaller batch gets a workspace of its own).
    """

    def __init__(self, net: Layers, n: int) -> None:
        dtype, sizes = net.dtype, net.sizes
        self.n = n
        self.activations = [np.empty((n, size), dtype) for size in sizes]  # a^l; [0] is X
        self.targets = np.empty((n, sizes[-1]), dtype)
        self.weighted_inputs = [np.empty((n, size), dtype) for size in sizes[1:]]
        self.deltas = [np.empty((n, size), dtype) for size in sizes[1:]]
        self.sigma_primes = [np.empty((n, size), dtype) for size in sizes[1:-1]]

    @staticmethod
    def supports(net: Layers) -> bool:
        """Whether every activation and the cost of ``net`` is a built-in one (whose ``f``,
        ``derivative`` and ``delta`` write into ``out``); other networks take the reference path."""
        return all(type(part) in BUILT_IN for part in (*net.activations, net.cost_function))

    def gradient(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        rows: np.ndarray,
        net: Layers,
        out: Sequence[np.ndarray],
        penalty: Penalty,
        masks: list[np.ndarray | None] | None = None,
        share: np.ndarray | None = None,
        split_gather: bool = False,
    ) -> np.ndarray:
        """Gather the batch, then one forward and one backward pass over it; ∂C/∂θ into ``out``.

        Parameters
        ----------
        X, Y : ndarray
            The training inputs and float targets, of which the batch is ``rows``.
        rows : ndarray of int
            Valid indices (a permutation's slice): ``mode="wrap"`` lets :func:`numpy.take`
            write into the workspace directly, where the default mode copies twice.
        net : Network
        out : sequence of ndarray
            ``[dW0, db0, dW1, db1, ...]`` in ``Network.parameters()`` order (a Trainer's views
            of its flat gradient).
        penalty : Penalty
        masks : list, optional
            Dropout masks, as for :func:`deltaprop.backprop.forward`.
        share : ndarray, shape (n, 1), optional
            Each example's share of C, w_x/Σw; 1/n when omitted.
        split_gather : bool
            Gather a batch of at least :data:`SPLIT_GATHER_ROWS` rows on two threads (when
            the run has two cores for itself).

        Returns
        -------
        ndarray, shape (n, n_out)
            a^L, the batch's output (a view of the workspace: read it before the next step).
        """
        zs, acts, deltas, depth = self.weighted_inputs, self.activations, self.deltas, len(net.weights)
        _gather(X, rows, acts[0], split_gather and self.n >= SPLIT_GATHER_ROWS)
        np.take(Y, rows, axis=0, out=self.targets, mode="wrap")
        for i, (W, b, act) in enumerate(zip(net.weights, net.biases, net.activations)):
            z = np.matmul(acts[i], W.T, out=zs[i])
            z += b  # z^l = W^l a^{l−1} + b^l
            act.f(z, out=acts[i + 1])  # a^l = σ(z^l)
            if masks is not None and masks[i] is not None:
                acts[i + 1] *= masks[i]  # dropout
        dW, db = out[0::2], out[1::2]
        delta = net.cost_function.delta(zs[-1], acts[-1], self.targets, net.activations[-1], out=deltas[-1])  # (BP1)
        delta *= (1 / self.n) if share is None else share  # each example's share of the mean C, once
        for i in reversed(range(depth)):
            if i < depth - 1:
                mask = None if masks is None else masks[i]
                sigma_prime = net.activations[i].derivative(zs[i], acts[i + 1] if mask is None else None, out=self.sigma_primes[i])
                delta = np.matmul(delta, net.weights[i + 1], out=deltas[i])
                delta *= sigma_prime  # (BP2)
                if mask is not None:
                    delta *= mask  # a dropped unit passes no error back
            np.sum(delta, axis=0, out=db[i])  # (BP3)
            np.matmul(delta.T, acts[i], out=dW[i])  # (BP4)
            penalty.add_gradient(dW[i], net.weights[i])  # + ∂/∂W of λ/(2n) Σw² + λ₁/n Σ|w|
        return acts[-1]


def _gather(X: np.ndarray, rows: np.ndarray, out: np.ndarray, split: bool) -> None:
    """``out[...] = X[rows]``; with ``split``, the second half on a helper thread (NumPy's take
    releases the GIL)."""
    global _helper
    if not split:
        np.take(X, rows, axis=0, out=out, mode="wrap")
        return
    if _helper is None:
        _helper = ThreadPoolExecutor(1, thread_name_prefix="deltaprop-gather")
        os.register_at_fork(after_in_child=_forget_helper)  # a forked child has no such thread
    half = len(rows) // 2
    second = _helper.submit(np.take, X, rows[half:], 0, out[half:], "wrap")
    np.take(X, rows[:half], axis=0, out=out[:half], mode="wrap")
    second.result()


def _forget_helper() -> None:
    global _helper
    _helper = None
