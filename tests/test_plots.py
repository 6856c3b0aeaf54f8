"""Plots: each file is read back and holds a picture; the data drawn is the data given.

Also: the counts of the confusion matrix, the per-layer gradient norms (and Nielsen's
observation that a deep sigmoid network's first layer learns slowest), the checks on bad
input, atomic writes, lazy imports, and ``deltaprop plot``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import plots

from .test_cli import assert_user_error, run_main

pytest.importorskip("matplotlib")
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import imread  # noqa: E402

TRAIN_BLUE, VALIDATION_ORANGE = "#1f77b4", "#ff7f0e"  # matplotlib's C0 and C1


# ---------------------------------------------------------------------------- helpers
def read_png(path: Path, fig: Figure) -> np.ndarray:
    """Read ``path`` back as RGB and check it is the figure's size and far from blank."""
    image = imread(path)
    width, height = fig.get_size_inches() * fig.dpi
    assert image.shape[:2] == (round(height), round(width))
    rgb = image[..., :3]
    ink = np.any(rgb < 0.95, axis=-1).mean()  # the background is white
    assert ink > 0.03, f"only {ink:.1%} of the pixels are drawn"
    colours = np.unique((rgb * 255).round().astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) >= 20, f"only {len(colours)} distinct colours"
    return rgb


def pixels_of(rgb: np.ndarray, colour: str, tol: float = 0.03) -> int:
    """How many pixels are ``colour`` (within ``tol`` per channel)."""
    return int(np.all(np.abs(rgb - np.array(to_rgb(colour))) < tol, axis=-1).sum())


@pytest.fixture(scope="module")
def digits() -> tuple:
    return dp.datasets.load("digits")


@pytest.fixture(scope="module")
def trained(digits: tuple) -> tuple[dp.Network, dp.History]:
    """A 64-30-10 network after 4 epochs, with a validation set."""
    (X, y), (X_test, y_test) = digits
    net = dp.Network([64, 30, 10], output="softmax", cost="log_likelihood", seed=0)
    history = dp.fit(net, X, y, epochs=4, validation=(X_test, y_test), seed=0, progress=False)
    return net, history


def history_dict(epochs: int = 3, validation: bool = True, accuracy: bool = True) -> dict:
    """A hand-made history dict, as ``deltaprop train --metrics`` writes it."""
    cost = [1.0 / (e + 1) for e in range(epochs)]
    acc = [0.5 + 0.1 * e if accuracy else None for e in range(epochs)]
    return {
        "cost": cost,
        "accuracy": acc,
        "val_cost": [c * 1.2 for c in cost] if validation else [],
        "val_accuracy": [a - 0.05 if accuracy else None for a in acc] if validation else [],
    }


# ---------------------------------------------------------------------------- learning curves
def test_learning_curves_draw_the_history(trained: tuple, tmp_path: Path) -> None:
    _, history = trained
    path = tmp_path / "curves.png"
    fig = plots.learning_curves(history, path)
    rgb = read_png(path, fig)
    cost_ax, accuracy_ax = fig.axes  # constant η: no learning-rate axis
    for ax, train, validation in ((cost_ax, history.cost, history.val_cost), (accuracy_ax, history.accuracy, history.val_accuracy)):
        lines = [line for line in ax.get_lines()]
        assert len(lines) == 2
        np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(1, 5))
        np.testing.assert_array_equal(lines[0].get_ydata(), train)
        np.testing.assert_array_equal(lines[1].get_ydata(), validation)
    assert pixels_of(rgb, TRAIN_BLUE) > 200 and pixels_of(rgb, VALIDATION_ORANGE) > 200


def test_learning_curves_without_validation_draw_training_only(tmp_path: Path) -> None:
    path = tmp_path / "curves.png"
    fig = plots.learning_curves(history_dict(validation=False), path)
    rgb = read_png(path, fig)
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1]
    assert pixels_of(rgb, TRAIN_BLUE) > 200
    assert pixels_of(rgb, VALIDATION_ORANGE) == 0


def test_learning_curves_of_a_regression_have_one_panel(tmp_path: Path) -> None:
    path = tmp_path / "curves.png"
    fig = plots.learning_curves(history_dict(accuracy=False), path)
    read_png(path, fig)
    assert len(fig.axes) == 1
    assert fig.axes[0].get_ylabel() == "cost C"


