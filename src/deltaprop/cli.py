"""The ``deltaprop`` command: argument parsing and reporting only, no maths.

Every user mistake ends as one line on stderr (``deltaprop: error: ...``) and exit status 2.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import math
import os
import re
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable
from dataclasses import asdict, replace
from pathlib import Path
from typing import NoReturn

from .atomic import atomic_write
from .datasets.images import SUFFIXES as IMAGE_SUFFIXES
from .validation import class_count, positive_int

__all__ = ["main"]

#: Variables that an MPI launcher (MPICH's or Intel's mpiexec, Open MPI's, srun --mpi=pmi2/pmix) sets in each process.
MPI_LAUNCHER_VARIABLES = ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK")
#: What ``deltaprop explain --format`` takes: each name is rendered by ``Explanation.to_<name>``.
EXPLAIN_FORMATS = ("text", "markdown", "html", "json")
#: Integer targets with at most this many distinct values are class labels; more are a quantity
#: to regress (iris, wine and breast cancer have 2 or 3; diabetes' 442 rows hold 214 values).
MAX_INTEGER_CLASSES = 20
#: The library's parameter names that ``deltaprop train`` passes from a flag, for messages.
_FLAGS = {name: "--" + name.replace("_", "-") for name in
          ("epochs", "batch_size", "lr", "l2", "l1", "dropout", "max_norm", "validation", "momentum", "weight_decay", "early_stopping")}


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


def _number(text: str, what: str, allowed: Callable[[float], bool]) -> float:
    """``text`` as a finite float that ``allowed`` accepts, or an argparse error naming ``what``."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and allowed(value)):
        raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}")
    return value


def _positive_float(text: str) -> float:
    return _number(text, "a finite number > 0", lambda v: v > 0)


def _non_negative_float(text: str) -> float:
    return _number(text, "a finite number ≥ 0", lambda v: v >= 0)


def _fraction(text: str) -> float:
    return _number(text, "a fraction in (0, 1), e.g. 0.2", lambda v: 0 < v < 1)


def _probability(text: str) -> float:
    return _number(text, "a number in [0, 1)", lambda v: 0 <= v < 1)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


def _image_size(text: str) -> tuple[int, int]:
    size = _positive_ints(text.lower().replace("x", ","))
    if len(size) != 2:
        raise argparse.ArgumentTypeError(f"must be WIDTHxHEIGHT, two positive integers like 28x28; got {text!r}")
    return size[0], size[1]


def _either(names: Iterable[str]) -> str:
    """Spell a list of names out for a help text: "a, b or c"."""
    *rest, last = names
    return f"{', '.join(rest)} or {last}" if rest else last


