"""The IDX file format of MNIST and Fashion-MNIST: read, write, and load the standard folder.

An IDX file is a header and a payload, both big-endian::

    byte 0, 1   zero, zero                      (the magic number's first half)
    byte 2      dtype code                      0x08 uint8, 0x09 int8, 0x0B int16,
                                                0x0C int32, 0x0D float32, 0x0E float64
    byte 3      rank r                          (1 … 255)
    r × uint32  the dimensions, outermost first
    payload     prod(dimensions) items in C order

:func:`read_idx` takes the file raw or gzip-compressed (recognised by its magic bytes
``1f 8b``, not by its name) and trusts nothing in it: before it allocates anything it checks the
payload the header declares against :data:`MAX_PAYLOAD_BYTES` and against the file's real size
(exactly, for a raw file; at most :data:`~deltaprop.archive.MAX_RATIO` times it, for a gzip
file), then reads the payload in 4 MiB pieces straight into the array, so a hostile header
promising exabytes, or a sparse file of terabytes, costs nothing. :func:`write_idx` writes atomically (temporary file, then
rename), compressed when the name ends with ``.gz``. :func:`load_idx_folder` reads the four
files of the standard MNIST layout (:data:`STANDARD_FILES`) into ``((X_train, y_train),
(X_test, y_test))`` with X float32 ``(n, rows·cols)`` in [0, 1] and y int64 ``(n,)``.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import IO

import numpy as np

from ..archive import MAX_RATIO, RATIO_FREE_BYTES
from ..atomic import atomic_write

__all__ = ["STANDARD_FILES", "MAX_PAYLOAD_BYTES", "load_idx_folder", "read_idx", "write_idx"]

#: The most payload bytes an IDX header may declare (16 GiB; MNIST's training images are 47 MB).
MAX_PAYLOAD_BYTES = 1 << 34

#: the four files of the MNIST layout, in the order train images, train labels, test images,
#: test labels; each may also be present with a ``.gz`` suffix
STANDARD_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

#: IDX dtype code → big-endian NumPy dtype of the payload
_CODE_TO_DTYPE: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
#: (kind, itemsize) → IDX dtype code; byte order does not matter when writing
_KIND_TO_CODE: dict[tuple[str, int], int] = {(dt.kind, dt.itemsize): code for code, dt in _CODE_TO_DTYPE.items()}
_ALLOWED = "uint8, int8, int16, int32, float32, float64"

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 22  # payload is read in pieces of at most 4 MiB, never in one header-sized gulp

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def read_idx(path: str | os.PathLike[str], mmap: bool = False) -> np.ndarray:
    """Read an IDX file, raw or gzip-compressed.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Compression is recognised by the gzip magic bytes ``1f 8b``; the name's
        suffix plays no part.
    mmap : bool
        Map an uncompressed file's payload read-only instead of reading it (after the same
        checks of its header and length): a process then reads only the pages of the rows it
        touches. A compressed file cannot be mapped and is read.

    Returns
    -------
    numpy.ndarray
        A new, writable, native-endian array of the shape and dtype the header declares; with
        ``mmap``, a read-only ``numpy.memmap`` in the file's (big-endian) byte order.

    Raises
    ------
    ValueError
        The message starts with the path and names the problem: empty file, bad magic,
        unknown dtype code, rank 0, truncated header or payload, trailing bytes after the
        payload, or a truncated or corrupt gzip stream.
    OSError
        The file cannot be opened (missing, a folder, no permission).
    """
    with open(path, "rb") as raw:
        size = os.fstat(raw.fileno()).st_size
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not compressed:
            return _map(raw, path) if mmap else _parse(raw, path, False, size)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as f:
                return _parse(f, path, True, size)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise ValueError(f"{path}: truncated or corrupt gzip stream ({exc})") from None


def _parse(f: IO[bytes], path: str | os.PathLike[str], compressed: bool, size: int) -> np.ndarray:
    """Check the header read from ``f`` and the payload it declares against the file's ``size``
    and the limits, then read the payload into the array and check its length."""
    shape, dtype = _header(f, path, compressed)
    expected = math.prod(shape) * dtype.itemsize  # Python int: no overflow, nothing allocated
    if not compressed:
        _check_length(path, shape, dtype, size - f.tell())
    _check_declared(path, shape, dtype, size if compressed else None)
    flat = np.empty(math.prod(shape), dtype=dtype)
    got = _read_into(f, memoryview(flat.view(np.uint8)))
    _check_length(path, shape, dtype, got if got < expected or not f.read(1) else expected + 1)
    return flat.reshape(shape).astype(dtype.newbyteorder("="))


def _check_declared(path: str | os.PathLike[str], shape: tuple[int, ...], dtype: np.dtype, gzip_size: int | None) -> None:
    """Raise when the payload ``shape`` of ``dtype`` declares passes :data:`MAX_PAYLOAD_BYTES`,
    or, for a gzip file of ``gzip_size`` bytes, :data:`~deltaprop.archive.MAX_RATIO` times it."""
    expected = math.prod(shape) * dtype.itemsize
    name = dtype.newbyteorder("=").name
    if expected > MAX_PAYLOAD_BYTES:
        raise ValueError(
            f"{path}: shape {_shape(shape)} of {name} declares {_bytes(expected)} bytes, "
            f"more than the limit of {MAX_PAYLOAD_BYTES} (MAX_PAYLOAD_BYTES)"
        )
    if gzip_size is not None and expected > RATIO_FREE_BYTES and expected > MAX_RATIO * gzip_size:
        raise ValueError(
            f"{path}: shape {_shape(shape)} of {name} declares {expected} bytes in a gzip file of {gzip_size}, "
            f"more than {MAX_RATIO} times as many (refused: a compression bomb?)"
        )


def _read_into(f: IO[bytes], out: memoryview) -> int:
    """Fill ``out`` from ``f`` in pieces of at most 4 MiB; return the bytes read (fewer at end of file)."""
    done = 0
    while done < len(out):
        chunk = f.read(min(_CHUNK, len(out) - done))
        if not chunk:
            break
        out[done : done + len(chunk)] = chunk
        done += len(chunk)
    return done


def _map(f: IO[bytes], path: str | os.PathLike[str]) -> np.ndarray:
    """Check the header read from the uncompressed file ``f`` and its length; map the payload."""
    shape, dtype = _header(f, path, compressed=False)
    offset = f.tell()
    _check_length(path, shape, dtype, os.fstat(f.fileno()).st_size - offset)
    _check_declared(path, shape, dtype, None)
    if math.prod(shape) == 0:
        return np.empty(shape, dtype=dtype)
    return np.memmap(f, dtype=dtype, mode="r", offset=offset, shape=shape)


def _header(f: IO[bytes], path: str | os.PathLike[str], compressed: bool) -> tuple[tuple[int, ...], np.dtype]:
    """Read and check the header at the start of ``f``; return the (shape, dtype) it declares."""
    magic = _read_at_most(f, 4)
    if not magic:
        raise ValueError(f"{path}: empty file" + (" (the gzip stream holds no data)" if compressed else ""))
    if len(magic) < 4:
        raise ValueError(f"{path}: truncated header: {len(magic)} bytes, an IDX header needs at least 4")
    if magic[:2] != b"\x00\x00":
        raise ValueError(
            f"{path}: bad magic {magic.hex(' ')}: an IDX file starts with two zero bytes, "
            "a dtype code and a rank"
        )
    code, rank = magic[2], magic[3]
    if code not in _CODE_TO_DTYPE:
        known = ", ".join(f"0x{c:02X}" for c in _CODE_TO_DTYPE)
        raise ValueError(f"{path}: unknown dtype code 0x{code:02X}; IDX knows {known}")
    if rank == 0:
        raise ValueError(f"{path}: rank 0 in the header; an IDX array has 1 to 255 dimensions")
    raw_dims = _read_at_most(f, 4 * rank)
    if len(raw_dims) < 4 * rank:
        raise ValueError(
            f"{path}: truncated header: rank {rank} needs {4 * rank} bytes of dimensions, "
            f"the file holds {len(raw_dims)}"
        )
    return struct.unpack(f">{rank}I", raw_dims), _CODE_TO_DTYPE[code]


def _check_length(path: str | os.PathLike[str], shape: tuple[int, ...], dtype: np.dtype, length: int) -> None:
    """Raise unless a payload of ``length`` bytes is what ``shape`` of ``dtype`` promises."""
    expected = math.prod(shape) * dtype.itemsize  # Python int: no overflow, nothing allocated
    if length < expected:
        raise ValueError(
            f"{path}: truncated payload: shape {_shape(shape)} of {dtype.newbyteorder('=').name} promises "
            f"{_bytes(expected)} bytes, the file holds {length}"
        )
    if length > expected:
        raise ValueError(
            f"{path}: trailing bytes after the {expected}-byte payload that shape {_shape(shape)} of "
            f"{dtype.newbyteorder('=').name} promises"
        )


def _shape(shape: tuple[int, ...]) -> str:
    """A shape for a message: all of it up to rank 8, else its rank and first dimensions."""
    return str(shape) if len(shape) <= 8 else f"({', '.join(map(str, shape[:4]))}, … rank {len(shape)})"


def _bytes(n: int) -> str:
    """A byte count for a message: exact up to 2**64, else its power of two."""
    return str(n) if n <= 1 << 64 else f"about 2**{n.bit_length() - 1}"


def _read_at_most(f: IO[bytes], n: int) -> bytearray:
    """Read up to ``n`` bytes, stopping at end of file; memory grows only with what is there."""
    out = bytearray()
    while len(out) < n:
        chunk = f.read(min(_CHUNK, n - len(out)))
        if not chunk:
            break
        out += chunk
    return out


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, atomically; gzip-compressed when ``path`` ends with ``.gz``.

    Parameters
    ----------
    path : str or os.PathLike
        Destination. It is written to a temporary file in the same folder and renamed, so a
        reader sees the old file or the complete new one.
    array : array_like
        Of dtype uint8, int8, int16, int32, float32 or float64 (either byte order), with 1 to
        255 dimensions, each below 2**32.

    Raises
    ------
    ValueError
        The dtype has no IDX code, the rank is 0 or above 255, or a dimension is 2**32 or more.
    """
    array = np.asarray(array)
    code = _KIND_TO_CODE.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise ValueError(f"array dtype {array.dtype} has no IDX code; allowed: {_ALLOWED}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"array rank {array.ndim} cannot be written as IDX; allowed: 1 to 255 dimensions")
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(f"array shape {array.shape} cannot be written as IDX; each dimension must be below 2**32")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = np.ascontiguousarray(array, dtype=_CODE_TO_DTYPE[code]).reshape(-1).view(np.uint8)
    path = Path(path)
    with atomic_write(path, "wb") as f:
        if path.name.endswith(".gz"):
            # name the final file, not the temporary one; mtime 0 makes the bytes reproducible
            with gzip.GzipFile(filename=path.name, mode="wb", fileobj=f, mtime=0) as gz:
                gz.write(header)
                gz.write(payload)
        else:
            f.write(header)
            f.write(payload)


def load_idx_folder(folder: str | os.PathLike[str], raw: bool = False, mmap: bool = False) -> Split:
    """Load the four standard MNIST-layout files from ``folder``.

    Parameters
    ----------
    folder : str or os.PathLike
        Holds the names of :data:`STANDARD_FILES`, each raw or with ``.gz`` (the raw one is
        taken when both are there).
    raw : bool
        Keep the pixels' values 0…255 instead of scaling them to [0, 1].
    mmap : bool
        Map the uncompressed images files instead of reading them (see :func:`read_idx`):
        X is then the files' uint8 pixels as a read-only ``numpy.memmap`` of shape
        ``(n, rows * cols)``, never copied; needs ``raw``. The labels are read.

    Returns
    -------
    ((X_train, y_train), (X_test, y_test))
        X float32 of shape ``(n, rows * cols)``, pixels scaled from 0…255 to [0, 1] (unless
        ``raw``; mapped uint8 with ``mmap``); y int64 of shape ``(n,)``.

    Raises
    ------
    FileNotFoundError
        One of the four files is missing; the message names it and the folder.
    ValueError
        Images are not rank 3 uint8, labels not rank 1 integers, image and label counts
        differ, or training and test images differ in size; or a file is malformed
        (see :func:`read_idx`).
    """
    if mmap and not raw:
        raise ValueError("mmap=True keeps the files' pixels 0…255 as they are: it needs raw=True")
    folder = Path(folder)
    paths = [_find(folder, name) for name in STANDARD_FILES]
    train = _pair(paths[0], paths[1], raw, mmap)
    test = _pair(paths[2], paths[3], raw, mmap)
    if train[0].shape[1] != test[0].shape[1]:
        raise ValueError(
            f"{paths[0]} holds images of {train[0].shape[1]} pixels but {paths[2]} "
            f"holds images of {test[0].shape[1]} pixels"
        )
    return train, test


def _find(folder: Path, name: str) -> Path:
    """``folder/name`` if it exists, else ``folder/name.gz``, else FileNotFoundError."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{name} (or {name}.gz) not found in {folder}")


def _pair(images_path: Path, labels_path: Path, raw: bool, mmap: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Read (or map) and check one images file and its labels file; return (X, y)."""
    images = read_idx(images_path, mmap=mmap)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{images_path}: images must be rank 3 uint8 (n, rows, cols); "
            f"got rank {images.ndim} {images.dtype} of shape {images.shape}"
        )
    labels = read_idx(labels_path)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"{labels_path}: labels must be rank 1 integers (n,); "
            f"got rank {labels.ndim} {labels.dtype} of shape {labels.shape}"
        )
    if len(images) == 0 or images.shape[1] * images.shape[2] == 0:
        raise ValueError(f"{images_path}: holds {len(images)} images of {images.shape[1]}×{images.shape[2]} pixels; a data set needs at least one image of at least one pixel")
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    n, rows, cols = images.shape
    if mmap:
        return images.reshape(n, rows * cols), labels.astype(np.int64)
    X = images.reshape(n, rows * cols).astype(np.float32)
    if not raw:
        X /= np.float32(255)
    return X, labels.astype(np.int64)
