"""Saving and loading networks: plain arrays and a JSON header in one ``.npz`` file.

The file is a ZIP archive of ``.npy`` members ``W0, b0, W1, b1, ...`` and ``header``, a 0-d
unicode array holding JSON: ``format`` ("deltaprop-model"), ``version``, ``sizes``,
``activations``, ``cost`` and ``dtype``. Nothing is ever unpickled.

Saving writes a temporary file in the destination folder and renames it over the target, so
an interrupted save leaves the old file (or none), never half of one. Loading reads each
member's ``.npy`` header before its data and checks every field, shape and dtype against the
JSON header: a truncated, hostile or foreign file gets a ``ValueError`` naming the problem.
"""

from __future__ import annotations

import json
import lzma
import math
import os
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .activations import ACTIVATIONS
from .atomic import atomic_write
from .costs import COSTS
from .network import Network

__all__ = ["save", "load", "FORMAT", "VERSION"]

FORMAT = "deltaprop-model"
VERSION = 1
_MAX_HEADER_CHARS = 1 << 20
_MAX_LAYERS = 1000


def save(net: Network, path: str | os.PathLike) -> Path:
    """Write ``net`` to ``path`` (``.npz``) atomically; return the path written.

    Raises
    ------
    ValueError
        If the network's parameters are not valid (wrong shape or dtype).
    OSError
        If the folder cannot be written; the target is then left as it was.
    """
    net.check_parameters()
    for thing, registry in [(a, ACTIVATIONS) for a in net.activations] + [(net.cost_function, COSTS)]:
        if registry.get(thing.name) is not thing:
            raise ValueError(f"{thing!r} is not deltaprop's own {thing.name!r}; only registered functions can be saved by name")
    for name, array in [(f"{kind}[{i}]", a) for kind, arrays in (("weights", net.weights), ("biases", net.biases)) for i, a in enumerate(arrays)]:
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or inf; such a model cannot be saved (training diverged?)")
    path = Path(path)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "sizes": net.sizes,
        "activations": [a.name for a in net.activations],
        "cost": net.cost_function.name,
        "dtype": net.dtype.name,
    }
    arrays = {"header": np.array(json.dumps(header))}
    for i, (W, b) in enumerate(zip(net.weights, net.biases)):
        arrays[f"W{i}"], arrays[f"b{i}"] = W, b
    with atomic_write(path) as f:
        np.savez(f, **arrays)
    return path


def load(path: str | os.PathLike) -> Network:
    """Read a network written by :func:`save`.

    Raises
    ------
    ValueError
        If the file is not a deltaprop model, is truncated or corrupt, or any field, shape,
        dtype or value (NaN/inf) is not what the header promises.
    FileNotFoundError
        If there is no such file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    with _archive(path, "model") as (archive, members):
        header = _read_header(_read_member(archive, members["header"], np.dtype("<U1"), None, 0))
        expected = {"header"} | {f"{k}{i}" for i in range(len(header["sizes"]) - 1) for k in "Wb"}
        if set(members) != expected:
            extra, missing = sorted(set(members) - expected), sorted(expected - set(members))
            raise _Invalid(f"its arrays do not match the header (missing {missing}, unexpected {extra})")
        dtype = np.dtype(header["dtype"])
        sizes = header["sizes"]
        weights, biases = [], []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            weights.append(_read_member(archive, members[f"W{i}"], dtype, (n_out, n_in), i))
            biases.append(_read_member(archive, members[f"b{i}"], dtype, (n_out,), i))
    try:
        net = Network(
            sizes, activation=header["activations"][:-1], output=header["activations"][-1], cost=header["cost"], dtype=dtype
        )
    except ValueError as e:
        raise ValueError(f"{path}: not a valid deltaprop model: {e}") from None
    net.weights, net.biases = weights, biases
    return net


class _Invalid(Exception):
    """A model file that is readable but wrong."""


@contextmanager
def _archive(path: Path, kind: str) -> Iterator[tuple[zipfile.ZipFile, dict[str, str]]]:
    """Open a ``.npz`` whose members include ``header``; yield it and {name: member}.

    Any fault met inside the ``with`` block, from a wrong field (:class:`_Invalid`) to a
    truncated or corrupt archive, becomes one ``ValueError`` that names ``path`` and ``kind``.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = {name.removesuffix(".npy"): name for name in archive.namelist()}
            if "header" not in members:
                raise _Invalid(f"it has no 'header' member (not a deltaprop {kind})")
            yield archive, members
    except _Invalid as e:
        raise ValueError(f"{path}: not a valid deltaprop {kind}: {e}") from None
    except PermissionError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, RuntimeError, NotImplementedError, zlib.error, lzma.LZMAError) as e:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method
        raise ValueError(f"{path}: not a valid deltaprop {kind}: unreadable or truncated ({e})") from None


