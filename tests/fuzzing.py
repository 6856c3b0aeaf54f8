"""Fuzzing the readers: hypothesis mutations of real files, and the one outcome allowed.

Each fuzz target (marked slow: ``pytest -m slow -k fuzz``) starts from a corpus of real files
that its test writes (models of trained networks, checkpoints of real runs, digits as .npz, IDX
and CSV), mutates them (plain functions of hypothesis's ``draw``, so that no strategy holds a whole file)
— bytes (flips, overwrites with edge values, insertions, cuts), ZIP
structure (members dropped, renamed, duplicated, compressed, flagged, their declared sizes and
CRCs changed), ``.npy`` headers (descr, shape, order, raw text) and JSON headers (any value put
anywhere) — and feeds the result to the reader. :func:`outcome_is_allowed` is the property: the
reader returns, or raises exactly ``ValueError`` with a one-line message that starts with the
file's path; anything else (another exception, a MemoryError, a peak RSS of 1 GB) fails.

``DELTAPROP_FUZZ_SECONDS`` (default 20) is how long each target runs: batches of examples until
the time is spent, each batch a fresh hypothesis run.
"""

from __future__ import annotations

import io
import json
import os
import resource
import struct
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests import hostile

#: Bytes worth writing over others: zeros, all ones, sign bits, a ZIP and an .npy magic.
EDGE_BYTES = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\xff\xff\xff\xff", b"\x00\x00\x00\x80", b"PK\x03\x04", b"\x93NUMPY"]
#: Values worth putting anywhere in a JSON header.
EDGE_VALUES = [None, True, 0, -1, 2**31, 2**63, 2**200, 1e308, -1e-308, "", "x" * 1000, "\ud800", [], {}, [[[]]], 1.5]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20) | st.sampled_from(EDGE_VALUES),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


def seconds() -> float:
    """How long each fuzz target runs (``DELTAPROP_FUZZ_SECONDS``, default 20)."""
    return float(os.environ.get("DELTAPROP_FUZZ_SECONDS", "20"))


def run_for(test: Callable[[], None], budget: float | None = None) -> int:
    """Run a hypothesis test (decorated with :func:`fuzz_settings`) batch after batch until
    ``budget`` seconds (default :func:`seconds`) are spent; return the number of batches."""
    start = time.monotonic()
    end = start + (seconds() if budget is None else budget)
    batches = 0
    while time.monotonic() < end or batches == 0:
        test()
        batches += 1
    print(f"\n{test.__qualname__}: {batches} batches of {fuzz_settings.max_examples} examples in {time.monotonic() - start:.0f} s")
    return batches


