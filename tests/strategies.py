"""Hypothesis strategies for random networks with a batch of data that fits them."""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import deltaprop as dp

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "identity"]
#: every (output, cost) pairing: the three matched pairs (δ^L = a − y) and general BP1 ones
PAIRS = [
    ("sigmoid", "cross_entropy"),
    ("softmax", "log_likelihood"),
    ("identity", "quadratic"),
    ("sigmoid", "quadratic"),
    ("tanh", "quadratic"),
    ("softmax", "quadratic"),
    ("softmax", "cross_entropy"),
    ("sigmoid", "log_likelihood"),
    ("softplus", "quadratic"),
]


@st.composite
def networks_with_data(draw, dtype="float64", hidden=None, pair=None):
    """Draw (net, X, y, l2): depth 1–4 weight layers, widths 1–5, every activation/cost.

    ``hidden`` and ``pair`` fix the hidden activation and the (output, cost) pairing; by
    default they are drawn too. Numbers come from a seeded Generator (hypothesis draws the
    seed), so shrinking does not steer inputs onto ReLU's kink.
    """
    hidden = hidden or draw(st.sampled_from(HIDDEN))
    output, cost = pair or draw(st.sampled_from(PAIRS))
    depth = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1, 5), min_size=depth + 1, max_size=depth + 1))
    if output == "softmax" or cost == "log_likelihood":
        sizes[-1] = max(sizes[-1], 2)
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(1, 6))
    l2 = draw(st.sampled_from([0.0, 0.1, 2.5]))
    rng = np.random.default_rng(seed)
    net = dp.Network(sizes, activation=hidden, output=output, cost=cost, seed=rng, dtype=dtype)
    X = rng.standard_normal((n, sizes[0]))
    n_out = sizes[-1]
    if cost == "quadratic":
        y = rng.standard_normal((n, n_out))
    elif cost == "log_likelihood" and draw(st.booleans()):
        y = rng.dirichlet(np.ones(n_out), n)  # soft targets: rows sum to 1
    elif cost == "cross_entropy" and draw(st.booleans()):
        y = rng.uniform(0, 1, (n, n_out))  # soft targets in [0, 1]
    else:
        y = rng.integers(0, max(n_out, 2), n)  # class labels
    return net, X, y, l2


def assume_well_conditioned(net: dp.Network, X: np.ndarray, margin: float) -> None:
    """Skip cases where general BP1 cannot be accurate in the network's precision.

    For an unmatched pair with a logarithmic cost, ∇_a C divides by a (and 1 − a), and 1 − a
    computed from a saturated float output keeps few digits; the matched pairs' a − y has no
    such loss. Such cases need outputs at least ``margin`` away from 0 and 1.
    """
    output, cost = net.activations[-1], net.cost_function
    if cost.matched != output.name and cost.name in ("cross_entropy", "log_likelihood"):
        a = net.predict_proba(X)
        assume(bool(np.all((a > margin) & (a < 1 - margin))))
