"""The metrics file of a training run: its fields, writing it and reading it back.

``deltaprop train --metrics FILE`` writes it, and so does a run with ``--checkpoint DIR`` (as
``DIR/metrics.json``, beside the model); ``deltaprop report`` and ``deltaprop plot`` read it.
It is one JSON object: the test score (``test_accuracy`` for a classifier, else ``None``),
``test_cost``, ``train_seconds``, ``epochs``, ``dataset``, the network (``sizes``,
``activations``, ``cost``), the ``optimizer`` and every other ``settings`` of the run, and the
per-epoch ``history`` (:meth:`deltaprop.History.to_dict`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .atomic import atomic_write
from .validation import is_integer

__all__ = ["FIELDS", "check_metrics", "write_metrics", "read_metrics", "read_history"]

#: The fields that readers rely on, and what each must be when present (null is always allowed).
FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "test_accuracy": ((int, float), "a number"),
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
