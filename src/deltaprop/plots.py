"""Pictures of a network and its training: learning curves, gradient norms, confusion matrix, weights.

Symbols → names: C → ``cost``; η → ``lr``; ‖∂C/∂W^l‖ (the Frobenius norm of a layer's weight
gradient) → ``gradient_norms``; W^l of the first layer → ``net.weights[0]``, one row per unit.

Every drawing function returns a :class:`matplotlib.figure.Figure` and, given ``path``, also
saves it there atomically, in the format its suffix names (``.png``, ``.svg`` or ``.pdf``).
matplotlib is imported inside the functions (``pip install 'deltaprop[plot]'``) and never
through pyplot: each figure has its own Agg canvas, so nothing is left in pyplot's global list
of open figures and no display backend is touched.

A history is a :class:`deltaprop.History` or a dict with its keys (what ``deltaprop train
--metrics`` writes under ``"history"``): ``cost``, ``accuracy``, ``val_cost``,
``val_accuracy``, one entry per epoch (``val_*`` empty without a validation set, accuracies
``None`` for a regression), and optionally ``lr`` (η of each epoch), ``best_epoch`` (the
epoch early stopping kept, from 1) and ``gradient_norms`` (per epoch, ‖∂C/∂W^l‖ of each
weight layer: see :func:`layer_gradient_norms`). Other keys are ignored.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .atomic import atomic_write
from .network import Network, class_labels
from .training import History
from .validation import class_count, integer, is_integer, non_negative, positive_int, real_number

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "learning_curves",
    "gradient_norms",
    "layer_gradient_norms",
    "confusion_matrix",
    "confusion_counts",
    "weight_tiles",
]

#: Suffixes a figure can be saved under; the format follows the suffix.
FORMATS = (".png", ".svg", ".pdf")
#: Pixels per inch of saved raster images.
DPI = 100
#: The four per-epoch series every history has.
HISTORY_KEYS = ("cost", "accuracy", "val_cost", "val_accuracy")

_TRAIN, _VALIDATION, _LR = "C0", "C1", "0.45"


# ---------------------------------------------------------------------------- drawing functions
def learning_curves(history: History | Mapping, path: str | os.PathLike | None = None) -> Figure:
    """Draw cost and accuracy per epoch, on the training and the validation set.

    Parameters
    ----------
    history : History or dict
        See the module docstring. When every accuracy is ``None`` (a regression), only the
        cost panel is drawn. An ``lr`` that changes over the epochs is drawn on the cost
        panel's right axis; a ``best_epoch`` (1-based, as early stopping records it) as a
        dotted vertical line.
    path : str or PathLike, optional
        Save the figure here (``.png``, ``.svg`` or ``.pdf``).

    Returns
    -------
    matplotlib.figure.Figure
        Its first axes hold the cost, the second (if any) the accuracy; in each, the training
        line comes before the validation line.

    Raises
    ------
    ValueError, TypeError
        If ``history`` lacks a key, has no epochs, or holds anything but numbers per epoch.
    """
    target = _output_path(path)
    h = _history(history)
    epochs = len(h["cost"])
    cost = _series(h, "cost", epochs)
    accuracy = _series(h, "accuracy", epochs, none_allowed=True)
    val_cost = _series(h, "val_cost", epochs, may_be_empty=True)
    val_accuracy = _series(h, "val_accuracy", len(val_cost), none_allowed=True, may_be_empty=True)
    lr = _series(h, "lr", epochs, may_be_empty=True) if h.get("lr") is not None else np.empty(0)
    best = _best_epoch(h.get("best_epoch"), epochs)
    has_accuracy = not (np.isnan(accuracy).all() and np.isnan(val_accuracy).all())

    fig = _figure(10 if has_accuracy else 5.5, 4)
    x = np.arange(1, epochs + 1)
    marker = "o" if epochs <= 50 else None
    panels = [("cost C", cost, val_cost)] + ([("accuracy", accuracy, val_accuracy)] if has_accuracy else [])
    for ax, (name, train, validation) in zip(fig.subplots(1, len(panels), squeeze=False)[0], panels):
        ax.plot(x, train, color=_TRAIN, marker=marker, markersize=3, label=f"training {name.split()[0]}")
        if len(validation):
            ax.plot(x, validation, color=_VALIDATION, marker=marker, markersize=3, label=f"validation {name.split()[0]}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(name.split()[0])
        ax.grid(alpha=0.3)
        _integer_ticks(ax)
        if best is not None:
            ax.axvline(best, color="0.3", linestyle=":", linewidth=1, label=f"best epoch ({best})")
        handles, labels = ax.get_legend_handles_labels()
        if name.startswith("cost") and len(lr) and lr.min() != lr.max():
            twin = ax.twinx()
            twin.step(x, lr, where="mid", color=_LR, linestyle="--", linewidth=1, label="learning rate η")
            twin.set_ylabel("learning rate η")
            more = twin.get_legend_handles_labels()
            handles, labels = handles + more[0], labels + more[1]
        ax.legend(handles, labels)
    return _finish(fig, target)


def gradient_norms(history: History | Mapping, path: str | os.PathLike | None = None) -> Figure:
    """Draw ‖∂C/∂W^l‖ of each weight layer per epoch, on a log scale.

    This is the picture of Nielsen's chapter 5: in a deep sigmoid network the gradient
    shrinks layer by layer on its way back, so the first layers learn slowest.

    Parameters
    ----------
    history : History or dict
        Must hold ``gradient_norms``: one list per epoch of one norm ≥ 0 per weight layer,
        first layer first (build one entry with :func:`layer_gradient_norms`).
    path : str or PathLike, optional
        Save the figure here (``.png``, ``.svg`` or ``.pdf``).

    Returns
    -------
    matplotlib.figure.Figure
        One line per weight layer, first layer first; zero norms are left out of the log axis.
    """
    target = _output_path(path)
    h = _history(history, keys=())
    norms = _norm_table(h.get("gradient_norms"))
    epochs, layers = norms.shape
    fig = _figure(8, 4.5)
    ax = fig.subplots()
    from matplotlib import colormaps

    colours = colormaps["viridis"](np.linspace(0, 0.9, layers))
    x = np.arange(1, epochs + 1)
    for i in range(layers):
        name = "output layer" if i == layers - 1 else f"hidden layer {i + 1}"
        ax.plot(x, norms[:, i], color=colours[i], marker="o" if epochs <= 50 else None, markersize=3, label=name)
    ax.set_yscale("log", nonpositive="mask")
    ax.set_xlabel("epoch")
    ax.set_ylabel("‖∂C/∂W‖ (log scale)")
    ax.set_title("gradient norm of each layer's weights")
    ax.grid(alpha=0.3, which="both")
    _integer_ticks(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the lines, never over them
    return _finish(fig, target)


def layer_gradient_norms(net: Network, X: object, y: object) -> list[float]:
    """Return ‖∂C/∂W^l‖ (Frobenius norm) of each weight layer for ``net`` as it is now.

    One backward pass over ``(X, y)``: the entry for one epoch of a history's
    ``gradient_norms``.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a deltaprop Network; got {type(net).__name__}")
    return [float(np.linalg.norm(dW)) for dW in net.gradients(X, y).dW]


