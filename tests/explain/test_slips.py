"""docs/derivation.md's numerical checks of the source documents' slips: every number recomputed.

The page states each slip with its correct form and the numbers of one network (3-3-2, sigmoid,
cross-entropy, seed 0, the default example); here each number is recomputed from backprop and
the central differences, and the page must show it in bold where it says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.explain import default_example, explain
from deltaprop.explain.formula import fmt

PAGE = Path(__file__).resolve().parents[2] / "docs" / "derivation.md"


@pytest.fixture(scope="module")
def page() -> str:
    return PAGE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def e() -> dp.Explanation:
    net = dp.Network([3, 3, 2], activation="sigmoid", output="sigmoid", cost="cross_entropy", seed=0, dtype="float64")
    x, y = default_example(net)
    assert x.tolist() == [0.78, 0.11, 0.6] and y.tolist() == [1.0, 0.0]  # as the page says
    return explain(net, x, y, derive=True, weight=(3, 1, 3))


def shown(page: str, value: float) -> bool:
    return f"**{fmt(value)}**" in page


def test_bp4_proof_slip(page, e):
    a2, d3 = e.activations[1], e.deltas[1]
    assert shown(page, d3[0]) and f"central difference {fmt(e.numerical_db[1][0])})" in page  # ∂C/∂z ∂z/∂b = δ = ∂C/∂b, not ∂C/∂w
    assert shown(page, a2[0] * d3[0]) and shown(page, a2[2] * d3[0]) and shown(page, e.numerical_dW[1][0, 2])
    assert a2[2] * d3[0] == pytest.approx(e.numerical_dW[1][0, 2], rel=1e-7)  # the correct form
    assert abs(a2[0] * d3[0] - e.numerical_dW[1][0, 2]) > 0.1 and abs(d3[0] - e.numerical_dW[1][0, 2]) > 0.1  # the written ones are not


def test_bp2_example_slip(page, e):
    W3, d3, sp2 = e.network.weights[1], e.deltas[1], e.derivatives[0]
    assert e.network.sizes[2] == 2  # z^3_3 does not exist
    assert shown(page, W3[:, 2] @ d3) and shown(page, sp2[2]) and shown(page, (W3[:, 2] @ d3) * sp2[2])
    assert (W3[:, 2] @ d3) * sp2[2] == pytest.approx(e.deltas[0][2], rel=1e-12) == pytest.approx(e.numerical_db[0][2], rel=1e-7)
    assert shown(page, e.deltas[0][2]) and shown(page, e.numerical_db[0][2])


def test_bp2_matrix_form_is_bp2(page, e):
    matrix_form = (e.network.weights[1].T @ e.deltas[1]) * e.derivatives[0]
    np.testing.assert_allclose(matrix_form, e.deltas[0], rtol=1e-12)
    np.testing.assert_allclose(matrix_form, e.numerical_db[0], rtol=1e-6)
    assert "(" + ", ".join(f"**{fmt(v)}**" for v in matrix_form) + ")" in page


def test_bp4_matrix_slip(page, e):
    dW2, x, d2 = e.dW[0], e.x, e.deltas[0]
    for wrong, (r, c) in ((dW2[0, 2], (1, 2)), (dW2[0, 1], (2, 1)), (dW2[0, 2], (2, 2))):
        right = x[c] * d2[r]
        assert dW2[r, c] == pytest.approx(right, rel=1e-12) == pytest.approx(e.numerical_dW[0][r, c], rel=1e-6)
        assert f"{fmt(wrong)}" in page and shown(page, right) and abs(wrong - right) > 1e-3


def test_ngs_equation_10_needs_the_sum_over_outputs(page, e):
    W3, d3, sp2 = e.network.weights[1], e.deltas[1], e.derivatives[0]
    single, whole = d3[0] * W3[0, 0] * sp2[0], (W3[:, 0] @ d3) * sp2[0]
    assert shown(page, single) and shown(page, whole) and f"central difference {fmt(e.numerical_db[0][0])})" in page
    assert whole == pytest.approx(e.numerical_db[0][0], rel=1e-7) and abs(single - whole) > 0.01
