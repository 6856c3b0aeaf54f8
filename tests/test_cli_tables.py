"""Issue 12's done-means for tables: scikit-learn's iris, wine, breast cancer and diabetes written
as CSVs and trained through the CLI with no flags reach what StandardScaler + MLPClassifier /
MLPRegressor (defaults, random_state=0) reach on the same split, less a small-sample tolerance:
0.04 accuracy (a little over one of iris's 30 test rows) and 0.05 R². Predict prints the class
names, and the saved model keeps the preprocessing and the names exactly.
"""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.metrics import r2_score
from deltaprop.scaling import Scaling

from .test_cli import run_main

sklearn_datasets = pytest.importorskip("sklearn.datasets")

ACCURACY_TOLERANCE = 0.04
R2_TOLERANCE = 0.05
TABLES = ["iris", "wine", "breast_cancer", "diabetes"]


def write_table(name: str, folder: Path) -> Path:
    """Write scikit-learn's table ``name`` as a CSV: a header, the features, the target last
    (the class names where the data set has them)."""
    bunch = getattr(sklearn_datasets, f"load_{name}")()
    target = bunch.target if name == "diabetes" else bunch.target_names[bunch.target]
    path = folder / f"{name}.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*bunch.feature_names, "target"])
        writer.writerows([*map(repr, map(float, row)), label] for row, label in zip(bunch.data, target))
    return path


def sklearn_score(path: Path) -> float:
    """The scikit-learn pipeline's test score on deltaprop's split of ``path``."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    (X_train, y_train), (X_test, y_test) = dp.datasets.read(path).split()
    regression = path.stem == "diabetes"
    model = make_pipeline(StandardScaler(), (MLPRegressor if regression else MLPClassifier)(random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    return r2_score(y_test, model.predict(X_test)) if regression else model.score(X_test, y_test)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Each table trained once through the CLI with no flags: its CSV, model, metrics and output."""
    folder = tmp_path_factory.mktemp("tables")
    runs = {}
    for name in TABLES:
        path = write_table(name, folder)
        model, metrics = folder / f"{name}.npz", folder / f"{name}.json"
        result = run_main("train", "--dataset", path, "--quiet", "--out", model, "--metrics", metrics)
        assert result.code == 0, result
        runs[name] = {"csv": path, "model": model, "metrics": json.loads(metrics.read_text()), "result": result}
    return runs


@pytest.mark.parametrize("name", TABLES)
def test_no_flags_reach_the_sklearn_pipeline(trained: dict[str, dict], name: str) -> None:
    metrics, bar = trained[name]["metrics"], sklearn_score(trained[name]["csv"])
    assert metrics["ranks"] == 1
    if name == "diabetes":
        assert metrics["task"] == "regression" and metrics["test_accuracy"] is None
        assert metrics["test_r2"] >= bar - R2_TOLERANCE
    else:
        assert metrics["task"] == "classification" and metrics["test_r2"] is None
        assert metrics["test_accuracy"] >= bar - ACCURACY_TOLERANCE


@pytest.mark.parametrize("name", TABLES)
def test_train_says_what_it_decided_and_every_setting(trained: dict[str, dict], name: str) -> None:
    out = trained[name]["result"].out
    task = "regression" if name == "diabetes" else "classification"
    why = "214 distinct integers, more than 20" if name == "diabetes" else "named classes"
    assert out.splitlines()[0].startswith(f"task: {task} (the target holds") and why in out.splitlines()[0]
    settings = next(line for line in out.splitlines() if line.startswith("settings: "))
    for flag in ("--sizes", "--activation relu", "--optimizer adam", "--validation 0.2", "--early-stopping 30",
                 "--seed 0", f"--task {task}"):
        assert flag in settings
    assert "early stopping: " in out and "whose weights the model keeps" in out


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer"])
def test_predict_prints_the_class_names(trained: dict[str, dict], name: str) -> None:
    run = trained[name]
    result = run_main("predict", run["model"], run["csv"], "--proba")
    assert result.code == 0, result
    rows = list(csv.reader(result.out.splitlines()))
    net = dp.load(run["model"])
    assert rows[0] == ["class", *net.classes]
    with open(run["csv"], newline="") as f:
        names = [row[-1] for row in list(csv.reader(f))[1:]]
    predicted = [row[0] for row in rows[1:]]
    assert set(predicted) <= set(net.classes) and len(predicted) == len(names)
    assert np.mean(np.array(predicted) == np.array(names)) >= 0.9
    proba = np.array([[float(v) for v in row[1:]] for row in rows[1:]])
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-4)


