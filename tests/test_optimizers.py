"""Optimizers: every update rule against hand-worked steps and against torch.optim; in-place
updates with lazily created buffers; constructor and state validation; a state that round-trips
through JSON and continues training bit for bit; the name registry."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.optimizers import OPTIMIZERS, Adam, AdamW, Momentum, RMSProp, SGD, get_optimizer, optimizer_from_state

EPS = 1e-8


def run_steps(optimizer, params, grad_sequence):
    """Step ``optimizer`` once per list of gradients; return copies of the params after each step."""
    after = []
    for grads in grad_sequence:
        optimizer.step(params, [np.asarray(g, dtype=np.float64) for g in grads])
        after.append([p.copy() for p in params])
    return after


def assert_steps(after, expected):
    for step, (got, want) in enumerate(zip(after, expected, strict=True), start=1):
        for p, e in zip(got, want, strict=True):
            np.testing.assert_allclose(p, e, rtol=1e-12, atol=1e-15, err_msg=f"after step {step}")


# --------------------------------------------------------------------------- hand-worked steps
def test_sgd_by_hand():
    W, b = np.array([[1.0, 2.0]]), np.array([0.5])
    params = [W, b]
    after = run_steps(SGD(lr=0.5), params, [([[0.1, -0.2]], [1.0]), ([[0.4, 0.0]], [-1.0]), ([[-1.0, 1.0]], [0.2])])
    # θ ← θ − 0.5 g
    assert_steps(after, [
        ([[0.95, 2.1]], [0.0]),
        ([[0.75, 2.1]], [0.5]),
        ([[1.25, 1.6]], [0.4]),
    ])
    assert params[0] is W and params[1] is b and W[0, 0] == 1.25  # updated in place


GRADS_3 = [([[1.0, 0.0]], [-2.0]), ([[2.0, 0.0]], [1.0]), ([[-1.0, 0.0]], [4.0])]


def test_momentum_by_hand():
    params = [np.array([[1.0, 3.0]]), np.array([0.0])]
    after = run_steps(Momentum(lr=0.1, momentum=0.9), params, GRADS_3)
    # W[0,0]: b = 1, 0.9·1 + 2 = 2.9, 0.9·2.9 − 1 = 1.61;  θ = 1 − 0.1, − 0.29, − 0.161
    # b:      b = −2, −1.8 + 1 = −0.8, −0.72 + 4 = 3.28;   θ = 0.2, 0.28, −0.048
    # W[0,1] has g = 0 throughout: b stays 0, θ stays 3
    assert_steps(after, [
        ([[0.9, 3.0]], [0.2]),
        ([[0.61, 3.0]], [0.28]),
        ([[0.449, 3.0]], [-0.048]),
    ])


def test_nesterov_by_hand():
    params = [np.array([[1.0, 3.0]]), np.array([0.0])]
    after = run_steps(Momentum(lr=0.1, momentum=0.9, nesterov=True), params, GRADS_3)
    # same velocities as above; θ ← θ − 0.1 (g + 0.9 b)
    # W[0,0]: g + 0.9b = 1.9, 2 + 2.61 = 4.61, −1 + 1.449 = 0.449
    # b:      −2 − 1.8 = −3.8, 1 − 0.72 = 0.28, 4 + 2.952 = 6.952
    assert_steps(after, [
        ([[0.81, 3.0]], [0.38]),
        ([[0.349, 3.0]], [0.352]),
        ([[0.3041, 3.0]], [-0.3432]),
    ])


ADAM_GRADS = [([[2.0, 0.0]], [1.0]), ([[-2.0, 0.0]], [1.0]), ([[5.0, 0.0]], [1.0])]


def adam_by_hand(decay):
    """Expected values for Adam(lr=0.1, beta1=0.5, beta2=0.5, eps=1e-8) on ADAM_GRADS, each
    parameter first multiplied by ``decay`` (AdamW's 1 − η λ_wd; 1 for Adam)."""
    # W[0,0]: g = 2, −2, 5
    #   m = 1, −0.5, 2.25          m̂ = m/(1 − 0.5ᵗ) = 2, −2/3, 18/7
    #   v = 2, 3, 14               v̂ = v/(1 − 0.5ᵗ) = 4, 4, 16      √v̂ = 2, 2, 4
    # b: g = 1 throughout: m̂ = 1, v̂ = 1 at every step, so the step is 0.1/(1 + ε)
    # W[0,1]: g = 0: m = v = 0, the step 0/(0 + ε) = 0
    w, u, b = 1.0, 3.0, 0.5
    expected = []
    for m_hat, root_v_hat in ((2.0, 2.0), (-2.0 / 3.0, 2.0), (18.0 / 7.0, 4.0)):
        w = w * decay - 0.1 * m_hat / (root_v_hat + EPS)
        u = u * decay
        b = b * decay - 0.1 * 1.0 / (1.0 + EPS)
        expected.append(([[w, u]], [b]))
    return expected


def test_adam_by_hand():
    params = [np.array([[1.0, 3.0]]), np.array([0.5])]
    after = run_steps(Adam(lr=0.1, beta1=0.5, beta2=0.5, eps=EPS), params, ADAM_GRADS)
    expected = adam_by_hand(decay=1.0)
    assert_steps(after, expected)
    # the numbers themselves, for the reader: 1 − 0.1 = 0.9, + 0.0333…, − 0.0642857…
    np.testing.assert_allclose([e[0][0][0] for e in expected], [0.9, 0.9 + 0.1 / 3, 0.9 + 0.1 / 3 - 0.45 / 7], rtol=1e-7)


def test_adamw_by_hand():
    params = [np.array([[1.0, 3.0]]), np.array([0.5])]
    after = run_steps(AdamW(lr=0.1, beta1=0.5, beta2=0.5, eps=EPS, weight_decay=0.5), params, ADAM_GRADS)
    # θ ← (1 − 0.1·0.5) θ = 0.95 θ, then the Adam step; W[0,1] (g = 0) only decays: 2.85, 2.7075, 2.572125
    expected = adam_by_hand(decay=0.95)
    assert_steps(after, expected)
    assert [e[0][0][1] for e in expected] == pytest.approx([2.85, 2.7075, 2.572125], rel=1e-15)


def test_rmsprop_by_hand():
    params = [np.array([[1.0, 3.0]]), np.array([0.5])]
    grads = [([[2.0, 0.0]], [0.5]), ([[-1.0, 0.0]], [0.5]), ([[3.0, 0.0]], [0.5])]
    after = run_steps(RMSProp(lr=0.1, rho=0.75, eps=EPS), params, grads)
    # W[0,0]: v = 0.25·4 = 1, 0.75 + 0.25 = 1, 0.75 + 2.25 = 3;  θ −= 0.1 g/(√v + ε)
    # b: g = 0.5: v = 0.0625, 0.109375, 0.14453125 (= 0.75 v + 0.0625)
    w = [1.0 - 0.2 / (1 + EPS)]
    w.append(w[-1] + 0.1 / (1 + EPS))
    w.append(w[-1] - 0.3 / (3**0.5 + EPS))
    b = [0.5]
    for v in (0.0625, 0.109375, 0.14453125):
        b.append(b[-1] - 0.05 / (v**0.5 + EPS))
    assert_steps(after, [([[w[i], 3.0]], [b[i + 1]]) for i in range(3)])


# --------------------------------------------------------------------------- torch.optim as oracle
TORCH_CASES = [
    (lambda: SGD(lr=0.3), lambda torch, p: torch.optim.SGD(p, lr=0.3)),
    (lambda: Momentum(lr=0.05, momentum=0.8), lambda torch, p: torch.optim.SGD(p, lr=0.05, momentum=0.8)),
    (lambda: Momentum(lr=0.05, momentum=0.8, nesterov=True), lambda torch, p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
    (lambda: Adam(lr=0.01, beta1=0.8, beta2=0.95, eps=1e-6), lambda torch, p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.95), eps=1e-6)),
    (lambda: AdamW(lr=0.01, weight_decay=0.3), lambda torch, p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.3)),
    (lambda: RMSProp(lr=0.01, rho=0.9, eps=1e-7), lambda torch, p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-7)),
]