fuzz_settings = settings(
    max_examples=200, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def outcome_is_allowed(read: Callable[[], object], path: Path, prefix: str | None = None) -> None:
    """Call ``read``; it must return, or raise exactly ValueError in one line starting with
    ``prefix`` (default: ``path``), and leave the process under 1 GB of peak RSS."""
    try:
        read()
    except ValueError as e:
        message = str(e)
        assert type(e) is ValueError, f"{type(e).__name__} escaped: {message}"
        assert "\n" not in message and "\r" not in message, f"a message of several lines: {message!r}"
        assert message.startswith(prefix or str(path)), f"a message that does not name the file: {message!r}"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert peak < hostile.RSS_LIMIT, f"peak RSS {peak / 2**20:.0f} MiB"


# ---------------------------------------------------------------------------- byte mutations
def mutated_bytes(draw: st.DrawFn, seed: bytes, max_mutations: int = 4) -> bytes:
    """``seed`` with 1 to ``max_mutations`` byte-level mutations."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, max_mutations))):
        kind = draw(st.sampled_from(["flip", "edge", "insert", "delete", "cut", "repeat"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "edge":
            value = draw(st.sampled_from(EDGE_BYTES))
            data[at : at + len(value)] = value
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "cut":
            del data[at:]
        elif kind == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 256))]
    return bytes(data)


# ---------------------------------------------------------------------------- archive mutations
def members_of(raw: bytes) -> dict[str, bytes]:
    """The members of a valid archive, uncompressed, by name."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _npy_fields(data: bytes) -> tuple[dict, bytes]:
    """The header dict and the data of a valid .npy member."""
    f = io.BytesIO(data)
    version = np.lib.format.read_magic(f)
    shape, fortran, dtype = (np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0)(f)
    return {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": fortran, "shape": shape}, f.read()


def mutated_archive(draw: st.DrawFn, seed: bytes, json_member: str | None = "header.npy") -> bytes:
    """An archive made from ``seed``'s members after 1 to 3 structural mutations, written with
    entry fields (method, flags, sizes, CRC) that may lie; sometimes byte-mutated after."""
    members = members_of(seed)
    for _ in range(draw(st.integers(1, 3))):
        names = sorted(members)
        name = draw(st.sampled_from(names))
        kind = draw(st.sampled_from(["drop", "rename", "duplicate", "npy-fields", "npy-text", "data", "json"] if json_member else
                                    ["drop", "rename", "duplicate", "npy-fields", "npy-text", "data"]))
        if kind == "drop" and len(members) > 1:
            del members[name]
        elif kind == "rename":
            members[draw(st.sampled_from([name + "x", name.removesuffix(".npy"), "W9.npy", "order.npy", "junk.npy", "param0.npy", "y.npy"]))] = members.pop(name)
        elif kind == "duplicate":
            members[draw(st.text(min_size=1, max_size=6)) + ".npy"] = members[name]
        elif kind == "npy-fields":
            try:
                fields, data = _npy_fields(members[name])
            except Exception:  # an earlier mutation broke it already
                continue
            key = draw(st.sampled_from(["descr", "fortran_order", "shape"]))
            fields[key] = draw({
                "descr": st.sampled_from(["<f4", "<f8", ">f4", "<i8", "|b1", "|u1", "<U4", "|O", "<c8", "<M8[s]", "V8", "|S3"]),
                "fortran_order": st.booleans(),
                "shape": st.lists(st.sampled_from([0, 1, 2, 3, 10, 2**16, 2**31, 2**32 - 1, 2**62]), max_size=4).map(tuple),
            }[key])
            members[name] = hostile.npy_header("", (), text=repr(fields)) + data
        elif kind == "npy-text":
            text = draw(st.text(st.characters(max_codepoint=255), max_size=80))
            members[name] = hostile.npy_header("", (), text=text) + members[name][128:]
        elif kind == "data":
            members[name] = mutated_bytes(draw, members[name], max_mutations=2)
        elif kind == "json" and json_member in members:
            members[json_member] = _mutated_json_member(draw, members[json_member])
    entries = []
    for name, data in members.items():
        method = draw(st.sampled_from([zipfile.ZIP_STORED] * 6 + [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, 99]))
        entry = _entry(name, data, method)
        if draw(st.integers(0, 9)) == 0:  # a lying entry
            field = draw(st.sampled_from(["size", "crc", "flags"]))
            values = [0, 1, 8, 0x800, 0xFFFF] if field == "flags" else [0, 1, 2**16, 2**31, 2**32 - 1]
            setattr(entry, field, draw(st.sampled_from(values)))
        entries.append(entry)
    buffer = io.BytesIO()
    _write_entries(buffer, entries)
    raw = buffer.getvalue()
    return mutated_bytes(draw, raw, max_mutations=2) if draw(st.integers(0, 4)) == 0 else raw


def _mutated_json_member(draw: st.DrawFn, data: bytes) -> bytes:
    """A JSON header member with one value anywhere replaced (or added) by a drawn one."""
    try:
        header = json.loads(str(np.load(io.BytesIO(data))))
    except Exception:
        return data
    box, path = header, []
    while isinstance(box, (dict, list)) and box and draw(st.integers(0, 2)):
        key = draw(st.sampled_from(sorted(box) if isinstance(box, dict) else range(len(box))))
        path.append(key)
        if not isinstance(box[key], (dict, list)):
            break
        box = box[key]
    value = draw(json_values)
    if isinstance(box, dict):
        box[draw(st.sampled_from(sorted(box) or ["new"]) | st.text(max_size=8))] = value
    elif isinstance(box, list) and box:
        box[draw(st.integers(0, len(box) - 1))] = value
    else:
        header = value
    text = json.dumps(header)
    return hostile.npy_header(f"<U{max(len(text), 1)}", ()) + text.encode("utf-32-le", "surrogatepass")


def _entry(name: str, data: bytes, method: int) -> hostile.Member:
    if method == zipfile.ZIP_DEFLATED:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        stored = c.compress(data) + c.flush()
    elif method == zipfile.ZIP_BZIP2:
        import bz2

        stored = bz2.compress(data)
    elif method == zipfile.ZIP_LZMA:
        import lzma

        stored = b"\x09\x04\x05\x00" + lzma.compress(data, format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA1}])[:64]
    else:
        stored = data
    return hostile.Member(name, stored, len(data), zlib.crc32(data), method=method)


def _write_entries(f: io.BytesIO, entries: list[hostile.Member]) -> None:
    """Write entries as :func:`tests.hostile.write_zip` does, into a buffer."""
    central = b""
    for m in entries:
        offset = f.tell()
        name = m.name.encode("utf-8", "surrogatepass")
        f.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, m.flags, m.method, 0, 0x21, m.crc, len(m.data), m.size, len(name), 0))
        f.write(name + m.data)
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, m.flags, m.method, 0, 0x21, m.crc, len(m.data), m.size, len(name), 0, 0, 0, 0, 0, offset
        ) + name
    start = f.tell()
    f.write(central + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), start, 0))


def corpus_entry(draw: st.DrawFn, files: dict[str, bytes]) -> bytes:
    """Draw one file of the corpus (by name: a strategy over the bytes themselves would show
    them whole in its repr)."""
    return files[draw(st.sampled_from(sorted(files)))]

