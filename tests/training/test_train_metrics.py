"""An epoch's training cost and accuracy: the running mean over its batches, or a full pass."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp


def problem(dtype="float64"):
    rng = np.random.default_rng(3)
    net = dp.Network([4, 7, 3], activation="tanh", output="softmax", cost="log_likelihood", dtype=dtype, seed=2)
    X, y = rng.standard_normal((23, 4)), rng.integers(0, 3, 23)
    return net, X, y


def test_running_metrics_are_the_mean_over_the_epochs_batches_before_each_step():
    """Unshuffled, so each batch's rows are known: 23 rows in batches of 5 (the last has 3)."""
    net, X, y = problem()
    trainer = dp.Trainer(net, X, y, batch_size=5, optimizer=dp.SGD(lr=0.4), l2=0.3, shuffle=False)
    for epoch in range(2):
        costs, correct = [], 0
        for first in range(0, 23, 5):
            rows = slice(first, first + 5)
            costs.append(net.cost(X[rows], y[rows]) * len(X[rows]))
            correct += int(np.sum(net.predict(X[rows]) == y[rows]))
            trainer.step()
        penalty = 0.3 / (2 * 23) * sum(float(np.sum(W * W)) for W in net.weights)  # at the epoch's end
        assert trainer.history.cost[epoch] == pytest.approx(sum(costs) / 23 + penalty, rel=1e-12)
        assert trainer.history.accuracy[epoch] == correct / 23
    assert trainer.history.train_metrics == "running"


def test_running_cost_weighs_examples_by_their_sample_weight():
    net, X, y = problem()
    w = np.random.default_rng(0).uniform(0.1, 3.0, 23)
    trainer = dp.Trainer(net, X, y, batch_size=23, optimizer=dp.SGD(lr=0.4), sample_weight=w, shuffle=False)
    expected = float(np.sum(w * -np.log(net.predict_proba(X)[np.arange(23), y])) / np.sum(w))
    trainer.run_epoch()
    assert trainer.history.cost[0] == pytest.approx(expected, rel=1e-12)


def test_full_metrics_measure_the_whole_set_after_the_epoch():
    net, X, y = problem()
    history = dp.fit(net, X, y, epochs=1, batch_size=5, l2=0.3, progress=False, train_metrics="full")
    assert history.train_metrics == "full"
    assert history.cost[0] == pytest.approx(net.cost(X, y, l2=0.3), rel=1e-12)
    assert history.accuracy[0] == net.accuracy(X, y)


def test_running_and_full_runs_train_the_same_weights():
    nets = []
    for metrics in ("running", "full"):
        net, X, y = problem()
        dp.fit(net, X, y, epochs=3, batch_size=4, dropout=0.2, progress=False, train_metrics=metrics)
        nets.append(net)
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        np.testing.assert_array_equal(a, b)


def test_a_state_taken_mid_epoch_carries_the_running_sums():
    net, X, y = problem()
    whole = dp.Trainer(net, X, y, batch_size=5, seed=4)
    whole.fit(2)
    net2, X, y = problem()
    first = dp.Trainer(net2, X, y, batch_size=5, seed=4)
    for _ in range(7):  # into the second epoch
        first.step()
    state = first.state_dict()
    net3, X, y = problem()
    resumed = dp.Trainer(net3, X, y, batch_size=5, seed=4)
    resumed.load_state_dict(state)
    resumed.fit(2)
    assert resumed.history.cost == whole.history.cost
    assert resumed.history.accuracy == whole.history.accuracy


def test_weights_that_overflow_the_forward_pass_end_the_epoch_that_made_them():
    """The batches' costs are taken before each step, so the last step's weights are checked
    at the epoch's end too: the run stops in the epoch that broke it, outputs still finite."""
    net, X, y = problem()
    with pytest.raises(dp.TrainingDiverged, match=r"^training diverged in epoch 1, step \d+: ") as caught:
        dp.fit(net, X * 1e3, y, epochs=4, batch_size=5, optimizer=dp.SGD(lr=1e300), progress=False)
    assert caught.value.history.epochs == 0
    assert np.isfinite(net.predict_proba(X)).all()


