"""A trained model and its run as one self-contained HTML page.

The page shows the network (with its task, class names, input scaling and provenance when
the model carries them) and the hyper-parameters of its training, the data set, the timings,
the learning curves (and each layer's gradient norm per epoch), the confusion matrix and each
class's precision and recall (by class name: the model's, else the data set's, such as
fashion-mnist's), and the first-layer weights as image tiles. It fetches
nothing: the pictures are PNG files inlined as ``data:`` URIs, the style sheet is inline, there
is no script, and a Content-Security-Policy allows nothing else, so it reads the same offline,
attached to a mail or years later.

Symbols → names: M, the confusion matrix (M_kj counts the examples of true class k predicted as
class j) → ``counts``; for class k, precision M_kk / Σ_i M_ik → ``precision``, recall
M_kk / Σ_j M_kj → ``recall``, F₁ = 2 M_kk / (Σ_i M_ik + Σ_j M_kj) → ``f1``, Σ_j M_kj →
``support``; C → ``cost``; η → ``lr``; λ → ``l2``.

A run is the folder ``deltaprop train --checkpoint DIR`` leaves (``model.npz`` and, once
training has ended, ``metrics.json``), or a model file with, optionally, the JSON that
``deltaprop train --metrics FILE`` writes. Whatever is missing (no metrics, no history, a
regression, inputs that are not square images) leaves its section with a note saying why.
"""

from __future__ import annotations

import base64
import io
import math
import os
import struct
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .atomic import atomic_write
from .metrics import check_metrics, read_metrics
from .network import Network, class_labels, describe_scaling
from .serialize import load
from .training.checkpoint import METRICS_FILE, MODEL_FILE
from .validation import is_real

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .datasets.registry import Data

# read_metrics is deltaprop.metrics.read_metrics, re-exported beside load_run that uses it
__all__ = ["load_run", "read_metrics", "class_scores", "render_report", "write_report"]

#: Suffixes the report file may have.
SUFFIXES = (".html", ".htm")
#: The browser may load pictures from ``data:`` URIs and apply the inline style; nothing else.
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_STYLE = """
body{margin:0;background:#f6f8fa;color:#1b1b1b;line-height:1.45;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
main{max-width:1120px;margin:0 auto;padding:0.5rem 1.5rem 2rem}
h1{font-size:1.6rem;margin:1rem 0 0.2rem}
.sub{color:#57606a;margin:0 0 1rem}
h2{font-size:1.2rem;margin:0 0 0.6rem;border-bottom:1px solid #eaeef2;padding-bottom:0.2rem}
h3{font-size:1rem;margin:0.8rem 0 0.3rem}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:0.8rem 1.2rem;margin:0 0 1rem}
.cards{display:flex;flex-wrap:wrap;gap:0.8rem}
.card{flex:1 1 10rem;border:1px solid #d0d7de;border-radius:6px;padding:0.4rem 0.8rem;background:#fbfcfd}
.card .label{color:#57606a;font-size:0.85rem}
.card .value{font-size:1.5rem;font-variant-numeric:tabular-nums}
.columns{display:flex;flex-wrap:wrap;gap:0 2rem;align-items:flex-start}
.row{display:flex;flex-wrap:wrap;gap:0 1rem}
.row>section{flex:1 1 22rem;min-width:0;overflow-x:auto}
.row>section#confusion{flex:1 1 28rem}
.row>section#per-class-scores{flex:0 1 auto}
#per-class-scores p{max-width:30rem}
table{border-collapse:collapse;margin:0.3rem 0 0.6rem;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d0d7de;padding:0.15rem 0.6rem}
th{background:#f6f8fa;font-weight:600;text-align:left;white-space:nowrap}
td.num{text-align:right}
tbody tr.average td{background:#f6f8fa}
.note{background:#fff8c5;border:1px solid #d4a72c66;border-radius:6px;padding:0.4rem 0.8rem;margin:0.4rem 0}
img{max-width:100%;height:auto;display:block;margin:0.3rem 0}
details{margin:0.3rem 0}
footer{color:#57606a;font-size:0.85rem;text-align:center}
"""


