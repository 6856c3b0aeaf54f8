"""The numbers of one pass: forward, backprop and the gradient check on one example, in float64.

:meth:`Numbers.of` runs :func:`deltaprop.backprop.forward`, :func:`deltaprop.backprop.backprop`
and :func:`deltaprop.gradcheck.check_gradients` on one example and keeps what they return; the
central differences beside the gradients are the check's own (for a network too large to check
entry by entry, :func:`deltaprop.gradcheck.central_differences` of the entries shown). This is
the one module of :mod:`deltaprop.explain` that imports the computation; the few products
computed here ((W^{l+1})ᵀ δ^{l+1}, the general BP1) are the factors of the equations shown.

Symbols → names, numbered as in Nielsen's book and seed 000 (layer 1 is the input, layer L
the output; neurons count from 1): x = a^1 → ``x``; y → ``y``; z^l → ``weighted_inputs[l−2]``;
a^l → ``activations[l−1]``; σ'(z^l) → ``derivatives[l−2]``; ∂C/∂a^l → ``grad_activations[l−2]``;
δ^l → ``deltas[l−2]``; ∂C/∂W^l, ∂C/∂b^l → ``dW[l−2]``, ``db[l−2]``; ε → ``EPS``; η → ``lr``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..backprop import backprop, forward
from ..gradcheck import GradientCheck, central_differences, check_gradients
from ..network import Network
from ..optimizers import SGD
from .selection import shown_indices, shown_weights

__all__ = ["Numbers", "default_example", "EPS"]

#: The step of the central differences shown beside the gradients (as in :mod:`deltaprop.gradcheck`).
EPS = 1e-6


@dataclass
class Numbers:
    """One forward and one backward pass on one example: every number an explanation shows.

    Built by :meth:`of`. Every array is float64; vectors are per example, shape (n_l,).
    List index ``i`` is weight layer l = i + 2 (``activations`` starts at layer 1, the input).

    Attributes
    ----------
    network : Network
        The float64 copy that was explained.
    x, y : ndarray
        The input a^1, shape (n_0,), and the target vector, shape (n_out,).
    weighted_inputs, activations : list of ndarray
        z^l for l = 2 … L and a^l for l = 1 … L, from :func:`deltaprop.backprop.forward`.
    derivatives : list of ndarray or None
        σ'(z^l) from each layer's ``Activation.derivative``; None for softmax (a Jacobian).
    cost : float
        C for this example, from the network's cost function.
    grad_activations : list of ndarray
        ∂C/∂a^l for l = 2 … L: the cost's ``grad_a`` for the output, (W^{l+1})ᵀ δ^{l+1} below it.
    general_output_delta : ndarray
        δ^L by the general BP1 (``Activation.backward`` of ∇_a C), whatever short cut backprop took.
    deltas, dW, db : list of ndarray
        δ^l, ∂C/∂W^l and ∂C/∂b^l from :func:`deltaprop.backprop.backprop`.
    numerical_dW, numerical_db : list of ndarray
        Central differences of the cost: every entry's, from :attr:`GradientCheck.numerical`,
        when the check took every entry; else those of the entries shown, NaN for the others.
    check : GradientCheck
        :func:`deltaprop.check_gradients` on this example: every array against the cost.
    neuron : tuple of int
        The chosen neuron (l, j), numbered as in the equations (l ≥ 2, j from 1).
    path : list of int
        A neuron of each layer, input first (0-based): the worked elements, through ``neuron``.
    lr : float or None
        η, when one step of gradient descent is shown.
    weight : tuple of int or None
        The weight (l, j, k) whose derivation is worked out, numbered as in the equations, when
        one is; its entry and its bias are among those differenced.
    updated_weights, updated_biases : list of ndarray or None
        The parameters after that step, W ← W − η ∂C/∂W, by :class:`deltaprop.SGD`.
    cost_after : float or None
        C for this example after the step.
    """

    network: Network
    x: np.ndarray
    y: np.ndarray
    weighted_inputs: list[np.ndarray]
    activations: list[np.ndarray]
    derivatives: list[np.ndarray | None]
    cost: float
    grad_activations: list[np.ndarray]
    general_output_delta: np.ndarray
    deltas: list[np.ndarray]
    dW: list[np.ndarray]
    db: list[np.ndarray]
    numerical_dW: list[np.ndarray]
    numerical_db: list[np.ndarray]
    check: GradientCheck
    neuron: tuple[int, int]
    path: list[int]
    lr: float | None = None
    weight: tuple[int, int, int] | None = None
    updated_weights: list[np.ndarray] | None = None
    updated_biases: list[np.ndarray] | None = None
    cost_after: float | None = None

    @classmethod
    def of(
        cls, net: Network, x: object, y: object, lr: float | None = None, neuron: Sequence[int] | None = None,
        weight: Sequence[int] | None = None,
    ) -> Numbers:
        """Run one forward and one backward pass of ``net`` on the example (x, y).

        Parameters
        ----------
        net : Network
            Left unchanged; the numbers are those of a float64 copy.
        x : array_like, shape (n_0,)
            One input.
        y : int or array_like
            Its class label, or its target vector of shape (n_out,).
        lr : float, optional
            η: also take one step of gradient descent, W ← W − η ∂C/∂W.
        neuron : (int, int), optional
            The neuron (l, j) whose path is worked out, numbered as in the equations; by
            default the largest |δ| of the last hidden layer (the output layer if there is none).
        weight : (int, int, int), optional
            A weight w^l_jk (l, j, k), numbered as in the equations, whose entry and bias are
            differenced too (for its derivation).

        Returns
        -------
        Numbers
            Or the subclass it is called on.

        Raises
        ------
        TypeError
            If ``net`` is not a :class:`Network`.
        ValueError
            For an input or target of the wrong shape or out of range, a bad ``lr``, ``neuron``
            or ``weight``.
        """
        if not isinstance(net, Network):
            raise TypeError(f"net must be a deltaprop Network; got {type(net).__name__}")
        net.check_parameters()
        net64 = net.copy(np.float64)
        X, Y = _example(net64, x, y)
        zs, acts = forward(net64, X)
        grads = backprop(net64, X, Y)  # (BP1)–(BP4)
        output, cost_function = net64.activations[-1], net64.cost_function
        grad_a = cost_function.grad_a(acts[-1], Y)
        deltas = [d[0] for d in grads.deltas]
        grad_activations = [deltas[i + 1] @ W for i, W in enumerate(net64.weights[1:])] + [grad_a[0]]  # (W^{l+1})ᵀ δ^{l+1}
        chosen = _neuron(neuron, net64.sizes, deltas)
        derived = None if weight is None else _weight(weight, net64.sizes)
        path = [int(np.argmax(np.abs(X[0])))] + [chosen[1] - 1 if i + 2 == chosen[0] else int(np.argmax(np.abs(d))) for i, d in enumerate(deltas)]
        check = check_gradients(net64, X, Y, eps=EPS)
        numerical = _numerical(net64, X, Y, check, _shown_entries([a[0] for a in acts], deltas, grads.dW, path, derived))
        numbers = cls(
            network=net64,
            x=X[0],
            y=Y[0],
            weighted_inputs=[z[0] for z in zs],
            activations=[a[0] for a in acts],
            derivatives=[act.derivative(z, a)[0] if act.elementwise else None for act, z, a in zip(net64.activations, zs, acts[1:])],
            cost=float(cost_function.value(acts[-1], Y)),
            grad_activations=grad_activations,
            general_output_delta=output.backward(zs[-1], acts[-1], grad_a)[0],  # (BP1) ∇_a C ⊙ σ'(z^L)
            deltas=deltas,
            dW=grads.dW,
            db=grads.db,
            numerical_dW=numerical[0::2],
            numerical_db=numerical[1::2],
            check=check,
            neuron=chosen,
            path=path,
            weight=derived,
        )
        if lr is not None:
            updated = net64.copy()
            SGD(lr).step(updated.parameters(), grads.parameters())  # W ← W − η ∂C/∂W
            numbers.lr = float(lr)
            numbers.updated_weights, numbers.updated_biases = updated.weights, updated.biases
            numbers.cost_after = float(updated.regularised_cost(X, Y))
        return numbers

    def to_dict(self) -> dict:
        """Everything as plain JSON values: ``sizes``, ``x``, ``y``, ``weights``, ``biases``, ``cost``
        and ``layers`` (per weight layer: ``z``, ``a``, ``delta``, ``dW``, ``db``, and their checks)."""
        net = self.network
        layers = []
        for i in range(len(net.weights)):
            layers.append({
                "layer": i + 2,
                "activation": net.activations[i].name,
                "z": self.weighted_inputs[i].tolist(),
                "a": self.activations[i + 1].tolist(),
                "delta": self.deltas[i].tolist(),
                "dW": self.dW[i].tolist(),
                "db": self.db[i].tolist(),
                "dW_numerical": _nan_to_none(self.numerical_dW[i]),
                "db_numerical": _nan_to_none(self.numerical_db[i]),
                "dW_rel_error": self.check.parameters[2 * i].rel_error,
                "db_rel_error": self.check.parameters[2 * i + 1].rel_error,
            })
        out = {
            "sizes": list(net.sizes),
            "activations": [a.name for a in net.activations],
            "cost_function": net.cost_function.name,
            "x": self.x.tolist(),
            "y": self.y.tolist(),
            "weights": [W.tolist() for W in net.weights],
            "biases": [b.tolist() for b in net.biases],
            "cost": self.cost,
            "grad_a": self.grad_activations[-1].tolist(),
            "layers": layers,
            "neuron": list(self.neuron),
            "path": [j + 1 for j in self.path],
        }
        if self.lr is not None:
            out["lr"] = self.lr
            out["updated_weights"] = [W.tolist() for W in self.updated_weights]
            out["updated_biases"] = [b.tolist() for b in self.updated_biases]
            out["cost_after"] = self.cost_after
        return out


def _nan_to_none(array: np.ndarray) -> list:
    return np.where(np.isnan(array), None, array).tolist()


def default_example(net: Network, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return a fixed example (x, y) for ``net``, drawn from ``seed``.

    x is uniform in [−1, 1], rounded to two decimals so that it reads easily. y is 1 for one
    output (Ng's J then reduces to −ln a^L); a one-hot class for several outputs, unless the
    cost is quadratic on a non-probability output, where it is uniform in [−1, 1] like x. The
    generator is seeded with (seed, 1), a stream apart from the network's initial weights.
    """
    rng = np.random.default_rng([seed, 1])
    x = np.round(rng.uniform(-1, 1, net.sizes[0]), 2)
    n_out = net.sizes[-1]
    if net.cost_function.name == "quadratic" and not net.is_classifier:
        return x, np.round(rng.uniform(-1, 1, n_out), 2)
    y = np.ones(1) if n_out == 1 else np.eye(n_out)[rng.integers(n_out)]
    return x, y


