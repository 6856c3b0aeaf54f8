"""``deltaprop explain`` and ``dp.explain``: the numbers, the formats, the browser, the CLI.

Every number of the JSON is recomputed here without deltaprop: z and a by a forward pass written
out below, δ, ∂C/∂W and ∂C/∂b by central differences of a cost written out below.

Golden files: tests/golden/explain_default_{en,zh}.{txt,md} hold the text and Markdown of the
default network (``deltaprop explain`` with no options). After an intended change, regenerate
them with ``DELTAPROP_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/explain`` and
read the diff before committing.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.cli import main
from deltaprop.explain import FULL, default_example, explain

GOLDEN = Path(__file__).parent.parent / "golden"
UPDATE_GOLDEN = os.environ.get("DELTAPROP_UPDATE_GOLDEN") == "1"

# ------------------------------------------------------------------ an independent reference
ACTIVATION = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "identity": lambda z: z,
    "softmax": lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(),
}
COST = {
    "quadratic": lambda a, y: 0.5 * np.sum((a - y) ** 2),
    "cross_entropy": lambda a, y: -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)),
    "log_likelihood": lambda a, y: -np.sum(y * np.log(a)),
}


def reference_forward(d: dict, weights: list, biases: list) -> tuple[list, list]:
    """z^l and a^l of the JSON's example, from the JSON's parameters, layer by layer."""
    a, zs, acts = np.array(d["x"]), [], []
    for W, b, name in zip(weights, biases, d["activations"]):
        z = np.array(W) @ a + np.array(b)
        a = ACTIVATION[name](z)
        zs.append(z)
        acts.append(a)
    return zs, acts


def cost_from_layer(d: dict, i: int, z: np.ndarray) -> float:
    """C as a function of the weighted input z of weight layer i (the rest of the network fixed)."""
    a = ACTIVATION[d["activations"][i]](z)
    for W, b, name in zip(d["weights"][i + 1 :], d["biases"][i + 1 :], d["activations"][i + 1 :]):
        a = ACTIVATION[name](np.array(W) @ a + np.array(b))
    return COST[d["cost_function"]](a, np.array(d["y"]))


def cost_of(d: dict, weights: list, biases: list) -> float:
    return COST[d["cost_function"]](reference_forward(d, weights, biases)[1][-1], np.array(d["y"]))


def central_difference(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """∂f/∂x for every entry of x, by (f(x + h) − f(x − h)) / 2h."""
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        grad[index] = (f(up) - f(down)) / (2 * h)
    return grad


def assert_close(got, want, what: str, rtol: float = 1e-5, atol: float = 1e-8) -> None:
    np.testing.assert_allclose(np.array(got, dtype=float), want, rtol=rtol, atol=atol, err_msg=what)


NETWORKS = {
    "seed002-sigmoid-cross_entropy": ([3, 3, 1], "sigmoid", "sigmoid", "cross_entropy"),
    "tanh-softmax-log_likelihood": ([4, 5, 3], "tanh", "softmax", "log_likelihood"),
    "relu-identity-quadratic": ([2, 4, 3, 2], "relu", "identity", "quadratic"),
    "softplus-sigmoid-quadratic (no short cut)": ([3, 2, 2], "softplus", "sigmoid", "quadratic"),
    "no hidden layer": ([5, 3], "sigmoid", "softmax", "log_likelihood"),
    "leaky_relu-tanh-quadratic": ([3, 4, 2], "leaky_relu", "tanh", "quadratic"),
    "wide, summarised": ([14, 12, 4], "sigmoid", "softmax", "log_likelihood"),
}


@pytest.fixture(params=list(NETWORKS), scope="module")
def case(request) -> tuple[dp.Network, dict]:
    sizes, activation, output, cost = NETWORKS[request.param]
    net = dp.Network(sizes, activation=activation, output=output, cost=cost, seed=3, dtype="float64")
    x, y = default_example(net, seed=3)
    return net, explain(net, x, y, lr=0.25).to_dict()


def test_json_has_the_documented_keys_and_shapes(case):
    net, d = case
    assert {"sizes", "x", "y", "weights", "biases", "cost", "layers"} <= set(d)
    assert d["sizes"] == net.sizes and len(d["x"]) == net.sizes[0] and len(d["y"]) == net.sizes[-1]
    assert len(d["layers"]) == len(net.weights)
    for i, layer in enumerate(d["layers"]):
        n_out, n_in = net.weights[i].shape
        assert {"z", "a", "delta", "dW", "db"} <= set(layer)
        assert np.shape(layer["z"]) == np.shape(layer["a"]) == np.shape(layer["delta"]) == np.shape(layer["db"]) == (n_out,)
        assert np.shape(layer["dW"]) == (n_out, n_in)
        np.testing.assert_array_equal(d["weights"][i], net.weights[i])
        np.testing.assert_array_equal(d["biases"][i], net.biases[i])
    json.dumps(d, allow_nan=False)  # plain JSON values only


def test_every_forward_number_equals_a_direct_recomputation(case):
    _, d = case
    zs, acts = reference_forward(d, d["weights"], d["biases"])
    for i, layer in enumerate(d["layers"]):
        assert_close(layer["z"], zs[i], f"z of layer {i + 2}", rtol=1e-12, atol=1e-14)
        assert_close(layer["a"], acts[i], f"a of layer {i + 2}", rtol=1e-12, atol=1e-14)
    assert d["cost"] == pytest.approx(COST[d["cost_function"]](acts[-1], np.array(d["y"])), rel=1e-12)
    for i, layer in enumerate(d["layers"]):
        if d["activations"][i] in ("relu", "leaky_relu"):  # the central differences below need no kink within h
            assert np.abs(layer["z"]).min() > 1e-3


def test_every_delta_equals_the_numerical_derivative_of_the_cost_by_z(case):
    _, d = case
    for i, layer in enumerate(d["layers"]):
        numerical = central_difference(lambda z, i=i: cost_from_layer(d, i, z), np.array(layer["z"]))
        assert_close(layer["delta"], numerical, f"δ of layer {i + 2}")


def test_every_gradient_equals_the_numerical_derivative_of_the_cost(case):
    _, d = case
    weights = [np.array(W) for W in d["weights"]]
    biases = [np.array(b) for b in d["biases"]]
    for i, layer in enumerate(d["layers"]):
        dW = central_difference(lambda W, i=i: cost_of(d, weights[:i] + [W] + weights[i + 1 :], biases), weights[i])
        db = central_difference(lambda b, i=i: cost_of(d, weights, biases[:i] + [b] + biases[i + 1 :]), biases[i])
        assert_close(layer["dW"], dW, f"∂C/∂W of layer {i + 2}")
        assert_close(layer["db"], db, f"∂C/∂b of layer {i + 2}")
        # The explanation's own numerical checks (shown beside each gradient) agree too.
        shown = [(index, v) for index, v in np.ndenumerate(np.array(layer["dW_numerical"], dtype=object)) if v is not None]
        assert shown, "every layer shows at least its worked element with a numerical check"
        for index, value in shown:
            assert value == pytest.approx(dW[index], rel=1e-5, abs=1e-8)
        assert layer["dW_rel_error"] < 1e-7 and layer["db_rel_error"] < 1e-7


def test_the_update_is_one_step_of_gradient_descent(case):
    _, d = case
    for i, layer in enumerate(d["layers"]):
        assert_close(d["updated_weights"][i], np.array(d["weights"][i]) - 0.25 * np.array(layer["dW"]), "W ← W − η ∂C/∂W", rtol=1e-15, atol=1e-15)
        assert_close(d["updated_biases"][i], np.array(d["biases"][i]) - 0.25 * np.array(layer["db"]), "b ← b − η ∂C/∂b", rtol=1e-15, atol=1e-15)
    assert d["cost_after"] == pytest.approx(cost_of(d, d["updated_weights"], d["updated_biases"]), rel=1e-12)


# ------------------------------------------------------------------ what the explanation says
def default_explanation(**kwargs) -> dp.Explanation:
    """``deltaprop explain`` with no options: seed 002's 3-3-1 sigmoid network, cross-entropy, seed 0."""
    net = dp.Network([3, 3, 1], activation="sigmoid", output="sigmoid", cost="cross_entropy", seed=0)
    x, y = default_example(net, seed=0)
    return explain(net, x, y, **kwargs)