# ---------------------------------------------------------------------------- reading a run
def load_run(source: str | os.PathLike, metrics: str | os.PathLike | None = None) -> tuple[Network, dict | None]:
    """Read the model of a run folder or a model file, and its metrics if there are any.

    Parameters
    ----------
    source : str or PathLike
        A run folder (``model.npz``, and ``metrics.json`` once training has ended) or a model
        file written by :func:`deltaprop.save`.
    metrics : str or PathLike, optional
        A metrics JSON (what ``deltaprop train --metrics`` writes); it takes the place of a
        run folder's ``metrics.json``.

    Returns
    -------
    (Network, dict or None)
        The network, and the metrics (``None`` when there are none).

    Raises
    ------
    FileNotFoundError
        If ``source`` does not exist, a run folder has no ``model.npz``, or ``metrics`` is missing.
    ValueError
        If the model or the metrics file is not valid, or the metrics describe other layer widths.
    """
    for name, path in (("source", source), ("metrics", metrics)):
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"{name} must be a path (str or Path); got {type(path).__name__}")
    source = Path(source)
    if source.is_dir():
        model = source / MODEL_FILE
        if not model.is_file():
            raise FileNotFoundError(f"{source}: a run folder must hold {MODEL_FILE} (as 'deltaprop train --checkpoint {source}' writes it); it has none")
        if metrics is None and (source / METRICS_FILE).is_file():
            metrics = source / METRICS_FILE
    elif source.exists():
        model = source
    else:
        raise FileNotFoundError(f"{source}: no such run folder or model file")
    net = load(model)
    if metrics is None:
        return net, None
    values = read_metrics(metrics)
    if values.get("sizes") is not None and values["sizes"] != net.sizes:
        widths = ",".join(map(str, values["sizes"]))
        raise ValueError(
            f"{metrics} describes a network of widths {widths} but {model} has {','.join(map(str, net.sizes))}: they are not from the same run"
        )
    return net, values


