"""The IDX format: bit-exact round trips, a known file byte for byte, every corruption refused."""

from __future__ import annotations

import gzip
import re
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as xnp

from deltaprop.datasets.idx import STANDARD_FILES, load_idx_folder, read_idx, write_idx
from tests import hostile

CODES = {0x08: "uint8", 0x09: "int8", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64"}


def header(code: int, *shape: int) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# --- round trips -------------------------------------------------------------------------


@st.composite
def idx_arrays(draw):
    """Any IDX dtype, rank 1–4, dims 0–3; hypothesis's edge values or random bit patterns."""
    dtype = np.dtype(draw(st.sampled_from(sorted(CODES.values()))))
    shape = tuple(draw(st.lists(st.integers(0, 3), min_size=1, max_size=4)))
    if draw(st.booleans()):  # extremes, NaN, ±inf, -0.0, subnormals
        return draw(xnp.arrays(dtype, shape))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))  # every bit pattern: NaN payloads
    return np.frombuffer(rng.bytes(int(np.prod(shape)) * dtype.itemsize), dtype=dtype).reshape(shape)


@settings(max_examples=150)
@given(array=idx_arrays(), compressed=st.booleans())
def test_round_trip_is_bit_exact(tmp_path_factory, array, compressed):
    path = tmp_path_factory.mktemp("rt") / ("a.idx.gz" if compressed else "a.idx")
    write_idx(path, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compressed
    back = read_idx(path)
    assert back.dtype.isnative and back.flags.writeable
    assert same_bits(back, array)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_special_floats_survive(tmp_path, dtype, suffix):
    quiet = np.array([np.nan, -np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-45, -3.5], dtype=dtype)
    payload_nan = np.array([0x7FC00001 if dtype == "float32" else 0x7FF8000000000001], dtype=f"u{quiet.itemsize}")
    array = np.concatenate([quiet, payload_nan.view(dtype)]).reshape(3, 3)
    write_idx(tmp_path / f"f{suffix}", array)
    assert same_bits(read_idx(tmp_path / f"f{suffix}"), array)


@pytest.mark.parametrize("order", ["<", ">"])
def test_either_byte_order_is_written_the_same(tmp_path, order):
    array = np.arange(6, dtype=f"{order}i4").reshape(2, 3) - 3
    write_idx(tmp_path / "a", array)
    assert same_bits(read_idx(tmp_path / "a"), array.astype("=i4"))
    assert (tmp_path / "a").read_bytes() == header(0x0C, 2, 3) + array.astype(">i4").tobytes()


def test_known_file_byte_for_byte(tmp_path):
    expected = (
        b"\x00\x00\x0b\x02"  # magic: int16, rank 2
        b"\x00\x00\x00\x02\x00\x00\x00\x03"  # shape (2, 3)
        b"\x00\x01\x00\x02\xff\xfd"  # 1, 2, -3
        b"\x01\x00\x7f\xff\x80\x00"  # 256, 32767, -32768
    )
    array = np.array([[1, 2, -3], [256, 32767, -32768]], dtype=np.int16)
    write_idx(tmp_path / "k", array)
    assert (tmp_path / "k").read_bytes() == expected
    write_idx(tmp_path / "k.gz", array)
    assert gzip.decompress((tmp_path / "k.gz").read_bytes()) == expected
    (tmp_path / "hand").write_bytes(expected)
    assert same_bits(read_idx(tmp_path / "hand"), array)


def test_float_file_byte_for_byte(tmp_path):
    expected = b"\x00\x00\x0d\x01\x00\x00\x00\x02" + b"\x3f\x80\x00\x00" + b"\x80\x00\x00\x00"  # 1.0, -0.0
    write_idx(tmp_path / "f", np.array([1.0, -0.0], dtype=np.float32))
    assert (tmp_path / "f").read_bytes() == expected


def test_gzip_is_found_by_content_not_by_name(tmp_path):
    data = header(0x08, 3) + b"\x01\x02\x03"
    (tmp_path / "zipped.bin").write_bytes(gzip.compress(data))
    (tmp_path / "plain.gz").write_bytes(data)
    np.testing.assert_array_equal(read_idx(tmp_path / "zipped.bin"), [1, 2, 3])
    np.testing.assert_array_equal(read_idx(tmp_path / "plain.gz"), [1, 2, 3])


def test_gzip_output_is_reproducible(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "a.gz", array)
    first = (tmp_path / "a.gz").read_bytes()
    time.sleep(0.01)
    write_idx(tmp_path / "a.gz", array)
    assert (tmp_path / "a.gz").read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["a.gz"]  # no temporary file left


def test_zero_sized_dimensions(tmp_path):
    array = np.zeros((0, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "e", array)
    assert (tmp_path / "e").read_bytes() == header(0x08, 0, 28, 28)
    assert same_bits(read_idx(tmp_path / "e"), array)


# --- corruptions -------------------------------------------------------------------------

GOOD = header(0x0B, 2, 2) + b"\x00\x01\x00\x02\x00\x03\x00\x04"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"\x00\x00", "truncated header"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "bad magic 01 00 08 01"),
        (b"\x00\x01\x08\x01\x00\x00\x00\x01\x05", "bad magic"),
        (b"\x00\x00\x0a\x01\x00\x00\x00\x01\x05", "unknown dtype code 0x0A"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown dtype code 0x07"),
        (b"\x00\x00\x08\x00", "rank 0"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x01\x00\x00", "truncated header: rank 2 needs 8 bytes"),
        (GOOD[:-1], "truncated payload: shape \\(2, 2\\) of int16 promises 8 bytes, the file holds 7"),
        (GOOD[:12], "truncated payload"),
        (GOOD + b"\x00", "trailing bytes after the 8-byte payload"),
        (GOOD + b"x" * 1000, "trailing bytes"),
    ],
)
@pytest.mark.parametrize("compressed", [False, True])
def test_corruptions_are_refused(tmp_path, data, message, compressed):
    path = tmp_path / "bad-file"
    path.write_bytes(gzip.compress(data) if compressed else data)
    with pytest.raises(ValueError, match=f"^{re.escape(str(path))}: {message}"):
        read_idx(path)


@pytest.mark.parametrize("cut", [2, 5, 12, 20, -8, -4, -1])
def test_truncated_gzip_stream(tmp_path, cut):
    whole = gzip.compress(GOOD)
    (tmp_path / "t.gz").write_bytes(whole[:cut])
    with pytest.raises(ValueError, match=f"^{re.escape(str(tmp_path / 't.gz'))}: truncated or corrupt gzip stream"):
        read_idx(tmp_path / "t.gz")


def test_corrupt_gzip_crc(tmp_path):
    whole = bytearray(gzip.compress(GOOD))
    whole[-8] ^= 0xFF  # CRC32 of the uncompressed data
    (tmp_path / "c.gz").write_bytes(bytes(whole))
    with pytest.raises(ValueError, match="truncated or corrupt gzip stream .*CRC"):
        read_idx(tmp_path / "c.gz")


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize(
    "hostile",
    [
        header(0x08, 2**32 - 1, 2**32 - 1),
        header(0x08, 2**32 - 1, 2**32 - 1) + b"\x00" * 100,
        header(0x0E, *[2**32 - 1] * 255),
    ],
)
def test_hostile_header_is_refused_without_allocating(tmp_path, hostile, compressed):
    path = tmp_path / "h"
    path.write_bytes(gzip.compress(hostile) if compressed else hostile)
    start = time.perf_counter()
    # a raw file is held to its real size; a gzip one to the limit on what a header may declare
    with pytest.raises(ValueError, match="more than the limit of 17179869184 \\(MAX_PAYLOAD_BYTES\\)" if compressed else "truncated payload"):
        read_idx(path)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros(3, dtype=np.int64), "array dtype int64 has no IDX code; allowed: uint8, int8"),
        (np.zeros(3, dtype=np.uint16), "array dtype uint16 has no IDX code"),
        (np.zeros(3, dtype=bool), "array dtype bool has no IDX code"),
        (np.zeros(3, dtype=np.float16), "array dtype float16 has no IDX code"),
        (np.zeros(3, dtype=np.complex64), "array dtype complex64 has no IDX code"),
        (np.array(["a"]), "array dtype <U1 has no IDX code"),
        (np.uint8(3), "array rank 0 cannot be written as IDX"),
        (np.empty((2**32, 0), dtype=np.uint8), "each dimension must be below 2\\*\\*32"),
    ],
)
def test_write_refuses(tmp_path, array, message):
    with pytest.raises(ValueError, match=message):
        write_idx(tmp_path / "w", array)
    assert list(tmp_path.iterdir()) == []


