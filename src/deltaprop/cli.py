"""The ``deltaprop`` command: argument parsing and reporting only, no maths.

Every user mistake ends as one line on stderr (``deltaprop: error: ...``) and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import NoReturn

from .atomic import atomic_write

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        sizes = []
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"must be two or more comma-separated positive integers like 784,100,10; got {text!r}")
    return sizes


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text!r}")
    return value


def _build_parser() -> _Parser:
    from . import __version__

    parser = _Parser(prog="deltaprop", description="Train, check and inspect neural networks trained by backpropagation.")
    parser.add_argument("--version", action="version", version=f"deltaprop {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def network_options(p: argparse.ArgumentParser, activation: str, output: str | None, cost: str | None) -> None:
        by_task = "softmax and log_likelihood for class labels, identity and quadratic for float targets"
        p.add_argument("--activation", default=activation, help=f"hidden-layer activation (default {activation})")
        p.add_argument("--output", default=output, help=f"output activation (default {output or by_task})")
        p.add_argument("--cost", default=cost, help=f"quadratic, cross_entropy or log_likelihood (default {cost or by_task})")
        p.add_argument("--seed", type=int, default=0, help="seed of the initial weights and the shuffles (default 0)")

    train = commands.add_parser("train", help="train a network on a data set and report its test accuracy")
    train.add_argument("--dataset", default="digits", help="data set name or path (default digits; see 'deltaprop datasets')")
    train.add_argument("--target", help="for a CSV data set: the label column's name (default: the last column)")
    train.add_argument("--sizes", type=_sizes, help="layer widths, e.g. 64,100,10 (default: input,100,classes)")
    network_options(train, "sigmoid", None, None)
    train.add_argument("--init", default="default", help="default, xavier or he (default default)")
    train.add_argument("--dtype", default="float32", help="float32 or float64 (default float32)")
    train.add_argument("--epochs", type=int, default=30, help="passes over the training set (default 30)")
    train.add_argument("--batch-size", type=int, default=10, help="examples per step (default 10)")
    train.add_argument("--optimizer", default="sgd", choices=["sgd"], help="optimizer (default sgd)")
    train.add_argument("--lr", type=float, default=0.5, help="learning rate η (default 0.5)")
    train.add_argument("--l2", type=float, default=0.0, help="L2 strength λ of λ/(2n)Σw² (default 0)")
    train.add_argument("--out", type=Path, help="save the trained model here (.npz)")
    train.add_argument("--metrics", type=Path, help="write test accuracy, timings and history here (JSON)")
    train.add_argument("--quiet", action="store_true", help="no per-epoch progress")

    evaluate = commands.add_parser("evaluate", help="report a saved model's accuracy and cost on a data set's test split")
    evaluate.add_argument("model", type=Path)
    evaluate.add_argument("--dataset", default="digits", help="data set name or path (default digits)")
    evaluate.add_argument("--target", help="for a CSV data set: the label column's name (default: the last column)")

    predict = commands.add_parser("predict", help="print a saved model's prediction for each row of a .npy or .csv file")
    predict.add_argument("model", type=Path)
    predict.add_argument("input", type=Path, help=".npy array or .csv of numbers, one example per row")

    commands.add_parser("datasets", help="list the named data sets, where each is found, how to get the missing ones")

    gradcheck = commands.add_parser("gradcheck", help="compare backprop's gradients with central differences")
    gradcheck.add_argument("--sizes", type=_sizes, default=[4, 5, 3], help="layer widths (default 4,5,3)")
    network_options(gradcheck, "sigmoid", "sigmoid", "cross_entropy")
    gradcheck.add_argument("--l2", type=float, default=0.0, help="L2 strength λ (default 0)")
    gradcheck.add_argument("--examples", type=int, default=10, help="random examples in the batch (default 10)")
    gradcheck.add_argument("--eps", type=float, default=1e-6, help="central-difference step (default 1e-6)")
    gradcheck.add_argument("--directions", type=int, help="check this many random directions per array, not every entry")
    gradcheck.add_argument("--tol", type=_positive_float, default=1e-7, help="largest relative error that passes (default 1e-7)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    try:
        args = _build_parser().parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error already printed as one line
        return e.code if isinstance(e.code, int) else 0
    try:
        return {"train": _train, "evaluate": _evaluate, "predict": _predict, "gradcheck": _gradcheck, "datasets": _datasets}[args.command](args)
    except BrokenPipeError:  # e.g. `deltaprop predict ... | head`: the reader has gone
        sys.stderr.close()
        return 0
    except MemoryError:
        print("deltaprop: error: not enough memory for this network or data set", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError) as e:
        print(f"deltaprop: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("deltaprop: interrupted", file=sys.stderr)
        return 130


def _train(args: argparse.Namespace) -> int:
    import deltaprop as dp

    for option, path in (("--out", args.out), ("--metrics", args.metrics)):
        if path is not None and not path.parent.is_dir():  # say so now, not after training
            raise ValueError(f"{option} {path}: folder {path.parent} does not exist")
    (X_train, y_train), (X_test, y_test) = dp.datasets.load(args.dataset, target=args.target)
    regression = y_train.ndim == 2  # float targets; labels otherwise
    n_out = y_train.shape[1] if regression else int(max(y_train.max(), y_test.max())) + 1
    sizes = args.sizes or [X_train.shape[1], 100, n_out]
    if sizes[0] != X_train.shape[1] or sizes[-1] != n_out:
        kind = "targets" if regression else "classes"
        raise ValueError(
            f"--sizes {','.join(map(str, sizes))} does not fit {args.dataset}: it has {X_train.shape[1]} inputs and {n_out} {kind}"
        )
    output = args.output or ("identity" if regression else "softmax")
    cost = args.cost or ("quadratic" if regression else "log_likelihood")
    net = dp.Network(sizes, activation=args.activation, output=output, cost=cost, init=args.init, seed=args.seed, dtype=args.dtype)
    start = time.perf_counter()
    history = dp.fit(
        net, X_train, y_train, epochs=args.epochs, batch_size=args.batch_size, optimizer=dp.SGD(lr=args.lr),
        l2=args.l2, seed=args.seed, progress=not args.quiet,
    )
    seconds = time.perf_counter() - start
    test_accuracy = net.accuracy(X_test, y_test) if net.is_classifier else None
    test_cost = net.cost(X_test, y_test)
    result = f"test accuracy: {test_accuracy:.4f}" if test_accuracy is not None else f"test cost: {test_cost:.6g}"
    print(f"{result} ({len(X_test)} examples of {args.dataset}, {args.epochs} epochs, {seconds:.1f}s)")
    if args.out:
        print(f"model saved to {dp.save(net, args.out)}")
    if args.metrics:
        metrics = {
            "test_accuracy": test_accuracy,
            "test_cost": test_cost,
            "train_seconds": seconds,
            "epochs": args.epochs,
            "dataset": args.dataset,
            "sizes": net.sizes,
            "activations": [a.name for a in net.activations],
            "cost": net.cost_function.name,
            "optimizer": {"name": args.optimizer, "lr": args.lr},
            "batch_size": args.batch_size,
            "l2": args.l2,
            "seed": args.seed,
            "history": history.to_dict(),
        }
        with atomic_write(args.metrics, "w") as f:
            f.write(json.dumps(metrics, indent=2) + "\n")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    import deltaprop as dp

    net = dp.load(args.model)
    _, (X_test, y_test) = dp.datasets.load(args.dataset, target=args.target)
    if X_test.shape[1] != net.sizes[0]:
        raise ValueError(f"{args.model} takes {net.sizes[0]} inputs but {args.dataset} has {X_test.shape[1]}")
    print(f"accuracy: {net.accuracy(X_test, y_test):.4f}")
    print(f"cost: {net.cost(X_test, y_test):.6f}")
    print(f"examples: {len(X_test)}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    import numpy as np

    import deltaprop as dp

    net = dp.load(args.model)
    if not args.input.is_file():
        raise FileNotFoundError(f"{args.input}: no such input file")
    if args.input.suffix == ".npy":
        X = np.load(args.input, allow_pickle=False)
    elif args.input.suffix == ".csv":
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an empty file is a warning to loadtxt, an error here
            try:
                X = np.loadtxt(args.input, delimiter=",", ndmin=2)
            except (ValueError, UserWarning) as e:
                raise ValueError(f"{args.input}: not a CSV of numbers ({e})") from None
    else:
        raise ValueError(f"{args.input}: input must be a .npy or .csv file")
    for row in net.predict(X):
        print(row if np.ndim(row) == 0 else " ".join(f"{v:.6g}" for v in row))
    return 0


def _datasets(args: argparse.Namespace) -> int:
    from .datasets.registry import DATASETS, locate

    width = max(map(len, DATASETS))
    for name, dataset in DATASETS.items():
        where = locate(name)
        status = f"present  {where}" if where else f"missing  get it with: {dataset.how_to_get}"
        print(f"{name:<{width}}  {status}")
        print(f"{'':<{width}}  {dataset.description}")
    return 0


def _gradcheck(args: argparse.Namespace) -> int:
    import numpy as np

    import deltaprop as dp

    if args.examples < 1:
        raise ValueError(f"--examples must be a positive integer; got {args.examples}")
    net = dp.Network(args.sizes, activation=args.activation, output=args.output, cost=args.cost, seed=args.seed, dtype="float64")
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((args.examples, args.sizes[0]))
    if net.cost_function.name == "quadratic":
        y = rng.standard_normal((args.examples, args.sizes[-1]))
    elif net.cost_function.name == "cross_entropy":
        y = rng.uniform(0, 1, (args.examples, args.sizes[-1]))
    else:  # log_likelihood: class labels
        y = rng.integers(0, args.sizes[-1], args.examples)
    report = dp.check_gradients(net, X, y, l2=args.l2, eps=args.eps, directions=args.directions)
    print(report)
    verdict = "passed" if report.passed(args.tol) else "FAILED"
    print(f"{verdict}: largest relative error {report.max_rel_error:.3e} (tolerance {args.tol:g})")
    return 0 if report.passed(args.tol) else 1

