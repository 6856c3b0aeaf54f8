"""Reading ``.npz`` archives that must never be trusted: models, checkpoints and data tables.

An archive is a ZIP file of ``.npy`` members. :func:`open_archive` opens one, checks every
member's ZIP entry against the file (declared sizes against the file's real size and against
:data:`MAX_MEMBER_BYTES`, compression within :data:`MAX_RATIO`, no encryption, only stored or
deflated or bzip2 members, names ending in ``.npy``), and turns every fault met while reading it into one
one-line ``ValueError`` naming the file. :class:`Archive` then reads members: each ``.npy``
header is parsed here (never by NumPy's ``eval``-like reader) and checked — dtype, shape, and
that the data it declares is exactly what the member holds — before anything is allocated, and
the data is read in pieces of at most :data:`CHUNK` bytes straight into the array. Nothing is
ever unpickled.

Limits (each refusal names the limit it met):

- :data:`MAX_MEMBER_BYTES` (16 GiB): the most one member may declare, uncompressed.
- :data:`MAX_RATIO` (100): a compressed member may declare at most this many times its stored
  size (real weights and data compress 1–10×; a "zip bomb" of zeros 1000×), unless it declares
  at most :data:`RATIO_FREE_BYTES` (16 MiB), which costs little to inflate whatever it holds.
- :data:`MAX_MEMBERS` (10,000) members; an ``.npy`` header of at most 64 KiB.

So the memory a read takes is bounded by the file's size times :data:`MAX_RATIO`.
"""

from __future__ import annotations

import ast
import lzma
import math
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import numpy as np

from .validation import all_finite

__all__ = [
    "Archive", "InvalidArchive", "open_archive", "read_npy", "one_line", "MAX_MEMBER_BYTES", "MAX_RATIO", "RATIO_FREE_BYTES", "MAX_MEMBERS",
    "CHUNK",
]

#: The most bytes one member may declare (uncompressed).
MAX_MEMBER_BYTES = 1 << 34
#: The most a compressed member may declare per byte it is stored in (above RATIO_FREE_BYTES).
MAX_RATIO = 100
#: Members declaring at most this many bytes may be compressed any amount.
RATIO_FREE_BYTES = 1 << 24
#: The most members an archive may have.
MAX_MEMBERS = 10_000
#: Bytes read from a member at a time.
CHUNK = 1 << 22
_MAX_NPY_HEADER = 1 << 16
_MAX_NDIM = 32
_NPY_MAGIC = b"\x93NUMPY"
#: Errors that reading a damaged ZIP file raises from zipfile and its decompressors.
_READ_ERRORS = (
    zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError, RuntimeError, NotImplementedError, zlib.error,
    lzma.LZMAError, struct.error, OverflowError, UnicodeDecodeError,
)


class InvalidArchive(Exception):
    """An archive that is readable but wrong; :func:`open_archive` reports it as a ``ValueError``."""


def one_line(text: object) -> str:
    """``str(text)`` with its runs of whitespace (newlines too) made single spaces: an error
    message that stays on one line."""
    return " ".join(str(text).split())