def test_predict_matches_columns_by_name_without_the_label(trained: dict[str, dict], tmp_path: Path) -> None:
    run = trained["iris"]
    with open(run["csv"], newline="") as f:
        table = list(csv.reader(f))
    shuffled = tmp_path / "shuffled.csv"  # features in another order, no label column
    with open(shuffled, "w", newline="") as f:
        csv.writer(f).writerows([row[3], row[1], row[0], row[2]] for row in table)
    original, reordered = run_main("predict", run["model"], run["csv"]), run_main("predict", run["model"], shuffled)
    assert reordered.code == 0, reordered
    assert reordered.out == original.out


def test_diabetes_predictions_are_in_the_targets_units(trained: dict[str, dict]) -> None:
    run = trained["diabetes"]
    result = run_main("predict", run["model"], run["csv"])
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0] == "prediction"
    values = np.array([float(v) for v in lines[1:]])
    assert 50 < values.mean() < 250  # diabetes' targets run from 25 to 346


@pytest.mark.parametrize("name", TABLES)
def test_model_round_trip_keeps_preprocessing_and_names(trained: dict[str, dict], name: str) -> None:
    run = trained[name]
    net, data = dp.load(run["model"]), dp.datasets.read(run["csv"])
    X_train = data.train[0]
    assert net.input_scaling == Scaling.standardize(X_train)
    assert net.feature_names == data.feature_names
    assert net.provenance["dataset"] == str(run["csv"].resolve())
    assert net.provenance["deltaprop_version"] == dp.__version__
    assert net.provenance["settings"]["optimizer"] == "adam"
    if name == "diabetes":
        assert net.task == "regression" and net.classes is None
        assert net.target_scaling == Scaling.standardize(data.train[1].astype(np.float32)[:, None])
        assert net.provenance["scores"]["test_r2"] == run["metrics"]["test_r2"]
    else:
        assert net.task == "classification" and net.classes == data.classes
        assert net.provenance["scores"]["test_accuracy"] == run["metrics"]["test_accuracy"]
    again = dp.load(dp.save(net, run["model"].with_name(f"{name}-again.npz")))
    for key in ("input_scaling", "target_scaling", "classes", "feature_names", "task", "provenance"):
        assert getattr(again, key) == getattr(net, key), key
    np.testing.assert_array_equal(again.predict(data.test[0]), net.predict(data.test[0]))


@pytest.mark.parametrize("name", ["iris", "diabetes"])
def test_evaluate_uses_the_recorded_data_set(trained: dict[str, dict], name: str) -> None:
    run = trained[name]
    result = run_main("evaluate", run["model"])
    assert result.code == 0, result
    if name == "diabetes":
        assert f"R²: {run['metrics']['test_r2']:.4f}" in result.out
    else:
        assert f"accuracy: {run['metrics']['test_accuracy']:.4f}" in result.out
        assert "0 setosa" in result.out  # the confusion table names the classes


