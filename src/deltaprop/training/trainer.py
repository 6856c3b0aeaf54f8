"""The training run as an object: mini-batch backpropagation one step at a time.

Symbols → names: η → the optimizer's ``lr``; λ, λ₁, n → :class:`~deltaprop.penalty.Penalty`
(n is the training-set size); p (dropout rate) → ``dropout``; m (mini-batch size) →
``batch_size``; ∂C/∂θ of all parameters, unrolled → ``Trainer.gradient``.

A :class:`Trainer` holds everything a run changes: the network's parameters (in place), the
optimizer's buffers, the run's Generator (which draws the validation split, each epoch's
permutation and the dropout masks), the place inside the epoch's permutation, the
:class:`~deltaprop.training.history.History` and its callbacks. :meth:`Trainer.step` takes one
mini-batch::

    gather the batch → forward → BP1–BP4 into Trainer.gradient → gradient hooks → optimizer step

and, when that batch ends an epoch, measures the epoch and calls the epoch callbacks, so the run
is the same whether it is driven step by step, epoch by epoch or by :meth:`Trainer.fit`. The
epoch's training cost and accuracy come from its batches' own forward passes (their running mean,
as Keras and scikit-learn's ``loss_curve_`` report them), so an epoch makes no second pass over the
training set; ``train_metrics="full"`` measures them on the whole set after the epoch instead,
with the weights as they are then. The validation set is always measured after the epoch.

The step itself runs in a :class:`~deltaprop.training.workspace.Workspace` (buffers for one
batch size, the same BP1–BP4) with BLAS threads chosen for the work
(:mod:`~deltaprop.training.threads`); :func:`~deltaprop.backprop.backprop` is the reference it is
tested against.

:meth:`Trainer.state_dict` is a snapshot after any step, mid-epoch too; a fresh Trainer over the
same network shape and data continues from it bit for bit (same machine, same thread count).
"""

from __future__ import annotations

import contextlib
import copy
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..backprop import backprop, dropout_masks, example_shares, forward
from ..network import Network, class_labels
from ..optimizers import SGD, Optimizer, get_optimizer, optimizer_from_state
from ..penalty import Penalty
from ..validation import all_finite, as_sample_weight, generator, non_negative, positive_int, positive_number
from .history import History
from . import compiled
from .running import RunningMetrics
from .threads import BlasThreads
from .workspace import Workspace

__all__ = [
    "Trainer", "Callback", "TrainingDiverged", "evaluate", "measure", "check_callbacks", "spread_rows", "EVAL_CHUNK",
    "START_SAMPLE", "COST_RISE",
]

#: Rows per forward pass when evaluating, to bound memory on large data sets.
EVAL_CHUNK = 4096
#: Training rows, spread over the set, on which the cost before training is measured.
START_SAMPLE = 1000
#: :meth:`Trainer.fit` warns when the training cost ends above this many times its value before training.
COST_RISE = 2.0
#: How a Trainer measures an epoch's training cost and accuracy (see the module).
TRAIN_METRICS = ("running", "full")
#: Settings added to a run's state after its first version, with the value older states had.
_ADDED_SETTINGS = {"train_metrics": "full"}
#: The hooks of :class:`Callback`, in the order of a run.
HOOKS = ("on_train_begin", "on_epoch_begin", "on_gradient", "on_batch_end", "on_epoch_end", "on_train_end")


