"""Make docs/playground.png: the playground page as headless Chromium draws it, mid-run.

Run from the repository root (needs Debian's ``chromium`` and Playwright, ``pip install 'deltaprop[test]'``)::

    .venv/bin/python docs/make_playground_png.py

The run: three spirals, 2-8-8-3 with tanh hidden layers and a softmax output, Adam η = 0.01,
seed 0, trained for a few seconds; then neuron 1 of layer 3 is clicked, so the panel shows its
z, a, δ and BP2–BP4 with the numbers plugged in. The picture is the first 1400 × 1000 pixels.
"""

from __future__ import annotations

import shutil
import sys
import urllib.parse
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from deltaprop.playground import PlaygroundServer, Session

PNG = Path(__file__).resolve().with_name("playground.png")
SETTINGS = {"dataset": "spirals", "classes": 3, "points": 600, "noise": 0.05, "hidden": "8,8", "activations": "tanh,tanh",
            "output": "softmax", "cost": "log_likelihood", "optimizer": "adam", "lr": 0.01, "seed": 0}


def main() -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    server = PlaygroundServer(Session())
    server.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.url + "?" + urllib.parse.urlencode(SETTINGS))
            page.wait_for_selector('canvas.neuron[data-layer="4"][data-neuron="3"]')
            page.click("#play")
            page.wait_for_function("() => Number(document.getElementById('epoch').textContent) >= 150", timeout=120_000)
            page.click("#play")
            page.click('canvas.neuron[data-layer="3"][data-neuron="1"]')
            page.wait_for_selector("#panel-delta")
            page.wait_for_timeout(300)
            page.screenshot(path=str(PNG))
            Image.open(PNG).convert("RGB").quantize(colors=128).save(PNG, optimize=True)  # a palette: a third of the bytes
            browser.close()
    finally:
        server.close()
    print(f"wrote {PNG}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