@pytest.mark.parametrize("ours, theirs", TORCH_CASES, ids=["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"])
def test_matches_torch_for_20_steps(ours, theirs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    shapes = [(4, 3), (4,), (2, 4), (2,)]
    params = [rng.standard_normal(s) for s in shapes]
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    optimizer, reference = ours(), theirs(torch, tensors)
    for _ in range(20):
        grads = [rng.standard_normal(s) for s in shapes]
        optimizer.step(params, grads)
        for t, g in zip(tensors, grads):
            t.grad = torch.tensor(g)
        reference.step()
    for p, t in zip(params, tensors):
        np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- buffers and state
ALL = [
    lambda: SGD(lr=0.2),
    lambda: Momentum(lr=0.1, momentum=0.7),
    lambda: Momentum(lr=0.1, momentum=0.7, nesterov=True),
    lambda: Adam(lr=0.01, beta1=0.85),
    lambda: AdamW(lr=0.01, weight_decay=0.1),
    lambda: RMSProp(lr=0.01, rho=0.8),
]
IDS = ["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"]


def float32_problem(seed=0, steps=7):
    rng = np.random.default_rng(seed)
    shapes = [(5, 3), (5,), (2, 5), (2,)]
    params = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(steps)]
    return params, grads


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_buffers_are_created_at_the_first_step_like_the_params(make):
    optimizer = make()
    params, grads = float32_problem()
    assert optimizer.state_dict()["arrays"] == [] and optimizer.state_dict()["t"] == 0
    optimizer.step(params, grads[0])
    state = optimizer.state_dict()
    assert state["t"] == 1
    assert len(state["arrays"]) == len(optimizer.slots) * len(params)
    for i, a in enumerate(state["arrays"]):
        assert a.shape == params[i % len(params)].shape and a.dtype == np.float32
    assert all(p.dtype == np.float32 for p in params)


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_state_round_trip_continues_bit_for_bit(make):
    params, grads = float32_problem()
    uninterrupted = make()
    reference = [p.copy() for p in params]
    for g in grads:
        uninterrupted.step(reference, g)

    first = make()
    for g in grads[:3]:
        first.step(params, g)
    state = first.state_dict()
    scalars = json.loads(json.dumps({k: v for k, v in state.items() if k != "arrays"}))
    arrays = [a.copy() for a in state["arrays"]]
    state["arrays"][:] = [a * 0 + 7 for a in state["arrays"]]  # the state holds copies: this changes nothing
    first.step([p.copy() for p in params], grads[3])  # nor does stepping the saved optimizer on

    resumed = optimizer_from_state({**scalars, "arrays": arrays})
    assert type(resumed) is type(first) and resumed.hyper_parameters() == make().hyper_parameters()
    arrays[:] = [a * 0 for a in arrays]  # nor changing the arrays it was built from
    for g in grads[3:]:
        resumed.step(params, g)
    for p, r in zip(params, reference):
        assert np.array_equal(p, r)
    assert resumed.t == uninterrupted.t == 7
    for a, b in zip(resumed.state_dict()["arrays"], uninterrupted.state_dict()["arrays"], strict=True):
        assert np.array_equal(a, b)


