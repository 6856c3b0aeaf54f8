"""Make docs/explain.png: the page of ``deltaprop explain --format html``, as Chromium draws it.

Run from the repository root (needs Debian's ``chromium``)::

    .venv/bin/python docs/make_explain_png.py

The page is the default explanation (seed 002's 3-3-1 network, sigmoid units, cross-entropy
cost, seed 0); the picture is its first 1200 × 1000 pixels: the title, the introduction, the
computation graph and the start of the tables.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from deltaprop.cli import main as deltaprop

PNG = Path(__file__).resolve().with_name("explain.png")
WINDOW = "1200,1000"


def main() -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        page, shot = Path(folder) / "explain.html", Path(folder) / "explain.png"
        if deltaprop(["explain", "--format", "html", "--out", str(page)]) != 0:
            return 1
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--screenshot={shot}", f"--window-size={WINDOW}", page.as_uri()],
            check=True, capture_output=True, timeout=120,
        )
        os.replace(shutil.copy(shot, PNG.with_suffix(".png.tmp")), PNG)  # a complete picture or the old one
    print(f"wrote {PNG}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
