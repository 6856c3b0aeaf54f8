"""Activations: each derivative against central differences, stability at |z| = 1e4."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from deltaprop.activations import ACTIVATIONS, get_activation, sigmoid, softmax

ELEMENTWISE = [a for a in ACTIVATIONS.values() if a.elementwise]
zs = arrays(np.float64, st.integers(1, 20), elements=st.floats(-30, 30).filter(lambda v: abs(v) > 1e-3))


@pytest.mark.parametrize("act", ELEMENTWISE, ids=lambda a: a.name)
@given(z=zs)
def test_derivative_matches_central_difference(act, z):
    h = 1e-6
    numerical = (act.f(z + h) - act.f(z - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(z), numerical, rtol=1e-6, atol=1e-9)
    # the cached-activation path gives the same σ'
    np.testing.assert_array_equal(act.derivative(z, act.f(z)), act.derivative(z))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", list(ACTIVATIONS.values()), ids=lambda a: a.name)
def test_no_overflow_or_invalid_values_at_extremes(act, dtype):
    z = np.array([[-1e4, -800.0, -1.0, 0.0, 1.0, 800.0, 1e4]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = act.f(z)
        assert a.dtype == dtype and np.isfinite(a).all()
        if act.elementwise:
            d = act.derivative(z, a)
            assert d.dtype == dtype and np.isfinite(d).all()


def test_sigmoid_limits_and_values():
    z = np.array([-1e4, -40.0, 0.0, 2.0, 1e4])
    a = sigmoid.f(z)
    assert a[0] == 0.0 and a[-1] == 1.0 and a[2] == 0.5
    assert a[1] == pytest.approx(np.exp(-40.0), rel=1e-12)  # precise in the far tail
    assert a[3] == pytest.approx(1 / (1 + np.exp(-2.0)), rel=1e-15)
    np.testing.assert_allclose(sigmoid.derivative(z), a * (1 - a))


@given(arrays(np.float64, (3, 4), elements=st.floats(-50, 50)), st.floats(-1e3, 1e3))
def test_softmax_is_a_distribution_and_shift_invariant(z, shift):
    a = softmax.f(z)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-12)
    assert (a >= 0).all()
    np.testing.assert_allclose(softmax.f(z + shift), a, rtol=1e-9, atol=1e-300)


@given(arrays(np.float64, (2, 5), elements=st.floats(-10, 10)), arrays(np.float64, (2, 5), elements=st.floats(-5, 5)))
def test_softmax_backward_is_the_jacobian_product(z, grad_a):
    a = softmax.f(z)
    for x in range(2):
        jacobian = np.diag(a[x]) - np.outer(a[x], a[x])  # ∂a_k/∂z_j = a_k(1[j=k] − a_j)
        np.testing.assert_allclose(softmax.backward(z, a, grad_a)[x], jacobian.T @ grad_a[x], rtol=1e-10, atol=1e-12)


def test_softmax_has_no_vector_derivative():
    with pytest.raises(ValueError, match="softmax couples its outputs"):
        softmax.derivative(np.zeros((1, 3)))


def test_registry_lookup():
    assert get_activation("tanh") is ACTIVATIONS["tanh"]
    assert get_activation(sigmoid) is sigmoid
    with pytest.raises(ValueError, match="activation 'swish' is unknown; choose one of sigmoid, tanh, relu"):
        get_activation("swish")