class Archive:
    """An open, checked ``.npz`` archive: its members by name (without ``.npy``), read with checks.

    Attributes
    ----------
    names : set of str
        The members' names, without the ``.npy`` suffix.
    """

    def __init__(self, zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> None:
        self._zf, self._infos = zf, infos
        self.names = set(infos)

    def describe(self, name: str) -> tuple[np.dtype, tuple[int, ...]]:
        """Return the (dtype, shape) that member ``name``'s ``.npy`` header declares, checked
        against the member's size; nothing else is read. Raises :class:`InvalidArchive`."""
        with self._zf.open(self._infos[name]) as f:
            dtype, shape, _ = _npy_header(f, name, self._infos[name].file_size)
        return dtype, shape

    def read(self, name: str, dtype: np.dtype | None = None, shape: tuple[int, ...] | None = None, what: str = "",
             finite: bool = True) -> np.ndarray:
        """Read member ``name`` as a new C-ordered array.

        ``dtype`` and ``shape``, when given, are what it must be exactly (``what`` says what it is
        for, in the message); ``finite`` refuses NaN and inf in a float array. Raises
        :class:`InvalidArchive`.
        """
        with self._zf.open(self._infos[name]) as f:
            got_dtype, got_shape, fortran = _npy_header(f, name, self._infos[name].file_size)
            if got_dtype.kind in "SU":
                raise InvalidArchive(f"{name} holds text ({got_dtype}), not numbers")
            if (dtype is not None and got_dtype != dtype) or (shape is not None and got_shape != shape):
                want = f"{'' if dtype is None else dtype.name + ' '}{'' if shape is None else 'of shape ' + str(shape)}".strip()
                raise InvalidArchive(f"{name} must be {want}{' for ' + what if what else ''}; got {got_dtype} {got_shape}")
            flat = np.empty(math.prod(got_shape), dtype=got_dtype)
            _fill(f, memoryview(flat.view(np.uint8)), name)
        if finite and got_dtype.kind == "f" and not all_finite(flat):
            raise InvalidArchive(f"{name} contains NaN or inf")
        array = flat.reshape(got_shape, order="F" if fortran else "C")
        return np.ascontiguousarray(array) if fortran and array.ndim > 1 else array

    def text(self, name: str, max_chars: int) -> str:
        """Read member ``name``: a 0-d unicode array (a JSON header) of at most ``max_chars``
        characters, decoded strictly (no code point above U+10FFFF, no lone surrogate)."""
        with self._zf.open(self._infos[name]) as f:
            dtype, shape, _ = _npy_header(f, name, self._infos[name].file_size)
            if dtype.kind != "U" or shape != ():
                raise InvalidArchive(f"{name} must be a JSON string; got dtype {dtype}, shape {shape}")
            if dtype.itemsize > 4 * max_chars:
                raise InvalidArchive(f"{name} holds {dtype.itemsize // 4} characters, more than the {max_chars} allowed")
            data = bytearray(dtype.itemsize)
            _fill(f, memoryview(data), name)
        try:
            text = data.decode("utf-32-be" if dtype.byteorder == ">" else "utf-32-le")
        except UnicodeDecodeError as e:
            raise InvalidArchive(f"{name} is not valid Unicode text ({e.reason} at byte {e.start})") from None
        return text.rstrip("\x00")


def _npy_header(f: IO[bytes], name: str, size: int) -> tuple[np.dtype, tuple[int, ...], bool]:
    """Parse and check the ``.npy`` header of a member (or file) of ``size`` bytes: (dtype, shape,
    fortran order); the data it declares must be exactly the rest. Leaves ``f`` at the data."""
    magic = f.read(8)
    if len(magic) < 8 or magic[:6] != _NPY_MAGIC:
        raise InvalidArchive(f"{name} is not a .npy array")
    version = (magic[6], magic[7])
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise InvalidArchive(f"{name}: unsupported .npy version {version}")
    size_field = f.read(2 if version == (1, 0) else 4)
    if len(size_field) < (2 if version == (1, 0) else 4):
        raise InvalidArchive(f"{name}: truncated .npy header")
    length = int.from_bytes(size_field, "little")
    if length > _MAX_NPY_HEADER:
        raise InvalidArchive(f"{name}: its .npy header declares {length} bytes, more than the {_MAX_NPY_HEADER} allowed")
    raw = f.read(length)
    if len(raw) < length:
        raise InvalidArchive(f"{name}: truncated .npy header")
    try:
        fields = ast.literal_eval(raw.decode("utf-8" if version == (3, 0) else "latin-1"))
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError, UnicodeDecodeError):
        raise InvalidArchive(f"{name}: its .npy header is not a Python literal") from None
    if not isinstance(fields, dict) or set(fields) != {"descr", "fortran_order", "shape"}:
        raise InvalidArchive(f"{name}: its .npy header must hold exactly descr, fortran_order and shape")
    descr, fortran, shape = fields["descr"], fields["fortran_order"], fields["shape"]
    if not isinstance(descr, str) or type(fortran) is not bool:
        raise InvalidArchive(f"{name}: its .npy header has a descr {descr!r} or fortran_order {fortran!r} of the wrong type")
    if not (isinstance(shape, tuple) and len(shape) <= _MAX_NDIM and all(type(s) is int and s >= 0 for s in shape)):
        raise InvalidArchive(f"{name}: its .npy shape must be a tuple of at most {_MAX_NDIM} integers ≥ 0; got {shape!r}")
    try:
        dtype = np.dtype(descr)
    except (TypeError, ValueError, SyntaxError):
        raise InvalidArchive(f"{name}: its .npy dtype {descr!r} is not a NumPy dtype") from None
    if dtype.hasobject:
        raise InvalidArchive(f"{name}: holds Python objects (refused: nothing here is ever unpickled)")
    if dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in "biufcSU":
        raise InvalidArchive(f"{name}: dtype {descr!r} is refused (only booleans, numbers and text)")
    declared = math.prod(shape) * dtype.itemsize  # a Python int: no overflow on a hostile shape
    holds = size - 8 - len(size_field) - length
    if declared != holds:
        raise InvalidArchive(f"{name} declares {dtype} of shape {shape} ({declared} bytes) but holds {holds} bytes of data")
    return dtype, shape, fortran


