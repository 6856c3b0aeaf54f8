"""fit(): learns digits, is deterministic, takes the steps SGD says, refuses bad input."""

from __future__ import annotations

import os
import re
import signal

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.backprop import backprop
from deltaprop.optimizers import get_optimizer
from deltaprop.schedules import get_schedule


@pytest.fixture(scope="module")
def digits():
    return dp.datasets.load("digits")


def digits_net(seed=0):
    return dp.Network([64, 100, 10], activation="sigmoid", output="softmax", cost="log_likelihood", seed=seed)


def test_learns_digits(digits):
    (X, y), (X_test, y_test) = digits
    net = digits_net()
    history = dp.fit(
        net, X, y, epochs=30, batch_size=10, optimizer=dp.SGD(lr=0.5), validation=(X_test, y_test), progress=False,
        train_metrics="full",
    )
    assert net.accuracy(X_test, y_test) >= 0.95
    assert history.epochs == 30 and len(history.val_accuracy) == 30 and len(history.seconds) == 30
    assert history.val_accuracy[-1] == pytest.approx(net.accuracy(X_test, y_test))
    assert history.cost[-1] < history.cost[0] / 5
    assert history.accuracy[-1] == pytest.approx(net.accuracy(X, y))


def test_same_seed_same_weights_bit_for_bit(digits):
    (X, y), _ = digits
    runs = []
    for _ in range(2):
        net = digits_net(seed=4)
        dp.fit(net, X[:300], y[:300], epochs=2, batch_size=7, seed=11, progress=False)
        runs.append(net.parameters())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    other = digits_net(seed=4)
    dp.fit(other, X[:300], y[:300], epochs=2, batch_size=7, seed=12, progress=False)
    assert not np.array_equal(other.weights[0], runs[0][0])


def test_one_full_batch_epoch_is_one_sgd_step():
    rng = np.random.default_rng(0)
    net = dp.Network([3, 4, 2], output="softmax", cost="log_likelihood", dtype="float64", seed=1)
    X, y = rng.standard_normal((12, 3)), rng.integers(0, 2, 12)
    grads = net.gradients(X, y, l2=0.3)
    expected = [p - 0.7 * g for p, g in zip(net.parameters(), grads.parameters())]
    dp.fit(net, X, y, epochs=1, batch_size=12, optimizer=dp.SGD(lr=0.7), l2=0.3, progress=False)
    for p, e in zip(net.parameters(), expected):
        np.testing.assert_allclose(p, e, rtol=1e-13, atol=1e-15)


def test_regression_network_has_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2))
    Y = np.sin(X[:, :1] * 2) + X[:, 1:] ** 2
    net = dp.Network([2, 16, 1], activation="tanh", output="identity", cost="quadratic", dtype="float64")
    history = dp.fit(net, X, Y, epochs=40, batch_size=10, optimizer=dp.SGD(lr=0.1), progress=False)
    assert history.accuracy == [None] * 40
    assert history.cost[-1] < history.cost[0] / 4


def test_progress_lines_when_not_a_terminal(capsys):
    net = dp.Network([2, 2, 2], output="softmax", cost="log_likelihood")
    dp.fit(net, np.eye(2), [0, 1], epochs=2, batch_size=1, progress=True)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].startswith("epoch 1/2  cost ") and "accuracy" in err[0]


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"epochs": 0}, ValueError, "epochs must be a positive integer; got 0"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive integer; got 0"),
        ({"batch_size": 2.5}, ValueError, "batch_size must be a positive integer; got 2.5"),
        ({"optimizer": "sdg"}, ValueError, "^optimizer 'sdg' is unknown; choose one of sgd, momentum, nesterov, adam, adamw, rmsprop$"),
        ({"optimizer": 3}, TypeError, "^optimizer must be a deltaprop Optimizer such as SGD\\(lr=0.5\\) or a name such as 'adam'; got 3$"),
        ({"schedule": "cosinus"}, ValueError, "^schedule 'cosinus' is unknown; choose one of constant, step, exponential, cosine, warmup-cosine, plateau$"),
        ({"l2": float("nan")}, ValueError, "l2 must be a finite number ≥ 0; got nan"),
        ({"validation": (np.zeros((2, 2)),)}, ValueError, "validation must be a pair"),
        ({"validation": (np.zeros((2, 3)), [0, 1])}, ValueError, "X must have shape \\(n, 2\\); got shape \\(2, 3\\)"),
        ({"y": [0, 2]}, ValueError, "y holds label 2 at index 1; labels must be integers in \\[0, 2\\)"),
        ({"X": [[0.0, np.nan], [1.0, 1.0]]}, ValueError, "X contains NaN, inf or a value beyond float32 \\(first at row 0, column 1\\)"),
        ({"y": [0, 1, 1]}, ValueError, "y must have shape \\(2,\\) or \\(2, 2\\) to match X's 2 rows; got shape \\(3,\\)"),
    ],
)
def test_bad_input_is_refused_before_any_work(kwargs, error, message):
    net = dp.Network([2, 2, 2], output="softmax", cost="log_likelihood")
    before = net.weights[0].copy()
    args = {"X": np.eye(2), "y": [0, 1]} | kwargs
    with pytest.raises(error, match=message):
        dp.fit(net, args.pop("X"), args.pop("y"), progress=False, **args)
    np.testing.assert_array_equal(net.weights[0], before)


