"""The reading layer for untrusted .npz archives: every fault one ValueError, nothing allocated
before the declared sizes are checked against the file and the limits."""

from __future__ import annotations

import re

import numpy as np
import pytest

from deltaprop import archive
from deltaprop.archive import open_archive
from tests import hostile


def read_all(path):
    with open_archive(path, "test archive") as a:
        return {name: a.read(name) for name in sorted(a.names)}


def refused(path, problem):
    return pytest.raises(ValueError, match=f"^{re.escape(f'{path}: not a valid test archive: {problem}')}")


def test_members_read_back_exactly_in_c_order(tmp_path):
    a = np.arange(12, dtype=">f8").reshape(3, 4)
    path = hostile.write_zip(tmp_path / "a.npz", [
        hostile.stored("a.npy", hostile.npy(a)),
        hostile.stored("f.npy", hostile.npy_header("<i8", (3, 4), fortran=True) + np.asfortranarray(a.astype("<i8")).tobytes(order="F")),
    ])
    got = read_all(path)
    np.testing.assert_array_equal(got["a"], a)
    np.testing.assert_array_equal(got["f"], a.astype(np.int64))
    assert got["f"].flags.c_contiguous


def test_a_stored_member_whose_sizes_disagree_is_refused(tmp_path):
    member = hostile.stored("a.npy", hostile.npy(np.zeros(4)))
    member.size += 1000
    path = hostile.write_zip(tmp_path / "a.npz", [member])
    with refused(path, f"member 'a.npy' is stored uncompressed but declares {member.size} bytes in {len(member.data)}"):
        read_all(path)


def test_a_member_beyond_the_end_of_the_file_is_refused(tmp_path):
    path = hostile.write_zip(tmp_path / "a.npz", [hostile.stored("a.npy", hostile.npy(np.zeros(1000)))])
    raw = bytearray(path.read_bytes())
    start = raw.index(b"PK\x01\x02")
    raw[start + 20 : start + 28] = (10**8).to_bytes(4, "little") * 2  # the central directory's sizes
    path.write_bytes(bytes(raw))
    with refused(path, "member 'a.npy' declares 100000000 stored bytes, beyond the file's"):
        read_all(path)


def test_the_limits_are_applied_before_reading(tmp_path, monkeypatch):
    path = hostile.write_zip(tmp_path / "a.npz", [hostile.stored(f"m{i}.npy", hostile.npy(np.zeros(64))) for i in range(3)])
    monkeypatch.setattr(archive, "MAX_MEMBERS", 2)
    with refused(path, "it has 3 members, more than the 2 allowed"):
        read_all(path)
    monkeypatch.setattr(archive, "MAX_MEMBERS", 10)
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 100)
    with refused(path, "member 'm0.npy' declares 640 bytes, more than the limit of 100"):
        read_all(path)


def test_a_name_twice_is_refused(tmp_path):
    member = hostile.stored("a.npy", hostile.npy(np.zeros(2)))
    path = hostile.write_zip(tmp_path / "a.npz", [member, member])
    with refused(path, "member 'a.npy' appears twice"):
        read_all(path)


@pytest.mark.parametrize(
    "text,problem",
    [
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "its .npy header must hold exactly descr, fortran_order and shape"),
        ("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,)}", "its .npy header has a descr [('a', '<f8')] or fortran_order False of the wrong type"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (-2,)}", "its .npy shape must be a tuple of at most 32 integers ≥ 0; got (-2,)"),
        ("{'descr': 'nonsense', 'fortran_order': False, 'shape': (2,)}", "its .npy dtype 'nonsense' is not a NumPy dtype"),
        ("{'descr': '<M8[s]', 'fortran_order': False, 'shape': (2,)}", "dtype '<M8[s]' is refused (only booleans, numbers and text)"),
        ("(" * 10000, "its .npy header is not a Python literal"),
        ("__import__('os').system('false')", "its .npy header is not a Python literal"),
    ],
)
def test_npy_headers_are_parsed_here_and_checked_field_by_field(tmp_path, text, problem):
    path = hostile.write_zip(tmp_path / "a.npz", [hostile.stored("a.npy", hostile.npy_header("", (), text=text) + bytes(16))])
    with refused(path, f"a: {problem}"):
        read_all(path)


def test_a_big_endian_text_header_decodes(tmp_path):
    text = '{"x": "ü"}'
    raw = hostile.npy_header(f">U{len(text)}", ()) + text.encode("utf-32-be")
    path = hostile.write_zip(tmp_path / "a.npz", [hostile.stored("header.npy", raw)])
    with open_archive(path, "test archive") as a:
        assert a.text("header", 100) == text
        with pytest.raises(archive.InvalidArchive, match="holds 10 characters, more than the 5 allowed"):
            a.text("header", 5)


def test_one_line():
    assert archive.one_line("a\nb\r\n  c\t") == "a b c"


# ---------------------------------------------------------------------------- bare .npy files
def test_a_bare_npy_reads_back_and_a_hostile_one_is_refused(tmp_path):
    good = tmp_path / "x.npy"
    np.save(good, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(archive.read_npy(good, "input"), np.arange(6.0).reshape(2, 3))
    for name, raw, problem in [
        ("brace.npy", hostile.npy_header("", (), text="{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), ") + bytes(48),
         "the array: its .npy header is not a Python literal"),
        ("huge.npy", hostile.npy_header("<f8", (2**40, 784)) + bytes(64), f"the array declares float64 of shape (1099511627776, 784) ({8 * 784 * 2**40} bytes) but holds 64 bytes of data"),
        ("objects.npy", hostile.npy_header("|O", (2,)) + bytes(16), "the array: holds Python objects"),
    ]:
        path = tmp_path / name
        path.write_bytes(raw)
        with pytest.raises(ValueError, match=f"^{re.escape(f'{path}: not a valid .npy input: {problem}')}"):
            archive.read_npy(path, "input")


def test_predict_refuses_a_hostile_npy_input_in_one_line(tmp_path):
    from deltaprop import Network, save

    model = save(Network([3, 4, 2]), tmp_path / "m.npz")
    path = tmp_path / "x.npy"
    path.write_bytes(hostile.npy_header("<f4", (2**40, 3)) + bytes(12))
    hostile.assert_refused(hostile.run_cli("predict", model, path), f"{path}: not a valid .npy input: the array declares float32")
