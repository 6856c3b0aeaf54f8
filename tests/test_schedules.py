"""Learning-rate schedules: exact rates epoch by epoch, the plateau rule step by step, states
that round-trip through JSON, the name registry and its defaults, and validation."""

from __future__ import annotations

import json
import math
import re

import pytest

import deltaprop as dp
from deltaprop.schedules import (
    SCHEDULES,
    Constant,
    CosineAnnealing,
    ExponentialDecay,
    ReduceOnPlateau,
    StepDecay,
    WarmUp,
    get_schedule,
    schedule_from_state,
)


def rates(schedule, base_lr, epochs):
    return [schedule.lr(e, base_lr) for e in range(epochs)]


# --------------------------------------------------------------------------- exact rates
def test_constant():
    assert rates(Constant(), 0.3, 4) == [0.3, 0.3, 0.3, 0.3]


def test_step_decay():
    assert rates(StepDecay(3, gamma=0.5), 0.8, 8) == [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2]
    assert StepDecay(1).lr(2, 1.0) == pytest.approx(0.01, rel=1e-15)


def test_exponential_decay():
    assert rates(ExponentialDecay(0.5), 1.0, 4) == [1.0, 0.5, 0.25, 0.125]


def test_cosine_annealing():
    # 0.1 + (1.1 − 0.1)(1 + cos(π e/4))/2: cos(π/4) = √2/2 ≈ 0.70710678
    expected = [1.1, 0.1 + (1 + 0.7071067811865476) / 2, 0.6, 0.1 + (1 - 0.7071067811865476) / 2]
    got = rates(CosineAnnealing(4, lr_min=0.1), 1.1, 4)
    assert got == pytest.approx(expected, rel=1e-15)
    assert got[1] == pytest.approx(0.95355339, rel=1e-8) and got[3] == pytest.approx(0.24644661, rel=1e-8)
    # past the run the rate of the last epoch stays: never lr_min itself (0 would be no step)
    schedule = CosineAnnealing(4)
    assert schedule.lr(4, 1.0) == schedule.lr(100, 1.0) == schedule.lr(3, 1.0) == pytest.approx((1 - 0.7071067811865476) / 2)


def test_warm_up_alone_and_then_another_schedule():
    assert rates(WarmUp(4), 0.2, 6) == pytest.approx([0.05, 0.1, 0.15, 0.2, 0.2, 0.2], rel=1e-15)
    # two epochs up, then StepDecay(2, 0.1) counting its own epochs from 0
    assert rates(WarmUp(2, then=StepDecay(2, gamma=0.1)), 1.0, 7) == pytest.approx([0.5, 1.0, 1.0, 1.0, 0.1, 0.1, 0.01], rel=1e-15)


def test_reduce_on_plateau_step_by_step():
    schedule = ReduceOnPlateau(factor=0.5, patience=2, threshold=0.1, min_lr=0.2)
    steps = [
        # metric, best, bad_epochs, reductions, lr of the next epoch
        (10.0, 10.0, 0, 0, 1.0),  # the first metric is the best so far
        (9.5, 10.0, 1, 0, 1.0),  # not below 10·(1 − 0.1) = 9
        (8.9, 8.9, 0, 0, 1.0),  # below 9
        (8.5, 8.9, 1, 0, 1.0),  # not below 8.01
        (8.2, 8.9, 2, 0, 1.0),
        (8.1, 8.9, 0, 1, 0.5),  # a third bad epoch > patience: a plateau, the count restarts
        (7.0, 7.0, 0, 1, 0.5),
        (7.0, 7.0, 1, 1, 0.5),
        (7.0, 7.0, 2, 1, 0.5),
        (7.0, 7.0, 0, 2, 0.25),
        (7.0, 7.0, 1, 2, 0.25),
        (7.0, 7.0, 2, 2, 0.25),
        (7.0, 7.0, 0, 3, 0.2),  # 0.125 is below min_lr
    ]
    assert schedule.lr(0, 1.0) == 1.0 and schedule.best is None
    for epoch, (metric, best, bad, reductions, lr) in enumerate(steps, start=1):
        schedule.observe(metric)
        assert (schedule.best, schedule.bad_epochs, schedule.reductions) == (best, bad, reductions), f"after {metric} (epoch {epoch})"
        assert schedule.lr(epoch, 1.0) == lr