def test_divergence_stops_with_a_clear_message():
    rng = np.random.default_rng(0)
    net = dp.Network([4, 8, 3], activation="identity", output="softmax", cost="log_likelihood")
    X, y = rng.normal(0, 3, (60, 4)), rng.integers(0, 3, 60)
    with pytest.raises(dp.TrainingDiverged, match=r"training diverged in epoch \d+, step \d+: the cost became (nan|inf); the learning rate \(SGD\(lr=1e\+06\)\) is probably too high\. The network keeps its weights from before that step\.") as caught:
        dp.fit(net, X, y, epochs=5, optimizer=dp.SGD(lr=1e6), progress=False)
    assert isinstance(caught.value, ValueError)
    assert all(np.isfinite(p).all() for p in net.parameters())  # left at its last finite weights
    assert all(np.isfinite(c) for c in caught.value.history.cost)


def test_evaluate_takes_labels_and_matches_the_network():
    (X, y), _ = dp.datasets.load("digits")
    net = digits_net()
    cost, accuracy = dp.evaluate(net, X[:500], y[:500], l2=2.0, n_total=1000)
    assert accuracy == pytest.approx(net.accuracy(X[:500], y[:500]))
    assert cost == pytest.approx(net.cost(X[:500], y[:500], l2=2.0, n_total=1000), rel=1e-6)
    with pytest.raises(ValueError, match="y holds label 10"):
        dp.evaluate(net, X[:2], [0, 10])


# ---------------------------------------------------------------- an independent reference loop
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def reference_sgd(net, X, Y, epochs, batch_size, lr, rng, l2=0.0, stop_after=None):
    """Mini-batch SGD written out in plain NumPy, independent of deltaprop's code.

    Sigmoid hidden layers; a softmax (log-likelihood) or sigmoid (cross-entropy) output, for
    which BP1 is δ^L = a^L − y. Each epoch visits the rows in ``rng.permutation(n)`` order.
    ``stop_after`` ends the run after that many steps. Returns [W0, b0, W1, b1, ...].
    """
    W = [w.copy() for w in net.weights]
    b = [c.copy() for c in net.biases]
    softmax_output = net.activations[-1].name == "softmax"
    n, depth, steps = len(X), len(W), 0
    for _ in range(epochs):
        order = rng.permutation(n)
        for first in range(0, n, batch_size):
            batch = order[first : first + batch_size]
            m = len(batch)
            a = [X[batch]]
            for l in range(depth):
                z = a[-1] @ W[l].T + b[l]
                if l == depth - 1 and softmax_output:
                    e = np.exp(z - z.max(axis=1, keepdims=True))
                    a.append(e / e.sum(axis=1, keepdims=True))
                else:
                    a.append(_sigmoid(z))
            delta = a[-1] - Y[batch]  # BP1
            for l in reversed(range(depth)):
                dW = delta.T @ a[l] / m + (l2 / n) * W[l]  # BP4, plus the L2 term λ/n w
                db = delta.sum(axis=0) / m  # BP3
                if l > 0:
                    delta = (delta @ W[l]) * a[l] * (1 - a[l])  # BP2, with W^l before its update
                W[l] -= lr * dW
                b[l] -= lr * db
            steps += 1
            if steps == stop_after:
                return [p for pair in zip(W, b) for p in pair]
    return [p for pair in zip(W, b) for p in pair]


def small_problem(output="softmax", dtype="float64", n=37):
    """A [5, 6, 4, 3] sigmoid network, n random rows, their labels and one-hot targets."""
    rng = np.random.default_rng(42)
    cost = "log_likelihood" if output == "softmax" else "cross_entropy"
    net = dp.Network([5, 6, 4, 3], activation="sigmoid", output=output, cost=cost, dtype=dtype, seed=3)
    X = rng.standard_normal((n, 5)).astype(dtype)
    y = rng.integers(0, 3, n)
    return net, X, y, np.eye(3, dtype=dtype)[y]


def tolerance(dtype):
    return {"rtol": 1e-12, "atol": 1e-12} if dtype == "float64" else {"rtol": 1e-5, "atol": 1e-6}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
@pytest.mark.parametrize("batch_size,l2", [(4, 0.0), (37, 0.0), (5, 0.8), (1, 0.0)])
def test_fit_takes_the_steps_of_a_plain_reference_loop(output, dtype, batch_size, l2):
    """Issue 4: the same weights after one and after two epochs as a loop written out by hand.

    37 rows: batch sizes 4, 5 and 1 leave a smaller last batch or none, 37 is full-batch.
    """
    for epochs in (1, 2):
        net, X, y, Y = small_problem(output, dtype)
        expected = reference_sgd(net, X, Y, epochs, batch_size, 0.7, np.random.default_rng(9), l2=l2)
        dp.fit(net, X, y, epochs=epochs, batch_size=batch_size, optimizer=dp.SGD(lr=0.7), l2=l2, seed=9, progress=False)
        for p, e in zip(net.parameters(), expected, strict=True):
            assert p.dtype == np.dtype(dtype)
            np.testing.assert_allclose(p, e, **tolerance(dtype))
        assert not np.allclose(net.weights[0], small_problem(output, dtype)[0].weights[0])  # it did move


