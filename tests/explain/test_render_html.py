"""The HTML form: one self-contained page, the graph labelled, and what Chromium makes of it."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import numpy as np
import pytest


def test_html_is_one_self_contained_page(default):
    page = default.to_html()
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page and '<meta charset="utf-8">' in page
    lowered = page.lower()
    for outside in ("http:", "https:", "<script", "<link", "<img", "<iframe", "@import", "src=", "href="):
        assert outside not in lowered, outside
    assert set(re.findall(r"url\(([^)]*)\)", page)) == {"#dp-fwd", "#dp-bwd"}  # arrowheads, inside the page
    assert page.count("<svg") == 1 and page.count("<math") > 40
    for fragment in re.findall(r"<svg.*?</svg>|<math.*?</math>", page, flags=re.S):
        ET.fromstring(fragment)  # well-formed markup


def test_the_graph_labels_every_node_with_its_value(default):
    svg = re.search(r"<svg.*?</svg>", default.to_html(), flags=re.S).group(0)
    texts = [t.text for t in ET.fromstring(svg).iter("text")]
    for j in range(3):
        sub = "₁₂₃"[j]
        assert f"x{sub} = {default.x[j]:.4g}" in texts
        assert f"z²{sub} = {default.weighted_inputs[0][j]:.4g}" in texts and f"δ²{sub} = {default.deltas[0][j]:.4g}" in texts
        assert f"a²{sub} = {default.activations[1][j]:.4g}" in texts
        assert f"∂C/∂a²{sub} = {default.grad_activations[0][j]:.4g}" in texts
    assert f"C = {default.cost:.4g}" in texts and "W², b²  (Θ⁽¹⁾)" in texts
    assert 'stroke="#1f77b4"' in svg and 'stroke="#d62728"' in svg  # forward and backward in their colours


def test_jupyter_renders_the_explanation(default):
    fragment = default._repr_html_()
    assert "<!DOCTYPE" not in fragment and fragment.startswith('<div class="deltaprop-explain"') and "<svg" in fragment
    assert default._repr_markdown_() == default.to_markdown()
    assert '<html lang="zh">' in default.to_html(lang="zh") and "反向传播" in default.to_html(lang="zh")


def png_pixels(path: Path) -> np.ndarray:
    """Decode an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) to (h, w, 3)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = {}, 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunks.setdefault(kind, []).append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
    assert depth == 8 and colour in (2, 6) and interlace == 0
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks[b"IDAT"]))
    stride = width * channels
    image = np.zeros((height, stride), dtype=np.int64)
    previous = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], np.frombuffer(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)], dtype=np.uint8).astype(np.int64)
        if kind == 0:
            out = line
        elif kind == 2:
            out = (line + previous) % 256
        else:  # Sub, Average, Paeth depend on the pixel to the left: one pass along the row
            out = np.zeros(stride, dtype=np.int64)
            for x in range(stride):
                left = out[x - channels] if x >= channels else 0
                up, up_left = previous[x], previous[x - channels] if x >= channels else 0
                if kind == 1:
                    predictor = left
                elif kind == 3:
                    predictor = (left + up) // 2
                else:
                    p = left + up - up_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                    predictor = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                out[x] = (line[x] + predictor) % 256
        image[y] = previous = out
    return image.reshape(height, width, channels)[:, :, :3]


CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)")


def headless(page: Path, screenshot: Path, size: str) -> tuple[str, str]:
    """Open ``page`` in headless Chromium: its DOM as parsed, and the log on stderr."""
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
         "--dump-dom", f"--screenshot={screenshot}", f"--window-size={size}", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, proc.stderr


def console_messages(log: str) -> list[str]:
    """What the page wrote to the browser console (errors, warnings, failed loads)."""
    return [line for line in log.splitlines() if ":CONSOLE" in line]


@needs_chromium
def test_console_messages_are_seen_when_a_page_has_them(tmp_path):
    """The check below would catch an error: a page that logs one is caught here."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><p>x</p><script>console.error("boom")</script>', encoding="utf-8")
    _, log = headless(page, tmp_path / "bad.png", "200,200")
    assert any('"boom"' in line for line in console_messages(log)), log


@needs_chromium
def test_the_html_opens_in_headless_chromium_without_errors_and_draws_the_graph(default, tmp_path):
    page, shot = tmp_path / "explain.html", tmp_path / "explain.png"
    page.write_text(default.to_html(), encoding="utf-8")
    dom, log = headless(page, shot, "1200,900")
    assert console_messages(log) == []
    assert "<svg" in dom and "<math" in dom and "Backpropagation, step by step" in dom
    assert dom.count("<rect") >= 14  # 3 inputs, 3 + 3 + 1 + 1 neurons, C, 2 parameter boxes
    pixels = png_pixels(shot)
    assert pixels.shape == (900, 1200, 3)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50  # not blank
    for colour in ((0x1F, 0x77, 0xB4), (0xD6, 0x27, 0x28)):  # the forward and the backward colour of the graph
        near = np.abs(pixels - np.array(colour)).max(axis=2) < 40
        assert near.sum() > 400, f"too few pixels of {colour}: the graph was not drawn"


def derived_page(section: str | None = None) -> str:
    """The derivation of 3-4-3 softmax's w^2_23 (nine paths) as HTML: the whole page, or the blocks from ``section``'s heading on."""
    import deltaprop as dp
    from deltaprop.explain import default_example
    from deltaprop.explain.blocks import Heading
    from deltaprop.explain.render_html import render_html

    net = dp.Network([3, 4, 3], activation="tanh", output="softmax", cost="log_likelihood", seed=0)
    e = dp.explain(net, *default_example(net), derive=True, weight=(2, 2, 3))
    if section is None:
        return e.to_html()
    blocks = e.document()
    start = next(i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.words.key == section)
    return render_html(blocks[start:], "en")


def test_the_derivation_page_is_self_contained_and_well_formed():
    page = derived_page()
    lowered = page.lower()
    for outside in ("http:", "https:", "<script", "<link", "<img", "<iframe", "@import", "src=", "href="):
        assert outside not in lowered, outside
    assert page.count("<svg") == 2 and page.count('class="dp-path"') == 9
    for fragment in re.findall(r"<svg.*?</svg>|<math.*?</math>", page, flags=re.S):
        ET.fromstring(fragment)


@needs_chromium
def test_chromium_draws_the_paths_of_the_derivation_in_green(tmp_path):
    page, shot = tmp_path / "derive.html", tmp_path / "derive.png"
    page.write_text(derived_page("sec_paths"), encoding="utf-8")
    dom, log = headless(page, shot, "1200,900")
    assert console_messages(log) == [] and "The path sum" in dom
    pixels = png_pixels(shot)
    near = np.abs(pixels - np.array((0x2D, 0xA4, 0x4E))).max(axis=2) < 60  # the paths' green
    assert near.sum() > 1000, "the paths were not drawn"  # about 2000 with them, 200 without (here)
