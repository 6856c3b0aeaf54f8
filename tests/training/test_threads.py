"""BLAS threads during training: fixed, left alone, or chosen per batch size by timing steps."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import deltaprop as dp
from deltaprop.training.threads import CALIBRATION_STEPS, BlasThreads


def blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


class SeeThreads(dp.Callback):
    def __init__(self):
        self.seen = []

    def on_gradient(self, gradient):
        self.seen.append(blas_threads())


def problem():
    rng = np.random.default_rng(0)
    net = dp.Network([6, 5, 3], seed=1, dtype="float64")
    return net, rng.standard_normal((40, 6)), rng.integers(0, 3, 40)


def test_a_fixed_count_holds_during_the_steps_and_the_blas_gets_its_own_back():
    own = blas_threads()
    net, X, y = problem()
    seen = SeeThreads()
    dp.fit(net, X, y, epochs=2, batch_size=8, threads=1, callbacks=[seen], progress=False)
    assert seen.seen and all(s == {1} for s in seen.seen)
    assert blas_threads() == own


def test_none_leaves_the_blas_alone():
    own = blas_threads()
    net, X, y = problem()
    seen = SeeThreads()
    dp.fit(net, X, y, epochs=1, batch_size=8, threads=None, callbacks=[seen], progress=False)
    assert all(s == own for s in seen.seen)


def test_auto_alternates_then_keeps_one_choice_per_batch_size():
    threads = BlasThreads("auto", 128)
    most = threads.available()
    if most < 2:
        pytest.skip("the BLAS has one thread here: nothing to choose")
    tried = []
    for _ in range(2 * CALIBRATION_STEPS):
        k = threads.for_batch(128)
        tried.append(k)
        threads.record(128, k, 1.0 if k == 1 else 0.5)  # all threads twice as fast
    assert sorted(tried) == [1] * CALIBRATION_STEPS + [most] * CALIBRATION_STEPS
    assert threads.chosen == {128: most} and threads.for_batch(128) == most
    assert threads.for_batch(7) == most  # a last, smaller batch takes the run's count
    other = BlasThreads("auto", 64, ("a kind of run of this test",))
    for _ in range(2 * CALIBRATION_STEPS):
        k = other.for_batch(64)
        other.record(64, k, 1.0 if k == 1 else 0.95)  # not clearly faster: one thread
    assert other.chosen == {64: 1}


def test_a_second_run_of_the_same_kind_in_the_process_keeps_the_first_ones_choice():
    first = BlasThreads("auto", 64, ("a kind of run only this test makes",))
    most = first.available()
    if most < 2:
        pytest.skip("the BLAS has one thread here: nothing to choose")
    for _ in range(2 * CALIBRATION_STEPS):
        k = first.for_batch(64)
        first.record(64, k, 1.0 if k == 1 else 0.5)
    second = BlasThreads("auto", 64, ("a kind of run only this test makes",))
    assert second.for_batch(64) == most and second.chosen == {64: most}
    other = BlasThreads("auto", 64, ("another kind",))
    assert other.for_batch(64) == 1 and other.chosen == {}  # it measures: one thread first


def test_the_choice_travels_with_the_state():
    net, X, y = problem()
    trainer = dp.Trainer(net, X, y, batch_size=8, threads="auto")
    trainer.fit(3)  # 15 steps of 8: past the calibration
    state = trainer.state_dict()
    assert [pair[0] for pair in state["blas_threads"]] == [8]
    resumed = dp.Trainer(problem()[0], X, y, batch_size=8, threads="auto")
    resumed.load_state_dict(state)
    assert resumed.blas_threads == dict(map(tuple, state["blas_threads"]))
    state["blas_threads"] = [[8, 0]]
    with pytest.raises(ValueError, match=r"blas_threads must be \[batch size, threads\] pairs of whole numbers ≥ 1; got \[\[8, 0\]\]$"):
        dp.Trainer(problem()[0], X, y, batch_size=8, threads="auto").load_state_dict(state)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "all", True])
def test_threads_must_be_auto_a_count_or_none(bad):
    net, X, y = problem()
    with pytest.raises(ValueError, match=rf"^threads must be 'auto', a whole number ≥ 1 or None; got {bad!r}$"):
        dp.Trainer(net, X, y, threads=bad)