def test_loaded_state_replaces_hyper_parameters_and_learning_rate():
    optimizer = Adam(lr=0.5)
    source = Adam(lr=0.02, beta1=0.5, beta2=0.6, eps=1e-3)
    source.lr = 0.01  # set by a schedule
    optimizer.load_state_dict(source.state_dict())
    assert optimizer.hyper_parameters() == {"lr": 0.01, "beta1": 0.5, "beta2": 0.6, "eps": 1e-3}
    assert repr(optimizer) == "Adam(lr=0.01, beta1=0.5, beta2=0.6, eps=0.001)"


def test_sgd_state():
    state = SGD(lr=0.25).state_dict()
    assert state == {"name": "sgd", "lr": 0.25, "t": 0, "arrays": []}
    other = SGD()
    other.load_state_dict({**state, "t": 12})
    assert other.lr == 0.25 and other.t == 12


# --------------------------------------------------------------------------- validation
def test_sgd_refuses_mismatched_lists():
    with pytest.raises(ValueError):
        SGD(lr=0.1).step([np.zeros(2)], [])


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "fast", None, True])
def test_learning_rate_must_be_positive_and_finite(lr):
    with pytest.raises(ValueError, match=re.escape(f"lr must be a finite number > 0; got {lr!r}")):
        SGD(lr=lr)
    optimizer = Adam()
    with pytest.raises(ValueError, match=re.escape(f"lr must be a finite number > 0; got {lr!r}")):
        optimizer.lr = lr  # a schedule's setting is checked too
    assert optimizer.lr == 1e-3


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Momentum(momentum=1.0), "momentum must be a number in [0, 1); got 1.0"),
        (lambda: Momentum(momentum=-0.1), "momentum must be a number in [0, 1); got -0.1"),
        (lambda: Momentum(momentum=float("nan")), "momentum must be a number in [0, 1); got nan"),
        (lambda: Momentum(nesterov="yes"), "nesterov must be True or False; got 'yes'"),
        (lambda: Momentum(momentum=0, nesterov=True), "nesterov=True needs momentum > 0; got momentum=0"),
        (lambda: Adam(beta1=1), "beta1 must be a number in [0, 1); got 1"),
        (lambda: Adam(beta2=-1e-9), "beta2 must be a number in [0, 1); got -1e-09"),
        (lambda: Adam(eps=0.0), "eps must be a finite number > 0; got 0.0"),
        (lambda: AdamW(eps=float("inf")), "eps must be a finite number > 0; got inf"),
        (lambda: AdamW(weight_decay=-0.01), "weight_decay must be a finite number ≥ 0; got -0.01"),
        (lambda: AdamW(weight_decay="0.1"), "weight_decay must be a finite number ≥ 0; got '0.1'"),
        (lambda: RMSProp(rho=1.5), "rho must be a number in [0, 1); got 1.5"),
        (lambda: RMSProp(eps=-1), "eps must be a finite number > 0; got -1"),
        (lambda: RMSProp(lr=-1), "lr must be a finite number > 0; got -1"),
    ],
)
def test_constructor_validation(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_zero_is_allowed_where_the_range_starts_at_zero():
    assert Momentum(momentum=0).momentum == 0.0
    assert Adam(beta1=0, beta2=0).hyper_parameters()["beta2"] == 0.0
    assert AdamW(weight_decay=0).weight_decay == 0.0


def adam_state_after(steps=2):
    params, grads = float32_problem(steps=steps)
    optimizer = Adam()
    for g in grads:
        optimizer.step(params, g)
    return optimizer.state_dict()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: {**s, "name": "sgd"}, "optimizer state is for 'sgd', not 'adam'"),
        (lambda s: {k: v for k, v in s.items() if k != "beta2"}, "the adam state must have the keys ['arrays', 'beta1', 'beta2', 'eps', 'lr', 'name', 't']; got ['arrays', 'beta1', 'eps', 'lr', 'name', 't']"),
        (lambda s: {**s, "amsgrad": False}, "the adam state must have the keys"),
        (lambda s: {**s, "beta1": 1.5}, "the adam state: beta1 must be a number in [0, 1); got 1.5"),
        (lambda s: {**s, "lr": float("nan")}, "the adam state: lr must be a finite number > 0; got nan"),
        (lambda s: {**s, "t": -1}, "the adam state: t must be an integer ≥ 0; got -1"),
        (lambda s: {**s, "t": 2.0}, "the adam state: t must be an integer ≥ 0; got 2.0"),
        (lambda s: {**s, "t": True}, "the adam state: t must be an integer ≥ 0; got True"),
        (lambda s: {**s, "t": 0}, "the adam state: t=0 needs no arrays; got 8 arrays"),
        (lambda s: {**s, "arrays": []}, "the adam state: t=2 needs the buffers; got 0 arrays"),
        (lambda s: {**s, "arrays": s["arrays"][:3]}, "the adam state: arrays must hold 2 buffers (m, v) per parameter; got 3 arrays"),
        (lambda s: {**s, "arrays": "m and v"}, "the adam state: arrays must be a list of ndarrays; got str"),
        (lambda s: {**s, "arrays": [*s["arrays"][:7], [0.0]]}, "the adam state: arrays[7] must be a float ndarray; got list"),
        (lambda s: {**s, "arrays": [*s["arrays"][:7], np.zeros(2, dtype=np.int64)]}, "the adam state: arrays[7] must be a float ndarray; got int64"),
        (lambda s: {**s, "arrays": [*s["arrays"][:5], np.array([np.nan]), *s["arrays"][6:]]}, "the adam state: arrays[5] holds NaN or inf"),
        (lambda s: ["not", "a", "dict"], "optimizer state must be a dict; got list"),
    ],
)
def test_load_state_dict_validation(change, message):
    optimizer = Adam(lr=0.5)
    before = optimizer.state_dict()
    with pytest.raises(ValueError, match=re.escape(message)):
        optimizer.load_state_dict(change(adam_state_after()))
    assert optimizer.state_dict() == before  # a refused state changes nothing