def test_reduce_on_plateau_max_mode():
    schedule = ReduceOnPlateau(factor=0.1, patience=0, threshold=0.1, mode="max")
    seen = []
    for accuracy in (0.5, 0.54, 0.6, 0.6, 0.7):  # improving means above best·1.1
        schedule.observe(accuracy)
        seen.append((schedule.best, schedule.reductions))
    assert seen == [(0.5, 0), (0.5, 1), (0.6, 1), (0.6, 2), (0.7, 2)]
    assert schedule.lr(5, 1.0) == pytest.approx(0.01, rel=1e-15)


def test_observe_is_a_no_op_except_for_the_plateau():
    for schedule in (Constant(), StepDecay(2), ExponentialDecay(0.9), CosineAnnealing(5), WarmUp(2)):
        before = schedule.state_dict()
        schedule.observe(1.0)
        schedule.observe(2.0)
        assert schedule.state_dict() == before
    warm = WarmUp(1, then=ReduceOnPlateau(patience=0))
    warm.observe(1.0)
    warm.observe(1.0)
    assert warm.then.reductions == 1 and warm.lr(3, 1.0) == pytest.approx(0.1)


# --------------------------------------------------------------------------- registry
def test_registry_defaults_follow_the_run_length():
    assert list(SCHEDULES) == ["constant", "step", "exponential", "cosine", "warmup-cosine", "plateau"]
    assert repr(get_schedule("constant", 30)) == "Constant()"
    assert repr(get_schedule("step", 30)) == "StepDecay(step_size=10, gamma=0.1)"
    assert rates(get_schedule("step", 30), 1.0, 30)[9:11] == [1.0, 0.1]
    exponential = get_schedule("exponential", 10)
    assert exponential.gamma == 0.01**0.1 and exponential.lr(10, 2.0) == pytest.approx(0.02, rel=1e-12)
    assert repr(get_schedule("cosine", 20)) == "CosineAnnealing(epochs=20, lr_min=0.0)"
    assert repr(get_schedule("warmup-cosine", 20)) == "WarmUp(epochs=2, then=CosineAnnealing(epochs=18, lr_min=0.0))"
    assert repr(get_schedule("warmup-cosine", 1)) == "WarmUp(epochs=1, then=CosineAnnealing(epochs=1, lr_min=0.0))"
    assert get_schedule("plateau", 30).patience == 3 and get_schedule("plateau", 5).patience == 1
    assert dp.get_schedule is get_schedule


def test_registry_keywords_override_the_defaults():
    assert repr(get_schedule("step", 30, gamma=0.5)) == "StepDecay(step_size=10, gamma=0.5)"
    assert repr(get_schedule("warmup-cosine", 20, warmup=5, lr_min=0.01)) == "WarmUp(epochs=5, then=CosineAnnealing(epochs=15, lr_min=0.01))"
    plateau = get_schedule("plateau", 30, factor=0.5, mode="max", patience=7)
    assert (plateau.factor, plateau.mode, plateau.patience) == (0.5, "max", 7)


