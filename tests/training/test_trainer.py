"""Trainer: stepped by hand it is fit, bit for bit; its state after any step continues bit for
bit in a fresh Trainer; the gradient hook sits between backprop and the update."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.training.callbacks import Checkpoint, EarlyStopping, GradientNorms, LearningRateSchedule
from deltaprop.training.checkpoint import read_state, write_state
from deltaprop.schedules import CosineAnnealing, ReduceOnPlateau


@pytest.fixture(scope="module")
def digits():
    (X, y), _ = dp.datasets.load("digits")
    return X[:250], y[:250]


def make_net(seed=3, dtype="float32"):
    return dp.Network([64, 24, 16, 10], activation="relu", output="softmax", cost="log_likelihood", init="he", seed=seed, dtype=dtype)


#: A run with everything that draws from the Generator or keeps state: dropout masks, a validation
#: fraction, Adam's buffers, L2 and L1, max-norm and a schedule.
SETTINGS = dict(batch_size=16, l2=0.5, l1=0.05, dropout=0.2, max_norm=3.0, validation=0.2, seed=11)


def trainer_for(digits, net=None, callbacks=(), **changes):
    X, y = digits
    settings = SETTINGS | changes
    return dp.Trainer(net or make_net(), X, y, optimizer=dp.Adam(lr=3e-3), callbacks=list(callbacks), **settings)


def assert_same(net_a, history_a, net_b, history_b):
    for i, (a, b) in enumerate(zip(net_a.parameters(), net_b.parameters(), strict=True)):
        assert np.array_equal(a, b), f"parameter {i} differs"
    a, b = history_a.to_dict(), history_b.to_dict()
    assert len(a.pop("seconds")) == len(b.pop("seconds"))
    assert a == b


def test_a_trainer_stepped_by_hand_is_fit_bit_for_bit(digits):
    X, y = digits
    fitted = make_net()
    history = dp.fit(fitted, X, y, epochs=4, optimizer=dp.Adam(lr=3e-3), progress=False, gradient_norms=False, **SETTINGS)
    trainer = trainer_for(digits)
    steps_per_epoch = -(-trainer.n_train // SETTINGS["batch_size"])  # 200 rows in batches of 16: 13 steps
    costs = []
    while trainer.epoch < 4:
        costs.append(trainer.step())
        assert trainer.steps_done == len(costs) and trainer.epoch == len(costs) // steps_per_epoch
    assert trainer.n_train == 200 and len(costs) == 4 * steps_per_epoch
    assert_same(fitted, history, trainer.net, trainer.history)
    assert all(np.isfinite(costs)) and np.mean(costs[-steps_per_epoch:]) < np.mean(costs[:steps_per_epoch])


def test_step_returns_the_cost_of_its_batch_before_the_update(digits):
    X, y = digits
    trainer = dp.Trainer(make_net(dtype="float64"), X, y, batch_size=32, optimizer=dp.SGD(lr=0.1), l2=0.7, seed=2)
    before = trainer.net.copy()
    order = np.random.default_rng(2).permutation(len(X))[:32]
    cost = trainer.step()
    assert cost == pytest.approx(before.cost(X[order], y[order], l2=0.7, n_total=len(X)), rel=1e-12)


def test_run_epoch_finishes_the_epoch_that_steps_began(digits):
    whole = trainer_for(digits)
    whole.run_epoch()
    whole.run_epoch()
    parts = trainer_for(digits)
    for _ in range(5):
        parts.step()
    parts.run_epoch()  # the remaining 8 steps of the first epoch
    assert parts.epoch == 1 and parts.position == 0 and parts.history.epochs == 1
    parts.run_epoch()
    assert_same(whole.net, whole.history, parts.net, parts.history)


@pytest.mark.parametrize("steps", [1, 7, 13, 20, 38])  # inside the first epoch, at its end, inside later ones
def test_a_state_taken_after_any_step_continues_bit_for_bit_in_a_fresh_trainer(digits, steps):
    schedule = [LearningRateSchedule(ReduceOnPlateau(factor=0.5, patience=0, threshold=0.2))]
    whole = trainer_for(digits, callbacks=schedule + [EarlyStopping(2, "val_accuracy")])
    whole.fit(5)
    first = trainer_for(digits, callbacks=[LearningRateSchedule(ReduceOnPlateau(factor=0.5, patience=0, threshold=0.2)), EarlyStopping(2, "val_accuracy")])
    for _ in range(steps):
        first.step()
    state = first.state_dict()
    # a snapshot, not views: training on and scribbling over the network leave it as it was
    saved = [p.copy() for p in state["params"]]
    first.step()
    first.net.weights[0][...] = 0
    for a, b in zip(state["params"], saved):
        assert np.array_equal(a, b)
    fresh = trainer_for(digits, make_net(seed=99), callbacks=[LearningRateSchedule(ReduceOnPlateau(factor=0.5, patience=0, threshold=0.2)), EarlyStopping(2, "val_accuracy")])
    fresh.load_state_dict(state)
    assert (fresh.epoch, fresh.steps_done) == (steps // 13, steps)
    fresh.fit(5)
    assert_same(whole.net, whole.history, fresh.net, fresh.history)


def test_a_state_survives_the_checkpoint_file_exactly(digits, tmp_path):
    trainer = trainer_for(digits, callbacks=[EarlyStopping(3), LearningRateSchedule(CosineAnnealing(4))])
    for _ in range(17):
        trainer.step()
    state = trainer.state_dict()
    write_state(tmp_path, state)
    again = read_state(tmp_path)
    assert set(again) == set(state)
    for key in ("config", "generator", "epoch", "steps_done", "position", "epoch_seconds", "history"):
        assert again[key] == state[key], key
    assert np.array_equal(again["order"], state["order"])
    for a, b in zip(again["params"], state["params"], strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    for a, b in zip(again["optimizer"].pop("arrays"), state["optimizer"].pop("arrays"), strict=True):
        assert np.array_equal(a, b)
    assert again["optimizer"] == state["optimizer"]
    assert again["callbacks"]["schedule"] == {**state["callbacks"]["schedule"], "arrays": []}
    for a, b in zip(again["callbacks"]["early_stopping"]["arrays"], state["callbacks"]["early_stopping"]["arrays"], strict=True):
        assert np.array_equal(a, b)


def test_a_state_from_another_kind_of_run_is_refused_and_changes_nothing(digits):
    source = trainer_for(digits)
    for _ in range(3):
        source.step()
    state = source.state_dict()
    other = trainer_for(digits, batch_size=8)
    before = [p.copy() for p in other.params]
    with pytest.raises(ValueError, match=r"^the state was made with batch_size = 16; this run has 8$"):
        other.load_state_dict(state)
    with pytest.raises(ValueError, match=r"^the state holds the state of callbacks \[\]; this run has \['early_stopping'\]$"):
        trainer_for(digits, callbacks=[EarlyStopping(3)]).load_state_dict(state | {"config": state["config"] | {"early_stopping": 3, "monitor": "val_cost", "min_delta": 0.0}})
    with pytest.raises(ValueError, match=r"^the state: its place in the epoch is malformed"):
        trainer_for(digits).load_state_dict(state | {"position": 500})
    with pytest.raises(ValueError, match=r"^the state: its state is incomplete or malformed \(KeyError\('generator'\)\)$"):
        trainer_for(digits).load_state_dict({k: v for k, v in state.items() if k != "generator"})
    assert other.steps_done == 0 and all(np.array_equal(p, b) for p, b in zip(other.params, before))


# ---------------------------------------------------------------- the gradient hook
class Scale(dp.Callback):
    """Multiplies every gradient by ``factor`` between backprop and the update."""

    def __init__(self, factor):
        self.factor, self.seen = factor, []

    def on_gradient(self, gradient):
        self.seen.append(gradient.copy())
        gradient *= self.factor


def test_the_gradient_hook_sees_one_flat_buffer_and_scaling_it_is_scaling_the_learning_rate(digits):
    X, y = digits
    hooked, plain = make_net(), make_net()
    scale = Scale(0.5)
    trainer = dp.Trainer(hooked, X, y, batch_size=20, optimizer=dp.SGD(lr=0.4), l2=0.3, seed=4, callbacks=[scale])
    assert trainer.gradient.flags.c_contiguous and trainer.gradient.size == sum(p.size for p in hooked.parameters())
    assert all(g.base is trainer.gradient and g.shape == p.shape for g, p in zip(trainer.gradients, hooked.parameters()))
    first = np.random.default_rng(4).permutation(len(X))[:20]
    expected = np.concatenate([g.ravel() for g in hooked.gradients(X[first], y[first], l2=0.3, n_total=len(X)).parameters()])
    trainer.fit(3)
    np.testing.assert_allclose(scale.seen[0], expected, rtol=1e-5, atol=1e-7)  # the hook saw BP1–BP4's ∂C/∂θ
    assert len(scale.seen) == 3 * 13
    dp.fit(plain, X, y, epochs=3, batch_size=20, optimizer=dp.SGD(lr=0.2), l2=0.3, seed=4, progress=False)
    for a, b in zip(hooked.parameters(), plain.parameters()):
        np.testing.assert_array_equal(a, b)  # η·(½g) and (η/2)·g round alike: halving is exact


# ---------------------------------------------------------------- callbacks
class Calls(dp.Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self):
        self.calls.append("train")

    def on_epoch_begin(self, epoch):
        self.calls.append(("epoch", epoch))

    def on_gradient(self, gradient):
        self.calls.append("g")

    def on_batch_end(self, step, net):
        self.calls.append(step)

    def on_epoch_end(self, epoch, history, net):
        self.calls.append(("end", epoch, history.epochs, self.trainer.epoch))

    def on_train_end(self):
        self.calls.append(("done", self.trainer.history.stopped))


def test_callbacks_are_called_in_the_order_of_a_run(digits):
    X, y = digits
    calls = Calls()
    trainer = dp.Trainer(make_net(), X[:50], y[:50], batch_size=20, callbacks=[calls])
    assert calls.trainer is trainer
    trainer.fit(2)
    epoch = lambda e: [("epoch", e), "g", 0, "g", 1, "g", 2, ("end", e, e + 1, e + 1)]  # noqa: E731
    assert calls.calls == ["train", *epoch(0), *epoch(1), ("done", None)]
    calls.calls.clear()
    trainer.step()  # a step by hand after fit begins training again
    trainer.step()
    assert calls.calls == ["train", ("epoch", 2), "g", 0, "g", 1]


def test_a_gradient_norms_callback_records_every_layer_after_every_epoch(digits):
    trainer = trainer_for(digits, callbacks=[GradientNorms()])
    trainer.fit(2)
    assert len(trainer.history.gradient_norms) == 2 and all(len(n) == 3 and min(n) > 0 for n in trainer.history.gradient_norms)
    assert trainer_for(digits).fit(2).gradient_norms == []


@pytest.mark.parametrize("strict,stops_after", [(True, 4), (False, None)])
def test_early_stopping_counts_a_tie_as_an_improvement_only_when_not_strict(strict, stops_after):
    values = iter([0.5, 0.7, 0.7, 0.7, 0.7, 0.7])  # the monitor rises once, then stays level
    X, y = np.eye(4), [0, 1, 0, 1]
    stopper = EarlyStopping(2, monitor=lambda: next(values), mode="max", strict=strict)
    history = dp.Trainer(dp.Network([4, 2]), X, y, batch_size=4, callbacks=[stopper]).fit(6)
    assert history.epochs == (stops_after or 6)
    assert stopper.best == 0.7 and stopper.best_epoch == 1 and history.best_epoch == 2
    assert history.stopped == ("early stopping" if stops_after else None)


# ---------------------------------------------------------------- checkpoints inside an epoch
class StopAfter(dp.Callback):
    def __init__(self, steps):
        self.steps = steps

    def on_batch_end(self, step, net):
        if self.trainer.steps_done == self.steps:
            self.trainer.history.stopped = "callback"


def test_checkpoints_every_k_steps_resume_inside_an_epoch_bit_for_bit(digits, tmp_path):
    whole = trainer_for(digits)
    whole.fit(3)
    cut = trainer_for(digits, callbacks=[StopAfter(24), Checkpoint(tmp_path, every_steps=5)])
    cut.fit(3)
    state = read_state(tmp_path)  # the run's end (a callback stopped it after step 24) is checkpointed too
    assert cut.steps_done == 24 and state["steps_done"] == 24 and state["epoch"] == 1 and state["position"] == 11 * 16
    resumed = trainer_for(digits, make_net(seed=50), callbacks=[Checkpoint(tmp_path, every_steps=5, resume=True)])
    resumed.fit(3)
    assert resumed.steps_done == whole.steps_done
    assert_same(whole.net, whole.history, resumed.net, resumed.history)
    assert dp.load(tmp_path / "model.npz").parameters()[0].tobytes() == whole.net.weights[0].tobytes()


# ---------------------------------------------------------------- what a review found
class RaiseLearningRate(dp.Callback):
    def __init__(self, epoch, lr):
        self.epoch, self.lr = epoch, lr

    def on_epoch_end(self, epoch, history, net):
        if epoch == self.epoch:
            self.trainer.optimizer.lr = self.lr


def test_a_run_that_diverges_keeps_its_last_good_checkpoint_inside_epochs(digits, tmp_path):
    X, y = digits
    net = make_net()
    callbacks = [RaiseLearningRate(0, 1e30), Checkpoint(tmp_path, every_steps=3)]
    with pytest.raises(dp.TrainingDiverged, match=r"^training diverged in epoch 2, step \d+: "):
        dp.Trainer(net, X, y, batch_size=16, optimizer=dp.SGD(lr=0.1), seed=1, callbacks=callbacks).fit(3)
    state = read_state(tmp_path)
    assert all(np.isfinite(p).all() for p in state["params"]) and state["epoch"] == 1
    assert all(np.isfinite(p).all() for p in dp.load(tmp_path / "model.npz").parameters())


def test_steps_by_hand_begin_training_first(digits, tmp_path):
    X, y = digits
    with pytest.raises(ValueError, match=r"^early_stopping needs validation data"):
        dp.Trainer(make_net(), X, y, callbacks=[EarlyStopping(2)]).run_epoch()
    dp.Trainer(make_net(), X, y, batch_size=16, callbacks=[Checkpoint(tmp_path)]).fit(2)
    resumed = dp.Trainer(make_net(), X, y, batch_size=16, callbacks=[Checkpoint(tmp_path, resume=True)])
    resumed.step()  # the first step resumes the checkpoint's run, then takes the step after it
    assert resumed.epoch == 2 and resumed.steps_done == 2 * 16 + 1


def test_fitting_in_parts_with_early_stopping_is_fitting_at_once(digits):
    whole = trainer_for(digits, callbacks=[EarlyStopping(50)])
    whole.fit(8)
    parts = trainer_for(digits, callbacks=[EarlyStopping(50)])
    parts.fit(4)
    best = parts.callbacks[0].best_epoch
    assert all(np.array_equal(p, b) for p, b in zip(parts.params, parts.callbacks[0].best_params))  # the best, for now
    assert parts.history.best_epoch == best + 1
    parts.fit(8)  # ... and on from where training was
    assert_same(whole.net, whole.history, parts.net, parts.history)


def test_a_loaded_state_is_not_shared_with_the_trainer(digits):
    source = trainer_for(digits)
    source.run_epoch()
    state = source.state_dict()
    state["config"]["sizes"].append(1)
    assert source.net.sizes == [64, 24, 16, 10]
    state = source.state_dict()
    fresh = trainer_for(digits)
    fresh.load_state_dict(state)
    fresh.run_epoch()
    assert len(state["history"]["cost"]) == 1
    again = trainer_for(digits)
    again.load_state_dict(state)
    assert again.history.epochs == again.epoch == 1


def test_a_state_taken_at_an_epochs_last_batch_continues_bit_for_bit(digits):
    whole = trainer_for(digits)
    whole.fit(2)

    class Take(dp.Callback):
        def on_batch_end(self, step, net):
            if self.trainer.steps_done == 13:  # the first epoch's last batch, before its measurement
                self.state = self.trainer.state_dict()

    take = Take()
    trainer_for(digits, callbacks=[take]).fit(1)
    fresh = trainer_for(digits)
    fresh.load_state_dict(take.state)
    fresh.fit(2)
    assert_same(whole.net, whole.history, fresh.net, fresh.history)


def _with(state, **changes):
    out = dict(state)
    for path, value in changes.items():
        *outer, last = path.split("__")
        box = out
        for key in outer:
            box[key] = dict(box[key])
            box = box[key]
        box[last] = value
    return out


@pytest.mark.parametrize(
    "change,message",
    [
        ({"config": [1, 2]}, r"its state is incomplete or malformed \(TypeError"),
        ({"history__cost": None}, r"its history's cost must list 1 numbers \(one per epoch\)"),
        ({"history__cost": []}, r"its history's cost must list 1 numbers \(one per epoch\)"),
        ({"history__accuracy": ["a"]}, r"its history's accuracy must list 1 numbers in \[0, 1\] or None \(one per epoch\)"),
        ({"history__stopped": "bored"}, r"its history's stopped must be None or one of early stopping, interrupted, callback, diverged, error; got 'bored'"),
        ({"history__best_epoch": 7}, r"its history's best_epoch must be None or an epoch from 1 to 1; got 7"),
        ({"generator": {"bit_generator": "PCG64", "state": {"state": 2**200, "inc": 2**200}, "has_uint32": 0, "uinteger": 0}},
         r"its state is incomplete or malformed"),
        ({"order": np.arange(200) + 5}, r"its place in the epoch is malformed"),
        ({"order": np.arange(200.0)}, r"its place in the epoch is malformed"),
        ({"position": 37}, r"its place in the epoch is malformed"),
        ({"callbacks__early_stopping__arrays": [1, 2, 3]}, r"its best weights do not fit this network"),
        ({"callbacks__schedule": 7}, r"its state is incomplete or malformed \((Attribute|Type)Error"),
        ({"generator": {"bit_generator": "MT19937", "state": {}}}, r"state must be for a PCG64"),
        ({"epoch_seconds": "x"}, r"its epoch_seconds must be a finite number ≥ 0; got 'x'"),
        ({"epoch_seconds": 10**400}, r"its epoch_seconds must be a finite number ≥ 0; got 1000"),
    ],
)
def test_a_malformed_state_is_refused_in_one_line_and_changes_nothing(digits, change, message):
    def fresh():
        return trainer_for(digits, callbacks=[LearningRateSchedule(CosineAnnealing(4)), EarlyStopping(3)])

    source = fresh()
    for _ in range(19):
        source.step()
    state = _with(source.state_dict(), **change)
    target = fresh()
    before = target.state_dict()
    with pytest.raises(ValueError, match=rf"^the state: {message}"):
        target.load_state_dict(state)
    after = target.state_dict()
    assert after["steps_done"] == 0 and after["callbacks"]["schedule"] == before["callbacks"]["schedule"]
    assert all(np.array_equal(a, b) for a, b in zip(after["params"], before["params"]))


def test_optimizer_buffers_that_do_not_fit_are_refused_before_any_change(digits):
    source = trainer_for(digits)
    source.step()
    state = source.state_dict()
    state["optimizer"]["arrays"] = [a[..., :1] if a.ndim == 2 else a for a in state["optimizer"]["arrays"]]
    target = trainer_for(digits)
    with pytest.raises(ValueError, match=r"^the state: its optimizer buffers do not fit this network$"):
        target.load_state_dict(state)
    assert target.steps_done == 0 and target.optimizer.t == 0


def test_l1_and_l2_add_to_bp4_one_after_the_other():
    rng = np.random.default_rng(0)
    net = dp.Network([5, 4, 3], output="softmax", cost="log_likelihood", dtype="float32", seed=2)
    X, y = rng.standard_normal((9, 5)).astype(np.float32), rng.integers(0, 3, 9)
    Y = net.targets(y, 9)
    plain = dp.backprop(net, X, Y)
    both = dp.backprop(net, X, Y, dp.Penalty(l2=0.3, l1=0.2, n=50))
    for dW, base, W in zip(both.dW, plain.dW, net.weights):
        expected = base.copy()
        expected += (0.3 / 50) * W
        expected += (0.2 / 50) * np.sign(W)
        np.testing.assert_array_equal(dW, expected)
