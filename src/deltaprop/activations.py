"""Activation functions σ and their derivatives σ'.

Symbols → names: z (``weighted_input``) → ``z``; a = σ(z) (``activation``) → ``a``;
σ'(z) → :meth:`Activation.derivative`.

Each activation keeps its derivative beside its forward rule. ``derivative`` takes the
cached ``a = f(z)`` when the caller has it, so that σ'(z) = σ(z)(1 − σ(z)) costs one
multiply instead of a second exponential. Every function is numerically stable: no overflow
or invalid-value warnings for |z| up to 1e4.

``f`` and ``derivative`` take an optional ``out`` array of ``z``'s shape and dtype to write the
result into (the training step's buffers, so that it allocates nothing); without it they return a
new array.

Softmax is the one activation whose outputs are coupled (a_k depends on every z_j), so its
derivative is a Jacobian rather than a vector; it serves as an output layer only, and BP1
goes through :meth:`Activation.backward`, which is ``∇_a C ⊙ σ'(z)`` for every other one.
"""

from __future__ import annotations

import numpy as np

from .validation import known_name

__all__ = [
    "Activation",
    "ACTIVATIONS",
    "get_activation",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "softplus",
    "identity",
    "exp",
    "softmax",
]


class Activation:
    """An activation function σ with its derivative.

    Attributes
    ----------
    name : str
        The registry name (``"sigmoid"``, ``"relu"``, ...).
    elementwise : bool
        True when a_j depends on z_j alone, so that σ'(z) is a vector and BP2's Hadamard
        product applies. Only such activations may be used in hidden layers.
    """

    name: str = ""
    elementwise: bool = True

    def f(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Return a = σ(z), element by element (into ``out`` when given)."""
        raise NotImplementedError

    def derivative(self, z: np.ndarray, a: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
        """Return σ'(z), element by element.

        Parameters
        ----------
        z : ndarray
            Weighted input.
        a : ndarray, optional
            ``f(z)``, when the caller already has it (the forward pass caches it).
        out : ndarray, optional
            Where to write σ'(z) (``z``'s shape and dtype; not ``z`` or ``a`` themselves).
        """
        raise NotImplementedError

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """Return ∂C/∂z from ∂C/∂a: ``grad_a ⊙ σ'(z)``, the product in BP1 and BP2."""
        return grad_a * self.derivative(z, a)

    def __repr__(self) -> str:
        return f"<activation {self.name}>"


class Sigmoid(Activation):
    """σ(z) = 1 / (1 + e^{−z}); σ'(z) = σ(z)(1 − σ(z))."""

    name = "sigmoid"

    def f(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        # e^{-z} overflows to inf for z < -709 (float64); 1 / (1 + inf) = 0 is the right limit.
        out = np.negative(z, out=out)
        with np.errstate(over="ignore"):
            np.exp(out, out=out)
        out += 1.0
        return np.reciprocal(out, out=out)

    def derivative(self, z: np.ndarray, a: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
        if a is None:
            a = self.f(z)
        out = np.subtract(1.0, a, out=out)
        out *= a  # σ(1 − σ)
        return out


class Tanh(Activation):
    """tanh(z); tanh'(z) = 1 − tanh²(z)."""

    name = "tanh"

    def f(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return np.tanh(z, out=out)

    def derivative(self, z: np.ndarray, a: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
        if a is None:
            a = np.tanh(z)
        out = np.multiply(a, a, out=out)
        return np.subtract(1.0, out, out=out)  # 1 − tanh²


class ReLU(Activation):
    """max(0, z); derivative 1 for z > 0, else 0 (the sub-gradient 0 at z = 0)."""

    name = "relu"

    def f(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return np.maximum(z, 0.0, out=out)

    def derivative(self, z: np.ndarray, a: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            return (z > 0).astype(z.dtype)
        return np.greater(z, 0, out=out)  # True → 1.0, False → 0.0


class LeakyReLU(Activation):
    """z for z > 0, else αz (α = 0.01); derivative 1 or α."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = alpha

    def f(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return _into(out, np.where(z > 0, z, self.alpha * z))

    def derivative(self, z: np.ndarray, a: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
        return _into(out, np.where(z > 0, 1.0, self.alpha).astype(z.dtype))


class Softplus(Activation):
    """ln(1 + e^z), computed as logaddexp(0, z); its derivative is the sigmoid."""

    name = "softplus"

    def f(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return _into(out, np.logaddexp(0.0, z).astype(z.dtype, copy=False))

    def derivative(self, z: np.ndarray, a: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
        return sigmoid.f(z, out=out)


class Identity(Activation):
    """z itself; derivative 1 (a linear output for regression)."""

    name = "identity"

    def f(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return z if out is None else _into(out, z)

    def derivative(self, z: np.ndarray, a: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
        return np.ones_like(z) if out is None else _into(out, 1.0)


class Exp(Activation):
    """e^z, the inverse of the log link (a Poisson regressor's output: a > 0); derivative e^z = a.

    z is clipped just below ln(largest float), so a stays finite.
    """

    name = "exp"

    def f(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        out = np.minimum(z, _log_largest(z.dtype), out=out)
        return np.exp(out, out=out)

    def derivative(self, z: np.ndarray, a: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
        if a is None:
            return self.f(z, out=out)
        return a.copy() if out is None else _into(out, a)


def _log_largest(dtype: np.dtype) -> np.floating:
    """A little below ln of the largest float of ``dtype``: its exponential is finite."""
    return np.dtype(dtype).type(np.log(np.finfo(dtype).max) - 1e-3)


class Softmax(Activation):
    """a_k = e^{z_k} / Σ_j e^{z_j} over the last axis (shifted by max z: never overflows).

    ∂a_k/∂z_j = a_k (1[j = k] − a_j) is a full Jacobian, so the seed's "∂a_k/∂z_j = 0 for
    k ≠ j" step does not hold: BP1 uses :meth:`backward`, the Jacobian-vector product
    ∂C/∂z = a ⊙ (∇_a C − ⟨∇_a C, a⟩).
    """

    name = "softmax"
    elementwise = False

    def f(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        out = np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=-1, keepdims=True)
        return out

    def derivative(self, z: np.ndarray, a: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
        raise ValueError(
            "softmax couples its outputs: σ'(z) is a Jacobian, not a vector; "
            "use backward(z, a, grad_a)"
        )

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        return a * (grad_a - (grad_a * a).sum(axis=-1, keepdims=True))


def _into(out: np.ndarray | None, values: np.ndarray | float) -> np.ndarray:
    """Return ``values`` as a new array, or written into ``out`` when it is given."""
    if out is None:
        return np.asarray(values)
    out[...] = values
    return out


sigmoid = Sigmoid()
tanh = Tanh()
relu = ReLU()
leaky_relu = LeakyReLU()
softplus = Softplus()
identity = Identity()
exp = Exp()
softmax = Softmax()

ACTIVATIONS: dict[str, Activation] = {
    act.name: act for act in (sigmoid, tanh, relu, leaky_relu, softplus, identity, softmax, exp)
}


def get_activation(spec: str | Activation) -> Activation:
    """Return the activation named ``spec`` (or ``spec`` itself if it is one).

    Raises
    ------
    ValueError
        If the name is not in :data:`ACTIVATIONS`.
    """
    if isinstance(spec, Activation):
        return spec
    return ACTIVATIONS[known_name("activation", spec, ACTIVATIONS)]