# ---------------------------------------------------------------------------- scores
def class_scores(counts: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return precision, recall, F₁ and support of each class of a confusion matrix.

    The same numbers as scikit-learn's ``precision_recall_fscore_support(...,
    zero_division=np.nan)``: a class never predicted has no precision, a class absent from the
    truth no recall, and a class neither present nor predicted no F₁; those are NaN.

    Parameters
    ----------
    counts : array_like of int, shape (k, k)
        Row = true class, column = predicted class (:func:`deltaprop.plots.confusion_counts`).

    Returns
    -------
    precision, recall, f1 : ndarray of float, shape (k,)
    support : ndarray of int, shape (k,)
        Examples of each true class.
    """
    counts = np.asarray(counts)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0 or counts.dtype.kind not in "iu" or (counts < 0).any():
        raise ValueError(f"counts must be a square matrix of counts ≥ 0 (row = true class, column = predicted); got shape {counts.shape}, dtype {counts.dtype}")
    hits = np.diag(counts).astype(np.float64)
    predicted, support = counts.sum(axis=0), counts.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0: undefined, NaN
        precision = hits / predicted
        recall = hits / support
        f1 = 2 * hits / (predicted + support)
    return precision, recall, f1, support


# ---------------------------------------------------------------------------- the page
def render_report(
    net: Network,
    metrics: Mapping | None = None,
    dataset: str | os.PathLike | None = None,
    target: str | None = None,
    source: str | os.PathLike | None = None,
    data: Data | None = None,
) -> str:
    """Return the report of ``net`` as one HTML page, its scores measured on a test split.

    Parameters
    ----------
    net : Network
    metrics : dict, optional
        What ``deltaprop train --metrics`` writes (see :func:`deltaprop.metrics.read_metrics`): hyper-parameters,
        timings and the history behind the curves.
    dataset : str or PathLike, optional
        The data set whose test split the scores are measured on (a name or a path, as
        :func:`deltaprop.datasets.load` takes it). Default: the metrics' ``dataset``, else the
        model's ``provenance["dataset"]``, else digits when the network takes 64 inputs and has
        10 outputs. A network with an input scaling is given the data in its own units.
    target : str, optional
        For a CSV data set: the label column's name.
    source : str or PathLike, optional
        Where ``net`` came from, for the page's heading.
    data : deltaprop.datasets.Data, optional
        The data set itself, its splits as the network takes them, instead of one read by
        name (``dataset`` and ``target`` are then not used): a run's own split, such as the
        playground's.

    Raises
    ------
    ValueError
        If there is no data set to measure on, or it does not fit the network.
    ImportError
        If matplotlib is missing.
    """
    from . import __version__
    from .evaluation import data_for

    if not isinstance(net, Network):
        raise TypeError(f"net must be a deltaprop Network; got {type(net).__name__}")
    net.check_parameters()
    if metrics is not None:
        if not isinstance(metrics, Mapping):
            raise TypeError(f"metrics must be a dict (what 'deltaprop train --metrics' writes); got {type(metrics).__name__}")
        check_metrics(metrics, "metrics")
        metrics = dict(metrics)
    if data is not None:
        name, (X_train, y_train), (X_test, y_test) = data.name, data.train, data.test
    else:
        name = _dataset_name(net, metrics, dataset)
        recorded = net.provenance or {}
        if target is None and dataset is None and name == recorded.get("dataset"):
            target = recorded.get("target")  # the label column the network was trained on
        try:
            data, (X_train, y_train), (X_test, y_test) = data_for(net, name, target if str(name).lower().endswith(".csv") else None)
        except ValueError as e:
            raise ValueError(f"{e}; choose another with dataset= (--dataset)") from None
    test_cost = net.cost(X_test, y_test)
    test_accuracy = net.accuracy(X_test, y_test) if net.is_classifier else None
    widths = " → ".join(map(str, net.sizes))
    title = f"deltaprop report: {widths} on {name}"

    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="sub">{escape(f"from {source}" if source is not None else "a network in memory")}</p>',
        _summary(net, metrics, name, len(X_test), test_accuracy, test_cost),
        _hyper_parameters(net, metrics),
        _row(_dataset(name, X_train, y_train, X_test, net), _timings(metrics)),
        _curves(metrics),
        _row(*_classification(net, X_test, y_test, _class_names(net, data.classes))),
        _weights(net),
        f"<footer>made by deltaprop {escape(__version__)}</footer>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CONTENT_SECURITY_POLICY)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="deltaprop {escape(__version__)}">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        "<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )


def write_report(
    source: str | os.PathLike,
    out: str | os.PathLike,
    metrics: str | os.PathLike | None = None,
    dataset: str | os.PathLike | None = None,
    target: str | None = None,
) -> Path:
    """Write the report of a run folder or a model file to ``out``, atomically; return ``out``.

    Parameters
    ----------
    source : str or PathLike
        A run folder or a model file (see :func:`load_run`).
    out : str or PathLike
        The HTML file to write (``.html`` or ``.htm``), in a folder that exists.
    metrics, dataset, target
        See :func:`load_run` and :func:`render_report`.
    """
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be a file name (str or Path); got {type(out).__name__}")
    out = Path(out)
    if out.suffix.lower() not in SUFFIXES:  # before any work, and never over a model by a typo
        raise ValueError(f"out {str(out)!r} must end in .html or .htm")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"out {str(out)!r}: folder {str(out.parent)!r} does not exist")
    net, values = load_run(source, metrics)
    page = render_report(net, values, dataset=dataset, target=target, source=source)
    with atomic_write(out, "w") as f:
        f.write(page)
    return out


# ---------------------------------------------------------------------------- sections
def _dataset_name(net: Network, metrics: dict | None, dataset: str | os.PathLike | None) -> str:
    """The data set asked for, else the metrics', else the one the model records
    (``provenance["dataset"]``), else digits if the widths fit it."""
    if dataset is not None:
        if not isinstance(dataset, (str, os.PathLike)):
            raise TypeError(f"dataset must be a data set name or path; got {type(dataset).__name__}")
        return os.fspath(dataset)
    if metrics is not None and metrics.get("dataset") is not None:
        return metrics["dataset"]
    if isinstance(net.provenance, dict) and isinstance(net.provenance.get("dataset"), str):
        return net.provenance["dataset"]
    if net.sizes[0] == 64 and net.sizes[-1] == 10:
        return "digits"
    raise ValueError(
        f"no data set to measure the network ({','.join(map(str, net.sizes))}) on: no metrics name one, "
        "and it does not fit digits (64 inputs, 10 classes); give one with dataset= (--dataset NAME|PATH)"
    )


def _section(key: str, heading: str, *parts: str) -> str:
    return f'<section id="{key}">\n<h2>{escape(heading)}</h2>\n' + "\n".join(parts) + "\n</section>"


def _row(*sections: str) -> str:
    """Sections side by side, wrapping onto lines of their own in a narrow window."""
    return '<div class="row">\n' + "\n".join(sections) + "\n</div>"


def _note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def _table(key: str, rows: list[tuple[Any, ...]], header: tuple[str, ...] | None = None, numeric: bool = False) -> str:
    """A table with id ``key``: the first cell of each row heads it; ``numeric`` right-aligns the others."""
    lines = [f'<table id="{key}">']
    if header is not None:
        lines.append("<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr></thead>")
    lines.append("<tbody>")
    td = ' class="num"' if numeric else ""
    for row in rows:
        css = ' class="average"' if str(row[0]).endswith("average") else ""
        cells = (f"<th>{escape(str(c))}</th>" if i == 0 else f"<td{td}>{escape(str(c))}</td>" for i, c in enumerate(row))
        lines.append(f"<tr{css}>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _value(value: object) -> str:
    """A metrics value as text: numbers to 6 significant digits, null as —, lists and objects flattened."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return ", ".join(map(_value, value)) if value else "none"
    if isinstance(value, dict):
        return "; ".join(f"{k} {_value(v)}" for k, v in value.items())
    return str(value)


