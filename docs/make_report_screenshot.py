"""Regenerate docs/report.png: the page of ``deltaprop report`` for a digits run, as headless Chromium shows it.

Run from the repository root (it needs matplotlib, scikit-learn and Debian's chromium)::

    .venv/bin/python docs/make_report_screenshot.py

It trains the digits recipe with a validation set (30 epochs, a few seconds), writes the report
of the run folder, opens it in Chromium in a window 1200 pixels wide and taller than the page,
and keeps the page down to its last drawn row.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image  # matplotlib's own dependency

from deltaprop.cli import main

#: The screenshot, beside this script.
OUT = Path(__file__).resolve().parent / "report.png"
WIDTH, TALLER_THAN_THE_PAGE = 1200, 6000
MARGIN = 16


def screenshot(page: Path, png: Path) -> None:
    """Let headless Chromium draw ``page`` into ``png``, WIDTH wide, cut below the page's end."""
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("make_report_screenshot: needs Debian's chromium (apt-get install chromium)")
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--screenshot={png}",
         f"--window-size={WIDTH},{TALLER_THAN_THE_PAGE}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    with Image.open(png) as image:
        rgb = np.asarray(image.convert("RGB"))
    drawn = np.flatnonzero((rgb != rgb[-1]).any(axis=(1, 2)))  # rows unlike the empty bottom one
    page = Image.fromarray(rgb[: min(len(rgb), drawn[-1] + 1 + MARGIN)])
    page.quantize(256).save(png, optimize=True)  # a palette: a third of the bytes, no visible change


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):  # the page names its source "run", not a temporary path
        folder = Path("run")
        for argv in (["train", "--dataset", "digits", "--validation", "0.1", "--checkpoint", str(folder), "--quiet"],
                     ["report", str(folder), "--out", str(folder / "report.html")]):
            if main(argv) != 0:
                sys.exit(f"make_report_screenshot: 'deltaprop {' '.join(argv)}' failed")
        screenshot((folder / "report.html").resolve(), Path(tmp) / "report.png")
        shutil.copyfile(Path(tmp) / "report.png", OUT)
    print(f"screenshot written to {OUT}")


if __name__ == "__main__":
    run()
