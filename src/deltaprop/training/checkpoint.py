"""Checkpoints: a training run's whole state in one file, written atomically.

A checkpoint is an ``.npz`` archive of ``.npy`` members: ``header``, a JSON object with
``format`` ("deltaprop-checkpoint"), ``version``, the run's ``state`` (plain JSON values: epoch,
History, optimizer and schedule scalars, the Generator's state, ...) and ``arrays``, a manifest
``{name: [dtype, shape]}`` of every other member. Loading reads the header first and checks each
member's ``.npy`` header against the manifest before reading its data, so a truncated, foreign
or hostile file is refused with a ``ValueError``; nothing is ever unpickled.

The file is replaced by rename, so a process killed at any moment (even by SIGKILL) leaves the
previous complete checkpoint or the new one, never a mixture.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..archive import InvalidArchive, open_archive, read_member
from ..atomic import atomic_write

__all__ = ["CHECKPOINT_FILE", "MODEL_FILE", "METRICS_FILE", "write_checkpoint", "read_checkpoint", "write_state", "read_state"]

# A checkpoint folder is a run folder: 'deltaprop report' reads the model and the metrics beside it.
#: The name of the checkpoint file inside a checkpoint folder.
CHECKPOINT_FILE = "checkpoint.npz"
#: The model of the run, saved beside its checkpoint.
MODEL_FILE = "model.npz"
#: The metrics of the run (see :mod:`deltaprop.metrics`), written once training has ended.
METRICS_FILE = "metrics.json"
FORMAT = "deltaprop-checkpoint"
VERSION = 2  # 2: the Trainer's state, valid after any step
_MAX_ARRAYS = 10_000


def write_checkpoint(folder: str | os.PathLike, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Path:
    """Write ``state`` (JSON values) and ``arrays`` to ``folder/checkpoint.npz`` atomically.

    Returns the path written. The folder is created if missing.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {name: [a.dtype.name, list(a.shape)] for name, a in arrays.items()}
    header = {"format": FORMAT, "version": VERSION, "state": state, "arrays": manifest}
    path = folder / CHECKPOINT_FILE
    with atomic_write(path) as f:
        np.savez(f, header=np.array(json.dumps(header)), **arrays)
    return path


def read_checkpoint(folder: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Return ``(state, arrays)`` from ``folder/checkpoint.npz``.

    Raises
    ------
    FileNotFoundError
        If the folder holds no checkpoint.
    ValueError
        If the file is not a deltaprop checkpoint, or is truncated or corrupt.
    """
    path = Path(folder) / CHECKPOINT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no checkpoint here (no {CHECKPOINT_FILE}) to resume from")
    with open_archive(path, "checkpoint") as (archive, members):
        header = _parse_header(read_member(archive, members["header"], np.dtype("<U1"), None, 0))
        manifest = header["arrays"]
        if set(members) != {"header"} | set(manifest):
            extra, missing = sorted(set(members) - set(manifest) - {"header"}), sorted(set(manifest) - set(members))
            raise InvalidArchive(f"its arrays do not match the header (missing {missing}, unexpected {extra})")
        arrays = {
            name: read_member(archive, members[name], np.dtype(dtype), tuple(shape), 0)
            for name, (dtype, shape) in manifest.items()
        }
    return header["state"], arrays


def _parse_header(array: np.ndarray) -> dict[str, Any]:
    """Parse the JSON header and check its format, version and array manifest."""
    try:
        header = json.loads(str(array))
    except (json.JSONDecodeError, RecursionError) as e:
        raise InvalidArchive(f"header is not readable JSON ({e})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InvalidArchive(f"header format is not {FORMAT!r}")
    if type(header.get("version")) is not int or header["version"] != VERSION:
        raise InvalidArchive(f"format version {header.get('version')!r} is not supported (this deltaprop reads {VERSION})")
    if not isinstance(header.get("state"), dict):
        raise InvalidArchive("header has no 'state' object")
    manifest = header.get("arrays")
    if not isinstance(manifest, dict) or len(manifest) > _MAX_ARRAYS:
        raise InvalidArchive("header has no valid 'arrays' manifest")
    for name, entry in manifest.items():
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or entry[0] not in ("float32", "float64", "int64", "bool")
            or not isinstance(entry[1], list)
            or len(entry[1]) > 8
            or not all(type(s) is int and 0 <= s <= 1 << 31 for s in entry[1])
        ):
            raise InvalidArchive(f"manifest entry for {name!r} must be [dtype, shape]; got {entry!r}")
    return header


def write_state(folder: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write a :meth:`Trainer.state_dict` to ``folder/checkpoint.npz``: its arrays as members
    (``param{i}``, ``optimizer{i}``, ``order``, ``epoch_outputs``, and ``{key}{i}`` for a callback's), the rest as JSON."""
    state = dict(state)
    arrays = {f"param{i}": p for i, p in enumerate(state.pop("params"))}
    state["optimizer"] = dict(state["optimizer"])
    arrays.update({f"optimizer{i}": a for i, a in enumerate(state["optimizer"].pop("arrays", []))})
    order = state.pop("order")
    if order is not None:
        arrays["order"] = order.astype(np.int64)
    outputs = state.pop("epoch_outputs", None)
    if outputs is not None and len(outputs):
        arrays["epoch_outputs"] = outputs
    state["callbacks"] = {key: dict(value) for key, value in state["callbacks"].items()}
    for key, value in state["callbacks"].items():
        arrays.update({f"{key}{i}": a for i, a in enumerate(value.pop("arrays", []))})
    return write_checkpoint(folder, state, arrays)


def read_state(folder: str | os.PathLike) -> dict[str, Any]:
    """Return the Trainer state that :func:`write_state` wrote to ``folder`` (checked by
    :meth:`Trainer.load_state_dict` when it is loaded)."""
    state, arrays = read_checkpoint(folder)

    def numbered(prefix: str) -> list[np.ndarray]:
        found = []
        while f"{prefix}{len(found)}" in arrays:
            found.append(arrays[f"{prefix}{len(found)}"])
        return found

    state["params"] = numbered("param")
    if isinstance(state.get("optimizer"), dict):
        state["optimizer"]["arrays"] = numbered("optimizer")
    state["order"] = arrays.get("order")
    if "epoch_outputs" in arrays:
        state["epoch_outputs"] = arrays["epoch_outputs"]
    callbacks = state.get("callbacks")
    if isinstance(callbacks, dict):
        for key, value in callbacks.items():
            if isinstance(value, dict):
                value["arrays"] = numbered(key)
    return state
