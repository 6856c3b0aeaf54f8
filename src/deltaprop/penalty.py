"""The regularisation term of the cost, with its gradient beside it.

Symbols → names: λ → ``l2``; λ₁ → ``l1``; n (the training-set size in λ/(2n)) → ``n``.

Both seeds regularise the mean cost C₀ over the weights only, never the biases:

    C = C₀ + λ/(2n) Σ w²  (+ λ₁/n Σ |w|)      so      ∂C/∂w = ∂C₀/∂w + (λ/n) w  (+ (λ₁/n) sign w)

A :class:`Penalty` carries the three numbers that belong together; BP4 gives ∂C₀/∂W and
:meth:`Penalty.add_gradient` adds the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .validation import non_negative, positive_int

__all__ = ["Penalty", "NO_PENALTY"]


@dataclass(frozen=True)
class Penalty:
    """λ/(2n) Σ w² + λ₁/n Σ|w| over the weights.

    Parameters
    ----------
    l2 : float
        λ ≥ 0.
    l1 : float
        λ₁ ≥ 0.
    n : int
        The n of λ/(2n) and λ₁/n: the training-set size (or the batch's, for a batch alone).
    """

    l2: float = 0.0
    l1: float = 0.0
    n: int = 1

    @classmethod
    def checked(cls, l2: object, l1: object, n_total: object, n: int) -> Penalty:
        """Return the penalty of arguments given at an API edge, or raise ``ValueError``.

        ``n_total`` is the n of the terms when given; ``n`` (the rows at hand) otherwise.
        """
        return cls(non_negative("l2", l2), non_negative("l1", l1), n if n_total is None else positive_int("n_total", n_total))

    def __bool__(self) -> bool:
        return bool(self.l2 or self.l1)

    def cost(self, weights: Sequence[np.ndarray]) -> np.floating | float:
        """Return λ/(2n) Σ‖W‖² + λ₁/n Σ|w| for the weight matrices ``weights``."""
        total = 0.0
        if self.l2:
            total += self.l2 / (2 * self.n) * sum(np.sum(W * W) for W in weights)
        if self.l1:
            total += self.l1 / self.n * sum(np.sum(np.abs(W)) for W in weights)
        return total

    def add_gradient(self, dW: np.ndarray, W: np.ndarray) -> None:
        """Add ∂/∂W of the penalty, (λ/n) W + (λ₁/n) sign(W), to ``dW`` in place."""
        if self.l2:
            dW += (self.l2 / self.n) * W
        if self.l1:
            dW += (self.l1 / self.n) * np.sign(W)


#: The cost without regularisation.
NO_PENALTY = Penalty()
