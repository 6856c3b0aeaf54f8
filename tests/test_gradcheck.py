"""Gradient checking: passes on backprop, catches a wrong derivative, leaves the net alone."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.activations import Sigmoid


def small_case(seed=0):
    net = dp.Network([4, 5, 3], activation="sigmoid", output="softmax", cost="log_likelihood", seed=seed)
    rng = np.random.default_rng(seed)
    return net, rng.standard_normal((8, 4)), rng.integers(0, 3, 8)


def test_report_lists_every_array_and_passes():
    net, X, y = small_case()
    report = dp.check_gradients(net, X, y, l2=0.5)
    assert [p.name for p in report.parameters] == ["W0", "b0", "W1", "b1"]
    assert [p.shape for p in report.parameters] == [(5, 4), (5,), (3, 5), (3,)]
    assert [p.checked for p in report.parameters] == [20, 5, 15, 3]
    assert report.passed(1e-7) and report.max_rel_error < 1e-7
    assert report.cost == pytest.approx(net.cost(X, y, l2=0.5), rel=1e-6)  # float32 net, checked in float64
    text = str(report)
    assert "W0" in text and "rel error" in text and "every entry" in text


def test_catches_a_wrong_derivative(monkeypatch):
    net, X, y = small_case()
    monkeypatch.setattr(Sigmoid, "derivative", lambda self, z, a=None: 1.01 * self.f(z) * (1 - self.f(z)))
    report = dp.check_gradients(net, X, y)
    assert not report.passed(1e-7)
    assert report.parameters[0].rel_error > 1e-3  # only the hidden layer's σ' is wrong
    assert report.parameters[2].rel_error < 1e-7


def test_random_directions_catch_a_wrong_derivative(monkeypatch):
    net, X, y = small_case()
    report = dp.check_gradients(net, X, y, directions=4)
    assert report.passed(1e-7) and all(p.checked == 4 for p in report.parameters)
    monkeypatch.setattr(Sigmoid, "derivative", lambda self, z, a=None: 1.01 * self.f(z) * (1 - self.f(z)))
    assert not dp.check_gradients(net, X, y, directions=4).passed(1e-7)


def test_large_networks_default_to_random_directions():
    net = dp.Network([100, 60, 10], output="softmax", cost="log_likelihood")
    rng = np.random.default_rng(1)
    report = dp.check_gradients(net, rng.uniform(0, 1, (4, 100)), rng.integers(0, 10, 4))
    assert report.mode == "8 random directions per array"
    assert report.passed(1e-7)


def test_network_is_left_unchanged():
    net, X, y = small_case()
    before = [p.copy() for p in net.parameters()]
    dp.check_gradients(net, X, y)
    for p, q in zip(before, net.parameters()):
        np.testing.assert_array_equal(p, q)
        assert q.dtype == np.float32


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"eps": 0}, "eps must be a number in \\(0, 1\\); got 0"),
        ({"eps": "x"}, "eps must be a number"),
        ({"directions": 0}, "directions must be a positive integer; got 0"),
        ({"l2": -1.0}, "l2 must be a finite number ≥ 0; got -1.0"),
    ],
)
def test_bad_arguments(kwargs, message):
    net, X, y = small_case()
    with pytest.raises(ValueError, match=message):
        dp.check_gradients(net, X, y, **kwargs)
