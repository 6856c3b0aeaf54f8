"""Optimizers: rules that move parameters against their gradients.

Symbols → names: θ (one parameter array: a W^l or a b^l) → ``params[i]``; g = ∂C/∂θ →
``grads[i]``; η (learning rate) → ``lr``; μ → ``momentum``; β₁, β₂ → ``beta1``, ``beta2``;
ρ → ``rho``; ε → ``eps``; λ_wd (decoupled weight decay) → ``weight_decay``; t (steps taken,
counted from 1 at the first step) → ``t``; the running averages m, v and the velocity b are
the optimizer's buffers.

An optimizer sees arrays, not networks: ``step(params, grads)`` updates each array of
``params`` in place from the matching array of ``grads`` (both in
:meth:`deltaprop.Network.parameters` order). The rules are PyTorch's (``torch.optim.SGD``
with and without ``nesterov``, ``Adam``, ``AdamW``, ``RMSprop``), operation for operation, so
the two agree to float round-off. Buffers are created at the first step, zeros of each
parameter's shape and dtype; the arithmetic runs in place through one scratch array per
parameter, so a step allocates nothing.

``state_dict()`` returns the hyper-parameters and ``t`` as JSON values and the buffers as
copies under ``"arrays"``; ``load_state_dict`` restores them so that training continues bit for
bit as if it had never stopped.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from .validation import all_finite, boolean, known_name, non_negative, non_negative_int, positive_number, real_number

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Adam",
    "AdamW",
    "RMSProp",
    "OPTIMIZERS",
    "get_optimizer",
    "optimizer_from_state",
]


def _learning_rate(lr: object) -> float:
    return positive_number("lr", lr)


def _fraction(name: str, value: object) -> float:
    """μ, β₁, β₂, ρ: a decay factor in [0, 1)."""
    return real_number(name, value, "a number in [0, 1)", lambda v: 0 <= v < 1)


class Optimizer:
    """Base class: the learning rate, the step count and the buffers, and their state.

    A subclass names itself (``name``, the key of its state), lists its per-parameter
    buffers (``slots``, in state order), returns its hyper-parameters from
    :meth:`hyper_parameters` (the keyword arguments of its constructor) and implements
    :meth:`step`.

    Attributes
    ----------
    lr : float
        η > 0; a training loop may set it between steps (a learning-rate schedule does).
    t : int
        Steps taken so far.
    """

    name = ""
    slots: tuple[str, ...] = ()

    def __init__(self, lr: float) -> None:
        self.lr = lr
        self.t = 0
        self._buffers: list[list[np.ndarray]] = []  # one list per slot, one array per parameter
        self._scratch: list[np.ndarray] = []  # one array per parameter; empty until the first step

    @property
    def lr(self) -> float:
        """η, the learning rate (a finite number > 0, checked when set)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _learning_rate(value)

    def hyper_parameters(self) -> dict[str, float | bool]:
        """Return the constructor's arguments as they are now: ``{"lr": η, ...}``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v if isinstance(v, bool) else format(v, 'g')}" for k, v in self.hyper_parameters().items())
        return f"{type(self).__name__}({args})"

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Update every array of ``params`` in place from the matching array of ``grads``.

        Raises
        ------
        ValueError
            If the lists differ in length, or (at the first step after
            :meth:`load_state_dict`) the restored buffers do not fit the parameters.
        """
        raise NotImplementedError

    def _begin_step(self, params: Sequence[np.ndarray]) -> None:
        """Count the step; at the first one, create the buffers (or check restored ones)."""
        if not self._scratch:
            if self._buffers:
                self._check_buffers(params)
            else:
                self._buffers = [[np.zeros_like(p) for p in params] for _ in self.slots]
            self._scratch = [np.empty_like(p) for p in params]
        self.t += 1

    def _check_buffers(self, params: Sequence[np.ndarray]) -> None:
        if len(self._buffers[0]) != len(params):
            raise ValueError(
                f"the {self.name} state holds buffers for {len(self._buffers[0])} parameters; step got {len(params)} parameters"
            )
        for slot, buffers in zip(self.slots, self._buffers):
            for i, (b, p) in enumerate(zip(buffers, params)):
                if b.shape != p.shape or b.dtype != p.dtype:
                    raise ValueError(
                        f"the {self.name} state's buffer {slot}[{i}] is {b.dtype} of shape {b.shape}; "
                        f"parameter {i} is {p.dtype} of shape {p.shape}"
                    )

    def state_dict(self) -> dict[str, Any]:
        """Return ``{"name", hyper-parameters..., "t", "arrays"}``.

        Everything but ``"arrays"`` is a JSON value. ``"arrays"`` holds copies of the buffers,
        slot by slot in the order of ``slots`` and within a slot in parameter order (Adam:
        m of every parameter, then v of every parameter); it is empty before the first step.
        """
        return {
            "name": self.name,
            **self.hyper_parameters(),
            "t": self.t,
            "arrays": [b.copy() for buffers in self._buffers for b in buffers],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (also after a JSON round trip of its
        scalars), after checking all of it.

        Raises
        ------
        ValueError
            If the state is for another optimizer, lacks or adds a key, holds a
            hyper-parameter out of range, a bad step count, or arrays that are not finite
            float ndarrays in a number the buffers allow.
        """
        if not isinstance(state, dict):
            raise ValueError(f"optimizer state must be a dict; got {type(state).__name__}")
        if state.get("name") != self.name:
            raise ValueError(f"optimizer state is for {state.get('name')!r}, not {self.name!r}")
        hyper = self.hyper_parameters()
        expected = {"name", *hyper, "t", "arrays"}
        if set(state) != expected:
            raise ValueError(f"the {self.name} state must have the keys {sorted(expected)}; got {sorted(state)}")
        try:
            restored = type(self)(**{k: state[k] for k in hyper})
        except ValueError as error:
            raise ValueError(f"the {self.name} state: {error}") from None
        t, arrays = state["t"], state["arrays"]
        non_negative_int(f"the {self.name} state: t", t)
        if not isinstance(arrays, (list, tuple)):
            raise ValueError(f"the {self.name} state: arrays must be a list of ndarrays; got {type(arrays).__name__}")
        for i, a in enumerate(arrays):
            if not isinstance(a, np.ndarray) or a.dtype.kind != "f":
                got = a.dtype if isinstance(a, np.ndarray) else type(a).__name__
                raise ValueError(f"the {self.name} state: arrays[{i}] must be a float ndarray; got {got}")
            if not all_finite(a):
                raise ValueError(f"the {self.name} state: arrays[{i}] holds NaN or inf")
        n_slots = len(self.slots)
        if not n_slots and arrays:
            raise ValueError(f"the {self.name} state keeps no buffers; got {len(arrays)} arrays")
        if n_slots and (t == 0) != (len(arrays) == 0):
            raise ValueError(
                f"the {self.name} state: t={t} needs {'no arrays' if t == 0 else 'the buffers'}; got {len(arrays)} arrays"
            )
        if n_slots and len(arrays) % n_slots:
            raise ValueError(
                f"the {self.name} state: arrays must hold {n_slots} buffers ({', '.join(self.slots)}) per parameter; "
                f"got {len(arrays)} arrays"
            )
        for k, v in restored.hyper_parameters().items():
            setattr(self, k, v)
        self.t = int(t)
        k = len(arrays) // n_slots if n_slots else 0
        self._buffers = [[a.copy() for a in arrays[s * k : (s + 1) * k]] for s in range(n_slots)] if arrays else []
        self._scratch = []


class SGD(Optimizer):
    """Plain gradient descent: θ ← θ − η g.

    Parameters
    ----------
    lr : float
        η > 0.
    """

    name = "sgd"

    def __init__(self, lr: float = 0.1) -> None:
        super().__init__(lr)

    def hyper_parameters(self) -> dict[str, float | bool]:
        return {"lr": self.lr}

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        lr = self.lr
        for p, g in zip(params, grads, strict=True):
            p -= lr * g
        self.t += 1


class Momentum(Optimizer):
    """Gradient descent with momentum (PyTorch's ``SGD(momentum=μ, nesterov=...)``).

    With the velocity b (zero before the first step)::

        b ← μ b + g
        θ ← θ − η b               (classical momentum)
        θ ← θ − η (g + μ b)       (nesterov=True)

    Parameters
    ----------
    lr : float
        η > 0.
    momentum : float
        μ in [0, 1); 0 is plain SGD.
    nesterov : bool
        Nesterov's look-ahead form; needs μ > 0.
    """

    name = "momentum"
    slots = ("b",)

    def __init__(self, lr: float = 0.1, momentum: float = 0.9, nesterov: bool = False) -> None:
        super().__init__(lr)
        self.momentum = _fraction("momentum", momentum)
        self.nesterov = boolean("nesterov", nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError(f"nesterov=True needs momentum > 0; got momentum={momentum!r}")

    def hyper_parameters(self) -> dict[str, float | bool]:
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov}

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        self._begin_step(params)
        lr, mu = self.lr, self.momentum
        for p, g, b, s in zip(params, grads, self._buffers[0], self._scratch, strict=True):
            b *= mu
            b += g  # b ← μ b + g
            if self.nesterov:
                np.multiply(b, mu, out=s)
                s += g  # g + μ b
                s *= lr
            else:
                np.multiply(b, lr, out=s)
            p -= s


class Adam(Optimizer):
    """Adam (Kingma & Ba; PyTorch's ``Adam``).

    With m, v zero before the first step and t the step count from 1::

        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    which is θ ← θ − η m̂ / (√v̂ + ε) with the bias-corrected m̂ = m/(1 − β₁ᵗ),
    v̂ = v/(1 − β₂ᵗ).

    Parameters
    ----------
    lr : float
        η > 0.
    beta1, beta2 : float
        β₁, β₂ in [0, 1): decay of the running means of g and g².
    eps : float
        ε > 0, keeps the denominator away from 0.
    """

    name = "adam"
    slots = ("m", "v")

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.beta1 = _fraction("beta1", beta1)
        self.beta2 = _fraction("beta2", beta2)
        self.eps = positive_number("eps", eps)

    def hyper_parameters(self) -> dict[str, float | bool]:
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        self._begin_step(params)
        self._adam(params, grads)

    def _adam(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """The Adam update proper, once the step is counted and the buffers exist."""
        beta1, beta2, eps = self.beta1, self.beta2, self.eps
        step_size = self.lr / (1 - beta1**self.t)  # η/(1 − β₁ᵗ)
        root_correction = math.sqrt(1 - beta2**self.t)  # √(1 − β₂ᵗ)
        m_all, v_all = self._buffers
        for p, g, m, v, s in zip(params, grads, m_all, v_all, self._scratch, strict=True):
            m *= beta1
            np.multiply(g, 1 - beta1, out=s)
            m += s  # m ← β₁ m + (1 − β₁) g
            v *= beta2
            np.multiply(g, g, out=s)
            s *= 1 - beta2
            v += s  # v ← β₂ v + (1 − β₂) g²
            np.sqrt(v, out=s)
            s /= root_correction
            s += eps  # √v̂ + ε
            np.divide(m, s, out=s)
            s *= step_size
            p -= s


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter; PyTorch's ``AdamW``).

    Before the Adam step of :class:`Adam`, every parameter decays by itself, apart from
    the gradient::

        θ ← θ − η λ_wd θ          (computed as θ ← (1 − η λ_wd) θ)

    This decays biases too, as PyTorch does for the parameters it is given; the cost's
    ``l2`` (λ/(2n) Σ w², weights only) is the coupled alternative.

    Parameters
    ----------
    lr, beta1, beta2, eps : float
        As for :class:`Adam`.
    weight_decay : float
        λ_wd ≥ 0.
    """

    name = "adamw"

    def __init__(
        self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 1e-2
    ) -> None:
        super().__init__(lr, beta1, beta2, eps)
        self.weight_decay = non_negative("weight_decay", weight_decay)

    def hyper_parameters(self) -> dict[str, float | bool]:
        return {**super().hyper_parameters(), "weight_decay": self.weight_decay}

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        self._begin_step(params)
        decay = 1 - self.lr * self.weight_decay
        for p in params:
            p *= decay  # θ ← θ − η λ_wd θ
        self._adam(params, grads)


class RMSProp(Optimizer):
    """RMSProp (Hinton; PyTorch's ``RMSprop`` with ``alpha=ρ``, not centred, no momentum).

    With v zero before the first step::

        v ← ρ v + (1 − ρ) g²
        θ ← θ − η g / (√v + ε)

    Parameters
    ----------
    lr : float
        η > 0.
    rho : float
        ρ in [0, 1): decay of the running mean of g².
    eps : float
        ε > 0.
    """

    name = "rmsprop"
    slots = ("v",)

    def __init__(self, lr: float = 1e-3, rho: float = 0.9, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.rho = _fraction("rho", rho)
        self.eps = positive_number("eps", eps)

    def hyper_parameters(self) -> dict[str, float | bool]:
        return {"lr": self.lr, "rho": self.rho, "eps": self.eps}

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        self._begin_step(params)
        lr, rho, eps = self.lr, self.rho, self.eps
        for p, g, v, s in zip(params, grads, self._buffers[0], self._scratch, strict=True):
            v *= rho
            np.multiply(g, g, out=s)
            s *= 1 - rho
            v += s  # v ← ρ v + (1 − ρ) g²
            np.sqrt(v, out=s)
            s += eps  # √v + ε
            np.divide(g, s, out=s)
            s *= lr
            p -= s


#: Optimizers by the name ``--optimizer`` takes; "nesterov" is Momentum(nesterov=True).
OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": partial(Momentum, nesterov=True),
    "adam": Adam,
    "adamw": AdamW,
    "rmsprop": RMSProp,
}

_BY_STATE_NAME: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Momentum, Adam, AdamW, RMSProp)}


def get_optimizer(name: str, **kwargs: Any) -> Optimizer:
    """Build the optimizer called ``name`` (a key of :data:`OPTIMIZERS`) with ``kwargs``.

    Raises
    ------
    ValueError
        For an unknown name, a keyword the optimizer does not take, or a bad value.
    """
    factory = OPTIMIZERS[known_name("optimizer", name, OPTIMIZERS)]
    accepted = inspect.signature(factory).parameters
    for key in kwargs:
        if key not in accepted:
            raise ValueError(f"optimizer {name!r} takes no {key!r}; it takes {', '.join(accepted)}")
    return factory(**kwargs)


def optimizer_from_state(state: dict[str, Any]) -> Optimizer:
    """Build the optimizer a :meth:`Optimizer.state_dict` describes, its state restored.

    Raises
    ------
    ValueError
        For an unknown optimizer name or any fault :meth:`Optimizer.load_state_dict` finds.
    """
    name = state.get("name") if isinstance(state, dict) else None
    if name not in _BY_STATE_NAME:
        raise ValueError(f"optimizer state names {name!r}; expected one of {', '.join(_BY_STATE_NAME)}")
    optimizer = _BY_STATE_NAME[name]()
    optimizer.load_state_dict(state)
    return optimizer