# ---------------------------------------------------------------- dropout
def test_fit_with_dropout_draws_masks_after_each_shuffle_and_predicts_without_them():
    """Each step: masks for the batch from the run's Generator, after the epoch's permutation."""
    net, X, y, Y = small_problem(dtype="float64")
    manual = net.copy()
    rng = np.random.default_rng(4)
    for _ in range(2):
        order = rng.permutation(len(X))
        for first in range(0, len(X), 6):
            batch = order[first : first + 6]
            masks = dp.dropout_masks(manual, len(batch), 0.25, rng)
            grads = backprop(manual, X[batch], Y[batch], masks=masks)
            for p, g in zip(manual.parameters(), grads.parameters()):
                p -= 0.5 * g
    dp.fit(net, X, y, epochs=2, batch_size=6, optimizer=dp.SGD(lr=0.5), dropout=0.25, seed=4, progress=False)
    for p, e in zip(net.parameters(), manual.parameters()):
        np.testing.assert_allclose(p, e, rtol=1e-12, atol=1e-14)
    # prediction draws nothing: repeatable, and equal to the unmasked forward pass
    np.testing.assert_array_equal(net.predict_proba(X), net.predict_proba(X))
    np.testing.assert_array_equal(net.predict_proba(X), dp.forward(net, X).activations[-1])


def test_dropout_zero_is_exactly_no_dropout():
    runs = []
    for kwargs in ({}, {"dropout": 0.0}):
        net, X, y, _ = small_problem(dtype="float32")
        dp.fit(net, X, y, epochs=2, batch_size=5, seed=1, progress=False, **kwargs)
        runs.append(net.parameters())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_training_with_dropout_still_learns_digits(digits):
    (X, y), (X_test, y_test) = digits
    net = digits_net()
    history = dp.fit(net, X, y, epochs=6, batch_size=10, optimizer=dp.SGD(lr=0.5), dropout=0.2, seed=0, progress=False)
    assert net.accuracy(X_test, y_test) >= 0.9
    assert history.cost[-1] < history.cost[0]


# ---------------------------------------------------------------- max-norm
def test_max_norm_bounds_every_row_of_every_weight_matrix():
    net, X, y, _ = small_problem(dtype="float32")
    free = net.copy()
    dp.fit(free, X, y, epochs=3, batch_size=4, optimizer=dp.SGD(lr=2.0), seed=0, progress=False)
    assert max(np.linalg.norm(W, axis=1).max() for W in free.weights) > 1.0  # unconstrained rows grow past it
    dp.fit(net, X, y, epochs=3, batch_size=4, optimizer=dp.SGD(lr=2.0), max_norm=1.0, seed=0, progress=False)
    for W in net.weights:
        assert np.linalg.norm(W.astype(np.float64), axis=1).max() <= 1.0 + 1e-6
    assert max(np.linalg.norm(W, axis=1).max() for W in net.weights) == pytest.approx(1.0, abs=1e-6)  # it binds


@pytest.mark.parametrize("max_norm", [0, 0.0, -1.0, float("nan"), float("inf"), "1", True])
def test_bad_max_norm_is_refused(max_norm):
    net, X, y, _ = small_problem()
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match=rf"^max_norm must be a finite number > 0; got {re.escape(repr(max_norm))}$"):
        dp.fit(net, X, y, max_norm=max_norm, progress=False)
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, b)


# ---------------------------------------------------------------- validation
class Snapshots(dp.Callback):
    """Copies the parameters and notes the epoch index after every epoch."""

    def __init__(self):
        self.params, self.epochs = [], []

    def on_epoch_end(self, epoch, history, net):
        self.params.append([p.copy() for p in net.parameters()])
        self.epochs.append(epoch)


def test_validation_pair_is_measured_after_every_epoch():
    net, X, y, _ = small_problem()
    rng = np.random.default_rng(7)
    X_val, y_val = rng.standard_normal((11, 5)), rng.integers(0, 3, 11)
    snapshots = Snapshots()
    history = dp.fit(
        net, X, y, epochs=3, batch_size=5, l2=0.6, validation=(X_val, y_val), callbacks=[snapshots], progress=False, train_metrics="full"
    )
    assert len(history.val_cost) == len(history.val_accuracy) == 3
    for epoch, params in enumerate(snapshots.params):
        for p, s in zip(net.parameters(), params):
            p[...] = s
        # the regularisation term uses n = the training-set size, so val and train costs compare
        assert history.val_cost[epoch] == pytest.approx(net.cost(X_val, y_val, l2=0.6, n_total=37), rel=1e-12)
        assert history.val_accuracy[epoch] == net.accuracy(X_val, y_val)
        assert history.cost[epoch] == pytest.approx(net.cost(X, y, l2=0.6), rel=1e-12)
    # the validation data does not change training
    plain, _, _, _ = small_problem()
    dp.fit(plain, X, y, epochs=3, batch_size=5, l2=0.6, progress=False)
    for a, b in zip(plain.parameters(), net.parameters()):
        np.testing.assert_array_equal(a, b)


