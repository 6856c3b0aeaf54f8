"""fit: training in one call, a :class:`Trainer` with the callbacks its keywords name."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..network import Network
from ..optimizers import Optimizer
from ..schedules import Schedule, get_schedule
from ..validation import positive_int
from .callbacks import Checkpoint, EarlyStopping, GradientNorms, LearningRateSchedule, Progress, StopOnInterrupt
from .history import History
from .trainer import Callback, Trainer, check_callbacks

__all__ = ["fit"]


def fit(
    net: Network,
    X: object,
    y: object,
    epochs: int = 30,
    batch_size: int = 10,
    optimizer: Optimizer | str | None = None,
    l2: float = 0.0,
    validation: tuple[object, object] | float | None = None,
    seed: int | np.random.Generator | None = 0,
    progress: bool = True,
    *,
    l1: float = 0.0,
    dropout: float = 0.0,
    max_norm: float | None = None,
    schedule: Schedule | str | None = None,
    early_stopping: int | None = None,
    monitor: str = "val_cost",
    callbacks: Sequence[Callback] = (),
    checkpoint: str | Path | None = None,
    resume: bool = False,
    sample_weight: object = None,
    shuffle: bool = True,
    gradient_norms: bool = True,
    train_metrics: str = "running",
    threads: str | int | None = None,
    compiled_step: bool = True,
    comm: object = None,
    reduction: str = "fast",
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
    optimizer : Optimizer or str, optional
        ``SGD(lr=0.5)`` by default. Its ``lr`` is the base rate that ``schedule`` scales. A
        name, as in Keras (``optimizer="adam"``), builds that optimizer with its default
        ``lr`` through :func:`deltaprop.optimizers.get_optimizer`: "sgd", "momentum",
        "nesterov", "adam", "adamw" or "rmsprop".
    l2, l1 : float
        λ of the cost's λ/(2n) Σ‖W‖² and λ₁ of λ₁/n Σ|w|, n the training-set size.
    validation : (X_val, y_val) or float, optional
        A validation set, or the fraction of the training set to hold out as one (drawn
        with the run's Generator before training). Measured after every epoch.
    seed : int or Generator
        Source of the validation split, the per-epoch shuffles and the dropout masks.
    progress : bool
        Show progress on stderr: on a terminal, a bar that moves with every batch (batches
        done, examples/s, the running mean of the epoch's batch costs, the time left) above
        which each epoch leaves a summary line; elsewhere the summary lines alone.
    dropout : float
        Probability p in [0, 1) of dropping each hidden unit in training (inverted dropout:
        nothing changes at prediction time).
    max_norm : float, optional
        After each step, scale every unit's incoming weight vector (a row of W) down to this
        Euclidean norm when it is longer.
    schedule : Schedule or str, optional
        Sets the optimizer's ``lr`` at the start of each epoch from the base rate
        (see :mod:`deltaprop.schedules`); it observes the validation cost (else the training
        cost) after each epoch. A name (``schedule="cosine"``) builds that schedule for a run
        of ``epochs`` through :func:`deltaprop.schedules.get_schedule`: "constant", "step",
        "exponential", "cosine", "warmup-cosine" or "plateau".
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
    comm : mpi4py.MPI.Comm, optional
        Train data-parallel with the processes of this MPI communicator, each calling ``fit``
        with the same arguments (see :mod:`deltaprop.distributed`); ``batch_size`` is the
        global batch. Rank 0 alone writes the checkpoint and shows progress; every rank ends
        with the same weights.
    reduction : {"fast", "exact"}
        With ``comm``: "fast" (MPI's Allreduce: one process's result to round-off) or "exact"
        (a fixed summation order: the same bits for any number of processes).
    train_metrics : {"running", "full"}
        How the History's training cost and accuracy are measured: the running mean over each
        epoch's batches (the default: no second pass over the data), or a pass over the whole
        training set after each epoch ("full").
    threads : None, int or "auto"
        BLAS threads for the steps: left alone (the default), fixed, or measured ("auto":
        faster on a busy machine, not repeatable bit for bit; see
        :class:`~deltaprop.training.trainer.Trainer`).
    compiled_step : bool
        Take small batches with the compiled step where numba is installed (the ``fast``
        extra) and it serves the network; False keeps the NumPy step.

    Returns
    -------
    History

    Raises
    ------
    ValueError
        For bad arguments or data, before any training (an unknown optimizer or schedule name
        gets the list of known ones). :class:`TrainingDiverged` (a
        ValueError) when the cost or a weight becomes NaN or infinite; the network is then left
        with its weights from just before the step that broke it.

    Notes
    -----
    ``fit`` is a :class:`~deltaprop.training.trainer.Trainer` with the callbacks its keywords
    name, in this order: GradientNorms, LearningRateSchedule, EarlyStopping, ``callbacks``,
    Checkpoint, Progress, StopOnInterrupt (see :mod:`deltaprop.training.callbacks`).
    Ctrl-C (SIGINT, in the main thread) stops training after the current batch; the network
    keeps its weights, and ``History.stopped`` is "interrupted". A second Ctrl-C interrupts at once.
    With ``comm`` Ctrl-C ends the processes at once (they could not agree on the batch to stop
    after); the last checkpoint stays loadable.
    """
    positive_int("epochs", epochs)
    if monitor not in ("val_cost", "val_accuracy"):
        raise ValueError(f"monitor must be 'val_cost' or 'val_accuracy'; got {monitor!r}")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs checkpoint=DIR, the folder to resume from")
    if resume and validation is not None and not isinstance(validation, (tuple, list)) and not isinstance(seed, (int, np.integer)):
        raise ValueError("resume with a validation fraction needs an integer seed, to hold out the same rows again")
    before = [GradientNorms()] if gradient_norms else []
    if isinstance(schedule, str):
        schedule = get_schedule(schedule, epochs)
    if schedule is not None:
        before.append(LearningRateSchedule(schedule))
    if early_stopping is not None:
        before.append(EarlyStopping(positive_int("early_stopping", early_stopping), monitor))
    root = comm is None or comm.Get_rank() == 0  # the one process that writes and shows
    after = [Checkpoint(checkpoint, resume=resume)] if checkpoint is not None and root else []
    after += [Progress()] if progress and root else []
    after += [StopOnInterrupt()] if comm is None else []
    trainer = Trainer(
        net, X, y, batch_size=batch_size, optimizer=optimizer, l2=l2, l1=l1, dropout=dropout, max_norm=max_norm,
        validation=validation, sample_weight=sample_weight, shuffle=shuffle, seed=seed,
        train_metrics=train_metrics, threads=threads, compiled_step=compiled_step, callbacks=[*before, *check_callbacks(callbacks), *after],
        comm=comm, reduction=reduction,
    )
    return trainer.fit(epochs)
