"""History: what a training run measured after each epoch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["History"]


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
