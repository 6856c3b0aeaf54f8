"""Make docs/derive.png: the path sum of ``deltaprop explain --derive`` in HTML, as Chromium draws it.

Run from the repository root (needs Debian's ``chromium``)::

    .venv/bin/python docs/make_derive_png.py

The network is 3-4-3 (tanh hidden units, a softmax output, the log-likelihood cost, seed 0, the
default example) and the weight w^2_23: nine paths from it to the cost, drawn in green on the
computation graph, each product listed, their sum equal to backprop's a^1_3 δ^2_2. The picture
shows the derivation's path-sum section (the blocks from its heading on, rendered by the HTML
renderer as one page), its first 1200 × 1100 pixels scaled to 900 wide.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import deltaprop as dp
from deltaprop.explain import default_example
from deltaprop.explain.blocks import Heading
from deltaprop.explain.render_html import render_html

PNG = Path(__file__).resolve().with_name("derive.png")
WINDOW = (1200, 1100)
WIDTH = 900


def main() -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    from PIL import Image

    net = dp.Network([3, 4, 3], activation="tanh", output="softmax", cost="log_likelihood", seed=0)
    x, y = default_example(net, seed=0)
    blocks = dp.explain(net, x, y, derive=True, weight=(2, 2, 3)).document()
    start = next(i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.words.key == "sec_paths")
    with tempfile.TemporaryDirectory() as folder:
        page, shot = Path(folder) / "derive.html", Path(folder) / "derive.png"
        page.write_text(render_html(blocks[start:], "en"), encoding="utf-8")
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}", page.as_uri()],
            check=True, capture_output=True, timeout=120,
        )
        image = Image.open(shot).convert("RGB")
        image = image.resize((WIDTH, round(image.height * WIDTH / image.width)), Image.LANCZOS)
        temporary = PNG.with_suffix(".png.tmp")
        image.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(temporary, format="PNG", optimize=True)  # a modest file
        os.replace(temporary, PNG)  # a complete picture or the old one
    print(f"wrote {PNG}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