def test_validation_fraction_holds_out_rows_drawn_with_the_seed():
    """0.3 of 37 rows: 11 held out, chosen by the run's Generator's first permutation; the
    epochs' shuffles continue from the same Generator over the 26 rows kept."""
    net, X, y, Y = small_problem()
    snapshots = Snapshots()
    history = dp.fit(
        net, X, y, epochs=2, batch_size=4, optimizer=dp.SGD(lr=0.7), validation=0.3, seed=13, callbacks=[snapshots], progress=False,
        train_metrics="full",
    )
    rng = np.random.default_rng(13)
    order = rng.permutation(37)
    held, kept = np.sort(order[:11]), np.sort(order[11:])
    reference = small_problem()[0]
    expected = reference_sgd(reference, X[kept], Y[kept], 2, 4, 0.7, rng)
    for p, e in zip(net.parameters(), expected):
        np.testing.assert_allclose(p, e, rtol=1e-12, atol=1e-12)
    for epoch, params in enumerate(snapshots.params):
        for p, s in zip(reference.parameters(), params):
            p[...] = s
        assert history.val_cost[epoch] == pytest.approx(reference.cost(X[held], y[held]), rel=1e-12)
        assert history.val_accuracy[epoch] == reference.accuracy(X[held], y[held])
        assert history.cost[epoch] == pytest.approx(reference.cost(X[kept], y[kept]), rel=1e-12)
    # deterministic by seed; another seed holds out other rows
    again, other = small_problem()[0], small_problem()[0]
    assert dp.fit(again, X, y, epochs=2, batch_size=4, optimizer=dp.SGD(lr=0.7), validation=0.3, seed=13, progress=False).val_cost == history.val_cost
    assert dp.fit(other, X, y, epochs=2, batch_size=4, optimizer=dp.SGD(lr=0.7), validation=0.3, seed=14, progress=False).val_cost != history.val_cost


# ---------------------------------------------------------------- early stopping
def overfitting_run(digits, monitor="val_cost", patience=3, epochs=60):
    """100 digits to train on, 200 to validate: the validation measure peaks, then worsens."""
    (X, y), (X_test, y_test) = digits
    net = digits_net()
    snapshots = Snapshots()
    history = dp.fit(
        net, X[:100], y[:100], epochs=epochs, batch_size=10, optimizer=dp.SGD(lr=2.0), validation=(X_test[:200], y_test[:200]),
        early_stopping=patience, monitor=monitor, callbacks=[snapshots], progress=False,
    )
    return net, history, snapshots


@pytest.mark.parametrize("monitor", ["val_cost", "val_accuracy"])
def test_early_stopping_restores_the_weights_of_the_best_epoch(digits, monitor):
    net, history, snapshots = overfitting_run(digits, monitor)
    values = np.array(getattr(history, monitor))
    sign = 1 if monitor == "val_cost" else -1
    best = int(np.argmin(sign * values))  # the first best epoch: a tie is no improvement
    assert history.stopped == "early stopping"
    assert history.epochs == best + 1 + 3 < 60  # stopped exactly when patience ran out
    for epoch in range(history.epochs - 1):  # ... and not before: each earlier epoch was < 3 past its best so far
        assert epoch - int(np.argmin(sign * values[: epoch + 1])) < 3
    assert history.best_epoch == best + 1
    assert snapshots.epochs == list(range(history.epochs))
    for p, s in zip(net.parameters(), snapshots.params[best], strict=True):
        np.testing.assert_array_equal(p, s)
    assert not np.array_equal(net.weights[0], snapshots.params[-1][0])


def test_early_stopping_that_never_runs_out_of_patience_keeps_the_best_weights(digits):
    net, history, snapshots = overfitting_run(digits, patience=50, epochs=12)
    best = int(np.argmin(history.val_cost))
    assert history.epochs == 12 and history.stopped is None and history.best_epoch == best + 1
    for p, s in zip(net.parameters(), snapshots.params[best]):
        np.testing.assert_array_equal(p, s)


def test_early_stopping_needs_validation_data():
    net, X, y, _ = small_problem()
    with pytest.raises(ValueError, match=r"^early_stopping needs validation data: pass validation=\(X_val, y_val\) or a fraction such as 0\.1$"):
        dp.fit(net, X, y, early_stopping=3, progress=False)


# ---------------------------------------------------------------- callbacks
class Recorder(dp.Callback):
    def __init__(self, stop_at=None):
        self.calls, self.stop_at = [], stop_at

    def on_epoch_end(self, epoch, history, net):
        self.calls.append(("epoch", epoch, history.epochs))
        return epoch == self.stop_at

    def on_batch_end(self, step, net):
        self.calls.append(("batch", step))


