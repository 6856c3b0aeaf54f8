"""Checkpoints: a training run's whole state in one file, written atomically; one run per folder.

A checkpoint is an ``.npz`` archive of ``.npy`` members: ``header``, a JSON object with
``format`` ("deltaprop-checkpoint"), ``version``, the run's ``state`` (plain JSON values: epoch,
History, optimizer and schedule scalars, the Generator's state, ...) and ``arrays``, a manifest
``{name: [dtype, shape]}`` of every other member. Loading reads the header first, checks the
manifest against what the state's network and data sizes allow (every member named, shaped and
typed as a Trainer state has it; none more), and checks each member's ``.npy`` header against
the manifest before reading its data (see :mod:`deltaprop.archive`), so a truncated, foreign or
hostile file is refused with a one-line ``ValueError``; nothing is ever unpickled.

The file is replaced by rename, so a process killed at any moment (even by SIGKILL) leaves the
previous complete checkpoint or the new one, never a mixture. A run holds its folder with
:class:`FolderLock` (an advisory ``flock`` on ``folder/.lock``), so a second run into the same
folder is refused instead of taking turns overwriting the first one's files.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..archive import InvalidArchive, open_archive
from ..atomic import atomic_write
from ..network import MAX_WIDTH

__all__ = [
    "CHECKPOINT_FILE", "MODEL_FILE", "METRICS_FILE", "LOCK_FILE", "FolderLock", "write_checkpoint", "read_checkpoint", "write_state",
    "read_state",
]

# A checkpoint folder is a run folder: 'deltaprop report' reads the model and the metrics beside it.
#: The name of the checkpoint file inside a checkpoint folder.
CHECKPOINT_FILE = "checkpoint.npz"
#: The model of the run, saved beside its checkpoint.
MODEL_FILE = "model.npz"
#: The metrics of the run (see :mod:`deltaprop.metrics`), written once training has ended.
METRICS_FILE = "metrics.json"
#: The file a run locks to hold its folder; it holds the holder's process id.
LOCK_FILE = ".lock"
FORMAT = "deltaprop-checkpoint"
VERSION = 2  # 2: the Trainer's state, valid after any step
_MAX_ARRAYS = 10_000
_MAX_HEADER_CHARS = 1 << 24  # the JSON state: History lists, gradient norms, ...
_MAX_LAYERS = 1000
#: The most buffers per parameter an optimizer's state may hold (Adam's two moments).
_MAX_BUFFERS = 2
_NUMBERED = re.compile(r"(?P<prefix>[A-Za-z_]+)(?P<index>0|[1-9][0-9]*)")


class FolderLock:
    """An advisory lock on a run folder: ``flock`` on ``folder/.lock``, which holds the pid.

    The lock belongs to the open file, so it ends with the process however the process ends
    (SIGKILL too); a stale ``.lock`` file left behind locks nothing.
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock (creating the folder if missing), or raise.

        Raises
        ------
        ValueError
            If another process (or another lock in this one) holds the folder; the message names
            the folder and the holder's pid.
        """
        import fcntl  # here: POSIX only, and nothing else in deltaprop needs it

        if self._fd is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            by = f"process {holder}" if holder.isdigit() else "another process"
            raise ValueError(
                f"checkpoint folder {self.folder} is in use by another run ({by} holds {self.folder / LOCK_FILE}); "
                "wait for it to end or choose another folder"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Let the folder go (nothing happens when it is not held)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


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


def read_checkpoint(
    folder: str | os.PathLike, check: Any = None
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Return ``(state, arrays)`` from ``folder/checkpoint.npz``.

    ``check(state, manifest)``, when given, is called after the header is read and before any
    array is: it raises :class:`~deltaprop.archive.InvalidArchive` when the manifest is not what
    the state allows.

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
    with open_archive(path, "deltaprop checkpoint") as archive:
        if "header" not in archive.names:
            raise InvalidArchive("it has no 'header' member (not a deltaprop checkpoint)")
        header = _parse_header(archive.text("header", _MAX_HEADER_CHARS))
        manifest = header["arrays"]
        if archive.names != {"header"} | set(manifest):
            extra, missing = sorted(archive.names - set(manifest) - {"header"}), sorted(set(manifest) - archive.names)
            raise InvalidArchive(f"its arrays do not match the header (missing {missing}, unexpected {extra})")
        if check is not None:
            check(header["state"], manifest)
        arrays = {name: archive.read(name, np.dtype(dtype), tuple(shape), "its manifest") for name, (dtype, shape) in manifest.items()}
    return header["state"], arrays


def _parse_header(text: str) -> dict[str, Any]:
    """Parse the JSON header and check its format, version and array manifest."""
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as e:  # JSONDecodeError, or an integer of too many digits
        raise InvalidArchive(f"header is not readable JSON ({' '.join(str(e).split())})") from None
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
            name == "header"
            or not isinstance(entry, list)
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
    :meth:`Trainer.load_state_dict` when it is loaded).

    Before any array is read, the manifest must hold exactly the members such a state has, each
    of the shape and dtype its network (the state's ``config``: sizes, dtype, n_train) gives it:
    ``param{i}``, up to two optimizer buffers and two callback copies per parameter, the epoch's
    ``order`` and ``epoch_outputs``. A member nothing would use is refused, not read.
    """
    state, arrays = read_checkpoint(folder, _check_members)

    def numbered(prefix: str) -> list[np.ndarray]:
        return [arrays[f"{prefix}{i}"] for i in range(sum(1 for n in arrays if _prefix(n) == prefix))]

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


