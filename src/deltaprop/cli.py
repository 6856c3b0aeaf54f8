"""The ``deltaprop`` command: argument parsing and reporting only, no maths.

Every user mistake ends as one line on stderr (``deltaprop: error: ...``) and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Iterable
from dataclasses import asdict, replace
from pathlib import Path
from typing import NoReturn

from .atomic import atomic_write
from .validation import positive_int, positive_number

__all__ = ["main"]

#: What ``deltaprop explain --format`` takes: each name is rendered by ``Explanation.to_<name>``.
EXPLAIN_FORMATS = ("text", "markdown", "html", "json")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive_ints(text: str) -> list[int]:
    """The comma-separated positive integers of ``text``; none if it holds anything else."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        return []
    return values if min(values) >= 1 else []


def _sizes(text: str) -> list[int]:
    sizes = _positive_ints(text)
    if len(sizes) < 2:
        raise argparse.ArgumentTypeError(f"must be two or more comma-separated positive integers like 784,100,10; got {text!r}")
    return sizes


def _widths(text: str) -> list[int]:
    widths = _positive_ints(text)
    if not widths:
        raise argparse.ArgumentTypeError(f"must be one or more comma-separated positive integers like 256,128; got {text!r}")
    return widths


def _image_shape(text: str) -> tuple[int, int]:
    shape = _positive_ints(text)
    if len(shape) != 2:
        raise argparse.ArgumentTypeError(f"must be HEIGHT,WIDTH, two positive integers like 28,28; got {text!r}")
    return tuple(shape)


def _positive_float(text: str) -> float:
    try:
        return positive_number("value", float(text))  # argparse words the message itself
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text!r}") from None


def _either(names: Iterable[str]) -> str:
    """Spell a list of names out for a help text: "a, b or c"."""
    *rest, last = names
    return f"{', '.join(rest)} or {last}" if rest else last


