"""The page in a real headless Chromium (Debian's, driven by Playwright): it loads, trains when
play is pressed, its cost falls, and the δ a clicked neuron shows is the library's; no console errors."""

from __future__ import annotations

import shutil
import urllib.parse
from collections.abc import Iterator

import numpy as np
import pytest

import deltaprop as dp

from deltaprop.playground import PlaygroundServer

from .conftest import Client
from .test_server import network_of

CHROMIUM = shutil.which("chromium")
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # the test extra installs it
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"),
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install 'deltaprop[test]')"),
]


@pytest.fixture
def browser() -> Iterator[object]:
    with sync_playwright() as p:  # the system's chromium: nothing is downloaded
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, server: PlaygroundServer) -> Iterator[tuple[object, list[str]]]:
    page = browser.new_page(viewport={"width": 1400, "height": 950})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}") if not r.url.endswith("/api/events") else None)
    yield page, problems
    page.close()


def number(page: object, selector: str) -> float:
    return float(page.text_content(selector).replace(",", ""))


def test_play_lowers_the_cost_and_a_clicked_neuron_shows_the_librarys_delta(page: tuple, client: Client) -> None:
    page, problems = page
    page.goto(client.server.url)
    page.wait_for_selector('canvas.neuron[data-layer="4"][data-neuron="1"]')
    page.wait_for_function("() => document.getElementById('train-cost').textContent !== '—'")
    before = number(page, "#train-cost")
    page.click("#play")
    page.wait_for_function("() => Number(document.getElementById('epoch').textContent) >= 40", timeout=60_000)
    page.wait_for_function("() => Number(document.getElementById('fps').textContent) > 0")
    page.click("#play")  # pause
    page.wait_for_function("() => document.getElementById('play').textContent.includes('play')")
    state = client.state()
    assert state["playing"] is False and state["epoch"] >= 40
    page.wait_for_function(f"() => Number(document.getElementById('step-count').textContent) === {state['step']}")
    assert number(page, "#train-cost") < 0.5 * before
    assert state["cost"] < 0.5 * before

    page.click('canvas.neuron[data-layer="3"][data-neuron="2"]')
    page.wait_for_selector("#panel-delta")
    shown = float(page.get_attribute("#panel-delta", "data-value"))
    net = network_of(state)
    grads = net.gradients(np.array([state["probe"]["x"]]), np.array([state["probe"]["y"]]))
    assert shown == pytest.approx(grads.deltas[1][0, 1], rel=1e-12, abs=1e-15)
    assert "BP2" in page.text_content("#panel") and "BP3" in page.text_content("#panel") and "BP4" in page.text_content("#panel")
    assert "numerical" in page.text_content("#panel")

    page.click('canvas.neuron[data-layer="4"][data-neuron="1"]')  # the output: BP1
    page.wait_for_function("() => document.getElementById('panel-title').textContent.includes('output')")
    assert "BP1" in page.text_content("#panel-body")
    assert float(page.get_attribute("#panel-delta", "data-value")) == pytest.approx(grads.deltas[2][0, 0], rel=1e-12, abs=1e-15)

    # the link from neuron 1 of layer 2 to neuron 1 of layer 3, clicked half-way: BP4 for w³₁₁
    start, end = (page.locator(f'canvas.neuron[data-layer="{l}"][data-neuron="1"]').bounding_box() for l in (2, 3))
    page.mouse.click((start["x"] + start["width"] + end["x"]) / 2, start["y"] + start["height"] / 2 + (end["y"] - start["y"]) / 2)
    page.wait_for_selector("#panel-dw")
    assert float(page.get_attribute("#panel-dw", "data-value")) == pytest.approx(grads.dW[1][0, 0], rel=1e-12, abs=1e-15)
    assert "BP4" in page.text_content("#panel-bp4") and "numerical" in page.text_content("#panel-bp4")
    # the panel opens that weight's derivation: the proofs and the path sum, with these numbers
    assert page.get_attribute("#panel-derive", "href") == "/api/derivation?layer=3&neuron=1&weight=1"
    with page.context.expect_page() as opened:
        page.click("#panel-derive")
    derivation = opened.value
    derivation.wait_for_load_state()
    assert "BP1" in derivation.text_content("body") and derivation.locator("svg").count() >= 1
    derivation.close()
    assert problems == []


def test_the_configuration_in_the_url_makes_the_run(page: tuple, client: Client) -> None:
    page, problems = page
    query = urllib.parse.urlencode({"dataset": "spirals", "classes": 3, "hidden": "6,5", "activations": "relu,tanh", "output": "softmax",
                                    "cost": "log_likelihood", "lr": 0.3, "seed": 9})
    page.goto(client.server.url + "?" + query)
    page.wait_for_selector('canvas.neuron[data-layer="4"][data-neuron="3"]')
    state = client.state()
    assert state["sizes"] == [2, 6, 5, 3] and state["activations"] == ["relu", "tanh", "softmax"]
    assert state["settings"]["lr"] == 0.3 and state["settings"]["seed"] == 9
    assert page.input_value("#dataset") == "spirals"
    url = urllib.parse.urlsplit(page.url)
    assert urllib.parse.parse_qs(url.query)["hidden"] == ["6,5"]  # the page writes the whole configuration back
    page.click("#step")
    page.wait_for_function("() => Number(document.getElementById('step-count').textContent) === 1")
    assert problems == []


def test_a_divergence_is_named_not_drawn(page: tuple, client: Client) -> None:
    page, problems = page
    query = urllib.parse.urlencode({"hidden": "8,8", "activations": "relu,relu", "output": "identity", "cost": "quadratic", "lr": 60, "batch_size": 1})
    page.goto(client.server.url + "?" + query)
    page.wait_for_function("() => document.getElementById('lr').value === '60'")  # the URL's run, not the first
    page.click("#play")
    page.wait_for_selector("#diverged", state="visible", timeout=60_000)
    assert page.text_content("#diverged").startswith("training diverged in epoch 1, step ")
    assert page.is_disabled("#play")
    assert problems == []


def test_a_csv_chosen_in_the_page_becomes_the_data_set(page: tuple, client: Client, tmp_path) -> None:
    page, problems = page
    X, y = dp.datasets.SYNTHETIC["spirals"](n=120, noise=0.02, seed=2, arms=3)
    table = tmp_path / "three.csv"
    table.write_text("u,v,kind\n" + "".join(f"{a},{b},{'abc'[k]}\n" for (a, b), k in zip(X, y)))
    page.goto(client.server.url)
    page.wait_for_selector('canvas.neuron[data-layer="4"][data-neuron="1"]')
    page.set_input_files("#csvfile", str(table))
    page.wait_for_selector('canvas.neuron[data-layer="4"][data-neuron="3"]')
    assert page.input_value("#dataset") == "csv" and page.input_value("#output") == "softmax"
    state = client.state()
    assert state["classes"] == ["a", "b", "c"] and state["data"]["name"] == "three.csv"
    assert problems == []
