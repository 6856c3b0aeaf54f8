"""Training: mini-batch gradient descent over epochs, and evaluation.

Symbols → names: η → the optimizer's ``lr``; λ → ``l2``; n (training-set size, the n of
λ/(2n)) → ``len(X)``; m (mini-batch size) → ``batch_size``.

Each epoch shuffles the training set with the run's own Generator (built from ``seed``), so
the same seed gives the same weights, bit for bit. After every epoch the cost and accuracy are
measured on the whole training set (and on the validation set, if given) with the weights as
they are then, not averaged over the changing weights of the epoch.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .backprop import backprop, forward
from .network import Network, class_labels
from .validation import positive_int, regularisation
from .optimizers import SGD, Optimizer

__all__ = ["fit", "evaluate", "History"]

#: Rows per forward pass when evaluating, to bound memory on large data sets.
EVAL_CHUNK = 4096


@dataclass
class History:
    """Per-epoch metrics of a :func:`fit` run (``None`` entries where not measured).

    Attributes
    ----------
    cost, accuracy : list of float
        On the training set (the cost includes the L2 term).
    val_cost, val_accuracy : list of float
        On the validation set, when one was given (the cost with the same L2 term, n the
        training-set size, so that the two costs compare).
    seconds : list of float
        Wall time of each epoch's training steps (evaluation excluded).
    """

    cost: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    val_cost: list[float] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """The number of epochs completed."""
        return len(self.cost)

    def to_dict(self) -> dict[str, list]:
        """Return the metrics as plain lists (JSON-ready)."""
        return asdict(self)


def evaluate(net: Network, X: object, y: object, l2: float = 0.0, n_total: int | None = None) -> tuple[float, float | None]:
    """Return (cost, accuracy) of ``net`` on a data set, in chunks of 4096 rows.

    Parameters
    ----------
    net : Network
    X, y : array_like
        Inputs and labels (n,) or targets (n, n_out).
    l2, n_total : float, int
        The cost includes λ/(2n) Σ‖W‖² with n = ``n_total`` (or ``len(X)``).

    Returns
    -------
    (cost, accuracy)
        The accuracy is ``None`` for a network that is not a classifier.
    """
    X = net.inputs(X)
    return _evaluate(net, X, net.targets(y, len(X)), *regularisation(l2, n_total, len(X)))


def _evaluate(net: Network, X: np.ndarray, Y: np.ndarray, l2: float, n_reg: int) -> tuple[float, float | None]:
    """:func:`evaluate` for inputs and target rows already checked (the per-epoch path)."""
    n = len(X)
    outputs = np.concatenate([forward(net, X[i : i + EVAL_CHUNK]).activations[-1] for i in range(0, n, EVAL_CHUNK)])
    cost = float(net.cost_function.value(outputs, Y) + net.l2_penalty(l2, n_reg))
    if not net.is_classifier:
        return cost, None
    return cost, float(np.mean(class_labels(outputs) == class_labels(Y)))


def fit(
    net: Network,
    X: object,
    y: object,
    epochs: int = 30,
    batch_size: int = 10,
    optimizer: Optimizer | None = None,
    l2: float = 0.0,
    validation: tuple[object, object] | None = None,
    seed: int | np.random.Generator | None = 0,
    progress: bool = True,
) -> History:
    """Train ``net`` in place by mini-batch backpropagation; return the per-epoch History.

    Parameters
    ----------
    net : Network
    X : array_like, shape (n, n_0)
    y : array_like
        Labels (n,) or targets (n, n_out).
    epochs : int
        Passes over the training set, ≥ 1.
    batch_size : int
        Examples per gradient step, ≥ 1 (the last batch of an epoch may be smaller).
    optimizer : Optimizer, optional
        ``SGD(lr=0.5)`` by default.
    l2 : float
        λ of the cost's λ/(2n) Σ‖W‖², n the training-set size.
    validation : (X_val, y_val), optional
        Measured after every epoch.
    seed : int or Generator
        Source of the per-epoch shuffles.
    progress : bool
        Show a progress bar (a line per epoch when the output is not a terminal).

    Returns
    -------
    History
    """
    epochs = positive_int("epochs", epochs)
    batch_size = positive_int("batch_size", batch_size)
    optimizer = SGD(lr=0.5) if optimizer is None else optimizer
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a deltaprop Optimizer such as SGD(lr=0.5); got {optimizer!r}")
    params = net.parameters()
    X = net.inputs(X)
    Y = net.targets(y, len(X))
    l2, n = regularisation(l2, None, len(X))
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise ValueError("validation must be a pair (X_val, y_val)")
        X_val = net.inputs(validation[0])
        Y_val = net.targets(validation[1], len(X_val))
    rng = np.random.default_rng(seed)
    history = History()
    with _Reporter(epochs, progress) as report:
        for epoch in range(epochs):
            start = time.perf_counter()
            order = rng.permutation(n)
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught below, by the cost
                for first in range(0, n, batch_size):
                    batch = order[first : first + batch_size]
                    grads = backprop(net, X[batch], Y[batch], l2, n)
                    optimizer.step(params, grads.parameters())
                history.seconds.append(time.perf_counter() - start)
                cost, accuracy = _evaluate(net, X, Y, l2, n)
            if not np.isfinite(cost) or not all(np.isfinite(p).all() for p in params):
                raise ValueError(
                    f"training diverged in epoch {epoch + 1}: the cost is {cost}; the learning rate ({optimizer!r}) is probably too high"
                )
            history.cost.append(cost)
            history.accuracy.append(accuracy)
            if validation is not None:
                val_cost, val_accuracy = _evaluate(net, X_val, Y_val, l2, n)
                history.val_cost.append(val_cost)
                history.val_accuracy.append(val_accuracy)
            report.epoch_end(epoch, history)
    return history


class _Reporter:
    """Progress of a run: a rich bar on a terminal, one plain line per epoch otherwise."""

    def __init__(self, epochs: int, enabled: bool) -> None:
        self.epochs, self.enabled = epochs, enabled
        self.bar = None

    def __enter__(self) -> _Reporter:
        if self.enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("epoch"), MofNCompleteColumn(), BarColumn(), TimeRemainingColumn(),
                TextColumn("{task.description}"), transient=False, console=Console(stderr=True),
            )
            self.bar.start()
            self.task = self.bar.add_task("", total=self.epochs)
        return self

    def epoch_end(self, epoch: int, history: History) -> None:
        if not self.enabled:
            return
        text = f"cost {history.cost[-1]:.4f}"
        if history.accuracy[-1] is not None:
            text += f"  accuracy {history.accuracy[-1]:.4f}"
        if history.val_cost:
            text += f"  val_cost {history.val_cost[-1]:.4f}"
            if history.val_accuracy[-1] is not None:
                text += f"  val_accuracy {history.val_accuracy[-1]:.4f}"
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=text)
        else:
            print(f"epoch {epoch + 1}/{self.epochs}  {text}  ({history.seconds[-1]:.2f}s)", file=sys.stderr, flush=True)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