def confusion_matrix(
    *data: object, class_names: Sequence[str] | None = None, path: str | os.PathLike | None = None
) -> Figure:
    """Draw the confusion matrix: true classes down, predicted classes across, counts in the cells.

    Call it as ``confusion_matrix(net, X, y)`` (the network predicts ``X``; ``y`` is labels,
    class names or target rows) or as ``confusion_matrix(y_true, y_pred)`` (two label vectors).

    Parameters
    ----------
    *data
        ``(net, X, y)`` or ``(y_true, y_pred)``.
    class_names : sequence of str, optional
        One name per class for the axes: by default the network's ``classes`` when it has
        them, else ``0, 1, ...``. With two label vectors it also fixes the number of classes.
    path : str or PathLike, optional
        Save the figure here (``.png``, ``.svg`` or ``.pdf``).

    Returns
    -------
    matplotlib.figure.Figure
        Its axes hold the counts image and one text per cell, row by row.
    """
    target = _output_path(path)
    if len(data) == 3:
        net, X, y = data
        if not isinstance(net, Network):
            raise TypeError(f"confusion_matrix(net, X, y) needs a deltaprop Network first; got {type(net).__name__}")
        if not net.is_classifier:
            raise ValueError(
                f"a confusion matrix needs a classifier (sigmoid or softmax output); this network's output is {net.activations[-1].name}"
            )
        outputs = net.predict_proba(X)  # X in the network's own units: it applies its input scaling
        y_true, y_pred = class_labels(net.targets(y, len(outputs))), class_labels(outputs)
        n_classes = max(net.sizes[-1], 2)
        if class_names is None:
            class_names = net.classes
    elif len(data) == 2:
        y_true, y_pred = (_labels(name, v) for name, v in zip(("y_true", "y_pred"), data))
        if len(y_true) != len(y_pred):
            raise ValueError(f"y_true and y_pred must have the same length; got {len(y_true)} and {len(y_pred)}")
        n_classes = max(class_count("y_true", y_true), class_count("y_pred", y_pred))
    else:
        raise TypeError(f"confusion_matrix takes (net, X, y) or (y_true, y_pred); got {len(data)} positional arguments")
    if class_names is not None:
        if isinstance(class_names, str) or not isinstance(class_names, Sequence) or not all(isinstance(c, str) for c in class_names):
            raise TypeError(f"class_names must be a list of str; got {class_names!r}")
        if len(data) == 2 and len(class_names) >= n_classes:
            n_classes = len(class_names)
        if len(class_names) != n_classes:
            raise ValueError(f"class_names lists {len(class_names)} names but there are {n_classes} classes")
    names = list(class_names) if class_names is not None else [str(k) for k in range(n_classes)]
    counts = confusion_counts(y_true, y_pred, n_classes)

    side = min(max(4.5, 0.45 * n_classes + 2.5), 16)
    fig = _figure(side + 1, side)
    ax = fig.subplots()
    image = ax.imshow(counts, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax, shrink=0.8, label="examples")
    ticks = np.arange(n_classes)
    ax.set_xticks(ticks, names, rotation=45 if max(map(len, names)) > 2 else 0, ha="right" if max(map(len, names)) > 2 else "center")
    ax.set_yticks(ticks, names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    total = int(counts.sum())
    ax.set_title(f"accuracy {np.trace(counts) / total:.4f} on {total} examples")
    fontsize = max(4.0, min(10.0, 120 / n_classes))
    for i in range(n_classes):
        for j in range(n_classes):
            dark = counts[i, j] > counts.max() / 2
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=fontsize, color="white" if dark else "black")
    return _finish(fig, target)


