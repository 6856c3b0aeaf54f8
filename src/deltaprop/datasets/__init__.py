"""Data sets: ``(X_train, y_train), (X_test, y_test) = deltaprop.datasets.load("digits")``."""

from .preprocessing import train_test_split
from .registry import DATASETS, load

__all__ = ["DATASETS", "load", "train_test_split"]
