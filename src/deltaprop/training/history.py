"""History: what a training run measured after each epoch."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["History", "STOPPED"]

#: The reasons a run may have stopped (``History.stopped``), None aside.
STOPPED = ("early stopping", "interrupted", "callback", "diverged", "error")


@dataclass(repr=False)
class History:
    """Per-epoch metrics of a training run.

    Attributes
    ----------
    cost, accuracy : list of float
        On the training set (the cost includes the regularisation terms; the accuracy is
        ``None`` for a network that is not a classifier), measured as ``train_metrics`` says.
    val_cost, val_accuracy : list of float
        On the validation set, when there is one (the same regularisation terms, n the
        training-set size, so that the two costs compare).
    seconds : list of float
        Wall time of each epoch's training steps (evaluation excluded).
    lr : list of float
        The learning rate η used in each epoch.
    gradient_norms : list of list of float
        After each epoch, ‖∂C/∂W^l‖ for every layer, measured on a fixed sample of up to 1000
        training rows (the learning-speed picture of Nielsen's chapter 5), when the run has a
        :class:`~deltaprop.training.callbacks.GradientNorms` callback.
    initial_cost : float or None
        The training cost before the first step (the data term on up to 1000 training rows
        spread over the set, the whole set when it is smaller, plus the penalty), against which
        the end of the run is checked: ``Trainer.fit`` warns when the cost ends far above it.
    best_epoch : int or None
        With early stopping: the epoch (counted from 1) whose weights the network was left with.
    train_metrics : str
        "running": ``cost`` and ``accuracy`` are the mean over each epoch's batches, at the
        weights each step started from (plus the penalty at the epoch's end); "full": measured
        on the whole training set after each epoch.
    stopped : str or None
        Why training ended before its last epoch: "early stopping", "interrupted" (Ctrl-C),
        "callback" (a callback asked), "diverged" (on the History that
        :class:`~deltaprop.training.trainer.TrainingDiverged` carries) or "error" (an exception
        from elsewhere ended it).
    """

    cost: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    val_cost: list[float] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    gradient_norms: list[list[float]] = field(default_factory=list)
    initial_cost: float | None = None
    best_epoch: int | None = None
    stopped: str | None = None
    train_metrics: str = "full"

    @property
    def epochs(self) -> int:
        """The number of epochs completed."""
        return len(self.cost)

    def __repr__(self) -> str:
        """The run in one line: epochs, the last epoch's measures, why it stopped, the best epoch."""
        parts = [f"epochs={self.epochs}"]
        for name in ("cost", "accuracy", "val_cost", "val_accuracy"):
            values = getattr(self, name)
            if values and values[-1] is not None:
                parts.append(f"{name}={values[-1]:.4g}")
        if self.stopped is not None:
            parts.append(f"stopped={self.stopped!r}")
        if self.best_epoch is not None:
            parts.append(f"best_epoch={self.best_epoch}")
        return f"History({', '.join(parts)})"

    def to_dict(self) -> dict[str, Any]:
        """Return the metrics as plain JSON values (copies)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object, epochs: int) -> History:
        """Rebuild a History from :meth:`to_dict`'s result (read back from a checkpoint), checking
        every field by type and range for a run of ``epochs`` epochs.

        Raises
        ------
        ValueError
            Naming the first field that is missing, unknown, of the wrong type or length, or
            out of range.
        """
        names = [f.name for f in fields(cls)]
        if not isinstance(data, dict) or not set(data) <= set(names):
            got = sorted(map(str, data)) if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"its history may have the fields {names}; got {got}")
        data = {**cls().to_dict(), **data}  # a field a History written by an older deltaprop lacks takes its default
        n_val = len(data["val_cost"]) if isinstance(data["val_cost"], list) else -1
        lists = {
            "cost": (epochs, _number), "accuracy": (epochs, _fraction_or_none), "seconds": (epochs, _non_negative),
            "lr": (epochs, _non_negative), "val_cost": (epochs if n_val else 0, _number),
            "val_accuracy": (epochs if n_val else 0, _fraction_or_none),
        }
        for name, (length, ok) in lists.items():
            values = data[name]
            if not isinstance(values, list) or len(values) != length or not all(ok(v) for v in values):
                raise ValueError(f"its history's {name} must list {length} numbers{_range(ok)} (one per epoch)")
        norms = data["gradient_norms"]
        if not isinstance(norms, list) or len(norms) > epochs or not all(isinstance(n, list) and all(map(_non_negative, n)) for n in norms):
            raise ValueError(f"its history's gradient_norms must list at most {epochs} lists of numbers ≥ 0")
        if not (data["initial_cost"] is None or _number(data["initial_cost"])):
            raise ValueError(f"its history's initial_cost must be a number or None; got {data['initial_cost']!r}")
        best = data["best_epoch"]
        if not (best is None or (type(best) is int and 1 <= best <= epochs)):
            raise ValueError(f"its history's best_epoch must be None or an epoch from 1 to {epochs}; got {best!r}")
        if not (data["stopped"] is None or (isinstance(data["stopped"], str) and data["stopped"] in STOPPED)):
            raise ValueError(f"its history's stopped must be None or one of {', '.join(STOPPED)}; got {data['stopped']!r}")
        if not isinstance(data["train_metrics"], str):
            raise ValueError(f"its history's train_metrics must be a string; got {data['train_metrics']!r}")
        copied = {name: [list(v) for v in data[name]] if name == "gradient_norms" else (list(data[name]) if isinstance(data[name], list) else data[name]) for name in names}
        return cls(**copied)


def _number(value: object) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _non_negative(value: object) -> bool:
    return _number(value) and value >= 0


def _fraction_or_none(value: object) -> bool:
    return value is None or (_number(value) and 0 <= value <= 1)


def _range(ok: object) -> str:
    return {_non_negative: " ≥ 0", _fraction_or_none: " in [0, 1] or None"}.get(ok, "")
