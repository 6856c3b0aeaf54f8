"""The HTML report: every section, numbers equal to their recomputation, nothing fetched, escaping.

The run behind most tests is a real one: ``deltaprop train --checkpoint DIR`` on digits (a few
epochs). The page is read back with the standard library's HTML parser; its precision, recall,
F₁, confusion counts and accuracy are compared with scikit-learn's and the network's own; the
pictures are decoded and checked. Headless Chromium (where installed) opens the page and must
log nothing to its console, and its screenshot must show the pictures.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import plots
from deltaprop.report import CONTENT_SECURITY_POLICY, class_scores, load_run, read_metrics, render_report, write_report
from deltaprop.training.checkpoint import METRICS_FILE, MODEL_FILE

from .test_cli import assert_user_error, run_main

pytest.importorskip("matplotlib")
sklearn_metrics = pytest.importorskip("sklearn.metrics")
from matplotlib.image import imread  # noqa: E402

SECTIONS = ["summary", "hyper-parameters", "dataset", "timings", "curves", "confusion", "per-class-scores", "weights"]
DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


# ---------------------------------------------------------------------------- reading a page back
class Page(HTMLParser):
    """The parts of a report the tests read: sections, tables by id, cards, notes, images, text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.ids: dict[str, str] = {}  # text of every element with an id (cards among them)
        self.notes: list[str] = []
        self.images: list[dict[str, str]] = []
        self.meta: list[dict[str, str]] = []
        self.attributes: list[tuple[str, str]] = []
        self._open: list[list] = []  # [tag, id or None, text parts]
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.attributes += [(k, v or "") for k, v in attrs]
        if tag == "img":
            self.images.append(a)
            return
        if tag == "meta":
            self.meta.append(a)
            return
        if tag == "section":
            self.sections.append(a["id"])
        if tag == "table":
            self._table = a["id"]
            self.tables[self._table] = []
        if tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        if tag in ("td", "th") and self._table is not None:
            self._cell = []
        self._open.append([tag, a.get("id"), [], "note" in a.get("class", "").split()])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("img", "meta"):
            return
        name, key, text, note = self._open.pop()
        assert name == tag, f"</{tag}> closes <{name}>"
        content = "".join(text)
        if self._open:
            self._open[-1][2].append(content)
        if key is not None:
            self.ids[key] = content
        if note:
            self.notes.append(content)
        if tag in ("td", "th") and self._table is not None:
            self.tables[self._table][-1].append(content)
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)

    def table(self, key: str) -> dict[str, list[str]]:
        """A table as {first cell: the other cells}."""
        return {row[0]: row[1:] for row in self.tables[key]}


def png_of(image: dict[str, str]) -> np.ndarray:
    """Decode an <img>'s data: URI; check its size is the one the tag gives and it is far from blank."""
    assert image["src"].startswith("data:image/png;base64,")
    png = base64.b64decode(image["src"].removeprefix("data:image/png;base64,"), validate=True)
    rgb = imread(io.BytesIO(png))[..., :3]
    assert rgb.shape[:2] == (int(image["height"]), int(image["width"]))
    assert np.any(rgb < 0.95, axis=-1).mean() > 0.03  # ink on the white background
    assert len(np.unique((rgb * 255).round().astype(np.uint8).reshape(-1, 3), axis=0)) >= 20
    return rgb


