"""The forward pass and the four equations of backpropagation.

Symbols → names (seed 000 / Nielsen; seed 002 / Ng in brackets):

=====================  ==========================  ==========================================
symbol                 name                        shape
=====================  ==========================  ==========================================
a^{l−1}  [a^(l)]       ``activations[i]``          (n, n_{l−1}); ``activations[0]`` is X
W^l      [Θ^(l−1)]     ``net.weights[i]``          (n_l, n_{l−1}); w_jk joins k in l−1 to j in l
b^l                    ``net.biases[i]``           (n_l,)
z^l      [z^(l)]       ``weighted_inputs[i]``      (n, n_l)
δ^l      [δ^(l)]       ``deltas[i]``               (n, n_l), ∂C_x/∂z^l for each example x
=====================  ==========================  ==========================================

Python index ``i`` counts weight layers from 0, so ``weights[i]`` is W^{i+2} in seed 000's
numbering (layer 1 is the input) and Θ^(i+1) in seed 002's. Rows are examples, which turns
the seeds' column-vector equations into row form: z^l = W^l a^{l−1} + b^l becomes
``Z = A_prev @ W.T + b`` and (w^{l+1})ᵀ δ^{l+1} becomes ``delta @ W``.

The cost C is the mean over the n examples, plus the regularisation term of a
:class:`~deltaprop.penalty.Penalty` (λ/(2n) Σ‖W‖² + λ₁/n Σ|w|), whose gradient is added to BP4's.

``X`` may be a SciPy sparse matrix (CSR or CSC): the first layer's forward product
``X @ W.T`` and BP4's δᵀ X are then sparse-dense products, through the same lines.

Dropout (inverted) enters as ``masks``: per hidden layer an array of 0 (dropped) and 1/(1 − p)
(kept), multiplied into a^l on the way forward; a dropped unit then passes no δ back.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence
from typing import NamedTuple, Protocol

import numpy as np

from .activations import Activation
from .costs import Cost
from .penalty import NO_PENALTY, Penalty

__all__ = ["ForwardPass", "Gradients", "forward", "dropout_masks", "example_shares", "backprop", "backprop_per_example"]


class Layers(Protocol):
    """What the passes read of a network (a :class:`~deltaprop.network.Network` has it all)."""

    sizes: list[int]
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    activations: list[Activation]
    cost_function: Cost
    dtype: np.dtype


class ForwardPass(NamedTuple):
    """What the forward pass caches for the backward pass.

    Attributes
    ----------
    weighted_inputs : list of ndarray
        z^l for each layer with weights, shape (n, n_l).
    activations : list of ndarray
        a^l for every layer, the input X first: one more entry than ``weighted_inputs``
        (with dropout, a^l after its mask: what the next layer sees).
    """

    weighted_inputs: list[np.ndarray]
    activations: list[np.ndarray]


@dataclass
class Gradients:
    """∂C/∂W^l, ∂C/∂b^l and δ^l from one backward pass.

    Attributes
    ----------
    dW : list of ndarray
        ∂C/∂W for each layer, the shape of ``net.weights[i]``.
    db : list of ndarray
        ∂C/∂b for each layer, the shape of ``net.biases[i]``.
    deltas : list of ndarray
        δ for each layer, shape (n, n_l): per example, not divided by n.
    output : ndarray, shape (n, n_out)
        a^L of the forward pass, from which the batch's cost follows.
    """

    dW: list[np.ndarray]
    db: list[np.ndarray]
    deltas: list[np.ndarray]
    output: np.ndarray

    def parameters(self) -> list[np.ndarray]:
        """Return ``[dW[0], db[0], dW[1], db[1], ...]``, in ``Network.parameters()`` order."""
        return [g for pair in zip(self.dW, self.db) for g in pair]


def forward(net: Layers, X: np.ndarray, masks: list[np.ndarray | None] | None = None) -> ForwardPass:
    """Feed ``X`` (n, n_0) forward, caching z^l and a^l for every layer.

    ``masks``, for dropout: one entry per layer with weights, an (n, n_l) array or ``None``
    (see :func:`dropout_masks`).
    """
    weighted_inputs, activations = [], [X]
    for i, (W, b, act) in enumerate(zip(net.weights, net.biases, net.activations)):
        z = activations[-1] @ W.T + b  # z^l = W^l a^{l−1} + b^l
        weighted_inputs.append(z)
        a = act.f(z)  # a^l = σ(z^l)
        if masks is not None and masks[i] is not None:
            a = a * masks[i]  # dropout
        activations.append(a)
    return ForwardPass(weighted_inputs, activations)


def dropout_masks(net: Layers, n: int, p: float, rng: np.random.Generator) -> list[np.ndarray | None]:
    """Draw inverted-dropout masks for ``n`` examples: each hidden unit is dropped with
    probability ``p`` (entry 0) and kept otherwise (entry 1/(1 − p), so that the expected
    activation is unchanged and prediction needs no rescaling). The output layer is never dropped.
    """
    keep = 1.0 - p
    masks: list[np.ndarray | None] = [
        (rng.random((n, size), dtype=net.dtype) < keep) * net.dtype.type(1.0 / keep) for size in net.sizes[1:-1]
    ]
    return masks + [None]


def example_shares(sample_weight: np.ndarray) -> np.ndarray:
    """Return each example's share of the weighted mean cost, w_x / Σ w, as a column (n, 1)
    (all zero when every weight is: the batch then has no data term)."""
    total = sample_weight.sum()
    return (sample_weight / total if total > 0 else np.zeros_like(sample_weight))[:, None]


def backprop(
    net: Layers,
    X: np.ndarray,
    Y: np.ndarray,
    penalty: Penalty = NO_PENALTY,
    masks: list[np.ndarray | None] | None = None,
    sample_weight: np.ndarray | None = None,
    out: Sequence[np.ndarray] | None = None,
) -> Gradients:
    """One forward and one backward pass over a mini-batch: BP1–BP4, vectorised.

    Parameters
    ----------
    net : Network
    X : ndarray or SciPy sparse matrix, shape (n, n_0)
        Inputs, in the network's dtype.
    Y : ndarray, shape (n, n_out)
        Float targets (labels already one-hot).
    penalty : Penalty
        The cost's regularisation term (none by default).
    masks : list, optional
        Dropout masks, as for :func:`forward`.
    sample_weight : ndarray, shape (n,), optional
        Weights w_x of the examples: the cost becomes the weighted mean Σ w_x C_x / Σ w_x,
        so 1/n becomes w_x / Σ w in BP3 and BP4.
    out : sequence of ndarray, optional
        Arrays ``[dW0, db0, dW1, db1, ...]`` (``Network.parameters()`` order, shapes and dtype)
        that BP3 and BP4 write into instead of allocating: a trainer passes views of one flat
        gradient buffer. Not checked (the training step's hot path).

    Returns
    -------
    Gradients
    """
    if Y.shape != (X.shape[0], net.sizes[-1]):
        raise ValueError(f"Y must be float targets of shape {(X.shape[0], net.sizes[-1])}; got {Y.shape} (Network.targets converts labels)")
    zs, acts = forward(net, X, masks)
    n, depth = X.shape[0], len(net.weights)
    share = 1 / n if sample_weight is None else example_shares(sample_weight)  # each example's share of C
    dW, db = (list(out[0::2]), list(out[1::2])) if out is not None else ([None] * depth, [None] * depth)
    deltas = [None] * depth
    delta = net.cost_function.delta(zs[-1], acts[-1], Y, net.activations[-1])  # (BP1)
    for i in reversed(range(depth)):
        if i < depth - 1:
            mask = None if masks is None else masks[i]
            sigma_prime = net.activations[i].derivative(zs[i], acts[i + 1] if mask is None else None)
            delta = (delta @ net.weights[i + 1]) * sigma_prime  # (BP2)
            if mask is not None:
                delta *= mask  # a dropped unit passes no error back
        deltas[i] = delta
        shared_delta = delta * share  # C is the mean over the batch: its 1/n, once, on the small factor
        db[i] = shared_delta.sum(axis=0, out=db[i])  # (BP3)
        dW[i] = _matmul(shared_delta.T, acts[i], out=dW[i])  # (BP4)
        penalty.add_gradient(dW[i], net.weights[i])  # + ∂/∂W of λ/(2n) Σw² + λ₁/n Σ|w|
    return Gradients(dW, db, deltas, acts[-1])


def _matmul(left: np.ndarray, right: object, out: np.ndarray | None) -> np.ndarray:
    """``left @ right``, into ``out`` when given. ``right`` may be a SciPy sparse matrix (a
    sparse X as a^0): δᵀ X is then a sparse-dense product, and X is never made dense."""
    if isinstance(right, np.ndarray):
        return np.matmul(left, right, out=out)
    product = np.asarray(left @ right)
    if out is None:
        return product
    out[...] = product
    return out


def backprop_per_example(net: Layers, X: np.ndarray, Y: np.ndarray, penalty: Penalty = NO_PENALTY) -> Gradients:
    """Seed 002's loop: one example at a time, accumulating Δ^(l) += δ^(l+1) (a^(l))ᵀ.

    The column-vector form of the seeds, written out for reading and as a cross-check: it
    equals :func:`backprop` to float round-off. Same parameters (no dropout) and result.
    """
    n, depth = X.shape[0], len(net.weights)
    Delta = [np.zeros_like(W) for W in net.weights]
    Delta_b = [np.zeros_like(b) for b in net.biases]
    deltas = [np.empty((n, b.size), dtype=b.dtype) for b in net.biases]
    outputs = np.empty_like(deltas[-1])
    for x in range(n):
        a, z = [X[x]], []  # a^(1) = x^(i)
        for W, b, act in zip(net.weights, net.biases, net.activations):
            z.append(W @ a[-1] + b)
            a.append(act.f(z[-1]))
        outputs[x] = a[-1]
        delta = net.cost_function.delta(z[-1], a[-1], Y[x], net.activations[-1])  # (BP1) δ^(L) = a^(L) − y
        for i in reversed(range(depth)):
            deltas[i][x] = delta
            Delta_b[i] += delta  # (BP3)
            Delta[i] += np.outer(delta, a[i])  # (BP4) Δ^(l) += δ^(l+1) (a^(l))ᵀ
            if i > 0:
                delta = (net.weights[i].T @ delta) * net.activations[i - 1].derivative(z[i - 1], a[i])  # (BP2)
    dW = [D / n for D in Delta]
    for D, W in zip(dW, net.weights):
        penalty.add_gradient(D, W)
    db = [D / n for D in Delta_b]
    return Gradients(dW, db, deltas, outputs)