def _build_parser() -> _Parser:
    from . import __version__, plots
    from .activations import ACTIVATIONS
    from .costs import COSTS
    from .explain import LANGUAGES
    from .export import DEFAULT_OPSET
    from .network import INITIALIZERS, TASKS
    from .optimizers import OPTIMIZERS
    from .schedules import SCHEDULES
    from .training.checkpoint import METRICS_FILE

    parser = _Parser(prog="deltaprop", description="Train, check and inspect neural networks trained by backpropagation.")
    parser.add_argument("--version", action="version", version=f"deltaprop {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def network_options(p: argparse.ArgumentParser, activation: str | None, output: str | None, cost: str | None) -> None:
        by_task = "softmax and log_likelihood for classes, identity and quadratic for a regression"
        p.add_argument("--activation", choices=list(ACTIVATIONS), metavar="A", default=activation,
                       help=f"hidden-layer activation: {_either(ACTIVATIONS)} (default {activation or 'from the recipe'})")
        p.add_argument("--output", choices=list(ACTIVATIONS), metavar="A", default=output,
                       help=f"output activation, one of the same (default {output or by_task})")
        p.add_argument("--cost", choices=list(COSTS), metavar="C", default=cost, help=f"{_either(COSTS)} (default {cost or by_task})")
        p.add_argument("--seed", type=int, default=0, help="seed of the initial weights and the shuffles (default 0)")

    recipes = "digits: the generic recipe; fashion-mnist, mnist: their own; a .csv table: the tabular recipe"
    train = commands.add_parser(
        "train",
        help="train a network on a data set and report its test score",
        description="Train a network. Every flag left out comes from the data set's recipe (see the README): "
        f"{recipes}. 'deltaprop train --dataset fashion-mnist' alone reaches about 90 % test accuracy. "
        f"A table's target decides the task: strings, or integers with at most {MAX_INTEGER_CLASSES} distinct "
        "values, are classes; other numbers are a regression (--task overrides). Tables are standardised, "
        "and a regressor's targets too, on the training split; the model keeps that scaling.",
    )
    train.add_argument("--dataset", default="digits", metavar="NAME|PATH",
                       help="data set name, a .csv table, an .npz, a folder of IDX files or of one subfolder of images per class "
                       "(default digits; see 'deltaprop datasets')")
    train.add_argument("--target", metavar="COLUMN", help="for a CSV data set: the label column's name (default: the last column)")
    train.add_argument("--task", choices=TASKS, help=f"{_either(TASKS)} (default: decided from the target, and printed)")
    train.add_argument("--image-size", type=_image_size, metavar="WxH", help="for an image folder: resize every image to this (default: the first image's size)")
    train.add_argument("--color", choices=("grey", "rgb"), help="for an image folder: grey or rgb (default: as the first image)")
    widths = train.add_mutually_exclusive_group()
    widths.add_argument("--sizes", type=_sizes, help="all layer widths, e.g. 64,100,10 (input and output must fit the data)")
    widths.add_argument("--hidden", type=_widths, help="hidden widths only, e.g. 256,128; input and output come from the data (default: the recipe's)")
    network_options(train, None, None, None)
    recipe = " (default: the recipe's)"
    train.add_argument("--init", choices=sorted(INITIALIZERS), help=f"{_either(sorted(INITIALIZERS))}{recipe}")
    train.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="float32 or float64 (default float32)")
    train.add_argument("--epochs", type=_positive_int, help=f"passes over the training set (with early stopping: at most){recipe}")
    train.add_argument("--batch-size", type=_positive_int, help=f"examples per step{recipe}")
    train.add_argument("--optimizer", choices=list(OPTIMIZERS), help=f"the update rule: {_either(OPTIMIZERS)}{recipe}")
    train.add_argument("--lr", type=_positive_float, help="learning rate η, the base rate that --schedule scales (default: the recipe's, or the --optimizer's own)")
    train.add_argument("--momentum", type=_probability, help="momentum of --optimizer momentum or nesterov, in [0, 1) (default 0.9)")
    train.add_argument("--weight-decay", type=_non_negative_float, help="decoupled weight decay of --optimizer adamw (default 0.01)")
    train.add_argument("--schedule", choices=list(SCHEDULES), help=f"learning-rate schedule: {_either(SCHEDULES)}{recipe}")
    train.add_argument("--l2", type=_non_negative_float, help=f"L2 strength λ of λ/(2n)Σw²{recipe}")
    train.add_argument("--l1", type=_non_negative_float, default=0.0, help="L1 strength λ₁ of λ₁/n Σ|w| (default 0)")
    train.add_argument("--dropout", type=_probability, help=f"probability of dropping each hidden unit while training, in [0, 1){recipe}")
    train.add_argument("--max-norm", type=_positive_float, help="cap on the norm of each unit's incoming weights (default: none)")
    train.add_argument("--validation", type=_fraction, help="fraction of the training set held out for validation, e.g. 0.1 (default: the recipe's; tables 0.2, others none)")
    train.add_argument("--early-stopping", type=_positive_int, metavar="PATIENCE",
                       help="stop after this many epochs without a better validation cost, keeping the best weights "
                       "(needs --validation; default: the recipe's, tables 30, others none)")
    train.add_argument("--checkpoint", type=Path, metavar="DIR", help="write the run's state here after every epoch")
    train.add_argument("--resume", action="store_true", help="continue the run in --checkpoint DIR")
    train.add_argument("--out", type=Path, help="save the trained model here (.npz), with its scaling, class and feature names and provenance")
    train.add_argument("--metrics", type=Path, help="write the test score (test_accuracy or test_r2), timings and history here (JSON)")
    train.add_argument("--plot", type=Path, help=f"draw the learning curves here ({_either(plots.FORMATS)}; needs matplotlib)")
    train.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    train.add_argument("--reduction", choices=("fast", "exact"),
                       help="under 'mpiexec -n N': how the processes sum their gradients: fast (MPI Allreduce, equal to one "
                       "process to round-off; the default) or exact (a fixed order: the same weights, bit for bit, for any N)")

    evaluate = commands.add_parser("evaluate", help="report a saved model's score and cost on a data set's test split")
    evaluate.add_argument("model", type=Path)
    evaluate.add_argument("--dataset", metavar="NAME|PATH", help="data set name or path (default: the one the model records it was trained on)")
    evaluate.add_argument("--target", metavar="COLUMN", help="for a CSV data set: the label column's name (default: the model's, else the last column)")

    predict = commands.add_parser(
        "predict",
        help="print a saved model's prediction for each row of a .csv or .npy file, or for each image",
        description="Print a CSV with a header to stdout: a 'class' column (class names) for a classifier, "
        "'prediction' columns for a regressor; for images a 'file' column first. A .csv with a header row is matched "
        "to the model's feature names by column name (other columns, such as the label, are ignored); "
        "without a header its columns are the model's inputs in order.",
    )
    predict.add_argument("model", type=Path)
    predict.add_argument("inputs", type=Path, nargs="+", metavar="INPUT",
                         help="a .csv (header row optional) or .npy, one example per row; or, for a model trained on images, "
                         f"image files ({', '.join(IMAGE_SUFFIXES)}) or folders of them")
    predict.add_argument("--proba", action="store_true", help="add one probability column per class, named by the class")

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
    plot.add_argument("--dataset", metavar="NAME|PATH", help="with --confusion: data set name or path (default: the model's, else digits)")
    plot.add_argument("--target", metavar="COLUMN", help="with --confusion and a CSV data set: the label column's name")

    export = commands.add_parser("export", help="write a saved model as an ONNX graph that computes predict_proba")
    export.add_argument("model", type=Path, metavar="MODEL", help="a model saved by deltaprop (.npz)")
    export.add_argument("out", type=Path, metavar="OUT.onnx", help="the ONNX file to write")
    export.add_argument("--opset", type=int, default=DEFAULT_OPSET, metavar="N", help=f"ONNX operator-set version (default {DEFAULT_OPSET})")

    explain = commands.add_parser(
        "explain",
        help="one forward and one backward pass on one example: every z, a, δ and gradient with its equation",
        description="Explain backpropagation step by step. By default the network of Ng's course notes (3 inputs, sigmoid units, "
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
    explain.add_argument("--derive", action="store_true",
                         help="also show why the equations hold: the chain-rule proofs of BP1-BP4 with the numbers, Ng's chain, "
                         "the path sum of a weight and the multiplications that caching delta saves")
    explain.add_argument("--weight", metavar="L,J,K", help="with --derive: the weight w^l_jk derived, e.g. 3,1,2 (default 2,1,1, the first layer's first weight)")

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

    playground = commands.add_parser(
        "playground",
        help="a web page on 127.0.0.1 that trains a network live: heat-maps, decision surface, costs, δ and the equations of any neuron",
        description="Serve the playground: one self-contained page, training run here through the Trainer. Prints the URL as "
        "the first line and opens the browser (unless --no-browser). Ctrl-C stops it.",
    )
    playground.add_argument("--dataset", default="xor", metavar="xor|moons|circles|spirals|FILE.csv",
                            help="the data set to start with (default xor); a CSV file is also offered in the page as 'csv'")
    playground.add_argument("--port", type=int, default=8000, metavar="N", help="the port (default 8000; 0 picks a free one)")
    playground.add_argument("--host", default="127.0.0.1", metavar="H",
                            help="the address to listen on (default 127.0.0.1, this machine only); another one lets other machines in")
    playground.add_argument("--no-browser", action="store_true", help="do not open a browser")
    return parser


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: object = None, line: object = None) -> None:
    """A warning as the command line shows it: one line on stderr, no source location."""
    print(f"deltaprop: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status.

    With no arguments at all it prints the commands (the full ``--help``) and returns 0: asking
    what the tool does is not a mistake.
    """
    parser = _build_parser()
    if not (sys.argv[1:] if argv is None else argv):
        parser.print_help()
        return 0
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error already printed as one line
        return e.code if isinstance(e.code, int) else 0
    try:
        status = _run(args)
    except BaseException:  # a bug: its traceback, and under MPI the end of the whole job
        if args.command == "train":
            traceback.print_exc()
            _end_mpi_job(1)
        raise
    if status and args.command == "train":
        _end_mpi_job(status)
    return status


def _run(args: argparse.Namespace) -> int:
    """Run the parsed command; turn the user's mistakes into one line and exit status 2."""
    command = {"train": _train, "evaluate": _evaluate, "predict": _predict, "gradcheck": _gradcheck, "datasets": _datasets, "plot": _plot, "export": _export, "explain": _explain, "report": _report, "playground": _playground}[args.command]
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return command(args)
    except BrokenPipeError:  # e.g. `deltaprop predict ... | head`: the reader has gone
        sys.stderr.close()
        return 0
    except MemoryError:
        print("deltaprop: error: not enough memory for this network or data set", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError) as e:
        print(f"deltaprop: error{_which_process()}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("deltaprop: interrupted", file=sys.stderr)
        return 130


def _which_process() -> str:
    """`` (rank r of N)`` in a process of an MPI job of several other than rank 0, else nothing."""
    MPI = sys.modules.get("mpi4py.MPI")
    if MPI is None or not MPI.Is_initialized() or MPI.Is_finalized() or MPI.COMM_WORLD.Get_size() == 1:
        return ""
    rank = MPI.COMM_WORLD.Get_rank()
    return f" (rank {rank} of {MPI.COMM_WORLD.Get_size()})" if rank else ""


def _silent(*args: object, **kwargs: object) -> None:
    """``print`` for the processes of an MPI job other than rank 0, which report nothing."""


def _mpi_world(reduction: str | None) -> object:
    """The MPI communicator to train with: ``COMM_WORLD`` when an MPI launcher started this
    process or ``--reduction`` was given (alone, a world of one process), else None (and mpi4py
    is not imported)."""
    if reduction is None and not any(v in os.environ for v in MPI_LAUNCHER_VARIABLES):
        return None
    if importlib.util.find_spec("mpi4py") is None:
        why = "--reduction needs" if reduction else "this process was started by an MPI launcher; training with the other processes needs"
        raise ValueError(f"{why} mpi4py: pip install 'deltaprop[mpi]'")
    from mpi4py import MPI

    return MPI.COMM_WORLD


def _end_mpi_job(status: int) -> None:
    """After a failed ``train`` in one process of an MPI job of several, end the whole job with
    ``status`` rather than leave the other processes waiting for this one."""
    MPI = sys.modules.get("mpi4py.MPI")
    if MPI is not None and MPI.Is_initialized() and not MPI.Is_finalized() and MPI.COMM_WORLD.Get_size() > 1:
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(status)


def _train(args: argparse.Namespace) -> int:
    import deltaprop as dp

    from . import __version__
    from .metrics import r2_score, write_metrics
    from .optimizers import OPTIMIZERS, get_optimizer
    from .scaling import Scaling
    from .schedules import get_schedule
    from .training.checkpoint import CHECKPOINT_FILE, METRICS_FILE, FolderLock
    from .training.recipes import recipe_for

    comm = _mpi_world(args.reduction)
    ranks, root = (1, True) if comm is None else (comm.Get_size(), comm.Get_rank() == 0)
    say = print if root else _silent  # rank 0 alone reports and writes files
    recipe = recipe_for(args.dataset)
    given = {key: getattr(args, key) for key in vars(recipe) if getattr(args, key) is not None}
    if args.optimizer not in (None, recipe.optimizer) and args.lr is None:  # the recipe's η belongs to its optimizer
        given["lr"] = OPTIMIZERS[args.optimizer]().lr
    setting = replace(recipe, **given)
    if setting.early_stopping is not None and setting.validation is None:
        raise ValueError("--early-stopping needs --validation FRACTION, the part of the training set it watches")
    extra = _optimizer_extras(args, setting.optimizer)
    _check_outputs(args)
    if args.resume and args.checkpoint is None:
        raise ValueError("--resume needs --checkpoint DIR, the folder of the run to continue")
    if args.checkpoint is not None and root and not args.checkpoint.is_file():  # another run there: say so now, before reading the data
        probe = FolderLock(args.checkpoint)
        probe.acquire()
        probe.release()
    if args.checkpoint is not None and not args.resume and (args.checkpoint / CHECKPOINT_FILE).exists():
        raise ValueError(f"--checkpoint {args.checkpoint} already holds a run: add --resume to continue it, or choose another folder")
    if args.resume and not (args.checkpoint / CHECKPOINT_FILE).exists():
        say(f"{args.checkpoint} holds no checkpoint yet: starting the run from epoch 1", file=sys.stderr)
    if (args.image_size or args.color) and not Path(args.dataset).is_dir():
        raise ValueError(f"--image-size and --color go with a folder of images; --dataset {args.dataset} is not a folder")
    data = _read_data(args.dataset, args.target, args.image_size, args.color, mmap=comm is not None)  # each process reads its rows
    task, y_train, y_test, classes, why = _decide_task(data, args.task)
    say(f"task: {task} ({why})")
    X_train, X_test = data.train[0], data.test[0]
    regression = task == "regression"
    n_out = y_train.shape[1] if regression else len(classes)
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
    table = str(args.dataset).lower().endswith(".csv")
    net.task, net.classes, net.feature_names = task, classes, data.feature_names
    net.input_scaling = data.input_scaling if data.input_scaling is not None else Scaling.standardize(X_train) if table else None
    net.target_scaling = Scaling.standardize(y_train) if regression else None
    try:
        net.check_metadata()
    except ValueError as e:
        raise ValueError(f"--task {task} with --output {output}: {e}") from None
    optimizer = get_optimizer(setting.optimizer, lr=setting.lr, **extra)
    epochs = positive_int("--epochs", setting.epochs)
    schedule = get_schedule(setting.schedule, epochs)
    settings = {**asdict(setting), "output": output, "cost": cost, "seed": args.seed, "dtype": args.dtype, "l1": args.l1,
                "max_norm": args.max_norm, "task": task, **extra}
    net.provenance = {"dataset": _dataset_reference(args.dataset), "target": args.target, "test_fraction": 0.2, "split_seed": 0,
                      **_image_provenance(data), "settings": settings, "deltaprop_version": __version__}
    start = time.perf_counter()
    try:
        history = dp.fit(
            net, X_train, y_train, epochs=epochs, batch_size=setting.batch_size, optimizer=optimizer, l2=setting.l2,
            validation=setting.validation, seed=args.seed, progress=not args.quiet, l1=args.l1, dropout=setting.dropout,
            max_norm=args.max_norm, schedule=schedule, early_stopping=setting.early_stopping, checkpoint=args.checkpoint,
            resume=args.resume, comm=comm, reduction=args.reduction or "fast",
        )
    except dp.TrainingDiverged:
        raise
    except ValueError as e:  # the library names its parameters; the user gave flags
        raise ValueError(_flag_names(str(e))) from None
    seconds = time.perf_counter() - start
    if not root:
        return 0
    if history.stopped == "interrupted":
        print(f"interrupted in epoch {history.epochs + 1}: the model keeps the weights it had then", file=sys.stderr)
    test_accuracy = net.accuracy(X_test, y_test) if not regression else None
    test_r2 = r2_score(y_test, net.predict(X_test)) if regression else None
    test_cost = net.cost(X_test, y_test)
    result = f"test accuracy: {test_accuracy:.4f}" if not regression else f"test R²: {test_r2:.4f}"
    lines = [f"{result} (cost {test_cost:.6g}; {len(X_test)} examples of {args.dataset}, {history.epochs} epochs, {seconds:.1f}s)",
             f"settings: {_describe_settings(setting, net, args, extra)}"]
    if comm is not None:
        lines.append(f"data parallel: {ranks} process{'es' if ranks > 1 else ''} (MPI), global batch {setting.batch_size}, "
                     f"{args.reduction or 'fast'} reduction")
    if history.best_epoch is not None:
        how = (f"stopped after epoch {history.epochs}, {setting.early_stopping} epochs without a better validation cost"
               if history.stopped == "early stopping" else f"ran all {history.epochs} epochs")
        lines.append(f"early stopping: {how}; best epoch {history.best_epoch} (validation cost "
                     f"{history.val_cost[history.best_epoch - 1]:.6g}), whose weights the model keeps")
    scores = {"test_accuracy": test_accuracy, "test_r2": test_r2, "test_cost": test_cost}
    net.provenance["scores"] = {k: v for k, v in scores.items() if v is not None}
    # every file first, then the report: a reader that leaves early (`| head`) loses no file
    if args.out:
        lines.append(f"model saved to {dp.save(net, args.out)}")
    metrics = {
        "task": task,
        **scores,
        "train_seconds": seconds,
        "epochs": history.epochs,
        "best_epoch": history.best_epoch,
        "ranks": ranks,
        "reduction": None if comm is None else args.reduction or "fast",
        "dataset": args.dataset,
        "classes": classes,
        "sizes": net.sizes,
        "activations": [a.name for a in net.activations],
        "cost": net.cost_function.name,
        "optimizer": {"name": setting.optimizer, "lr": setting.lr, **extra},
        "settings": settings,
        "batch_size": setting.batch_size,
        "l2": setting.l2,
        "seed": args.seed,
        "history": history.to_dict(),
    }
    # a checkpoint folder is a run folder: its metrics beside the model feed 'deltaprop report'
    for path in [p for p in (args.metrics, args.checkpoint and args.checkpoint / METRICS_FILE) if p]:
        write_metrics(path, metrics)
    if args.plot:
        from . import plots

        plots.learning_curves(history, args.plot)
        lines.append(f"learning curves saved to {args.plot}")
    print("\n".join(lines))
    return 0 if history.stopped != "interrupted" else 130


def _optimizer_extras(args: argparse.Namespace, optimizer: str) -> dict[str, float]:
    """``--momentum`` and ``--weight-decay`` as the optimizer's keywords, or a ValueError that
    names the flag and the optimizers that take it."""
    import inspect

    from .optimizers import OPTIMIZERS

    extra = {k: v for k, v in (("momentum", args.momentum), ("weight_decay", args.weight_decay)) if v is not None}
    for key in extra:
        if key not in inspect.signature(OPTIMIZERS[optimizer]).parameters:
            takers = [name for name, make in OPTIMIZERS.items() if key in inspect.signature(make).parameters]
            raise ValueError(f"{_FLAGS[key]} goes with --optimizer {_either(takers)}; the optimizer is {optimizer}")
    return extra


def _check_outputs(args: argparse.Namespace) -> None:
    """Check, before any training, that ``--out``, ``--metrics`` and ``--plot`` can be written
    and that --plot's extra is installed."""
    from . import plots

    outputs = [(option, path) for option, path in (("--out", args.out), ("--metrics", args.metrics), ("--plot", args.plot)) if path is not None]
    for option, path in outputs:
        if path.is_dir():
            raise ValueError(f"{option} {path}: is a folder; give a file name")
        if not path.parent.is_dir():
            raise ValueError(f"{option} {path}: folder {path.parent} does not exist")
        if not os.access(path.parent, os.W_OK):
            raise ValueError(f"{option} {path}: folder {path.parent} is not writable")
    for i, (option, path) in enumerate(outputs):
        for other, other_path in outputs[i + 1:]:
            if path.resolve() == other_path.resolve():
                raise ValueError(f"{option} and {other} name the same file {path}")
    if args.plot is not None:
        if args.plot.suffix.lower() not in plots.FORMATS:
            raise ValueError(f"--plot {args.plot}: must end in {_either(plots.FORMATS)} (the suffix picks the format)")
        if importlib.util.find_spec("matplotlib") is None:
            raise ValueError("--plot needs matplotlib: pip install 'deltaprop[plot]'")


def _flag_names(message: str) -> str:
    """``message`` with a leading library parameter name (``lr``) spelled as its flag (``--lr``)."""
    return re.sub(r"^(\w+)\b", lambda m: _FLAGS.get(m[1], m[1]), message)


def _read_data(dataset: str, target: str | None, image_size: tuple[int, int] | None = None, color: str | None = None,
               mmap: bool = False) -> object:
    """``datasets.read`` of ``dataset``; image options only where given; a missing extra
    (scikit-learn, Pillow) as a one-line ValueError. ``mmap``: map uncompressed IDX files."""
    import deltaprop as dp

    images = {k: v for k, v in (("image_size", image_size), ("color", color)) if v is not None}
    if images and importlib.util.find_spec("deltaprop.datasets.images") is None:
        raise ValueError(f"{' and '.join('--' + k.replace('_', '-') for k in images)}: this deltaprop cannot read image folders")
    try:
        return dp.datasets.read(dataset, target=target, **images, **({"mmap": True} if mmap else {}))
    except ImportError as e:
        raise ValueError(str(e)) from None


def _decide_task(data: object, forced: str | None) -> tuple[str, object, object, list[str] | None, str]:
    """Classification or regression, from the target unless ``forced`` (``--task``).

    Strings and named classes are classes; numbers that are not all whole are a regression;
    integers are classes when they take at most :data:`MAX_INTEGER_CLASSES` distinct values,
    numbered 0…k−1 in sorted order and named by their values, else a regression.

    Returns
    -------
    task, y_train, y_test, classes, why
        The labels as codes 0…k−1 (classification) or float targets (n, k) (regression), the
        class names (``None`` for a regression) and the reason, for the user.
    """
    import numpy as np

    (_, y_train), (_, y_test) = data.train, data.test
    overrides = "; --task overrides"
    if y_train.ndim == 2:
        if forced == "classification":
            raise ValueError(f"--task classification needs class labels; the target of {data.name} holds numbers that are not all whole")
        return "regression", y_train, y_test, None, "the target holds numbers that are not all whole" + ("" if forced else overrides)
    if data.classes is not None:
        if forced == "regression":
            raise ValueError(f"--task regression needs numbers; the target of {data.name} holds class names")
        classes, why = list(data.classes), f"the target holds {len(data.classes)} named classes"
    else:
        values = np.unique(np.concatenate([y_train, y_test]))
        if forced == "regression" or (forced is None and len(values) > MAX_INTEGER_CLASSES):
            why = "--task regression" if forced else f"the target holds {len(values)} distinct integers, more than {MAX_INTEGER_CLASSES}{overrides}"
            return "regression", y_train.astype(np.float32)[:, None], y_test.astype(np.float32)[:, None], None, why
        y_train, y_test = np.searchsorted(values, y_train), np.searchsorted(values, y_test)
        classes = [str(v) for v in values]
        why = f"the target holds {len(values)} distinct integers, at most {MAX_INTEGER_CLASSES}"
    if len(classes) < 2:
        raise ValueError(f"the target of {data.name} holds a single class ({classes[0]!r}): there is nothing to tell apart")
    return "classification", y_train, y_test, classes, "--task classification" if forced else why + overrides


def _dataset_reference(dataset: str) -> str:
    """What a model records as its data set: a name as it is, a path made absolute."""
    from .datasets import DATASETS, SYNTHETIC

    return dataset if dataset in DATASETS or dataset in SYNTHETIC else str(Path(dataset).resolve())


def _image_provenance(data: object) -> dict[str, object]:
    """For 8-bit images (pixels divided by 255): ``image_size`` [width, height] and ``color``,
    what ``deltaprop predict`` needs to read image files for the model; else nothing."""
    import numpy as np

    scaling = data.input_scaling
    if data.image_shape is None or scaling is None or not np.all(scaling.scale == 255):
        return {}
    height, width, *channels = data.image_shape
    return {"image_size": [width, height], "color": "rgb" if channels == [3] else "grey"}


def _describe_settings(setting: object, net: object, args: argparse.Namespace, extra: dict[str, float]) -> str:
    """Every setting of the run, spelled as the flags that give it."""
    flags = {"output": net.activations[-1].name, "cost": net.cost_function.name, "seed": args.seed, "dtype": args.dtype,
             "l1": args.l1, "max_norm": args.max_norm, **extra, "task": net.task}
    rest = "  ".join(f"--{k.replace('_', '-')} {v}" for k, v in flags.items() if v is not None)
    return f"{setting.describe(net.sizes[0], net.sizes[-1])}  {rest}"


def _evaluation_data(net: object, model: Path, dataset: str | None, target: str | None) -> tuple[str, object, object]:
    """The test split ``evaluate`` measures on: ``--dataset``, else the one ``net`` records.

    Returns ``(dataset, X, y)`` with X in the units ``net`` takes (raw when it carries its
    own input scaling) and y as ``net`` takes it (class names when it has them).
    """
    from .evaluation import data_for

    provenance = net.provenance or {}
    if dataset is None:
        dataset = provenance.get("dataset")
        if not isinstance(dataset, str):
            raise ValueError(f"{model} records no data set (it predates model format 2 or was saved by the library); give --dataset NAME|PATH")
        target = target or provenance.get("target")
    images = {}
    path = Path(dataset)
    if path.is_dir() and any(p.is_dir() for p in path.iterdir()) and "image_size" in provenance:  # an image folder
        images = {"image_size": tuple(provenance["image_size"]), "color": provenance.get("color")}
    try:
        _, _, (X, y) = data_for(net, dataset, target if str(dataset).lower().endswith(".csv") else None, **images)
    except ImportError as e:
        raise ValueError(str(e)) from None
    except ValueError as e:
        raise ValueError(f"{model}: {e}") from None
    return dataset, X, y


def _evaluate(args: argparse.Namespace) -> int:
    import deltaprop as dp

    from .metrics import r2_score

    net = dp.load(args.model)
    dataset, X_test, y_test = _evaluation_data(net, args.model, args.dataset, args.target)
    print(f"dataset: {dataset}")
    if net.is_classifier:
        print(f"accuracy: {net.accuracy(X_test, y_test):.4f}")
    else:
        print(f"R²: {r2_score(y_test, net.predict(X_test)):.4f}")
    print(f"cost: {net.cost(X_test, y_test):.6f}")
    print(f"examples: {len(X_test)}")
    if net.is_classifier:
        print(_confusion_table(net, X_test, y_test))
    return 0


def _confusion_table(net: object, X: object, y: object) -> str:
    """The confusion matrix as text: a row per true class (number and name), a column per
    predicted class (by number)."""
    from .network import class_labels
    from .plots import confusion_counts

    n_classes = max(2, net.sizes[-1])
    truth = class_labels(net.targets(y, len(X)))
    counts = confusion_counts(truth, class_labels(net.predict_proba(X)), n_classes)
    names = net.classes or [str(k) for k in range(n_classes)]
    labels = [str(k) if name == str(k) else f"{k} {name}" for k, name in enumerate(names)]
    first = max(9, *map(len, labels))
    width = max(5, len(str(counts.max())) + 1)
    lines = ["confusion matrix (rows: true class, columns: predicted class):"]
    corner = "true\\pred"
    lines.append(f"{corner:<{first}}" + "".join(f"{k:>{width}}" for k in range(n_classes)))
    for label, row in zip(labels, counts):
        lines.append(f"{label:<{first}}" + "".join(f"{c:>{width}}" for c in row))
    return "\n".join(lines)


def _predict(args: argparse.Namespace) -> int:
    import numpy as np

    import deltaprop as dp

    from .archive import read_npy

    net = dp.load(args.model)
    if args.proba and not net.is_classifier:
        raise ValueError(f"--proba needs a classifier; {args.model} is a regressor")
    for path in args.inputs:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such input file")
    tables = [p for p in args.inputs if p.suffix.lower() in (".npy", ".csv")]
    if tables and len(args.inputs) > 1:
        raise ValueError(f"{tables[0]}: give one .csv or .npy file, or image files and folders")
    files = None
    if tables:
        X = read_npy(tables[0], "input") if tables[0].suffix.lower() == ".npy" else _read_csv_input(tables[0], net)
    elif all(p.is_dir() or p.suffix.lower() in IMAGE_SUFFIXES for p in args.inputs):
        files, X = _read_image_inputs(args.inputs, net, args.model)
    else:
        bad = next(p for p in args.inputs if not (p.is_dir() or p.suffix.lower() in IMAGE_SUFFIXES))
        raise ValueError(f"{bad}: input must be a .npy or .csv file, or image files ({', '.join(IMAGE_SUFFIXES)}) or folders of them")
    predictions = net.predict(X)
    out = csv.writer(sys.stdout, lineterminator="\n")
    if net.is_classifier:
        header = ["class"]
        columns = [[str(c) for c in predictions]]
        if args.proba:
            proba = net.predict_proba(X)
            if proba.shape[1] == 1:  # one sigmoid output: P(class 1)
                proba = np.hstack([1 - proba, proba])
            header += net.classes or [str(k) for k in range(proba.shape[1])]
            columns += [[f"{p:.6g}" for p in column] for column in proba.T]
    else:
        k = predictions.shape[1]
        header = ["prediction"] if k == 1 else [f"prediction_{i + 1}" for i in range(k)]
        columns = [[f"{v:.6g}" for v in column] for column in predictions.T]
    if files is not None:
        header, columns = ["file", *header], [[str(f) for f in files], *columns]
    out.writerow(header)
    out.writerows(zip(*columns))
    return 0


def _read_csv_input(path: Path, net: object) -> object:
    """The rows of a CSV for ``net``: with a header row, its columns matched to the model's
    feature names by name (any order; other columns ignored), or, for a model without them,
    all columns, or all but the last when there is one more (the label); without a header,
    every column in order."""
    import numpy as np

    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [(line, row) for line, row in enumerate(csv.reader(f), start=1) if any(field.strip() for field in row)]
    if not rows:
        raise ValueError(f"{path}: not a CSV of numbers (the file is empty)")
    columns = None
    if not all(_is_number(field) for field in rows[0][1]):
        header, rows = [name.strip() for name in rows[0][1]], rows[1:]
        columns = _matched_columns(path, header, net)
        if not rows:
            raise ValueError(f"{path}: has a header row but no data rows")
    width = len(rows[0][1])
    X = np.empty((len(rows), width if columns is None else len(columns)))
    for i, (line, row) in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"{path}: row {line} has {len(row)} fields, the rows above {width}")
        fields = row if columns is None else [row[j] for j in columns]
        try:
            X[i] = [float(field) for field in fields]
        except ValueError:
            bad = next(field for field in fields if not _is_number(field))
            raise ValueError(f"{path}: row {line} holds {bad.strip()!r}, not a number") from None
    return X


def _matched_columns(path: Path, header: list[str], net: object) -> list[int]:
    """The positions in ``header`` of the model's inputs, in the model's order."""
    names = net.feature_names
    if names is None:
        n_in = net.sizes[0]
        if len(header) in (n_in, n_in + 1):
            return list(range(n_in))
        raise ValueError(f"{path}: has {len(header)} columns; the model takes {n_in} inputs (and has no feature names to match)")
    missing = [name for name in names if name not in header]
    if missing:
        shown = ", ".join(map(repr, missing[:5])) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise ValueError(f"{path}: lacks the column(s) {shown} that the model takes (its features: {', '.join(names[:8])}{', ...' if len(names) > 8 else ''})")
    repeated = next((name for name in names if header.count(name) > 1), None)
    if repeated is not None:
        raise ValueError(f"{path}: column {repeated!r} appears {header.count(repeated)} times in the header")
    return [header.index(name) for name in names]


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _read_image_inputs(paths: list[Path], net: object, model: Path) -> tuple[list[Path], object]:
    """The image files named or found in ``paths``, read at the model's size and colour."""
    provenance = net.provenance or {}
    if "image_size" not in provenance:
        raise ValueError(f"{model} was not trained on 8-bit images (it records no image size); give a .csv or .npy file")
    if importlib.util.find_spec("deltaprop.datasets.images") is None:
        raise ValueError("this deltaprop cannot read image files")
    from .datasets.images import image_files, read_images

    try:
        files = [f for path in paths for f in image_files(path)]
        if not files:
            raise ValueError(f"{', '.join(map(str, paths))}: holds no image files")
        return files, read_images(files, size=tuple(provenance["image_size"]), color=provenance.get("color", "grey"))
    except ImportError as e:
        raise ValueError(str(e)) from None


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
    recorded = isinstance((net.provenance or {}).get("dataset"), str)
    dataset, X_test, y_test = _evaluation_data(net, args.source, args.dataset or (None if recorded else "digits"), args.target)
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
        sizes = args.sizes or [X.shape[1], 100, labels.shape[1] if regression else class_count(f"the labels of {args.dataset}", labels)]
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
    weight = None
    if args.weight is not None:
        if not args.derive:
            raise ValueError("--weight picks the weight of the derivation; give --derive too")
        try:
            weight = tuple(int(part) for part in args.weight.split(","))
        except ValueError:
            raise ValueError(f"--weight must be L,J,K like 2,1,1; got {args.weight!r}") from None
    explanation = explain(net, x, y, lr=args.lr, neuron=neuron, lang=args.lang, derive=args.derive, weight=weight)
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


def _playground(args: argparse.Namespace) -> int:
    import webbrowser

    from .playground import PlaygroundServer, Session, Settings
    from .playground.settings import CSV

    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be from 0 to 65535; got {args.port}")
    table = None if args.dataset in ("xor", "moons", "circles", "spirals") else Path(args.dataset)
    if table is not None and not (table.suffix.lower() == ".csv" and table.is_file()):
        raise ValueError(f"--dataset must be xor, moons, circles, spirals or an existing .csv file; got {args.dataset!r}")
    session = Session(table) if table is not None else Session(settings=Settings(dataset=args.dataset, **_PLAYGROUND_OUTPUTS.get(args.dataset, {})))
    try:
        server = PlaygroundServer(session, args.host, args.port)
    except OSError as e:
        session.close()
        raise OSError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        warnings.warn(f"the playground listens on {args.host}: other machines that reach it can drive it; "
                      "use the default 127.0.0.1 to keep it to this machine")
    print(f"training a {'-'.join(map(str, session.snapshot.net.sizes))} network on {session.settings.dataset if session.settings.dataset != CSV else table.name}; "
          "Ctrl-C stops the server", file=sys.stderr, flush=True)
    print(server.url, flush=True)
    if not args.no_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


#: The output and cost ``deltaprop playground`` starts a generated set with (the spirals have three arms by default).
_PLAYGROUND_OUTPUTS = {"spirals": {"output": "softmax", "cost": "log_likelihood"}}
