"""The session: the training thread, divergence while playing, and a regression table with its scalings."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import deltaprop as dp
from deltaprop.playground import Session


def wait(session: Session, done, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_divergence_while_playing_stops_the_thread_and_names_the_step() -> None:
    session = Session()
    try:
        session.control({"action": "configure", "activations": ["relu", "relu"], "output": "identity", "cost": "quadratic", "lr": 60.0, "batch_size": 1})
        session.control({"action": "play"})
        wait(session, lambda: session.snapshot.diverged is not None)
        snap = session.snapshot
        assert snap.playing is False and snap.diverged.startswith("training diverged in epoch 1, step ")
        assert all(np.isfinite(W).all() for W in snap.net.weights)
        assert session.state()["playing"] is False
    finally:
        session.close()


def test_a_regression_table_trains_on_standardised_inputs_and_targets(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (300, 2)) * [100, 1]
    y = 5 + 2 * np.sin(X[:, 0] / 100) + X[:, 1] ** 2 / 4
    table = tmp_path / "r.csv"
    table.write_text("big,small,target\n" + "".join(f"{a:.6f},{b:.6f},{t:.6f}\n" for (a, b), t in zip(X, y)))
    session = Session(table)
    try:
        state = session.state()
        assert state["activations"][-1] == "identity" and state["cost_function"] == "quadratic" and state["classes"] is None
        before = state["test_cost"]
        state = session.control({"action": "step", "steps": 3000})
        assert state["test_cost"] < 0.3 * before
        net = session.snapshot.net
        assert net.input_scaling is not None and net.target_scaling is not None
        data = session.snapshot.source.data
        r2 = 1 - np.sum((net.predict(data.X_test) - data.y_test) ** 2) / np.sum((data.y_test - data.y_test.mean()) ** 2)
        assert r2 > 0.8  # predictions in the targets' own units
        e = session.explanation(2, 1)
        grads = dp.Network.gradients(net.copy(np.float64), np.array([state["probe"]["x"]]), np.array([state["probe"]["y"]]))
        np.testing.assert_allclose(e["layers"][0]["delta"], grads.deltas[0][0], rtol=1e-10, atol=1e-14)
    finally:
        session.close()