def _example(net: Network, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """One input row (1, n_0) and its target row (1, n_out), checked by the network's own rules."""
    n_in, n_out = net.sizes[0], net.sizes[-1]
    x_array, y_array = _array(x), _array(y)
    if x_array is None or x_array.shape != (n_in,):
        got = "no array" if x_array is None else f"shape {x_array.shape}"
        raise ValueError(f"x must be one input of shape ({n_in},) for sizes {net.sizes}; got {got}")
    if y_array is None or y_array.shape not in ((), (n_out,)):
        got = "no array" if y_array is None else f"shape {y_array.shape}"
        raise ValueError(f"y must be a class label or a target vector of shape ({n_out},) for sizes {net.sizes}; got {got}")
    return net.inputs(x_array.reshape(1, n_in)), net.targets(y_array.reshape(1, -1) if y_array.ndim else y_array.reshape(1), 1)


def _array(value: object) -> np.ndarray | None:
    """``value`` as an array, or None for a string or ragged rows."""
    if isinstance(value, (str, bytes)):
        return None
    try:
        return np.asarray(value)
    except ValueError:
        return None


def _neuron(neuron: object, sizes: list[int], deltas: list[np.ndarray]) -> tuple[int, int]:
    """The chosen neuron (l, j), checked; by default the largest |δ| of the last hidden layer."""
    L = len(sizes)
    if neuron is None:
        l = L - 1 if L > 2 else L
        return l, int(np.argmax(np.abs(deltas[l - 2]))) + 1
    ok = (
        isinstance(neuron, (tuple, list))
        and len(neuron) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in neuron)
        and 2 <= neuron[0] <= L
        and 1 <= neuron[1] <= sizes[neuron[0] - 1]
    )
    if not ok:
        widths = ", ".join(f"layer {l}: {sizes[l - 1]}" for l in range(2, L + 1))
        raise ValueError(f"neuron must be (layer, index) with layer from 2 to {L} and index from 1 to the layer's width ({widths}); got {neuron!r}")
    return int(neuron[0]), int(neuron[1])


