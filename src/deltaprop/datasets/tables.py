"""Tables from disk: a CSV file with a header row, or an ``.npz`` archive of ``X`` and ``y``.

Both loaders return ``X`` as float32 of shape (n, d), rows are examples, and ``y`` as integer
class labels (n,) int64 or float targets (n, k) float32 — the shapes every API edge of
deltaprop takes. Every problem with a file is a ``ValueError`` whose message starts with the
file's path and names where the problem is (for a CSV: the row, counted as in the file with
the header as row 1, and the column, counted from 1, with its header name).
"""

from __future__ import annotations

import csv
import math
import os
from array import array
from collections.abc import Iterator

import numpy as np

from ..archive import open_archive

__all__ = ["load_csv", "load_npz", "csv_feature_names"]

_INT64 = np.iinfo(np.int64)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def load_csv(
    path: str | os.PathLike[str], target: str | None = None
) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Read a CSV table with a header row: every column but one is a feature, one is the label.

    Rows are read one at a time with the :mod:`csv` module (UTF-8, a byte-order mark is
    skipped); blank lines are skipped. Numbers are parsed by Python's ``float``.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file.
    target : str, optional
        Header name of the label column; by default the last column holds the labels.

    Returns
    -------
    X : np.ndarray
        Features, float32 of shape (n, d).
    y : np.ndarray
        The labels, whose kind follows what the label column holds:

        * integers (``3``, ``-1``, also whole floats like ``2.0``): int64 of shape (n,);
        * numbers that are not all whole (regression targets): float32 of shape (n, 1);
        * anything else (strings; labels are stripped of surrounding spaces): int64 codes
          0…k−1 of shape (n,), numbering the distinct labels in sorted order.
    classes : list of str or None
        For string labels, the sorted distinct labels (``classes[y[i]]`` is row i's label);
        ``None`` for numeric labels.

    Raises
    ------
    ValueError
        If the file is empty, has only a header, fewer than two columns, a row with the wrong
        number of fields, an empty, non-numeric, NaN/inf or beyond-float32 feature value, an
        empty label, a NaN/inf numeric label, or if ``target`` names no column.
    OSError
        If the file cannot be opened (``FileNotFoundError`` for a missing one).
    """
    where = os.fspath(path)
    features = array("d")
    labels: list[str] = []
    rows: list[int] = []  # the file row (line number) of each example, for messages
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = _first_row(reader)
            if header is None:
                raise ValueError(f"{where}: the file is empty; expected a header row and data rows")
            names = [name.strip() for name in header]
            width = len(names)
            if width < 2:
                other = next((f" (it holds {sep!r}: only commas separate columns)" for sep in (";", "\t", "|") if sep in header[0]), "")
                raise ValueError(
                    f"{where}: the header has {width} column; a table needs feature columns and a label column{other}"
                )
            label_col = _label_column(where, names, target)
            feature_cols = [j for j in range(width) if j != label_col]
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # a blank line
                line = reader.line_num
                if len(row) != width:
                    raise ValueError(f"{where}: row {line} has {len(row)} fields; the header has {width} columns")
                fields = [row[j] for j in feature_cols]
                try:
                    features.extend([float(v) for v in fields])
                except ValueError:
                    _raise_bad_field(where, line, row, feature_cols, names)
                label = row[label_col].strip()
                if not label:
                    raise ValueError(
                        f"{where}: row {line}, column {label_col + 1} ({names[label_col]!r}): the label is empty"
                    )
                labels.append(label)
                rows.append(line)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{where}: not a UTF-8 text file ({exc})") from None
    except csv.Error as exc:
        raise ValueError(f"{where}: not a readable CSV file ({exc})") from None
    if not labels:
        raise ValueError(f"{where}: the file has a header row but no data rows")

    X = np.frombuffer(features, dtype=np.float64).reshape(len(labels), len(feature_cols))
    bad = ~np.isfinite(X) | (np.abs(X) > _FLOAT32_MAX)
    if bad.any():
        i, k = np.unravel_index(int(np.argmax(bad)), bad.shape)
        j = feature_cols[k]
        value = float(X[i, k])
        problem = "is not a finite number" if not math.isfinite(value) else "is beyond the range of float32"
        raise ValueError(f"{where}: row {rows[i]}, column {j + 1} ({names[j]!r}): the value {value!r} {problem}")
    y, classes = _parse_labels(where, labels, rows, label_col, names[label_col])
    return X.astype(np.float32), y, classes


def csv_feature_names(path: str | os.PathLike[str], target: str | None = None) -> list[str]:
    """Return the header names of a CSV table's feature columns (every column but the label's),
    as :func:`load_csv` reads them."""
    where = os.fspath(path)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        header = _first_row(csv.reader(fh))
    names = [name.strip() for name in header or []]
    label_col = _label_column(where, names, target)
    return [name for j, name in enumerate(names) if j != label_col]


def _first_row(reader: Iterator[list[str]]) -> list[str] | None:
    """Return the first non-blank row of ``reader`` (the header), or None at the end of the file."""
    for row in reader:
        if row and not (len(row) == 1 and not row[0].strip()):
            return row
    return None


def _label_column(where: str, names: list[str], target: str | None) -> int:
    """Return the index of the label column: the last one, or the one named ``target``."""
    if target is None:
        return len(names) - 1
    matches = [j for j, name in enumerate(names) if name == target]
    if not matches:
        listed = ", ".join(repr(name) for name in names)
        raise ValueError(f"{where}: target {target!r} is not a column; the columns are {listed}")
    if len(matches) > 1:
        raise ValueError(f"{where}: target {target!r} names {len(matches)} columns; column names must be unique")
    return matches[0]


def _raise_bad_field(where: str, line: int, row: list[str], feature_cols: list[int], names: list[str]) -> None:
    """Find the first feature field of ``row`` that is not a number and raise a ValueError for it."""
    for j in feature_cols:
        text = row[j]
        try:
            float(text)
        except ValueError:
            if not text.strip():
                raise ValueError(f"{where}: row {line}, column {j + 1} ({names[j]!r}): the value is empty") from None
            raise ValueError(f"{where}: row {line}, column {j + 1} ({names[j]!r}): {text!r} is not a number") from None


def _parse_labels(
    where: str, labels: list[str], rows: list[int], col: int, name: str
) -> tuple[np.ndarray, list[str] | None]:
    """Turn the label column's strings into integer labels, float targets or string-class codes."""
    here = f"column {col + 1} ({name!r})"
    try:
        ints = [int(s) for s in labels]
    except ValueError:
        pass
    else:
        for i, v in enumerate(ints):
            if not _INT64.min <= v <= _INT64.max:
                raise ValueError(f"{where}: row {rows[i]}, {here}: the label {v} does not fit in int64")
        return np.array(ints, dtype=np.int64), None
    try:
        floats = np.array([float(s) for s in labels], dtype=np.float64)
    except ValueError:  # not all numbers: class names
        classes = sorted(set(labels))
        code = {label: k for k, label in enumerate(classes)}
        return np.array([code[s] for s in labels], dtype=np.int64), classes
    bad = ~np.isfinite(floats)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{where}: row {rows[i]}, {here}: the label {labels[i]!r} is not a finite number")
    whole = floats == np.round(floats)
    if whole.all() and np.abs(floats).max() < 2.0**63:
        return floats.astype(np.int64), None
    big = np.abs(floats) > _FLOAT32_MAX
    if big.any():
        i = int(np.argmax(big))
        raise ValueError(f"{where}: row {rows[i]}, {here}: the target {labels[i]!r} is beyond the range of float32")
    return floats.astype(np.float32).reshape(-1, 1), None


