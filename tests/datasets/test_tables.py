"""CSV and .npz tables: exact round trips, label kinds, and errors that name the path, row and column."""

from __future__ import annotations

import csv
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltaprop.datasets.tables import load_csv, load_npz
from tests import hostile


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    """Write ``rows`` (the header first) with the csv module."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


float32s = st.floats(width=32, allow_nan=False, allow_infinity=False)
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs")), min_size=1, max_size=6)
string_labels = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from([",", '"', "\n", " "]),
    min_size=1,
    max_size=8,
).filter(lambda s: s == s.strip() and s != "")


@st.composite
def tables(draw):
    """A header, float32 features and labels of one kind: 'int', 'str' or 'float'."""
    n = draw(st.integers(1, 12))
    d = draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["int", "str", "float"]))
    X = np.array(draw(st.lists(st.lists(float32s, min_size=d, max_size=d), min_size=n, max_size=n)), dtype=np.float32)
    if kind == "int":
        labels = draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n))
    elif kind == "str":  # at least one label is not a number, so all are class names
        labels = draw(st.lists(string_labels, min_size=n, max_size=n))
        labels[draw(st.integers(0, n - 1))] = draw(string_labels.filter(lambda s: not is_number(s)))
    else:  # at least one target is not whole, so all are regression targets
        labels = draw(st.lists(float32s, min_size=n, max_size=n))
        fraction = st.floats(-1e6, 1e6, width=32).filter(lambda v: v != round(v))
        labels[draw(st.integers(0, n - 1))] = draw(fraction)
    header = draw(st.lists(names, min_size=d + 1, max_size=d + 1, unique_by=str.strip))
    return header, X, labels, kind


@given(tables())
def test_csv_round_trip(table):
    header, X, labels, kind = table
    rows = [header] + [[repr(float(v)) for v in x] + [label] for x, label in zip(X, labels)]
    with tempfile.TemporaryDirectory() as tmp:
        X2, y, classes = load_csv(write_csv(Path(tmp) / "t.csv", rows))
    assert X2.dtype == np.float32 and X2.shape == X.shape
    np.testing.assert_array_equal(X2, X)
    if kind == "int":
        assert classes is None and y.dtype == np.int64
        assert y.tolist() == labels
    elif kind == "str":
        assert classes == sorted(set(labels)) and y.dtype == np.int64 and y.shape == (len(labels),)
        assert [classes[k] for k in y] == labels
    else:
        assert classes is None and y.dtype == np.float32 and y.shape == (len(labels), 1)
        np.testing.assert_array_equal(y[:, 0], np.array(labels, dtype=np.float32))


def test_target_picks_a_middle_column(tmp_path):
    path = write_csv(tmp_path / "t.csv", [["a", "kind", "b"], [1, "dog", 2], [3, "cat", 4], [5, "dog", 6]])
    X, y, classes = load_csv(path, target="kind")
    np.testing.assert_array_equal(X, [[1, 2], [3, 4], [5, 6]])
    assert classes == ["cat", "dog"] and y.tolist() == [1, 0, 1]


def test_whole_floats_are_labels_and_spaces_and_blank_lines_are_forgiven(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("\ufeffx, y ,label\n1, 2, 1.0\n\n3,4 ,2e0\n\n", encoding="utf-8")
    X, y, classes = load_csv(path, target="label")
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    assert y.dtype == np.int64 and y.tolist() == [1, 2] and classes is None


def csv_error(path: Path, text: str, expected: str, target: str | None = None) -> None:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="^" + re.escape(f"{path}: {expected}")):
        load_csv(path, target=target)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b,y\n1,2,0\n1,,1\n", "row 3, column 2 ('b'): the value is empty"),
        ("a,b,y\n1,2,0\n1, ,1\n", "row 3, column 2 ('b'): the value is empty"),
        ("a,b,y\nnan,2,0\n", "row 2, column 1 ('a'): the value nan is not a finite number"),
        ("a,b,y\n1,2,0\n\n1,-inf,1\n", "row 4, column 2 ('b'): the value -inf is not a finite number"),
        ("a,b,y\n1,1e300,0\n", "row 2, column 2 ('b'): the value 1e+300 is beyond the range of float32"),
        ("a,b,y\n1,2,0\nx,two,1\n", "row 3, column 1 ('a'): 'x' is not a number"),
        ("a,b,y\n1,2,0\n1,2\n", "row 3 has 2 fields; the header has 3 columns"),
        ("a,b,y\n1,2,0,5\n", "row 2 has 4 fields; the header has 3 columns"),
        ("a,b,y\n1,2,0\n1,2,\n", "row 3, column 3 ('y'): the label is empty"),
        ("a,b,y\n1,2,0\n1,2,nan\n", "row 3, column 3 ('y'): the label 'nan' is not a finite number"),
        ("a,b,y\n1,2,0.5\n1,2,1e40\n", "row 3, column 3 ('y'): the target '1e40' is beyond the range of float32"),
        ("a,b,y\n1,2,99999999999999999999\n", "row 2, column 3 ('y'): the label 99999999999999999999 does not fit"),
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        ("a,b,y\n", "the file has a header row but no data rows"),
        ("a,b,y\n\n", "the file has a header row but no data rows"),
        ("y\n1\n", "the header has 1 column"),
        ("a;b;y\n1;2;0\n", "the header has 1 column; a table needs feature columns and a label column (it holds ';': only commas separate columns)"),
    ],
)
def test_csv_errors_name_path_row_and_column(tmp_path, text, expected):
    csv_error(tmp_path / "bad.csv", text, expected)


def test_csv_error_rows_count_lines_of_a_middle_label_column(tmp_path):
    csv_error(tmp_path / "t.csv", "a,y,b\n1,0,2\n3,,4\n", "row 3, column 2 ('y'): the label is empty", target="y")
    csv_error(tmp_path / "t.csv", "a,y,b\n1,0,2\n3,1,\n", "row 3, column 3 ('b'): the value is empty", target="y")


def test_unknown_and_ambiguous_target(tmp_path):
    csv_error(tmp_path / "t.csv", "a,b,y\n1,2,0\n", "target 'z' is not a column; the columns are 'a', 'b', 'y'", "z")
    csv_error(tmp_path / "t.csv", "a,a,y\n1,2,0\n", "target 'a' names 2 columns", "a")


def test_csv_that_is_not_text(tmp_path):
    csv_error(tmp_path / "t.csv", "", "the file is empty")
    path = tmp_path / "b.csv"
    path.write_bytes(b"a,b\n\xff\xfe,1\n")
    with pytest.raises(ValueError, match=f"^{re.escape(str(path))}: not a UTF-8 text file"):
        load_csv(path)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(FileNotFoundError):
        load_npz(tmp_path / "nope.npz")


# ---------------------------------------------------------------- npz


@pytest.mark.parametrize(
    "y",
    [np.array([0, 2, 1], dtype=np.int32), np.array([1, 0, 1], dtype=np.uint8), np.array([0.0, 3.0, 1.0])],
)
def test_npz_round_trip_labels(tmp_path, y):
    X = np.arange(6, dtype=np.float64).reshape(3, 2) / 7
    np.savez(tmp_path / "d.npz", X=X, y=y, extra=np.zeros(1))
    X2, y2 = load_npz(tmp_path / "d.npz")
    assert X2.dtype == np.float32 and y2.dtype == np.int64
    np.testing.assert_array_equal(X2, X.astype(np.float32))
    np.testing.assert_array_equal(y2, y.astype(np.int64))


def test_npz_round_trip_targets(tmp_path):
    X = np.arange(6, dtype=np.int16).reshape(3, 2)
    y = np.array([[0.5, -1.0], [2.0, 0.25], [1e-3, 7.0]])
    np.savez_compressed(tmp_path / "d.npz", X=X, y=y)
    X2, y2 = load_npz(str(tmp_path / "d.npz"))
    np.testing.assert_array_equal(X2, X.astype(np.float32))
    assert y2.dtype == np.float32 and y2.shape == (3, 2)
    np.testing.assert_array_equal(y2, y.astype(np.float32))


GOOD_X, GOOD_Y = np.zeros((3, 2)), np.array([0, 1, 0])


@pytest.mark.parametrize(
    ("arrays", "expected"),
    [
        ({"y": GOOD_Y}, "the archive has no array 'X'; it needs 'X' and 'y' (found: 'y')"),
        ({"X": GOOD_X}, "the archive has no array 'y'"),
        ({"X": np.zeros(3), "y": GOOD_Y}, "array 'X' must be 2-D (n, d); got shape (3,)"),
        ({"X": np.zeros((3, 2, 1)), "y": GOOD_Y}, "array 'X' must be 2-D (n, d); got shape (3, 2, 1)"),
        ({"X": GOOD_X, "y": np.zeros((3, 1, 1))}, "array 'y' must be labels (n,) or targets (n, k); got shape"),
        ({"X": GOOD_X, "y": np.array(5)}, "array 'y' must be labels (n,) or targets (n, k); got shape ()"),
        ({"X": GOOD_X, "y": np.array([0, 1])}, "'X' has 3 rows but 'y' has 2; they must match"),
        ({"X": np.zeros((0, 2)), "y": np.zeros(0, dtype=int)}, "array 'X' is empty; got shape (0, 2)"),
        ({"X": np.array([["a", "b"]]), "y": np.array([0])}, "array 'X' must hold real numbers; got dtype <U1"),
        ({"X": GOOD_X.astype(complex), "y": GOOD_Y}, "array 'X' must hold real numbers; got dtype complex128"),
        ({"X": GOOD_X, "y": np.array([True, False, True])}, "array 'y' must hold real numbers; got dtype bool"),
        ({"X": np.array([[0, 1], [np.nan, 0], [0, 0]]), "y": GOOD_Y}, "array 'X' has NaN, inf or a value beyond"),
        ({"X": np.array([[0, 1], [0, 1e300], [0, 0]]), "y": GOOD_Y}, "(first at row 1, column 1)"),
        ({"X": GOOD_X, "y": np.array([[0.0], [np.inf], [1.0]])}, "array 'y' has NaN, inf or a value beyond float32"),
        ({"X": GOOD_X, "y": np.array([0.0, 0.5, 1.0])}, "'y' of shape (3,) must hold integer class labels; got 0.5"),
        ({"X": GOOD_X, "y": np.array([0.0, np.nan, 1.0])}, "must hold integer class labels; got nan at index 1"),
    ],
)
def test_npz_errors(tmp_path, arrays, expected):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=re.escape(expected)) as info:
        load_npz(path)
    assert str(info.value).startswith(f"{path}: ")


def test_npz_object_array_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, X=np.array([[1, "a"]], dtype=object), y=np.array([0]))
    with pytest.raises(ValueError, match=re.escape(f"{path}: not a valid .npz data archive: X: holds Python objects (refused: nothing here is ever unpickled)")):
        load_npz(path)


@pytest.mark.parametrize("cut", [10, 100, -30])
def test_npz_truncated_or_corrupt(tmp_path, cut):
    good = tmp_path / "good.npz"
    np.savez(good, X=np.ones((50, 4)), y=np.zeros(50, dtype=int))
    path = tmp_path / "cut.npz"
    path.write_bytes(good.read_bytes()[:cut])
    with pytest.raises(ValueError, match=f"^{re.escape(str(path))}: "):
        load_npz(path)


@pytest.mark.parametrize("content", [b"", b"not an archive at all", b"PK\x03\x04garbage"])
def test_npz_unreadable(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"^{re.escape(str(path))}: not a valid .npz data archive: unreadable or truncated"):
        load_npz(path)


def test_npz_lone_npy_is_refused(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=re.escape(f"{path}: not an .npz archive")):
        load_npz(path)


# ---------------------------------------------------------------- hostile files through the CLI
def _data_members():
    X, y = np.arange(40, dtype=np.float32).reshape(20, 2), np.arange(20) % 2
    return [hostile.stored("X.npy", hostile.npy(X)), hostile.stored("y.npy", hostile.npy(y))]


@pytest.mark.parametrize(
    "change,problem",
    [
        (lambda m: m + [hostile.stored("notes.txt", b"hello")], "member 'notes.txt' is not a .npy array"),
        (lambda m: [hostile.Member(**{**m[0].__dict__, "flags": 1}), m[1]], "member 'X.npy' is encrypted"),
        (lambda m: [hostile.Member(**{**m[0].__dict__, "method": 99}), m[1]], "member 'X.npy' uses compression method 99"),
        (lambda m: [hostile.Member(**{**m[0].__dict__, "method": 14, "data": b"\x09\x04\x05\x00" + bytes(40)}), m[1]],
         "member 'X.npy' uses compression method 14"),  # corrupt LZMA: refused before its decoder is built
        (lambda m: [hostile.stored("X.npy", hostile.npy_header("<f4", (20, 2), text="{'descr': '<f4',") + bytes(160)), m[1]],
         "X: its .npy header is not a Python literal"),
    ],
    ids=["not-npy", "encrypted", "unknown-compression", "lzma", "open-brace"],
)
def test_a_hostile_data_archive_is_refused_in_one_line(tmp_path, change, problem):
    path = hostile.write_zip(tmp_path / "data.npz", change(_data_members()))
    with pytest.raises(ValueError, match=f"^{re.escape(f'{path}: not a valid .npz data archive: {problem}')}"):
        load_npz(path)
    hostile.assert_refused(hostile.run_cli("train", "--dataset", path, "--epochs", "1", "--quiet"), problem)


def test_a_data_member_of_deflated_zeros_is_refused_before_it_is_inflated(tmp_path):
    n = 1 << 26  # X of 2**26 × 4 float32: 1 GiB of zeros, deflated to about 1 MB
    members = [hostile.deflated_zeros("X.npy", hostile.npy_header("<f4", (n, 4)), 16 * n), _data_members()[1]]
    path = hostile.write_zip(tmp_path / "data.npz", members)
    hostile.assert_refused(hostile.run_cli("train", "--dataset", path, "--epochs", "1", "--quiet"), "(refused: a compression bomb?)")


def test_a_csv_with_one_huge_integer_label(tmp_path):
    """20 rows, one label 3,000,000: training numbers the 3 distinct labels as 3 classes; a
    network sized from the label values is refused by name, far below the 5 GB it would take."""
    rows = [["a", "b", "label"]] + [[i, 2 * i, 3_000_000 if i == 5 else i % 2] for i in range(20)]
    path = write_csv(tmp_path / "t.csv", rows)
    hostile.assert_ran(hostile.run_cli("train", "--dataset", path, "--epochs", "1", "--quiet"))
    outcome = hostile.run_cli("explain", "--dataset", path)
    hostile.assert_refused(outcome, f"the labels of {path}: label 3000000 is out of range; class labels must be integers from 0 to 9999 (at most 10,000 classes)")
