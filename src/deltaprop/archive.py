"""Reading ``.npz`` archives that must never be trusted: models and checkpoints.

An archive is a ZIP file of ``.npy`` members, one of them ``header`` (a 0-d unicode array
holding JSON). :func:`open_archive` opens one and turns every fault met while reading it into
one ``ValueError`` naming the file; :func:`read_member` reads one member, checking its ``.npy``
header (dtype, shape) before its data, so a truncated, foreign or hostile file is refused
without allocating what it claims. Nothing is ever unpickled.
"""

from __future__ import annotations

import lzma
import math
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = ["InvalidArchive", "open_archive", "read_member"]

_MAX_HEADER_CHARS = 1 << 20


class InvalidArchive(Exception):
    """An archive that is readable but wrong; :func:`open_archive` reports it as a ``ValueError``."""


@contextmanager
def open_archive(path: Path, kind: str) -> Iterator[tuple[zipfile.ZipFile, dict[str, str]]]:
    """Open a ``.npz`` whose members include ``header``; yield it and {name: member}.

    Any fault met inside the ``with`` block, from a wrong field (:class:`InvalidArchive`) to a
    truncated or corrupt archive, becomes one ``ValueError`` that names ``path`` and ``kind``
    (``"model"``, ``"checkpoint"``).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = {name.removesuffix(".npy"): name for name in archive.namelist()}
            if "header" not in members:
                raise InvalidArchive(f"it has no 'header' member (not a deltaprop {kind})")
            yield archive, members
    except InvalidArchive as e:
        raise ValueError(f"{path}: not a valid deltaprop {kind}: {e}") from None
    except PermissionError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, RuntimeError, NotImplementedError, zlib.error, lzma.LZMAError) as e:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method
        raise ValueError(f"{path}: not a valid deltaprop {kind}: unreadable or truncated ({e})") from None


def read_member(archive: zipfile.ZipFile, name: str, dtype: np.dtype, shape: tuple | None, layer: int) -> np.ndarray:
    """Read one ``.npy`` member, checking its header (dtype, shape) before its data.

    ``shape=None`` reads the JSON header (a bounded 0-d unicode string, ``dtype`` unused); any
    other member must be finite and of exactly ``dtype`` and ``shape``; ``layer`` names the
    layer in the message when it is not. Raises :class:`InvalidArchive`.
    """
    label = name.removesuffix(".npy")
    with archive.open(name) as f:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise InvalidArchive(f"{label}: unsupported .npy version {version}")
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        got_shape, fortran, got_dtype = read(f)
        if got_dtype.hasobject:
            raise InvalidArchive(f"{label}: holds Python objects (refused: models are never unpickled)")
        if shape is None:  # the header: a 0-d unicode string of bounded length
            if got_dtype.kind != "U" or got_shape != () or got_dtype.itemsize > 4 * _MAX_HEADER_CHARS:
                raise InvalidArchive(f"header must be a JSON string; got dtype {got_dtype}, shape {got_shape}")
        elif got_dtype != dtype or got_shape != shape:
            raise InvalidArchive(f"{label} must be {dtype.name} of shape {shape} for layer {layer}; got {got_dtype} {got_shape}")
        count = 1 if shape is None else math.prod(shape)  # a Python int: no int64 overflow on a hostile shape
        data = f.read(count * got_dtype.itemsize)  # never more than the header promised
        if f.read(1):  # reading to the end also makes zipfile check the member's CRC
            raise InvalidArchive(f"{label}: has bytes beyond the {shape or 'header'} its header declares")
    if len(data) < count * got_dtype.itemsize:
        raise InvalidArchive(f"{label}: truncated ({len(data)} of {count * got_dtype.itemsize} bytes)")
    array = np.frombuffer(data, dtype=got_dtype, count=count).reshape(got_shape, order="F" if fortran else "C").copy()
    if shape is not None and not np.isfinite(array).all():
        raise InvalidArchive(f"{label} contains NaN or inf")
    return array