@pytest.fixture(scope="module")
def default() -> dp.Explanation:
    return default_explanation()


def test_default_example_is_seed_002s_network_and_target(default):
    assert default.network.sizes == [3, 3, 1]
    assert [a.name for a in default.network.activations] == ["sigmoid", "sigmoid"]
    assert default.network.cost_function.name == "cross_entropy"
    assert default.y.tolist() == [1.0]
    assert np.all(np.round(default.x, 2) == default.x) and np.all(np.abs(default.x) <= 1)
    assert default.network.dtype == np.float64


def test_the_text_works_bp2_out_in_seed_000s_style_with_the_actual_numbers():
    net = dp.Network([3, 3, 2], seed=1)
    x, y = default_example(net, seed=1)
    e = explain(net, x, y, neuron=(2, 3))
    W3, d3 = e.network.weights[1], e.deltas[1]
    sp = e.derivatives[0][2]
    lines = [line.strip() for line in e.to_text(width=400).splitlines()]
    at = lines.index("δ²₃ = (w³₁₃ δ³₁ + w³₂₃ δ³₂) σ′(z²₃)")
    numbers = f"= ({num(W3[0, 2])} × {num(d3[0])} + {num(W3[1, 2])} × {num(d3[1])}) × {num(sp)} = {e.deltas[0][2]:.6g}"
    assert lines[at + 1] == numbers
    assert e.deltas[0][2] == pytest.approx((W3[0, 2] * d3[0] + W3[1, 2] * d3[1]) * sp, rel=1e-14)


