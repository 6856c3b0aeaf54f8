"""Nielsen's book, chapters 1 and 3, on Fashion-MNIST or digits: accuracy per epoch.

Chapter 1 (src/network.py): a 784-30-10 sigmoid network, quadratic cost, plain SGD with
η = 3.0 and mini-batches of 10. Chapter 3 (src/network2.py): the same network with the
cross-entropy cost and L2 regularisation λ = 5.0 (the cost's λ/(2n) Σ w², n the training-set
size), η = 0.5. Both are printed epoch by epoch, as the book does::

    python examples/nielsen.py                         # both chapters on Fashion-MNIST, 30 epochs
    python examples/nielsen.py --dataset digits --chapter 3 --epochs 10

The book's MNIST numbers (about 95 % for chapter 1, 96 % for chapter 3 with 30 hidden units)
are for the handwritten digits; Fashion-MNIST is harder, and the same recipes reach about 85 %.
"""

from __future__ import annotations

import argparse

import deltaprop as dp

#: chapter → the network's output and cost, η and λ, as the book sets them.
CHAPTERS = {
    1: {"cost": "quadratic", "lr": 3.0, "l2": 0.0},
    3: {"cost": "cross_entropy", "lr": 0.5, "l2": 5.0},
}


class PrintTestAccuracy(dp.Callback):
    """Print the test accuracy after every epoch, like the book's ``evaluate`` line."""

    def __init__(self, X_test: object, y_test: object) -> None:
        self.X_test, self.y_test = X_test, y_test

    def on_epoch_end(self, epoch: int, history: dp.History, net: dp.Network) -> None:
        correct = round(net.accuracy(self.X_test, self.y_test) * len(self.y_test))
        print(f"Epoch {epoch}: {correct} / {len(self.y_test)}", flush=True)


def run(dataset: str, chapter: int, epochs: int, hidden: int, seed: int) -> float:
    """Train the chapter's network on ``dataset``; print and return the final test accuracy."""
    (X, y), (X_test, y_test) = dp.datasets.load(dataset)
    setting = CHAPTERS[chapter]
    net = dp.Network([X.shape[1], hidden, 10], activation="sigmoid", output="sigmoid", cost=setting["cost"], seed=seed)
    print(f"chapter {chapter} on {dataset}: {net.sizes}, {setting['cost']} cost, η = {setting['lr']}, λ = {setting['l2']}, mini-batch 10")
    dp.fit(
        net, X, y, epochs=epochs, batch_size=10, optimizer=dp.SGD(lr=setting["lr"]), l2=setting["l2"], seed=seed,
        progress=False, callbacks=[PrintTestAccuracy(X_test, y_test)],
    )
    accuracy = net.accuracy(X_test, y_test)
    print(f"chapter {chapter} on {dataset}: test accuracy {accuracy:.4f}\n")
    return accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="fashion-mnist", help="fashion-mnist (default), mnist or digits")
    parser.add_argument("--chapter", type=int, choices=sorted(CHAPTERS), help="1 or 3 (default both)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs (default 30, as in the book)")
    parser.add_argument("--hidden", type=int, default=30, help="hidden units (default 30)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for chapter in [args.chapter] if args.chapter else sorted(CHAPTERS):
        run(args.dataset, chapter, args.epochs, args.hidden, args.seed)


if __name__ == "__main__":
    main()