def _build_parser() -> _Parser:
    from . import __version__, plots
    from .costs import COSTS
    from .explain import LANGUAGES
    from .export import DEFAULT_OPSET
    from .network import INITIALIZERS
    from .optimizers import OPTIMIZERS
    from .schedules import SCHEDULES
    from .training.checkpoint import METRICS_FILE

    parser = _Parser(prog="deltaprop", description="Train, check and inspect neural networks trained by backpropagation.")
    parser.add_argument("--version", action="version", version=f"deltaprop {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def network_options(p: argparse.ArgumentParser, activation: str, output: str | None, cost: str | None) -> None:
        by_task = "softmax and log_likelihood for class labels, identity and quadratic for float targets"
        p.add_argument("--activation", default=activation, help=f"hidden-layer activation (default {activation or 'from the recipe'})")
        p.add_argument("--output", default=output, help=f"output activation (default {output or by_task})")
        p.add_argument("--cost", default=cost, help=f"{_either(COSTS)} (default {cost or by_task})")
        p.add_argument("--seed", type=int, default=0, help="seed of the initial weights and the shuffles (default 0)")

    train = commands.add_parser(
        "train",
        help="train a network on a data set and report its test accuracy",
        description="Train a network. Every flag left out comes from the data set's recipe (see the README); "
        "'deltaprop train --dataset fashion-mnist' alone reaches about 90%% test accuracy.",
    )
    train.add_argument("--dataset", default="digits", help="data set name or path (default digits; see 'deltaprop datasets')")
    train.add_argument("--target", help="for a CSV data set: the label column's name (default: the last column)")
    widths = train.add_mutually_exclusive_group()
    widths.add_argument("--sizes", type=_sizes, help="all layer widths, e.g. 64,100,10 (input and output must fit the data)")
    widths.add_argument("--hidden", type=_widths, help="hidden widths only, e.g. 256,128; input and output come from the data")
    network_options(train, None, None, None)
    train.add_argument("--init", help=_either(INITIALIZERS))
    train.add_argument("--dtype", default="float32", help="float32 or float64 (default float32)")
    train.add_argument("--epochs", type=int, help="passes over the training set")
    train.add_argument("--batch-size", type=int, help="examples per step")
    train.add_argument("--optimizer", choices=list(OPTIMIZERS), help="the update rule")
    train.add_argument("--lr", type=float, help="learning rate η (the base rate that --schedule scales)")
    train.add_argument("--momentum", type=float, help="momentum of --optimizer momentum or nesterov (default 0.9)")
    train.add_argument("--weight-decay", type=float, help="decoupled weight decay of --optimizer adamw (default 0.01)")
    train.add_argument("--schedule", help=f"learning-rate schedule: {_either(SCHEDULES)}")
    train.add_argument("--l2", type=float, help="L2 strength λ of λ/(2n)Σw²")
    train.add_argument("--l1", type=float, default=0.0, help="L1 strength λ₁ of λ₁/n Σ|w| (default 0)")
    train.add_argument("--dropout", type=float, help="probability of dropping each hidden unit while training")
    train.add_argument("--max-norm", type=float, help="cap on the norm of each unit's incoming weights")
    train.add_argument("--validation", type=float, help="fraction of the training set held out for validation, e.g. 0.1")
    train.add_argument("--early-stopping", type=int, metavar="PATIENCE", help="stop after this many epochs without a better validation cost, keeping the best weights (needs --validation)")
    train.add_argument("--checkpoint", type=Path, metavar="DIR", help="write the run's state here after every epoch")
    train.add_argument("--resume", action="store_true", help="continue the run in --checkpoint DIR")
    train.add_argument("--out", type=Path, help="save the trained model here (.npz)")
    train.add_argument("--metrics", type=Path, help="write test accuracy, timings and history here (JSON)")
    train.add_argument("--plot", type=Path, help=f"draw the learning curves here ({_either(plots.FORMATS)}; needs matplotlib)")
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

    plot = commands.add_parser(
        "plot", help="draw learning curves from a metrics .json, or a model's weight tiles or confusion matrix"
    )
    plot.add_argument("source", type=Path, metavar="METRICS_OR_MODEL", help="a .json from 'deltaprop train --metrics', or a model .npz")
    plot.add_argument("--out", type=Path, required=True, metavar="FILE", help=f"the picture to write: {_either(plots.FORMATS)}")
    plot.add_argument("--gradients", type=Path, metavar="FILE", help="from metrics: also draw each layer's gradient norm per epoch to this file")
    drawing = plot.add_mutually_exclusive_group()
    drawing.add_argument("--weights", action="store_true", help="from a model: the first layer's weights as image tiles")
    drawing.add_argument("--confusion", action="store_true", help="from a model: its confusion matrix on a data set's test split")
    plot.add_argument("--shape", type=_image_shape, metavar="H,W", help="with --weights: HEIGHT,WIDTH of an input image (default: square)")
    plot.add_argument("--dataset", metavar="NAME|PATH", help="with --confusion: data set name or path (default digits)")
    plot.add_argument("--target", metavar="COLUMN", help="with --confusion and a CSV data set: the label column's name")

    export = commands.add_parser("export", help="write a saved model as an ONNX graph that computes predict_proba")
    export.add_argument("model", type=Path, metavar="MODEL", help="a model saved by deltaprop (.npz)")
    export.add_argument("out", type=Path, metavar="OUT.onnx", help="the ONNX file to write")
    export.add_argument("--opset", type=int, default=DEFAULT_OPSET, metavar="N", help=f"ONNX operator-set version (default {DEFAULT_OPSET})")

    explain = commands.add_parser(
        "explain",
        help="one forward and one backward pass on one example: every z, a, δ and gradient with its equation",
        description="Explain backpropagation step by step. By default seed 002's network (3 inputs, sigmoid units, "
        "cross-entropy cost) on a fixed example; --model, --dataset and --index explain a saved model or a row of a data set.",
    )
    explain.add_argument("--format", choices=EXPLAIN_FORMATS, default="text", help="output format (default text)")
    explain.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the prose (default en)")
    explain.add_argument("--out", type=Path, help="write the explanation to this file instead of printing it")
    explain.add_argument("--model", type=Path, help="explain this saved model (.npz) instead of a new network")
    explain.add_argument("--sizes", type=_sizes, help="layer widths of a new network (default 3,3,1; with --dataset: inputs,100,outputs)")
    explain.add_argument("--activation", help="hidden-layer activation of a new network (default sigmoid)")
    explain.add_argument("--output", help="output activation (default sigmoid; with --dataset: softmax, or identity for float targets)")
    explain.add_argument("--cost", help="cost (default cross_entropy; with --dataset: log_likelihood, or quadratic for float targets)")
    explain.add_argument("--seed", type=int, default=0, help="seed of a new network's weights and of the default example (default 0)")
    explain.add_argument("--dataset", help="take the example from this data set's training split (name or path)")
    explain.add_argument("--index", type=int, help="with --dataset: the row of the training split to explain (default 0)")
    explain.add_argument("--input", metavar="X1,X2,...", help="the input, comma-separated (default: drawn from --seed)")
    explain.add_argument("--target", metavar="Y", help="the target: a class label, or one number per output, comma-separated (default: from --seed)")
    explain.add_argument("--lr", type=_positive_float, help="also show one step of gradient descent with this learning rate η")
    explain.add_argument("--neuron", metavar="LAYER,INDEX", help="the neuron whose path is worked out, e.g. 2,3: layer 2 is the first after the input, neurons count from 1")

    report = commands.add_parser(
        "report",
        help="write one self-contained HTML page about a trained model: settings, timings, curves, scores, weights",
        description="Write a training report: hyper-parameters, data set, timings, learning curves, confusion matrix, "
        "precision and recall per class, first-layer weights. One HTML file that fetches nothing (needs matplotlib).",
    )
    report.add_argument("source", type=Path, metavar="RUN_DIR_OR_MODEL", help="a folder from 'deltaprop train --checkpoint DIR', or a model .npz")
    report.add_argument("--out", type=Path, required=True, metavar="FILE", help="the HTML file to write (.html)")
    report.add_argument("--metrics", type=Path, metavar="FILE", help=f"the JSON of 'deltaprop train --metrics' (default: a run folder's {METRICS_FILE})")
    report.add_argument("--dataset", metavar="NAME|PATH", help="measure on this data set's test split (default: the metrics' data set, else digits if the model fits it)")
    report.add_argument("--target", metavar="COLUMN", help="for a CSV data set: the label column's name (default: the last column)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    try:
        args = _build_parser().parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error already printed as one line
        return e.code if isinstance(e.code, int) else 0
    try:
        return {"train": _train, "evaluate": _evaluate, "predict": _predict, "gradcheck": _gradcheck, "datasets": _datasets, "plot": _plot, "export": _export, "explain": _explain, "report": _report}[args.command](args)
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

    from . import plots
    from .metrics import write_metrics
    from .optimizers import OPTIMIZERS, get_optimizer
    from .schedules import get_schedule
    from .training.checkpoint import CHECKPOINT_FILE, METRICS_FILE
    from .training.recipes import recipe_for

    recipe = recipe_for(args.dataset)
    given = {key: getattr(args, key) for key in vars(recipe) if getattr(args, key) is not None}
    if args.optimizer not in (None, recipe.optimizer) and args.lr is None:  # the recipe's η belongs to its optimizer
        given["lr"] = OPTIMIZERS[args.optimizer]().lr
    setting = replace(recipe, **given)
    if args.early_stopping is not None and args.validation is None:
        raise ValueError("--early-stopping needs --validation FRACTION, the part of the training set it watches")
    for option, path in (("--out", args.out), ("--metrics", args.metrics), ("--plot", args.plot)):
        if path is not None and not path.parent.is_dir():  # say so now, not after training
            raise ValueError(f"{option} {path}: folder {path.parent} does not exist")
    if args.plot is not None and args.plot.suffix.lower() not in plots.FORMATS:
        raise ValueError(f"--plot {args.plot}: must end in {_either(plots.FORMATS)} (the suffix picks the format)")
    if args.resume and args.checkpoint is None:
        raise ValueError("--resume needs --checkpoint DIR, the folder of the run to continue")
    if args.checkpoint is not None and not args.resume and (args.checkpoint / CHECKPOINT_FILE).exists():
        raise ValueError(f"--checkpoint {args.checkpoint} already holds a run: add --resume to continue it, or choose another folder")
    if args.resume and not (args.checkpoint / CHECKPOINT_FILE).exists():
        print(f"{args.checkpoint} holds no checkpoint yet: starting the run from epoch 1", file=sys.stderr)
    (X_train, y_train), (X_test, y_test) = dp.datasets.load(args.dataset, target=args.target)
    regression = y_train.ndim == 2  # float targets; labels otherwise
    n_out = y_train.shape[1] if regression else int(max(y_train.max(), y_test.max())) + 1
    sizes = args.sizes or [X_train.shape[1], *setting.hidden, n_out]
    if sizes[0] != X_train.shape[1] or sizes[-1] != n_out:
        kind = "targets" if regression else "classes"
        raise ValueError(
            f"--sizes {','.join(map(str, sizes))} does not fit {args.dataset}: it has {X_train.shape[1]} inputs and {n_out} {kind}"
        )
    setting = replace(setting, hidden=tuple(sizes[1:-1]))  # what --sizes or --hidden chose
    output = args.output or ("identity" if regression else "softmax")
    cost = args.cost or ("quadratic" if regression else "log_likelihood")
    net = dp.Network(sizes, activation=setting.activation, output=output, cost=cost, init=setting.init, seed=args.seed, dtype=args.dtype)
    extra = {k: v for k, v in (("momentum", args.momentum), ("weight_decay", args.weight_decay)) if v is not None}
    optimizer = get_optimizer(setting.optimizer, lr=setting.lr, **extra)
    epochs = positive_int("--epochs", setting.epochs)
    schedule = get_schedule(setting.schedule, epochs)
    start = time.perf_counter()
    history = dp.fit(
        net, X_train, y_train, epochs=epochs, batch_size=setting.batch_size, optimizer=optimizer, l2=setting.l2,
        validation=args.validation, seed=args.seed, progress=not args.quiet, l1=args.l1, dropout=setting.dropout,
        max_norm=args.max_norm, schedule=schedule, early_stopping=args.early_stopping, checkpoint=args.checkpoint,
        resume=args.resume,
    )
    seconds = time.perf_counter() - start
    if history.stopped == "interrupted":
        print(f"interrupted in epoch {history.epochs + 1}: the model keeps the weights it had then", file=sys.stderr)
    test_accuracy = net.accuracy(X_test, y_test) if net.is_classifier else None
    test_cost = net.cost(X_test, y_test)
    result = f"test accuracy: {test_accuracy:.4f}" if test_accuracy is not None else f"test cost: {test_cost:.6g}"
    print(f"{result} ({len(X_test)} examples of {args.dataset}, {history.epochs} epochs, {seconds:.1f}s)")
    print(f"settings: {setting.describe(sizes[0], sizes[-1])}")
    if args.out:
        print(f"model saved to {dp.save(net, args.out)}")
    metrics = {
        "test_accuracy": test_accuracy,
        "test_cost": test_cost,
        "train_seconds": seconds,
        "epochs": history.epochs,
        "dataset": args.dataset,
        "sizes": net.sizes,
        "activations": [a.name for a in net.activations],
        "cost": net.cost_function.name,
        "optimizer": {"name": setting.optimizer, "lr": setting.lr, **extra},
        "settings": {**asdict(setting), "l1": args.l1, "max_norm": args.max_norm,
                     "validation": args.validation, "early_stopping": args.early_stopping},
        "batch_size": setting.batch_size,
        "l2": setting.l2,
        "seed": args.seed,
        "history": history.to_dict(),
    }
    # a checkpoint folder is a run folder: its metrics beside the model feed 'deltaprop report'
    for path in [p for p in (args.metrics, args.checkpoint and args.checkpoint / METRICS_FILE) if p]:
        write_metrics(path, metrics)
    if args.plot:
        try:
            plots.learning_curves(history, args.plot)
        except ImportError as e:
            raise ValueError(str(e)) from None
        print(f"learning curves saved to {args.plot}")
    return 0 if history.stopped != "interrupted" else 130


def _evaluate(args: argparse.Namespace) -> int:
    import deltaprop as dp

    net = dp.load(args.model)
    _, (X_test, y_test) = dp.datasets.load(args.dataset, target=args.target)
    if X_test.shape[1] != net.sizes[0]:
        raise ValueError(f"{args.model} takes {net.sizes[0]} inputs but {args.dataset} has {X_test.shape[1]}")
    if net.is_classifier:
        print(f"accuracy: {net.accuracy(X_test, y_test):.4f}")
    print(f"cost: {net.cost(X_test, y_test):.6f}")
    print(f"examples: {len(X_test)}")
    if net.is_classifier:
        print(_confusion_table(net, X_test, y_test))
    return 0


def _confusion_table(net: object, X: object, y: object) -> str:
    """The confusion matrix as text: a row per true class, a column per predicted class."""
    from .network import class_labels
    from .plots import confusion_counts

    n_classes = max(2, net.sizes[-1])
    truth = class_labels(net.targets(y, len(X)))
    counts = confusion_counts(truth, net.predict(X), n_classes)
    width = max(5, len(str(counts.max())) + 1)
    lines = ["confusion matrix (rows: true class, columns: predicted class):"]
    lines.append("true\\pred" + "".join(f"{k:>{width}}" for k in range(n_classes)))
    for k, row in enumerate(counts):
        lines.append(f"{k:>9}" + "".join(f"{c:>{width}}" for c in row))
    return "\n".join(lines)


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

    positive_int("--examples", args.examples)
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



def _plot(args: argparse.Namespace) -> int:
    from . import plots

    kind = args.source.suffix.lower()
    if kind not in (".json", ".npz"):
        raise ValueError(f"{args.source}: must be a metrics .json (from 'deltaprop train --metrics') or a model .npz")
    drawing = "--weights" if args.weights else "--confusion" if args.confusion else None
    if kind == ".json" and drawing:
        raise ValueError(f"{drawing} draws a model (.npz); {args.source} is a metrics file")
    if kind == ".npz" and not drawing:
        raise ValueError(f"{args.source} is a model: say what to draw with --weights or --confusion")
    for option, used, allowed in (
        ("--gradients", args.gradients, kind == ".json"),
        ("--shape", args.shape, args.weights),
        ("--dataset", args.dataset, args.confusion),
        ("--target", args.target, args.confusion),
    ):
        if used is not None and not allowed:
            needs = "a metrics .json" if option == "--gradients" else "--weights" if option == "--shape" else "--confusion"
            raise ValueError(f"{option} goes with {needs} only")
    outputs = [("--out", args.out)] + ([("--gradients", args.gradients)] if args.gradients else [])
    for option, path in outputs:  # say so now, not after drawing the first picture
        if path.suffix.lower() not in plots.FORMATS:
            raise ValueError(f"{option} {path}: must end in {_either(plots.FORMATS)} (the suffix picks the format)")
        if not path.parent.is_dir():
            raise ValueError(f"{option} {path}: folder {path.parent} does not exist")
    if args.gradients is not None and args.gradients.resolve() == args.out.resolve():
        raise ValueError(f"--out and --gradients name the same file {args.out}")
    try:
        if kind == ".json":
            _plot_metrics(args)
        else:
            _plot_model(args)
    except ImportError as e:  # matplotlib missing: say which extra to install, in one line
        raise ValueError(str(e)) from None
    return 0


def _plot_metrics(args: argparse.Namespace) -> None:
    from . import plots
    from .metrics import read_history

    history = read_history(args.source)
    if args.gradients is not None:  # check both histories before writing either picture
        plots.gradient_norms(history)
    plots.learning_curves(history, args.out)
    print(f"learning curves saved to {args.out}")
    if args.gradients is not None:
        plots.gradient_norms(history, args.gradients)
        print(f"gradient norms saved to {args.gradients}")


def _plot_model(args: argparse.Namespace) -> None:
    import deltaprop as dp

    from . import plots

    net = dp.load(args.source)
    if args.weights:
        plots.weight_tiles(net, args.out, shape=args.shape)
        print(f"weight tiles saved to {args.out}")
        return
    dataset = args.dataset or "digits"
    _, (X_test, y_test) = dp.datasets.load(dataset, target=args.target)
    if X_test.shape[1] != net.sizes[0]:
        raise ValueError(f"{args.source} takes {net.sizes[0]} inputs but {dataset} has {X_test.shape[1]}")
    plots.confusion_matrix(net, X_test, y_test, path=args.out)
    print(f"confusion matrix saved to {args.out} ({len(X_test)} test examples of {dataset})")


def _export(args: argparse.Namespace) -> int:
    import deltaprop as dp

    from .export import export_onnx

    if args.out.suffix.lower() != ".onnx":  # before loading: never overwrite the model with a typo
        raise ValueError(f"{args.out}: the ONNX file must end in .onnx")
    net = dp.load(args.model)
    try:
        export_onnx(net, args.out, opset=args.opset)
    except ImportError as e:  # onnx missing: say which extra to install, in one line
        raise ValueError(str(e)) from None
    print(f"ONNX model saved to {args.out} (opset {args.opset}; input 'input', output 'probabilities')")
    return 0


def _explain(args: argparse.Namespace) -> int:
    import numpy as np

    import deltaprop as dp

    from .explain import default_example, explain

    if args.out is not None and not args.out.parent.is_dir():
        raise ValueError(f"--out {args.out}: folder {args.out.parent} does not exist")
    new_network = [f"--{name}" for name in ("sizes", "activation", "output", "cost") if getattr(args, name) is not None]
    if args.model is not None and new_network:
        raise ValueError(f"--model {args.model} brings its own network; leave out {', '.join(new_network)}")
    if args.index is not None and args.dataset is None:
        raise ValueError("--index picks a row of --dataset; give --dataset too")
    if args.dataset is not None and (args.input is not None or args.target is not None):
        raise ValueError("--input and --target give the example directly; leave them out with --dataset")
    x = y = None
    if args.dataset is not None:
        (X, labels), _ = dp.datasets.load(args.dataset)
        index = 0 if args.index is None else args.index
        if not 0 <= index < len(X):
            raise ValueError(f"--index {index} is out of range: {args.dataset} has {len(X)} training examples (0 to {len(X) - 1})")
        x, y = X[index], labels[index]
    if args.model is not None:
        net = dp.load(args.model)
    elif args.dataset is None:
        net = dp.Network(args.sizes or [3, 3, 1], activation=args.activation or "sigmoid", output=args.output or "sigmoid",
                         cost=args.cost or "cross_entropy", seed=args.seed)
    else:
        regression = labels.ndim == 2
        sizes = args.sizes or [X.shape[1], 100, labels.shape[1] if regression else int(labels.max()) + 1]
        net = dp.Network(sizes, activation=args.activation or "sigmoid", output=args.output or ("identity" if regression else "softmax"),
                         cost=args.cost or ("quadratic" if regression else "log_likelihood"), seed=args.seed)
    widths = ",".join(map(str, net.sizes))
    if x is not None and x.size != net.sizes[0]:
        raise ValueError(f"{args.model or '--sizes ' + widths} takes {net.sizes[0]} inputs but {args.dataset} has {x.size}")

    def numbers(option: str, text: str) -> np.ndarray:
        try:
            return np.array([float(part) for part in text.split(",")])
        except ValueError:
            raise ValueError(f"{option} must be comma-separated numbers like 0.5,-1,2; got {text!r}") from None

    if args.input is not None:
        x = numbers("--input", args.input)
        if x.size != net.sizes[0]:
            raise ValueError(f"--input must be {net.sizes[0]} comma-separated numbers, one per input of the network ({widths}); got {args.input!r}")
    if args.target is not None:
        y = numbers("--target", args.target)
        n_out = net.sizes[-1]
        if y.size == 1 and n_out > 1:
            y = y[0]  # a class label
        elif y.size != n_out:
            raise ValueError(f"--target must be one class label or {n_out} comma-separated numbers, one per output of the network ({widths}); got {args.target!r}")
    if x is None or y is None:
        default_x, default_y = default_example(net, args.seed)
        x = default_x if x is None else x
        y = default_y if y is None else y
    neuron = None
    if args.neuron is not None:
        try:
            neuron = tuple(int(part) for part in args.neuron.split(","))
        except ValueError:
            raise ValueError(f"--neuron must be LAYER,INDEX like 2,3; got {args.neuron!r}") from None
    explanation = explain(net, x, y, lr=args.lr, neuron=neuron, lang=args.lang)
    if args.format == "text" and args.out is None and sys.stdout.isatty():
        from rich.console import Console

        Console().print(explanation)  # colours, the terminal's width
        return 0
    text = getattr(explanation, f"to_{args.format}")() + ("\n" if args.format == "json" else "")
    if args.out is None:
        sys.stdout.write(text)
        return 0
    with atomic_write(args.out, "w") as f:
        f.write(text)
    print(f"explanation written to {args.out}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from .report import write_report

    try:
        path = write_report(args.source, args.out, metrics=args.metrics, dataset=args.dataset, target=args.target)
    except ImportError as e:  # matplotlib missing: say which extra to install, in one line
        raise ValueError(str(e)) from None
    print(f"report written to {path}")
    return 0
