"""Training: mini-batch gradient descent over epochs, evaluation, callbacks and checkpoints.

Symbols → names: η → the optimizer's ``lr``; λ → ``l2``; λ₁ → ``l1``; p (dropout rate) →
``dropout``; n (training-set size, the n of λ/(2n)) → ``len(X)``; m (mini-batch size) →
``batch_size``.

Each epoch shuffles the training set with the run's own Generator (built from ``seed``), which
also draws the dropout masks, so the same seed gives the same weights, bit for bit. After every
epoch the cost and accuracy are measured on the whole training set (and the validation set)
with the weights as they are then, not averaged over the changing weights of the epoch.

With ``checkpoint=DIR`` the run's whole state (weights, optimizer, schedule, Generator, History,
early-stopping state) is written after every epoch, atomically; ``resume=True`` continues from
it, and the resumed run ends with exactly the weights of a run that was never interrupted.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..backprop import backprop, dropout_masks, forward
from .checkpoint import read_checkpoint, write_checkpoint
from ..network import Network, class_labels
from ..serialize import save
from ..optimizers import SGD, Optimizer, optimizer_from_state
from ..schedules import Schedule, schedule_from_state
from ..penalty import Penalty
from ..validation import all_finite, as_sample_weight, non_negative, positive_int, real_number

__all__ = ["fit", "evaluate", "History", "Callback", "TrainingDiverged"]

#: Rows per forward pass when evaluating, to bound memory on large data sets.
EVAL_CHUNK = 4096
#: Training rows on which the per-layer gradient norms are measured after each epoch.
GRADIENT_SAMPLE = 1000


@dataclass
class History:
    """Per-epoch metrics of a :func:`fit` run.

    Attributes
    ----------
    cost, accuracy : list of float
        On the training set (the cost includes the regularisation terms; the accuracy is
        ``None`` for a network that is not a classifier).
    val_cost, val_accuracy : list of float
        On the validation set, when there is one (the same regularisation terms, n the
        training-set size, so that the two costs compare).
    seconds : list of float
        Wall time of each epoch's training steps (evaluation excluded).
    lr : list of float
        The learning rate η used in each epoch.
    gradient_norms : list of list of float
        After each epoch, ‖∂C/∂W^l‖ for every layer, measured on a fixed sample of up to 1000
        training rows (the learning-speed picture of Nielsen's chapter 5).
    best_epoch : int or None
        With early stopping: the epoch (counted from 1) whose weights the network was left with.
    stopped : str or None
        Why training ended before ``epochs``: "early stopping", "interrupted", "callback" or
        "diverged" (on the History that :class:`TrainingDiverged` carries).
    """

    cost: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    val_cost: list[float] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    gradient_norms: list[list[float]] = field(default_factory=list)
    best_epoch: int | None = None
    stopped: str | None = None

    @property
    def epochs(self) -> int:
        """The number of epochs completed."""
        return len(self.cost)

    def to_dict(self) -> dict[str, Any]:
        """Return the metrics as plain JSON values."""
        return asdict(self)


class Callback:
    """Hooks that :func:`fit` calls; override either or both.

    ``on_batch_end`` is called only for callbacks that override it, so the default costs
    nothing per step.
    """

    def on_epoch_end(self, epoch: int, history: History, net: Network) -> bool | None:
        """Called after epoch ``epoch`` (counted from 0) is measured; return True to stop."""
        return None

    def on_batch_end(self, step: int, net: Network) -> None:
        """Called after each gradient step of an epoch (``step`` counted from 0)."""


class TrainingDiverged(ValueError):
    """The cost or a weight became NaN or infinite; ``history`` holds the epochs before it."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


def evaluate(
    net: Network, X: object, y: object, l2: float = 0.0, n_total: int | None = None, l1: float = 0.0
) -> tuple[float, float | None]:
    """Return (cost, accuracy) of ``net`` on a data set, in chunks of 4096 rows.

    Parameters
    ----------
    net : Network
    X, y : array_like
        Inputs and labels (n,) or targets (n, n_out).
    l2, n_total, l1 : float, int, float
        The cost includes λ/(2n) Σ‖W‖² + λ₁/n Σ|w| with n = ``n_total`` (or ``len(X)``).

    Returns
    -------
    (cost, accuracy)
        The accuracy is ``None`` for a network that is not a classifier.
    """
    X = net.inputs(X)
    return _evaluate(net, X, net.targets(y, len(X)), Penalty.checked(l2, l1, n_total, len(X)))


def _evaluate(
    net: Network, X: np.ndarray, Y: np.ndarray, penalty: Penalty, sample_weight: np.ndarray | None = None
) -> tuple[float, float | None]:
    """:func:`evaluate` for inputs and target rows already checked (the per-epoch path)."""
    n = len(X)
    outputs = np.concatenate([forward(net, X[i : i + EVAL_CHUNK]).activations[-1] for i in range(0, n, EVAL_CHUNK)])
    cost = float(net.cost_function.value(outputs, Y, sample_weight) + penalty.cost(net.weights))
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
    validation: tuple[object, object] | float | None = None,
    seed: int | np.random.Generator | None = 0,
    progress: bool = True,
    *,
    l1: float = 0.0,
    dropout: float = 0.0,
    max_norm: float | None = None,
    schedule: Schedule | None = None,
    early_stopping: int | None = None,
    monitor: str = "val_cost",
    callbacks: Sequence[Callback] = (),
    checkpoint: str | Path | None = None,
    resume: bool = False,
    sample_weight: object = None,
    shuffle: bool = True,
    gradient_norms: bool = True,
) -> History:
    """Train ``net`` in place by mini-batch backpropagation; return the per-epoch History.

    Parameters
    ----------
    net : Network
    X : array_like, shape (n, n_0)
    y : array_like
        Labels (n,) or targets (n, n_out).
    epochs : int
        Passes over the training set, ≥ 1 (with ``resume``: the total, counting those done).
    batch_size : int
        Examples per gradient step, ≥ 1 (the last batch of an epoch may be smaller).
    optimizer : Optimizer, optional
        ``SGD(lr=0.5)`` by default. Its ``lr`` is the base rate that ``schedule`` scales.
    l2, l1 : float
        λ of the cost's λ/(2n) Σ‖W‖² and λ₁ of λ₁/n Σ|w|, n the training-set size.
    validation : (X_val, y_val) or float, optional
        A validation set, or the fraction of the training set to hold out as one (drawn
        with the run's Generator before training). Measured after every epoch.
    seed : int or Generator
        Source of the validation split, the per-epoch shuffles and the dropout masks.
    progress : bool
        Show a progress bar (a line per epoch when stderr is not a terminal).
    dropout : float
        Probability p in [0, 1) of dropping each hidden unit in training (inverted dropout:
        nothing changes at prediction time).
    max_norm : float, optional
        After each step, scale every unit's incoming weight vector (a row of W) down to this
        Euclidean norm when it is longer.
    schedule : Schedule, optional
        Sets the optimizer's ``lr`` at the start of each epoch from the base rate
        (see :mod:`deltaprop.schedules`); it observes the validation cost (else the training
        cost) after each epoch.
    early_stopping : int, optional
        Stop when ``monitor`` has not improved for this many epochs, and leave the network
        with the weights of its best epoch. Needs ``validation``.
    monitor : str
        "val_cost" (lower is better) or "val_accuracy" (higher is better).
    callbacks : sequence of Callback
    checkpoint : path, optional
        A folder: after every epoch the run's whole state is written to
        ``checkpoint/checkpoint.npz`` (atomically) and the model to ``checkpoint/model.npz``.
    resume : bool
        Continue from the checkpoint in ``checkpoint`` (if there is one), which must come from
        a run with the same network, data and arguments.
    sample_weight : array_like, shape (n,), optional
        Weights of the training examples (a validation fraction holds out rows, and the
        validation cost is unweighted): each step descends the weighted mean cost of its
        batch, Σ w_x C_x / Σ w_x, and the training cost in the History is weighted the same way.
    shuffle : bool
        Shuffle the training set each epoch (``False``: the rows in their given order).
    gradient_norms : bool
        Measure ``History.gradient_norms`` after each epoch (one backprop over up to 1000 rows;
        on a small data set that is a good part of an epoch).

    Returns
    -------
    History

    Raises
    ------
    ValueError
        For bad arguments or data, before any training. :class:`TrainingDiverged` (a
        ValueError) when the cost or a weight becomes NaN or infinite; the network is then left
        with its weights from the end of the last finite epoch.

    Notes
    -----
    Ctrl-C (SIGINT, in the main thread) stops training after the current batch; the network
    keeps its weights, and ``History.stopped`` is "interrupted". A second Ctrl-C interrupts at once.
    """
    config = _check_arguments(
        net, epochs, batch_size, optimizer, l2, l1, dropout, max_norm, early_stopping, monitor, callbacks, checkpoint, resume
    )
    if schedule is not None and not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a deltaprop Schedule such as CosineAnnealing(epochs); got {schedule!r}")
    optimizer = SGD(lr=0.5) if optimizer is None else optimizer
    X = net.inputs(X)
    Y = net.targets(y, len(X))
    w = as_sample_weight(sample_weight, len(X), net.dtype)
    rng = np.random.default_rng(seed)
    X, Y, w, X_val, Y_val = _split_validation(net, X, Y, w, validation, rng)
    if early_stopping is not None and X_val is None:
        raise ValueError("early_stopping needs validation data: pass validation=(X_val, y_val) or a fraction such as 0.1")
    n = len(X)
    params = net.parameters()
    history = History()
    stopper = _EarlyStopping(early_stopping, monitor) if early_stopping is not None else None
    base_lr = optimizer.lr
    config.update(n_train=n, n_validation=0 if X_val is None else len(X_val), optimizer=type(optimizer).__name__, base_lr=base_lr, shuffle=bool(shuffle))
    config["optimizer_settings"] = {k: v for k, v in optimizer.state_dict().items() if k not in ("lr", "t", "arrays")}
    config["schedule"] = None if schedule is None else type(schedule).__name__
    if resume and validation is not None and not isinstance(validation, (tuple, list)) and not isinstance(seed, (int, np.integer)):
        raise ValueError("resume with a validation fraction needs an integer seed, to hold out the same rows again")
    if isinstance(seed, (int, np.integer)):
        config["seed"] = int(seed)
    if resume and checkpoint is not None and (Path(checkpoint) / "checkpoint.npz").exists():
        history = _restore(checkpoint, config, net, optimizer, schedule, rng, stopper)
        if history.stopped != "early stopping":  # that run is over: only its best weights are left to restore
            history.stopped = None
    sample = np.arange(0, n, max(1, n // GRADIENT_SAMPLE))[:GRADIENT_SAMPLE]  # fixed rows, spread over the set
    batch_callbacks = [c for c in callbacks if type(c).on_batch_end is not Callback.on_batch_end]
    run = _Steps(net, X, Y, w, batch_size, optimizer, params, l2, n, l1, dropout, max_norm, rng)
    with _Reporter(epochs, history.epochs, progress) as report, _StopOnInterrupt() as interrupt:
        for epoch in range(history.epochs, epochs if history.stopped is None else 0):
            if schedule is not None:
                optimizer.lr = schedule.lr(epoch, base_lr)
            epoch_start = [p.copy() for p in params], optimizer.state_dict(), rng.bit_generator.state
            start = time.perf_counter()
            order = rng.permutation(n) if shuffle else np.arange(n)
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught below, by the cost
                if run.epoch(order, batch_callbacks, interrupt):
                    history.stopped = "interrupted"
                    return history
                seconds = time.perf_counter() - start
                cost, accuracy = _evaluate(net, X, Y, Penalty(l2, l1, n), w)
            if not np.isfinite(cost) or not all(all_finite(p) for p in params):
                with np.errstate(over="ignore", invalid="ignore"):
                    step = run.replay_to_last_finite_step(epoch_start, shuffle)
                history.stopped = "diverged"
                where, kept = (f", step {step + 1}", "that step") if step is not None else ("", "that epoch")
                raise TrainingDiverged(
                    f"training diverged in epoch {epoch + 1}{where}: the cost became {cost}; the learning rate "
                    f"({optimizer!r}) is probably too high. The network keeps its weights from before {kept}.",
                    history,
                )
            _record(history, net, X, Y, X_val, Y_val, sample if gradient_norms else None, l2, n, l1, cost, accuracy, seconds, optimizer.lr)
            if schedule is not None:
                schedule.observe(history.val_cost[-1] if X_val is not None else cost)
            stop = stopper is not None and stopper.update(epoch, history, params)
            if stop:
                history.stopped = "early stopping"
            for callback in callbacks:
                if callback.on_epoch_end(epoch, history, net):
                    history.stopped, stop = history.stopped or "callback", True
            if checkpoint is not None:
                _save(checkpoint, config, net, optimizer, schedule, rng, history, stopper)
            report.epoch_end(epoch, history)
            if stop:
                break
    if stopper is not None and stopper.best_params is not None:
        for p, best in zip(params, stopper.best_params):
            p[...] = best
        history.best_epoch = stopper.best_epoch + 1
        if checkpoint is not None:  # the run folder's model is the one the run ends with
            save(net, Path(checkpoint) / "model.npz")
    return history


def _check_arguments(
    net: Network, epochs: object, batch_size: object, optimizer: object, l2: object, l1: object, dropout: object,
    max_norm: object, early_stopping: object, monitor: object, callbacks: object, checkpoint: object, resume: object,
) -> dict[str, Any]:
    """Refuse bad arguments before any work; return the ones a resumed run must repeat."""
    if not isinstance(net, Network):
        raise TypeError(f"net must be a deltaprop Network; got {type(net).__name__}")
    net.check_parameters()
    config: dict[str, Any] = {
        "sizes": net.sizes,
        "activations": [a.name for a in net.activations],
        "cost": net.cost_function.name,
        "dtype": net.dtype.name,
        "batch_size": positive_int("batch_size", batch_size),
        "l2": non_negative("l2", l2),
        "l1": non_negative("l1", l1),
        "dropout": non_negative("dropout", dropout),
    }
    positive_int("epochs", epochs)
    if config["dropout"] >= 1:
        raise ValueError(f"dropout must be a probability in [0, 1); got {dropout!r}")
    config["max_norm"] = None if max_norm is None else real_number("max_norm", max_norm, "a finite number > 0", lambda v: v > 0)
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a deltaprop Optimizer such as SGD(lr=0.5); got {optimizer!r}")
    config["early_stopping"] = None if early_stopping is None else positive_int("early_stopping", early_stopping)
    if monitor not in ("val_cost", "val_accuracy"):
        raise ValueError(f"monitor must be 'val_cost' or 'val_accuracy'; got {monitor!r}")
    if monitor == "val_accuracy" and not net.is_classifier:
        raise ValueError("monitor 'val_accuracy' needs a classifier; use 'val_cost'")
    config["monitor"] = monitor
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks must be a list of deltaprop.Callback instances; got {callbacks!r}")
    for callback in callbacks:
        if not isinstance(callback, Callback):
            raise TypeError(f"callbacks must be deltaprop.Callback instances; got {callback!r}")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs checkpoint=DIR, the folder to resume from")
    if checkpoint is not None and Path(checkpoint).exists() and not Path(checkpoint).is_dir():
        raise ValueError(f"checkpoint {checkpoint} is a file; it must be a folder")
    return config


def _split_validation(
    net: Network, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None, validation: object, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Return (X, Y, w, X_val, Y_val): the validation pair checked, or a fraction held out."""
    if validation is None:
        return X, Y, w, None, None
    if isinstance(validation, (float, np.floating)) and not isinstance(validation, bool):
        if not 0 < validation < 1:
            raise ValueError(f"validation as a fraction must be in (0, 1); got {validation!r}")
        n_val = int(round(validation * len(X)))
        if not 1 <= n_val < len(X):
            raise ValueError(f"validation fraction {validation} of {len(X)} rows leaves no validation or no training rows")
        order = rng.permutation(len(X))
        held, kept = np.sort(order[:n_val]), np.sort(order[n_val:])
        return X[kept], Y[kept], None if w is None else w[kept], X[held], Y[held]
    if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
        raise ValueError(f"validation must be a pair (X_val, y_val) or a fraction in (0, 1); got {type(validation).__name__}")
    X_val = net.inputs(validation[0])
    return X, Y, w, X_val, net.targets(validation[1], len(X_val))


@dataclass
class _Steps:
    """The gradient steps of an epoch, with everything they need: the hot loop of :func:`fit`."""

    net: Network
    X: np.ndarray
    Y: np.ndarray
    w: np.ndarray | None
    batch_size: int
    optimizer: Optimizer
    params: list[np.ndarray]
    l2: float
    n: int
    l1: float
    dropout: float
    max_norm: float | None
    rng: np.random.Generator

    def epoch(self, order: np.ndarray, batch_callbacks: list[Callback], interrupt: _StopOnInterrupt | None, guard: bool = False) -> bool:
        """One pass over the rows in ``order``; return True if a Ctrl-C asked to stop.

        With ``guard``, each step is checked and undone if it made a weight non-finite, and
        the pass stops there (``self.diverged_at`` is that step); the check is too dear for
        every epoch, so :func:`fit` uses it only to replay an epoch that diverged.
        """
        net, X, Y, w, optimizer, params = self.net, self.X, self.Y, self.w, self.optimizer, self.params
        for step, first in enumerate(range(0, self.n, self.batch_size)):
            batch = order[first : first + self.batch_size]
            masks = dropout_masks(net, len(batch), self.dropout, self.rng) if self.dropout else None
            # take() gathers rows faster than X[batch] (measured: 33 vs 38 µs for 128 rows)
            grads = backprop(net, X.take(batch, axis=0), Y.take(batch, axis=0), Penalty(self.l2, self.l1, self.n), masks, None if w is None else w[batch])
            if guard:
                before = [p.copy() for p in params], optimizer.state_dict()
            optimizer.step(params, grads.parameters())
            if self.max_norm is not None:
                _clip_rows(net.weights, self.max_norm)
            if guard and not all(all_finite(p) for p in params):
                for p, good in zip(params, before[0]):
                    p[...] = good
                optimizer.load_state_dict(before[1])
                self.diverged_at = step
                return False
            for callback in batch_callbacks:
                callback.on_batch_end(step, net)
            if interrupt is not None and interrupt.requested:
                return True
        return False

    def replay_to_last_finite_step(self, epoch_start: tuple, shuffle: bool) -> int | None:
        """Go back to the start of a diverged epoch and redo its steps, checking each, up to the
        first that makes a weight non-finite; return that step's index (the network is left just
        before it). With the same Generator state the replay draws the same batches and masks."""
        params, optimizer_state, generator = epoch_start
        for p, good in zip(self.params, params):
            p[...] = good
        self.optimizer.load_state_dict(optimizer_state)
        self.rng.bit_generator.state = generator
        order = self.rng.permutation(self.n) if shuffle else np.arange(self.n)
        self.diverged_at = -1
        self.epoch(order, [], None, guard=True)
        if self.diverged_at < 0:  # every weight stayed finite, the cost alone overflowed: keep the epoch's start
            for p, good in zip(self.params, params):
                p[...] = good
            self.optimizer.load_state_dict(optimizer_state)
            return None
        return self.diverged_at


def _record(
    history: History, net: Network, X: np.ndarray, Y: np.ndarray, X_val: np.ndarray | None, Y_val: np.ndarray | None,
    sample: np.ndarray | None, l2: float, n: int, l1: float, cost: float, accuracy: float | None, seconds: float, lr: float,
) -> None:
    """Append one epoch's measurements to ``history``."""
    history.cost.append(cost)
    history.accuracy.append(accuracy)
    history.seconds.append(seconds)
    history.lr.append(float(lr))
    if X_val is not None:
        val_cost, val_accuracy = _evaluate(net, X_val, Y_val, Penalty(l2, l1, n))
        history.val_cost.append(val_cost)
        history.val_accuracy.append(val_accuracy)
    if sample is not None:
        dW = backprop(net, X[sample], Y[sample], Penalty(l2, l1, n)).dW
        history.gradient_norms.append([float(np.linalg.norm(g)) for g in dW])


def _clip_rows(weights: list[np.ndarray], max_norm: float) -> None:
    """Max-norm: scale each row of each W (a unit's incoming weights) to norm ≤ ``max_norm``."""
    for W in weights:
        norms = np.sqrt(np.einsum("ij,ij->i", W, W))
        W *= np.minimum(1.0, max_norm / np.maximum(norms, 1e-12)).astype(W.dtype)[:, None]


class _EarlyStopping:
    """Tracks the best epoch of ``monitor`` and keeps a copy of its weights."""

    def __init__(self, patience: int, monitor: str) -> None:
        self.patience, self.monitor = patience, monitor
        self.best: float | None = None
        self.best_epoch = -1
        self.best_params: list[np.ndarray] | None = None

    def update(self, epoch: int, history: History, params: list[np.ndarray]) -> bool:
        """Note this epoch's value; return True when patience has run out."""
        value = getattr(history, self.monitor)[-1]
        better = self.best is None or (value < self.best if self.monitor == "val_cost" else value > self.best)
        if better:
            self.best, self.best_epoch = value, epoch
            self.best_params = [p.copy() for p in params]
        return epoch - self.best_epoch >= self.patience


def _save(
    folder: str | Path, config: dict, net: Network, optimizer: Optimizer, schedule: Schedule | None, rng: np.random.Generator,
    history: History, stopper: _EarlyStopping | None,
) -> None:
    """Write the run's state after an epoch; the model too, as an ordinary model file."""
    optimizer_state = optimizer.state_dict()
    arrays = {f"param{i}": p for i, p in enumerate(net.parameters())}
    arrays.update({f"optimizer{i}": a for i, a in enumerate(optimizer_state.pop("arrays", []))})
    state = {
        "config": config,
        "history": history.to_dict(),
        "optimizer": optimizer_state,
        "schedule": None if schedule is None else schedule.state_dict(),
        "generator": rng.bit_generator.state,
        "early_stopping": None,
    }
    if stopper is not None:
        state["early_stopping"] = {"best": stopper.best, "best_epoch": stopper.best_epoch}
        arrays.update({f"best{i}": p for i, p in enumerate(stopper.best_params or [])})
    write_checkpoint(folder, state, arrays)
    save(net, Path(folder) / "model.npz")


def _restore(
    folder: str | Path, config: dict, net: Network, optimizer: Optimizer, schedule: Schedule | None, rng: np.random.Generator,
    stopper: _EarlyStopping | None,
) -> History:
    """Load a checkpoint into the run's objects, after checking all of it comes from the same run:
    a refused checkpoint changes nothing."""
    state, arrays = read_checkpoint(folder)
    params = net.parameters()
    try:
        saved = state["config"]
        for key, value in config.items():
            if saved.get(key) != value:
                raise ValueError(f"checkpoint {folder} was made with {key} = {saved.get(key)!r}; this run has {value!r}")
        saved_params = [arrays[f"param{i}"] for i in range(len(params))]
        if any(a.shape != p.shape or a.dtype != p.dtype for a, p in zip(saved_params, params)):
            raise ValueError(f"checkpoint {folder}: its parameters do not fit this network")
        optimizer_state = dict(state["optimizer"])
        optimizer_state["arrays"] = [arrays[f"optimizer{i}"] for i in range(sum(k.startswith("optimizer") for k in arrays))]
        optimizer_from_state(optimizer_state)  # checks it all, on a throw-away optimizer
        if schedule is not None:
            schedule_from_state(state["schedule"])
        np.random.Generator(type(rng.bit_generator)()).bit_generator.state = state["generator"]
        history = History(**state["history"])
        best, best_params = None, None
        if stopper is not None:
            best = state["early_stopping"]
            if not isinstance(best, dict) or not isinstance(best["best_epoch"], int):
                raise ValueError(f"checkpoint {folder}: its early-stopping state is malformed")
            if best["best"] is not None:
                best_params = [arrays[f"best{i}"] for i in range(len(params))]
                if any(a.shape != p.shape or a.dtype != p.dtype for a, p in zip(best_params, params)):
                    raise ValueError(f"checkpoint {folder}: its best weights do not fit this network")
    except (KeyError, TypeError) as e:
        raise ValueError(f"checkpoint {folder}: its state is incomplete or malformed ({e!r})") from None
    for p, saved_p in zip(params, saved_params):
        p[...] = saved_p
    optimizer.load_state_dict(optimizer_state)
    if schedule is not None:
        schedule.load_state_dict(state["schedule"])
    rng.bit_generator.state = state["generator"]
    if stopper is not None:
        stopper.best, stopper.best_epoch, stopper.best_params = best["best"], best["best_epoch"], best_params
    return history


class _StopOnInterrupt:
    """Turn the first Ctrl-C into a request to stop after the current batch (main thread only)."""

    def __init__(self) -> None:
        self.requested = False
        self.previous: Any = None

    def __enter__(self) -> _StopOnInterrupt:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, self.previous)  # a second Ctrl-C interrupts at once

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


class _Reporter:
    """Progress of a run: a rich bar on a terminal, one plain line per epoch otherwise."""

    def __init__(self, epochs: int, done: int, enabled: bool) -> None:
        self.epochs, self.done, self.enabled = epochs, done, enabled
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
            self.task = self.bar.add_task("", total=self.epochs, completed=self.done)
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
