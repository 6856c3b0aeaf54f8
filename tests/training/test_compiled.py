"""The compiled step (numba, the ``fast`` extra) equals the NumPy step and the reference."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.backprop import backprop, example_shares
from deltaprop.penalty import Penalty
from deltaprop.training import compiled
from deltaprop.training.workspace import Workspace

pytest.importorskip("numba", reason="the compiled step needs the fast extra (numba)")

PAIRS = [("softmax", "log_likelihood"), ("sigmoid", "cross_entropy"), ("identity", "quadratic")]


def case(hidden, output, cost, dtype, n=9, seed=0):
    rng = np.random.default_rng(seed)
    net = dp.Network([7, 6, 5, 4], activation=hidden, output=output, cost=cost, dtype=dtype, seed=seed)
    X = rng.standard_normal((40, 7))
    y = rng.standard_normal((40, 4)) if cost == "quadratic" else rng.integers(0, 4, 40)
    X, Y = net.inputs(X), net.targets(y, 40)
    return net, X, Y, rng.permutation(40)[:n]


@pytest.mark.parametrize("hidden", sorted(compiled.HIDDEN))
@pytest.mark.parametrize("output,cost", PAIRS)
@pytest.mark.parametrize("weighted", [False, True])
def test_equals_the_numpy_step_and_backprop_in_float64(hidden, output, cost, weighted):
    net, X, Y, rows = case(hidden, output, cost, "float64")
    penalty = Penalty(0.4, 0.1, 40)
    share = example_shares(np.random.default_rng(1).uniform(0, 2, len(rows))) if weighted else None
    numpy_out = [np.empty_like(p) for p in net.parameters()]
    Workspace(net, len(rows)).gradient(X, Y, rows, net, numpy_out, penalty, None, share)
    compiled_out = [np.full_like(p, np.nan) for p in net.parameters()]
    step = compiled.CompiledStep(net, len(rows), compiled_out)
    output_a = step.gradient(X, Y, rows, net, compiled_out, penalty, None, share)
    reference = backprop(net, X[rows], Y[rows], penalty, sample_weight=None if share is None else share[:, 0])
    for c, w, r in zip(compiled_out, numpy_out, reference.parameters()):
        np.testing.assert_allclose(c, w, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(c, r, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(output_a, reference.output, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(step.targets, Y[rows])


@pytest.mark.parametrize("hidden", sorted(compiled.HIDDEN))
@pytest.mark.parametrize("output,cost", PAIRS)
def test_equals_the_numpy_step_in_float32_to_round_off(hidden, output, cost):
    net, X, Y, rows = case(hidden, output, cost, "float32", n=16, seed=3)
    numpy_out = [np.empty_like(p) for p in net.parameters()]
    Workspace(net, 16).gradient(X, Y, rows, net, numpy_out, Penalty())
    compiled_out = [np.empty_like(p) for p in net.parameters()]
    compiled.CompiledStep(net, 16, compiled_out).gradient(X, Y, rows, net, compiled_out, Penalty())
    for c, w in zip(compiled_out, numpy_out):
        assert c.dtype == np.float32
        np.testing.assert_allclose(c, w, rtol=1e-5, atol=1e-6)


def test_the_trainer_takes_it_for_small_batches_of_long_epochs_it_serves():
    rng = np.random.default_rng(0)

    def kinds(batch_size, rows=compiled.MIN_STEPS_PER_EPOCH * 32 + 4, **kwargs):
        X, y = rng.standard_normal((rows, 5)), rng.integers(0, 3, rows)
        trainer = dp.Trainer(dp.Network([5, 8, 3], seed=0), X, y, batch_size=batch_size, **kwargs)
        trainer.run_epoch()
        return trainer.step_kinds

    assert kinds(32) == {32: "compiled", 4: "compiled"}
    assert kinds(10) == {10: "compiled", 4: "compiled"}
    assert kinds(40) == {40: "numpy", 4: "numpy"}  # above MAX_BATCH
    assert kinds(10, rows=5000) == {10: "numpy"}  # 500 steps an epoch do not earn numba's import back
    assert kinds(10, compiled_step=False) == {10: "numpy", 4: "numpy"}
    assert kinds(10, dropout=0.3) == {10: "numpy", 4: "numpy"}


def test_a_run_with_it_trains_like_one_without_it():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((10_000, 5)), rng.integers(0, 3, 10_000)
    nets = []
    for flag in (True, False):
        net = dp.Network([5, 8, 3], activation="tanh", seed=0, dtype="float64")
        dp.fit(net, X, y, epochs=2, batch_size=10, optimizer=dp.Adam(lr=0.01), l2=0.2, progress=False, compiled_step=flag)
        nets.append(net)
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