def _score(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.4f}"


def _summary(net: Network, metrics: dict | None, name: str, n_test: int, accuracy: float | None, cost: float) -> str:
    cards = []
    if accuracy is not None:
        cards.append(("test accuracy", f"{accuracy:.4f}", "test-accuracy"))
    cards.append(("test cost C", f"{cost:.6g}", "test-cost"))
    epochs = metrics.get("epochs") if metrics else None
    seconds = metrics.get("train_seconds") if metrics else None
    if epochs is not None:
        cards.append(("epochs", str(epochs), "epochs"))
    if seconds is not None:
        cards.append(("training time", f"{seconds:.2f} s", "train-seconds"))
    cards.append(("parameters", f"{sum(p.size for p in net.parameters()):,}", "parameters"))
    html = ['<div class="cards">'] + [
        f'<div class="card"><div class="label">{escape(label)}</div><div class="value" id="{key}">{escape(value)}</div></div>'
        for label, value, key in cards
    ] + ["</div>", f'<p>Measured on the {n_test} test examples of {escape(name)} by this report.</p>']
    recorded = metrics.get("test_accuracy") if metrics else None
    if accuracy is not None and recorded is not None and abs(recorded - accuracy) > 1e-9:
        html.append(_note(
            f"The metrics record a test accuracy of {recorded:.4f} at the end of training, but the model measures {accuracy:.4f}: "
            "the model file holds other weights than the network the metrics were recorded for, or the data set differs."
        ))
    if metrics is None:
        html.append(_note("No metrics: the model file alone holds no hyper-parameters, timings or history. "
                          "Report on the run folder, or give the metrics JSON with --metrics FILE."))
    return _section("summary", "Summary", *html)