def test_callbacks_are_called_after_every_step_and_every_epoch():
    net, X, y, _ = small_problem()
    recorder, epochs_only = Recorder(), Snapshots()
    history = dp.fit(net, X, y, epochs=3, batch_size=8, callbacks=[recorder, epochs_only], progress=False)
    steps = [("batch", s) for s in range(5)]  # ceil(37 / 8) = 5 steps per epoch
    assert recorder.calls == steps + [("epoch", 0, 1)] + steps + [("epoch", 1, 2)] + steps + [("epoch", 2, 3)]
    assert epochs_only.epochs == [0, 1, 2] and history.stopped is None
    for p, s in zip(net.parameters(), epochs_only.params[-1]):
        np.testing.assert_array_equal(p, s)  # on_epoch_end sees the network as it is after the epoch


def test_a_callback_returning_true_stops_training():
    net, X, y, _ = small_problem()
    recorder = Recorder(stop_at=1)
    history = dp.fit(net, X, y, epochs=10, batch_size=10, callbacks=[recorder], progress=False)
    assert history.epochs == 2 and history.stopped == "callback"
    assert [c for c in recorder.calls if c[0] == "epoch"] == [("epoch", 0, 1), ("epoch", 1, 2)]


def test_callbacks_must_be_callback_instances():
    net, X, y, _ = small_problem()

    class Duck:
        def on_epoch_end(self, epoch, history, net):
            return None

    with pytest.raises(TypeError, match="^callbacks must be deltaprop.Callback instances; got <"):
        dp.fit(net, X, y, callbacks=[Duck()], progress=False)


# ---------------------------------------------------------------- Ctrl-C
class SigintAt(dp.Callback):
    """Sends SIGINT to this process ``times`` times after step ``step`` of epoch ``epoch`` (from 0)."""

    def __init__(self, epoch, step, times=1):
        self.epoch, self.step, self.times, self.current = epoch, step, times, 0

    def on_epoch_end(self, epoch, history, net):
        self.current = epoch + 1

    def on_batch_end(self, step, net):
        if (self.current, step) == (self.epoch, self.step):
            self.act()

    def act(self):
        for _ in range(self.times):
            os.kill(os.getpid(), signal.SIGINT)


class Halt(Exception):
    pass


class RaiseAt(SigintAt):
    def act(self):
        raise Halt


@pytest.fixture
def sigint_handler():
    """Installs a handler of the test's own for SIGINT and puts the original back afterwards."""
    original = signal.getsignal(signal.SIGINT)
    received = []
    handler = lambda signum, frame: received.append(signum)  # noqa: E731
    signal.signal(signal.SIGINT, handler)
    try:
        yield handler, received
    finally:
        signal.signal(signal.SIGINT, original)


def test_ctrl_c_stops_after_the_current_batch_and_keeps_the_weights(sigint_handler):
    handler, received = sigint_handler
    net, X, y, Y = small_problem()
    history = dp.fit(net, X, y, epochs=5, batch_size=4, optimizer=dp.SGD(lr=0.7), seed=9, callbacks=[SigintAt(1, 3)], progress=False)
    assert history.stopped == "interrupted" and history.epochs == 1
    assert received == []  # fit took the signal, not the previous handler
    assert signal.getsignal(signal.SIGINT) is handler  # ... and put that handler back
    # exactly 10 + 4 steps were taken: ceil(37 / 4) in epoch 1, then steps 0–3 of epoch 2
    expected = reference_sgd(small_problem()[0], X, Y, 5, 4, 0.7, np.random.default_rng(9), stop_after=14)
    for p, e in zip(net.parameters(), expected):
        np.testing.assert_allclose(p, e, rtol=1e-12, atol=1e-12)
    halted = small_problem()[0]
    with pytest.raises(Halt):
        dp.fit(halted, X, y, epochs=5, batch_size=4, optimizer=dp.SGD(lr=0.7), seed=9, callbacks=[RaiseAt(1, 3)], progress=False)
    for p, h in zip(net.parameters(), halted.parameters()):
        np.testing.assert_array_equal(p, h)
    assert signal.getsignal(signal.SIGINT) is handler  # restored after an exception too


def test_sigint_handler_is_restored_after_a_normal_run(sigint_handler):
    handler, _ = sigint_handler
    net, X, y, _ = small_problem()
    assert dp.fit(net, X, y, epochs=2, progress=False).stopped is None
    assert signal.getsignal(signal.SIGINT) is handler


def test_a_second_ctrl_c_interrupts_at_once():
    """The first SIGINT asks fit to stop after the batch; one more before that raises at once."""
    original = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        net, X, y, _ = small_problem()
        with pytest.raises(KeyboardInterrupt):
            dp.fit(net, X, y, epochs=3, batch_size=4, callbacks=[SigintAt(0, 1, times=2)], progress=False)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, original)


# ---------------------------------------------------------------- divergence
class RaiseLearningRate(dp.Callback):
    """After epoch ``epoch`` (from 0), set the optimizer's η to ``lr``."""

    def __init__(self, optimizer, epoch, lr):
        self.optimizer, self.epoch, self.lr = optimizer, epoch, lr

    def on_epoch_end(self, epoch, history, net):
        if epoch == self.epoch:
            self.optimizer.lr = self.lr