def _prefix(name: str) -> str | None:
    match = _NUMBERED.fullmatch(name)
    return match["prefix"] if match else None


def _check_members(state: dict[str, Any], manifest: dict[str, list]) -> None:
    """Refuse a manifest that a Trainer state of ``state["config"]`` would not have."""
    config = state.get("config")
    sizes = config.get("sizes") if isinstance(config, dict) else None
    if not (
        isinstance(sizes, list) and 2 <= len(sizes) <= _MAX_LAYERS and all(type(s) is int and 1 <= s <= MAX_WIDTH for s in sizes)
        and config.get("dtype") in ("float32", "float64") and type(config.get("n_train")) is int and config["n_train"] >= 1
    ):
        raise InvalidArchive("its state's config must give the network's sizes, its dtype and n_train")
    shapes = [shape for n_in, n_out in zip(sizes, sizes[1:]) for shape in ([n_out, n_in], [n_out])]
    callbacks = state.get("callbacks")
    keys = set(callbacks) if isinstance(callbacks, dict) else set()
    own = {"param": 1, "optimizer": _MAX_BUFFERS}  # a callback's key cannot take these names' places
    limits = {**{key: 2 for key in keys if isinstance(key, str) and _NUMBERED.fullmatch(f"{key}0")}, **own}
    counts: dict[str, int] = {}
    for name, (dtype, shape) in manifest.items():
        if name == "order":
            if [dtype, shape] != ["int64", [config["n_train"]]]:
                raise InvalidArchive(f"member order must be int64 of shape [{config['n_train']}]; got {[dtype, shape]}")
            continue
        if name == "epoch_outputs":  # the running metrics' outputs of this epoch's rows, not yet added up
            if dtype != config["dtype"] or len(shape) != 2 or not 1 <= shape[0] <= config["n_train"] or shape[1] != sizes[-1]:
                raise InvalidArchive(f"member epoch_outputs must be {config['dtype']} of shape [1 to {config['n_train']}, {sizes[-1]}]; got {[dtype, shape]}")
            continue
        prefix = _prefix(name)
        if prefix not in limits:
            raise InvalidArchive(f"member {name!r} is not part of a training state (unknown members are refused)")
        index = int(name[len(prefix):])
        if [dtype, shape] != [config["dtype"], shapes[index % len(shapes)]]:
            raise InvalidArchive(f"member {name!r} must be {config['dtype']} of shape {shapes[index % len(shapes)]}; got {[dtype, shape]}")
        counts[prefix] = counts.get(prefix, 0) + 1
    for prefix, count in counts.items():
        if count % len(shapes) or count > limits[prefix] * len(shapes) or any(f"{prefix}{i}" not in manifest for i in range(count)):
            raise InvalidArchive(f"its {prefix} members must be numbered 0 to a multiple of the {len(shapes)} parameters, at most {limits[prefix]} sets")
    if counts.get("param") != len(shapes):
        raise InvalidArchive(f"it must hold the {len(shapes)} parameters of a network of sizes {sizes}")