def test_integer_labels_become_classes_by_their_distinct_values(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    labels = np.where(X[:, 0] > 0, 7, 10**9)  # one absurd label value: still two outputs
    path = tmp_path / "absurd.csv"
    path.write_text("a,b,label\n" + "".join(f"{a:.5f},{b:.5f},{c}\n" for (a, b), c in zip(X, labels)))
    model = tmp_path / "m.npz"
    result = run_main("train", "--dataset", path, "--quiet", "--out", model)
    assert result.code == 0, result
    assert "2 distinct integers, at most 20" in result.out
    net = dp.load(model)
    assert net.sizes[-1] == 2 and net.classes == ["7", "1000000000"]
    forced = run_main("train", "--dataset", path, "--quiet", "--task", "regression", "--epochs", 2)
    assert forced.code == 0, forced
    assert forced.out.startswith("task: regression (--task regression)")


# ---------------------------------------------------------------- what a user's trial found
def _rewrite(path: Path, out: Path, columns=None, labels=None) -> Path:
    """``path`` with its columns in the order ``columns`` (indices) and its labels mapped by ``labels``."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    columns = columns or list(range(len(rows[0])))
    with open(out, "w", newline="") as f:
        writer = csv.writer(f)
        for i, row in enumerate(rows):
            row = [row[j] for j in columns]
            if labels is not None and i > 0:
                row[-1] = labels[row[-1]]
            writer.writerow(row)
    return out


def test_evaluate_and_report_match_columns_by_name(trained, tmp_path):
    iris = trained["iris"]
    shuffled = _rewrite(iris["csv"], tmp_path / "iris_reordered.csv", columns=[3, 2, 1, 0, 4])
    result = run_main("evaluate", iris["model"], "--dataset", shuffled)
    assert result.code == 0, result
    assert f"accuracy: {iris['metrics']['test_accuracy']:.4f}" in result.out
    from deltaprop.report import render_report

    page = render_report(dp.load(iris["model"]), dataset=shuffled)
    assert f'id="test-accuracy">{iris["metrics"]["test_accuracy"]:.4f}<' in page


def test_integer_labels_that_are_not_class_numbers_are_class_names(trained, tmp_path):
    wine = _rewrite(trained["wine"]["csv"], tmp_path / "wine123.csv", labels={"class_0": "1", "class_1": "2", "class_2": "3"})
    model = tmp_path / "wine123.npz"
    assert run_main("train", "--dataset", wine, "--quiet", "--out", model).code == 0
    net = dp.load(model)
    assert net.classes == ["1", "2", "3"]
    evaluated = run_main("evaluate", model)
    assert evaluated.code == 0, evaluated
    accuracy = float(evaluated.out.split("accuracy: ")[1].split()[0])
    assert accuracy == pytest.approx(float(trained["wine"]["metrics"]["test_accuracy"]), abs=0.06) and accuracy > 0.85
    out = tmp_path / "report.html"
    assert run_main("report", model, "--out", out).code == 0  # reads the labels as the names they are


def test_a_run_that_diverges_is_one_line(trained):
    result = run_main("train", "--dataset", trained["iris"]["csv"], "--lr", "1e30", "--quiet")
    assert result.code == 2
    assert result.err.startswith("deltaprop: error: training diverged in epoch ") and result.err.count("\n") == 1


def test_a_reader_that_leaves_early_loses_no_file(trained, tmp_path, monkeypatch):
    import io

    from deltaprop.cli import main

    class Closed(io.StringIO):
        def write(self, text):
            if "test accuracy" in text or "model saved" in text:
                raise BrokenPipeError
            return super().write(text)

    monkeypatch.setattr("sys.stdout", Closed())
    monkeypatch.setattr("sys.stderr", io.StringIO())  # main closes stderr when stdout's reader is gone
    model, metrics = tmp_path / "m.npz", tmp_path / "m.json"
    assert main(["train", "--dataset", str(trained["iris"]["csv"]), "--quiet", "--out", str(model), "--metrics", str(metrics)]) == 0
    assert model.is_file() and metrics.is_file()


def test_the_report_of_a_regressor_says_targets_and_uses_the_recorded_label_column(trained, tmp_path):
    from deltaprop.report import render_report

    page = render_report(dp.load(trained["diabetes"]["model"]))
    assert "targets per example" in page and ">classes<" not in page
    first = _rewrite(trained["iris"]["csv"], tmp_path / "iris_first.csv", columns=[4, 0, 1, 2, 3])
    model = tmp_path / "first.npz"
    assert run_main("train", "--dataset", first, "--target", "target", "--quiet", "--out", model).code == 0
    assert run_main("report", model, "--out", tmp_path / "r.html").code == 0
