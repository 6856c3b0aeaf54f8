"""The training step compiled (the ``fast`` extra: numba): for small batches, where NumPy's
per-call overhead, not arithmetic, is most of a step.

At batch 10 a step of a 784-100-10 network is about 50 NumPy calls of a microsecond or two each
around three matrix products. :class:`CompiledStep` runs the same step, BP1–BP4 with the same
tags, as one compiled function: the gather, z^l = W^l a^{l−1} + b^l and a^l = σ(z^l) in one loop
per layer, δ^L = a^L − y with each example's share of the mean, BP2's Hadamard product and BP3's
sums as loops, and the products through BLAS (numba calls SciPy's). It serves the common
configurations: hidden sigmoid, tanh, ReLU or identity layers and a matched output pair
(softmax + log-likelihood, sigmoid + cross-entropy, identity + quadratic, where BP1 is a − y),
without dropout, in float32 or float64. The tests hold it equal to
:class:`~deltaprop.training.workspace.Workspace` and to :func:`deltaprop.backprop.backprop`.

Nothing here is imported unless numba is installed, a Trainer's batch is small enough
(:data:`MAX_BATCH`) and its epochs long enough (:data:`MIN_STEPS_PER_EPOCH`) to earn back numba's
import; the first use on a machine compiles (a few seconds, cached on disk after that).
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence

import numpy as np

from ..backprop import Layers
from ..penalty import Penalty

__all__ = ["CompiledStep", "available", "supports", "MAX_BATCH", "MIN_STEPS_PER_EPOCH"]

#: The largest batch that takes the compiled step (above it the NumPy workspace is as fast:
#: the step is mostly matrix products; see benchmarks/README.md).
MAX_BATCH = 32
#: The fewest steps per epoch for which the compiled step is taken: importing numba takes
#: about half a second (and ~100 MB), which a step saves back at 10–20 µs a step.
MIN_STEPS_PER_EPOCH = 1000
#: Hidden activations the compiled step knows, by the code the kernel switches on.
HIDDEN = {"sigmoid": 0, "relu": 1, "tanh": 2, "identity": 3}
#: Output layers (the code, and the cost that makes BP1 a − y with it).
OUTPUT = {"sigmoid": (0, "cross_entropy"), "identity": (3, "quadratic"), "softmax": (4, "log_likelihood")}

_kernel = None


def available() -> bool:
    """Whether numba (and SciPy, whose BLAS numba's products call) are installed (found, not
    imported: :class:`CompiledStep` imports them, and raises ImportError if they do not load)."""
    return all(importlib.util.find_spec(name) is not None for name in ("numba", "scipy"))


def supports(net: Layers, dropout: float) -> bool:
    """Whether the compiled step serves ``net`` (see the module): the registries' own
    activations and cost (not a subclass, whose ``f`` may differ) in a configuration it knows."""
    from .workspace import BUILT_IN

    output = net.activations[-1].name
    return (
        dropout == 0
        and all(type(part) in BUILT_IN for part in (*net.activations, net.cost_function))
        and net.dtype in (np.float32, np.float64)
        and all(a.name in HIDDEN for a in net.activations[:-1])
        and output in OUTPUT and OUTPUT[output][1] == net.cost_function.name
    )


class CompiledStep:
    """The buffers of one batch size and the compiled step that fills them.

    Parameters
    ----------
    net : Network
        Its parameter arrays are shared with the kernel (updated in place by the optimizer).
    n : int
        The batch size.
    gradients : sequence of ndarray
        ``[dW0, db0, dW1, db1, ...]``, the arrays the step writes ∂C/∂θ into.
    """

    def __init__(self, net: Layers, n: int, gradients: Sequence[np.ndarray]) -> None:
        _compiled()
        importlib.import_module("scipy.linalg.cython_blas")  # the BLAS numba's products call, loaded now (its threads are set next)

        dtype, sizes = net.dtype, net.sizes
        self.n = n
        self.activations = [np.empty((n, size), dtype) for size in sizes]
        self.targets = np.empty((n, sizes[-1]), dtype)
        self.weighted_inputs = [np.empty((n, size), dtype) for size in sizes[1:]]
        self.deltas = [np.empty((n, size), dtype) for size in sizes[1:]]
        # tuples of arrays of one type each (numba's typed lists take seconds to build)
        self._arrays = tuple(
            tuple(arrays) for arrays in (
                net.weights, net.biases, self.weighted_inputs, self.activations, self.deltas, gradients[0::2], gradients[1::2]
            )
        )
        self._codes = np.array([HIDDEN[a.name] for a in net.activations[:-1]] + [OUTPUT[net.activations[-1].name][0]])
        self._share = np.full(n, 1 / n, dtype)

    def gradient(
        self, X: np.ndarray, Y: np.ndarray, rows: np.ndarray, net: Layers, out: Sequence[np.ndarray],
        penalty: Penalty, masks: None = None, share: np.ndarray | None = None, split_gather: bool = False,
    ) -> np.ndarray:
        """:meth:`Workspace.gradient <deltaprop.training.workspace.Workspace.gradient>`, compiled:
        ``out`` must be the arrays given when built, ``masks`` None (no dropout); its batches
        are small, so ``split_gather`` is ignored."""
        shares = self._share if share is None else share[:, 0]
        _compiled()(X, Y, rows, self.targets, *self._arrays, self._codes, shares)
        for dW, W in zip(out[0::2], net.weights):
            penalty.add_gradient(dW, W)  # + ∂/∂W of λ/(2n) Σw² + λ₁/n Σ|w|
        return self.activations[-1]


def _compiled():
    """The kernel, compiled at its first use (numba imported only then)."""
    global _kernel
    if _kernel is None:
        import numba

        _kernel = numba.njit(cache=True)(_step)
    return _kernel


def _step(X, Y, rows, targets, weights, biases, zs, acts, deltas, dWs, dbs, codes, shares):  # pragma: no cover - compiled
    """One step: gather, forward, BP1–BP4 (compiled by numba; plain Python reads the same)."""
    n, depth = rows.shape[0], len(weights)
    a0 = acts[0]
    for i in range(n):
        a0[i, :] = X[rows[i], :]
        targets[i, :] = Y[rows[i], :]
    for layer in range(depth):
        z, a, b, code = zs[layer], acts[layer + 1], biases[layer], codes[layer]
        np.dot(acts[layer], weights[layer].T, z)
        for i in range(n):
            for j in range(z.shape[1]):
                z[i, j] += b[j]  # z^l = W^l a^{l−1} + b^l
            if code == 4:  # a^l = softmax(z^l), shifted by max z
                top = z[i, 0]
                for j in range(z.shape[1]):
                    top = max(top, z[i, j])
                total = 0.0
                for j in range(z.shape[1]):
                    a[i, j] = math.exp(z[i, j] - top)
                    total += a[i, j]
                for j in range(z.shape[1]):
                    a[i, j] /= total
            else:
                for j in range(z.shape[1]):
                    v = z[i, j]
                    if code == 0:
                        a[i, j] = 1.0 / (1.0 + math.exp(-v))  # a^l = σ(z^l)
                    elif code == 1:
                        a[i, j] = 0.0 if v <= 0 else v  # max(z, 0); NaN stays NaN, as in NumPy
                    elif code == 2:
                        a[i, j] = math.tanh(v)
                    else:
                        a[i, j] = v
    delta, output = deltas[depth - 1], acts[depth]
    for i in range(n):
        for j in range(delta.shape[1]):
            delta[i, j] = (output[i, j] - targets[i, j]) * shares[i]  # (BP1) δ^L = a^L − y, times x's share of C
    for layer in range(depth - 1, -1, -1):
        delta = deltas[layer]
        if layer < depth - 1:
            np.dot(deltas[layer + 1], weights[layer + 1], delta)
            a, z, code = acts[layer + 1], zs[layer], codes[layer]
            for i in range(n):
                for j in range(delta.shape[1]):
                    if code == 0:
                        delta[i, j] *= a[i, j] * (1.0 - a[i, j])  # (BP2) ⊙ σ'(z^l)
                    elif code == 1:
                        if z[i, j] <= 0:
                            delta[i, j] = 0.0
                    elif code == 2:
                        delta[i, j] *= 1.0 - a[i, j] * a[i, j]
        db = dbs[layer]
        for j in range(delta.shape[1]):
            total = 0.0
            for i in range(n):
                total += delta[i, j]
            db[j] = total  # (BP3)
        np.dot(delta.T, acts[layer], dWs[layer])  # (BP4)
