"""What caching δ saves, measured: every gradient entry by its own path sum against backprop.

For small networks of one width (sigmoid layers, quadratic cost, one example, float64), times
three ways to the whole gradient and prints a Markdown table beside the multiplication counts
of :func:`deltaprop.explain.derivation.multiplications`:

- ``path sums``: the naive chain rule, weight by weight: for each parameter, enumerate every path
  from it to the cost and add the products of the local derivatives along them (plain Python);
- ``backprop (loops)``: reverse accumulation written in the same plain-Python style, each δ once,
  so that the ratio of the two is the algorithm's and not NumPy's;
- ``deltaprop``: :func:`deltaprop.backprop.backprop` (NumPy), for scale.

The three gradients are checked to agree to 1e-12 before anything is printed. Best of
``--repeat`` runs; run under ``nice``::

    .venv/bin/python benchmarks/path_sums.py            # widths 3, 4, 5; 2–7 layers with weights (~15 s)
    .venv/bin/python benchmarks/path_sums.py --widths 3 --depths 2,3,4 --repeat 3
"""

from __future__ import annotations

import argparse
import itertools
import math
import time

import numpy as np

import deltaprop as dp
from deltaprop.backprop import backprop
from deltaprop.explain.derivation import multiplications


def local_derivatives(net: dp.Network, x: np.ndarray, y: np.ndarray) -> tuple[list, list, list]:
    """The forward pass's values as Python lists: a^l (l = 1 … L), σ'(z^l) and ∂C/∂a^L."""
    a, acts, sps = x[None, :], [x.tolist()], []
    for W, b, act in zip(net.weights, net.biases, net.activations):
        z = a @ W.T + b
        a = act.f(z)
        acts.append(a[0].tolist())
        sps.append(act.derivative(z, a)[0].tolist())
    grad = net.cost_function.grad_a(a, y[None, :])[0].tolist()
    return acts, sps, grad


def by_path_sums(net: dp.Network, acts: list, sps: list, grad: list) -> list[np.ndarray]:
    """∂C/∂W^l entry by entry, each as the sum over every path from it to the cost."""
    L = len(net.sizes)
    W = [w.tolist() for w in net.weights]
    out = []
    for l in range(2, L + 1):
        dW = np.empty((net.sizes[l - 1], net.sizes[l - 2]))
        above = [range(n) for n in net.sizes[l:]]  # a neuron of every layer after l
        for j in range(net.sizes[l - 1]):
            for k in range(net.sizes[l - 2]):
                total = 0.0
                for route in itertools.product(*above):
                    product = acts[l - 2][k] * sps[l - 2][j]
                    previous = j
                    for m, i in enumerate(route, start=l + 1):
                        product *= W[m - 2][i][previous] * sps[m - 2][i]
                        previous = i
                    total += product * grad[previous]
                dW[j, k] = total
        out.append(dW)
    return out


def by_backprop_loops(net: dp.Network, acts: list, sps: list, grad: list) -> list[np.ndarray]:
    """∂C/∂W^l by reverse accumulation in plain Python: each δ once (BP1, BP2), then BP4."""
    W = [w.tolist() for w in net.weights]
    delta = [g * s for g, s in zip(grad, sps[-1])]  # (BP1)
    out = []
    for i in reversed(range(len(W))):
        out.append(np.array([[a * d for a in acts[i]] for d in delta]))  # (BP4)
        if i:
            delta = [sum(W[i][r][c] * delta[r] for r in range(len(delta))) * sps[i - 1][c] for c in range(len(W[i][0]))]  # (BP2)
    return out[::-1]


def best_of(repeat: int, f, *args) -> tuple[float, object]:
    best, result = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = f(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", default="3,4,5", help="layer widths, comma-separated (default 3,4,5)")
    parser.add_argument("--depths", default="2,3,4,5,6,7", help="layers with weights, comma-separated (default 2,3,4,5,6,7)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the best is reported (default 5)")
    args = parser.parse_args(argv)
    print("| layers with weights | width | paths per first-layer weight | multiplications: path sums | backprop | "
          "path sums (s) | backprop, loops (s) | ratio | deltaprop backprop (s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for width in map(int, args.widths.split(",")):
        for depth in map(int, args.depths.split(",")):
            sizes = [width] * (depth + 1)
            net = dp.Network(sizes, activation="sigmoid", output="sigmoid", cost="quadratic", seed=0, dtype="float64")
            rng = np.random.default_rng(0)
            x, y = rng.uniform(-1, 1, width), rng.uniform(0, 1, width)
            acts, sps, grad = local_derivatives(net, x, y)
            t_paths, paths = best_of(args.repeat, by_path_sums, net, acts, sps, grad)
            t_loops, loops = best_of(args.repeat, by_backprop_loops, net, acts, sps, grad)
            t_numpy, grads = best_of(args.repeat, backprop, net, x[None, :], y[None, :])
            for p, q, r in zip(paths, loops, grads.dW):
                assert np.abs(p - r).max() <= 1e-12 and np.abs(q - r).max() <= 1e-12, "the three gradients disagree"
            m = multiplications(sizes, [True] * depth)
            print(f"| {depth} | {width} | {width ** (depth - 1)} | {m.path_sums} | {m.backprop} | {t_paths:.3g} | {t_loops:.3g} | "
                  f"{t_paths / t_loops:.3g} | {t_numpy:.3g} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
