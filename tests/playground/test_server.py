"""The playground's HTTP API, driven over HTTP: the numbers it reports are the library's, hostile
requests are refused, and the server lives on."""

from __future__ import annotations

import base64
import json
import socket
import time
import urllib.request

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.playground import LIMITS, PlaygroundServer, Session
from deltaprop.playground.data import SURFACE_GRID, run_data
from deltaprop.playground.settings import Settings

from .conftest import Client


def network_of(state: dict) -> dp.Network:
    """A float64 network with the layers and the weights that /api/state reports."""
    net = dp.Network(state["sizes"], activation=state["activations"][:-1], output=state["activations"][-1],
                     cost=state["cost_function"], dtype="float64")
    for i, (W, b) in enumerate(zip(state["weights"], state["biases"])):
        net.weights[i][...] = np.array(W)
        net.biases[i][...] = np.array(b)
    return net


# ---------------------------------------------------------------------------- the numbers
def test_state_has_the_fields_the_design_fixes(client: Client) -> None:
    state = client.state()
    for key in ("sizes", "activations", "cost_function", "weights", "biases", "l2", "l1", "epoch", "step", "cost", "test_cost", "probe"):
        assert key in state
    assert state["sizes"] == [2, 8, 8, 1] and state["activations"] == ["tanh", "tanh", "sigmoid"]
    assert state["cost_function"] == "cross_entropy" and state["step"] == 0 and state["epoch"] == 0
    assert [np.shape(W) for W in state["weights"]] == [(8, 2), (8, 8), (1, 8)]
    assert set(state["probe"]) >= {"x", "y"} and len(state["probe"]["x"]) == 2 and state["probe"]["y"] in (0, 1)