def num(v: float) -> str:
    s = f"{v:.6g}"
    return f"({s})" if v < 0 else s


def test_the_short_cut_is_shown_equal_to_the_general_bp1_for_matched_pairs_only():
    for output, cost, matched in [("sigmoid", "cross_entropy", True), ("softmax", "log_likelihood", True), ("sigmoid", "quadratic", False)]:
        net = dp.Network([3, 4, 3], output=output, cost=cost, seed=2)
        x, y = default_example(net, seed=2)
        e = explain(net, x, y)
        text = e.to_text(width=200)
        assert ("matched pair, so BP1 simplifies to Ng's short cut δᴸ = aᴸ − y" in text) is matched
        assert ("is not a matched pair, so the short cut δᴸ = aᴸ − y does not hold" in text) is not matched
        np.testing.assert_allclose(e.general_output_delta, e.deltas[-1], rtol=1e-9, atol=1e-12)
        if matched:
            np.testing.assert_allclose(e.deltas[-1], e.activations[-1] - e.y, rtol=0, atol=0)


def test_softmax_bp1_is_the_jacobian_vector_product():
    net = dp.Network([3, 4], output="softmax", cost="log_likelihood", seed=5)
    e = explain(net, [0.1, -0.4, 0.9], 2)
    a, g = e.activations[-1], e.grad_activations[-1]
    np.testing.assert_allclose(e.general_output_delta, a * (g - g @ a), rtol=1e-12)
    assert "δᴸ = aᴸ ⊙ (∇ₐ C − ⟨∇ₐ C, aᴸ⟩)" in e.to_text(width=200)
    assert "The network has no hidden layer, so BP2 is not needed." in e.to_text(width=200)


def test_the_numerical_check_stands_beside_each_gradient(default):
    text = default.to_text(width=200)
    W2 = default.dW[0]
    row = next(line.split() for line in text.splitlines() if line.split()[:2] == ["1", "3"] and len(line.split()) == 7)
    assert row[4] == f"{W2[0, 2]:.6g}" and row[5] == f"{default.numerical_dW[0][0, 2]:.6g}" and row[6] == "✓"
    assert not np.isnan(default.numerical_dW[0]).any()  # a small network: every entry checked


