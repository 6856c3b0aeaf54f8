"""Everything a training run does besides its steps, each a :class:`Callback` with its own state.

- :class:`LearningRateSchedule` sets η at the start of each epoch from a
  :class:`~deltaprop.schedules.Schedule` and shows it the epoch's cost.
- :class:`GradientNorms` records ‖∂C/∂W^l‖ of every layer after each epoch.
- :class:`EarlyStopping` stops when a measure has not improved for ``patience`` epochs and
  leaves the network with the weights of its best epoch (the scikit-learn estimators use it too).
- :class:`Checkpoint` writes the run's whole state to a folder after every epoch (and every
  ``every_steps`` steps), and resumes from it.
- :class:`Progress` shows a progress bar on a terminal, one line per epoch elsewhere.
- :class:`StopOnInterrupt` turns Ctrl-C into a stop after the current mini-batch.

:func:`deltaprop.fit` builds these from its keywords; a :class:`~deltaprop.training.trainer.Trainer`
takes any of them in ``callbacks``.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..backprop import backprop
from ..schedules import Schedule
from ..atomic import remove_stale_temps
from ..serialize import load, save
from ..validation import all_finite, is_real, non_negative, positive_int
from .checkpoint import CHECKPOINT_FILE, MODEL_FILE, FolderLock, read_state, write_state
from .history import History
from .trainer import Callback, spread_rows

__all__ = [
    "Callback", "LearningRateSchedule", "GradientNorms", "EarlyStopping", "Checkpoint", "Progress", "StopOnInterrupt",
]

#: Training rows on which :class:`GradientNorms` measures, spread over the set.
GRADIENT_SAMPLE = 1000
#: The ways a run ends in which its last weights are the ones to keep.
_FINISHED = (None, "early stopping", "callback")


class LearningRateSchedule(Callback):
    """Set the optimizer's η at the start of each epoch: ``schedule.lr(epoch, base_lr)``, where
    base_lr is the optimizer's η when the Trainer was built; after each epoch the schedule
    observes the validation cost (else the training cost), as :class:`ReduceOnPlateau` needs."""

    state_key = "schedule"

    def __init__(self, schedule: Schedule) -> None:
        if not isinstance(schedule, Schedule):
            raise TypeError(f"schedule must be a deltaprop Schedule such as CosineAnnealing(epochs); got {schedule!r}")
        self.schedule = schedule

    def on_epoch_begin(self, epoch: int) -> None:
        self.trainer.optimizer.lr = self.schedule.lr(epoch, self.trainer.base_lr)

    def on_epoch_end(self, epoch: int, history: History, net: object) -> None:
        self.schedule.observe(history.val_cost[-1] if history.val_cost else history.cost[-1])

    def settings(self) -> dict[str, Any]:
        return {"schedule": type(self.schedule).__name__}

    def state_dict(self) -> dict[str, Any]:
        return self.schedule.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.schedule.load_state_dict({k: v for k, v in state.items() if k != "arrays"})  # checks it all first


class GradientNorms(Callback):
    """After each epoch, append ‖∂C/∂W^l‖ of every layer to ``history.gradient_norms``: one
    backprop over a fixed sample of up to 1000 training rows spread over the set (the
    learning-speed picture of Nielsen's chapter 5)."""

    def on_epoch_end(self, epoch: int, history: History, net: object) -> None:
        trainer = self.trainer
        sample = spread_rows(trainer.n_train, GRADIENT_SAMPLE)
        dW = backprop(trainer.net, trainer.X[sample], trainer.Y[sample], trainer.penalty).dW
        history.gradient_norms.append([float(np.linalg.norm(g)) for g in dW])


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs in a row, and leave the
    network with the weights of its best epoch.

    Parameters
    ----------
    patience : int
        Epochs without improvement after which to stop, ≥ 1.
    monitor : str or callable
        A History field ("val_cost", "val_accuracy", "cost", "accuracy"), or a function of no
        arguments that returns the measure (called once after each epoch).
    mode : {"min", "max"}, optional
        Whether lower or higher is better: from the name by default ("cost" lower, "accuracy"
        higher); needed for a function.
    min_delta : float
        An epoch improves when it beats the best so far by more than this (≥ 0).
    strict : bool
        With False, beating the best by exactly ``min_delta`` (or, when it is 0, equalling it)
        counts as an improvement too: scikit-learn's ``tol`` rule.
    restore_best : bool
        Leave the network with the best epoch's weights when training ends.

    Attributes
    ----------
    best : float or None
        The best value so far; ``best_epoch`` its epoch (from 0; −1 before any).
    wait : int
        Epochs since the last improvement.

    Notes
    -----
    Its state carries over from one :meth:`Trainer.fit` to the next and into checkpoints; a
    fresh run needs a fresh EarlyStopping.
    """

    state_key = "early_stopping"
    #: The ways a run may end (``History.stopped``) for which the best weights are put back.
    restore_after: tuple[str | None, ...] = (None, "early stopping", "callback")

    def __init__(
        self, patience: int = 5, monitor: str | Callable[[], float] = "val_cost", mode: str | None = None,
        min_delta: float = 0.0, strict: bool = True, restore_best: bool = True,
    ) -> None:
        self.patience = positive_int("patience", patience)
        if mode is None and not isinstance(monitor, str):
            raise ValueError("EarlyStopping needs mode='min' or 'max' for a monitor function")
        if isinstance(monitor, str) and monitor not in ("val_cost", "val_accuracy", "cost", "accuracy"):
            raise ValueError(f"monitor must be one of 'val_cost', 'val_accuracy', 'cost', 'accuracy' or a function; got {monitor!r}")
        self.monitor = monitor
        self.mode = mode or ("min" if monitor.endswith("cost") else "max")
        if self.mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max'; got {mode!r}")
        self.min_delta, self.strict, self.restore_best = non_negative("min_delta", min_delta), bool(strict), bool(restore_best)
        self.best: float | None = None
        self.best_epoch, self.wait = -1, 0
        self.best_params: list[np.ndarray] | None = None
        self.last_params: list[np.ndarray] | None = None  # the weights the best ones replaced at the end

    def on_train_begin(self) -> None:
        trainer = self.trainer
        if isinstance(self.monitor, str) and self.monitor.startswith("val_") and trainer.X_val is None:
            raise ValueError("early_stopping needs validation data: pass validation=(X_val, y_val) or a fraction such as 0.1")
        if isinstance(self.monitor, str) and self.monitor.endswith("accuracy") and not trainer.net.is_classifier:
            raise ValueError(f"monitor {self.monitor!r} needs a classifier; use '{self.monitor.replace('accuracy', 'cost')}'")

    def on_epoch_end(self, epoch: int, history: History, net: object) -> bool:
        value = float(self.monitor() if callable(self.monitor) else getattr(history, self.monitor)[-1])
        sign = 1.0 if self.mode == "max" else -1.0
        gain = np.inf if self.best is None else sign * (value - self.best)
        improved = gain > self.min_delta or (not self.strict and gain >= self.min_delta)
        self.wait = 0 if improved else self.wait + 1
        if gain > 0:
            self.best, self.best_epoch = value, epoch
            if self.restore_best:
                self.best_params = [p.copy() for p in self.trainer.params]
        if self.wait >= self.patience:
            history.stopped = history.stopped or "early stopping"
            return True
        return False

    def on_train_end(self) -> None:
        history = self.trainer.history
        if self.best_params is not None and history.stopped in self.restore_after:
            self.last_params = [p.copy() for p in self.trainer.params]
            for p, best in zip(self.trainer.params, self.best_params):
                p[...] = best
            history.best_epoch = self.best_epoch + 1

    def on_epoch_begin(self, epoch: int) -> None:
        if self.last_params is not None:  # training goes on: from where it was, not from the best epoch
            for p, last in zip(self.trainer.params, self.last_params):
                p[...] = last
            self.last_params = None

    def settings(self) -> dict[str, Any]:
        monitor = self.monitor if isinstance(self.monitor, str) else "function"
        return {"early_stopping": self.patience, "monitor": monitor, "min_delta": self.min_delta}

    def state_dict(self) -> dict[str, Any]:
        kept = [arrays for arrays in (self.best_params, self.last_params) if arrays is not None]
        return {
            "best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
            "best_weights": self.best_params is not None, "last_weights": self.last_params is not None,
            "arrays": [p.copy() for arrays in kept for p in arrays],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        best, best_epoch, wait = state["best"], state["best_epoch"], state["wait"]
        has_best, has_last, arrays = state["best_weights"], state["last_weights"], state["arrays"]
        if not (best is None or (is_real(best) and np.isfinite(best))) or type(best_epoch) is not int or type(wait) is not int:
            raise ValueError("its early-stopping state is malformed")
        if best_epoch < -1 or wait < 0 or (best is None) != (best_epoch == -1):
            raise ValueError(f"its early-stopping state is malformed (best_epoch {best_epoch}, wait {wait})")
        if type(has_best) is not bool or type(has_last) is not bool:
            raise ValueError("its early-stopping state is malformed")
        params = self.trainer.params
        n = len(params)
        if len(arrays) != n * (has_best + has_last) or not all(
            isinstance(a, np.ndarray) and a.shape == p.shape and a.dtype == p.dtype for a, p in zip(arrays, params + params)
        ):
            raise ValueError("its best weights do not fit this network")
        self.best, self.best_epoch, self.wait = best, best_epoch, wait
        self.best_params = [a.copy() for a in arrays[:n]] if has_best else None
        self.last_params = [a.copy() for a in arrays[-n:]] if has_last else None


class Checkpoint(Callback):
    """Write the run's whole state to ``folder/checkpoint.npz`` (atomically) and the model to
    ``folder/model.npz`` after every epoch, and every ``every_steps`` steps inside one.

    With ``resume``, a run that finds a checkpoint in ``folder`` continues from it (checked to
    come from the same kind of run first): after a normal stop or a ``kill -9`` at any moment it
    ends with exactly the weights of a run never interrupted. When the run ends, ``model.npz``
    holds the weights it ends with (the best epoch's, after early stopping), and so does the
    checkpoint written with it.

    One run at a time: from its start to its end the run holds the folder (a
    :class:`~deltaprop.training.checkpoint.FolderLock`), and a second run into the same folder
    is refused with a ``ValueError`` naming the folder and the holder's pid. At its start the
    run removes the temporary files that killed writers left in the folder.

    The checkpoint is the truth and the model follows it: each write replaces the checkpoint,
    then the model, both from the same weights. A kill between the two renames leaves the model
    one write behind; a resumed run puts the checkpoint's weights in ``model.npz`` before its
    first step, so the two agree again before anything else is written.
    """

    def __init__(self, folder: str | Path, every_steps: int | None = None, resume: bool = False) -> None:
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise ValueError(f"checkpoint {folder} is a file; it must be a folder")
        self.every_steps = None if every_steps is None else positive_int("every_steps", every_steps)
        self.resume = bool(resume)
        self.lock = FolderLock(self.folder)

    def on_train_begin(self) -> None:
        self.lock.acquire()
        try:
            remove_stale_temps(self.folder)
            if self.resume and self.trainer.steps_done == 0 and (self.folder / CHECKPOINT_FILE).exists():
                self.trainer.load_state_dict(read_state(self.folder), source=f"checkpoint {self.folder}")
                self._model_follows_checkpoint()
        except BaseException:
            self.lock.release()
            raise

    def _model_follows_checkpoint(self) -> None:
        """Rewrite ``model.npz`` from the weights just resumed unless it holds them already."""
        try:
            model = load(self.folder / MODEL_FILE)
            same = all(np.array_equal(a, b) for a, b in zip(model.parameters(), self.trainer.params, strict=True))
        except (ValueError, OSError):  # missing, half-written by an older deltaprop, or another network
            same = False
        if not same:
            save(self.trainer.net, self.folder / MODEL_FILE)

    def on_batch_end(self, step: int, net: object) -> None:
        trainer = self.trainer
        if self.every_steps is not None and trainer.steps_done % self.every_steps == 0 and trainer.position < trainer.n_train:
            if all(all_finite(p) for p in trainer.params):  # a diverging run keeps its last good checkpoint
                self.write()

    def on_epoch_end(self, epoch: int, history: History, net: object) -> None:
        self.write()

    def on_train_end(self) -> None:
        if not self.lock.held:  # this run never held the folder (refused, or the lock already let go)
            return
        try:
            if self.trainer.history.stopped in _FINISHED:
                self.write()  # the weights the run ends with, in both files
        finally:
            self.lock.release()

    def write(self) -> None:
        """Write the state, then the model, from the same weights."""
        write_state(self.folder, self.trainer.state_dict())
        save(self.trainer.net, self.folder / MODEL_FILE)


class Progress(Callback):
    """Progress of a run on stderr: a bar that moves with every batch on a terminal, one plain
    line per epoch otherwise.

    The bar shows the epoch, the batches of this epoch done out of all of them, the examples
    per second of this epoch, the running mean of this epoch's batch costs and the time left
    in the run; rich redraws it at most 10 times a second. While the bar is shown, the Trainer
    keeps each batch's cost (``Trainer.keep_batch_cost``). After each epoch a summary line
    (cost, accuracy, validation measures, seconds) is printed above the bar, or alone without one.

    Parameters
    ----------
    console : rich.console.Console, optional
        Where to draw: a bar when it is a terminal, the lines otherwise. By default the bar
        goes to stderr when stderr is a terminal, and the lines to stderr when it is not.
    """

    def __init__(self, console: Any = None) -> None:
        self.console = console
        self.bar: Any = None

    def on_train_begin(self) -> None:
        trainer = self.trainer
        console = self.console
        if console is None and sys.stderr.isatty():
            from rich.console import Console

            console = Console(stderr=True)
        if console is None or not console.is_terminal:
            return
        from rich.progress import BarColumn, Progress as Bar, TextColumn, TimeRemainingColumn

        self.batches = -(-trainer.n_train // trainer.batch_size)  # per epoch: the last may be short
        self.bar = Bar(
            TextColumn("epoch {task.fields[epoch]}"), BarColumn(), TextColumn("batch {task.fields[batch]}/{task.fields[batches]}"),
            TextColumn("{task.fields[rate]:,.0f} examples/s"), TextColumn("cost {task.fields[cost]}"),
            TimeRemainingColumn(), console=console, transient=True,
        )
        self.bar.start()
        total = None if trainer.target_epochs is None else trainer.target_epochs * self.batches
        self.task = self.bar.add_task("", total=total, epoch=self._epoch(), batch=0, batches=self.batches, rate=0.0, cost="—")
        self.kept_before, trainer.keep_batch_cost = trainer.keep_batch_cost, True
        self._start_epoch(-(-trainer.position // trainer.batch_size))

    def _epoch(self) -> str:
        return f"{self.trainer.epoch + 1}/{self.trainer.target_epochs or '?'}"

    def _start_epoch(self, batch: int) -> None:
        """Count this epoch's batches from ``batch`` (0, or where a resumed run is)."""
        self.batch, self.cost_sum, self.costs, self.first_row = batch, 0.0, 0, self.trainer.position
        self.started = time.perf_counter()
        self.bar.update(self.task, completed=self.trainer.epoch * self.batches + batch, epoch=self._epoch(), batch=batch, rate=0.0, cost="—")

    def on_epoch_begin(self, epoch: int) -> None:
        if self.bar is not None:
            self._start_epoch(0)

    def on_batch_end(self, step: int, net: object) -> None:
        if self.bar is None:
            return
        trainer = self.trainer
        self.batch += 1
        self.cost_sum += trainer.batch_cost
        self.costs += 1
        seconds = time.perf_counter() - self.started
        rows = trainer.position - self.first_row
        self.bar.update(
            self.task, advance=1, batch=self.batch, cost=f"{self.cost_sum / self.costs:.4f}", rate=rows / seconds if seconds > 0 else 0.0
        )

    def on_epoch_end(self, epoch: int, history: History, net: object) -> None:
        text = f"cost {history.cost[-1]:.4f}"
        if history.accuracy[-1] is not None:
            text += f"  accuracy {history.accuracy[-1]:.4f}"
        if history.val_cost:
            text += f"  val_cost {history.val_cost[-1]:.4f}"
            if history.val_accuracy[-1] is not None:
                text += f"  val_accuracy {history.val_accuracy[-1]:.4f}"
        line = f"epoch {epoch + 1}/{self.trainer.target_epochs or '?'}  {text}  ({history.seconds[-1]:.2f}s)"
        if self.bar is not None:
            self.bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
        elif self.console is not None:
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            print(line, file=sys.stderr, flush=True)

    def on_train_end(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
            self.trainer.keep_batch_cost = self.kept_before


class StopOnInterrupt(Callback):
    """Turn the first Ctrl-C (SIGINT, in the main thread) into a stop after the current
    mini-batch (``history.stopped`` is "interrupted"); a second Ctrl-C interrupts at once."""

    def __init__(self) -> None:
        self.requested = False
        self.previous: Any = None

    def on_train_begin(self) -> None:
        self.requested = False
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, frame: object) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, self.previous)  # a second Ctrl-C interrupts at once

    def on_batch_end(self, step: int, net: object) -> None:
        if self.requested:
            self.trainer.history.stopped = "interrupted"

    def on_train_end(self) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None
