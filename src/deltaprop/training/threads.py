"""BLAS threads for the training step: chosen for the work by measuring it, not guessed.

A step's matrix products are small: on two cores a second BLAS thread buys little at batch 128
and a great deal at batch 1024, and when another process keeps one core busy it costs a great
deal instead (OpenBLAS's threads wait for each other, measured 2–3× slower per step). So a
:class:`~deltaprop.training.trainer.Trainer` with ``threads="auto"`` times its own first steps,
alternating one thread and all of them, and keeps the faster setting for the rest of the run
(all threads only when clearly faster); a smaller last batch of an epoch takes the same count. No
step is wasted: the calibration steps are training steps. The choice is kept for the process, by
network shape, dtype and batch size, so that a second run of the same kind in the same process
takes the same count without measuring.

The thread count can change the last bits of a product (the BLAS splits the work differently),
and a measured choice depends on the machine's load, so ``"auto"`` is not the default: the
default (``None``) leaves the BLAS to decide by the size of each product, the same way every
run, which keeps the project's rule that one seed gives one result. A measured choice is saved
with the run's state and a resumed run keeps it; an integer fixes the count in advance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["BlasThreads", "CALIBRATION_STEPS", "CLEARLY_FASTER"]

#: Steps timed with each setting before ``"auto"`` chooses (they alternate).
CALIBRATION_STEPS = 4
#: ``"auto"`` takes all threads only if their median step is below this fraction of one thread's.
CLEARLY_FASTER = 0.9

_controller: Any = None
#: (sizes, dtype, batch size, most threads) → the count "auto" chose in this process.
_chosen_here: dict[tuple, int] = {}


def _blas() -> Any:
    """The BLAS libraries loaded in this process (threadpoolctl's controller, built once)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


class BlasThreads:
    """The BLAS thread count of each batch size of a run, and the means to apply it.

    Parameters
    ----------
    setting : "auto", int or None
        ``"auto"`` measures (see the module); an int ≥ 1 fixes the count; ``None`` leaves it.
    batch_size : int
        The run's batch size: ``"auto"`` measures it, and a smaller last batch takes its count.
    kind : tuple, optional
        What makes two runs' steps alike (the Trainer gives the network's sizes and dtype):
        ``"auto"`` reuses a count chosen in this process for the same kind and batch size.

    Attributes
    ----------
    chosen : dict of int to int
        Batch size → thread count, once known (``"auto"``: after the calibration steps).
    """

    def __init__(self, setting: str | int | None, batch_size: int, kind: tuple = ()) -> None:
        self.setting, self.batch_size, self.kind = setting, batch_size, kind
        self.chosen: dict[int, int] = {}
        self._timings: dict[int, dict[int, list[float]]] = {}
        self._saved: dict[str, int] = {}
        self._applied: int | None = None

    def available(self) -> int:
        """The BLAS's own thread count (its limit while no run is applying one)."""
        counts = [lib.num_threads for lib in _blas().lib_controllers]
        return max(counts) if counts else 1

    def for_batch(self, n: int) -> int | None:
        """The thread count to take the next step of batch size ``n`` with (None: leave the BLAS)."""
        if self.setting is None:
            return None
        if isinstance(self.setting, int):
            return self.setting
        n = self.batch_size  # the last, smaller batch of an epoch takes the run's count
        if n in self.chosen:
            return self.chosen[n]
        most = self._most()
        earlier = _chosen_here.get((*self.kind, n, most))
        if most == 1 or earlier is not None:
            self.chosen[n] = earlier or 1
            return self.chosen[n]
        timings = self._timings.setdefault(n, {1: [], most: []})
        return 1 if len(timings[1]) <= len(timings[most]) else most

    def record(self, n: int, threads: int | None, seconds: float) -> None:
        """Note a calibration step's time; choose once both settings have ``CALIBRATION_STEPS``."""
        if threads is None or n != self.batch_size or n in self.chosen or n not in self._timings:
            return
        timings = self._timings[n]
        timings[threads].append(seconds)
        if all(len(t) >= CALIBRATION_STEPS for t in timings.values()):
            (one, ones), (most, mosts) = sorted(timings.items())
            faster = np.median(mosts) < CLEARLY_FASTER * np.median(ones)
            self.chosen[n] = _chosen_here[(*self.kind, n, most)] = most if faster else one
            del self._timings[n]

    def apply(self, threads: int | None) -> None:
        """Set every BLAS to ``threads`` (remembering each one's own setting the first time)."""
        if threads is None or threads == self._applied:
            return
        for lib in _blas().lib_controllers:
            self._saved.setdefault(lib.filepath, lib.num_threads)
            lib.set_num_threads(threads)
        self._applied = threads

    def refresh(self) -> None:
        """Look again for BLAS libraries (one loaded since, e.g. SciPy's under numba) and give
        them the thread count applied now."""
        global _controller
        _controller = None
        applied, self._applied = self._applied, None
        self.apply(applied)

    def restore(self) -> None:
        """Give every BLAS back its own thread count."""
        if self._saved:
            for lib in _blas().lib_controllers:
                if lib.filepath in self._saved:
                    lib.set_num_threads(self._saved[lib.filepath])
            self._saved, self._applied = {}, None

    def _most(self) -> int:
        return max(self._saved.values()) if self._saved else self.available()
