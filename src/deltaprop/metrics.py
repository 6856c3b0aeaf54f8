"""The metrics file of a training run: its fields, writing it and reading it back.

``deltaprop train --metrics FILE`` writes it, and so does a run with ``--checkpoint DIR`` (as
``DIR/metrics.json``, beside the model); ``deltaprop report`` and ``deltaprop plot`` read it.
It is one JSON object: the ``task`` ("classification" or "regression"), the test score
(``test_accuracy`` for a classifier, ``test_r2`` for a regressor, the other ``None``),
``test_cost``, ``train_seconds``, ``epochs``, ``best_epoch`` (with early stopping), ``ranks``
(the processes that trained together: 1 without MPI), ``dataset``, the network (``sizes``,
``activations``, ``cost``), the ``optimizer`` and every other ``settings`` of the run, and the
per-epoch ``history`` (:meth:`deltaprop.History.to_dict`).

:func:`r2_score` is the regressor's score, R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)².
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write
from .validation import is_integer

__all__ = ["FIELDS", "check_metrics", "write_metrics", "read_metrics", "read_history", "r2_score"]

#: The fields that readers rely on, and what each must be when present (null is always allowed).
FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "task": ((str,), "a string"),
    "test_accuracy": ((int, float), "a number"),
    "test_r2": ((int, float), "a number"),
    "ranks": ((int,), "an integer"),
    "best_epoch": ((int,), "an integer"),
    "test_cost": ((int, float), "a number"),
    "train_seconds": ((int, float), "a number"),
    "epochs": ((int,), "an integer"),
    "dataset": ((str,), "a string"),
    "sizes": ((list,), "a list of layer widths"),
    "optimizer": ((dict,), "an object"),
    "settings": ((dict,), "an object"),
    "batch_size": ((int,), "an integer"),
    "l2": ((int, float), "a number"),
    "seed": ((int,), "an integer"),
    "history": ((dict,), "an object"),
}


def check_metrics(values: Mapping[str, Any], where: str) -> None:
    """Check the JSON type of each of :data:`FIELDS` that ``values`` holds.

    Every field may be missing or ``None``; the history's own entries are checked where they
    are drawn (:mod:`deltaprop.plots`).

    Raises
    ------
    ValueError
        Naming the field, what it must be and what it is; the message begins with ``where``.
    """
    for key, (types, what) in FIELDS.items():
        value = values.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            raise ValueError(f"{where}: {key!r} must be {what} or null; got {json.dumps(value, default=repr)[:60]}")
    sizes = values.get("sizes")
    if sizes is not None and not all(is_integer(s) for s in sizes):
        raise ValueError(f"{where}: 'sizes' must be a list of layer widths (integers); got {json.dumps(sizes, default=repr)[:60]}")


def write_metrics(path: str | os.PathLike, values: Mapping[str, Any]) -> Path:
    """Check ``values`` and write them to ``path`` as indented JSON, atomically; return the path.

    Raises
    ------
    ValueError
        If a field has the wrong type (see :func:`check_metrics`).
    OSError
        If the file cannot be written; it is then left as it was.
    """
    path = Path(path)
    check_metrics(values, "metrics")
    with atomic_write(path, "w") as f:
        f.write(json.dumps(values, indent=2) + "\n")
    return path


def read_metrics(path: str | os.PathLike) -> dict[str, Any]:
    """Read a metrics file and check its fields (see :func:`check_metrics`).

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If it is not JSON, not an object, or a field has the wrong type.
    """
    path = Path(path)
    values = _read_json(path)
    if not isinstance(values, dict):
        raise ValueError(f"{path}: must hold a JSON object, as 'deltaprop train --metrics' writes; got a {type(values).__name__}")
    check_metrics(values, str(path))
    return values


def read_history(path: str | os.PathLike) -> dict[str, Any]:
    """Read only the per-epoch ``history`` of a metrics file, for drawing it.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If it is not JSON or holds no ``history`` object.
    """
    path = Path(path)
    values = _read_json(path)
    if not isinstance(values, dict) or not isinstance(values.get("history"), dict):
        raise ValueError(f"{path}: has no 'history' object; expected the JSON that 'deltaprop train --metrics' writes")
    return values["history"]


def _read_json(path: Path) -> Any:
    """Parse the JSON in ``path``, saying in one line what is wrong if it cannot."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such metrics file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValueError(f"{path}: not a JSON file ({e})") from None


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Return R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)², averaged over the columns of (n, k) targets.

    As scikit-learn's ``r2_score`` with uniform averaging: a column with no variance scores
    1.0 when predicted exactly, 0.0 otherwise.
    """
    y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(y_true.shape)
    residual = ((y_true - y_pred) ** 2).sum(axis=0)
    total = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    safe = np.where(total > 0, total, 1.0)
    scores = np.where(total > 0, 1.0 - residual / safe, np.where(residual == 0, 1.0, 0.0))
    return float(scores.mean())