def test_lr_shows_the_update_and_the_cost_after_it():
    e = default_explanation(lr=0.5)
    text = e.to_text(width=200)
    W, dW = e.network.weights[0], e.dW[0]
    j, k = e.path[1], e.path[0]
    assert f"w²{'₁₂₃'[j]}{'₁₂₃'[k]} ← {W[j, k]:.6g} − 0.5 × {num(dW[j, k])} = {W[j, k] - 0.5 * dW[j, k]:.6g}" in text
    assert f"The cost of this example goes from {e.cost:.6g} to {e.cost_after:.6g}." in text
    assert e.cost_after < e.cost
    assert "gradient descent" not in default_explanation().to_text(width=200)


def test_a_784_wide_network_is_summarised_and_the_chosen_neuron_shown_in_full():
    net = dp.Network([784, 100, 10], output="softmax", cost="log_likelihood", seed=0)
    x = np.random.default_rng(0).uniform(0, 1, 784)
    e = explain(net, x, 7, neuron=(2, 42))
    text = e.to_text(width=100)
    assert len(text.splitlines()) < 300  # not 78 400 weights
    assert "W²: shape 100 × 784, norm" in text and "Showing 6 of 100 neurons" in text
    assert "Showing 5 of 784 neurons: those with the largest |x|" in text
    assert "δ²₄₂ = (w³₁,₄₂ δ³₁ + w³₂,₄₂ δ³₂ + " in text  # the BP2 sum of the chosen neuron, all 10 terms
    assert "w³₁₀,₄₂ δ³₁₀) σ′(z²₄₂)" in text
    products = net.weights[0][41].astype(float) * x
    shown = np.argsort(-np.abs(products), kind="stable")[:5]
    rest = np.delete(products, shown).sum()
    assert f"A sum of 784 terms: shown are the 5 largest; the other 779 add up to {rest:.6g}." in text
    checked = ~np.isnan(e.numerical_dW[0])
    assert 5 <= checked.sum() <= 10 and checked[41].sum() >= 5  # the chosen neuron's row, with its checks
    assert np.shape(e.to_dict()["layers"][0]["dW"]) == (100, 784)  # the JSON keeps everything


def test_explain_leaves_the_network_alone_and_works_from_float32():
    net = dp.Network([3, 3, 1], seed=0)
    before = [p.copy() for p in net.parameters()]
    e = explain(net, [0.5, 0.5, 0.5], 1, lr=1.0)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.parameters())) and net.dtype == np.float32
    assert e.dW[0].dtype == np.float64


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"x": [1, 2]}, ValueError, "x must be one input of shape (3,) for sizes [3, 3, 1]; got shape (2,)"),
        ({"x": [[1, 2, 3]]}, ValueError, "x must be one input of shape (3,) for sizes [3, 3, 1]; got shape (1, 3)"),
        ({"x": "abc"}, ValueError, "x must be one input of shape (3,) for sizes [3, 3, 1]; got no array"),
        ({"y": [1, 0]}, ValueError, "y must be a class label or a target vector of shape (1,) for sizes [3, 3, 1]; got shape (2,)"),
        ({"y": 2}, ValueError, "y holds label 2; a network with one output takes labels 0 and 1"),
        ({"x": [np.nan, 0, 0]}, ValueError, "X contains NaN, inf or a value beyond float64 (first at row 0, column 0)"),
        ({"lr": -1.0}, ValueError, "lr must be a finite number > 0; got -1.0"),
        ({"lang": "fr"}, ValueError, "lang must be one of en, zh; got 'fr'"),
        ({"neuron": (1, 1)}, ValueError, "neuron must be (layer, index) with layer from 2 to 3 and index from 1 to the layer's width (layer 2: 3, layer 3: 1); got (1, 1)"),
        ({"neuron": (2, 4)}, ValueError, "neuron must be (layer, index) with layer from 2 to 3 and index from 1 to the layer's width (layer 2: 3, layer 3: 1); got (2, 4)"),
        ({"neuron": "2,3"}, ValueError, "neuron must be (layer, index) with layer from 2 to 3 and index from 1 to the layer's width (layer 2: 3, layer 3: 1); got '2,3'"),
        ({"net": "model.npz"}, TypeError, "net must be a deltaprop Network; got str"),
    ],
)
def test_bad_arguments_are_refused_naming_what_is_allowed(kwargs, error, message):
    args = {"net": dp.Network([3, 3, 1], seed=0), "x": [0.1, 0.2, 0.3], "y": 1} | kwargs
    with pytest.raises(error) as info:
        explain(**args)
    assert str(info.value) == message