def confusion_counts(y_true: object, y_pred: object, n_classes: int) -> np.ndarray:
    """Return the (n_classes, n_classes) integer matrix of counts: row = true, column = predicted.

    Raises
    ------
    ValueError
        If the vectors differ in length or hold anything but integer labels in [0, n_classes).
    """
    positive_int("n_classes", n_classes)
    y_true, y_pred = _labels("y_true", y_true, n_classes), _labels("y_pred", y_pred, n_classes)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred must have the same length; got {len(y_true)} and {len(y_pred)}")
    flat = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes)


def weight_tiles(net: Network, path: str | os.PathLike | None = None, shape: tuple[int, int] | None = None) -> Figure:
    """Draw each first-layer unit's weights w_j· as an image the size of the input.

    Each tile is scaled by its own largest |w|: red is positive, blue negative, white zero;
    the dark lines between tiles are no weights at all.

    Parameters
    ----------
    net : Network
    path : str or PathLike, optional
        Save the figure here (``.png``, ``.svg`` or ``.pdf``).
    shape : (int, int), optional
        (height, width) of an input image. Without it the input must be a square image
        (784 → 28×28, 64 → 8×8).

    Returns
    -------
    matplotlib.figure.Figure
        Its axes hold one image: the tiles row by row, one NaN pixel between them.
    """
    target = _output_path(path)
    if not isinstance(net, Network):
        raise TypeError(f"net must be a deltaprop Network; got {type(net).__name__}")
    net.check_parameters()
    W = net.weights[0].astype(np.float64)
    units, n_in = W.shape
    height, width = _tile_shape(shape, n_in)
    columns = math.ceil(math.sqrt(units))
    rows = math.ceil(units / columns)
    canvas = np.full((rows * (height + 1) - 1, columns * (width + 1) - 1), np.nan)
    scale = np.abs(W).max(axis=1)
    scale[scale == 0] = 1.0
    for j, row in enumerate(W / scale[:, None]):
        r, c = divmod(j, columns)
        canvas[r * (height + 1) : r * (height + 1) + height, c * (width + 1) : c * (width + 1) + width] = row.reshape(height, width)

    side = min(max(4.0, 0.6 * columns + 1), 12)
    fig = _figure(side, side * rows / columns + 0.5)
    from matplotlib import colormaps

    ax = fig.subplots()
    ax.imshow(canvas, cmap=colormaps["RdBu_r"].with_extremes(bad="0.15"), vmin=-1, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(f"first-layer weights: {units} units, {height}×{width} each")
    return _finish(fig, target)


# ---------------------------------------------------------------------------- figures and files
def _figure(width: float, height: float) -> Figure:
    """A new Figure of ``width`` × ``height`` inches on its own Agg canvas (never pyplot)."""
    try:
        import matplotlib  # noqa: F401  (the package first: a clear message if it is missing)
    except ImportError:
        raise ImportError("plots need matplotlib, which is not installed: pip install 'deltaprop[plot]'") from None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _output_path(path: str | os.PathLike | None) -> Path | None:
    """Check ``path`` before any drawing: a known suffix and a folder that exists."""
    if path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name (str or Path); got {type(path).__name__}")
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"path {str(path)!r} must end in {', '.join(FORMATS[:-1])} or {FORMATS[-1]} (the suffix picks the format)")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"path {str(path)!r}: folder {str(path.parent)!r} does not exist")
    return path