def size_of(fig: object) -> tuple[int, int]:
    """(width, height) in pixels of a plots figure as the report saves it."""
    width, height = fig.get_size_inches() * plots.DPI
    return round(width), round(height)


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def digits() -> tuple:
    return dp.datasets.load("digits")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder from ``deltaprop train --checkpoint``: 64-16-10 on digits, 3 epochs, a validation set."""
    folder = tmp_path_factory.mktemp("report") / "run"
    result = run_main("train", "--dataset", "digits", "--hidden", "16", "--epochs", "3", "--validation", "0.1",
                      "--checkpoint", folder, "--quiet")
    assert result.code == 0, result.err
    return folder


@pytest.fixture(scope="module")
def page(run: Path) -> tuple[str, Page]:
    """The report of the run folder, written by the command line."""
    out = run.parent / "report.html"
    result = run_main("report", run, "--out", out)
    assert (result.code, result.err) == (0, ""), result
    assert result.out == f"report written to {out}\n"
    html = out.read_text(encoding="utf-8")
    return html, Page(html)


def save_run(folder: Path, run: Path, **changes: object) -> Path:
    """Copy ``run`` to ``folder`` with ``changes`` applied to its metrics.json."""
    shutil.copytree(run, folder)
    metrics = json.loads((run / METRICS_FILE).read_text(encoding="utf-8"))
    (folder / METRICS_FILE).write_text(json.dumps(metrics | changes), encoding="utf-8")
    return folder


# ---------------------------------------------------------------------------- a whole run
def test_a_run_folder_gives_every_section_and_picture(page: tuple[str, Page], run: Path) -> None:
    html, p = page
    assert html.startswith("<!DOCTYPE html>\n")
    assert p.sections == SECTIONS
    assert p.notes == []  # nothing is missing from a finished run
    history = json.loads((run / METRICS_FILE).read_text(encoding="utf-8"))["history"]
    net = dp.load(run / MODEL_FILE)
    expected = [  # in page order: the right picture in the right place, at its size
        size_of(plots.learning_curves(history)),
        size_of(plots.gradient_norms(history)),
        size_of(plots.confusion_matrix(net, *dp.datasets.read("digits").test)),
        size_of(plots.weight_tiles(net)),
    ]
    assert [(int(i["width"]), int(i["height"])) for i in p.images] == expected
    for image in p.images:
        png_of(image)
        assert image["alt"]
    curves = png_of(p.images[0])
    for colour in ((0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E)):  # the training and the validation line
        assert (np.abs(curves * 255 - colour).max(axis=-1) < 10).sum() > 100


def test_scores_equal_scikit_learn_and_the_network(page: tuple[str, Page], run: Path, digits: tuple) -> None:
    _, p = page
    X_test, y_test = dp.datasets.read("digits").test  # raw pixels: the CLI's model scales them itself
    net = dp.load(run / MODEL_FILE)
    predicted = net.class_codes(net.predict(X_test))  # its classes are named "0" … "9"
    labels = list(range(10))
    precision, recall, f1, support = sklearn_metrics.precision_recall_fscore_support(
        y_test, predicted, labels=labels, zero_division=np.nan
    )
    rows = p.table("per-class")
    assert rows.pop("class") == ["precision", "recall", "F₁", "support"]
    for k in labels:
        assert rows[str(k)] == [f"{precision[k]:.4f}", f"{recall[k]:.4f}", f"{f1[k]:.4f}", str(support[k])]
    for average in ("macro", "weighted"):
        scores = sklearn_metrics.precision_recall_fscore_support(y_test, predicted, labels=labels, average=average, zero_division=np.nan)
        assert rows[f"{average} average"] == [f"{s:.4f}" for s in scores[:3]] + [str(len(y_test))]
    counts = p.table("counts")
    assert counts.pop("true \\ predicted") == [str(k) for k in labels]
    expected = sklearn_metrics.confusion_matrix(y_test, predicted, labels=labels)
    assert [[int(c) for c in counts[str(k)]] for k in labels] == expected.tolist()
    assert p.ids["test-accuracy"] == f"{net.accuracy(X_test, y_test):.4f}" == f"{sklearn_metrics.accuracy_score(y_test, predicted):.4f}"
    assert p.ids["test-cost"] == f"{net.cost(X_test, y_test):.6g}"
    assert p.ids["parameters"] == f"{64 * 16 + 16 + 16 * 10 + 10:,}"


def test_settings_timings_and_data_come_from_the_run(page: tuple[str, Page], run: Path, digits: tuple) -> None:
    _, p = page
    metrics = json.loads((run / METRICS_FILE).read_text(encoding="utf-8"))
    (X_train, _), (X_test, _) = digits
    training = p.table("training")
    assert training["optimizer"] == [f"{metrics['optimizer']['name']} (lr {metrics['optimizer']['lr']:.6g})"]
    assert training["batch size"] == [str(metrics["batch_size"])]
    assert training["hidden"] == ["16"] and training["validation"] == ["0.1"] and training["early stopping"] == ["—"]
    network = p.table("network")
    assert {k: network[k] for k in ("layer widths", "activations", "cost", "dtype", "task")} == {
        "layer widths": ["64 → 16 → 10"], "activations": ["sigmoid (layer 1), softmax (layer 2)"],
        "cost": ["log_likelihood"], "dtype": ["float32"], "task": ["classification"],
    }
    seconds = metrics["history"]["seconds"]
    timing = p.table("timing")
    assert timing["training, wall time"] == [f"{metrics['train_seconds']:.3f} s"]
    assert timing["in the gradient steps"] == [f"{sum(seconds):.3f} s"]
    assert timing["per epoch, slowest"] == [f"{max(seconds):.3f} s"]
    assert p.ids["epochs"] == "3" and p.ids["train-seconds"] == f"{metrics['train_seconds']:.2f} s"
    assert p.table("data") == {"name": ["digits"], "training examples": [str(len(X_train))], "test examples": [str(len(X_test))],
                               "inputs": ["64"], "classes": ["10"]}


def test_the_page_fetches_nothing(page: tuple[str, Page]) -> None:
    html, p = page
    rest = DATA_URI.sub("", html)
    assert "://" not in rest and "url(" not in rest and "@import" not in rest
    assert "<script" not in rest and "<link" not in rest and "<iframe" not in rest
    references = [(k, v) for k, v in p.attributes if k in ("src", "href", "srcset", "action", "data", "poster")]
    assert references and all(k == "src" and DATA_URI.fullmatch(v) for k, v in references)
    assert {"http-equiv": "Content-Security-Policy", "content": CONTENT_SECURITY_POLICY} in p.meta


def test_a_model_with_metrics_elsewhere_gives_the_same_page(page: tuple[str, Page], run: Path, tmp_path: Path) -> None:
    model, metrics = tmp_path / "model.npz", tmp_path / "m.json"
    shutil.copy(run / MODEL_FILE, model)
    shutil.copy(run / METRICS_FILE, metrics)
    html = write_report(model, tmp_path / "r.html", metrics=metrics).read_text(encoding="utf-8")
    assert html.replace(f"from {model}", f"from {run}") == page[0]


# ---------------------------------------------------------------------------- what is missing
def test_a_model_alone_says_what_it_cannot_show(run: Path, tmp_path: Path) -> None:
    net = dp.load(run / MODEL_FILE)
    # all its biases pushed to class 3: every prediction is 3, so nine classes have no precision
    net.biases[-1][:] = -1e3
    net.biases[-1][3] = 1e3
    dp.save(net, tmp_path / "model.npz")
    p = Page(write_report(tmp_path / "model.npz", tmp_path / "r.html").read_text(encoding="utf-8"))  # digits: the widths fit
    assert p.sections == SECTIONS
    assert [n.split(":")[0] for n in p.notes] == ["No metrics", "not recorded in a model file", "No timings without metrics.",
                                                  "No learning curves", "— "]
    assert "undefined (0/0) for class 0, 1, 2, 4, 5, 6, 7, 8, 9" in p.notes[-1]
    assert len(p.images) == 2 and "epochs" not in p.ids and "train-seconds" not in p.ids
    X_test, y_test = dp.datasets.read("digits").test
    predicted = net.class_codes(net.predict(X_test))
    assert set(predicted) == {3}
    rows = p.table("per-class")
    precision, recall, f1, _ = sklearn_metrics.precision_recall_fscore_support(y_test, predicted, labels=range(10), zero_division=np.nan)
    assert rows["0"][:3] == ["—", "0.0000", "0.0000"] and rows["3"][:3] == [f"{precision[3]:.4f}", "1.0000", f"{f1[3]:.4f}"]
    for average in ("macro", "weighted"):
        scores = sklearn_metrics.precision_recall_fscore_support(y_test, predicted, labels=range(10), average=average, zero_division=np.nan)
        assert rows[f"{average} average"][:3] == [f"{s:.4f}" for s in scores[:3]]


def test_a_regression_on_non_square_inputs_has_no_classes_and_no_tiles(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (50, 3))
    np.savez(tmp_path / "data.npz", X=X, y=np.c_[X.sum(axis=1), X[:, 0] * X[:, 1]])
    net = dp.Network([3, 4, 2], output="identity", cost="quadratic", seed=0)
    dp.save(net, tmp_path / "model.npz")
    p = Page(write_report(tmp_path / "model.npz", tmp_path / "r.html", dataset=tmp_path / "data.npz").read_text(encoding="utf-8"))
    assert p.sections == ["summary", "hyper-parameters", "dataset", "timings", "curves", "confusion", "weights"]
    assert any(n.startswith("A regression (identity output): no classes") for n in p.notes)
    assert "The 3 inputs are not a square image, so the weights are not drawn as tiles." in p.notes
    assert p.images == [] and "test-accuracy" not in p.ids
    _, (X_test, y_test) = dp.datasets.load(tmp_path / "data.npz")
    assert p.ids["test-cost"] == f"{net.cost(X_test, y_test):.6g}"
    assert p.table("data")["targets per example"] == ["2"]


def test_partial_histories_and_a_disagreeing_accuracy_are_noted(run: Path) -> None:
    net, metrics = load_run(run)
    history = {k: v for k, v in metrics["history"].items() if k != "gradient_norms"}
    p = Page(render_report(net, metrics | {"history": history, "test_accuracy": 0.125}))
    measured = p.ids["test-accuracy"]
    assert p.notes == [
        f"The metrics record a test accuracy of 0.1250 at the end of training, but the model measures {measured}: the model file "
        "holds other weights than the network the metrics were recorded for, or the data set differs.",
        "The history holds no gradient norms per layer.",
    ]
    assert len(p.images) == 3
    empty = {k: [] for k in ("cost", "accuracy", "val_cost", "val_accuracy")}
    for changed, note in (({"history": empty}, "No learning curves: the history has no epochs."),
                          ({"history": None}, "No learning curves: the metrics hold no history.")):
        assert note in Page(render_report(net, metrics | changed)).notes


def test_the_data_set_is_the_one_asked_for_else_the_metrics_else_digits(run: Path) -> None:
    net, metrics = load_run(run)
    with pytest.raises(ValueError, match=r"^the network takes 64 inputs but data set 'moons' has 2; choose another"):
        render_report(net, metrics | {"dataset": "moons"})
    assert Page(render_report(net, metrics | {"dataset": "moons"}, dataset="digits")).table("data")["name"] == ["digits"]
    small = dp.Network([3, 4, 2])
    with pytest.raises(ValueError, match=r"^no data set to measure the network \(3,4,2\) on: no metrics name one, .* give one with dataset= \(--dataset NAME\|PATH\)$"):
        render_report(small)
    with pytest.raises(ValueError, match=r"^metrics: 'train_seconds' must be a number or null; got \"1.5\"$"):
        render_report(net, metrics | {"train_seconds": "1.5"})
    assert Page(render_report(dp.Network([2, 3, 2], output="softmax", cost="log_likelihood"), dataset="moons")).table("data")["name"] == ["moons"]


def test_text_from_files_is_escaped(run: Path, tmp_path: Path) -> None:
    note = "</td></table><script>alert('x')</script> & <b>\"bold\"</b>"
    folder = save_run(tmp_path / "a<b>&\"c'", run, settings={"note": note})
    html = write_report(folder, tmp_path / "r.html").read_text(encoding="utf-8")
    p = Page(html)  # the parser checks every end tag closes the element it opened
    assert "<script" not in html and "<b>" not in html
    assert p.table("training")["note"] == [note]  # the text reads back exactly
    assert p.sections == SECTIONS
    assert f"from {folder}" in html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&")


# ---------------------------------------------------------------------------- scores
def test_class_scores_equal_scikit_learn_on_random_labels() -> None:
    rng = np.random.default_rng(0)
    for trial in range(30):
        k = int(rng.integers(2, 7))
        n = int(rng.integers(1, 25))
        # classes 0 … k−1, some of them absent from the truth or never predicted
        y_true, y_pred = rng.integers(0, k - trial % 2, n), rng.integers(min(trial % 3, k - 1), k, n)
        counts = plots.confusion_counts(y_true, y_pred, k)
        expected = sklearn_metrics.precision_recall_fscore_support(y_true, y_pred, labels=range(k), zero_division=np.nan)
        for got, want in zip(class_scores(counts), expected):
            np.testing.assert_array_equal(got, want)


def test_class_scores_refuse_what_is_not_a_confusion_matrix() -> None:
    for bad in (np.zeros((2, 3), int), np.zeros((2, 2)), np.array([[1, -1], [0, 2]]), np.zeros((0, 0), int)):
        with pytest.raises(ValueError, match=r"^counts must be a square matrix of counts ≥ 0"):
            class_scores(bad)


# ---------------------------------------------------------------------------- files and the command line
def test_metrics_fields_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    for content, message in (
        ("[1, 2]", "must hold a JSON object, as 'deltaprop train --metrics' writes; got a list"),
        ('{"epochs": "three"}', "'epochs' must be an integer or null; got \"three\""),
        ('{"train_seconds": true}', "'train_seconds' must be a number or null; got true"),
        ('{"sizes": [64, "x"]}', "'sizes' must be a list of layer widths (integers); got [64, \"x\"]"),
        ("{", "not a JSON file"),
    ):
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ValueError, match=f"^{re.escape(f'{path}: {message}')}"):
            read_metrics(path)


@pytest.mark.parametrize(
    "case, fragment",
    [
        ("missing source", "no such run folder or model file"),
        ("folder without a model", "a run folder must hold model.npz"),
        ("metrics not JSON", "not a JSON file"),
        ("metrics of another network", "describes a network of widths 64,30,10 but"),
        ("history with a bad entry", "history['cost'][0] must be a finite number; got 'x'"),
        ("wrong suffix", "must end in .html or .htm"),
        ("no output folder", "does not exist"),
        ("nothing to measure on", "no data set to measure the network (3,4,2) on"),
        ("a data set that does not fit", "the network takes 64 inputs but data set 'moons' has 2"),
    ],
)
def test_user_errors_are_one_line_and_leave_the_old_report(case: str, fragment: str, run: Path, tmp_path: Path) -> None:
    out, source, extra = tmp_path / "report.html", run, []
    out.write_text("the old report", encoding="utf-8")
    if case == "missing source":
        source = tmp_path / "nowhere"
    elif case == "folder without a model":
        source = tmp_path / "empty"
        source.mkdir()
    elif case == "metrics not JSON":
        extra = ["--metrics", run / MODEL_FILE]
    elif case == "metrics of another network":
        source = save_run(tmp_path / "run", run, sizes=[64, 30, 10])
    elif case == "history with a bad entry":
        history = json.loads((run / METRICS_FILE).read_text(encoding="utf-8"))["history"]
        source = save_run(tmp_path / "run", run, history=history | {"cost": ["x", 1.0, 1.0]})
    elif case == "wrong suffix":
        out = tmp_path / "model.npz"
    elif case == "no output folder":
        out = tmp_path / "no" / "report.html"
    elif case == "nothing to measure on":
        source = tmp_path / "small.npz"
        dp.save(dp.Network([3, 4, 2]), source)
    else:
        extra = ["--dataset", "moons"]
    assert_user_error(run_main("report", source, "--out", out, *extra), fragment)
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "the old report"
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_missing_matplotlib_is_a_one_line_error(run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what `import matplotlib` sees when it is absent
    assert_user_error(run_main("report", run, "--out", tmp_path / "r.html"), "plots need matplotlib, which is not installed")
    assert list(tmp_path.iterdir()) == []


def test_matplotlib_is_imported_only_to_draw() -> None:
    code = "import sys, deltaprop.report, deltaprop.cli\nassert 'matplotlib' not in sys.modules\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


# ---------------------------------------------------------------------------- headless Chromium
CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)")


def headless(page: Path, screenshot: Path, size: str) -> tuple[str, list[str]]:
    """Open ``page`` in headless Chromium: its DOM as parsed, and what it wrote to the console."""
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
         "--dump-dom", f"--screenshot={screenshot}", f"--window-size={size}", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]


@needs_chromium
def test_chromium_reports_a_fetch_the_page_tries(page: tuple[str, Page], tmp_path: Path) -> None:
    """The check below would catch a reference to elsewhere: the page's policy blocks it, the console says so."""
    bad = tmp_path / "bad.html"
    bad.write_text(page[0].replace("</main>", '<img src="http://127.0.0.1:9/x.png" alt=""></main>'), encoding="utf-8")
    _, console = headless(bad, tmp_path / "bad.png", "400,300")
    assert any("http://127.0.0.1:9/x.png" in line and "Content Security Policy" in line for line in console), console