class StepSnapshots(dp.Callback):
    """Copies the parameters after every gradient step (the replay of a diverged epoch calls no callbacks)."""

    def __init__(self):
        self.params = []

    def on_batch_end(self, step, net):
        self.params.append([p.copy() for p in net.parameters()])


def diverged_step(message):
    """(epoch, step) a TrainingDiverged message names; step is None when every weight stayed
    finite and only the cost overflowed (the network then keeps the epoch's first weights)."""
    epoch, step = re.match(r"^training diverged in epoch (\d+)(?:, step (\d+))?: ", message).groups()
    return int(epoch), None if step is None else int(step)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_divergence_leaves_the_weights_of_the_last_finite_step(dtype):
    rng = np.random.default_rng(0)
    net = dp.Network([4, 8, 3], activation="identity", output="softmax", cost="log_likelihood", dtype=dtype)
    X, y = rng.normal(0, 3, (60, 4)), rng.integers(0, 3, 60)
    optimizer = dp.SGD(lr=0.01)
    steps = StepSnapshots()
    with pytest.raises(dp.TrainingDiverged, match=r"^training diverged in epoch 3, step \d+: the cost became (nan|inf); the learning rate \(SGD\(lr=1e\+200\)\) is probably too high") as caught:
        dp.fit(net, X, y, epochs=6, optimizer=optimizer, callbacks=[steps, RaiseLearningRate(optimizer, 1, 1e200)], progress=False)
    assert caught.value.history.epochs == 2 and caught.value.history.stopped == "diverged"
    epoch, step = diverged_step(str(caught.value))
    per_epoch = 6  # 60 rows in batches of 10
    last_good = steps.params[(epoch - 1) * per_epoch + step - 2]  # the step before the one named
    bad = steps.params[(epoch - 1) * per_epoch + step - 1]
    assert not all(np.isfinite(p).all() for p in bad)  # the named step made a weight non-finite
    for p, s in zip(net.parameters(), last_good):
        assert np.isfinite(p).all()
        np.testing.assert_array_equal(p, s)


@pytest.mark.parametrize("train_metrics", ["running", "full"])
@pytest.mark.parametrize("lr", [1e30, 1e300])
def test_divergence_in_the_first_epoch_goes_back_to_the_step_before(lr, train_metrics):
    rng = np.random.default_rng(0)
    net = dp.Network([4, 8, 3], activation="identity", output="softmax", cost="log_likelihood", dtype="float64")
    initial = [p.copy() for p in net.parameters()]
    X, y = rng.normal(0, 3, (60, 4)), rng.integers(0, 3, 60)
    steps = StepSnapshots()
    with pytest.raises(dp.TrainingDiverged, match=r"^training diverged in epoch 1(, step \d+)?: ") as caught:
        dp.fit(net, X, y, epochs=3, optimizer=dp.SGD(lr=lr), callbacks=[steps], progress=False, train_metrics=train_metrics)
    assert caught.value.history.epochs == 0
    _, step = diverged_step(str(caught.value))
    expected = initial if step in (None, 1) else steps.params[step - 2]
    for p, s in zip(net.parameters(), expected):
        np.testing.assert_array_equal(p, s)


