"""The data of a playground run: a generated 2-D set or a CSV table, split into train and test.

A generated set comes from :data:`deltaprop.datasets.SYNTHETIC` (``points``, ``noise`` and
``seed`` of the settings; the spirals with ``classes`` arms); a table is read by
:func:`deltaprop.datasets.read`, the library's CSV reader, which also splits it. Both are split
by :func:`deltaprop.datasets.train_test_split` with the settings' ``test_fraction`` and
``seed``. The input plane that the page draws spans the first two inputs (a wider table's
other inputs are held at their training means) with a margin of a tenth around the points.

Symbols → names: x → ``X_train``/``X_test`` rows; y → labels (n,) or targets (n, k).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..datasets.preprocessing import train_test_split
from ..datasets.registry import read
from ..datasets.synthetic import SYNTHETIC
from .settings import CSV, LIMITS, Settings

__all__ = ["RunData", "run_data", "check_table", "MAX_CLASSES", "GRID", "SURFACE_GRID"]

#: A table's integer labels with at most this many distinct values are classes; more are a quantity.
MAX_CLASSES = 10
#: Points per side of each neuron's heat-map, and of the decision surface (a multiple of it).
GRID, SURFACE_GRID = 32, 64


@dataclass
class RunData:
    """A run's data in the units of its source.

    Attributes
    ----------
    name : str
    X_train, y_train, X_test, y_test : ndarray
        X float32 (n, d); y int64 labels (n,) or float32 targets (n, k).
    classes : list of str or None
        The name of each class; None for a regression.
    feature_names : list of str
        The name of each input.
    bounds : (float, float, float, float)
        x_min, x_max, y_min, y_max of the input plane drawn.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: list[str] | None
    feature_names: list[str]
    bounds: tuple[float, float, float, float]

    @property
    def n_classes(self) -> int:
        """The number of classes (0 for a regression)."""
        return 0 if self.classes is None else len(self.classes)

    def grid(self, side: int) -> np.ndarray:
        """The input plane's ``side × side`` points, row by row from the top (y_max) down, as
        inputs (n, d): the first two inputs vary, the others are held at their training means."""
        x0, x1, y0, y1 = self.bounds
        xs, ys = np.linspace(x0, x1, side), np.linspace(y1, y0, side)
        inputs = np.tile(self.X_train.mean(axis=0), (side * side, 1))
        inputs[:, 0] = np.tile(xs, side)
        if inputs.shape[1] > 1:
            inputs[:, 1] = np.repeat(ys, side)
        return inputs.astype(np.float32)


def check_table(path: Path) -> None:
    """Refuse a CSV file larger than :data:`LIMITS` allows, before reading it."""
    size = os.path.getsize(path)
    if size > LIMITS["csv_bytes"]:
        raise ValueError(f"the CSV file has {size} bytes; the playground takes at most {LIMITS['csv_bytes']}")


def run_data(settings: Settings, table: Path | None) -> RunData:
    """Make or read the data set ``settings`` name and split it.

    Raises
    ------
    ValueError
        For a table that cannot be read, is too large, or has fewer than two rows per split.
    """
    if settings.dataset == CSV:
        if table is None:
            raise ValueError("dataset 'csv' needs a table: start the playground with --dataset FILE.csv or send one")
        return _table(settings, table)
    make = SYNTHETIC[settings.dataset]
    extra = {"arms": settings.classes} if settings.dataset == "spirals" else {}
    X, y = make(n=settings.points, noise=settings.noise, seed=settings.seed, **extra)
    (X_train, y_train), (X_test, y_test) = train_test_split(X, y, settings.test_fraction, settings.seed)
    n_classes = int(y.max()) + 1
    return RunData(settings.dataset, X_train, y_train, X_test, y_test, [str(c) for c in range(n_classes)], ["x₁", "x₂"], _bounds(X))


def _table(settings: Settings, path: Path) -> RunData:
    check_table(path)
    data = read(path, test_fraction=settings.test_fraction, seed=settings.seed)
    (X_train, y_train), (X_test, y_test) = data.train, data.test
    n, d = len(X_train) + len(X_test), X_train.shape[1]
    if n > LIMITS["csv_rows"] or d > LIMITS["csv_columns"]:
        raise ValueError(f"the CSV table has {n} rows and {d} inputs; the playground takes at most {LIMITS['csv_rows']} rows and {LIMITS['csv_columns']} inputs")
    classes = data.classes
    if classes is None and y_train.ndim == 1:  # integer labels: classes if few, else a quantity
        values = np.unique(np.concatenate([y_train, y_test]))
        if len(values) <= MAX_CLASSES:
            classes = [str(v) for v in values]
            y_train, y_test = np.searchsorted(values, y_train), np.searchsorted(values, y_test)
        else:
            y_train, y_test = y_train.astype(np.float32)[:, None], y_test.astype(np.float32)[:, None]
    if classes is not None and len(classes) < 2:
        raise ValueError(f"the CSV table's labels hold one class ({classes[0]!r}); a classifier needs two or more")
    names = data.feature_names or [f"x{i + 1}" for i in range(d)]
    return RunData(Path(path).name, X_train, y_train, X_test, y_test, classes, names, _bounds(np.concatenate([X_train, X_test])))


def _bounds(X: np.ndarray) -> tuple[float, float, float, float]:
    """The plane of the first two inputs around the points, a tenth of their spread added on each side."""
    columns = X[:, :2] if X.shape[1] > 1 else np.column_stack([X[:, 0], np.zeros(len(X))])
    low, high = columns.min(axis=0).astype(np.float64), columns.max(axis=0).astype(np.float64)
    margin = np.maximum((high - low) * 0.1, 0.5 * (high == low))
    low, high = low - margin, high + margin
    return float(low[0]), float(high[0]), float(low[1]), float(high[1])