@needs_chromium
def test_the_report_renders_in_chromium_without_console_errors(page: tuple[str, Page], run: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    dom, console = headless(run.parent / "report.html", shot, "1200,4000")
    assert console == []
    for key in SECTIONS:
        assert f'<section id="{key}">' in dom
    assert dom.count('<img src="data:image/png;base64,') == 4
    pixels = (imread(shot)[..., :3] * 255).round().astype(np.int16)
    assert pixels.shape == (4000, 1200, 3)
    packed = (pixels[..., 0].astype(np.int32) << 16) | (pixels[..., 1].astype(np.int32) << 8) | pixels[..., 2]
    assert len(np.unique(packed)) > 500  # not blank
    for colour in (
        (0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E),  # the learning curves' training and validation lines
        (0x08, 0x30, 0x6B),  # the confusion matrix's darkest cells (Blues)
        (0x67, 0x00, 0x1F), (0x05, 0x30, 0x61),  # the weight tiles' strongest red and blue (RdBu_r)
    ):
        near = np.abs(pixels - colour).max(axis=-1) < 40
        assert near.sum() > 50, f"too few pixels of {colour}: a picture was not drawn"


# ---------------------------------------------------------------------------- what the model carries
NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def test_a_model_that_carries_names_scaling_and_provenance(tmp_path: Path) -> None:
    """Trained on raw digits (0…16) with its own pixel scaling and class names: the report
    measures it on the raw test split, labels every class by name and shows what it carries."""
    from deltaprop.scaling import Scaling

    data = dp.datasets.read("digits")
    (X, y), (X_test, y_test) = data.train, data.test  # raw pixels
    net = dp.Network([64, 16, 10], output="softmax", cost="log_likelihood", seed=0)
    net.input_scaling, net.classes = Scaling.divide_by(16, 64), NAMES
    net.provenance = {"dataset": "digits", "deltaprop_version": dp.__version__, "test_accuracy": 0.9}
    dp.fit(net, X, y, epochs=3, optimizer=dp.SGD(lr=0.5), progress=False)
    dp.save(net, tmp_path / "model.npz")
    p = Page(write_report(tmp_path / "model.npz", tmp_path / "r.html").read_text(encoding="utf-8"))
    network = p.table("network")
    assert network["task"] == ["classification"] and network["classes"] == [", ".join(NAMES)]
    assert network["input scaling"] == ["x / 16 (64 features)"]
    assert p.table("provenance") == {"dataset": ["digits"], "deltaprop version": [dp.__version__], "test accuracy": ["0.9"]}
    predicted = net.predict(X_test)  # names
    assert p.ids["test-accuracy"] == f"{sklearn_metrics.accuracy_score(np.array(NAMES)[y_test], predicted):.4f}"
    assert float(p.ids["test-accuracy"]) > 0.8  # scaled once, not twice
    rows = p.table("per-class")
    precision, recall, f1, support = sklearn_metrics.precision_recall_fscore_support(
        np.array(NAMES)[y_test], predicted, labels=NAMES, zero_division=np.nan
    )
    for k, name in enumerate(NAMES):
        assert rows[name] == [f"{precision[k]:.4f}", f"{recall[k]:.4f}", f"{f1[k]:.4f}", str(support[k])]
    counts = p.table("counts")
    assert counts.pop("true \\ predicted") == NAMES and list(counts) == NAMES


def test_the_data_set_that_the_model_records_is_measured_and_names_the_classes(tmp_path: Path) -> None:
    """No metrics and no dataset=: the model's provenance names the data set (a CSV here,
    whose string labels name the classes of a model that does not carry them)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2))
    label = np.where(X[:, 0] > 0, "right", "left")
    csv = tmp_path / "sides.csv"
    csv.write_text("a,b,side\n" + "".join(f"{a},{b},{s}\n" for (a, b), s in zip(X, label)), encoding="utf-8")
    (Xtr, ytr), _ = dp.datasets.load(csv)
    net = dp.Network([2, 4, 2], output="softmax", cost="log_likelihood", seed=0)
    dp.fit(net, Xtr, ytr, epochs=20, optimizer=dp.SGD(lr=0.5), progress=False)
    dp.save(net, tmp_path / "bare.npz")
    with pytest.raises(ValueError, match=r"^no data set to measure the network \(2,4,2\) on"):
        write_report(tmp_path / "bare.npz", tmp_path / "r.html")
    net.provenance = {"dataset": str(csv)}
    dp.save(net, tmp_path / "model.npz")
    p = Page(write_report(tmp_path / "model.npz", tmp_path / "r.html").read_text(encoding="utf-8"))
    assert p.table("data")["name"] == [str(csv)]
    assert list(p.table("per-class"))[1:3] == ["left", "right"]
    assert p.table("counts")["true \\ predicted"] == ["left", "right"]
    assert "classes" not in p.table("network")


def test_fashion_mnist_classes_by_name(tmp_path: Path) -> None:
    if dp.datasets.locate("fashion-mnist") is None:
        pytest.skip("Fashion-MNIST is not on this machine (apt-get install dataset-fashion-mnist)")
    net = dp.Network([784, 10], output="softmax", cost="log_likelihood", seed=0)
    net.provenance = {"dataset": "fashion-mnist"}
    p = Page(render_report(net))
    assert list(p.table("per-class"))[1:11] == dp.datasets.CLASS_NAMES["fashion-mnist"]