def _finish(fig: Figure, path: Path | None) -> Figure:
    """Save ``fig`` to ``path`` atomically, if given; return it."""
    if path is not None:
        with atomic_write(path, "wb") as f:
            fig.savefig(f, format=path.suffix.lower()[1:], dpi=DPI)
    return fig


def _integer_ticks(ax: object) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


# ---------------------------------------------------------------------------- checking inputs
def _history(history: object, keys: Sequence[str] = HISTORY_KEYS) -> dict:
    """Return ``history`` as a dict, after checking it is one (or a History) with ``keys``."""
    if isinstance(history, History):
        history = history.to_dict()
    if not isinstance(history, Mapping):
        raise TypeError(
            f"history must be a deltaprop History or a dict with keys {', '.join(HISTORY_KEYS)}; got {type(history).__name__}"
        )
    missing = [key for key in keys if key not in history]
    if missing:
        raise ValueError(
            f"history is missing {', '.join(map(repr, missing))}; a history has keys {', '.join(HISTORY_KEYS)}"
        )
    if keys and not _is_list(history["cost"]):
        raise ValueError(f"history['cost'] must be a list with one number per epoch; got {type(history['cost']).__name__}")
    if keys and len(history["cost"]) == 0:
        raise ValueError("history has no epochs: history['cost'] is empty")
    return dict(history)