class TrainingDiverged(ValueError):
    """The cost or a weight became NaN or infinite; ``history`` holds the epochs before it."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


class Callback:
    """Hooks that a :class:`Trainer` calls; override any of them.

    A hook that a callback does not override is never called, so the per-step hooks cost
    nothing unless used. ``self.trainer`` is the Trainer the callback belongs to (set when the
    Trainer is built): its network, optimizer, History, epoch and step count are there to read.

    A callback with state of its own (best weights, a schedule's progress) names it by
    ``state_key`` and returns it from :meth:`state_dict`, so that it travels in the Trainer's
    state and its checkpoints; :meth:`settings` lists what a run resumed from that state must
    repeat.
    """

    #: The key of this callback's state in :meth:`Trainer.state_dict` (None: it keeps none).
    state_key: str | None = None
    trainer: Trainer

    def on_train_begin(self) -> None:
        """Called when :meth:`Trainer.fit` starts, before any step."""

    def on_epoch_begin(self, epoch: int) -> None:
        """Called before the first step of epoch ``epoch`` (counted from 0)."""

    def on_gradient(self, gradient: np.ndarray) -> None:
        """Called between backprop and the update with ``Trainer.gradient``, every parameter's
        ∂C/∂θ in one flat array; changing it in place changes the step (the place to reduce
        gradients across processes)."""

    def on_batch_end(self, step: int, net: Network) -> None:
        """Called after each gradient step of an epoch (``step`` counted from 0)."""

    def on_epoch_end(self, epoch: int, history: History, net: Network) -> bool | None:
        """Called after epoch ``epoch`` (counted from 0) is measured; return True to stop."""
        return None

    def on_train_end(self) -> None:
        """Called when :meth:`Trainer.fit` ends, however it ends (``history.stopped`` says why)."""

    def settings(self) -> dict[str, Any]:
        """Return what a run resumed from this callback's state must repeat (JSON values)."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        """Return this callback's state: JSON values, and arrays (copies) under ``"arrays"``."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s result; raise ``ValueError`` (changing nothing) if it does not fit."""


def check_callbacks(callbacks: object) -> list[Callback]:
    """Return ``callbacks`` as a list if it is a list or tuple of :class:`Callback`, else raise ``TypeError``."""
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks must be a list of deltaprop.Callback instances; got {callbacks!r}")
    for callback in callbacks:
        if not isinstance(callback, Callback):
            raise TypeError(f"callbacks must be deltaprop.Callback instances; got {callback!r}")
    return list(callbacks)


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
    return measure(net, X, net.targets(y, len(X)), Penalty.checked(l2, l1, n_total, len(X)))


def spread_rows(n: int, k: int) -> np.ndarray:
    """Return the indices of ``k`` of ``n`` rows spread evenly over them (all of them when n ≤ k)."""
    return np.arange(n) if n <= k else np.arange(k) * n // k


def measure(
    net: Network, X: np.ndarray, Y: np.ndarray, penalty: Penalty, sample_weight: np.ndarray | None = None
) -> tuple[float, float | None]:
    """:func:`evaluate` for inputs and target rows already checked (the per-epoch path)."""
    outputs = np.concatenate([forward(net, X[i : i + EVAL_CHUNK]).activations[-1] for i in range(0, len(X), EVAL_CHUNK)])
    cost = float(net.cost_function.value(outputs, Y, sample_weight) + penalty.cost(net.weights))
    if not net.is_classifier:
        return cost, None
    return cost, float(np.mean(class_labels(outputs) == class_labels(Y)))


class Trainer:
    """A training run of ``net`` on ``(X, y)``, driven one mini-batch at a time.

    Parameters
    ----------
    net : Network
        Trained in place: the Trainer updates the arrays of ``net.parameters()`` it found when
        it was built, so change weights by writing into them (``net.weights[0][...] = W``), not
        by assigning new arrays, while it trains.
    X : array_like, shape (n, n_0)
    y : array_like
        Labels (n,) or targets (n, n_out).
    batch_size : int
        Examples per gradient step, ≥ 1 (the last batch of an epoch may be smaller).
    optimizer : Optimizer or str, optional
        ``SGD(lr=0.5)`` by default; a name (a key of :data:`deltaprop.optimizers.OPTIMIZERS`:
        "sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop") builds that optimizer with its
        default ``lr``, as :func:`~deltaprop.optimizers.get_optimizer` does. Its ``lr`` when the
        Trainer is built is the base rate that a schedule scales.
    l2, l1 : float
        λ of the cost's λ/(2n) Σ‖W‖² and λ₁ of λ₁/n Σ|w|, n the training-set size.
    dropout : float
        Probability p in [0, 1) of dropping each hidden unit in training (inverted dropout).
    max_norm : float, optional
        After each step, scale every unit's incoming weight vector (a row of W) down to this
        Euclidean norm when it is longer.
    validation : (X_val, y_val) or float, optional
        A validation set, or the fraction of the training set to hold out as one (drawn with
        the run's Generator before training). Measured after every epoch.
    sample_weight : array_like, shape (n,), optional
        Weights of the training examples: each step descends its batch's weighted mean cost.
    shuffle : bool
        Shuffle the training set each epoch (``False``: the rows in their given order).
    seed : int or Generator
        Source of the validation split, the per-epoch shuffles and the dropout masks.
    callbacks : sequence of Callback
        Everything else a run does: a learning-rate schedule, early stopping, checkpoints,
        progress, gradient norms (see :mod:`deltaprop.training.callbacks`), called in this order.
    train_metrics : {"running", "full"}
        How ``history.cost`` and ``history.accuracy`` are measured: "running" (the default),
        the mean over the epoch's batches of their cost and accuracy at the weights each step
        started from (with dropout, of the thinned network that trained), plus the penalty at
        the epoch's end; "full", a pass over the whole training set after the epoch.
    threads : None, int or "auto"
        BLAS threads for the steps: None (the default) leaves the BLAS as it is (OpenBLAS then
        decides by the size of each product, the same way every run); an int fixes the count;
        "auto" times the first steps with one thread and with all of them and keeps the faster,
        which on a machine shared with other busy processes can make steps several times
        faster, but makes the bits depend on the choice (a thread count can change the last bits
        of a product), so two runs with one seed may differ; the choice is saved with the state.
        The BLAS gets its own setting back whenever the Trainer returns.
    compiled_step : bool
        Where numba is installed (the ``fast`` extra), take batches of up to
        :data:`~deltaprop.training.compiled.MAX_BATCH` rows with the compiled step for the
        configurations it serves (equal to the NumPy step to round-off; see
        :mod:`~deltaprop.training.compiled`); False keeps the NumPy step everywhere.
    comm : mpi4py.MPI.Comm, optional
        Train data-parallel with the processes of this MPI communicator (see
        :mod:`deltaprop.distributed`): every process builds the same Trainer, ``batch_size`` is
        the global batch, each process computes its shard's part of every step and rank 0's
        state is taken by all when training begins. Give checkpoint and progress callbacks to
        rank 0 alone (:func:`~deltaprop.training.fit.fit` does). The steps take the NumPy step
        and leave the BLAS threads as the process was started with (one per process is usual).
    reduction : {"fast", "exact"}
        With ``comm``: how the processes' gradients are summed: "fast" (MPI's Allreduce, one
        process's result to round-off) or "exact" (a fixed order, the same bits for any number
        of processes).

    Attributes
    ----------
    net, optimizer, history, callbacks
    epoch : int
        Epochs completed.
    steps_done : int
        Gradient steps taken in all.
    position : int
        Rows of the current epoch's permutation already trained on (0 between epochs).
    gradient : ndarray
        ∂C/∂θ of the latest step, every parameter in ``Network.parameters()`` order, unrolled
        into one contiguous array; ``gradients`` holds its per-parameter views.
    keep_batch_cost : bool
        False by default; a callback that shows the batch costs (a progress bar) sets it, and
        then every step computes its batch's cost and keeps it in ``batch_cost``. (At batch 10
        that is about 5 % of a step, so the default path skips it.)
    batch_cost : float or None
        The cost of the latest step's batch at the weights before the step, when it was
        computed (:meth:`step` always computes it).
    blas_threads : dict of int to int
        Batch size → the BLAS thread count its steps use, once chosen (saved with the state).
    parallel : DataParallel or None
        The MPI side of a data-parallel run (with ``comm``).
    """

    def __init__(
        self,
        net: Network,
        X: object,
        y: object,
        *,
        batch_size: int = 10,
        optimizer: Optimizer | str | None = None,
        l2: float = 0.0,
        l1: float = 0.0,
        dropout: float = 0.0,
        max_norm: float | None = None,
        validation: tuple[object, object] | float | None = None,
        sample_weight: object = None,
        shuffle: bool = True,
        seed: int | np.random.Generator | None = 0,
        callbacks: Sequence[Callback] = (),
        train_metrics: str = "running",
        threads: str | int | None = None,
        compiled_step: bool = True,
        comm: object = None,
        reduction: str = "fast",
    ) -> None:
        if not isinstance(net, Network):
            raise TypeError(f"net must be a deltaprop Network; got {type(net).__name__}")
        net.check_parameters()
        self.batch_size = positive_int("batch_size", batch_size)
        self.dropout = non_negative("dropout", dropout)
        if self.dropout >= 1:
            raise ValueError(f"dropout must be a probability in [0, 1); got {dropout!r}")
        self.max_norm = None if max_norm is None else positive_number("max_norm", max_norm)
        if isinstance(optimizer, str):
            optimizer = get_optimizer(optimizer)
        elif optimizer is not None and not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a deltaprop Optimizer such as SGD(lr=0.5) or a name such as 'adam'; got {optimizer!r}")
        callbacks = check_callbacks(callbacks)
        if train_metrics not in TRAIN_METRICS:
            raise ValueError(f"train_metrics must be 'running' or 'full'; got {train_metrics!r}")
        if not (threads is None or threads == "auto" or (isinstance(threads, int) and not isinstance(threads, bool) and threads >= 1)):
            raise ValueError(f"threads must be 'auto', a whole number ≥ 1 or None; got {threads!r}")
        self.train_metrics = train_metrics
        self._threads = BlasThreads(threads, self.batch_size, (tuple(net.sizes), net.dtype.name))
        l2, l1 = non_negative("l2", l2), non_negative("l1", l1)
        self.net, self.optimizer, self.shuffle = net, SGD(lr=0.5) if optimizer is None else optimizer, bool(shuffle)
        self.base_lr = self.optimizer.lr
        self.parallel = None
        if comm is not None:
            from ..distributed import DataParallel

            self.parallel = DataParallel(comm, reduction)
        elif reduction != "fast":
            raise ValueError(f"reduction={reduction!r} needs comm=, the MPI communicator of the processes whose gradients it sums")
        X = net.inputs(X) if self.parallel is None else self.parallel.inputs(net, X)  # under MPI a mapped X stays mapped
        Y = net.targets(y, len(X))
        w = as_sample_weight(sample_weight, len(X), net.dtype)
        self.rng = generator("seed", seed)
        self.X, self.Y, self.sample_weight, self.X_val, self.Y_val = _split_validation(net, X, Y, w, validation, self.rng)
        self.penalty = Penalty(l2, l1, len(self.X))
        self._labels = class_labels(self.Y) if net.is_classifier else None
        self._fast = Workspace.supports(net)  # else an activation or cost of the user's own: the reference path
        self._compiled = bool(compiled_step) and comm is None and compiled.supports(net, self.dropout) and compiled.available()
        self._steps: dict[int, Workspace | compiled.CompiledStep] = {}
        self._metrics = self._new_metrics()
        self.params = net.parameters()
        size = sum(p.size for p in self.params)
        self.gradient = np.zeros(size, dtype=net.dtype) if self.parallel is None else self.parallel.gradient_buffer(size, net.dtype)
        offsets = np.cumsum([0] + [p.size for p in self.params])
        self.gradients = [self.gradient[a:b].reshape(p.shape) for a, b, p in zip(offsets, offsets[1:], self.params)]
        self.callbacks: list[Callback] = list(callbacks)
        for callback in self.callbacks:
            callback.trainer = self
        self._hooks = {name: [c for c in self.callbacks if getattr(type(c), name) is not getattr(Callback, name)] for name in HOOKS}
        if self.parallel is not None:
            self.parallel.attach(self)
            self._hooks["on_train_begin"].append(self.parallel)  # last: after a checkpoint is loaded on rank 0
            self._hooks["on_gradient"].insert(0, self.parallel)  # first: every other hook sees the sum
        self.history = History(train_metrics=train_metrics)
        self.epoch = self.steps_done = self.position = 0
        self.target_epochs: int | None = None
        self._order: np.ndarray | None = None
        self._epoch_seconds = 0.0
        self._epoch_start: dict[str, Any] | None = None
        self._begun = False
        self.keep_batch_cost = False
        self.batch_cost: float | None = None
        self.config = self._config(seed)

    # ------------------------------------------------------------------ the run
    @property
    def blas_threads(self) -> dict[int, int]:
        """Batch size → the BLAS thread count its steps use, once chosen."""
        return dict(self._threads.chosen)

    @property
    def step_kinds(self) -> dict[int, str]:
        """Batch size → the step its batches take: "compiled", "numpy" or, for a network with
        an activation or cost of the user's own, "reference" (:func:`~deltaprop.backprop.backprop`)."""
        if not self._fast:
            return {n: "reference" for n in {self.batch_size, self.n_train % self.batch_size} - {0}}
        return {n: "compiled" if isinstance(s, compiled.CompiledStep) else "numpy" for n, s in self._steps.items()}

    @property
    def n_train(self) -> int:
        """The number of training rows (after a validation fraction is held out)."""
        return len(self.X)

    def step(self) -> float:
        """Take one mini-batch step; when it ends an epoch, measure the epoch and call its callbacks.

        The first step (of :meth:`step`, :meth:`run_epoch` or :meth:`fit`) calls the callbacks'
        ``on_train_begin``.

        Returns
        -------
        float
            The batch's cost (its data term plus the penalty) at the weights before the step.

        Raises
        ------
        TrainingDiverged
            When the epoch this step ends has a non-finite cost or weight (see :meth:`fit`).
        """
        with self._stepping():
            self._begin()
            self._settle()
            return self._step(with_cost=True)

    def run_epoch(self) -> History:
        """Take the rest of this epoch's steps (all of them between epochs); return the History."""
        with self._stepping():
            self._begin()
            if not self._settle():
                epoch = self.epoch
                while self.epoch == epoch:
                    self._step()
        return self.history

    def fit(self, epochs: int) -> History:
        """Train until ``epochs`` epochs are complete in all, or a callback stops the run.

        Calls the callbacks' ``on_train_begin`` first (unless steps taken by hand already did)
        and ``on_train_end`` last, however training ends; a run that early stopping ended
        stays ended. ``fit`` may be called again to train on.

        Warns
        -----
        RuntimeWarning
            When training ends with a training cost (the last epoch's, or the best epoch's that
            early stopping kept; with running metrics, the mean over that epoch's batches) more
            than ``COST_RISE`` (2) times ``history.initial_cost``, the cost before the run's
            first step: a learning rate too high, that never made a NaN, does that.

        Raises
        ------
        TrainingDiverged
            When the cost or a weight becomes NaN or infinite. The epoch is replayed with each
            step checked, and the network (and optimizer) are left just before the step that
            broke it.
        """
        self.target_epochs = positive_int("epochs", epochs)
        try:
            self._begin()
            if self.history.stopped != "early stopping":
                self.history.stopped = None
            with self._stepping():
                self._settle()
                while self.epoch < epochs and self.history.stopped is None:
                    self._step()
        except BaseException as e:
            self.history.stopped = self.history.stopped or ("interrupted" if isinstance(e, KeyboardInterrupt) else "error")
            raise
        finally:
            self._begun = False
            self._call("on_train_end")
        self._warn_if_the_cost_rose()
        return self.history

    def _warn_if_the_cost_rose(self) -> None:
        """Warn when the cost the network ends with is far above the cost before training."""
        history, start = self.history, self.history.initial_cost
        if start is None or start <= 0 or not history.cost:
            return
        end = history.cost[history.best_epoch - 1] if history.best_epoch else history.cost[-1]
        if end > COST_RISE * start:
            warnings.warn(
                f"the training cost rose from {start:.4g} before training to {end:.4g} ({end / start:.3g} times as high): "
                f"the learning rate lr={self.base_lr:g} is probably too high; try a lower one, such as lr={self.base_lr / 10:g}",
                RuntimeWarning,
                stacklevel=3,
            )

    @contextlib.contextmanager
    def _stepping(self) -> Iterator[None]:
        """Around steps: overflow is left to the epoch's divergence check, and the BLAS gets
        its own thread count back however the steps end."""
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                yield
        finally:
            self._threads.restore()

    def _call(self, hook: str, *args: object) -> None:
        for callback in self._hooks[hook]:
            getattr(callback, hook)(*args)

    def _begin(self) -> None:
        if not self._begun:
            self._call("on_train_begin")
            self._begun = True
            if self.steps_done == 0 and self.history.initial_cost is None:
                self.history.initial_cost = self._initial_cost()

    def _sample_cost(self) -> float:
        """The cost at the weights as they are of up to ``START_SAMPLE`` training rows spread
        over the set: the cost before training, and at each epoch's end under running metrics
        (they are taken before each step, so this catches weights that are finite but already
        overflow the forward pass)."""
        rows = spread_rows(self.n_train, START_SAMPLE)
        w = None if self.sample_weight is None else self.sample_weight[rows]
        with np.errstate(over="ignore", invalid="ignore"):
            return measure(self.net, self.X[rows], self.Y[rows], self.penalty, w)[0]

    def _initial_cost(self) -> float | None:
        """The cost before training (None if it is not finite)."""
        cost = self._sample_cost()
        return cost if np.isfinite(cost) else None

    def _settle(self) -> bool:
        """End an epoch whose last step was taken but not yet measured (a state taken in that
        step's ``on_batch_end``); return whether there was one."""
        if self._order is not None and self.position == len(self._order):
            self._end_epoch()
            return True
        return False

    def _step(self, with_cost: bool = False) -> float | None:
        start = time.perf_counter()  # History.seconds: the epoch's shuffle, steps and batch hooks
        if self._order is None:
            self._begin_epoch()
        cost = self._update(with_cost)
        for callback in self._hooks["on_batch_end"]:
            callback.on_batch_end((self.position - 1) // self.batch_size, self.net)
        self._epoch_seconds += time.perf_counter() - start
        if self.position == len(self._order):
            self._end_epoch()
        return cost

    def _update(self, with_cost: bool = False) -> float | None:
        """The hot path: one batch's gradient and the update it makes; the batch's cost if asked."""
        net, first = self.net, self.position
        batch = self._order[first : first + self.batch_size]
        n = len(batch)
        w = None if self.sample_weight is None else self.sample_weight[batch]
        masks = dropout_masks(net, n, self.dropout, self.rng) if self.dropout else None
        if self.parallel is not None:
            return self._parallel_update(batch, masks, with_cost)
        threads = self._threads.for_batch(n)
        self._threads.apply(threads)
        start = time.perf_counter()
        if self._fast:
            step = self._steps.get(n) or self._new_step(n)
            share = None if w is None else example_shares(w)
            output = step.gradient(self.X, self.Y, batch, net, self.gradients, self.penalty, masks, share, (threads or 1) > 1)
            Y = step.targets
        else:
            Y = self.Y.take(batch, axis=0)
            output = backprop(net, self.X.take(batch, axis=0), Y, self.penalty, masks, w, out=self.gradients).output
        if self.train_metrics == "running":
            if not self._metrics.fits(n):
                self._measure_window()
            self._metrics.keep(output)
        cost = None
        if with_cost or self.keep_batch_cost:
            cost = self.batch_cost = float(net.cost_function.value(output, Y, w) + self.penalty.cost(net.weights))
        for callback in self._hooks["on_gradient"]:
            callback.on_gradient(self.gradient)
        self.optimizer.step(self.params, self.gradients)
        if self.max_norm is not None:
            _clip_rows(net.weights, self.max_norm)
        self._threads.record(n, threads, time.perf_counter() - start)
        self.position += n
        self.steps_done += 1
        return cost

    def _parallel_update(self, batch: np.ndarray, masks: list[np.ndarray | None] | None, with_cost: bool) -> float | None:
        """:meth:`_update` under MPI: this rank's part of the gradient, the gradient hooks (the
        first sums the parts, and the batch's [cost, weight, correct, rows] with them), the step."""
        net = self.net
        self.parallel.gradient(batch, masks)
        for callback in self._hooks["on_gradient"]:
            callback.on_gradient(self.gradient)
        cost_sum, weight, correct, rows = (float(v) for v in self.parallel.sums)
        if self.train_metrics == "running":
            metrics = self._metrics
            metrics.cost, metrics.weight = metrics.cost + cost_sum, metrics.weight + weight
            metrics.correct, metrics.rows = metrics.correct + int(correct), metrics.rows + int(rows)
        cost = None
        if with_cost or self.keep_batch_cost:
            cost = self.batch_cost = float(np.float64(cost_sum) / weight + self.penalty.cost(net.weights))
        self.optimizer.step(self.params, self.gradients)
        if self.max_norm is not None:
            _clip_rows(net.weights, self.max_norm)
        self.position += len(batch)
        self.steps_done += 1
        return cost

    def batch_gradient(
        self, rows: np.ndarray, masks: list[np.ndarray | None] | None = None, out: Sequence[np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagate over training rows ``rows``: the gradient of their (weighted) mean cost
        plus the penalty's, into ``out`` (default: :attr:`gradients`), with the NumPy step.

        ``masks`` are dropout masks for those rows (see :func:`~deltaprop.backprop.dropout_masks`).
        Returns their outputs a^L and float targets (views valid until the next call).
        """
        net, out = self.net, self.gradients if out is None else out
        w = None if self.sample_weight is None else self.sample_weight[rows]
        if self._fast:
            X, Y, at = (self.X, self.Y, rows) if isinstance(self.X, np.ndarray) else (self.X.take(rows), self.Y[rows], np.arange(len(rows)))
            step = self._steps.get(len(rows)) or self._new_step(len(rows))
            share = None if w is None else example_shares(w)
            return step.gradient(X, Y, at, net, out, self.penalty, masks, share), step.targets
        Y = self.Y.take(rows, axis=0)
        return backprop(net, self.X.take(rows, axis=0), Y, self.penalty, masks, w, out=out).output, Y

    def _new_step(self, n: int) -> Workspace | compiled.CompiledStep:
        """The step of batch size ``n``: compiled where it serves and earns its keep, else the NumPy workspace."""
        worth = self._compiled and self.batch_size <= compiled.MAX_BATCH and self.n_train // self.batch_size >= compiled.MIN_STEPS_PER_EPOCH
        step: Workspace | compiled.CompiledStep | None = None
        if worth:
            try:
                step = compiled.CompiledStep(self.net, n, self.gradients)
            except ImportError as e:  # installed but broken: the NumPy step, said once
                self._compiled = False
                warnings.warn(f"the compiled step is unavailable ({e}); training with the NumPy step", RuntimeWarning, stacklevel=4)
            else:
                self._threads.refresh()  # numba's products call SciPy's BLAS, loaded just now
        step = self._steps[n] = step or Workspace(self.net, n)
        return step

    def _new_metrics(self) -> RunningMetrics:
        capacity = max(EVAL_CHUNK, self.batch_size) if self.train_metrics == "running" else 0
        return RunningMetrics(self.net.sizes[-1], self.net.dtype, capacity)

    def _measure_window(self) -> None:
        """Measure the outputs the running metrics keep, against the rows just before ``position``."""
        rows = self._order[self.position - self._metrics.count : self.position]
        w = None if self.sample_weight is None else self.sample_weight[rows]
        labels = None if self._labels is None else self._labels[rows]
        self._metrics.measure(self.net.cost_function, self.Y.take(rows, axis=0), w, labels)

    def _begin_epoch(self) -> None:
        self._call("on_epoch_begin", self.epoch)
        self._order = self.rng.permutation(self.n_train) if self.shuffle else np.arange(self.n_train)
        self._metrics = self._new_metrics()
        self._epoch_start = self._snapshot()

    def _end_epoch(self) -> None:
        history, net = self.history, self.net
        self._threads.restore()  # the measurements run with the BLAS's own threads
        sets = [(self.X, self.Y, self.sample_weight)] if self.train_metrics == "full" else []
        sets += [(self.X_val, self.Y_val, None)] if self.X_val is not None else []
        if self.parallel is None:
            measured = [measure(net, X, Y, self.penalty, w) for X, Y, w in sets]
        else:  # each rank measures its chunks; one reduction of their sums
            measured = self.parallel.measure(net, sets, self.penalty, EVAL_CHUNK) if sets else []
        if self.train_metrics == "full":
            cost, accuracy = measured[0]
        else:
            self._measure_window()
            cost, accuracy = self._metrics.result(float(self.penalty.cost(net.weights)), self._labels is not None)
        if not np.isfinite(cost) or not all(all_finite(p) for p in self.params):
            self._diverged(cost)
        if self.train_metrics == "running" and not np.isfinite(end := self._sample_cost()):
            self._diverged(end)  # the batches were finite, the weights they left are not usable
        history.cost.append(cost)
        history.accuracy.append(accuracy)
        history.seconds.append(self._epoch_seconds)
        history.lr.append(float(self.optimizer.lr))
        if self.X_val is not None:
            val_cost, val_accuracy = measured[-1]
            history.val_cost.append(val_cost)
            history.val_accuracy.append(val_accuracy)
        epoch, self.epoch, self.position, self._order, self._epoch_seconds = self.epoch, self.epoch + 1, 0, None, 0.0
        for callback in self._hooks["on_epoch_end"]:
            if callback.on_epoch_end(epoch, history, net):
                history.stopped = history.stopped or "callback"

    def _diverged(self, cost: float) -> None:
        """Replay the epoch from its start, checking each step, up to the first that makes a
        weight non-finite, leave the run just before it and raise. With the same Generator
        state the replay draws the same batches and masks; only the gradient hooks are called."""
        start = self._epoch_start
        self._restore(start)
        step = None
        while self.position < self.n_train:
            before = self._snapshot()
            self._update()
            if not all(all_finite(p) for p in self.params):
                self._restore(before)
                step = before["position"] // self.batch_size
                break
        else:  # every weight stayed finite, the cost alone overflowed: keep the epoch's start
            self._restore(start)
        self.history.stopped = "diverged"
        where, kept = (f", step {step + 1}", "that step") if step is not None else ("", "that epoch")
        raise TrainingDiverged(
            f"training diverged in epoch {self.epoch + 1}{where}: the cost became {cost}; the learning rate "
            f"({self.optimizer!r}) is probably too high. The network keeps its weights from before {kept}.",
            self.history,
        )

    def _snapshot(self) -> dict[str, Any]:
        return {
            "params": [p.copy() for p in self.params], "optimizer": self.optimizer.state_dict(),
            "generator": self.rng.bit_generator.state, "position": self.position, "steps_done": self.steps_done,
            "metrics": self._metrics.state(),
        }

    def _restore(self, snapshot: dict[str, Any]) -> None:
        for p, saved in zip(self.params, snapshot["params"]):
            p[...] = saved
        self.optimizer.load_state_dict(snapshot["optimizer"])
        self.rng.bit_generator.state = snapshot["generator"]
        self.position, self.steps_done = snapshot["position"], snapshot["steps_done"]
        self._metrics = self._new_metrics()
        self._metrics.load(*snapshot["metrics"])

    # ------------------------------------------------------------------ state
    def _config(self, seed: object) -> dict[str, Any]:
        """What a run continued from this one's state must repeat."""
        net, optimizer = self.net, self.optimizer
        config: dict[str, Any] = {
            "sizes": list(net.sizes), "activations": [a.name for a in net.activations], "cost": net.cost_function.name,
            "dtype": net.dtype.name, "batch_size": self.batch_size, "l2": self.penalty.l2, "l1": self.penalty.l1,
            "dropout": self.dropout, "max_norm": self.max_norm, "n_train": self.n_train, "train_metrics": self.train_metrics,
            "n_validation": 0 if self.X_val is None else len(self.X_val), "optimizer": type(optimizer).__name__,
            "base_lr": self.base_lr, "shuffle": self.shuffle,
            "optimizer_settings": {k: v for k, v in optimizer.state_dict().items() if k not in ("lr", "t", "arrays")},
        }
        if isinstance(seed, (int, np.integer)):
            config["seed"] = int(seed)
        for callback in self.callbacks + ([self.parallel] if self.parallel else []):
            config.update(callback.settings())
        return config

    def state_dict(self) -> dict[str, Any]:
        """Return a snapshot of the run (copies, not views), valid after any step.

        Keys: ``config`` (what a continued run must repeat), ``params``, ``optimizer``,
        ``generator``, ``epoch``, ``steps_done``, ``position``, ``order`` (this epoch's
        permutation, or None between epochs), ``epoch_seconds``, ``epoch_sums`` (the running
        training metrics' [cost, weight, correct, rows] so far this epoch) and ``epoch_outputs``
        (the outputs they keep, not yet added up), ``blas_threads``
        ([batch size, threads] pairs chosen so far), ``history`` and ``callbacks`` (each
        stateful callback's :meth:`Callback.state_dict` by its ``state_key``).
        """
        sums, outputs = self._metrics.state()
        return {
            "config": copy.deepcopy(self.config),
            "params": [p.copy() for p in self.params],
            "optimizer": self.optimizer.state_dict(),
            "generator": self.rng.bit_generator.state,
            "epoch": self.epoch,
            "steps_done": self.steps_done,
            "position": self.position,
            "order": None if self._order is None else self._order.copy(),
            "epoch_seconds": self._epoch_seconds,
            "epoch_sums": sums,
            "epoch_outputs": outputs,
            "blas_threads": [[n, k] for n, k in sorted(self._threads.chosen.items())],
            "history": self.history.to_dict(),
            "callbacks": {c.state_key: c.state_dict() for c in self.callbacks if c.state_key is not None},
        }

    def load_state_dict(self, state: dict[str, Any], *, source: str = "the state") -> None:
        """Continue the run :meth:`state_dict` described, bit for bit.

        Everything is checked before anything changes: the settings, the network's shape, the
        data's size, the place in the epoch, the History, the optimizer's and every callback's
        state. ``source`` names the state in error messages (a checkpoint says which folder).

        Raises
        ------
        ValueError
            If the state comes from another kind of run or is malformed; nothing is changed.
        """
        try:
            checked = self._checked(state, source)
        except _Refused as e:
            raise ValueError(str(e)) from None
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError) as e:
            detail = str(e) if type(e) is ValueError else f"its state is incomplete or malformed ({e!r})"
            raise ValueError(f"{source}: {detail}") from None
        params, counters, order, history, epoch_seconds, metrics, blas_threads = checked
        stateful = [c for c in self.callbacks if c.state_key is not None]
        previous = [c.state_dict() for c in stateful]
        try:
            for callback in stateful:
                callback.load_state_dict(state["callbacks"][callback.state_key])
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError) as e:
            for callback, saved in zip(stateful, previous):
                callback.load_state_dict(saved)
            detail = str(e) if type(e) is ValueError else f"its state is incomplete or malformed ({e!r})"
            raise ValueError(f"{source}: {detail}") from None
        for p, saved_p in zip(self.params, params):
            p[...] = saved_p
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["generator"]
        self.epoch, self.steps_done, self.position = counters
        self._order = None if order is None else order.astype(np.intp)
        self._epoch_seconds, self.history, self._metrics = epoch_seconds, history, metrics
        if self._threads.setting == "auto":
            self._threads.chosen.update(blas_threads)
        self._epoch_start = self._snapshot()

    def _checked(self, state: dict[str, Any], source: str) -> tuple:
        """Check a state against this run without changing anything; return its parts."""
        saved = state["config"]
        if not isinstance(saved, dict):
            raise TypeError(f"config must be a dict, not {type(saved).__name__}")
        for key in dict.fromkeys([*self.config, *saved]):
            if key == "seed" and key not in self.config:
                continue  # a Generator given as the seed cannot be compared
            made = saved.get(key, _ADDED_SETTINGS.get(key))
            if made != self.config.get(key):
                raise _Refused(f"{source} was made with {key} = {made!r}; this run has {self.config.get(key)!r}")
        params = state["params"]
        if len(params) != len(self.params) or not all(_fits(a, p) for a, p in zip(params, self.params)):
            raise ValueError("its parameters do not fit this network")
        optimizer_from_state(state["optimizer"])  # checks it all, on a throw-away optimizer
        buffers = state["optimizer"]["arrays"]
        if buffers and not all(_fits(a, self.params[i % len(self.params)]) for i, a in enumerate(buffers)):
            raise ValueError("its optimizer buffers do not fit this network")
        np.random.Generator(type(self.rng.bit_generator)()).bit_generator.state = state["generator"]
        counters = [state[k] for k in ("epoch", "steps_done", "position")]
        if not all(type(c) is int and c >= 0 for c in counters):
            raise ValueError(f"its epoch, steps_done and position must be integers ≥ 0; got {counters}")
        order, position = state["order"], counters[2]
        if order is None:
            if position:
                raise ValueError(f"its position {position} needs the epoch's order")
        elif not (
            isinstance(order, np.ndarray) and order.dtype.kind in "iu" and order.shape == (self.n_train,)
            and np.array_equal(np.sort(order), np.arange(self.n_train))
            and 0 < position <= self.n_train and (position % self.batch_size == 0 or position == self.n_train)
        ):
            raise ValueError(f"its place in the epoch is malformed (an order of {self.n_train} rows and a position in it)")
        history = History.from_dict(state["history"], epochs=counters[0])
        if history.train_metrics not in TRAIN_METRICS:
            raise ValueError(f"its history's train_metrics must be 'running' or 'full'; got {history.train_metrics!r}")
        epoch_seconds = non_negative("its epoch_seconds", state["epoch_seconds"])
        metrics = self._new_metrics()
        outputs = state.get("epoch_outputs")
        metrics.load(state.get("epoch_sums", [0.0, 0.0, 0, 0]), metrics.window[:0] if outputs is None else outputs)
        if metrics.count > counters[2]:
            raise ValueError(f"its epoch_outputs hold {metrics.count} rows, more than the {counters[2]} trained on this epoch")
        pairs = state.get("blas_threads", [])
        if not (isinstance(pairs, list) and all(
            isinstance(p, list) and len(p) == 2 and all(type(v) is int and v >= 1 for v in p) for p in pairs
        )):
            raise ValueError(f"its blas_threads must be [batch size, threads] pairs of whole numbers ≥ 1; got {pairs!r}")
        keys = {c.state_key for c in self.callbacks if c.state_key is not None}
        if set(state["callbacks"]) != keys:
            raise _Refused(f"{source} holds the state of callbacks {sorted(state['callbacks'])}; this run has {sorted(keys)}")
        return params, counters, order, history, epoch_seconds, metrics, dict(map(tuple, pairs))


class _Refused(ValueError):
    """A state from another kind of run: its message is whole."""


def _fits(a: object, p: np.ndarray) -> bool:
    return isinstance(a, np.ndarray) and a.shape == p.shape and a.dtype == p.dtype


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


def _clip_rows(weights: list[np.ndarray], max_norm: float) -> None:
    """Max-norm: scale each row of each W (a unit's incoming weights) to norm ≤ ``max_norm``."""
    for W in weights:
        norms = np.sqrt(np.einsum("ij,ij->i", W, W))
        W *= np.minimum(1.0, max_norm / np.maximum(norms, 1e-12)).astype(W.dtype)[:, None]