# ---------------------------------------------------------------- bad input, refused before any work
@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"X": [[0.0, np.inf], [1.0, 1.0]]}, ValueError, r"^X contains NaN, inf or a value beyond float32 \(first at row 0, column 1\)$"),
        ({"X": [[0.0, 1.0], [1e39, 1.0]]}, ValueError, r"^X contains NaN, inf or a value beyond float32 \(first at row 1, column 0\)$"),
        ({"X": np.ones((2, 3))}, ValueError, r"^X must have shape \(n, 2\); got shape \(2, 3\)$"),
        ({"X": np.ones(2)}, ValueError, r"^X must have shape \(n, 2\); got shape \(2,\); for one example use X.reshape\(1, -1\)$"),
        ({"y": [[0.5, 0.5], [np.nan, 1.0]]}, ValueError, r"^y contains NaN or inf \(first at row 1, column 0\)$"),
        ({"y": [0, -1]}, ValueError, r"^y holds label -1 at index 1; labels must be integers in \[0, 2\) for 2 outputs$"),
        ({"y": [0.0, 0.5]}, ValueError, r"^y of shape \(2,\) must hold integer class labels; got 0.5"),
        ({"y": [0]}, ValueError, r"^y must have shape \(2,\) or \(2, 2\) to match X's 2 rows; got shape \(1,\)$"),
        ({"batch_size": -3}, ValueError, r"^batch_size must be a positive integer; got -3$"),
        ({"batch_size": True}, ValueError, r"^batch_size must be a positive integer; got True$"),
        ({"epochs": -1}, ValueError, r"^epochs must be a positive integer; got -1$"),
        ({"epochs": 2.0}, ValueError, r"^epochs must be a positive integer; got 2.0$"),
        ({"dropout": 1.0}, ValueError, r"^dropout must be a probability in \[0, 1\); got 1.0$"),
        ({"dropout": 1.5}, ValueError, r"^dropout must be a probability in \[0, 1\); got 1.5$"),
        ({"dropout": -0.1}, ValueError, r"^dropout must be a finite number ≥ 0; got -0.1$"),
        ({"l1": -0.5}, ValueError, r"^l1 must be a finite number ≥ 0; got -0.5$"),
        ({"l1": float("inf")}, ValueError, r"^l1 must be a finite number ≥ 0; got inf$"),
        ({"l2": -1}, ValueError, r"^l2 must be a finite number ≥ 0; got -1$"),
        ({"validation": 0.0}, ValueError, r"^validation as a fraction must be in \(0, 1\); got 0.0$"),
        ({"validation": 1.5}, ValueError, r"^validation as a fraction must be in \(0, 1\); got 1.5$"),
        ({"validation": 0.1}, ValueError, r"^validation fraction 0.1 of 2 rows leaves no validation or no training rows$"),
        ({"validation": "0.2"}, ValueError, r"^validation must be a pair \(X_val, y_val\) or a fraction in \(0, 1\); got str$"),
        ({"validation": (np.eye(2), [0, 5])}, ValueError, r"^y holds label 5 at index 1; labels must be integers in \[0, 2\)"),
        ({"validation": (np.eye(2), [0])}, ValueError, r"^y must have shape \(2,\) or \(2, 2\) to match X's 2 rows; got shape \(1,\)$"),
        ({"validation": ([[np.nan, 0.0]], [0])}, ValueError, r"^X contains NaN, inf or a value beyond float32 \(first at row 0, column 0\)$"),
        ({"monitor": "accuracy"}, ValueError, r"^monitor must be 'val_cost' or 'val_accuracy'; got 'accuracy'$"),
        ({"early_stopping": 0, "validation": 0.5}, ValueError, r"^early_stopping must be a positive integer; got 0$"),
        ({"resume": True}, ValueError, r"^resume=True needs checkpoint=DIR, the folder to resume from$"),
        ({"callbacks": [None]}, TypeError, r"^callbacks must be deltaprop.Callback instances; got None$"),
        ({"optimizer": dp.SGD}, TypeError, r"^optimizer must be a deltaprop Optimizer such as SGD\(lr=0.5\) or a name such as 'adam'; got <class"),
    ],
)
def test_more_bad_input_is_refused_before_any_work(kwargs, error, message):
    net = dp.Network([2, 2, 2], output="softmax", cost="log_likelihood")
    before = [p.copy() for p in net.parameters()]
    args = {"X": np.eye(2), "y": [0, 1]} | kwargs
    with pytest.raises(error, match=message):
        dp.fit(net, args.pop("X"), args.pop("y"), progress=False, **args)
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, b)


def test_monitor_val_accuracy_needs_a_classifier():
    net = dp.Network([2, 3, 1], output="identity", cost="quadratic")
    with pytest.raises(ValueError, match=r"^monitor 'val_accuracy' needs a classifier; use 'val_cost'$"):
        dp.fit(net, np.eye(2), [[0.5], [1.0]], validation=0.5, early_stopping=2, monitor="val_accuracy", progress=False)


def test_fit_refuses_what_is_not_a_network():
    with pytest.raises(TypeError, match=r"^net must be a deltaprop Network; got list$"):
        dp.fit([], np.eye(2), [0, 1], progress=False)


def test_a_checkpoint_path_that_is_a_file_is_refused(tmp_path):
    net, X, y, _ = small_problem()
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(ValueError, match=r"^checkpoint .*file is a file; it must be a folder$"):
        dp.fit(net, X, y, checkpoint=path, progress=False)
    assert path.read_text() == "x"


def test_a_schedule_that_is_not_a_schedule_is_refused():
    net, X, y, _ = small_problem()
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(TypeError, match=r"^schedule must be a deltaprop Schedule such as CosineAnnealing\(epochs\); got 3$"):
        dp.fit(net, X, y, schedule=3, progress=False)
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, b)


def test_optimizer_and_schedule_by_name_as_in_keras():
    """optimizer="adam" is get_optimizer("adam") (its default lr); schedule="cosine" is
    get_schedule("cosine", epochs): the run is the one built from the objects, bit for bit."""
    runs = []
    for optimizer, schedule in (("adam", "cosine"), (get_optimizer("adam"), get_schedule("cosine", 4))):
        net, X, y, _ = small_problem()
        history = dp.fit(net, X, y, epochs=4, optimizer=optimizer, schedule=schedule, progress=False)
        runs.append((history.lr, history.cost, [p.copy() for p in net.parameters()]))
    (lr, cost, params), (lr_objects, cost_objects, params_objects) = runs
    assert lr == lr_objects and lr[0] == 1e-3 and lr[-1] < lr[0]  # Adam's default η, annealed
    assert cost == cost_objects
    for p, q in zip(params, params_objects):
        np.testing.assert_array_equal(p, q)


