"""Learning-rate schedules: the η of each epoch, from the η a run starts with.

Symbols → names: η₀ (the run's learning rate) → ``base_lr``; e (epoch, counted from 0) →
``epoch``; η_e (the rate for epoch e) → ``lr(epoch, base_lr)``; γ → ``gamma``.

A training loop asks ``schedule.lr(e, η₀)`` before epoch e and sets the optimizer's ``lr`` to
it; after the epoch it hands the monitored metric (a validation cost, say) to
``schedule.observe(metric)``, which only :class:`ReduceOnPlateau` uses. ``state_dict()`` is
plain JSON; :func:`schedule_from_state` and ``load_state_dict`` restore it, so a resumed run
continues with the same rates.

=====================  ===============================================================
schedule               η_e
=====================  ===============================================================
Constant()             η₀
StepDecay(s, γ)        η₀ γ^⌊e/s⌋
ExponentialDecay(γ)    η₀ γ^e
CosineAnnealing(T, m)  m + (η₀ − m)(1 + cos(π e/T))/2 for e < T, then as at e = T − 1
WarmUp(W, then)        η₀ (e + 1)/W for e < W, then ``then``'s η_{e−W} (η₀ if none)
ReduceOnPlateau(f, …)  max(η₀ f^k, min_lr), k = the plateaus seen so far
=====================  ===============================================================
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

from .validation import known_name, non_negative, non_negative_int, positive_int, positive_number, real_number

__all__ = [
    "Schedule",
    "Constant",
    "StepDecay",
    "ExponentialDecay",
    "CosineAnnealing",
    "WarmUp",
    "ReduceOnPlateau",
    "SCHEDULES",
    "get_schedule",
    "schedule_from_state",
]


def _decay(name: str, value: object) -> float:
    return real_number(name, value, "a number in (0, 1]", lambda v: 0 < v <= 1)


class Schedule:
    """Base class: ``lr(epoch, base_lr)``, ``observe(metric)`` and a JSON state.

    A subclass names itself (``name``, the key of its state), returns its constructor's
    arguments from :meth:`hyper_parameters` and implements :meth:`_rate`; one that changes
    while training lists those attributes in ``_progress`` and checks them in
    :meth:`_check_progress`.
    """

    name = ""
    _progress: tuple[str, ...] = ()

    def lr(self, epoch: int, base_lr: float) -> float:
        """Return η for ``epoch`` (counted from 0) of a run that starts at ``base_lr``.

        Raises
        ------
        ValueError
            If ``epoch`` is not an integer ≥ 0 or ``base_lr`` not a finite number > 0.
        """
        return self._rate(non_negative_int("epoch", epoch), positive_number("base_lr", base_lr))

    def _rate(self, epoch: int, base_lr: float) -> float:
        raise NotImplementedError

    def observe(self, metric: float) -> None:
        """Take the metric measured after an epoch (used only by :class:`ReduceOnPlateau`)."""

    def hyper_parameters(self) -> dict[str, Any]:
        """Return the constructor's arguments as JSON values (a nested schedule as its state)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.hyper_parameters())
        return f"{type(self).__name__}({args})"

    def state_dict(self) -> dict[str, Any]:
        """Return ``{"name", hyper-parameters..., progress...}``, all plain JSON values."""
        return {"name": self.name, **self.hyper_parameters(), **{k: getattr(self, k) for k in self._progress}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, after checking all of it.

        Raises
        ------
        ValueError
            If the state is another schedule's, or any of it is missing or out of range.
        """
        restored = schedule_from_state(state)
        if type(restored) is not type(self):
            raise ValueError(f"schedule state is for {restored.name!r}, not {self.name!r}")
        vars(self).update(vars(restored))

    def _check_progress(self) -> None:
        """Raise ``ValueError`` if restored progress attributes are out of range."""


class Constant(Schedule):
    """η_e = η₀: the learning rate the run starts with, unchanged."""

    name = "constant"

    def _rate(self, epoch: int, base_lr: float) -> float:
        return base_lr


class StepDecay(Schedule):
    """η_e = η₀ γ^⌊e/s⌋: the rate falls by γ every s epochs.

    Parameters
    ----------
    step_size : int
        s ≥ 1, epochs between drops.
    gamma : float
        γ in (0, 1].
    """

    name = "step"

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = positive_int("step_size", step_size)
        self.gamma = _decay("gamma", gamma)

    def hyper_parameters(self) -> dict[str, Any]:
        return {"step_size": self.step_size, "gamma": self.gamma}

    def _rate(self, epoch: int, base_lr: float) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialDecay(Schedule):
    """η_e = η₀ γ^e: the rate falls by γ every epoch.

    Parameters
    ----------
    gamma : float
        γ in (0, 1].
    """

    name = "exponential"

    def __init__(self, gamma: float) -> None:
        self.gamma = _decay("gamma", gamma)

    def hyper_parameters(self) -> dict[str, Any]:
        return {"gamma": self.gamma}

    def _rate(self, epoch: int, base_lr: float) -> float:
        return base_lr * self.gamma**epoch


class CosineAnnealing(Schedule):
    """η_e = m + (η₀ − m)(1 + cos(π e/T))/2 for e < T (Loshchilov & Hutter, no restarts).

    The rate falls from η₀ at e = 0 along half a cosine towards m, which it would reach at
    e = T; as the last epoch is T − 1 it stays above m, and epochs past T − 1 keep the rate
    of epoch T − 1.

    Parameters
    ----------
    epochs : int
        T ≥ 1, the length of the run.
    lr_min : float
        m ≥ 0, at most η₀.
    """

    name = "cosine"

    def __init__(self, epochs: int, lr_min: float = 0.0) -> None:
        self.epochs = positive_int("epochs", epochs)
        self.lr_min = non_negative("lr_min", lr_min)

    def hyper_parameters(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "lr_min": self.lr_min}

    def _rate(self, epoch: int, base_lr: float) -> float:
        if base_lr < self.lr_min:
            raise ValueError(f"base_lr {base_lr!r} is below the cosine schedule's lr_min {self.lr_min!r}")
        e = min(epoch, self.epochs - 1)
        return self.lr_min + (base_lr - self.lr_min) * (1 + math.cos(math.pi * e / self.epochs)) / 2


class WarmUp(Schedule):
    """Linear warm-up over W epochs, then another schedule.

    η_e = η₀ (e + 1)/W for e < W (η₀/W, 2η₀/W, …, η₀); from e = W on, ``then``'s rate for
    epoch e − W (its own epoch 0 is the first after the warm-up), or η₀ if ``then`` is None.
    :meth:`observe` passes the metric on to ``then``.

    Parameters
    ----------
    epochs : int
        W ≥ 1, epochs of warm-up.
    then : Schedule, optional
        The schedule after the warm-up.
    """

    name = "warmup"

    def __init__(self, epochs: int, then: Schedule | None = None) -> None:
        self.epochs = positive_int("epochs", epochs)
        if then is not None and not isinstance(then, Schedule):
            raise ValueError(f"then must be a Schedule or None; got {then!r}")
        self.then = then

    def hyper_parameters(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "then": None if self.then is None else self.then.state_dict()}

    def _rate(self, epoch: int, base_lr: float) -> float:
        if epoch < self.epochs:
            return base_lr * (epoch + 1) / self.epochs
        return base_lr if self.then is None else self.then._rate(epoch - self.epochs, base_lr)

    def observe(self, metric: float) -> None:
        if self.then is not None:
            self.then.observe(metric)


class ReduceOnPlateau(Schedule):
    """Multiply the rate by ``factor`` when the metric stops improving (PyTorch's
    ``ReduceLROnPlateau``, relative threshold, no cool-down).

    After each epoch :meth:`observe` takes the metric. It improves on the best so far when
    it is below best·(1 − threshold) (mode "min") or above best·(1 + threshold) (mode
    "max"); the first metric always does. After ``patience`` epochs in a row without
    improvement, the next one without improvement is a plateau: k grows by one and the
    count starts again. η_e = max(η₀ factor^k, min_lr).

    Parameters
    ----------
    factor : float
        In (0, 1).
    patience : int
        Epochs without improvement that are tolerated, ≥ 0.
    threshold : float
        Relative improvement that counts, ≥ 0.
    min_lr : float
        The floor of the rate, ≥ 0.
    mode : {"min", "max"}
        Whether the metric should fall (a cost) or rise (an accuracy).

    Attributes
    ----------
    best : float or None
        The best metric so far (None before the first).
    bad_epochs : int
        Epochs since the last improvement or plateau.
    reductions : int
        k, the plateaus seen so far.
    """

    name = "plateau"
    _progress = ("best", "bad_epochs", "reductions")

    def __init__(
        self, factor: float = 0.1, patience: int = 10, threshold: float = 1e-4, min_lr: float = 0.0, mode: str = "min"
    ) -> None:
        self.factor = real_number("factor", factor, "a number in (0, 1)", lambda v: 0 < v < 1)
        self.patience = non_negative_int("patience", patience)
        self.threshold = non_negative("threshold", threshold)
        self.min_lr = non_negative("min_lr", min_lr)
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max'; got {mode!r}")
        self.mode = mode
        self.best: float | None = None
        self.bad_epochs = 0
        self.reductions = 0

    def hyper_parameters(self) -> dict[str, Any]:
        return {
            "factor": self.factor, "patience": self.patience, "threshold": self.threshold,
            "min_lr": self.min_lr, "mode": self.mode,
        }

    def _rate(self, epoch: int, base_lr: float) -> float:
        return max(base_lr * self.factor**self.reductions, self.min_lr)

    def observe(self, metric: float) -> None:
        """Count an epoch with ``metric``: an improvement, a bad epoch or a plateau.

        Raises
        ------
        ValueError
            If ``metric`` is not a finite number.
        """
        metric = real_number("metric", metric, "a finite number", lambda v: True)
        if self.best is None or (
            metric < self.best * (1 - self.threshold) if self.mode == "min" else metric > self.best * (1 + self.threshold)
        ):
            self.best, self.bad_epochs = metric, 0
            return
        self.bad_epochs += 1
        if self.bad_epochs > self.patience:
            self.reductions += 1
            self.bad_epochs = 0

    def _check_progress(self) -> None:
        if self.best is not None:
            self.best = real_number("best", self.best, "a finite number or None", lambda v: True)
        for name in ("bad_epochs", "reductions"):
            non_negative_int(name, getattr(self, name))
        if self.bad_epochs > self.patience:
            raise ValueError(f"bad_epochs must be at most patience={self.patience}; got {self.bad_epochs!r}")


_BY_STATE_NAME: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (Constant, StepDecay, ExponentialDecay, CosineAnnealing, WarmUp, ReduceOnPlateau)
}


def schedule_from_state(state: dict[str, Any]) -> Schedule:
    """Build the schedule a :meth:`Schedule.state_dict` describes, its progress restored.

    Raises
    ------
    ValueError
        For an unknown name, a missing or extra key, or a value out of range.
    """
    if not isinstance(state, dict):
        raise ValueError(f"schedule state must be a dict; got {type(state).__name__}")
    name = state.get("name")
    if name not in _BY_STATE_NAME:
        raise ValueError(f"schedule state names {name!r}; expected one of {', '.join(_BY_STATE_NAME)}")
    cls = _BY_STATE_NAME[name]
    hyper = list(inspect.signature(cls).parameters)
    expected = {"name", *hyper, *cls._progress}
    if set(state) != expected:
        raise ValueError(f"the {name} state must have the keys {sorted(expected)}; got {sorted(state)}")
    try:
        schedule = cls(**{k: schedule_from_state(state[k]) if isinstance(state[k], dict) else state[k] for k in hyper})
        for k in cls._progress:
            setattr(schedule, k, state[k])
        schedule._check_progress()
    except ValueError as error:
        raise ValueError(f"the {name} state: {error}") from None
    return schedule


def _warmup_cosine(epochs: int, warmup: int | None = None, lr_min: float = 0.0) -> Schedule:
    warmup = max(1, epochs // 10) if warmup is None else positive_int("warmup", warmup)
    return WarmUp(warmup, then=CosineAnnealing(max(1, epochs - warmup), lr_min))


#: Schedules by the name ``--schedule`` takes: each builds one for a run of ``epochs`` epochs,
#: its defaults derived from that length; keyword arguments override them.
SCHEDULES: dict[str, Callable[..., Schedule]] = {
    "constant": lambda epochs: Constant(),
    # η₀ for the first third of the run, η₀/10 for the second, η₀/100 for the last
    "step": lambda epochs, step_size=None, gamma=0.1: StepDecay(max(1, epochs // 3) if step_size is None else step_size, gamma),
    # η₀ γ^e with γ = 0.01^(1/epochs): the rate would reach η₀/100 after the last epoch
    "exponential": lambda epochs, gamma=None: ExponentialDecay(0.01 ** (1 / epochs) if gamma is None else gamma),
    "cosine": lambda epochs, lr_min=0.0: CosineAnnealing(epochs, lr_min),
    # a tenth of the run (at least one epoch) warming up, the rest a cosine
    "warmup-cosine": _warmup_cosine,
    # a plateau is a tenth of the run (at least one epoch) without improvement
    "plateau": lambda epochs, factor=0.1, patience=None, threshold=1e-4, min_lr=0.0, mode="min": ReduceOnPlateau(
        factor, max(1, epochs // 10) if patience is None else patience, threshold, min_lr, mode
    ),
}


def get_schedule(name: str, epochs: int, **kwargs: Any) -> Schedule:
    """Build the schedule called ``name`` (a key of :data:`SCHEDULES`) for a run of ``epochs``.

    Raises
    ------
    ValueError
        For an unknown name, a keyword the schedule does not take, or a bad value.
    """
    build = SCHEDULES[known_name("schedule", name, SCHEDULES)]
    epochs = positive_int("epochs", epochs)
    accepted = list(inspect.signature(build).parameters)[1:]
    for key in kwargs:
        if key not in accepted:
            raise ValueError(f"schedule {name!r} takes no {key!r}; it takes {', '.join(accepted) or 'no arguments'}")
    return build(epochs, **kwargs)
