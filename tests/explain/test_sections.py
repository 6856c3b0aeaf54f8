"""What the explanation says, section by section, with the actual numbers."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.explain import FULL, default_example, explain

from .common import default_explanation, num


def test_the_text_works_bp2_out_in_seed_000s_style_with_the_actual_numbers():
    net = dp.Network([3, 3, 2], seed=1)
    x, y = default_example(net, seed=1)
    e = explain(net, x, y, neuron=(2, 3))
    W3, d3 = e.network.weights[1], e.deltas[1]
    sp = e.derivatives[0][2]
    lines = [line.strip() for line in e.to_text(width=400).splitlines()]
    at = lines.index("δ²₃ = (w³₁₃ δ³₁ + w³₂₃ δ³₂) σ′(z²₃)")
    numbers = f"= ({num(W3[0, 2])} × {num(d3[0])} + {num(W3[1, 2])} × {num(d3[1])}) × {num(sp)} = {e.deltas[0][2]:.6g}"
    assert lines[at + 1] == numbers
    assert e.deltas[0][2] == pytest.approx((W3[0, 2] * d3[0] + W3[1, 2] * d3[1]) * sp, rel=1e-14)


def test_the_short_cut_is_shown_equal_to_the_general_bp1_for_matched_pairs_only():
    for output, cost, matched in [("sigmoid", "cross_entropy", True), ("softmax", "log_likelihood", True), ("sigmoid", "quadratic", False)]:
        net = dp.Network([3, 4, 3], output=output, cost=cost, seed=2)
        x, y = default_example(net, seed=2)
        e = explain(net, x, y)
        text = e.to_text(width=200)
        assert ("matched pair, so BP1 simplifies to Ng's short cut δᴸ = aᴸ − y" in text) is matched
        assert ("is not a matched pair, so the short cut δᴸ = aᴸ − y does not hold" in text) is not matched
        np.testing.assert_allclose(e.general_output_delta, e.deltas[-1], rtol=1e-9, atol=1e-12)
        if matched:
            np.testing.assert_allclose(e.deltas[-1], e.activations[-1] - e.y, rtol=0, atol=0)


def test_softmax_bp1_is_the_jacobian_vector_product():
    net = dp.Network([3, 4], output="softmax", cost="log_likelihood", seed=5)
    e = explain(net, [0.1, -0.4, 0.9], 2)
    a, g = e.activations[-1], e.grad_activations[-1]
    np.testing.assert_allclose(e.general_output_delta, a * (g - g @ a), rtol=1e-12)
    assert "δᴸ = aᴸ ⊙ (∇ₐ C − ⟨∇ₐ C, aᴸ⟩)" in e.to_text(width=200)
    assert "The network has no hidden layer, so BP2 is not needed." in e.to_text(width=200)


def test_the_numerical_check_stands_beside_each_gradient(default):
    text = default.to_text(width=200)
    W2 = default.dW[0]
    row = next(line.split() for line in text.splitlines() if line.split()[:2] == ["1", "3"] and len(line.split()) == 7)
    assert row[4] == f"{W2[0, 2]:.6g}" and row[5] == f"{default.numerical_dW[0][0, 2]:.6g}" and row[6] == "✓"
    assert not np.isnan(default.numerical_dW[0]).any()  # a small network: every entry checked


def test_lr_shows_the_update_and_the_cost_after_it():
    e = default_explanation(lr=0.5)
    text = e.to_text(width=200)
    W, dW = e.network.weights[0], e.dW[0]
    j, k = e.path[1], e.path[0]
    assert f"w²{'₁₂₃'[j]}{'₁₂₃'[k]} ← {W[j, k]:.6g} − 0.5 × {num(dW[j, k])} = {W[j, k] - 0.5 * dW[j, k]:.6g}" in text
    assert f"The cost of this example goes from {e.cost:.6g} to {e.cost_after:.6g}." in text
    assert e.cost_after < e.cost
    assert "gradient descent" not in default_explanation().to_text(width=200)


def test_a_784_wide_network_is_summarised_and_the_chosen_neuron_shown_in_full():
    net = dp.Network([784, 100, 10], output="softmax", cost="log_likelihood", seed=0)
    x = np.random.default_rng(0).uniform(0, 1, 784)
    e = explain(net, x, 7, neuron=(2, 42))
    text = e.to_text(width=100)
    assert len(text.splitlines()) < 300  # not 78 400 weights
    assert "W²: shape 100 × 784, norm" in text and "Showing 6 of 100 neurons" in text
    assert "Showing 5 of 784 neurons: those with the largest |x|" in text
    assert "δ²₄₂ = (w³₁,₄₂ δ³₁ + w³₂,₄₂ δ³₂ + " in text  # the BP2 sum of the chosen neuron, all 10 terms
    assert "w³₁₀,₄₂ δ³₁₀) σ′(z²₄₂)" in text
    products = net.weights[0][41].astype(float) * x
    shown = np.argsort(-np.abs(products), kind="stable")[:5]
    rest = np.delete(products, shown).sum()
    assert f"A sum of 784 terms: shown are the 5 largest; the other 779 add up to {rest:.6g}." in text
    checked = ~np.isnan(e.numerical_dW[0])
    assert 5 <= checked.sum() <= 10 and checked[41].sum() >= 5  # the chosen neuron's row, with its checks
    assert np.shape(e.to_dict()["layers"][0]["dW"]) == (100, 784)  # the JSON keeps everything



def test_full_limit_keeps_the_default_network_whole(default):
    assert max(default.network.sizes) <= FULL
    assert "Showing" not in default.to_text(width=100)
