"""The numbers of an explanation: every one recomputed here without deltaprop.

z and a by a forward pass written out below, δ, ∂C/∂W and ∂C/∂b by central differences of a cost
written out below; and the numerical checks are the gradient check's own.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.explain import default_example, explain


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


def test_default_example_is_seed_002s_network_and_target(default):
    assert default.network.sizes == [3, 3, 1]
    assert [a.name for a in default.network.activations] == ["sigmoid", "sigmoid"]
    assert default.network.cost_function.name == "cross_entropy"
    assert default.y.tolist() == [1.0]
    assert np.all(np.round(default.x, 2) == default.x) and np.all(np.abs(default.x) <= 1)
    assert default.network.dtype == np.float64


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


def test_the_numerical_checks_are_the_gradient_checks_own(default):
    """A small network is checked entry by entry once: the values shown are check_gradients' own."""
    assert default.check.mode == "every entry"
    for i in range(len(default.dW)):
        assert default.numerical_dW[i] is default.check.numerical[2 * i]
        assert default.numerical_db[i] is default.check.numerical[2 * i + 1]


def test_a_large_network_differences_only_the_entries_it_shows():
    from deltaprop.gradcheck import central_differences

    net = dp.Network([784, 100, 10], output="softmax", cost="log_likelihood", seed=0)
    x = np.random.default_rng(0).uniform(0, 1, 784)
    e = explain(net, x, 7, neuron=(2, 42))
    assert e.check.numerical == [None] * 4  # checked along random directions
    entries = [list(zip(*np.nonzero(~np.isnan(n)))) for pair in zip(e.numerical_dW, e.numerical_db) for n in pair]
    assert 0 < sum(map(len, entries)) < 60
    again = central_differences(e.network, e.x[None, :], e.y[None, :], entries, eps=e.check.eps)
    for got, want in zip([n for pair in zip(e.numerical_dW, e.numerical_db) for n in pair], again):
        np.testing.assert_array_equal(got, want)