def _hyper_parameters(net: Network, metrics: dict | None) -> str:
    network = [
        ("layer widths", " → ".join(map(str, net.sizes))),
        ("activations", ", ".join(f"{a.name} (layer {i + 1})" for i, a in enumerate(net.activations))),
        ("cost", net.cost_function.name),
        ("dtype", net.dtype.name),
        ("task", net.task),
    ]
    if net.classes is not None:
        network.append(("classes", ", ".join(net.classes)))
    for label, scaling in (("input scaling", net.input_scaling), ("target scaling", net.target_scaling)):
        if scaling is not None:
            network.append((label, describe_scaling(scaling)))
    parts = ['<div class="columns">', "<div><h3>Network</h3>", _table("network", network), "</div>"]
    if net.provenance:
        parts += ["<div><h3>Provenance</h3>", _table("provenance", [(k.replace("_", " "), _value(v)) for k, v in net.provenance.items()]), "</div>"]
    parts.append("<div><h3>Training</h3>")
    if metrics is None:
        parts.append(_note("not recorded in a model file"))
    else:
        optimizer = dict(metrics.get("optimizer") or {})
        name = optimizer.pop("name", None)
        shown = {
            "optimizer": _value(name) + (f" ({_value(optimizer)})" if optimizer else ""),
            "batch size": _value(metrics.get("batch_size")),
            "L2 λ": _value(metrics.get("l2")),
            "seed": _value(metrics.get("seed")),
        }
        settings = metrics.get("settings") or {}
        shown_above = {"optimizer", "batch_size", "l2"} | ({"lr"} if "lr" in optimizer else set())
        shown.update((k.replace("_", " "), _value(v)) for k, v in settings.items() if k not in shown_above)
        parts.append(_table("training", list(shown.items())))
    parts += ["</div>", "</div>"]
    return _section("hyper-parameters", "Network and hyper-parameters", *parts)


def _dataset(name: str, X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, net: Network) -> str:
    rows = [("name", name), ("training examples", len(X_train)), ("test examples", len(X_test)), ("inputs", X_test.shape[1])]
    if net.is_classifier:
        rows.append(("classes", max(net.sizes[-1], 2)))
    else:
        rows.append(("targets per example", net.sizes[-1]))
    return _section("dataset", "Data set", _table("data", rows),
                    "<p>The scores below are measured on the test split; training used the other part.</p>")


def _timings(metrics: dict | None) -> str:
    if metrics is None:
        return _section("timings", "Timings", _note("No timings without metrics."))
    rows = [("training, wall time", _seconds(metrics.get("train_seconds"))), ("epochs", _value(metrics.get("epochs")))]
    history = metrics.get("history") or {}
    per_epoch = history.get("seconds")
    if isinstance(per_epoch, list) and per_epoch and all(is_real(s) for s in per_epoch):
        rows += [
            ("in the gradient steps", _seconds(sum(per_epoch))),
            ("per epoch, mean", _seconds(sum(per_epoch) / len(per_epoch))),
            ("per epoch, fastest", _seconds(min(per_epoch))),
            ("per epoch, slowest", _seconds(max(per_epoch))),
        ]
    if history.get("stopped"):
        rows.append(("stopped early", _value(history["stopped"])))
    if history.get("best_epoch") is not None:
        rows.append(("best epoch (weights kept)", _value(history["best_epoch"])))
    return _section("timings", "Timings", _table("timing", rows),
                    "<p>The wall time includes measuring the cost after each epoch; the gradient steps are the training alone.</p>")


def _seconds(value: object) -> str:
    return "—" if value is None else f"{value:.3f} s"


def _curves(metrics: dict | None) -> str:
    from . import plots

    heading = "Learning curves"
    if metrics is None:
        return _section("curves", heading, _note("No learning curves: they are drawn from the metrics' history."))
    history = metrics.get("history")
    if history is None:
        return _section("curves", heading, _note("No learning curves: the metrics hold no history."))
    if not history.get("cost"):
        return _section("curves", heading, _note("No learning curves: the history has no epochs."))
    parts = [_image(plots.learning_curves(history), "learning curves: cost and accuracy per epoch, training and validation")]
    if history.get("gradient_norms"):
        parts += ["<h3>Gradient norm of each layer</h3>",
                  _image(plots.gradient_norms(history), "the norm of each layer's weight gradient per epoch, log scale")]
    else:
        parts.append(_note("The history holds no gradient norms per layer."))
    return _section("curves", heading, *parts)


