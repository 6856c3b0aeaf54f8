"""Issue 12's done-means for image folders: digits written as PNGs in class-named folders train
through the CLI, predict names the class of a PNG, and a corrupt PNG is a one-line error.

Needs the image folder support (``deltaprop.datasets.images``) and Pillow; skipped without them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp

from .test_cli import assert_user_error, run_main

pytest.importorskip("deltaprop.datasets.images")
Image = pytest.importorskip("PIL.Image")

NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 500 digits as 8×8 grey PNGs, one folder per class, named by the class."""
    root = tmp_path_factory.mktemp("digit-images")
    X, y = dp.datasets.read("digits").train
    for i, (pixels, label) in enumerate(zip(X[:500], y[:500])):
        (root / NAMES[label]).mkdir(exist_ok=True)
        image = np.round(pixels.reshape(8, 8) * 255 / 16).astype(np.uint8)
        Image.fromarray(image, mode="L").save(root / NAMES[label] / f"{i}.png")
    return root


def test_train_on_a_folder_and_predict_a_png_by_name(folder: Path, tmp_path: Path) -> None:
    model = tmp_path / "digits.npz"
    result = run_main("train", "--dataset", folder, "--epochs", 15, "--quiet", "--out", model)
    assert result.code == 0, result
    assert "task: classification (the target holds 10 named classes" in result.out
    net = dp.load(model)
    assert net.classes == sorted(NAMES) and net.provenance["image_size"] == [8, 8]
    pictures = sorted((folder / "seven").glob("*.png"))[:5]
    predicted = run_main("predict", model, *pictures)
    assert predicted.code == 0, predicted
    rows = list(csv.reader(predicted.out.splitlines()))
    assert rows[0] == ["file", "class"] and [row[0] for row in rows[1:]] == list(map(str, pictures))
    assert [row[1] for row in rows[1:]].count("seven") >= 4
    whole = run_main("predict", model, folder / "seven")  # a folder of them
    assert whole.code == 0 and whole.out.count("\n") == 1 + len(list((folder / "seven").glob("*.png")))


def test_a_corrupt_png_is_a_one_line_error(folder: Path, tmp_path: Path) -> None:
    model = tmp_path / "digits.npz"
    assert run_main("train", "--dataset", folder, "--epochs", 1, "--quiet", "--out", model).code == 0
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    assert_user_error(run_main("predict", model, corrupt), "corrupt.png")