def _read_member(archive: zipfile.ZipFile, name: str, dtype: np.dtype, shape: tuple | None, layer: int) -> np.ndarray:
    """Read one ``.npy`` member, checking its header (dtype, shape) before its data."""
    label = name.removesuffix(".npy")
    with archive.open(name) as f:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise _Invalid(f"{label}: unsupported .npy version {version}")
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        got_shape, fortran, got_dtype = read(f)
        if got_dtype.hasobject:
            raise _Invalid(f"{label}: holds Python objects (refused: models are never unpickled)")
        if shape is None:  # the header: a 0-d unicode string of bounded length
            if got_dtype.kind != "U" or got_shape != () or got_dtype.itemsize > 4 * _MAX_HEADER_CHARS:
                raise _Invalid(f"header must be a JSON string; got dtype {got_dtype}, shape {got_shape}")
        elif got_dtype != dtype or got_shape != shape:
            raise _Invalid(f"{label} must be {dtype.name} of shape {shape} for layer {layer}; got {got_dtype} {got_shape}")
        count = 1 if shape is None else math.prod(shape)  # a Python int: no int64 overflow on a hostile shape
        data = f.read(count * got_dtype.itemsize)  # never more than the header promised
        if f.read(1):  # reading to the end also makes zipfile check the member's CRC
            raise _Invalid(f"{label}: has bytes beyond the {shape or 'header'} its header declares")
    if len(data) < count * got_dtype.itemsize:
        raise _Invalid(f"{label}: truncated ({len(data)} of {count * got_dtype.itemsize} bytes)")
    array = np.frombuffer(data, dtype=got_dtype, count=count).reshape(got_shape, order="F" if fortran else "C").copy()
    if shape is not None and not np.isfinite(array).all():
        raise _Invalid(f"{label} contains NaN or inf")
    return array


def _read_header(array: np.ndarray) -> dict:
    """Parse and check the JSON header."""
    try:
        header = json.loads(str(array))
    except json.JSONDecodeError as e:
        raise _Invalid(f"header is not JSON ({e.msg})") from None
    except RecursionError:
        raise _Invalid("header is nested too deeply") from None
    if not isinstance(header, dict):
        raise _Invalid("header is not a JSON object")
    if not isinstance(header.get("format"), str) or header["format"] != FORMAT:
        raise _Invalid(f"header format is {header.get('format')!r}, not {FORMAT!r}")
    if type(header.get("version")) is not int or header["version"] != VERSION:
        raise _Invalid(f"format version {header.get('version')!r} is not supported (this deltaprop reads {VERSION})")
    sizes = header.get("sizes")
    if (
        not isinstance(sizes, list)
        or not 2 <= len(sizes) <= _MAX_LAYERS
        or not all(type(s) is int and 0 < s <= 1 << 24 for s in sizes)
    ):
        raise _Invalid(f"header sizes must be a list of 2 to {_MAX_LAYERS} positive integers; got {sizes!r}")
    activations = header.get("activations")
    if not isinstance(activations, list) or len(activations) != len(sizes) - 1 or not all(isinstance(a, str) and a in ACTIVATIONS for a in activations):
        raise _Invalid(f"header activations must name {len(sizes) - 1} of {', '.join(ACTIVATIONS)}; got {activations!r}")
    if not isinstance(header.get("cost"), str) or header["cost"] not in COSTS:
        raise _Invalid(f"header cost must be one of {', '.join(COSTS)}; got {header.get('cost')!r}")
    if not isinstance(header.get("dtype"), str) or header["dtype"] not in ("float32", "float64"):
        raise _Invalid(f"header dtype must be float32 or float64; got {header.get('dtype')!r}")
    return header