def test_learning_curves_show_a_changing_learning_rate_and_the_best_epoch() -> None:
    history = history_dict(epochs=4) | {"lr": [0.5, 0.5, 0.25, 0.1], "best_epoch": 3}
    fig = plots.learning_curves(history)
    cost_ax, accuracy_ax, lr_ax = fig.axes
    np.testing.assert_array_equal(lr_ax.get_lines()[0].get_ydata(), [0.5, 0.5, 0.25, 0.1])
    assert lr_ax.get_ylabel() == "learning rate η"
    for ax in (cost_ax, accuracy_ax):
        best = [line for line in ax.get_lines() if line.get_label() == "best epoch (3)"]
        assert len(best) == 1 and list(best[0].get_xdata()) == [3, 3]


def test_learning_curves_from_history_and_its_json_agree(trained: tuple) -> None:
    _, history = trained
    from_json = json.loads(json.dumps(history.to_dict()))
    a, b = plots.learning_curves(history), plots.learning_curves(from_json)
    for ax_a, ax_b in zip(a.axes, b.axes, strict=True):
        for line_a, line_b in zip(ax_a.get_lines(), ax_b.get_lines(), strict=True):
            np.testing.assert_array_equal(line_a.get_ydata(), line_b.get_ydata())


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_vector_formats_follow_the_suffix(trained: tuple, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"curves{suffix.upper()}"  # the suffix's case does not matter
    plots.learning_curves(trained[1], path)
    data = path.read_bytes()
    if suffix == ".pdf":
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    else:
        import xml.etree.ElementTree as ET

        root = ET.fromstring(data)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 50
    assert len(data) > 5000


# ---------------------------------------------------------------------------- gradient norms
def test_layer_gradient_norms_are_the_norms_of_dW(digits: tuple) -> None:
    (X, y), _ = digits
    net = dp.Network([64, 20, 15, 10], output="softmax", cost="log_likelihood", seed=3, dtype="float64")
    norms = plots.layer_gradient_norms(net, X[:200], y[:200])
    # Seed 002's example-by-example loop: another path to the same gradients.
    per_example = net.gradients(X[:200], y[:200], per_example=True).dW
    assert len(norms) == 3 and all(isinstance(v, float) for v in norms)
    np.testing.assert_allclose(norms, [np.sqrt(np.sum(dW * dW)) for dW in per_example], rtol=1e-12)
    np.testing.assert_allclose(norms, [np.linalg.norm(dW) for dW in net.gradients(X[:200], y[:200]).dW], rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_deep_sigmoid_network_learns_slowest_in_its_first_layer(digits: tuple, seed: int) -> None:
    """Nielsen, chapter 5: the gradient shrinks on its way back through sigmoid layers.

    At initialisation (w ~ N(0, 1/n_in)) on the digits training set, ‖∂C/∂W‖ grows layer
    by layer through the five hidden layers for every seed tried (0–49); the last hidden
    layer's is at least 287 times the first's. The test asserts 50 times on five seeds.
    """
    (X, y), _ = digits
    net = dp.Network([64, 30, 30, 30, 30, 30, 10], activation="sigmoid", output="softmax", cost="log_likelihood", seed=seed)
    norms = plots.layer_gradient_norms(net, X, y)
    hidden = norms[:5]
    assert all(a < b for a, b in zip(hidden, hidden[1:])), hidden
    assert hidden[-1] > 50 * hidden[0]


def test_gradient_norms_plot_one_line_per_layer(digits: tuple, tmp_path: Path) -> None:
    (X, y), _ = digits
    net = dp.Network([64, 30, 30, 10], output="softmax", cost="log_likelihood", seed=0)
    history = dp.fit(net, X, y, epochs=3, seed=0, progress=False)
    path = tmp_path / "gradients.png"
    fig = plots.gradient_norms(history, path)
    read_png(path, fig)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["hidden layer 1", "hidden layer 2", "output layer"]
    np.testing.assert_array_equal(np.column_stack([line.get_ydata() for line in lines]), history.gradient_norms)


# ---------------------------------------------------------------------------- confusion matrix
def test_confusion_counts_by_hand() -> None:
    y_true = [0, 0, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 2, 0, 2]
    counts = plots.confusion_counts(y_true, y_pred, 3)
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert counts.dtype.kind == "i"
    # A class that never occurs keeps its (zero) row and column.
    np.testing.assert_array_equal(plots.confusion_counts(y_true, y_pred, 4)[3], [0, 0, 0, 0])
    np.testing.assert_array_equal(plots.confusion_counts(y_true, y_pred, 4)[:, 3], [0, 0, 0, 0])


def test_confusion_counts_match_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 7, 500), rng.integers(0, 7, 500)
    np.testing.assert_array_equal(
        plots.confusion_counts(y_true, y_pred, 7), metrics.confusion_matrix(y_true, y_pred, labels=range(7))
    )


def test_confusion_matrix_of_a_network(trained: tuple, digits: tuple, tmp_path: Path) -> None:
    net, _ = trained
    _, (X_test, y_test) = digits
    path = tmp_path / "confusion.png"
    fig = plots.confusion_matrix(net, X_test, y_test, path=path)
    read_png(path, fig)
    ax = fig.axes[0]
    counts = plots.confusion_counts(y_test, net.predict(X_test), 10)
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), counts)
    assert [t.get_text() for t in ax.texts] == [str(c) for c in counts.ravel()]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(k) for k in range(10)]
    assert ax.get_title() == f"accuracy {net.accuracy(X_test, y_test):.4f} on {len(y_test)} examples"
    # Target rows instead of labels give the same picture.
    one_hot = np.eye(10)[y_test]
    again = plots.confusion_matrix(net, X_test, one_hot)
    assert [t.get_text() for t in again.axes[0].texts] == [t.get_text() for t in ax.texts]


