"""Data sets: ``(X_train, y_train), (X_test, y_test) = deltaprop.datasets.load(NAME_OR_PATH)``.

Modules: ``registry`` (names, paths, where each set is found), ``idx`` (the MNIST file
format), ``download`` (verified, cached downloads), ``tables`` (CSV and ``.npz``),
``images`` (folders of class subfolders of PNG/JPEG files, through Pillow), ``synthetic``
(2-D teaching sets), ``digits`` and ``preprocessing``.
"""

from .download import data_home, fetch
from .idx import load_idx_folder, read_idx, write_idx
from .images import image_files, load_image_folder, read_images
from .preprocessing import Standardizer, train_test_split
from .registry import CLASS_NAMES, DATASETS, Data, load, locate, read
from .synthetic import SYNTHETIC
from .tables import load_csv, load_npz

__all__ = [
    "CLASS_NAMES",
    "DATASETS",
    "Data",
    "SYNTHETIC",
    "Standardizer",
    "data_home",
    "fetch",
    "image_files",
    "load",
    "load_csv",
    "load_idx_folder",
    "load_image_folder",
    "load_npz",
    "locate",
    "read",
    "read_idx",
    "read_images",
    "train_test_split",
    "write_idx",
]
