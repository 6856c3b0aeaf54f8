"""Optimizers: rules that move parameters against their gradients.

Symbols → names: η (learning rate) → ``lr``. An optimizer sees arrays, not networks:
``step(params, grads)`` updates each array of ``params`` in place from the matching array of
``grads`` (both in :meth:`deltaprop.Network.parameters` order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["Optimizer", "SGD"]


def _learning_rate(lr: object) -> float:
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)) or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a finite number > 0; got {lr!r}")
    return float(lr)


class Optimizer:
    """Base class: ``step`` and a state that round-trips through plain JSON values."""

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Update every array of ``params`` in place."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Return the optimizer's hyper-parameters and state."""
        raise NotImplementedError

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        raise NotImplementedError


class SGD(Optimizer):
    """Plain gradient descent: p ← p − η ∂C/∂p.

    Parameters
    ----------
    lr : float
        η > 0.
    """

    def __init__(self, lr: float = 0.1) -> None:
        self.lr = _learning_rate(lr)

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr:g})"

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        for p, g in zip(params, grads, strict=True):
            p -= self.lr * g

    def state_dict(self) -> dict[str, Any]:
        return {"name": "sgd", "lr": self.lr}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("name") != "sgd":
            raise ValueError(f"state is not an SGD state: {state!r}")
        self.lr = _learning_rate(state.get("lr"))