def test_largest_dimension_is_accepted(tmp_path):
    array = np.empty((2**32 - 1, 0), dtype=np.uint8)
    write_idx(tmp_path / "w", array)
    assert read_idx(tmp_path / "w").shape == (2**32 - 1, 0)


# --- the standard folder -----------------------------------------------------------------


def make_folder(folder: Path, n_train=5, n_test=3, gz=(True, False, False, True), rows=28, cols=28, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [
        rng.integers(0, 256, (n_train, rows, cols), dtype=np.uint8),
        rng.integers(0, 10, n_train, dtype=np.uint8),
        rng.integers(0, 256, (n_test, rows, cols), dtype=np.uint8),
        rng.integers(0, 10, n_test, dtype=np.uint8),
    ]
    arrays[0][0, 0, 0], arrays[0][0, 0, 1] = 0, 255
    for name, array, zipped in zip(STANDARD_FILES, arrays, gz, strict=True):
        write_idx(folder / (name + ".gz" if zipped else name), array)
    return arrays


def test_load_folder_mixed_raw_and_gzip(tmp_path):
    images, labels, test_images, test_labels = make_folder(tmp_path)
    (X, y), (X_test, y_test) = load_idx_folder(tmp_path)
    assert X.shape == (5, 784) and X_test.shape == (3, 784)
    assert X.dtype == X_test.dtype == np.float32 and y.dtype == y_test.dtype == np.int64
    assert X[0, 0] == 0.0 and X[0, 1] == 1.0 and 0 <= X.min() and X.max() <= 1
    np.testing.assert_allclose(X, images.reshape(5, 784) / 255.0, rtol=1e-6)
    np.testing.assert_allclose(X_test, test_images.reshape(3, 784) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    np.testing.assert_array_equal(y_test, test_labels)


def test_load_folder_accepts_str_and_prefers_raw(tmp_path):
    make_folder(tmp_path, gz=(False,) * 4, rows=2, cols=3)
    write_idx(tmp_path / (STANDARD_FILES[1] + ".gz"), np.zeros(7, dtype=np.uint8))  # ignored
    (X, y), _ = load_idx_folder(str(tmp_path))
    assert X.shape == (5, 6) and y.shape == (5,)


@pytest.mark.parametrize("missing", range(4))
def test_load_folder_missing_file(tmp_path, missing):
    make_folder(tmp_path, gz=(False, True, False, True))
    name = STANDARD_FILES[missing]
    next(tmp_path.glob(name + "*")).unlink()
    with pytest.raises(FileNotFoundError, match=f"{name} \\(or {name}.gz\\) not found in {re.escape(str(tmp_path))}"):
        load_idx_folder(tmp_path)


def test_load_folder_count_mismatch(tmp_path):
    make_folder(tmp_path, gz=(False,) * 4)
    write_idx(tmp_path / STANDARD_FILES[3], np.zeros(4, dtype=np.uint8))
    images, labels = (tmp_path / STANDARD_FILES[2], tmp_path / STANDARD_FILES[3])
    message = f"{re.escape(str(images))} holds 3 images but {re.escape(str(labels))} holds 4 labels"
    with pytest.raises(ValueError, match=message):
        load_idx_folder(tmp_path)


def test_load_folder_labels_of_wrong_rank(tmp_path):
    make_folder(tmp_path, gz=(False,) * 4)
    write_idx(tmp_path / STANDARD_FILES[1], np.zeros((5, 1), dtype=np.uint8))
    with pytest.raises(ValueError, match=f"^{re.escape(str(tmp_path / STANDARD_FILES[1]))}: labels must be rank 1"):
        load_idx_folder(tmp_path)


@pytest.mark.parametrize(
    "images", [np.zeros((5, 784), dtype=np.uint8), np.zeros((5, 28, 28), dtype=np.float32)], ids=["rank2", "float"]
)
def test_load_folder_images_must_be_rank3_uint8(tmp_path, images):
    make_folder(tmp_path, gz=(False,) * 4)
    write_idx(tmp_path / STANDARD_FILES[0], images)
    path = tmp_path / STANDARD_FILES[0]
    with pytest.raises(ValueError, match=f"^{re.escape(str(path))}: images must be rank 3 uint8"):
        load_idx_folder(tmp_path)


def test_load_folder_train_and_test_image_sizes_must_agree(tmp_path):
    make_folder(tmp_path, gz=(False,) * 4)
    write_idx(tmp_path / STANDARD_FILES[2], np.zeros((3, 27, 28), dtype=np.uint8))
    with pytest.raises(ValueError, match="holds images of 784 pixels but .* holds images of 756 pixels"):
        load_idx_folder(tmp_path)


def test_load_folder_passes_on_corrupt_file_errors(tmp_path):
    make_folder(tmp_path, gz=(True,) * 4)
    path = tmp_path / (STANDARD_FILES[0] + ".gz")
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match=f"^{re.escape(str(path))}: truncated or corrupt gzip stream"):
        load_idx_folder(tmp_path)


# --- hostile files through the CLI: exit 2, one line, peak RSS under 1 GB -------------------
def test_a_sparse_file_declaring_four_billion_images_is_refused_before_reading(tmp_path):
    make_folder(tmp_path, gz=(False, False, False, False))
    images = tmp_path / STANDARD_FILES[0]
    n = 2**32 - 1
    with open(images, "wb") as f:  # the header, then a hole as long as the payload it declares
        f.write(header(0x08, n, 28, 28))
        f.truncate(16 + n * 28 * 28)
    assert images.stat().st_blocks * 512 < 10**6
    with pytest.raises(ValueError, match=re.escape(f"{images}: shape ({n}, 28, 28) of uint8 declares {n * 784} bytes, more than the limit")):
        read_idx(images)
    hostile.assert_refused(hostile.run_cli("train", "--dataset", tmp_path, "--epochs", "1", "--quiet"), "(MAX_PAYLOAD_BYTES)")


def test_a_sparse_file_shorter_than_its_header_declares_is_refused_before_reading(tmp_path):
    path = tmp_path / "images"
    with open(path, "wb") as f:  # declares 4,294,967,295 images of 28×28; holds 24 GB of hole
        f.write(header(0x08, 2**32 - 1, 28, 28))
        f.truncate(24 * 10**9)
    with pytest.raises(ValueError, match=re.escape(f"{path}: truncated payload: shape (4294967295, 28, 28) of uint8 promises 3367254359280 bytes, the file holds {24 * 10**9 - 16}")):
        read_idx(path)


def test_a_folder_with_zero_images_is_refused_by_name(tmp_path):
    make_folder(tmp_path, gz=(False, False, False, False))
    images = tmp_path / STANDARD_FILES[0]
    write_idx(images, np.zeros((0, 28, 28), np.uint8))
    write_idx(tmp_path / STANDARD_FILES[1], np.zeros(0, np.uint8))
    with pytest.raises(ValueError, match=re.escape(f"{images}: holds 0 images of 28×28 pixels; a data set needs at least one image")):
        load_idx_folder(tmp_path)
    hostile.assert_refused(hostile.run_cli("train", "--dataset", tmp_path, "--epochs", "1", "--quiet"), "holds 0 images")
