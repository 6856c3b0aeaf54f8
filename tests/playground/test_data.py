"""A run's data: generated or read from a CSV file, split by the settings, and its input plane."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deltaprop.playground.data import MAX_CLASSES, run_data
from deltaprop.playground.settings import CSV, Settings


def write(path: Path, header: str, rows: list[tuple]) -> Path:
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


def test_few_integer_labels_are_classes_numbered_by_value(tmp_path: Path) -> None:
    rows = [(i * 0.1, (i % 4) * 0.5, [-1, 5, 7][i % 3]) for i in range(60)]
    data = run_data(Settings(dataset=CSV, test_fraction=0.25), write(tmp_path / "t.csv", "p,q,k", rows))
    assert data.classes == ["-1", "5", "7"] and data.feature_names == ["p", "q"]
    assert set(data.y_train.tolist()) <= {0, 1, 2} and len(data.X_test) == 15
    labels = {(round(float(x[0]), 4), round(float(x[1]), 4)): int(y) for x, y in zip(data.X_train, data.y_train)}
    for p, q, k in rows:
        if (round(p, 4), round(q, 4)) in labels:
            assert labels[(round(p, 4), round(q, 4))] == [-1, 5, 7].index(k)


def test_many_integer_values_are_a_quantity(tmp_path: Path) -> None:
    rows = [(i, i % 3, 2 * i) for i in range(MAX_CLASSES + 40)]
    data = run_data(Settings(dataset=CSV), write(tmp_path / "t.csv", "a,b,y", rows))
    assert data.classes is None and data.y_train.shape[1] == 1 and data.y_train.dtype == np.float32


def test_one_class_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="^the CSV table's labels hold one class \\('same'\\); a classifier needs two or more$"):
        run_data(Settings(dataset=CSV), write(tmp_path / "t.csv", "a,b,y", [(i, i, "same") for i in range(20)]))


def test_the_plane_spans_the_points_and_a_tenth_more() -> None:
    data = run_data(Settings(dataset="circles", noise=0.0, points=100), None)
    x0, x1, y0, y1 = data.bounds
    assert (x0, x1) == pytest.approx((-1.2, 1.2), abs=1e-6) and (y0, y1) == pytest.approx((-1.2, 1.2), abs=1e-2)
    grid = data.grid(3)
    assert grid[0].tolist() == pytest.approx([x0, y1]) and grid[-1].tolist() == pytest.approx([x1, y0])  # top left to bottom right


def test_a_wider_table_holds_the_other_inputs_at_their_means(tmp_path: Path) -> None:
    rows = [(i, -i, 3 + i % 2, i % 2) for i in range(40)]
    data = run_data(Settings(dataset=CSV), write(tmp_path / "t.csv", "a,b,c,y", rows))
    grid = data.grid(4)
    assert grid.shape == (16, 3) and np.all(grid[:, 2] == np.float32(data.X_train[:, 2].mean()))