def test_confusion_matrix_names_the_networks_classes_and_takes_raw_inputs(trained: tuple, digits: tuple) -> None:
    """A network with class names and an input scaling: its names on both axes, its own
    predictions (the names mapped back to classes), the inputs in its own units."""
    from deltaprop.scaling import Scaling

    net, _ = trained
    _, (X_test, y_test) = digits
    named = net.copy()
    named.classes = [f"digit {k}" for k in range(10)]
    named.input_scaling = Scaling.divide_by(16, 64)
    fig = plots.confusion_matrix(named, 16 * X_test, np.array(named.classes)[y_test])  # raw pixels, labels by name
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == named.classes
    assert [t.get_text() for t in ax.get_yticklabels()] == named.classes
    counts = plots.confusion_counts(y_test, net.predict(X_test), 10)
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), counts)
    given = plots.confusion_matrix(named, 16 * X_test, y_test, class_names=[str(k) for k in range(10)])
    assert [t.get_text() for t in given.axes[0].get_xticklabels()] == [str(k) for k in range(10)]  # names given win


def test_confusion_matrix_of_two_label_vectors_with_names(tmp_path: Path) -> None:
    path = tmp_path / "confusion.png"
    names = ["cat", "dog", "bird", "fish"]
    fig = plots.confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], class_names=names, path=path)
    read_png(path, fig)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert [t.get_text() for t in ax.texts] == ["1", "0", "0", "0", "0", "1", "1", "0", "0", "0", "1", "0", "0", "0", "0", "0"]


# ---------------------------------------------------------------------------- weight tiles
def test_weight_tiles_show_each_unit_scaled(trained: tuple, tmp_path: Path) -> None:
    net, _ = trained
    path = tmp_path / "tiles.png"
    fig = plots.weight_tiles(net, path)
    read_png(path, fig)
    canvas = np.ma.filled(fig.axes[0].get_images()[0].get_array(), np.nan)
    assert canvas.shape == (5 * 9 - 1, 6 * 9 - 1)  # 30 tiles of 8×8 in 5 rows of 6, 1-pixel gaps
    W = net.weights[0].astype(np.float64)
    for j in (0, 7, 29):
        r, c = divmod(j, 6)
        tile = canvas[r * 9 : r * 9 + 8, c * 9 : c * 9 + 8]
        np.testing.assert_allclose(tile, W[j].reshape(8, 8) / np.abs(W[j]).max())
        assert np.abs(tile).max() == 1.0
    assert np.isnan(canvas[8]).all() and np.isnan(canvas[:, 8]).all()  # the gaps hold no weights


