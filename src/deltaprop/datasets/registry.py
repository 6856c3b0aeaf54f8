"""Data sets by name or path behind one call: ``load(...) → ((X_train, y_train), (X_test, y_test))``.

X is float32 of shape (n, d), images flattened with pixels scaled to [0, 1]; y holds integer
class labels (n,), or float targets (n, k) for a regression CSV. A source that comes as one
piece (digits, a CSV, an ``.npz``, a folder of images, a synthetic set) is split with a seeded
``test_fraction``.

Where the named sets are looked for, in order:

- ``digits``: scikit-learn's bundled copy (no download).
- ``fashion-mnist``: the data home (``$DELTAPROP_DATA``, default ``~/.cache/deltaprop``), then
  Debian's ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``), then a
  verified download into the data home.
- ``mnist``: the data home, then a verified download.
- ``xor``, ``moons``, ``circles``, ``spirals``: generated (seeded).

A path is a folder of the four IDX files; a folder of class subfolders of PNG/JPEG images
(:mod:`.images`; Pillow, ``pip install 'deltaprop[images]'``); a ``.csv`` or an ``.npz`` file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..scaling import Scaling
from ..validation import known_name
from .digits import DIGITS_MAX, load_digits
from .download import MIRRORS, data_home, fetch
from .idx import STANDARD_FILES, load_idx_folder
from .images import load_image_folder
from .preprocessing import train_test_split
from .synthetic import SYNTHETIC
from .tables import csv_feature_names, load_csv, load_npz

__all__ = ["DATASETS", "Dataset", "Data", "load", "read", "locate", "CLASS_NAMES"]

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

#: Where Debian's dataset-fashion-mnist package installs the files.
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
#: Examples in a generated synthetic set.
SYNTHETIC_SIZE = 1000
#: What a path must be, for the message about one that is not.
_WHAT_A_DATA_SET_IS = "a data set must be a folder of IDX files or of class subfolders of images, a .csv or an .npz file"


#: The names of the classes of the named image sets, in label order.
CLASS_NAMES: dict[str, list[str]] = {
    "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
    "mnist": [str(d) for d in range(10)],
    "digits": [str(d) for d in range(10)],
}
#: The largest raw pixel value of the named image sets.
PIXEL_MAX = {"fashion-mnist": 255, "mnist": 255, "digits": DIGITS_MAX}


@dataclass
class Data:
    """A data set as read from its source, with what a model trained on it should carry.

    Attributes
    ----------
    name : str
        The name or path it was read from.
    train, test : (X, y)
        X float32 (n, d) in the units of the source (raw pixels for images); y integer labels
        (n,) or float targets (n, k).
    classes : list of str, optional
        The name of each label, where the source names them (string labels of a table, the
        classes of a named image set).
    feature_names : list of str, optional
        The name of each column of a table.
    input_scaling : Scaling, optional
        What brings X to the units deltaprop trains in (pixels to [0, 1]); :func:`load`
        applies it.
    image_shape : tuple of int, optional
        (height, width) or (height, width, channels) of an image set.
    """

    name: str
    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    classes: list[str] | None = None
    feature_names: list[str] | None = None
    input_scaling: Scaling | None = None
    image_shape: tuple[int, ...] | None = None

    def split(self) -> Split:
        """Return ``((X_train, y_train), (X_test, y_test))`` with ``input_scaling`` applied."""
        if self.input_scaling is None:
            return self.train, self.test
        return tuple((self.input_scaling.apply(X), y) for X, y in (self.train, self.test))


@dataclass(frozen=True)
class Dataset:
    """A named data set: what it is and how to get it when it is missing."""

    name: str
    description: str
    how_to_get: str


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset("digits", "8×8 handwritten digits, 1797 images, 10 classes", "pip install 'deltaprop[sklearn]'"),
        Dataset(
            "fashion-mnist",
            "Zalando's 28×28 clothing images, 60000 + 10000, 10 classes",
            "apt-get install dataset-fashion-mnist, or let load('fashion-mnist') download it",
        ),
        Dataset("mnist", "28×28 handwritten digits, 60000 + 10000, 10 classes", "let load('mnist') download it"),
    ]
    + [Dataset(name, f"synthetic 2-D {name} (generated, seeded)", "always available") for name in SYNTHETIC]
}


def _has_idx_files(folder: Path) -> bool:
    return all((folder / name).is_file() or (folder / f"{name}.gz").is_file() for name in STANDARD_FILES)


def _has_an_idx_file(folder: Path) -> bool:
    """Whether one of the four IDX files is there (a folder meant as IDX, complete or not)."""
    return any((folder / name).is_file() or (folder / f"{name}.gz").is_file() for name in STANDARD_FILES)


def locate(name: str) -> str | None:
    """Return where data set ``name`` is found on this machine, or ``None`` if it is missing."""
    known_name("data set", name, DATASETS)
    if name in SYNTHETIC:
        return "generated"
    if name == "digits":
        try:
            import sklearn
        except ImportError:
            return None
        return str(Path(sklearn.__file__).parent / "datasets" / "data")
    candidates = [data_home() / name] + ([DEBIAN_FASHION_MNIST] if name == "fashion-mnist" else [])
    return next((str(folder) for folder in candidates if _has_idx_files(folder)), None)


def load(
    name_or_path: str | Path,
    test_fraction: float = 0.2,
    seed: int = 0,
    download: bool = True,
    target: str | None = None,
    image_size: tuple[int, int] | None = None,
    color: str | None = None,
) -> Split:
    """Load a data set by name or path, split into training and test parts.

    Parameters
    ----------
    name_or_path : str or Path
        A key of :data:`DATASETS`; a folder holding the four standard IDX files (raw or
        ``.gz``); a folder with one subfolder of PNG/JPEG images per class (see
        :func:`~deltaprop.datasets.images.load_image_folder`); a ``.csv`` file (header row,
        label in the last column); or an ``.npz`` file with arrays ``X`` and ``y``.
    test_fraction : float
        Share held out for testing, for sources that come as one piece.
    seed : int
        Seed of that split (and of a synthetic set); the default gives deltaprop's fixed split.
    download : bool
        Whether ``mnist`` and ``fashion-mnist`` may be downloaded when not found locally.
    target : str, optional
        For a CSV: the header name of the label column (the last column by default). String
        labels become 0 … k−1 in sorted order (:func:`read` returns their names).
    image_size : (int, int), optional
        For a folder of images: the (width, height) every image is resized to; by default the
        first image's size.
    color : {"grey", "rgb"}, optional
        For a folder of images: the colour mode; by default grey if every image is grey.

    Returns
    -------
    ((X_train, y_train), (X_test, y_test))
        Images with their pixels scaled to [0, 1].
    """
    return read(name_or_path, test_fraction, seed, download, target, image_size, color).split()


def read(
    name_or_path: str | Path,
    test_fraction: float = 0.2,
    seed: int = 0,
    download: bool = True,
    target: str | None = None,
    image_size: tuple[int, int] | None = None,
    color: str | None = None,
    mmap: bool = False,
) -> Data:
    """Read a data set as :func:`load` does, keeping its units, names and class names.

    A folder of images is split by the same seeded shuffle as a table (not stratified), its
    classes are its subfolders' names and its pixels keep their 0…255.

    With ``mmap``, uncompressed IDX files (a folder, or a named set stored so) are mapped, not
    read: X is their uint8 pixels as a read-only ``numpy.memmap`` (see
    :func:`~deltaprop.datasets.idx.load_idx_folder`); other sources are read as usual.

    Returns
    -------
    Data
    """
    name = str(name_or_path)
    path = Path(name_or_path)
    if target is not None and path.suffix != ".csv":
        raise ValueError(f"target={target!r} applies to CSV files only; {name!r} is not one")
    if name not in DATASETS and path.is_dir() and not _has_an_idx_file(path):
        if not any(p.is_dir() for p in path.iterdir() if not p.name.startswith(".")):
            raise ValueError(f"{path}: {_WHAT_A_DATA_SET_IS}")
        X, y, classes, shape = load_image_folder(path, size=image_size, color=color)
        train, test = train_test_split(X, y, test_fraction, seed)
        return Data(name, train, test, classes=classes, input_scaling=Scaling.divide_by(255, X.shape[1]), image_shape=shape)
    for option, value in (("image_size", image_size), ("color", color)):
        if value is not None:
            raise ValueError(f"{option}={value!r} applies to folders of images only; {name!r} is not one")
    if name in SYNTHETIC:
        return Data(name, *train_test_split(*SYNTHETIC[name](n=SYNTHETIC_SIZE, seed=seed), test_fraction, seed))
    if name == "digits":
        train, test = train_test_split(*load_digits(raw=True), test_fraction, seed)
        return _images(name, train, test, (8, 8))
    if name in MIRRORS:
        found = locate(name)
        if found is None and not download:
            raise ValueError(f"data set {name!r} is not on this machine; get it with: {DATASETS[name].how_to_get}")
        return _images(name, *load_idx_folder(Path(found) if found else fetch(name), raw=True, mmap=mmap), (28, 28))
    if path.is_dir():
        train, test = load_idx_folder(path, raw=True, mmap=mmap)
        side = int(round(train[0].shape[1] ** 0.5))
        return Data(name, train, test, input_scaling=Scaling.divide_by(255, train[0].shape[1]),
                    image_shape=(side, side) if side * side == train[0].shape[1] else None)
    if path.suffix == ".csv" and path.is_file():
        X, y, classes = load_csv(path, target=target)
        return Data(name, *train_test_split(X, y, test_fraction, seed), classes=classes, feature_names=csv_feature_names(path, target))
    if path.suffix == ".npz" and path.is_file():
        return Data(name, *train_test_split(*load_npz(path), test_fraction, seed))
    if path.exists():
        raise ValueError(f"{path}: {_WHAT_A_DATA_SET_IS}")
    raise ValueError(f"data set {name!r} is neither a known name ({', '.join(DATASETS)}) nor an existing path")


def _images(name: str, train: tuple, test: tuple, shape: tuple[int, int]) -> Data:
    """A named image set: raw pixels, the scaling to [0, 1], the class names."""
    return Data(name, train, test, classes=CLASS_NAMES[name], input_scaling=Scaling.divide_by(PIXEL_MAX[name], train[0].shape[1]), image_shape=shape)