def test_the_running_window_is_measured_when_full_and_at_the_epochs_end():
    """9001 rows in batches of 1000: the 4096-row window fills four times in an epoch."""
    rng = np.random.default_rng(5)
    net = dp.Network([3, 4, 2], activation="tanh", dtype="float64", seed=0)
    X, y, w = rng.standard_normal((9001, 3)), rng.integers(0, 2, 9001), rng.uniform(0.5, 2, 9001)
    trainer = dp.Trainer(net, X, y, batch_size=1000, optimizer=dp.SGD(lr=0.05), sample_weight=w, shuffle=False)
    costs, correct = [], 0
    for first in range(0, 9001, 1000):
        rows = slice(first, first + 1000)
        per_row = net.cost_function.per_example(net.predict_proba(X[rows]), net.targets(y[rows], len(X[rows])))
        costs.append(float(np.sum(w[rows] * per_row)))
        correct += int(np.sum(net.predict(X[rows]) == y[rows]))
        trainer.step()
    assert trainer.history.cost[0] == pytest.approx(sum(costs) / w.sum(), rel=1e-12)
    assert trainer.history.accuracy[0] == correct / 9001


def test_train_metrics_must_be_running_or_full():
    net, X, y = problem()
    with pytest.raises(ValueError, match=r"^train_metrics must be 'running' or 'full'; got 'mean'$"):
        dp.Trainer(net, X, y, train_metrics="mean")


def test_a_state_from_a_full_run_is_refused_by_a_running_one():
    net, X, y = problem()
    trainer = dp.Trainer(net, X, y, batch_size=5, train_metrics="full")
    trainer.step()
    state = trainer.state_dict()
    other = dp.Trainer(problem()[0], X, y, batch_size=5)
    with pytest.raises(ValueError, match=r"^the state was made with train_metrics = 'full'; this run has 'running'$"):
        other.load_state_dict(state)
    del state["config"]["train_metrics"]  # a state from before the setting existed was "full"
    trainer2 = dp.Trainer(problem()[0], X, y, batch_size=5, train_metrics="full")
    trainer2.load_state_dict(state)


def test_the_kept_outputs_travel_through_a_checkpoint_file(tmp_path):
    from deltaprop.training.checkpoint import read_state, write_state

    net, X, y = problem("float32")
    whole = dp.Trainer(net, X, y, batch_size=4, seed=9)
    whole.fit(2)
    first = dp.Trainer(problem("float32")[0], X, y, batch_size=4, seed=9)
    for _ in range(8):  # 6 steps make the first epoch of 23 rows; the second epoch's 8 outputs are kept, not yet added up
        first.step()
    state = first.state_dict()
    assert state["epoch_outputs"].shape == (8, 3) and state["epoch_sums"][3] == 0
    write_state(tmp_path, state)
    resumed = dp.Trainer(problem("float32")[0], X, y, batch_size=4, seed=9)
    resumed.load_state_dict(read_state(tmp_path))
    resumed.fit(2)
    assert resumed.history.cost == whole.history.cost and resumed.history.accuracy == whole.history.accuracy


def test_kept_outputs_that_do_not_fit_the_run_are_refused():
    net, X, y = problem()
    trainer = dp.Trainer(net, X, y, batch_size=5)
    for _ in range(2):
        trainer.step()
    state = trainer.state_dict()
    state["epoch_outputs"] = np.zeros((11, 3))
    with pytest.raises(ValueError, match=r"^the state: its epoch_outputs hold 11 rows, more than the 10 trained on this epoch$"):
        dp.Trainer(problem()[0], X, y, batch_size=5).load_state_dict(state)
    state["epoch_outputs"] = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"^the state: its epoch_outputs must be a float64 array of at most 4096 rows of 3$"):
        dp.Trainer(problem()[0], X, y, batch_size=5).load_state_dict(state)