def load_npz(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read arrays ``X`` and ``y`` from an ``.npz`` archive (``np.savez``), without pickles.

    Parameters
    ----------
    path : str or os.PathLike
        The archive, read with :mod:`deltaprop.archive`'s checks and limits (sizes against the
        file, compression, ``.npy`` headers); other arrays in it are never read.

    Returns
    -------
    X : np.ndarray
        float32 of shape (n, d), from a real-valued 2-D array.
    y : np.ndarray
        int64 labels of shape (n,) from a 1-D integer array (or a 1-D float array of whole
        numbers), or float32 targets of shape (n, k) from a 2-D real-valued array.

    Raises
    ------
    ValueError
        If the file is not a readable ``.npz`` archive (truncated, corrupt, a lone ``.npy``),
        ``X`` or ``y`` is missing, holds Python objects or non-numbers, has the wrong number
        of dimensions, no rows, NaN/inf or values beyond float32, or the lengths differ.
    OSError
        If the file cannot be opened (``FileNotFoundError`` for a missing one).
    """
    where = os.fspath(path)
    with open(path, "rb") as fh:
        if fh.read(6) == b"\x93NUMPY":
            raise ValueError(f"{where}: not an .npz archive (it holds one bare array); save X and y with np.savez")
    arrays: dict[str, np.ndarray] = {}
    with open_archive(path, ".npz data archive") as archive:
        for key in ("X", "y"):
            if key not in archive.names:
                found = ", ".join(repr(k) for k in sorted(archive.names)) or "none"
                raise ValueError(f"{where}: the archive has no array {key!r}; it needs 'X' and 'y' (found: {found})")
        shapes = {}
        for key in ("X", "y"):  # checked from the .npy headers, before any data is read
            dtype, shapes[key] = archive.describe(key)
            if dtype.kind not in "iuf":
                raise ValueError(f"{where}: array {key!r} must hold real numbers; got dtype {dtype}")
        if len(shapes["X"]) != 2:
            raise ValueError(f"{where}: array 'X' must be 2-D (n, d); got shape {shapes['X']}")
        if len(shapes["y"]) not in (1, 2):
            raise ValueError(f"{where}: array 'y' must be labels (n,) or targets (n, k); got shape {shapes['y']}")
        if 0 in shapes["X"]:
            raise ValueError(f"{where}: array 'X' is empty; got shape {shapes['X']}")
        if shapes["y"][0] != shapes["X"][0]:
            raise ValueError(f"{where}: 'X' has {shapes['X'][0]} rows but 'y' has {shapes['y'][0]}; they must match")
        for key in ("X", "y"):
            arrays[key] = archive.read(key, finite=False)
    X, y = arrays["X"], arrays["y"]
    X = _finite_float32(where, "X", X)
    if y.ndim == 2:
        return X, _finite_float32(where, "y", y)
    if y.dtype.kind == "f":
        y64 = np.asarray(y, dtype=np.float64)
        bad = ~np.isfinite(y64) | (y64 != np.round(y64))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"{where}: array 'y' of shape {y.shape} must hold integer class labels;"
                f" got {y64[i].item()!r} at index {i}"
                " (float targets need shape (n, k))"
            )
        if np.abs(y64).max() >= 2.0**63:
            raise ValueError(f"{where}: array 'y' holds labels beyond int64")
    elif y.dtype == np.uint64 and y.size and y.max() > _INT64.max:
        raise ValueError(f"{where}: array 'y' holds labels beyond int64")
    return X, y.astype(np.int64)


def _finite_float32(where: str, key: str, a: np.ndarray) -> np.ndarray:
    """Return ``a`` as float32, or raise if it has NaN, inf or values beyond float32."""
    with np.errstate(over="ignore"):
        out = a.astype(np.float32)
    bad = ~np.isfinite(out)
    if bad.any():
        index = np.unravel_index(int(np.argmax(bad)), bad.shape)
        at = ", ".join(f"{axis} {i}" for axis, i in zip(("row", "column"), index))
        raise ValueError(f"{where}: array {key!r} has NaN, inf or a value beyond float32 (first at {at})")
    return out