def test_weight_tiles_with_an_explicit_shape_and_a_partial_last_row() -> None:
    net = dp.Network([12, 5, 2], seed=0)
    fig = plots.weight_tiles(net, shape=(3, 4))
    canvas = np.ma.filled(fig.axes[0].get_images()[0].get_array(), np.nan)
    assert canvas.shape == (2 * 4 - 1, 3 * 5 - 1)  # 5 tiles in 2 rows of 3
    np.testing.assert_allclose(canvas[4:7, 5:9], net.weights[0][4].reshape(3, 4) / np.abs(net.weights[0][4]).max(), rtol=1e-6)
    assert np.isnan(canvas[4:7, 10:14]).all()  # the sixth place is empty


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: plots.learning_curves([0.5, 0.4]), TypeError, "history must be a deltaprop History or a dict with keys cost, accuracy, val_cost, val_accuracy; got list"),
        (lambda: plots.learning_curves({"cost": [1.0], "accuracy": [0.5]}), ValueError, "history is missing 'val_cost', 'val_accuracy'"),
        (lambda: plots.learning_curves(history_dict(epochs=0)), ValueError, "history has no epochs: history['cost'] is empty"),
        (lambda: plots.learning_curves(history_dict() | {"accuracy": [0.5, 0.6]}), ValueError, "history['accuracy'] has 2 entries; it must have 3 (one per epoch)"),
        (lambda: plots.learning_curves(history_dict() | {"val_cost": [1.0]}), ValueError, "history['val_cost'] has 1 entries; it must have 3 (one per epoch) or none"),
        (lambda: plots.learning_curves(history_dict() | {"cost": [1.0, "x", 0.5]}), ValueError, "history['cost'][1] must be a finite number; got 'x'"),
        (lambda: plots.learning_curves(history_dict() | {"cost": [1.0, None, 0.5]}), ValueError, "history['cost'][1] must be a finite number; got None"),
        (lambda: plots.learning_curves(history_dict() | {"val_cost": [1.0, float("nan"), 0.5]}), ValueError, "history['val_cost'][1] must be a finite number; got nan"),
        (lambda: plots.learning_curves(history_dict() | {"cost": 1.0}), ValueError, "history['cost'] must be a list with one number per epoch; got float"),
        (lambda: plots.learning_curves(history_dict() | {"best_epoch": 4}), ValueError, "history['best_epoch'] must be None or an epoch number from 1 to 3; got 4"),
        (lambda: plots.gradient_norms(history_dict()), ValueError, "history has no 'gradient_norms'"),
        (lambda: plots.gradient_norms({"gradient_norms": [[1.0, 2.0], [1.0]]}), ValueError, "history['gradient_norms'][1] has 1 norms; every epoch needs one per layer (2)"),
        (lambda: plots.gradient_norms({"gradient_norms": [[1.0, -2.0]]}), ValueError, "history['gradient_norms'][0][1] must be a finite number ≥ 0; got -2.0"),
        (lambda: plots.gradient_norms({"gradient_norms": [1.0, 2.0]}), ValueError, "history['gradient_norms'] must be a list per epoch of a list of norms per layer"),
        (lambda: plots.learning_curves(history_dict(), "curves.jpg"), ValueError, "path 'curves.jpg' must end in .png, .svg or .pdf (the suffix picks the format)"),
        (lambda: plots.learning_curves(history_dict(), "no/such/folder/c.png"), FileNotFoundError, "path 'no/such/folder/c.png': folder 'no/such/folder' does not exist"),
        (lambda: plots.learning_curves(history_dict(), 3), TypeError, "path must be a file name (str or Path); got int"),
        (lambda: plots.confusion_counts([0, 1, 3], [0, 1, 2], 3), ValueError, "y_true holds label 3 at index 2; labels must be integers in [0, 3)"),
        (lambda: plots.confusion_counts([0, 1], [0, 1, 2], 3), ValueError, "y_true and y_pred must have the same length; got 2 and 3"),
        (lambda: plots.confusion_counts([0, 1.5], [0, 1], 3), ValueError, "y_true must hold integer class labels; got 1.5 at index 1"),
        (lambda: plots.confusion_counts([[0, 1]], [0, 1], 3), ValueError, "y_true must be a non-empty 1-D array of class labels; got shape (1, 2)"),
        (lambda: plots.confusion_counts([0], [0], 0), ValueError, "n_classes must be a positive integer; got 0"),
        (lambda: plots.confusion_matrix([0, 1]), TypeError, "confusion_matrix takes (net, X, y) or (y_true, y_pred); got 1 positional arguments"),
        (lambda: plots.confusion_matrix([0, -1], [0, 1]), ValueError, "y_true holds label -1 at index 1; labels must be integers ≥ 0"),
        (lambda: plots.confusion_matrix([0, 1], [0, 2], class_names=["a", "b"]), ValueError, "class_names lists 2 names but there are 3 classes"),
        (
            lambda: plots.confusion_matrix(dp.Network([2, 3, 1], output="identity", cost="quadratic"), np.zeros((2, 2)), np.zeros(2)),
            ValueError,
            "a confusion matrix needs a classifier (sigmoid or softmax output); this network's output is identity",
        ),
        (lambda: plots.weight_tiles(dp.Network([12, 5, 2])), ValueError, "the first layer takes 12 inputs, which is not a square image; pass shape=(height, width) with height × width = 12"),
        (lambda: plots.weight_tiles(dp.Network([12, 5, 2]), shape=(3, 3)), ValueError, "shape (3, 3) has 9 pixels but the first layer takes 12 inputs"),
        (lambda: plots.weight_tiles(dp.Network([12, 5, 2]), shape=(3, 4.0)), ValueError, "shape must be (height, width), two positive integers; got (3, 4.0)"),
        (lambda: plots.weight_tiles("model.npz"), TypeError, "net must be a deltaprop Network; got str"),
        (lambda: plots.layer_gradient_norms(None, [[0.0]], [0]), TypeError, "net must be a deltaprop Network; got NoneType"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, error: type, message: str) -> None:
    with pytest.raises(error) as info:
        call()
    assert str(info.value).startswith(message), str(info.value)


