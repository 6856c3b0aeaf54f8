"""Optimizers: a hand-worked SGD step, in place; constructor validation; state round-trip."""

from __future__ import annotations

import re

import numpy as np
import pytest

from deltaprop import SGD


def test_sgd_step_by_hand():
    W, b = np.array([[1.0, 2.0]]), np.array([0.5])
    params = [W, b]
    SGD(lr=0.5).step(params, [np.array([[0.1, -0.2]]), np.array([1.0])])
    # W ← W − η ∂C/∂W:  1 − 0.5·0.1 = 0.95,  2 − 0.5·(−0.2) = 2.1;  b: 0.5 − 0.5·1 = 0
    np.testing.assert_allclose(W, [[0.95, 2.1]])
    np.testing.assert_allclose(b, [0.0])
    assert params[0] is W and params[1] is b  # updated in place


def test_sgd_refuses_mismatched_lists():
    with pytest.raises(ValueError):
        SGD(lr=0.1).step([np.zeros(2)], [])


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "fast", None, True])
def test_learning_rate_must_be_positive_and_finite(lr):
    with pytest.raises(ValueError, match=re.escape(f"lr must be a finite number > 0; got {lr!r}")):
        SGD(lr=lr)


def test_state_round_trip():
    opt = SGD(lr=0.25)
    other = SGD()
    other.load_state_dict(opt.state_dict())
    assert other.lr == 0.25 and other.state_dict() == {"name": "sgd", "lr": 0.25}
    with pytest.raises(ValueError, match="not an SGD state"):
        other.load_state_dict({"name": "adam"})
