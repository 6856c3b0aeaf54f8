"""The data-set registry: digits by name, a fixed seeded split, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.datasets import locate, train_test_split, write_idx


def test_digits_shapes_range_and_fixed_split():
    (X, y), (X_test, y_test) = dp.datasets.load("digits")
    assert X.shape == (1438, 64) and X_test.shape == (359, 64)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10)) == set(np.unique(y_test))
    (X2, y2), _ = dp.datasets.load("digits")
    np.testing.assert_array_equal(X, X2)  # the same split every time
    np.testing.assert_array_equal(y, y2)


def test_split_is_a_seeded_partition():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    (Xa, ya), (Xb, yb) = train_test_split(X, y, test_fraction=0.3, seed=1)
    assert len(yb) == 3 and sorted(np.concatenate([ya, yb])) == list(range(10))
    np.testing.assert_array_equal(Xa[:, 0], 2 * ya)  # rows stay with their labels
    (_, ya2), _ = train_test_split(X, y, test_fraction=0.3, seed=1)
    (_, ya3), _ = train_test_split(X, y, test_fraction=0.3, seed=2)
    np.testing.assert_array_equal(ya, ya2)
    assert not np.array_equal(ya, ya3)


@pytest.mark.parametrize("fraction", [0, 1, 1.5, "half"])
def test_split_fraction_must_be_inside_zero_one(fraction):
    with pytest.raises(ValueError, match="test_fraction must be a number in \\(0, 1\\)"):
        train_test_split(np.zeros((10, 2)), np.zeros(10), test_fraction=fraction)


def test_unknown_name():
    with pytest.raises(ValueError, match="data set 'cifar' is neither a known name \\(digits, fashion-mnist, mnist"):
        dp.datasets.load("cifar")


# ---------------------------------------------------------------- names and paths (issue 3)
FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not FASHION.is_dir(), reason="Debian's dataset-fashion-mnist is not installed (.ci/run installs it)")
def test_fashion_mnist_full_size(tmp_path, monkeypatch):
    monkeypatch.setenv("DELTAPROP_DATA", str(tmp_path))  # an empty data home: the Debian copy is used
    assert locate("fashion-mnist") == str(FASHION)
    (X, y), (X_test, y_test) = dp.datasets.load("fashion-mnist", download=False)
    assert X.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert X.dtype == np.float32 and X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10)) == set(np.unique(y_test))
    assert np.bincount(y_test).tolist() == [1000] * 10  # Fashion-MNIST's balanced test set


def test_missing_set_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("DELTAPROP_DATA", str(tmp_path))
    with pytest.raises(ValueError, match="data set 'mnist' is not on this machine; get it with: let load\\('mnist'\\) download it"):
        dp.datasets.load("mnist", download=False)


def test_idx_folder_by_path_and_in_the_data_home(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    for prefix, n in (("train", 6), ("t10k", 3)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8))
    (X, y), (X_test, _) = dp.datasets.load(folder)
    assert X.shape == (6, 784) and X_test.shape == (3, 784) and y.dtype == np.int64
    monkeypatch.setenv("DELTAPROP_DATA", str(tmp_path))
    assert locate("mnist") == str(folder)
    (X2, _), _ = dp.datasets.load("mnist", download=False)  # found in the data home, no download
    np.testing.assert_array_equal(X, X2)


def test_csv_and_npz_by_path_are_split(tmp_path):
    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.arange(20) % 3
    np.savez(tmp_path / "table.npz", X=X, y=y)
    (Xa, ya), (Xb, yb) = dp.datasets.load(tmp_path / "table.npz", test_fraction=0.25)
    assert len(Xa) == 15 and len(Xb) == 5
    np.testing.assert_array_equal(Xa[:, 0] / 2 % 3, ya)  # rows keep their labels
    lines = ["a,b,label"] + [f"{r[0]},{r[1]},{['cat', 'dog', 'emu'][c]}" for r, c in zip(X, y)]
    (tmp_path / "table.csv").write_text("\n".join(lines) + "\n")
    (Xc, yc), _ = dp.datasets.load(tmp_path / "table.csv", test_fraction=0.25)
    np.testing.assert_array_equal(Xc[:, 0] / 2 % 3, yc)
    # target= names the label column: here the middle one, b
    lines = ["a,b,c"] + [f"{r[0]},{int(c)},{r[1]}" for r, c in zip(X, y)]
    (tmp_path / "middle.csv").write_text("\n".join(lines) + "\n")
    (Xd, yd), _ = dp.datasets.load(tmp_path / "middle.csv", test_fraction=0.25, target="b")
    np.testing.assert_array_equal(Xd[:, 0] / 2 % 3, yd)
    np.testing.assert_array_equal(Xd[:, 1], Xd[:, 0] + 1)
    with pytest.raises(ValueError, match="target='b' applies to CSV files only"):
        dp.datasets.load(tmp_path / "table.npz", target="b")


@pytest.mark.parametrize("name", ["xor", "moons", "circles", "spirals"])
def test_synthetic_sets_by_name(name):
    (X, y), (X_test, y_test) = dp.datasets.load(name)
    assert X.shape[1] == 2 and len(X) + len(X_test) == 1000
    assert locate(name) == "generated"


def test_unknown_path_or_format(tmp_path):
    with pytest.raises(ValueError, match="data set 'nowhere/at/all' is neither a known name .* nor an existing path"):
        dp.datasets.load("nowhere/at/all")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="notes.txt: a data set must be a folder of IDX files or of class subfolders of images, a .csv or an .npz file"):
        dp.datasets.load(tmp_path / "notes.txt")