@pytest.mark.parametrize("name", list(SCHEDULES))
@pytest.mark.parametrize("epochs", [1, 2, 3, 7, 10, 50])
def test_every_registered_schedule_keeps_a_positive_rate_no_higher_than_the_base(name, epochs):
    schedule = get_schedule(name, epochs)
    for e in range(epochs + 5):
        schedule.observe(1.0)  # a plateau that never ends
        assert 0 < schedule.lr(e, 0.5) <= 0.5


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: get_schedule("linear", 10), "schedule 'linear' is unknown; choose one of constant, step, exponential, cosine, warmup-cosine, plateau"),
        (lambda: get_schedule("cosine", 10, gamma=0.5), "schedule 'cosine' takes no 'gamma'; it takes lr_min"),
        (lambda: get_schedule("constant", 10, lr_min=0.1), "schedule 'constant' takes no 'lr_min'; it takes no arguments"),
        (lambda: get_schedule("step", 0), "epochs must be a positive integer; got 0"),
        (lambda: get_schedule("warmup-cosine", 10, warmup=0), "warmup must be a positive integer; got 0"),
    ],
)
def test_registry_validation(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


# --------------------------------------------------------------------------- state
def test_plateau_state_round_trips_mid_run():
    metrics = [5.0, 4.0, 4.0, 4.0, 3.9, 3.0, 3.0, 3.0, 3.0, 2.0]
    uninterrupted = ReduceOnPlateau(factor=0.5, patience=1)
    first = ReduceOnPlateau(factor=0.5, patience=1)
    for m in metrics[:4]:
        uninterrupted.observe(m)
        first.observe(m)
    state = json.loads(json.dumps(first.state_dict()))
    assert state == {
        "name": "plateau", "factor": 0.5, "patience": 1, "threshold": 1e-4, "min_lr": 0.0, "mode": "min",
        "best": 4.0, "bad_epochs": 0, "reductions": 1,
    }
    resumed = schedule_from_state(state)
    loaded = ReduceOnPlateau()
    loaded.load_state_dict(state)
    for m in metrics[4:]:
        for s in (uninterrupted, resumed, loaded):
            s.observe(m)
    assert resumed.state_dict() == loaded.state_dict() == uninterrupted.state_dict()
    # 3.9 and 3.0 improve; 3.0, 3.0: a plateau (k = 2); 3.0 bad; 2.0 improves
    assert (resumed.best, resumed.bad_epochs, resumed.reductions) == (2.0, 0, 2) and resumed.lr(10, 0.8) == 0.2


@pytest.mark.parametrize(
    "schedule",
    [Constant(), StepDecay(4, 0.3), ExponentialDecay(0.97), CosineAnnealing(12, 1e-4), WarmUp(3), WarmUp(2, then=CosineAnnealing(8)),
     WarmUp(2, then=ReduceOnPlateau(patience=4))],
    ids=repr,
)
def test_state_round_trips_through_json(schedule):
    schedule.observe(3.0)
    state = json.loads(json.dumps(schedule.state_dict()))
    restored = schedule_from_state(state)
    assert type(restored) is type(schedule) and restored.state_dict() == schedule.state_dict()
    assert rates(restored, 0.1, 15) == rates(schedule, 0.1, 15)


@pytest.mark.parametrize(
    "state, message",
    [
        ({"name": "linear"}, "schedule state names 'linear'; expected one of constant, step, exponential, cosine, warmup, plateau"),
        ("step", "schedule state must be a dict; got str"),
        ({"name": "step", "step_size": 3}, "the step state must have the keys ['gamma', 'name', 'step_size']; got ['name', 'step_size']"),
        ({"name": "step", "step_size": 3, "gamma": 2.0}, "the step state: gamma must be a number in (0, 1]; got 2.0"),
        ({"name": "warmup", "epochs": 2, "then": {"name": "cosine", "epochs": 0, "lr_min": 0.0}},
         "the warmup state: the cosine state: epochs must be a positive integer; got 0"),
        ({"name": "plateau", "factor": 0.1, "patience": 2, "threshold": 0.0, "min_lr": 0.0, "mode": "min", "best": None, "bad_epochs": 3, "reductions": 0},
         "the plateau state: bad_epochs must be at most patience=2; got 3"),
        ({"name": "plateau", "factor": 0.1, "patience": 2, "threshold": 0.0, "min_lr": 0.0, "mode": "min", "best": None, "bad_epochs": 0, "reductions": -1},
         "the plateau state: reductions must be an integer ≥ 0; got -1"),
        ({"name": "plateau", "factor": 0.1, "patience": 2, "threshold": 0.0, "min_lr": 0.0, "mode": "min", "best": "low", "bad_epochs": 0, "reductions": 0},
         "the plateau state: best must be a finite number or None; got 'low'"),
    ],
)
def test_state_validation(state, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        schedule_from_state(state)


def test_load_state_dict_refuses_another_schedule_and_changes_nothing():
    schedule = StepDecay(3)
    with pytest.raises(ValueError, match=re.escape("schedule state is for 'constant', not 'step'")):
        schedule.load_state_dict(Constant().state_dict())
    with pytest.raises(ValueError, match=re.escape("the step state: step_size must be a positive integer; got 0")):
        schedule.load_state_dict({"name": "step", "step_size": 0, "gamma": 0.5})
    assert schedule.state_dict() == {"name": "step", "step_size": 3, "gamma": 0.1}
    schedule.load_state_dict({"name": "step", "step_size": 5, "gamma": 0.5})
    assert schedule.lr(5, 1.0) == 0.5


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: StepDecay(0), "step_size must be a positive integer; got 0"),
        (lambda: StepDecay(2.5), "step_size must be a positive integer; got 2.5"),
        (lambda: StepDecay(2, gamma=0), "gamma must be a number in (0, 1]; got 0"),
        (lambda: StepDecay(2, gamma=1.5), "gamma must be a number in (0, 1]; got 1.5"),
        (lambda: ExponentialDecay(float("nan")), "gamma must be a number in (0, 1]; got nan"),
        (lambda: CosineAnnealing(0), "epochs must be a positive integer; got 0"),
        (lambda: CosineAnnealing(5, lr_min=-1), "lr_min must be a finite number ≥ 0; got -1"),
        (lambda: WarmUp(0), "epochs must be a positive integer; got 0"),
        (lambda: WarmUp(2, then="cosine"), "then must be a Schedule or None; got 'cosine'"),
        (lambda: ReduceOnPlateau(factor=1), "factor must be a number in (0, 1); got 1"),
        (lambda: ReduceOnPlateau(patience=-1), "patience must be an integer ≥ 0; got -1"),
        (lambda: ReduceOnPlateau(patience=True), "patience must be an integer ≥ 0; got True"),
        (lambda: ReduceOnPlateau(threshold=-0.1), "threshold must be a finite number ≥ 0; got -0.1"),
        (lambda: ReduceOnPlateau(min_lr=float("inf")), "min_lr must be a finite number ≥ 0; got inf"),
        (lambda: ReduceOnPlateau(mode="mean"), "mode must be 'min' or 'max'; got 'mean'"),
        (lambda: StepDecay(2).lr(-1, 0.1), "epoch must be an integer ≥ 0; got -1"),
        (lambda: StepDecay(2).lr(1.0, 0.1), "epoch must be an integer ≥ 0; got 1.0"),
        (lambda: Constant().lr(0, 0), "base_lr must be a finite number > 0; got 0"),
        (lambda: Constant().lr(0, float("nan")), "base_lr must be a finite number > 0; got nan"),
        (lambda: CosineAnnealing(5, lr_min=0.5).lr(0, 0.1), "base_lr 0.1 is below the cosine schedule's lr_min 0.5"),
        (lambda: ReduceOnPlateau().observe(float("nan")), "metric must be a finite number; got nan"),
    ],
)
def test_validation(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_cosine_of_one_epoch_is_the_base_rate():
    assert CosineAnnealing(1).lr(0, 0.3) == 0.3 and math.isclose(CosineAnnealing(1).lr(5, 0.3), 0.3)
