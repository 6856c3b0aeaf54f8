"""Data parallelism over MPI: one training run shared by the processes of ``mpiexec -n N``.

Symbols → names: m → the global ``batch_size``; R → ``size``, the number of processes (ranks);
m_r → the rows of rank r's shard of a batch; ∇C_r → the gradient of the mean cost over them.

Every rank holds the same network, optimizer and Generator (rank 0's, broadcast when training
begins), so every rank draws the same permutation and the same dropout masks. For each global
mini-batch rank r takes its shard, backpropagates over it as the Trainer would, weights the
result by its share m_r / m (Σw over the shard / Σw over the batch, with sample weights), and
one reduction sums the parts: Σ_r (m_r / m) ∇C_r is the gradient of the whole batch's mean cost.
Every rank then takes the same step, so weights are never sent again.

The reduction (``reduction``):

- ``"fast"``: MPI's in-place Allreduce over the Trainer's one flat gradient buffer. The sum's
  order depends on R, so the result equals one process's to float round-off.
- ``"exact"``: each global batch is cut into :data:`MICRO_SHARDS` micro-shards whatever R is;
  rank r owns a run of consecutive micro-shards, computes each one's weighted gradient
  separately, and the partial gradients are added in micro-shard order along the chain of
  ranks (rank r receives the sum of the micro-shards before its own, adds its own in order and
  passes the sum on; the last rank broadcasts it). The same additions happen in the same order
  for every R, so the weights are bit-identical for 1, 2, 3, ... ranks (with the same BLAS and
  the same BLAS thread count in every process).

Measures are sums, not means. The running training metrics travel in the step's reduction: the
buffer reduced is the flat gradient followed by the batch's (Σ w·C_x, Σ w, correct, rows), so
every rank holds the whole batch's sums (and its cost) after each step, with no reduction of
their own. What is measured after the epoch (the validation set; the training set with
``train_metrics="full"``) is cut into fixed chunks: each rank measures its run of them and writes
the chunk's sums into a table of every chunk, one Allreduce fills the table (each entry is one
rank's number plus zeros, so exactly) and every rank adds the chunks in order.

Inputs in a memory-mapped file (``numpy.load(path, mmap_mode="r")``, an IDX file read with
``mmap=True``) stay there: the Trainer wraps them in :class:`MappedRows`, which reads and
converts only the rows a process takes, so no process holds the whole training set.

This module is imported only when a communicator is given (``Trainer(..., comm=...)``,
``fit(..., comm=...)``) or the command line runs under ``mpiexec``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from mpi4py import MPI

from .backprop import forward
from .network import Network, class_labels
from .penalty import Penalty
from .validation import known_name

__all__ = ["DataParallel", "MappedRows", "REDUCTIONS", "MICRO_SHARDS", "share_bounds"]

#: The ways of summing the ranks' gradients.
REDUCTIONS = ("fast", "exact")
#: What each step's reduction carries beside the gradient, summed over the batch's rows: the
#: cost Σ w·C_x, the weight Σ w, the rows whose output picked their class, the rows.
SUMS = ("cost", "weight", "correct", "rows")
#: Micro-shards per global batch under ``reduction="exact"``: at most this many ranks share
#: the work (the others wait); 12 splits evenly over 1, 2, 3, 4, 6 and 12 ranks.
MICRO_SHARDS = 12
_ARRAY = "__array__"  # marks an array's place in a broadcast state


def share_bounds(n: int, parts: int, part: int) -> tuple[int, int]:
    """Return ``(start, stop)`` of part ``part`` of ``n`` items cut into ``parts`` consecutive
    runs whose lengths differ by at most one."""
    return part * n // parts, (part + 1) * n // parts


class MappedRows:
    """A network's inputs left in a memory-mapped array: rows are read and converted (checked,
    cast, scaled by :meth:`Network.inputs`) only when taken.

    Indexing (``rows[key]``, a slice or an index array) gives another MappedRows over those
    rows, nothing read; :meth:`take` and NumPy's conversion (``np.asarray``) read and convert.

    Parameters
    ----------
    net : Network
    raw : numpy.memmap, shape (n, n_0)
    rows : ndarray of int, optional
        The rows of ``raw`` this object stands for (default: all).
    """

    def __init__(self, net: Network, raw: np.ndarray, rows: np.ndarray | None = None) -> None:
        net.inputs(raw[:1])  # the shape and dtype, checked before training
        self.net, self.raw, self.rows = net, raw, rows
        self.shape = (len(raw) if rows is None else len(rows), raw.shape[1])
        self.dtype = net.dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: slice | np.ndarray) -> MappedRows:
        rows = np.arange(len(self.raw)) if self.rows is None else self.rows
        return MappedRows(self.net, self.raw, rows[key])

    def take(self, indices: np.ndarray, axis: int = 0) -> np.ndarray:
        """Read and convert rows ``indices`` (``axis`` must be 0)."""
        if axis != 0:
            raise ValueError(f"MappedRows.take takes rows: axis must be 0; got {axis!r}")
        return self.net.inputs(self.raw[indices if self.rows is None else self.rows[indices]])

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        X = self.net.inputs(self.raw if self.rows is None else self.raw[self.rows])
        return X if dtype is None else X.astype(dtype)


class DataParallel:
    """The MPI side of a data-parallel :class:`~deltaprop.training.trainer.Trainer`.

    The Trainer builds it when given ``comm`` and calls it at three places: for each step's
    gradient (:meth:`gradient`, this rank's weighted part), in its gradient hook
    (:meth:`on_gradient`, the reduction), and for the epoch's measures (:meth:`measure`). When
    training begins (:meth:`on_train_begin`) rank 0's whole state is broadcast and loaded by the
    other ranks, which also checks that every rank was started with the same settings and data size.

    Parameters
    ----------
    comm : mpi4py.MPI.Comm
        The processes that train together (``MPI.COMM_WORLD`` under ``mpiexec``).
    reduction : {"fast", "exact"}
        How the ranks' gradients are summed (see the module's docstring).

    Attributes
    ----------
    rank, size : int
        This process's number and the number of processes.
    reduction_seconds : float
        Wall time spent in the gradient reduction so far (waiting for slower ranks included).
    sums : ndarray
        The latest batch's running sums (:data:`SUMS`), over all ranks once reduced: the
        Trainer's running training metrics and batch cost, with no reduction of their own.
    """

    trainer: Any

    def __init__(self, comm: MPI.Comm, reduction: str = "fast") -> None:
        if not isinstance(comm, MPI.Comm):
            raise TypeError(f"comm must be an mpi4py communicator such as MPI.COMM_WORLD; got {type(comm).__name__}")
        self.comm, self.reduction = comm, known_name("reduction", reduction, REDUCTIONS)
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.reduction_seconds = 0.0
        first, stop = share_bounds(MICRO_SHARDS, self.size, self.rank)
        self.micro_shards = range(first, stop) if reduction == "exact" else range(0)
        self._partials: np.ndarray | None = None

    def inputs(self, net: Network, X: object) -> np.ndarray | MappedRows:
        """``net.inputs(X)``, except that a memory-mapped ``X`` stays mapped (:class:`MappedRows`)."""
        return MappedRows(net, X) if isinstance(X, np.memmap) else net.inputs(X)

    def gradient_buffer(self, size: int, dtype: np.dtype) -> np.ndarray:
        """Return the Trainer's flat gradient buffer of ``size`` entries: the head of the one
        buffer that is reduced, whose 4 last entries carry the batch's running sums."""
        self.buffer = np.zeros(size + len(SUMS), dtype=dtype)
        self.sums = self.buffer[size:]
        return self.buffer[:size]

    def attach(self, trainer: Any) -> None:
        """Bind to ``trainer`` (called by the Trainer once its gradient buffer exists)."""
        self.trainer = trainer
        if self.reduction == "exact":
            self._partials = np.zeros((len(self.micro_shards), self.buffer.size), dtype=self.buffer.dtype)
            offsets = np.cumsum([0] + [p.size for p in trainer.params])
            self._partial_views = [
                [row[a:b].reshape(p.shape) for a, b, p in zip(offsets, offsets[1:], trainer.params)] for row in self._partials
            ]

    def settings(self) -> dict[str, Any]:
        """What a run resumed from this one's state must repeat: nothing for ``fast`` (it is one
        process's run to round-off), the reduction and micro-shard count for ``exact``."""
        return {"reduction": "exact", "micro_shards": MICRO_SHARDS} if self.reduction == "exact" else {}

    # ------------------------------------------------------------------ steps
    def gradient(self, batch: np.ndarray, masks: list[np.ndarray | None] | None) -> None:
        """Compute this rank's part of global batch ``batch`` (rows of the training set): each
        of its pieces' gradient times the piece's share of the batch, and the pieces' running
        sums (:data:`SUMS`); :meth:`on_gradient` then adds the parts of all ranks."""
        n, trainer = len(batch), self.trainer
        if self.reduction == "fast":
            pieces = [(share_bounds(n, self.size, self.rank), trainer.gradients, self.buffer)]
        else:
            pieces = [(share_bounds(n, MICRO_SHARDS, i), views, flat)
                      for i, views, flat in zip(self.micro_shards, self._partial_views, self._partials)]
        w, cost_function = trainer.sample_weight, trainer.net.cost_function
        for (lo, hi), views, flat in pieces:
            if hi == lo:
                flat[...] = 0
                continue
            rows = batch[lo:hi]
            piece_masks = None if masks is None else [None if m is None else m[lo:hi] for m in masks]
            output, targets = trainer.batch_gradient(rows, piece_masks, views)
            costs = cost_function.per_example(output, targets).astype(np.float64)
            weights = np.ones(len(rows)) if w is None else w[rows].astype(np.float64)
            correct = np.count_nonzero(class_labels(output) == class_labels(targets)) if trainer.net.is_classifier else 0
            flat[-len(SUMS):] = weights @ costs, weights.sum(), correct, len(rows)
            flat[: -len(SUMS)] *= flat.dtype.type(self._share(batch, lo, hi))

    def _share(self, batch: np.ndarray, lo: int, hi: int) -> float:
        """The share of rows ``batch[lo:hi]`` in the batch's mean cost: their count (or weight) over the batch's."""
        w = self.trainer.sample_weight
        if w is None:
            return (hi - lo) / len(batch)
        total = float(w[batch].sum())
        return float(w[batch[lo:hi]].sum()) / total if total > 0 else 0.0

    def on_gradient(self, gradient: np.ndarray) -> None:
        """Replace this rank's part of ``gradient`` (and of :attr:`sums`) by the sum over all
        ranks, in place: one reduction of the one buffer that holds both."""
        start, buffer = time.perf_counter(), self.buffer
        if self.reduction == "fast":
            if self.size > 1:
                self.comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        else:
            if self.rank > 0:
                self.comm.Recv(buffer, source=self.rank - 1)
            else:
                buffer[...] = 0
            for partial in self._partials:
                buffer += partial
            if self.rank < self.size - 1:
                self.comm.Send(buffer, dest=self.rank + 1)
            self.comm.Bcast(buffer, root=self.size - 1)
        self.reduction_seconds += time.perf_counter() - start

    # ------------------------------------------------------------------ epochs
    def measure(
        self, net: Network, sets: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | None]], penalty: Penalty, chunk: int
    ) -> list[tuple[float, float | None]]:
        """Return (cost, accuracy) of ``net`` on each ``(X, Y, sample_weight)`` of ``sets``, every
        rank measuring its run of ``chunk``-row chunks, with one reduction for all of them.

        The accuracy is None for a network that is not a classifier.
        """
        tables = []
        for X, Y, w in sets:
            n_chunks = -(-len(X) // chunk)
            table = np.zeros((n_chunks, 4))  # Σ w·C_x, Σ w, correct, count
            for c in range(*share_bounds(n_chunks, self.size, self.rank)):
                rows = slice(c * chunk, (c + 1) * chunk)
                outputs, targets = forward(net, X[rows]).activations[-1], Y[rows]
                costs = net.cost_function.per_example(outputs, targets).astype(np.float64)
                weights = np.ones(len(costs)) if w is None else w[rows].astype(np.float64)
                correct = np.sum(class_labels(outputs) == class_labels(targets)) if net.is_classifier else 0
                table[c] = float(weights @ costs), weights.sum(), correct, len(costs)
            tables.append(table)
        flat = np.concatenate([t.ravel() for t in tables])
        self.comm.Allreduce(MPI.IN_PLACE, flat, op=MPI.SUM)
        results, start = [], 0
        for table in tables:
            total = flat[start : start + table.size].reshape(table.shape).sum(axis=0)
            start += table.size
            cost = float(total[0] / total[1] + penalty.cost(net.weights))
            results.append((cost, float(total[2] / total[3]) if net.is_classifier else None))
        return results

    # ------------------------------------------------------------------ rank 0's state
    def on_train_begin(self) -> None:
        """Give every rank rank 0's state: its weights, optimizer, Generator, place and History.

        A rank started with other settings or another data size refuses it with the
        Trainer's ``ValueError`` naming the difference.
        """
        trainer = self.trainer
        state = self.broadcast(trainer.state_dict() if self.rank == 0 else None)
        if self.rank != 0:
            trainer.load_state_dict(state, source=f"rank 0's state (on rank {self.rank})")

    def broadcast(self, state: dict[str, Any] | None) -> dict[str, Any]:
        """Return rank 0's ``state`` (JSON values and NumPy arrays, nested) on every rank.

        The JSON part travels as UTF-8 bytes and each array as its own buffer: nothing is pickled.
        """
        arrays: list[np.ndarray] = []
        header = json.dumps(_encode(state, arrays)).encode() if self.rank == 0 else b""
        length = np.array([len(header)], dtype=np.int64)
        self.comm.Bcast(length, root=0)
        buffer = bytearray(header) if self.rank == 0 else bytearray(int(length[0]))
        self.comm.Bcast(buffer, root=0)
        layout = json.loads(buffer.decode())
        if self.rank != 0:
            arrays = [np.empty(shape, dtype=np.dtype(dtype)) for dtype, shape in layout["arrays"]]
        for a in arrays:
            self.comm.Bcast(a, root=0)
        return _decode(layout["state"], arrays)


def _encode(value: Any, arrays: list[np.ndarray]) -> dict[str, Any]:
    """``{"state": value with each array replaced by its number, "arrays": [[dtype, shape], ...]}``."""

    def walk(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            arrays.append(np.ascontiguousarray(v))
            return {_ARRAY: len(arrays) - 1}
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x) for x in v]
        return v

    state = walk(value)
    return {"state": state, "arrays": [[a.dtype.str, list(a.shape)] for a in arrays]}


def _decode(value: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            return arrays[value[_ARRAY]]
        return {k: _decode(x, arrays) for k, x in value.items()}
    if isinstance(value, list):
        return [_decode(x, arrays) for x in value]
    return value
