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


def independent_central_difference(net, X, y, l2, i, h=1e-6):
    """∂C/∂p for every entry of the i-th parameter array, by (C(p + h) − C(p − h)) / 2h, written out
    here in extended precision: the mean log-likelihood of a sigmoid-softmax network plus λ/(2n) Σw²."""
    ws = [W.astype(np.longdouble) for W in net.weights]
    bs = [b.astype(np.longdouble) for b in net.biases]
    params = [p for pair in zip(ws, bs) for p in pair]
    Xw, n = X.astype(np.longdouble), len(X)

    def cost():
        a = 1 / (1 + np.exp(-(Xw @ params[0].T + params[1])))
        z = a @ params[2].T + params[3]
        log_softmax = z - z.max(axis=1, keepdims=True)
        log_softmax -= np.log(np.exp(log_softmax).sum(axis=1, keepdims=True))
        return -log_softmax[np.arange(n), y].mean() + l2 / (2 * n) * sum(np.sum(W * W) for W in params[0::2])

    P = params[i]
    out = np.empty(P.shape)
    for index in np.ndindex(P.shape):
        original = P[index]
        P[index] = original + h
        c_plus = cost()
        P[index] = original - h
        c_minus = cost()
        P[index] = original
        out[index] = (c_plus - c_minus) / (2 * h)
    return out


def test_every_entry_hands_back_its_central_difference():
    net, X, y = small_case()
    report = dp.check_gradients(net, X, y, l2=0.5)
    assert [n.shape for n in report.numerical] == [p.shape for p in report.parameters]
    for i, (numerical, G) in enumerate(zip(report.numerical, net.gradients(X, y, l2=0.5).parameters())):
        assert numerical.dtype == np.float64
        np.testing.assert_allclose(numerical, independent_central_difference(net, X, y, 0.5, i), rtol=1e-8, atol=1e-11)
        np.testing.assert_allclose(numerical, G, rtol=1e-4, atol=1e-6)  # and they are the gradient (float32 backprop)


def test_random_directions_hand_back_no_per_entry_values():
    net, X, y = small_case()
    assert dp.check_gradients(net, X, y, directions=2).numerical == [None, None, None, None]


def test_central_differences_of_chosen_entries_equal_the_full_check():
    from deltaprop.gradcheck import central_differences

    net, X, y = small_case()
    full = dp.check_gradients(net, X, y, l2=0.5).numerical
    chosen = [[(0, 1), (4, 3)], [], [(2, 0)], [(1,), (2,)]]
    some = central_differences(net, X, y, chosen, l2=0.5)
    for numerical, everything, indices in zip(some, full, chosen):
        assert numerical.shape == everything.shape and np.isnan(numerical).sum() == numerical.size - len(indices)
        for index in indices:
            assert numerical[index] == everything[index]
    with pytest.raises(ValueError, match="entries must hold one collection of indices per parameter array \\(4\\); got 1"):
        central_differences(net, X, y, [[(0, 0)]])