def _class_names(net: Network, known: list[str] | None) -> list[str]:
    """The name of each class: the network's, else the data set's (the classes of
    fashion-mnist, a table's labels) when they are as many, else 0, 1, …"""
    n_classes = max(net.sizes[-1], 2)
    for names in (net.classes, known):
        if names is not None and len(names) == n_classes:
            return list(names)
    return [str(k) for k in range(n_classes)]


def _classification(net: Network, X: np.ndarray, y: np.ndarray, names: list[str]) -> list[str]:
    """The confusion matrix and the per-class scores, labelled with ``names``, or one note for a regression."""
    from . import plots
    from .plots import confusion_counts

    if not net.is_classifier:
        return [_section("confusion", "Confusion matrix and per-class scores", _note(
            f"A regression ({net.activations[-1].name} output): no classes, so no confusion matrix, precision or recall; "
            "the summary gives the test cost."))]
    n_classes = len(names)
    outputs = net.predict_proba(X)
    truth, predicted = class_labels(net.targets(y, len(X))), class_labels(outputs)
    counts = confusion_counts(truth, predicted, n_classes)
    header = ("true \\ predicted", *names)
    count_rows = [(names[k], *row.tolist()) for k, row in enumerate(counts)]
    confusion = _section(
        "confusion", "Confusion matrix",
        _image(plots.confusion_matrix(truth, predicted, class_names=names),
               "confusion matrix: true class down, predicted class across"),
        "<details><summary>the counts as a table</summary>", _table("counts", count_rows, header, numeric=True), "</details>",
    )
    precision, recall, f1, support = class_scores(counts)
    rows = [(names[k], _score(p), _score(r), _score(f), int(s)) for k, (p, r, f, s) in enumerate(zip(precision, recall, f1, support))]
    for label, weights in (("macro average", np.ones(n_classes)), ("weighted average", support.astype(np.float64))):
        rows.append((label, *(_score(_average(v, weights)) for v in (precision, recall, f1)), int(support.sum())))
    parts = [_table("per-class", rows, ("class", "precision", "recall", "F₁", "support"), numeric=True)]
    undefined = [names[k] for k in range(n_classes) if math.isnan(precision[k]) or math.isnan(recall[k])]
    if undefined:
        parts.append(_note(f"— : undefined (0/0) for class {', '.join(undefined)}: never predicted (precision) "
                           "or absent from the test split (recall); the averages leave it out."))
    parts.append("<p>Precision: of the examples predicted as the class, the share that are. Recall: of the examples "
                 "of the class, the share predicted as it. F₁: their harmonic mean. Support: test examples of the class.</p>")
    return [confusion, _section("per-class-scores", "Precision and recall per class", *parts)]


def _average(values: np.ndarray, weights: np.ndarray) -> float:
    """The weighted mean over the defined (non-NaN) values; NaN when none is defined or weighs anything."""
    defined = ~np.isnan(values)
    total = weights[defined].sum()
    return float((values[defined] * weights[defined]).sum() / total) if total > 0 else math.nan


def _weights(net: Network) -> str:
    from . import plots

    n_in = net.sizes[0]
    side = math.isqrt(n_in)
    heading = "First-layer weights"
    if side * side != n_in or side < 2:
        return _section("weights", heading, _note(f"The {n_in} inputs are not a square image, so the weights are not drawn as tiles."))
    return _section("weights", heading, _image(plots.weight_tiles(net), "the weights into each first-layer unit as an image"),
                    f"<p>One tile per unit of the first layer, {side}×{side} like the input: red positive, blue negative, "
                    "each tile scaled by its own largest |w|.</p>")


def _image(fig: Figure, alt: str) -> str:
    """``fig`` as an <img> holding its PNG in a data: URI (no Software tag naming a web site)."""
    from .plots import DPI

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    png = buffer.getvalue()
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" width="{width}" height="{height}" alt="{escape(alt)}">'
