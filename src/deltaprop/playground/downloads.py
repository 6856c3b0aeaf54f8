"""What the page downloads: the model (``.npz``, ONNX) and the run's HTML report.

Each is made by the library's own writer from a snapshot's network: :func:`deltaprop.save`,
:func:`deltaprop.export.export_onnx` and :func:`deltaprop.report.render_report`, the report
measured on the run's own test split with the run's history as its learning curves (the test
set is the run's validation set: the curves' "validation" line). The model carries the
settings that made it in its provenance.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ..datasets.registry import Data
from ..export import export_onnx
from ..serialize import save
from .session import Snapshot

__all__ = ["KINDS", "download"]

#: What may be downloaded: kind → (file suffix, media type).
KINDS = {
    "npz": (".npz", "application/octet-stream"),
    "onnx": (".onnx", "application/octet-stream"),
    "report": (".html", "text/html; charset=utf-8"),
}


def download(snap: Snapshot, kind: str) -> tuple[bytes, str, str]:
    """Return (content, file name, media type) of ``kind`` for the snapshot's network.

    Raises
    ------
    ValueError
        For an unknown kind, or a network the writer refuses.
    ImportError
        When the writer needs a package that is missing (onnx, matplotlib).
    """
    if kind not in KINDS:
        raise ValueError(f"format must be one of {', '.join(KINDS)}; got {kind!r}")
    suffix, media = KINDS[kind]
    name = f"playground-{Path(snap.source.data.name).stem}-step{snap.steps}{suffix}"
    if kind == "report":
        return _report(snap).encode("utf-8"), name, media
    with tempfile.TemporaryDirectory(prefix="deltaprop-playground-") as folder:
        path = Path(folder) / name
        (save if kind == "npz" else export_onnx)(snap.net, path)
        return path.read_bytes(), name, media


def _report(snap: Snapshot) -> str:
    from ..report import render_report

    run = snap.source
    data = Data(run.data.name, (run.data.X_train, run.y_train), (run.data.X_test, run.y_test), classes=run.data.classes,
                feature_names=run.data.feature_names)
    return render_report(snap.net, _metrics(snap), data=data, source="the deltaprop playground")


def _metrics(snap: Snapshot) -> dict[str, Any]:
    """The run as ``deltaprop train --metrics`` describes one, up to the snapshot's epoch."""
    settings = snap.source.settings.to_dict()
    history = snap.history.to_dict()
    for key, value in history.items():
        if isinstance(value, list):
            history[key] = value[: snap.epochs_measured]
    return {
        "task": snap.net.task, "dataset": snap.source.data.name, "sizes": list(snap.net.sizes), "epochs": snap.epochs_measured,
        "optimizer": {"name": settings.pop("optimizer"), "lr": settings.pop("lr")}, "batch_size": settings.pop("batch_size"),
        "l2": settings.pop("l2"), "seed": settings.pop("seed"), "settings": settings, "history": history,
    }
