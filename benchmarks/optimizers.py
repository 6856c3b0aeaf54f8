"""Epoch time of the training step with each optimizer and with dropout (issue 5: "momentum,
Adam and dropout cost no more than their arithmetic").

Trains 784-100-10 (sigmoid hidden, softmax + log-likelihood, float32) on Fashion-MNIST for
``--epochs`` epochs per configuration, in this process, and prints a Markdown table of the
median training seconds per epoch (evaluation excluded) and the ratio to plain SGD, beside the
time of the extra arithmetic alone (the optimizer's ``step`` on the same parameters, or drawing
and applying the dropout masks, times the number of steps)::

    .venv/bin/python benchmarks/optimizers.py --batch-size 128
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import deltaprop as dp


def epoch_seconds(X: np.ndarray, y: np.ndarray, batch_size: int, epochs: int, make: str, dropout: float) -> float:
    net = dp.Network([784, 100, 10], output="softmax", cost="log_likelihood", seed=0)
    optimizer = dp.get_optimizer(make, lr=0.1 if make in ("sgd", "momentum", "nesterov") else 1e-3)
    history = dp.fit(net, X, y, epochs=epochs, batch_size=batch_size, optimizer=optimizer, dropout=dropout, progress=False, gradient_norms=False)
    return statistics.median(history.seconds)


def step_seconds(make: str, steps: int) -> float:
    """The optimizer's step alone on 784-100-10's parameters, × ``steps``."""
    net = dp.Network([784, 100, 10], seed=0)
    params, grads = net.parameters(), [np.full_like(p, 1e-3) for p in net.parameters()]
    optimizer = dp.get_optimizer(make, lr=1e-3)
    optimizer.step(params, grads)
    start = time.perf_counter()
    for _ in range(200):
        optimizer.step(params, grads)
    return (time.perf_counter() - start) / 200 * steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    (X, y), _ = dp.datasets.load("fashion-mnist", download=False)
    steps = -(-len(X) // args.batch_size)
    base = epoch_seconds(X, y, args.batch_size, args.epochs, "sgd", 0.0)
    print(f"784-100-10, batch {args.batch_size}, {steps} steps per epoch, median of {args.epochs} epochs\n")
    print("| configuration | s/epoch | × SGD | extra over SGD | its arithmetic alone |")
    print("|---|---:|---:|---:|---:|")
    print(f"| sgd | {base:.3f} | 1.00 | — | — |")
    sgd_step = step_seconds("sgd", steps)
    for make in ("momentum", "nesterov", "adam", "adamw", "rmsprop"):
        seconds = epoch_seconds(X, y, args.batch_size, args.epochs, make, 0.0)
        alone = step_seconds(make, steps) - sgd_step
        print(f"| {make} | {seconds:.3f} | {seconds / base:.2f} | {seconds - base:+.3f} | {alone:.3f} |", flush=True)
    seconds = epoch_seconds(X, y, args.batch_size, args.epochs, "sgd", 0.2)
    net = dp.Network([784, 100, 10], seed=0)
    rng = np.random.default_rng(0)
    a = np.ones((args.batch_size, 100), np.float32)
    start = time.perf_counter()
    for _ in range(200):
        masks = dp.dropout_masks(net, args.batch_size, 0.2, rng)
        a * masks[0]
        a * masks[0]
    alone = (time.perf_counter() - start) / 200 * steps
    print(f"| sgd + dropout 0.2 | {seconds:.3f} | {seconds / base:.2f} | {seconds - base:+.3f} | {alone:.3f} (masks drawn and applied twice) |")


if __name__ == "__main__":
    main()
