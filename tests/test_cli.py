"""The ``deltaprop`` command line: train, evaluate, predict, gradcheck and user mistakes.

Most cases call :func:`deltaprop.cli.main` in-process; a few run the real console script or
``python -m deltaprop`` in a subprocess to see exactly what reaches a terminal.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.cli import main
from deltaprop.training.checkpoint import CHECKPOINT_FILE, MODEL_FILE


@dataclass
class Result:
    """What one command did: exit status and everything it printed."""

    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


def run_main(*argv: object) -> Result:
    """Call ``main(argv)`` in-process; argparse's ``SystemExit`` becomes an exit status too."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return Result(code, out.getvalue(), err.getvalue())


def run_process(*argv: object, cwd: Path, command: list[str] | None = None) -> Result:
    """Run ``python -m deltaprop argv`` (or ``command argv``) in a subprocess."""
    base = command or [sys.executable, "-m", "deltaprop"]
    proc = subprocess.run([*base, *map(str, argv)], cwd=cwd, capture_output=True, text=True, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_user_error(result: Result, fragment: str) -> None:
    """Exit status 2 and exactly one ``deltaprop...error...`` line on stderr, no traceback."""
    assert result.code == 2, result
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith("deltaprop") and "error" in line, line
    assert fragment in line, line


def printed_value(text: str, prefix: str) -> str:
    """The first word after ``prefix`` on the line of ``text`` that starts with it."""
    line = next(line for line in text.splitlines() if line.startswith(prefix))
    return line.removeprefix(prefix).split()[0]


# ---------------------------------------------------------------------------- a trained model
EPOCHS = 5


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Train once for the whole module: the result, the model path and the metrics."""
    folder = tmp_path_factory.mktemp("trained")
    model, metrics = folder / "model.npz", folder / "metrics.json"
    result = run_main(
        "train", "--dataset", "digits", "--epochs", EPOCHS, "--quiet", "--out", model, "--metrics", metrics
    )
    return {"result": result, "model": model, "metrics_path": metrics, "folder": folder}


@pytest.fixture(scope="module")
def metrics(trained: dict) -> dict:
    return json.loads(trained["metrics_path"].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def test_rows() -> np.ndarray:
    """The first 25 rows of the digits test split in raw pixels (0…16): a model the CLI
    trains carries the pixel scaling and takes them as they come."""
    X_test, _ = dp.datasets.read("digits").test
    return X_test[:25]


def test_train_succeeds_and_reports(trained: dict, metrics: dict) -> None:
    result = trained["result"]
    assert result.code == 0, result
    assert result.err == ""  # --quiet: no per-epoch lines
    assert "test accuracy: " in result.out
    assert printed_value(result.out, "test accuracy: ") == f"{metrics['test_accuracy']:.4f}"
    assert f"model saved to {trained['model']}" in result.out


def test_train_metrics_file(metrics: dict) -> None:
    # 5 epochs of the default recipe reach 0.97 on this split; 0.9 leaves a wide margin.
    assert metrics["test_accuracy"] >= 0.9
    assert metrics["train_seconds"] > 0
    assert metrics["epochs"] == EPOCHS
    assert metrics["dataset"] == "digits"
    assert metrics["sizes"] == [64, 100, 10]
    assert metrics["activations"] == ["sigmoid", "softmax"]
    assert metrics["cost"] == "log_likelihood"
    history = metrics["history"]
    for key in ("cost", "accuracy", "seconds"):
        assert len(history[key]) == EPOCHS, key
    assert history["val_cost"] == history["val_accuracy"] == []


def test_train_model_loads(trained: dict, metrics: dict) -> None:
    net = dp.load(trained["model"])
    assert net.sizes == [64, 100, 10]
    data = dp.datasets.read("digits")
    assert net.input_scaling == data.input_scaling and net.classes == data.classes
    assert net.accuracy(*data.test) == metrics["test_accuracy"]
    assert net.provenance["dataset"] == "digits" and net.provenance["scores"]["test_accuracy"] == metrics["test_accuracy"]


def test_evaluate_matches_metrics(trained: dict, metrics: dict) -> None:
    result = run_main("evaluate", trained["model"], "--dataset", "digits")
    assert result.code == 0, result
    assert printed_value(result.out, "accuracy: ") == f"{metrics['test_accuracy']:.4f}"
    assert float(printed_value(result.out, "cost: ")) == pytest.approx(metrics["test_cost"], rel=1e-5)
    assert printed_value(result.out, "examples: ") == "359"


def _write_csv(path: Path, X: np.ndarray) -> None:
    np.savetxt(path, X, delimiter=",")


@pytest.mark.parametrize(("suffix", "writer"), [(".npy", np.save), (".csv", _write_csv)], ids=["npy", "csv"])
def test_predict_prints_one_label_per_row(
    trained: dict, test_rows: np.ndarray, tmp_path: Path, suffix: str, writer: Callable[[Path, np.ndarray], None]
) -> None:
    path = tmp_path / f"input{suffix}"
    writer(path, test_rows)
    result = run_main("predict", trained["model"], path)
    assert result.code == 0, result
    expected = dp.load(trained["model"]).predict(test_rows)
    assert result.out.splitlines() == ["class", *map(str, expected)]


def test_predict_single_csv_row(trained: dict, test_rows: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text(",".join(f"{v:.6f}" for v in test_rows[0]) + "\n")
    result = run_main("predict", trained["model"], path)
    assert result.code == 0, result
    assert result.out.splitlines() == ["class", str(dp.load(trained["model"]).predict(test_rows[:1])[0])]


def test_demo_recipe_reaches_readme_accuracy(tmp_path: Path) -> None:
    """``make demo`` runs ``deltaprop train --dataset digits``: the README promises ≥ 0.95."""
    metrics_path = tmp_path / "demo.json"
    result = run_main("train", "--dataset", "digits", "--quiet", "--metrics", metrics_path)
    assert result.code == 0, result
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    assert metrics["epochs"] == 30
    assert metrics["test_accuracy"] >= 0.95


def test_train_progress_lines_without_quiet() -> None:
    result = run_main("train", "--epochs", 2, "--sizes", "64,10")
    assert result.code == 0, result
    lines = result.err_lines
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2") and lines[1].startswith("epoch 2/2")


# ---------------------------------------------------------------------------- gradcheck
@pytest.mark.parametrize(
    "options",
    [
        pytest.param([], id="default"),
        pytest.param(
            ["--activation", "relu", "--output", "softmax", "--cost", "log_likelihood", "--l2", "0.5"],
            id="relu-softmax-l2",
        ),
        pytest.param(["--directions", "3"], id="directions"),
    ],
)
def test_gradcheck_passes(options: list[str]) -> None:
    result = run_main("gradcheck", *options)
    assert result.code == 0, result
    assert "passed" in result.out
    assert "FAILED" not in result.out


# ---------------------------------------------------------------------------- user mistakes
@pytest.fixture(scope="module")
def files(trained: dict) -> dict[str, Path]:
    """Paths the error cases name: a model, a non-model, bad inputs and missing files."""
    folder = trained["folder"]
    not_a_model = folder / "not_a_model.npz"
    not_a_model.write_text("this is not a zip archive\n")
    wrong_width = folder / "wrong_width.npy"
    np.save(wrong_width, np.zeros((2, 3)))
    json_input = folder / "input.json"
    json_input.write_text("[[0, 0]]\n")
    old_model = dp.save(dp.Network([64, 10], output="softmax", cost="log_likelihood"), folder / "old_model.npz")
    regressor = dp.save(dp.Network([3, 1], output="identity", cost="quadratic"), folder / "regressor.npz")
    (folder / "photo.png").write_bytes(b"not read: the model is not an image model")
    return {
        "folder": folder,
        "old_model": old_model,
        "regressor": regressor,
        "model": trained["model"],
        "not_a_model": not_a_model,
        "wrong_width": wrong_width,
        "json_input": json_input,
        "missing": folder / "missing.npz",
        "missing_input": folder / "missing.npy",
    }


USER_ERRORS = [
    # id, argv (``{name}`` is replaced by files[name]), fragment of the error line
    ("sizes-not-numbers", ["train", "--sizes", "a,b"], "must be two or more comma-separated positive integers"),
    ("sizes-too-short", ["train", "--sizes", "64"], "must be two or more comma-separated positive integers"),
    ("sizes-do-not-fit", ["train", "--sizes", "10,100,10"], "--sizes 10,100,10 does not fit digits: it has 64 inputs"),
    ("unknown-dataset", ["train", "--dataset", "cifar-100"], "data set 'cifar-100' is neither a known name"),
    ("unknown-activation", ["train", "--activation", "swish"], "argument --activation: invalid choice: 'swish' (choose from"),
    ("unknown-init", ["train", "--init", "zeros"], "argument --init: invalid choice: 'zeros'"),
    ("epochs-zero", ["train", "--epochs", "0"], "argument --epochs: must be a positive integer; got '0'"),
    ("epochs-not-int", ["train", "--epochs", "x"], "argument --epochs: must be a positive integer; got 'x'"),
    ("negative-lr", ["train", "--lr", "-1"], "argument --lr: must be a finite number > 0; got '-1'"),
    ("batch-size-zero", ["train", "--batch-size", "0"], "argument --batch-size: must be a positive integer; got '0'"),
    ("negative-l2", ["train", "--l2", "-1"], "argument --l2: must be a finite number ≥ 0; got '-1'"),
    ("validation-fraction-too-small", ["train", "--validation", "0.0001"], "--validation fraction 0.0001 of 1438 rows leaves no validation"),
    ("task-regression-on-named-classes", ["train", "--task", "regression"], "--task regression needs numbers; the target of digits holds class names"),
    ("out-is-a-folder", ["train", "--out", "{folder}"], "is a folder; give a file name"),
    ("out-and-metrics-one-file", ["train", "--out", "{folder}/m.npz", "--metrics", "{folder}/m.npz"], "--out and --metrics name the same file"),
    ("evaluate-model-without-dataset", ["evaluate", "{old_model}"], "records no data set"),
    ("predict-proba-of-a-regressor", ["predict", "{regressor}", "{wrong_width}", "--proba"], "--proba needs a classifier"),
    ("predict-image-with-a-table-model", ["predict", "{regressor}", "{folder}/photo.png"], "was not trained on 8-bit images"),
    ("evaluate-missing-model", ["evaluate", "{missing}"], "no such model file"),
    ("evaluate-not-a-model", ["evaluate", "{not_a_model}"], "not a valid deltaprop model"),
    ("predict-wrong-width", ["predict", "{model}", "{wrong_width}"], "X must have shape (n, 64); got shape (2, 3)"),
    ("predict-json-input", ["predict", "{model}", "{json_input}"], "input must be a .npy or .csv file"),
    ("predict-missing-input", ["predict", "{model}", "{missing_input}"], "no such input file"),
    ("predict-missing-model", ["predict", "{missing}", "{wrong_width}"], "no such model file"),
    ("unknown-subcommand", ["frobnicate"], "invalid choice: 'frobnicate'"),
    ("gradcheck-examples-zero", ["gradcheck", "--examples", "0"], "--examples must be a positive integer; got 0"),
    ("gradcheck-eps-zero", ["gradcheck", "--eps", "0"], "eps must be a number in (0, 1)"),
    ("hidden-not-numbers", ["train", "--hidden", "30,x"], "must be one or more comma-separated positive integers"),
    ("sizes-and-hidden", ["train", "--sizes", "64,30,10", "--hidden", "30"], "not allowed with argument --sizes"),
    ("unknown-optimizer", ["train", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    ("momentum-without-momentum", ["train", "--optimizer", "adam", "--momentum", "0.9"], "--momentum goes with --optimizer momentum or nesterov; the optimizer is adam"),
    ("momentum-out-of-range", ["train", "--optimizer", "momentum", "--momentum", "1.5"], "momentum"),
    ("unknown-schedule", ["train", "--schedule", "sawtooth"], "argument --schedule: invalid choice: 'sawtooth'"),
    ("dropout-one", ["train", "--dropout", "1"], "argument --dropout: must be a number in [0, 1); got '1'"),
    ("negative-l1", ["train", "--l1", "-0.5"], "argument --l1: must be a finite number ≥ 0; got '-0.5'"),
    ("validation-too-big", ["train", "--validation", "1.5"], "argument --validation: must be a fraction in (0, 1), e.g. 0.2; got '1.5'"),
    ("early-stopping-alone", ["train", "--early-stopping", "3"], "--early-stopping needs --validation FRACTION"),
    ("resume-alone", ["train", "--resume"], "--resume needs --checkpoint DIR"),
    ("plot-bad-suffix", ["train", "--plot", "curves.txt"], "--plot curves.txt: must end in .png, .svg or .pdf"),
]


def _expand(argv: list[str], files: dict[str, Path]) -> list[str]:
    return [arg.format(**files) for arg in argv]


@pytest.mark.parametrize(("argv", "fragment"), [pytest.param(a, f, id=i) for i, a, f in USER_ERRORS])
def test_user_error_is_one_line(files: dict[str, Path], argv: list[str], fragment: str) -> None:
    assert_user_error(run_main(*_expand(argv, files)), fragment)


IN_A_REAL_PROCESS = ("sizes-not-numbers", "evaluate-not-a-model")


@pytest.mark.parametrize(
    ("argv", "fragment"), [pytest.param(a, f, id=i) for i, a, f in USER_ERRORS if i in IN_A_REAL_PROCESS]
)
def test_user_error_in_a_real_process(files: dict[str, Path], tmp_path: Path, argv: list[str], fragment: str) -> None:
    assert_user_error(run_process(*_expand(argv, files), cwd=tmp_path), fragment)


def test_no_arguments_prints_the_commands() -> None:
    result = run_main()
    assert result.code == 0 and result.err == ""
    assert result.out.startswith("usage: deltaprop")
    for command in ("train", "evaluate", "predict", "gradcheck", "explain", "datasets"):
        assert command in result.out


def test_keyboard_interrupt(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(dp, "fit", interrupted)
    result = run_main("train", "--quiet")
    assert result.code == 130
    assert result.err_lines == ["deltaprop: interrupted"]


def test_predict_rejects_txt_input(files: dict[str, Path], test_rows: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "input.txt"
    _write_csv(path, test_rows)
    assert_user_error(run_main("predict", files["model"], path), "input must be a .npy or .csv file")


def test_metrics_into_a_folder_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "metrics"
    target.mkdir()
    result = run_main("train", "--epochs", "1", "--sizes", "64,10", "--quiet", "--metrics", target)
    assert result.code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics"]


@pytest.mark.parametrize(
    "kind,fragment",
    [
        ("empty-csv", "empty.csv: not a CSV of numbers"),
        ("overflowing-npy", "X contains NaN, inf or a value beyond float32 (first at row 0, column 0)"),
        ("complex-npy", "X must hold real numbers; got dtype complex128"),
    ],
)
def test_predict_input_warnings_stay_one_line(files: dict[str, Path], tmp_path: Path, kind: str, fragment: str) -> None:
    if kind == "empty-csv":
        path = tmp_path / "empty.csv"
        path.write_text("")
    else:
        path = tmp_path / "input.npy"
        np.save(path, np.full((1, 64), 1e40) if kind == "overflowing-npy" else np.full((1, 64), 1 + 2j))
    result = run_process("predict", files["model"], path, cwd=tmp_path)
    assert_user_error(result, fragment)


# ---------------------------------------------------------------------------- help and version
def test_help_of_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("deltaprop")
    if not script.exists():
        pytest.skip("the deltaprop console script is not installed next to this Python")
    result = run_process("--help", cwd=tmp_path, command=[str(script)])
    assert result.code == 0, result
    assert result.out.startswith("usage: deltaprop")
    for command in ("train", "evaluate", "predict", "gradcheck"):
        assert command in result.out
    assert result.err == ""


def test_version_of_python_m(tmp_path: Path) -> None:
    result = run_process("--version", cwd=tmp_path)
    assert result.code == 0, result
    assert result.out.strip() == f"deltaprop {dp.__version__}"


@pytest.mark.parametrize("command", ["train", "evaluate", "predict", "gradcheck"])
def test_subcommand_help_in_process(command: str) -> None:
    result = run_main(command, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: deltaprop {command}")


# ---------------------------------------------------------------------------- data sets by name and path
def test_datasets_lists_every_set_with_where_or_how(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DELTAPROP_DATA", str(tmp_path))  # empty data home: mnist is missing
    result = run_main("datasets")
    assert result.code == 0, result
    lines = {line.split()[0]: line for line in result.out.splitlines() if not line.startswith(" ")}
    assert set(lines) == {"digits", "fashion-mnist", "mnist", "xor", "moons", "circles", "spirals"}
    assert "missing  get it with: let load('mnist') download it" in lines["mnist"]
    assert "present  generated" in lines["moons"]
    assert "present" in lines["digits"]


def test_train_on_csv_paths(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 2))
    labels = np.where(X[:, 0] * X[:, 1] > 0, "same", "opposite")
    rows = ["x1,x2,sign"] + [f"{a:.6f},{b:.6f},{c}" for (a, b), c in zip(X, labels)]
    (tmp_path / "signs.csv").write_text("\n".join(rows) + "\n")
    result = run_main("train", "--dataset", tmp_path / "signs.csv", "--sizes", "2,16,2", "--quiet")
    assert result.code == 0, result
    assert float(printed_value(result.out, "test accuracy:")) >= 0.9
    # float targets: regression with identity output and quadratic cost chosen for the user
    rows = ["x1,x2,y"] + [f"{a:.6f},{b:.6f},{a * b + 0.25:.6f}" for a, b in X]
    (tmp_path / "product.csv").write_text("\n".join(rows) + "\n")
    result = run_main("train", "--dataset", tmp_path / "product.csv", "--epochs", "3", "--quiet", "--metrics", tmp_path / "m.json")
    assert result.code == 0, result
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert result.out.startswith("task: regression (the target holds numbers that are not all whole")
    assert "test R²: " in result.out and metrics["test_accuracy"] is None and metrics["task"] == "regression"
    assert metrics["activations"][-1] == "identity" and metrics["cost"] == "quadratic"


def test_out_of_memory_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(dp, "Network", no_memory)
    assert_user_error(run_main("gradcheck", "--sizes", "100000,100000,2"), "not enough memory")


def test_missing_output_folder_is_reported_before_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dp, "fit", lambda *a, **k: pytest.fail("trained although --out cannot be written"))
    result = run_main("train", "--out", tmp_path / "nowhere" / "m.npz", "--quiet")
    assert_user_error(result, f"--out {tmp_path / 'nowhere' / 'm.npz'}: folder {tmp_path / 'nowhere'} does not exist")


# ---------------------------------------------------------------------------- issue 5: train's options
def test_train_without_flags_prints_the_recipe_it_used() -> None:
    result = run_main("train", "--dataset", "digits", "--epochs", 1, "--quiet")
    assert result.code == 0, result
    line = next(line for line in result.out.splitlines() if line.startswith("settings: "))
    assert line.startswith("settings: --sizes 64,100,10  --activation sigmoid  --init default  --optimizer sgd  --lr 0.5"), line
    assert "--epochs 1" in line  # a flag given overrides the recipe


def test_hidden_takes_input_and_output_widths_from_the_data(tmp_path: Path) -> None:
    metrics = tmp_path / "m.json"
    result = run_main("train", "--hidden", "20,15", "--epochs", 2, "--quiet", "--metrics", metrics)
    assert result.code == 0, result
    assert json.loads(metrics.read_text())["sizes"] == [64, 20, 15, 10]


@pytest.mark.parametrize(
    "options",
    [
        ["--optimizer", "nesterov", "--lr", "0.05", "--momentum", "0.8"],
        ["--optimizer", "adamw", "--lr", "0.005", "--weight-decay", "0.001", "--schedule", "warmup-cosine"],
        ["--optimizer", "rmsprop", "--lr", "0.01", "--schedule", "step", "--dropout", "0.1", "--l1", "0.001"],
        ["--optimizer", "adam", "--lr", "0.005", "--validation", "0.2", "--early-stopping", "2", "--schedule", "plateau", "--max-norm", "3"],
    ],
    ids=["nesterov", "adamw-warmup", "rmsprop-dropout-l1", "adam-early-stopping"],
)
def test_train_options_learn_digits(options: list[str], tmp_path: Path) -> None:
    metrics = tmp_path / "m.json"
    result = run_main("train", "--hidden", "40", "--epochs", 8, "--quiet", "--metrics", metrics, *options)
    assert result.code == 0, result
    recorded = json.loads(metrics.read_text())
    assert recorded["test_accuracy"] >= 0.9, recorded["test_accuracy"]
    assert recorded["optimizer"]["name"] == options[1]
    if "--validation" in options:
        assert len(recorded["history"]["val_cost"]) == recorded["epochs"]


def test_checkpoint_resume_ends_with_the_uninterrupted_weights(tmp_path: Path) -> None:
    # constant rate: a schedule such as cosine depends on --epochs, which this test changes to stop early
    common = ["train", "--hidden", "30", "--optimizer", "adam", "--lr", "0.01", "--dropout", "0.1", "--quiet"]
    assert run_main(*common, "--epochs", 4, "--out", tmp_path / "straight.npz").code == 0
    assert run_main(*common, "--epochs", 2, "--checkpoint", tmp_path / "run").code == 0
    assert (tmp_path / "run" / CHECKPOINT_FILE).is_file() and (tmp_path / "run" / MODEL_FILE).is_file()
    again = run_main(*common, "--epochs", 2, "--checkpoint", tmp_path / "run")
    assert_user_error(again, "already holds a run: add --resume to continue it")
    assert run_main(*common, "--epochs", 4, "--checkpoint", tmp_path / "run", "--resume", "--out", tmp_path / "resumed.npz").code == 0
    straight, resumed = dp.load(tmp_path / "straight.npz"), dp.load(tmp_path / "resumed.npz")
    for a, b in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a, b)
    changed = run_main(*common[:-1], "--batch-size", 32, "--quiet", "--epochs", 5, "--checkpoint", tmp_path / "run", "--resume")
    assert_user_error(changed, "was made with batch_size = 10; this run has 32")


def test_train_plot_writes_learning_curves(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    picture = tmp_path / "curves.png"
    result = run_main("train", "--hidden", "20", "--epochs", 3, "--quiet", "--plot", picture)
    assert result.code == 0, result
    assert f"learning curves saved to {picture}" in result.out
    pixels = imread(picture)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 200
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 20  # curves, not a blank canvas


def test_evaluate_prints_the_confusion_matrix(trained: dict) -> None:
    result = run_main("evaluate", trained["model"], "--dataset", "digits")
    assert result.code == 0, result
    lines = result.out.splitlines()
    start = lines.index("confusion matrix (rows: true class, columns: predicted class):")
    header, rows = lines[start + 1], lines[start + 2 : start + 12]
    assert header.split()[1:] == [str(k) for k in range(10)]  # the digits' names are their numbers
    counts = np.array([[int(v) for v in row.split()[1:]] for row in rows])
    net = dp.load(trained["model"])
    X_test, y_test = dp.datasets.read("digits").test
    predicted = net.predict(X_test).astype(int)
    expected = np.zeros((10, 10), int)
    np.add.at(expected, (y_test, predicted), 1)
    np.testing.assert_array_equal(counts, expected)
    assert np.trace(counts) / counts.sum() == pytest.approx(float(printed_value(result.out, "accuracy: ")), abs=5e-5)


def test_another_optimizer_without_lr_takes_its_own_default_rate(tmp_path: Path) -> None:
    metrics = tmp_path / "m.json"
    result = run_main("train", "--optimizer", "adam", "--hidden", "30", "--epochs", 3, "--quiet", "--metrics", metrics)
    assert result.code == 0, result
    recorded = json.loads(metrics.read_text())
    assert recorded["optimizer"] == {"name": "adam", "lr": 1e-3}  # not the digits recipe's SGD rate of 0.5
    assert recorded["test_accuracy"] >= 0.75  # Adam at η = 0.5 stays near chance


def test_a_learning_rate_far_too_high_is_named_in_one_line_of_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("default")  # the suite turns warnings into errors; the CLI shows them
        result = run_main("train", "--dataset", "digits", "--lr", "1e30", "--epochs", 2, "--quiet")
    assert result.code == 0
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("deltaprop: warning: the training cost rose from ")
    assert lines[0].endswith("the learning rate lr=1e+30 is probably too high; try a lower one, such as lr=1e+29")
