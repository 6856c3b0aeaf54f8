"""Synthetic 2-D sets: shapes, dtypes, seeded determinism, balance, and clean points on their curves."""

from __future__ import annotations

import math

import numpy as np
import pytest

from deltaprop.datasets.synthetic import SYNTHETIC, circles, moons, spirals, xor

GENERATORS = sorted(SYNTHETIC.items())


def test_registry_names():
    assert SYNTHETIC == {"xor": xor, "moons": moons, "circles": circles, "spirals": spirals}


@pytest.mark.parametrize(("name", "make"), GENERATORS)
@pytest.mark.parametrize("n", [2, 3, 101, 200])
def test_shapes_dtypes_and_balance(name, make, n):
    X, y = make(n=n, noise=0.1, seed=3)
    assert X.shape == (n, 2) and X.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.bincount(y, minlength=2).tolist() == [n - n // 2, n // 2]
    assert np.isfinite(X).all()


@pytest.mark.parametrize(("name", "make"), GENERATORS)
def test_same_seed_same_bytes_other_seed_other_bytes(name, make):
    X1, y1 = make(seed=7)
    X2, y2 = make(seed=7)
    assert X1.tobytes() == X2.tobytes() and y1.tobytes() == y2.tobytes()
    X3, y3 = make(seed=8)
    assert X1.tobytes() != X3.tobytes() or y1.tobytes() != y3.tobytes()
    X4, _ = make(seed=np.random.default_rng(7))
    assert X4.tobytes() == X1.tobytes()


@pytest.mark.parametrize(("name", "make"), GENERATORS)
def test_defaults_use_no_global_state(name, make):
    np.random.seed(0)
    X1, _ = make()
    np.random.seed(1)
    X2, _ = make()
    assert X1.tobytes() == X2.tobytes()


@pytest.mark.parametrize(("name", "make"), GENERATORS)
def test_noise_moves_points(name, make):
    X0, y0 = make(n=60, noise=0.0, seed=1)
    X1, y1 = make(n=60, noise=0.3, seed=1)
    np.testing.assert_array_equal(y0, y1)  # the same shuffle; only the positions change
    assert 0.05 < np.abs(X1 - X0).mean() < 1.0


def test_xor_clean_points_sit_on_the_corners():
    X, y = xor(n=41, noise=0.0)
    assert set(map(tuple, X.tolist())) == {(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)}
    np.testing.assert_array_equal(y, (X[:, 0] > 0) ^ (X[:, 1] > 0))
    X, y = xor(n=400, noise=0.2, seed=5)  # noisy: the quadrant still gives the label for almost all
    assert np.mean(y == ((X[:, 0] > 0) ^ (X[:, 1] > 0))) > 0.95


def test_moons_clean_points_lie_on_unit_half_circles():
    X, y = moons(n=101, noise=0.0)
    X = X.astype(np.float64)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert (upper[:, 1] >= -1e-7).all() and (lower[:, 1] <= 0.5 + 1e-7).all()


def test_circles_clean_radii_are_one_and_a_half():
    X, y = circles(n=99, noise=0.0)
    r = np.hypot(*X.astype(np.float64).T)
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(r[y == 1], 0.5, atol=1e-6)


def test_spirals_clean_points_lie_on_archimedean_arms():
    X, y = spirals(n=200, noise=0.0)
    X = X.astype(np.float64)
    r = np.hypot(*X.T)
    theta = r * 3 * math.pi  # r = θ / 3π on both arms
    angle = np.arctan2(X[:, 1], X[:, 0])
    offset = np.where(y == 0, 0.0, math.pi)  # class 1 is class 0 turned by π
    residue = np.angle(np.exp(1j * (angle - theta - offset)))  # wrapped into (−π, π]
    np.testing.assert_allclose(residue, 0.0, atol=1e-5)
    assert r.max() == pytest.approx(1.0) and r.min() == pytest.approx(0.5 / 3, rel=1e-6)


@pytest.mark.parametrize(("name", "make"), GENERATORS)
@pytest.mark.parametrize("n", [1, 0, -5, 2.0, True, "10"])
def test_bad_n(name, make, n):
    with pytest.raises(ValueError, match="^n must be an integer ≥ 2"):
        make(n=n)


@pytest.mark.parametrize(("name", "make"), GENERATORS)
@pytest.mark.parametrize("noise", [-0.1, float("nan"), float("inf"), "0.1", None])
def test_bad_noise(name, make, noise):
    with pytest.raises(ValueError, match="^noise must be a finite number ≥ 0; got"):
        make(noise=noise)


def test_spirals_with_more_arms_turn_each_by_its_share_of_a_circle():
    X, y = spirals(n=301, noise=0.0, seed=2, arms=3)
    assert np.bincount(y).tolist() == [101, 100, 100]
    X = X.astype(np.float64)
    for c in range(3):  # turned back by 2πc/3, class c lies on class 0's spiral: r = θ / 3π
        turn = 2 * math.pi * c / 3
        P = X[y == c] @ np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
        r, theta = np.hypot(*P.T), np.arctan2(P[:, 1], P[:, 0])
        np.testing.assert_allclose(np.cos(r * 3 * math.pi - theta), 1.0, atol=1e-5)
    two = spirals(n=200, noise=0.1, seed=3, arms=2)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(two, spirals(n=200, noise=0.1, seed=3)))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"arms": 1}, "arms must be an integer ≥ 2 (one spiral per class); got 1"),
    ({"arms": 4, "n": 3}, "n must be an integer ≥ 4 (one point per class at least); got 3"),
])
def test_spirals_refuse_too_few_arms_or_points(kwargs, message):
    with pytest.raises(ValueError) as e:
        spirals(**kwargs)
    assert str(e.value) == message
