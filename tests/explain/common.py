"""What the explain tests share: the default explanation (``deltaprop explain`` with no options)."""

from __future__ import annotations

import deltaprop as dp
from deltaprop.explain import default_example, explain


def default_explanation(**kwargs) -> dp.Explanation:
    """``deltaprop explain`` with no options: seed 002's 3-3-1 sigmoid network, cross-entropy, seed 0."""
    net = dp.Network([3, 3, 1], activation="sigmoid", output="sigmoid", cost="cross_entropy", seed=0)
    x, y = default_example(net, seed=0)
    return explain(net, x, y, **kwargs)


def num(v: float) -> str:
    s = f"{v:.6g}"
    return f"({s})" if v < 0 else s
