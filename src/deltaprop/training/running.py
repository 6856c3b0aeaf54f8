"""An epoch's training cost and accuracy from its batches' own forward passes.

Each step's output a^L (at the weights the step started from) is kept in a window of up to
``capacity`` rows; when the next batch would not fit, and at the epoch's end, the window is
measured in one vectorised pass against the targets of its rows. One pass per few thousand rows
costs far less than a handful of small NumPy calls in every step (measured on a busy machine:
1.7 µs to keep a batch of 10's outputs, 45 µs to measure that batch on its own), and the window's
boundaries depend only on the batch sizes, so a run resumed from a state taken mid-epoch (which
carries the window) adds up the same numbers in the same order.

Symbols → names: Σ_x w_x C_x → ``cost``, Σ_x w_x → ``weight`` (w_x = 1 without sample weights),
the rows whose output picked their class → ``correct``, all rows measured → ``rows``.
"""

from __future__ import annotations

import numpy as np

from ..costs import Cost
from ..network import class_labels

__all__ = ["RunningMetrics"]


class RunningMetrics:
    """The running sums of one epoch and the window of outputs not yet measured.

    Parameters
    ----------
    n_out : int
        Width of the output layer.
    dtype : numpy dtype
        The network's.
    capacity : int
        Rows the window holds (at least one batch).
    """

    def __init__(self, n_out: int, dtype: np.dtype, capacity: int) -> None:
        self.window = np.empty((capacity, n_out), dtype)
        self.count = 0
        self.cost, self.weight, self.correct, self.rows = 0.0, 0.0, 0, 0

    def fits(self, n: int) -> bool:
        """Whether a batch of ``n`` rows fits in the window beside those kept."""
        return self.count + n <= len(self.window)

    def keep(self, output: np.ndarray) -> None:
        """Keep a batch's outputs a^L (the caller measures the window first when it is full)."""
        self.window[self.count : self.count + len(output)] = output
        self.count += len(output)

    def measure(self, cost: Cost, Y: np.ndarray, w: np.ndarray | None, labels: np.ndarray | None) -> None:
        """Add the kept outputs against their rows' targets ``Y`` (weights ``w``, class
        ``labels`` for a classifier), in the window's order, and empty the window."""
        if not self.count:
            return
        output = self.window[: self.count]
        per_example = cost.per_example(output, Y)
        if w is None:
            self.cost += float(np.sum(per_example, dtype=np.float64))
            self.weight += self.count
        else:
            self.cost += float(np.dot(w.astype(np.float64), per_example))
            self.weight += float(np.sum(w, dtype=np.float64))
        if labels is not None:
            self.correct += int(np.count_nonzero(class_labels(output) == labels))
        self.rows += self.count
        self.count = 0

    def result(self, penalty: float, classifier: bool) -> tuple[float, float | None]:
        """Return the epoch's (cost, accuracy): the weighted mean cost plus ``penalty``."""
        with np.errstate(invalid="ignore", divide="ignore"):
            cost = float(np.float64(self.cost) / self.weight) + penalty
        return cost, (self.correct / self.rows if classifier else None)

    def state(self) -> tuple[list[float | int], np.ndarray]:
        """Return ([cost, weight, correct, rows], a copy of the outputs kept)."""
        return [self.cost, self.weight, self.correct, self.rows], self.window[: self.count].copy()

    def load(self, sums: object, outputs: object) -> None:
        """Restore :meth:`state`'s result; raise ``ValueError`` (changing nothing) if malformed."""
        if not (isinstance(sums, list) and len(sums) == 4
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in sums[:2])
                and all(type(v) is int and v >= 0 for v in sums[2:])):
            raise ValueError(f"its epoch_sums must be [cost, weight, correct, rows]; got {sums!r}")
        if not (isinstance(outputs, np.ndarray) and outputs.dtype == self.window.dtype and outputs.ndim == 2
                and outputs.shape[1] == self.window.shape[1] and len(outputs) <= len(self.window)):
            raise ValueError(
                f"its epoch_outputs must be a {self.window.dtype} array of at most {len(self.window)} rows of {self.window.shape[1]}"
            )
        self.cost, self.weight, self.correct, self.rows = sums
        self.window[: len(outputs)] = outputs
        self.count = len(outputs)