def test_sgd_state_holds_no_arrays():
    with pytest.raises(ValueError, match=re.escape("the sgd state keeps no buffers; got 1 arrays")):
        SGD().load_state_dict({"name": "sgd", "lr": 0.1, "t": 3, "arrays": [np.zeros(2)]})


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda ps: ps[:3], "the adam state holds buffers for 4 parameters; step got 3 parameters"),
        (lambda ps: [ps[0].T.copy(), *ps[1:]], "the adam state's buffer m[0] is float32 of shape (5, 3); parameter 0 is float32 of shape (3, 5)"),
        (lambda ps: [*ps[:3], ps[3].astype(np.float64)], "the adam state's buffer m[3] is float32 of shape (2,); parameter 3 is float64 of shape (2,)"),
    ],
)
def test_restored_buffers_must_fit_the_params(change, message):
    params, grads = float32_problem()
    optimizer = optimizer_from_state(adam_state_after())
    params = change(params)
    before = [p.copy() for p in params]
    with pytest.raises(ValueError, match=re.escape(message)):
        optimizer.step(params, change(grads[0]))
    assert all(np.array_equal(p, b) for p, b in zip(params, before))


def test_optimizer_from_state_refuses_unknown_names():
    with pytest.raises(ValueError, match=re.escape("optimizer state names 'lbfgs'; expected one of sgd, momentum, adam, adamw, rmsprop")):
        optimizer_from_state({"name": "lbfgs"})
    with pytest.raises(ValueError, match=re.escape("optimizer state names None")):
        optimizer_from_state([])


