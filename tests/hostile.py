"""Hostile files, and running the CLI on them with its peak memory measured.

:func:`run_cli` runs ``python -m deltaprop`` in a child process and reads that child's own peak
RSS from ``os.wait4``; :func:`assert_refused` checks the outcome every hostile-file case must
have (exit 2, one line on stderr, no traceback, no out-of-memory, under 1 GB). The builders
write ZIP archives byte by byte, so that a test can declare what real tools would never write
(a 1 GiB member deflated to 1 MB, a 1 GiB stored member in a sparse file, an encrypted flag, an
unknown compression method), and ``.npy`` members with any header.
"""

from __future__ import annotations

import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Every hostile case must stay under this peak RSS.
RSS_LIMIT = 1 << 30
#: The child's address space is capped here, so that a regression fails fast instead of
#: swapping the machine to death (it shows as "not enough memory", which the tests refuse).
_ADDRESS_SPACE = 6 << 30


@dataclass
class Outcome:
    """What one CLI run did: exit status, output, and its peak resident memory in bytes."""

    code: int
    out: str
    err: str
    peak_rss: int


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_ADDRESS_SPACE, _ADDRESS_SPACE))


def run_cli(*argv: object, env: dict[str, str] | None = None, timeout: float = 120) -> Outcome:
    """Run ``python -m deltaprop argv`` and measure the child's own peak RSS (``os.wait4``)."""
    child_env = dict(os.environ if env is None else env)
    child_env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "deltaprop", *map(str, argv)], stdout=out, stderr=err, env=child_env, preexec_fn=_limit_memory
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                os.wait4(process.pid, 0)
                process.returncode = -9
                raise TimeoutError(f"deltaprop {' '.join(map(str, argv))} ran longer than {timeout} s")
            time.sleep(0.01)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Outcome(process.returncode, out.read(), err.read(), usage.ru_maxrss * 1024)  # Linux counts KiB


def assert_refused(outcome: Outcome, *fragments: str) -> None:
    """Exit 2, one ``deltaprop: error:`` line holding every fragment, no traceback, no
    out-of-memory, peak RSS under :data:`RSS_LIMIT`."""
    assert outcome.code == 2, outcome
    assert "Traceback" not in outcome.err and "not enough memory" not in outcome.err, outcome
    lines = outcome.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("deltaprop: error: "), outcome
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert outcome.peak_rss < RSS_LIMIT, f"peak RSS {outcome.peak_rss / 2**20:.0f} MiB"


def assert_ran(outcome: Outcome) -> None:
    """Exit 0 with no traceback, peak RSS under :data:`RSS_LIMIT`."""
    assert outcome.code == 0 and "Traceback" not in outcome.err, outcome
    assert outcome.peak_rss < RSS_LIMIT, f"peak RSS {outcome.peak_rss / 2**20:.0f} MiB"


# ---------------------------------------------------------------------------- .npy members
def npy_header(descr: str, shape: tuple[int, ...], fortran: bool = False, text: str | None = None) -> bytes:
    """The bytes of a version 1.0 ``.npy`` header: for these fields, or for ``text`` as it is."""
    body = text if text is not None else repr({"descr": descr, "fortran_order": fortran, "shape": shape})
    raw = body.encode("latin-1")
    pad = -(10 + len(raw) + 1) % 64
    raw += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw


def npy(array: np.ndarray) -> bytes:
    """The bytes ``np.save`` writes for ``array``."""
    return npy_header(array.dtype.str, array.shape) + np.ascontiguousarray(array).tobytes()


def text_member(code_points: list[int]) -> bytes:
    """A 0-d ``<U`` member holding these code points, valid or not (UTF-32-LE, unchecked)."""
    return npy_header(f"<U{len(code_points)}", ()) + b"".join(struct.pack("<I", c) for c in code_points)


# ---------------------------------------------------------------------------- ZIP archives
@dataclass
class Member:
    """One ZIP entry as written: ``data`` is what is stored (already compressed, when it is)."""

    name: str
    data: bytes
    size: int  # the uncompressed size the entry declares
    crc: int
    method: int = 0
    flags: int = 0
    gap: int = 0  # zero bytes of stored data written as a hole (sparse) after ``data``


def stored(name: str, data: bytes) -> Member:
    return Member(name, data, len(data), zlib.crc32(data))


def deflated_zeros(name: str, head: bytes, zeros: int) -> Member:
    """``head`` followed by ``zeros`` zero bytes, deflated (about 1000 to 1): a compression bomb.

    With a full flush every 16 MiB the deflate state is reset, so each 16 MiB block of zeros
    compresses to the same bytes: only one is computed, however large the member."""
    block = 1 << 24
    assert zeros % block == 0
    z = bytes(block)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.compress(z) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(z) + c.flush(zlib.Z_FULL_FLUSH)
    data = first + again * (zeros // block - 1) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(zeros // block):
        crc = zlib.crc32(z, crc)
    return Member(name, data, len(head) + zeros, crc, method=zipfile.ZIP_DEFLATED)


def stored_sparse_zeros(name: str, head: bytes, zeros: int) -> Member:
    """``head`` followed by ``zeros`` zero bytes, stored; the zeros are a hole in the file."""
    crc = zlib.crc32(head)
    block = bytes(1 << 24)
    left = zeros
    while left:
        n = min(left, len(block))
        crc = zlib.crc32(block[:n], crc)
        left -= n
    return Member(name, head, len(head) + zeros, crc, gap=zeros)



def write_zip(path: Path, members: list[Member]) -> Path:
    """Write a ZIP archive of ``members`` exactly as given (sizes under 4 GiB: no ZIP64)."""
    central = b""
    with open(path, "wb") as f:
        for m in members:
            offset = f.tell()
            name = m.name.encode()
            stored_size = len(m.data) + m.gap
            f.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, m.flags, m.method, 0, 0x21, m.crc, stored_size, m.size, len(name), 0))
            f.write(name)
            f.write(m.data)
            if m.gap:
                f.seek(m.gap, os.SEEK_CUR)
            central += struct.pack(
                "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, m.flags, m.method, 0, 0x21, m.crc, stored_size, m.size, len(name), 0, 0, 0, 0, 0,
                offset,
            ) + name
        start = f.tell()
        f.write(central)
        f.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), start, 0))
    return path


def members_of(path: Path) -> dict[str, bytes]:
    """The uncompressed members of a (small, valid) archive, by name."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