def _weight(weight: object, sizes: list[int]) -> tuple[int, int, int]:
    """The weight (l, j, k) whose derivation is worked out, checked."""
    L = len(sizes)
    ok = (
        isinstance(weight, (tuple, list))
        and len(weight) == 3
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in weight)
        and 2 <= weight[0] <= L
        and 1 <= weight[1] <= sizes[weight[0] - 1]
        and 1 <= weight[2] <= sizes[weight[0] - 2]
    )
    if not ok:
        shapes = ", ".join(f"layer {l}: {sizes[l - 1]} × {sizes[l - 2]}" for l in range(2, L + 1))
        raise ValueError(f"weight must be (layer, j, k) with layer from 2 to {L}, j and k from 1 to the shape of its W ({shapes}); got {weight!r}")
    return int(weight[0]), int(weight[1]), int(weight[2])


def _shown_entries(
    acts: list[np.ndarray], deltas: list[np.ndarray], dW: list[np.ndarray], path: list[int], weight: tuple[int, int, int] | None
) -> list[list[tuple[int, ...]]]:
    """The entries of each parameter array (``Network.parameters()`` order) that the sections show."""
    entries: list[list[tuple[int, ...]]] = []
    for i in range(len(dW)):
        entries += [shown_weights(dW[i], acts[i], path[i + 1], path[i]), [(j,) for j in shown_indices(deltas[i], path[i + 1])]]
    if weight is not None:
        l, j, k = weight
        entries[2 * (l - 2)] = sorted({*entries[2 * (l - 2)], (j - 1, k - 1)})
        entries[2 * (l - 2) + 1] = sorted({*entries[2 * (l - 2) + 1], (j - 1,)})
    return entries


def _numerical(net: Network, X: np.ndarray, Y: np.ndarray, check: GradientCheck, entries: list[list[tuple[int, ...]]]) -> list[np.ndarray]:
    """The central differences of each parameter array: the check's own where it took every
    entry; elsewhere those of ``entries``, NaN for the rest."""
    missing = [[] if given is not None else wanted for given, wanted in zip(check.numerical, entries)]
    if not any(missing):
        return list(check.numerical)
    differenced = central_differences(net, X, Y, missing, eps=EPS)
    return [given if given is not None else new for given, new in zip(check.numerical, differenced)]