# --------------------------------------------------------------------------- registry
def test_registry_builds_each_optimizer():
    assert list(OPTIMIZERS) == ["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"]
    assert repr(get_optimizer("sgd", lr=3.0)) == "SGD(lr=3)"
    assert repr(get_optimizer("momentum")) == "Momentum(lr=0.1, momentum=0.9, nesterov=False)"
    assert repr(get_optimizer("nesterov", lr=0.2, momentum=0.5)) == "Momentum(lr=0.2, momentum=0.5, nesterov=True)"
    assert repr(get_optimizer("adam")) == "Adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08)"
    assert repr(get_optimizer("adamw", weight_decay=0.05)) == "AdamW(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08, weight_decay=0.05)"
    assert repr(get_optimizer("rmsprop")) == "RMSProp(lr=0.001, rho=0.9, eps=1e-08)"
    assert dp.get_optimizer is get_optimizer and dp.Adam is Adam


def test_registry_refuses_unknown_names_and_arguments():
    with pytest.raises(ValueError, match=re.escape("optimizer 'adagrad' is unknown; choose one of sgd, momentum, nesterov, adam, adamw, rmsprop")):
        get_optimizer("adagrad")
    with pytest.raises(ValueError, match=re.escape("optimizer 'sgd' takes no 'momentum'; it takes lr")):
        get_optimizer("sgd", lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=re.escape("beta1 must be a number in [0, 1); got 2")):
        get_optimizer("adam", beta1=2)
