"""The training step's fast path equals the reference backprop() it is built from."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deltaprop as dp
from deltaprop.activations import Activation
from deltaprop.backprop import backprop, dropout_masks, example_shares
from deltaprop.penalty import Penalty
from deltaprop.training.workspace import Workspace

from ..strategies import networks_with_data


def _both(net, X, y, penalty, masks=None, sample_weight=None):
    """(reference Gradients, workspace gradient arrays, workspace output) for one batch."""
    X = net.inputs(X)
    Y = net.targets(y, len(X))
    reference = backprop(net, X, Y, penalty, masks, sample_weight)
    workspace = Workspace(net, len(X))
    out = [np.full_like(p, np.nan) for p in net.parameters()]  # every entry must be written
    share = None if sample_weight is None else example_shares(sample_weight)
    output = workspace.gradient(X, Y, np.arange(len(X)), net, out, penalty, masks, share)
    return reference, out, output


@settings(max_examples=150, deadline=None)
@given(networks_with_data(), st.booleans(), st.sampled_from([0.0, 0.3]), st.integers(0, 2**32 - 1))
def test_equals_backprop_in_float64(case, weighted, l1, seed):
    net, X, y, l2 = case
    rng = np.random.default_rng(seed)
    w = rng.uniform(0, 2, len(X)) if weighted else None
    reference, out, output = _both(net, X, y, Penalty(l2, l1, 50), sample_weight=w)
    for r, g in zip(reference.parameters(), out):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(output, reference.output, rtol=1e-12, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(networks_with_data(dtype="float32"))
def test_equals_backprop_in_float32_to_round_off(case):
    net, X, y, l2 = case
    reference, out, _ = _both(net, X, y, Penalty(l2, 0.0, 50))
    for r, g in zip(reference.parameters(), out):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, r, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "softplus"])
def test_equals_backprop_with_dropout_masks(hidden):
    rng = np.random.default_rng(5)
    net = dp.Network([6, 9, 7, 3], activation=hidden, output="softmax", cost="log_likelihood", dtype="float64", seed=1)
    X, y = rng.standard_normal((13, 6)), rng.integers(0, 3, 13)
    masks = dropout_masks(net, 13, 0.4, rng)
    reference, out, _ = _both(net, X, y, Penalty(0.2, 0.0, 13), masks=masks)
    for r, g in zip(reference.parameters(), out):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-14)


def test_gather_takes_the_rows_asked_for():
    net = dp.Network([3, 2, 2], seed=0, dtype="float64")
    X = np.arange(30.0).reshape(10, 3)
    Y = np.eye(2)[np.arange(10) % 2]
    workspace = Workspace(net, 4)
    rows = np.array([7, 0, 9, 3])
    workspace.gradient(X, Y, rows, net, [np.empty_like(p) for p in net.parameters()], Penalty())
    np.testing.assert_array_equal(workspace.activations[0], X[rows])
    np.testing.assert_array_equal(workspace.targets, Y[rows])


class Cube(Activation):
    """A user's own activation, without ``out``: the Trainer takes the reference path for it."""

    name = "cube"

    def f(self, z):
        return z**3

    def derivative(self, z, a=None):
        return 3 * z**2


def test_only_built_in_activations_and_costs_take_the_fast_path():
    assert Workspace.supports(dp.Network([3, 4, 2], activation="relu"))
    def build():
        return dp.Network([3, 4, 2], activation=Cube(), output="sigmoid", cost="cross_entropy", seed=0, dtype="float64")

    own, start = build(), build()
    assert not Workspace.supports(own)
    rng = np.random.default_rng(0)
    X, y = rng.uniform(-0.5, 0.5, (20, 3)), rng.integers(0, 2, 20)
    trainer = dp.Trainer(own, X, y, batch_size=5, optimizer=dp.SGD(lr=0.1))
    trainer.step()  # the reference path trains it
    rows = trainer._order[:5]
    expected = backprop(start, start.inputs(X[rows]), start.targets(y[rows], 5))
    for p, b, g in zip(own.parameters(), start.parameters(), expected.parameters()):
        np.testing.assert_allclose(p, b - 0.1 * g, rtol=1e-12, atol=1e-14)


def test_a_large_batch_gathered_on_two_threads_equals_one_gathered_on_one():
    from deltaprop.training.workspace import SPLIT_GATHER_ROWS

    rng = np.random.default_rng(0)
    n = SPLIT_GATHER_ROWS + 3
    net = dp.Network([6, 5, 3], seed=0)
    X, Y = net.inputs(rng.standard_normal((2000, 6))), net.targets(rng.integers(0, 3, 2000), 2000)
    rows = rng.permutation(2000)[:n]
    results = []
    for split in (False, True):
        workspace = Workspace(net, n)
        out = [np.empty_like(p) for p in net.parameters()]
        workspace.gradient(X, Y, rows, net, out, Penalty(), split_gather=split)
        np.testing.assert_array_equal(workspace.activations[0], X[rows])
        results.append(out)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


class SteepSigmoid(dp.activations.Sigmoid):
    """A subclass of a built-in activation with its own f, and the old f(z) signature."""

    def f(self, z):
        return 1 / (1 + np.exp(-2 * z))

    def derivative(self, z, a=None):
        a = self.f(z) if a is None else a
        return 2 * a * (1 - a)


def test_a_subclass_of_a_built_in_activation_takes_the_reference_path():
    net = dp.Network([3, 4, 2], activation=SteepSigmoid(), output="softmax", cost="log_likelihood", seed=0, dtype="float64")
    start = dp.Network([3, 4, 2], activation=SteepSigmoid(), output="softmax", cost="log_likelihood", seed=0, dtype="float64")
    assert not Workspace.supports(net)
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((50, 3)), rng.integers(0, 2, 50)
    trainer = dp.Trainer(net, X, y, batch_size=10, optimizer=dp.SGD(lr=0.3))
    trainer.step()
    assert trainer.step_kinds == {10: "reference"}
    rows = trainer._order[:10]
    expected = backprop(start, start.inputs(X[rows]), start.targets(y[rows], 10))
    for p, b, g in zip(net.parameters(), start.parameters(), expected.parameters()):
        np.testing.assert_allclose(p, b - 0.3 * g, rtol=1e-12, atol=1e-14)


def test_a_forked_child_gathers_without_the_parents_helper_thread():
    import os

    from deltaprop.training.workspace import SPLIT_GATHER_ROWS

    rng = np.random.default_rng(0)
    net = dp.Network([4, 3, 2], seed=0)
    X, Y = net.inputs(rng.standard_normal((SPLIT_GATHER_ROWS * 2, 4))), net.targets(rng.integers(0, 2, SPLIT_GATHER_ROWS * 2), SPLIT_GATHER_ROWS * 2)
    rows = np.arange(SPLIT_GATHER_ROWS)
    workspace = Workspace(net, SPLIT_GATHER_ROWS)
    out = [np.empty_like(p) for p in net.parameters()]
    workspace.gradient(X, Y, rows, net, out, Penalty(), split_gather=True)  # the helper thread exists now
    pid = os.fork()
    if pid == 0:  # the child: a hang here would be the test's timeout
        try:
            workspace.gradient(X, Y, rows, net, out, Penalty(), split_gather=True)
            os._exit(0 if np.array_equal(workspace.activations[0], X[rows]) else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
