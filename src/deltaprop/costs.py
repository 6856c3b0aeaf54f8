"""Cost functions C and the output error δ^L they produce (BP1).

Symbols → names: a^L (the output ``activation``) → ``a``; y (target) → ``y``, a float array
of shape (n, n_out) (labels are turned into one-hot rows before they get here);
∇_a C → :meth:`Cost.grad_a`; δ^L → :meth:`Cost.delta`.

Every cost is the mean over the n examples of a per-example cost C_x (Ng's 1/m, Nielsen's
1/n). ``grad_a`` and ``delta`` are per example (∂C_x/∂a, ∂C_x/∂z^L): the 1/n is applied once,
in BP3/BP4. Logarithms see outputs clipped into the open interval (0, 1), so a saturated
output gives a large finite cost, never log(0).
"""

from __future__ import annotations

import numpy as np

from .activations import Activation
from .validation import known_name

__all__ = ["Cost", "COSTS", "get_cost", "quadratic", "cross_entropy", "log_likelihood", "poisson"]


def _open_unit(a: np.ndarray) -> np.ndarray:
    """Clip ``a`` into (0, 1): the smallest positive float up to the largest below 1."""
    info = np.finfo(a.dtype)
    return np.clip(a, info.tiny, 1 - info.epsneg)


class Cost:
    """A cost function C(a, y) with its gradient and the BP1 output error.

    Attributes
    ----------
    name : str
        The registry name.
    matched : str
        The output activation for which δ^L = a − y exactly (the short cut).
    """

    name: str = ""
    matched: str = ""

    def per_example(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Return C_x for each example (summed over the last axis)."""
        raise NotImplementedError

    def value(self, a: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> np.floating:
        """Return C = (1/n) Σ_x C_x, the mean over the examples (rows), in ``a``'s dtype;
        with ``sample_weight`` w, the weighted mean Σ_x w_x C_x / Σ_x w_x."""
        if sample_weight is None:
            return np.mean(self.per_example(a, y))
        return np.sum(sample_weight * self.per_example(a, y)) / np.sum(sample_weight)

    def grad_a(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Return ∇_a C_x for each example, shape of ``a``."""
        raise NotImplementedError

    def delta(
        self, z: np.ndarray, a: np.ndarray, y: np.ndarray, activation: Activation, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Return the output error δ^L = ∂C_x/∂z^L for each example (BP1), into ``out`` if given.

        For the matched pair the product ∇_a C ⊙ σ'(z^L) simplifies exactly to a − y
        (seed 002's δ^(3) = a^(3) − y); every other pairing takes the general form.
        """
        if activation.name == self.matched:
            return np.subtract(a, y, out=out)  # (BP1), short cut
        delta = activation.backward(z, a, self.grad_a(a, y))  # (BP1) ∇_a C ⊙ σ'(z^L)
        if out is None:
            return delta
        out[...] = delta
        return out

    def __repr__(self) -> str:
        return f"<cost {self.name}>"


class Quadratic(Cost):
    """C_x = ½‖a − y‖²; ∇_a C_x = a − y. Matched with the identity output."""

    name = "quadratic"
    matched = "identity"

    def per_example(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        diff = a - y
        return 0.5 * np.einsum("...k,...k->...", diff, diff)

    def grad_a(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        return a - y


class CrossEntropy(Cost):
    """C_x = −Σ_k [y_k ln a_k + (1 − y_k) ln(1 − a_k)] (Ng's J); matched with sigmoid.

    ∇_a C_x = (a − y) / (a (1 − a)), so with σ'(z) = a(1 − a) the product is a − y.
    """

    name = "cross_entropy"
    matched = "sigmoid"

    def per_example(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        a = _open_unit(a)
        return -np.sum(y * np.log(a) + (1 - y) * np.log1p(-a), axis=-1)

    def grad_a(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        a = _open_unit(a)
        return (a - y) / (a * (1 - a))


class LogLikelihood(Cost):
    """C_x = −Σ_k y_k ln a_k (−ln a_y for a label y); matched with softmax.

    ∇_a C_x = −y / a; through the softmax Jacobian this becomes a − y (when Σ_k y_k = 1).
    """

    name = "log_likelihood"
    matched = "softmax"

    def per_example(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        return -np.sum(y * np.log(_open_unit(a)), axis=-1)

    def grad_a(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        return -y / _open_unit(a)


class Poisson(Cost):
    """Half the Poisson deviance, C_x = Σ_k [y_k ln(y_k / a_k) − y_k + a_k] (y ln y = 0 at y = 0),
    for counts and rates y ≥ 0 predicted as a > 0; matched with the exp output (the log link).

    ∇_a C_x = 1 − y / a, so with σ'(z) = e^z = a the product is a − y. It is 0 at a = y, its
    minimum, like the quadratic cost (scikit-learn's ``MLPRegressor(loss="poisson")`` uses it).
    """

    name = "poisson"
    matched = "exp"

    def per_example(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        a = np.maximum(a, np.finfo(a.dtype).tiny)
        return np.sum(y * np.log(np.where(y > 0, y, 1) / a) - y + a, axis=-1)

    def grad_a(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 1 - y / np.maximum(a, np.finfo(a.dtype).tiny)


quadratic = Quadratic()
cross_entropy = CrossEntropy()
log_likelihood = LogLikelihood()
poisson = Poisson()

COSTS: dict[str, Cost] = {c.name: c for c in (quadratic, cross_entropy, log_likelihood, poisson)}


def get_cost(spec: str | Cost) -> Cost:
    """Return the cost named ``spec`` (or ``spec`` itself if it is one).

    Raises
    ------
    ValueError
        If the name is not in :data:`COSTS`.
    """
    if isinstance(spec, Cost):
        return spec
    return COSTS[known_name("cost", spec, COSTS)]