# ------------------------------------------------------------------ golden files
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_golden_text_and_markdown_of_the_default_network(default, fmt, lang):
    got = default.to_text(width=100, lang=lang) if fmt == "text" else default.to_markdown(lang=lang)
    path = GOLDEN / f"explain_default_{lang}.{'txt' if fmt == 'text' else 'md'}"
    if UPDATE_GOLDEN:
        path.parent.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8"), f"{path} differs; see this module's docstring to regenerate it"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_terminal_gets_the_same_text_in_colour(lang):
    from rich.console import Console

    e = default_explanation(lang=lang)
    console = Console(file=io.StringIO(), width=100, force_terminal=True, color_system="standard")
    console.print(e)
    coloured = console.file.getvalue()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert coloured != plain  # styled
    assert "\n".join(line.rstrip() for line in plain.splitlines()) + "\n" == e.to_text(width=100)


def test_both_languages_show_the_same_equations_and_numbers(default):
    def math_and_numbers(markdown: str) -> list[str]:
        equations = re.findall(r"\$\$\n(.*?)\n\$\$", markdown, flags=re.S)
        lines = markdown.splitlines()
        table_rows = [line for above, line in zip(lines, lines[1:]) if line.startswith("| ") and above.startswith("|")]  # bodies, not headers
        inline = re.findall(r"(?<!\$)\$([^$\n]+)\$(?!\$)", markdown)
        return equations + table_rows + inline

    en, zh = default.to_markdown(lang="en"), default.to_markdown(lang="zh")
    assert en != zh and "反向传播" in zh
    assert math_and_numbers(en) == math_and_numbers(zh)
    assert len(math_and_numbers(en)) > 40


def test_markdown_keeps_its_latex_balanced(default):
    md = default.to_markdown()
    assert md.count("$$") % 2 == 0 and md.replace("$$", "").count("$") % 2 == 0
    for equation in re.findall(r"\$\$\n(.*?)\n\$\$", md, flags=re.S):
        assert equation.count(r"\left") == equation.count(r"\right") and equation.count("{") == equation.count("}")


# ------------------------------------------------------------------ HTML
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


# ------------------------------------------------------------------ the command line
def run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["explain", *map(str, argv)])
        except SystemExit as e:
            code = e.code
    return code, out.getvalue(), err.getvalue()


def test_cli_text_is_the_golden_default(default):
    code, out, err = run()
    assert (code, err) == (0, "")
    assert out == default.to_text(width=100)