def test_a_failed_save_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "curves.png"
    path.write_bytes(b"the old picture")

    def broken(self: Figure, f: object, **kwargs: object) -> None:
        f.write(b"half a pic")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        plots.learning_curves(history_dict(), path)
    assert path.read_bytes() == b"the old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # no temporary file left


def test_missing_matplotlib_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what `import matplotlib` sees when it is absent
    with pytest.raises(ImportError, match=r"^plots need matplotlib, which is not installed: pip install 'deltaprop\[plot\]'$"):
        plots.weight_tiles(dp.Network([4, 2]))


def test_matplotlib_is_imported_late_and_pyplot_never(tmp_path: Path) -> None:
    code = (
        "import sys, deltaprop, deltaprop.plots\n"
        "assert 'matplotlib' not in sys.modules, 'imported with deltaprop.plots'\n"
        f"deltaprop.plots.weight_tiles(deltaprop.Network([4, 3, 2]), {str(tmp_path / 't.png')!r})\n"
        "assert 'matplotlib' in sys.modules and 'matplotlib.pyplot' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "t.png").stat().st_size > 1000


# ---------------------------------------------------------------------------- deltaprop plot
@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A model and its metrics file from ``deltaprop train``, and a metrics file without gradient norms."""
    folder = tmp_path_factory.mktemp("run")
    model, metrics = folder / "model.npz", folder / "metrics.json"
    result = run_main("train", "--epochs", 3, "--sizes", "64,30,10", "--quiet", "--out", model, "--metrics", metrics)
    assert result.code == 0, result
    data = json.loads(metrics.read_text(encoding="utf-8"))
    data["history"].pop("gradient_norms", None)
    bare = folder / "bare.json"
    bare.write_text(json.dumps(data), encoding="utf-8")
    return {"model": model, "metrics": metrics, "bare": bare, "folder": folder}


def test_cli_plots_learning_curves_and_gradient_norms(run: dict[str, Path], tmp_path: Path) -> None:
    history = json.loads(run["metrics"].read_text(encoding="utf-8"))["history"]
    if not history.get("gradient_norms"):  # `deltaprop train` records them; fill them in if it did not
        history["gradient_norms"] = [[1.0, 0.5]] * len(history["cost"])
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"history": history}), encoding="utf-8")
    curves, gradients = tmp_path / "curves.png", tmp_path / "gradients.png"
    result = run_main("plot", metrics, "--out", curves, "--gradients", gradients)
    assert result.code == 0, result
    assert result.out.splitlines() == [f"learning curves saved to {curves}", f"gradient norms saved to {gradients}"]
    rgb = read_png(curves, plots.learning_curves(history))
    assert pixels_of(rgb, TRAIN_BLUE) > 200
    read_png(gradients, plots.gradient_norms(history))


def test_cli_plots_weight_tiles_and_confusion_matrix(run: dict[str, Path], tmp_path: Path) -> None:
    net = dp.load(run["model"])
    tiles, confusion = tmp_path / "tiles.png", tmp_path / "cm.png"
    result = run_main("plot", run["model"], "--weights", "--out", tiles)
    assert result.code == 0, result
    assert result.out == f"weight tiles saved to {tiles}\n"
    read_png(tiles, plots.weight_tiles(net))
    result = run_main("plot", run["model"], "--confusion", "--dataset", "digits", "--out", confusion)
    assert result.code == 0, result
    assert result.out == f"confusion matrix saved to {confusion} (359 test examples of digits)\n"
    X_test, y_test = dp.datasets.read("digits").test  # raw pixels: a model the CLI trains scales its inputs itself
    read_png(confusion, plots.confusion_matrix(net, X_test, y_test))


def test_cli_gradients_missing_from_metrics_writes_nothing(run: dict[str, Path], tmp_path: Path) -> None:
    curves = tmp_path / "curves.png"
    result = run_main("plot", run["bare"], "--out", curves, "--gradients", tmp_path / "g.png")
    assert_user_error(result, "history has no 'gradient_norms'")
    assert list(tmp_path.iterdir()) == []  # not even the learning curves


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{metrics}", "--out", "{tmp}/c.jpg"], "--out {tmp}/c.jpg: must end in .png, .svg or .pdf (the suffix picks the format)"),
        (["{metrics}", "--out", "{tmp}/nowhere/c.png"], "--out {tmp}/nowhere/c.png: folder {tmp}/nowhere does not exist"),
        (["{metrics}", "--out", "{tmp}/c.png", "--gradients", "{tmp}/c.png"], "--out and --gradients name the same file"),
        (["{metrics}", "--weights", "--out", "{tmp}/c.png"], "--weights draws a model (.npz); {metrics} is a metrics file"),
        (["{model}", "--out", "{tmp}/c.png"], "{model} is a model: say what to draw with --weights or --confusion"),
        (["{model}", "--weights", "--gradients", "{tmp}/g.png", "--out", "{tmp}/c.png"], "--gradients goes with a metrics .json only"),
        (["{model}", "--weights", "--dataset", "digits", "--out", "{tmp}/c.png"], "--dataset goes with --confusion only"),
        (["{model}", "--confusion", "--shape", "8,8", "--out", "{tmp}/c.png"], "--shape goes with --weights only"),
        (["{model}", "--weights", "--shape", "4,4", "--out", "{tmp}/c.png"], "shape (4, 4) has 16 pixels but the first layer takes 64 inputs"),
        (["{model}", "--weights", "--shape", "8", "--out", "{tmp}/c.png"], "argument --shape: must be HEIGHT,WIDTH, two positive integers like 28,28; got '8'"),
        (["{model}", "--confusion", "--dataset", "xor", "--out", "{tmp}/c.png"], "{model}: the network takes 64 inputs but data set 'xor' has 2"),
        (["{tmp}/none.json", "--out", "{tmp}/c.png"], "{tmp}/none.json: no such metrics file"),
        (["{tmp}/none.npz", "--weights", "--out", "{tmp}/c.png"], "{tmp}/none.npz: no such model file"),
        (["{tmp}/notes.txt", "--out", "{tmp}/c.png"], "{tmp}/notes.txt: must be a metrics .json (from 'deltaprop train --metrics') or a model .npz"),
        (["{tmp}/garbage.json", "--out", "{tmp}/c.png"], "{tmp}/garbage.json: not a JSON file (Expecting value: line 1 column 1 (char 0))"),
        (["{tmp}/list.json", "--out", "{tmp}/c.png"], "{tmp}/list.json: has no 'history' object; expected the JSON that 'deltaprop train --metrics' writes"),
        (["{metrics}", "--weights", "--confusion", "--out", "{tmp}/c.png"], "argument --confusion: not allowed with argument --weights"),
        (["{metrics}"], "the following arguments are required: --out"),
    ],
)
def test_cli_plot_mistakes_are_one_line(run: dict[str, Path], tmp_path: Path, argv: list[str], message: str) -> None:
    (tmp_path / "garbage.json").write_text("not json", encoding="utf-8")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    names = {"metrics": run["metrics"], "model": run["model"], "tmp": tmp_path}
    result = run_main("plot", *(arg.format(**names) for arg in argv))
    assert_user_error(result, message.format(**names))
    assert not (tmp_path / "c.png").exists()