def _fill(f: IO[bytes], out: memoryview, name: str) -> None:
    """Read exactly ``len(out)`` bytes from ``f`` into ``out``, CHUNK at a time, then check the end
    (which makes zipfile check the member's CRC)."""
    done = 0
    while done < len(out):
        chunk = f.read(min(CHUNK, len(out) - done))
        if not chunk:
            raise InvalidArchive(f"{name}: truncated ({done} of {len(out)} bytes)")
        out[done : done + len(chunk)] = chunk
        done += len(chunk)
    if f.read(1):
        raise InvalidArchive(f"{name}: has bytes beyond those its header declares")


def read_npy(path: str | os.PathLike, what: str) -> np.ndarray:
    """Read a bare ``.npy`` file (``what`` names it in messages: "input") with the same checks as
    an archive's members: header parsed here, declared data exactly the rest of the file and at
    most :data:`MAX_MEMBER_BYTES`, read in pieces, numbers only. Faults are one ``ValueError``."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        try:
            if size > MAX_MEMBER_BYTES + _MAX_NPY_HEADER:
                raise InvalidArchive(f"it holds {size} bytes, more than the limit of {MAX_MEMBER_BYTES}")
            dtype, shape, fortran = _npy_header(f, "the array", size)
            if dtype.kind in "SU":
                raise InvalidArchive(f"the array holds text ({dtype}), not numbers")
            flat = np.empty(math.prod(shape), dtype=dtype)
            _fill(f, memoryview(flat.view(np.uint8)), "the array")
        except InvalidArchive as e:
            raise ValueError(f"{path}: not a valid .npy {what}: {one_line(e)}") from None
    array = flat.reshape(shape, order="F" if fortran else "C")
    return np.ascontiguousarray(array) if fortran and array.ndim > 1 else array


@contextmanager
def open_archive(path: str | os.PathLike, kind: str) -> Iterator[Archive]:
    """Open a ``.npz`` archive and check its members' ZIP entries; yield an :class:`Archive`.

    Any fault met inside the ``with`` block, from a wrong field (:class:`InvalidArchive`) to a
    truncated or corrupt archive, becomes one one-line ``ValueError`` that names ``path`` and
    ``kind`` (``"deltaprop model"``, ``"deltaprop checkpoint"``, ``"data archive"``).
    ``PermissionError`` and ``FileNotFoundError`` propagate as they are.
    """
    try:
        size = os.stat(path).st_size
        with zipfile.ZipFile(path) as zf:
            yield Archive(zf, _checked_entries(zf, size))
    except InvalidArchive as e:
        raise ValueError(f"{path}: not a valid {kind}: {one_line(e)}") from None
    except (PermissionError, FileNotFoundError, IsADirectoryError):
        raise
    except _READ_ERRORS as e:
        raise ValueError(f"{path}: not a valid {kind}: unreadable or truncated ({one_line(e) or type(e).__name__})") from None


def _checked_entries(zf: zipfile.ZipFile, size: int) -> dict[str, zipfile.ZipInfo]:
    """Check every ZIP entry against the file and the limits; return them by name without ``.npy``."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InvalidArchive(f"it has {len(infos)} members, more than the {MAX_MEMBERS} allowed")
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename.removesuffix(".npy")
        if not info.filename.endswith(".npy") or not name:
            raise InvalidArchive(f"member {info.filename!r} is not a .npy array")
        if name in entries:
            raise InvalidArchive(f"member {info.filename!r} appears twice")
        if info.flag_bits & 0x1:
            raise InvalidArchive(f"member {info.filename!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2):
            # LZMA is refused too: its header may ask the decoder for a dictionary of gigabytes
            raise InvalidArchive(
                f"member {info.filename!r} uses compression method {info.compress_type}; only stored, deflated and bzip2 members are read"
            )
        if info.header_offset + info.compress_size > size:
            raise InvalidArchive(f"member {info.filename!r} declares {info.compress_size} stored bytes, beyond the file's {size}")
        if info.file_size > MAX_MEMBER_BYTES:
            raise InvalidArchive(f"member {info.filename!r} declares {info.file_size} bytes, more than the limit of {MAX_MEMBER_BYTES}")
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise InvalidArchive(f"member {info.filename!r} is stored uncompressed but declares {info.file_size} bytes in {info.compress_size}")
        if info.file_size > RATIO_FREE_BYTES and info.file_size > MAX_RATIO * info.compress_size:
            raise InvalidArchive(
                f"member {info.filename!r} declares {info.file_size} bytes compressed into {info.compress_size}, "
                f"more than {MAX_RATIO} times (refused: a compression bomb?)"
            )
        entries[name] = info
    return entries
