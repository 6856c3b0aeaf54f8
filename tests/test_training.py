"""fit(): learns digits, is deterministic, takes the steps SGD says, refuses bad input."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp


@pytest.fixture(scope="module")
def digits():
    return dp.datasets.load("digits")


def digits_net(seed=0):
    return dp.Network([64, 100, 10], activation="sigmoid", output="softmax", cost="log_likelihood", seed=seed)


def test_learns_digits(digits):
    (X, y), (X_test, y_test) = digits
    net = digits_net()
    history = dp.fit(net, X, y, epochs=30, batch_size=10, optimizer=dp.SGD(lr=0.5), validation=(X_test, y_test), progress=False)
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
        ({"optimizer": "sgd"}, TypeError, "optimizer must be a deltaprop Optimizer"),
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
    with pytest.raises(ValueError, match=r"training diverged in epoch \d+: the cost is (nan|inf); the learning rate \(SGD\(lr=1e\+06\)\) is probably too high"):
        dp.fit(net, X, y, epochs=5, optimizer=dp.SGD(lr=1e6), progress=False)


def test_evaluate_takes_labels_and_matches_the_network():
    (X, y), _ = dp.datasets.load("digits")
    net = digits_net()
    cost, accuracy = dp.evaluate(net, X[:500], y[:500], l2=2.0, n_total=1000)
    assert accuracy == pytest.approx(net.accuracy(X[:500], y[:500]))
    assert cost == pytest.approx(net.cost(X[:500], y[:500], l2=2.0, n_total=1000), rel=1e-6)
    with pytest.raises(ValueError, match="y holds label 10"):
        dp.evaluate(net, X[:2], [0, 10])