def _series(h: dict, key: str, length: int, none_allowed: bool = False, may_be_empty: bool = False) -> np.ndarray:
    """Return ``h[key]`` as floats (NaN for ``None``), checking its length and entries."""
    values = h[key]
    if not _is_list(values):
        raise ValueError(f"history[{key!r}] must be a list with one number per epoch; got {type(values).__name__}")
    if len(values) != length and not (may_be_empty and len(values) == 0):
        allowed = f"{length} (one per epoch)" + (" or none" if may_be_empty else "")
        raise ValueError(f"history[{key!r}] has {len(values)} entries; it must have {allowed}")
    out = np.empty(len(values))
    for i, v in enumerate(values):
        allowed = "a finite number or None" if none_allowed else "a finite number"
        out[i] = np.nan if v is None and none_allowed else real_number(f"history[{key!r}][{i}]", v, allowed, lambda _: True)
    return out


def _best_epoch(best: object, epochs: int) -> int | None:
    """Check history['best_epoch']: ``None`` or an epoch number in [1, epochs]."""
    if best is None:
        return None
    return integer("history['best_epoch']", best, f"None or an epoch number from 1 to {epochs}", lambda v: 1 <= v <= epochs)


def _norm_table(raw: object) -> np.ndarray:
    """Check history['gradient_norms'] and return it as an (epochs, layers) array."""
    if raw is None or (_is_list(raw) and len(raw) == 0):
        raise ValueError(
            "history has no 'gradient_norms': it needs one list per epoch of ‖∂C/∂W‖ per layer (see layer_gradient_norms)"
        )
    if not _is_list(raw) or not all(_is_list(epoch) for epoch in raw):
        raise ValueError("history['gradient_norms'] must be a list per epoch of a list of norms per layer")
    layers = len(raw[0])
    for e, epoch in enumerate(raw):
        if len(epoch) != layers or layers == 0:
            raise ValueError(
                f"history['gradient_norms'][{e}] has {len(epoch)} norms; every epoch needs one per layer ({layers or 'at least 1'})"
            )
        for i, v in enumerate(epoch):
            non_negative(f"history['gradient_norms'][{e}][{i}]", v)
    return np.array(raw, dtype=np.float64)


def _labels(name: str, y: object, n_classes: int | None = None) -> np.ndarray:
    """Return ``y`` as a 1-D integer label array, checking the values (and the range, if known)."""
    y = np.asarray(y)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of class labels; got shape {y.shape}")
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(np.nan_to_num(y)))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"{name} must hold integer class labels; got {y[i].item()!r} at index {i}")
    elif y.dtype.kind not in "biu":
        raise ValueError(f"{name} must hold integer class labels; got dtype {y.dtype}")
    y = y.astype(np.int64)
    out_of_range = (y < 0) if n_classes is None else (y < 0) | (y >= n_classes)
    if out_of_range.any():
        i = int(np.argmax(out_of_range))
        allowed = "integers ≥ 0" if n_classes is None else f"integers in [0, {n_classes})"
        raise ValueError(f"{name} holds label {y[i].item()} at index {i}; labels must be {allowed}")
    return y


def _tile_shape(shape: object, n_in: int) -> tuple[int, int]:
    """(height, width) of one input image: ``shape`` checked, or the square root of ``n_in``."""
    if shape is None:
        side = math.isqrt(n_in)
        if side * side != n_in:
            raise ValueError(
                f"the first layer takes {n_in} inputs, which is not a square image; pass shape=(height, width) with height × width = {n_in}"
            )
        return side, side
    if (
        not isinstance(shape, (tuple, list))
        or len(shape) != 2
        or not all(is_integer(s) and s > 0 for s in shape)
    ):
        raise ValueError(f"shape must be (height, width), two positive integers; got {shape!r}")
    if shape[0] * shape[1] != n_in:
        raise ValueError(f"shape {tuple(shape)} has {shape[0] * shape[1]} pixels but the first layer takes {n_in} inputs")
    return int(shape[0]), int(shape[1])


def _is_list(value: object) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))