@pytest.mark.parametrize("changes", [
    {},
    {"hidden": [5, 3, 4], "activations": ["relu", "sigmoid", "softplus"], "l2": 0.5, "probe": 7},
    {"dataset": "spirals", "classes": 4, "output": "softmax", "cost": "log_likelihood", "hidden": [6]},
    {"dataset": "circles", "output": "identity", "cost": "quadratic", "hidden": []},
])
def test_deltas_and_gradients_are_network_gradients_on_the_weights_reported(client: Client, changes: dict) -> None:
    client.control(action="configure", **changes)
    client.control(action="step", steps=37)
    state = client.state()
    assert state["step"] == 37
    net = network_of(state)
    x, y = np.array([state["probe"]["x"]]), state["probe"]["y"]
    grads = net.gradients(x, np.array([y]))  # a label (1,) or a target row (1, n_out)
    L = len(state["sizes"])
    for layer in range(2, L + 1):
        status, e = client.get(f"/api/explain?layer={layer}&neuron=1")
        assert status == 200, e
        assert e["step"] == 37 and e["neuron"] == [layer, 1]
        assert e["weights"] == state["weights"] and e["biases"] == state["biases"]
        for i, reported in enumerate(e["layers"]):
            np.testing.assert_allclose(reported["delta"], grads.deltas[i][0], rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(reported["dW"], grads.dW[i], rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(reported["db"], grads.db[i], rtol=1e-12, atol=1e-15)
            assert reported["dW_rel_error"] < 1e-6  # explain's own numerical check, as the panel shows it


def test_the_derivation_of_a_clicked_weight_is_its_path_sum_equal_to_backprop(client: Client) -> None:
    client.control(action="step", steps=11)
    state = client.state()
    grads = network_of(state).gradients(np.array([state["probe"]["x"]]), np.array([state["probe"]["y"]]))
    for layer, neuron, weight in [(2, 3, 2), (3, 1, 5), (4, 1, 8)]:
        status, e = client.get(f"/api/explain?layer={layer}&neuron={neuron}&weight={weight}")
        assert status == 200, e
        derivation = e["derivation"]
        assert derivation["weight"] == [layer, neuron, weight]
        expected = grads.dW[layer - 2][neuron - 1, weight - 1]
        assert derivation["backprop"] == pytest.approx(expected, rel=1e-9, abs=1e-14)
        assert derivation["path_sum"] == pytest.approx(expected, rel=1e-9, abs=1e-14)
    status, headers, page = client.request("GET", "/api/derivation?layer=2&neuron=3&weight=2")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<svg" in page and b"<script" not in page
    status, e = client.get("/api/explain?layer=2&neuron=1")
    assert "derivation" not in e  # only when a weight is asked for


def test_the_reported_costs_are_the_networks_on_the_reported_data(client: Client) -> None:
    client.control(action="configure", l2=0.3, l1=0.01)
    client.control(action="step", steps=25)
    state = client.state()
    net = network_of(state)
    train, test = state["data"]["train"], state["data"]["test"]
    n = len(train["x"])
    assert state["cost"] == pytest.approx(net.cost(np.array(train["x"]), np.array(train["y"]), l2=0.3, l1=0.01, n_total=n), rel=1e-5)
    assert state["test_cost"] == pytest.approx(net.cost(np.array(test["x"]), np.array(test["y"]), l2=0.3, l1=0.01, n_total=n), rel=1e-5)


def test_the_data_is_the_generated_set_split_by_the_settings(client: Client) -> None:
    state = client.control(action="configure", dataset="moons", points=300, noise=0.15, seed=4, test_fraction=0.4)
    X, y = dp.datasets.SYNTHETIC["moons"](n=300, noise=0.15, seed=4)
    (X_train, y_train), (X_test, y_test) = dp.datasets.train_test_split(X, y, 0.4, 4)
    assert np.array_equal(np.array(state["data"]["train"]["x"], dtype=np.float32), X_train)
    assert state["data"]["test"]["y"] == y_test.tolist()
    assert state["probe"]["x"] == X_train[0].tolist()


def test_the_same_settings_give_the_same_run(client: Client) -> None:
    client.control(action="configure", optimizer="adam", lr=0.01, dropout=0.2, seed=3)
    first = client.control(action="step", steps=120)["weights"]
    client.control(action="reset")
    assert client.state()["step"] == 0
    assert client.control(action="step", steps=120)["weights"] == first
    client.control(action="configure", seed=4)
    assert client.control(action="step", steps=120)["weights"] != first


def test_training_lowers_the_cost_and_play_pause_work(client: Client) -> None:
    before = client.state()["cost"]
    assert client.control(action="play")["playing"] is True
    deadline = time.monotonic() + 30
    while client.state()["epoch"] < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    paused = client.control(action="pause")
    assert paused["playing"] is False and paused["epoch"] >= 30
    assert paused["cost"] < 0.5 * before
    assert len(paused["history"]) == paused["epoch"]
    assert client.state()["step"] == paused["step"]  # paused: nothing moves


def test_choosing_the_probe_keeps_the_run(client: Client) -> None:
    client.control(action="step", steps=10)
    state = client.control(action="configure", probe=5)
    assert state["step"] == 10 and state["probe"]["index"] == 5
    assert state["probe"]["x"] == state["data"]["train"]["x"][5]
    status, error = client.post({"action": "configure", "probe": 280})
    assert status == 400 and error == {"error": "probe must be the index of a training example, from 0 to 279; got 280"}


def test_a_divergence_names_its_step_and_draws_no_nan(client: Client) -> None:
    client.control(action="configure", hidden=[8, 8], activations=["relu", "relu"], output="identity", cost="quadratic", lr=60.0, batch_size=1)
    state = client.control(action="step", steps=200)
    message = state["diverged"]
    assert message is not None and message.startswith("training diverged in epoch 1, step ")
    step = int(message.split(", step ")[1].split(":")[0])
    assert state["step"] == step - 1  # the weights from just before the step that broke them
    assert all(np.isfinite(np.array(W)).all() for W in state["weights"])
    status, error = client.post({"action": "play"})
    assert status == 409 and "Reset or change a setting" in error["error"]
    assert client.control(action="reset")["diverged"] is None


def test_a_csv_the_page_sends_becomes_the_data_set_with_softmax_for_three_classes(client: Client) -> None:
    X, y = dp.datasets.SYNTHETIC["spirals"](n=90, noise=0.02, seed=1, arms=3)
    names = np.array(["red", "green", "blue"])[y]
    text = "a,b,colour\n" + "".join(f"{p[0]},{p[1]},{c}\n" for p, c in zip(X, names))
    state = client.control(action="configure", csv=text, csv_name="../../colours of/spirals.csv")
    assert state["settings"]["dataset"] == "csv" and state["sizes"] == [2, 8, 8, 3]
    assert state["data"]["name"] == "spirals.csv"  # the file's own name, never a path
    assert state["activations"][-1] == "softmax" and state["cost_function"] == "log_likelihood"
    assert state["classes"] == ["blue", "green", "red"] and state["data"]["features"] == ["a", "b"]
    assert "csv" in state["choices"]["dataset"]
    status, error = client.post({"action": "configure", "csv": "a,b\n1,x\n"})
    assert status == 400 and error["error"].startswith("the CSV file sent: ")
    assert client.state()["classes"] == ["blue", "green", "red"]  # the refused table changed nothing


def test_frames_stream_while_training_and_hold_the_surface_of_the_weights(client: Client) -> None:
    client.control(action="step", steps=40)
    state = client.state()
    with urllib.request.urlopen(client.base + "/api/events", timeout=30) as stream:
        line = stream.readline()
        assert line.startswith(b"data: ")
        frame = json.loads(line[6:])
        assert frame["step"] == 40
        for W, sent in zip(state["weights"], frame["weights"]):  # float32 bytes: the weights exactly
            assert np.frombuffer(base64.b64decode(sent["v"]), "<f4").reshape(sent["shape"]).tolist() == W
        assert [len(layer) for layer in frame["neurons"]] == state["sizes"][1:]
        assert len(frame["curve"]) == state["epoch"]
        data = run_data(Settings(), None)
        heat = frame["surface"][0]
        values = heat["lo"] + np.frombuffer(base64.b64decode(heat["v"]), np.uint8) * (heat["hi"] - heat["lo"]) / 255
        expected = network_of(state).predict_proba(data.grid(SURFACE_GRID))[:, 0]
        assert np.abs(values - expected).max() <= (heat["hi"] - heat["lo"]) / 255 / 2 + 1e-6
        heat = frame["neurons"][0][2]  # neuron 3 of layer 2, on every second point of the surface's grid
        values = heat["lo"] + np.frombuffer(base64.b64decode(heat["v"]), np.uint8) * (heat["hi"] - heat["lo"]) / 255
        points = data.grid(SURFACE_GRID).reshape(SURFACE_GRID, SURFACE_GRID, 2)[::2, ::2].reshape(-1, 2)
        expected = np.tanh(points @ np.array(state["weights"][0][2]) + state["biases"][0][2])
        assert values.shape == (1024,) and np.abs(values - expected).max() <= (heat["hi"] - heat["lo"]) / 255 / 2 + 1e-6
        client.control(action="play")
        steps = []
        for _ in range(5):
            while not (line := stream.readline()).startswith(b"data: "):
                pass
            steps.append(json.loads(line[6:])["step"])
        client.control(action="pause")
    assert steps == sorted(steps) and steps[-1] > 40


def test_export_gives_the_model_onnx_and_report(client: Client, tmp_path) -> None:
    state = client.control(action="step", steps=30)
    status, headers, content = client.request("GET", "/api/export?format=npz")
    assert status == 200 and 'filename="playground-xor-step30.npz"' in headers["Content-Disposition"]
    (tmp_path / "m.npz").write_bytes(content)
    net = dp.load(tmp_path / "m.npz")
    assert [W.tolist() for W in net.weights] == state["weights"]
    assert net.provenance["settings"] == state["settings"]
    onnx = pytest.importorskip("onnx")
    status, _, content = client.request("GET", "/api/export?format=onnx")
    assert status == 200
    onnx.checker.check_model(onnx.load_model_from_string(content))
    pytest.importorskip("matplotlib")
    status, headers, content = client.request("GET", "/api/export?format=report")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = content.decode("utf-8")
    assert "<h1>deltaprop report: 2 → 8 → 8 → 1 on xor</h1>" in page
    assert f"Measured on the {len(state['data']['test']['x'])} test examples of xor" in page


# ---------------------------------------------------------------------------- hostile requests
CROSS_SITE = [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Host": "evil.example:80"},
    {"Host": "attacker.example"},
    {"Sec-Fetch-Site": "cross-site"},
]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_cross_site_requests_are_refused_and_change_nothing(client: Client, headers: dict) -> None:
    port = client.server.port
    headers = {k: v.replace(":80", f":{port}") for k, v in headers.items()}
    status, error = client.post({"action": "step", "steps": 5}, headers)
    assert status == 403 and isinstance(error["error"], str)
    status, _ = client.get("/api/state", headers)
    assert status == 403
    assert client.state()["step"] == 0  # the server lives on and nothing moved


def test_the_servers_own_origin_is_accepted(client: Client) -> None:
    port = client.server.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        status, state = client.post({"action": "step", "steps": 1}, {"Host": host, "Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"})
        assert status == 200, state
    assert client.state()["step"] == 2


MALFORMED = [
    (b"{not json", 400, "the body is not JSON: "),
    (b'{"action": NaN}', 400, "the body is not JSON: NaN is not a JSON value"),
    (b"[1, 2]", 400, "the request must be a JSON object with an action; got list"),
    (b'{"action": "fly"}', 400, "action must be one of play, pause, step, reset, configure; got 'fly'"),
    (b'{"action": "step", "steps": 0}', 400, f"steps must be an integer from 1 to {LIMITS['steps']}; got 0"),
    (b'{"action": "step", "steps": 10001}', 400, f"steps must be an integer from 1 to {LIMITS['steps']}; got 10001"),
    (b'{"action": "step", "steps": "5"}', 400, f"steps must be an integer from 1 to {LIMITS['steps']}; got '5'"),
    (b'{"action": "play", "lr": 1}', 400, "action 'play' takes nothing else; got lr"),
    (b'{"action": "configure", "colour": 1}', 400, "setting 'colour' is unknown; the settings are "),
    (b'{"action": "configure", "hidden": [8, 8, 8, 8, 8, 8, 8, 8, 8]}', 400, "hidden must be a list of at most 8 layer widths; got "),
    (b'{"action": "configure", "hidden": [33]}', 400, "hidden[0] must be an integer from 1 to 32; got 33"),
    (b'{"action": "configure", "activations": ["softmax", "tanh"]}', 400, "activations[0] 'softmax' is unknown; choose one of "),
    (b'{"action": "configure", "lr": -1}', 400, "lr must be a number in (0, 100]; got -1"),
    (b'{"action": "configure", "lr": true}', 400, "lr must be a number in (0, 100]; got True"),
    (b'{"action": "configure", "dataset": "/etc/passwd"}', 400, "dataset '/etc/passwd' is unknown; choose one of xor, moons, circles, spirals"),
    (b'{"action": "configure", "dataset": "csv"}', 400, "dataset 'csv' is unknown; choose one of xor, moons, circles, spirals"),
    (b'{"action": "configure", "points": 2001}', 400, "points must be an integer from 20 to 2000; got 2001"),
    (b'{"action": "configure", "csv": 5}', 400, "csv must be the text of a CSV file; got int"),
    (b'{"action": "configure", "csv": "a,b\\n1,0\\n", "csv_name": "x.exe"}', 400, "csv_name must be a file name ending in .csv, at most 100 characters; got 'x.exe'"),
    (b'{"action": "configure", "csv_name": "x.csv"}', 400, "csv_name names the csv sent with it; send csv too"),
    (b'{"action": "configure", "output": "softmax", "cost": "log_likelihood", "hidden": []}', 200, None),
    (b'[' * 100000, 400, "the body is not JSON: "),
]


@pytest.mark.parametrize(("body", "status", "message"), MALFORMED)
def test_malformed_requests_get_400_with_a_json_error_and_the_server_lives_on(client: Client, body: bytes, status: int, message: str | None) -> None:
    got, value = client.post(body)
    assert got == status, value
    if message is not None:
        assert value["error"].startswith(message), value["error"]
    assert client.control(action="step", steps=1)["step"] == 1


@pytest.mark.parametrize(("path", "message"), [
    ("/api/explain?layer=1&neuron=1", "layer must be an integer from 2 to 4 (layer 1 is the input, which has no δ); got 1"),
    ("/api/explain?layer=5&neuron=1", "layer must be an integer from 2 to 4 (layer 1 is the input, which has no δ); got 5"),
    ("/api/explain?layer=2&neuron=9", "neuron must be an integer from 1 to 8 (the width of layer 2); got 9"),
    ("/api/explain?layer=x&neuron=1", "layer must be a whole number; got 'x'"),
    ("/api/explain?layer=2", "neuron must be given once in the query; got 0 values"),
    ("/api/explain?layer=2&layer=3&neuron=1", "layer must be given once in the query; got 2 values"),
    ("/api/explain?layer=99999999999&neuron=1", "layer must be a whole number; got '99999999999'"),
    ("/api/export?format=pickle", "format must be one of npz, onnx, report; got 'pickle'"),
    ("/api/explain?layer=3&neuron=1&weight=9", "weight must be an integer from 1 to 8 (the width of layer 2); got 9"),
    ("/api/derivation?layer=2&neuron=1", "weight must be given once in the query; got 0 values"),
])
def test_bad_queries_get_400(client: Client, path: str, message: str) -> None:
    status, value = client.get(path)
    assert (status, value) == (400, {"error": message})


def test_other_refusals_name_their_reason(client: Client) -> None:
    status, _, content = client.request("POST", "/api/control", b'{"action": "play"}', {"Content-Type": "text/plain"})
    assert status == 415 and json.loads(content) == {"error": "Content-Type must be application/json; got text/plain"}
    status, _, content = client.request("GET", "/nowhere")
    assert status == 404 and json.loads(content) == {"error": "no such page: /nowhere"}
    status, _, content = client.request("PUT", "/api/control", b"{}")
    assert status == 405
    with socket.create_connection(("127.0.0.1", client.server.port), timeout=30) as s:  # a body too large is not read
        s.sendall(b"POST /api/control HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                  % (client.server.port, LIMITS["body_bytes"] + 1))
        assert s.recv(4096).startswith(b"HTTP/1.1 413 ")
    assert client.state()["step"] == 0


def test_a_csv_too_large_is_refused(client: Client) -> None:
    text = "a,b,c\n" + "1.0,2.0,0\n" * (LIMITS["csv_bytes"] // 10 + 1)
    status, value = client.post({"action": "configure", "csv": text})
    assert status == 400 and value["error"] == f"the CSV file has {len(text)} bytes; the playground takes at most {LIMITS['csv_bytes']}"


# ---------------------------------------------------------------------------- where it listens
def non_loopback_address() -> str | None:
    """An address of this machine other than loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_it_listens_on_loopback_only(server: PlaygroundServer) -> None:
    assert server.server_address[0] == "127.0.0.1" and server.url == f"http://127.0.0.1:{server.port}/"
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback to try")
    with pytest.raises(OSError):
        socket.create_connection((address, server.port), timeout=5).close()


def test_the_page_is_self_contained(client: Client) -> None:
    status, headers, content = client.request("GET", "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in headers["Content-Security-Policy"] and "connect-src 'self'" in headers["Content-Security-Policy"]
    page = content.decode("utf-8")
    assert "<title>deltaprop playground</title>" in page
    for external in ("http://", "https://", "//cdn", "@import", "src=\"http"):
        assert external not in page


def test_a_session_refuses_a_table_too_large_before_serving(tmp_path) -> None:
    big = tmp_path / "big.csv"
    big.write_text("a,b\n" + "1,0\n" * (LIMITS["csv_bytes"] // 4 + 1))
    with pytest.raises(ValueError, match=r"^the CSV file has \d+ bytes; the playground takes at most 2000000$"):
        Session(big)