@pytest.mark.parametrize("fmt", ["markdown", "html", "json"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_cli_formats_print_the_explanation(default, fmt, lang):
    code, out, err = run("--format", fmt, "--lang", lang)
    assert (code, err) == (0, "")
    if fmt == "json":
        assert json.loads(out) == json.loads(default.to_json())
    else:
        assert out == (default.to_markdown(lang=lang) if fmt == "markdown" else default.to_html(lang=lang))


def test_cli_options_change_the_network_the_example_and_the_neuron():
    code, out, _ = run("--sizes", "2,4,3", "--activation", "tanh", "--output", "softmax", "--cost", "log_likelihood",
                       "--input", "0.5,-1", "--target", "2", "--seed", "7", "--lr", "0.1", "--neuron", "2,4", "--format", "json")
    d = json.loads(out)
    assert code == 0 and d["sizes"] == [2, 4, 3] and d["activations"] == ["tanh", "softmax"]
    assert d["x"] == [0.5, -1.0] and d["y"] == [0.0, 0.0, 1.0] and d["neuron"] == [2, 4] and d["lr"] == 0.1
    np.testing.assert_array_equal(d["weights"][0], dp.Network([2, 4, 3], seed=7).weights[0].astype(float))


def test_cli_explains_a_saved_model_on_a_row_of_a_data_set(tmp_path):
    net = dp.Network([2, 5, 2], output="softmax", cost="log_likelihood", seed=4)
    model = dp.save(net, tmp_path / "model.npz")
    code, out, _ = run("--model", model, "--dataset", "xor", "--index", 7, "--format", "json")
    (X, y), _ = dp.datasets.load("xor")
    d = json.loads(out)
    assert code == 0 and d["sizes"] == [2, 5, 2]
    assert d["x"] == X[7].astype(float).tolist() and d["y"] == np.eye(2)[y[7]].tolist()
    np.testing.assert_array_equal(d["weights"][1], net.weights[1].astype(float))


def test_cli_out_writes_the_file_atomically(default, tmp_path):
    target = tmp_path / "explain.html"
    target.write_text("old", encoding="utf-8")
    code, out, _ = run("--format", "html", "--out", target)
    assert code == 0 and out == f"explanation written to {target}\n"
    assert target.read_text(encoding="utf-8") == default.to_html()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["explain.html"]  # no temporary file left
    code, _, err = run("--format", "html", "--out", target, "--neuron", "9,9")  # fails before writing: the file stays
    assert code == 2 and target.read_text(encoding="utf-8") == default.to_html()
    code, _, _ = run("--out", tmp_path / "explain.txt")
    assert code == 0 and (tmp_path / "explain.txt").read_text(encoding="utf-8") == default.to_text(width=100)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--input", "1,2"], "deltaprop: error: --input must be 3 comma-separated numbers, one per input of the network (3,3,1); got '1,2'"),
        (["--input", "1,x,2"], "deltaprop: error: --input must be comma-separated numbers like 0.5,-1,2; got '1,x,2'"),
        (["--target", "1,0"], "deltaprop: error: --target must be one class label or 1 comma-separated numbers, one per output of the network (3,3,1); got '1,0'"),
        (["--sizes", "3,x"], "deltaprop explain: error: argument --sizes: must be two or more comma-separated positive integers like 784,100,10; got '3,x'"),
        (["--sizes", "3"], "deltaprop explain: error: argument --sizes: must be two or more comma-separated positive integers like 784,100,10; got '3'"),
        (["--dataset", "xor", "--index", 800], "deltaprop: error: --index 800 is out of range: xor has 800 training examples (0 to 799)"),
        (["--dataset", "xor", "--index", -1], "deltaprop: error: --index -1 is out of range: xor has 800 training examples (0 to 799)"),
        (["--index", 3], "deltaprop: error: --index picks a row of --dataset; give --dataset too"),
        (["--dataset", "xor", "--input", "1,2"], "deltaprop: error: --input and --target give the example directly; leave them out with --dataset"),
        (["--dataset", "xor", "--sizes", "3,2"], "deltaprop: error: --sizes 3,2 takes 3 inputs but xor has 2"),
        (["--model", "m.npz", "--sizes", "3,2", "--cost", "quadratic"], "deltaprop: error: --model m.npz brings its own network; leave out --sizes, --cost"),
        (["--neuron", "2"], "deltaprop: error: neuron must be (layer, index) with layer from 2 to 3 and index from 1 to the layer's width (layer 2: 3, layer 3: 1); got (2,)"),
        (["--neuron", "two,1"], "deltaprop: error: --neuron must be LAYER,INDEX like 2,3; got 'two,1'"),
        (["--lr", "0"], "deltaprop explain: error: argument --lr: must be a finite number > 0; got '0'"),
        (["--format", "pdf"], "deltaprop explain: error: argument --format: invalid choice: 'pdf' (choose from 'text', 'markdown', 'html', 'json')"),
        (["--lang", "fr"], "deltaprop explain: error: argument --lang: invalid choice: 'fr' (choose from 'en', 'zh')"),
        (["--activation", "swish"], "deltaprop: error: activation 'swish' is unknown; choose one of sigmoid, tanh, relu, leaky_relu, softplus, identity, softmax"),
        (["--out", "/nonexistent-folder/e.html"], "deltaprop: error: --out /nonexistent-folder/e.html: folder /nonexistent-folder does not exist"),
    ],
)
def test_cli_refuses_bad_input_in_one_line(argv, message):
    code, out, err = run(*argv)
    assert (code, out) == (2, "")
    assert err == message + "\n"


def test_full_limit_keeps_the_default_network_whole(default):
    assert max(default.network.sizes) <= FULL
    assert "Showing" not in default.to_text(width=100)