def test_trainer_takes_an_optimizer_name():
    net, X, y, _ = small_problem()
    trainer = dp.Trainer(net, X, y, optimizer="rmsprop")
    assert repr(trainer.optimizer) == repr(get_optimizer("rmsprop")) and trainer.base_lr == get_optimizer("rmsprop").lr
    with pytest.raises(ValueError, match=r"^optimizer 'Adam' is unknown; choose one of sgd, momentum, nesterov, adam, adamw, rmsprop$"):
        dp.Trainer(net, X, y, optimizer="Adam")


def test_history_repr_is_one_short_line():
    net, X, y, _ = small_problem()
    history = dp.fit(net, X, y, epochs=3, validation=0.3, progress=False)
    c, a, vc, va = history.cost[-1], history.accuracy[-1], history.val_cost[-1], history.val_accuracy[-1]
    assert repr(history) == f"History(epochs=3, cost={c:.4g}, accuracy={a:.4g}, val_cost={vc:.4g}, val_accuracy={va:.4g})"
    assert repr(dp.History()) == "History(epochs=0)"
    stopped = dp.History(cost=[2.0, 1.5], accuracy=[None, None], stopped="early stopping", best_epoch=1)
    assert repr(stopped) == "History(epochs=2, cost=1.5, stopped='early stopping', best_epoch=1)"


def test_a_cost_that_ends_far_above_its_start_warns(digits):
    """lr 1e30 never makes a NaN on digits (softmax saturates), yet the run is wrecked: the
    cost ends about 19 times as high as before training, and fit says so."""
    (X, y), _ = digits
    net = dp.Network([64, 30, 10], output="softmax", cost="log_likelihood", seed=0)
    start = net.cost(X, y)
    with pytest.warns(RuntimeWarning) as caught:
        history = dp.fit(net, X, y, epochs=3, optimizer=dp.SGD(lr=1e30), progress=False)
    assert len(caught) == 1
    assert history.initial_cost == pytest.approx(start, rel=0.05)  # on 1000 of the 1437 rows, spread over them
    end = history.cost[-1]
    assert str(caught[0].message) == (
        f"the training cost rose from {history.initial_cost:.4g} before training to {end:.4g} "
        f"({end / history.initial_cost:.3g} times as high): the learning rate lr=1e+30 is probably too high; "
        "try a lower one, such as lr=1e+29"
    )
    assert end > 10 * start


def test_the_cost_before_training_is_measured_once_and_exactly_on_a_small_set():
    net, X, y, _ = small_problem()
    start = net.cost(X, y)
    trainer = dp.Trainer(net, X, y, optimizer=dp.SGD(lr=0.5))
    assert trainer.history.initial_cost is None
    trainer.fit(2)
    assert trainer.history.initial_cost == pytest.approx(start, rel=1e-12)  # 37 rows: all of them
    trainer.fit(4)  # training on: still the cost before the first step
    assert trainer.history.initial_cost == pytest.approx(start, rel=1e-12)
    assert trainer.state_dict()["history"]["initial_cost"] == trainer.history.initial_cost
    assert trainer.history.cost[-1] < start  # a run that learns does not warn (filterwarnings = error)


def test_a_malformed_initial_cost_in_a_state_is_refused():
    net, X, y, _ = small_problem()
    trainer = dp.Trainer(net, X, y)
    trainer.fit(1)
    state = trainer.state_dict()
    state["history"]["initial_cost"] = "3.0"
    with pytest.raises(ValueError, match=r"^the state: its history's initial_cost must be a number or None; got '3.0'$"):
        dp.Trainer(net, X, y).load_state_dict(state)


# ---------------------------------------------------------------- bad arguments found by fuzzing
@pytest.mark.parametrize("seed", [-1, "abc", 1.5, True])
def test_a_seed_that_is_not_one_is_refused_by_name(digits, seed):
    X, y = digits[0][0][:50], digits[0][1][:50]
    with pytest.raises(ValueError, match=re.escape(f"seed must be an integer ≥ 0, a numpy Generator or None; got {seed!r}")):
        dp.fit(digits_net(), X, y, epochs=1, seed=seed, progress=False)


def test_sample_weights_beyond_float32_are_refused_by_name_not_blamed_on_the_learning_rate(digits):
    X, y = digits[0][0][:50], digits[0][1][:50]
    with pytest.raises(ValueError, match=re.escape(
        "sample_weight must sum to at most 3.403e+38, the largest float32; got a sum of 5e+40 (weights up to 1e+39): "
        "scale them down, only their ratios matter"
    )):
        dp.fit(digits_net(), X, y, epochs=1, sample_weight=np.full(50, 1e39), progress=False)


def test_cli_seeds_minus_one_and_abc_are_one_line():
    from tests import hostile

    hostile.assert_refused(hostile.run_cli("train", "--dataset", "digits", "--epochs", "1", "--seed", "-1", "--quiet"),
                           "seed must be an integer ≥ 0, a numpy Generator or None; got -1")
    outcome = hostile.run_cli("train", "--dataset", "digits", "--seed", "abc")  # argparse's own one line
    assert outcome.code == 2 and outcome.err == "deltaprop train: error: argument --seed: invalid int value: 'abc'\n"
