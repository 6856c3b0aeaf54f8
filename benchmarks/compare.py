#!/usr/bin/env python
"""Side-by-side training speed: deltaprop vs PyTorch (CPU) vs scikit-learn, the GEMM floor, and per-example training.

Trains the same 784-100-10 network (hidden sigmoid or ReLU, softmax output, log-likelihood /
cross-entropy loss, plain SGD, float32, same learning rate) on Fashion-MNIST with

* ``deltaprop``      — ``dp.Network`` + ``dp.fit(..., progress=False)``, timed as a user waits for
                       it: the wall time of each epoch of the ``fit`` call (steps, the epoch's
                       measurements and callbacks); the steps alone (``History.seconds``) are
                       reported beside it;
* ``deltaprop-numpy`` — the same without the compiled step (as without the ``fast`` extra), at
                       batch ≤ 32 where the compiled step serves;
* ``deltaprop-auto`` — the same with ``threads="auto"`` (BLAS threads measured on the first
                       steps), in the rows with one competing process only;
* ``torch``          — PyTorch, the fastest plain loop: pre-loaded tensors, ``torch.randperm``,
                       no DataLoader;
* ``torch-dataloader`` — PyTorch with the usual ``TensorDataset`` + ``DataLoader(shuffle=True)``;
* ``sklearn``        — ``MLPClassifier(solver="sgd", momentum=0, ...)``, at batch 128 only;
* ``gemm-floor``     — the five matrix products of one training step × steps per epoch;
* ``deltaprop-per-example`` — seed 002's teaching form: each mini-batch's gradients from
                       ``dp.backprop_per_example``, one example at a time;
* ``nielsen``        — a per-example trainer written here in the style of Nielsen's
                       ``network.py`` (column vectors, ``nabla_b``/``nabla_w`` summed over the
                       mini-batch), with a softmax + log-likelihood output.

The two per-example systems run at batch 10 with the sigmoid only, on the first
``--per-example-rows`` training examples (6000 by default); their s/epoch is extrapolated to
60 000 rows.

With ``--load`` (on by default at batch 128 and 1024), deltaprop and the plain PyTorch loop run once
more each with one other CPU-bound process on the machine (a Python busy loop started just before
the child and killed after it): the rows marked "+ 1 competing process".

Every system/configuration runs in its own child process (this script re-invoked with the
hidden ``--worker`` flag; the child prints one JSON line), systems alternate within each round,
and the whole schedule repeats for several rounds. Each child gets 2 BLAS/OpenMP threads
(``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``; PyTorch also
``torch.set_num_threads``).

PyTorch and scikit-learn are benchmark extras, never deltaprop runtime dependencies.

Usage::

    python benchmarks/compare.py [--rounds R] [--epochs E] [--batch-sizes 10,128,1024]
                                 [--activations sigmoid,relu] [--lr 0.1] [--threads 2]
                                 [--per-example-rows 6000] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from importlib import metadata

import numpy as np

from deltaprop.training.compiled import MAX_BATCH as COMPILED_MAX_BATCH  # a light module: NumPy only

HIDDEN = 100
SIZES = [784, HIDDEN, 10]
N_TRAIN = 60_000  # Fashion-MNIST training examples
SYSTEMS = ("deltaprop", "deltaprop-numpy", "torch", "torch-dataloader", "sklearn", "deltaprop-per-example", "nielsen")

#: Systems that also run beside one competing CPU-bound process, and at which batch sizes
#: (deltaprop-auto: deltaprop with threads="auto", which measures the BLAS threads; it runs there only).
LOAD_SYSTEMS = ("deltaprop", "deltaprop-auto", "torch")
LOAD_BATCHES = (128, 1024)
LOADED = " + 1 competing process"
SKLEARN_BATCHES = (128,)
#: Systems that learn one example at a time: only at this (batch, activation), on a subset of rows.
PER_EXAMPLE_SYSTEMS = ("deltaprop-per-example", "nielsen")
PER_EXAMPLE_CONFIG = (10, "sigmoid")

#: The targets: batch → (deltaprop's fit epoch faster than PyTorch's by ≥, fit epoch / GEMM floor ≤).
TARGETS = {10: (4.0, 1.5), 128: (1.5, 1.4), 1024: (1.3, 1.4)}
#: With one competing process: deltaprop still ≥ this many times faster than PyTorch (batch 128, 1024).
LOAD_TARGET = 1.2
SKLEARN_TARGET = 1.3  # deltaprop ≥ 1.3× faster than MLPClassifier(sgd) at batch 128
MEMORY_TARGET_MB = 40.0  # training peak ≤ 40 MB above the float32 data set
IMPORT_TARGET_S = 0.15
HELP_TARGET_S = 0.30

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
KEPT_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

MB = 1024.0 * 1024.0


# --------------------------------------------------------------------------------------------
# Memory helpers (Linux)
# --------------------------------------------------------------------------------------------


def _status_kb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset VmHWM (peak RSS) to the current RSS; Linux ≥ 4.0. Return whether it worked."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float:
    """Peak RSS of this process over its whole life (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _TrainingMemory:
    """RSS just before training, and the peak during training (VmHWM reset before it starts)."""

    def __enter__(self) -> _TrainingMemory:
        self.reset = _reset_peak_rss()
        self.before_kb = _status_kb("VmRSS")
        return self

    def __exit__(self, *exc: object) -> None:
        self.peak_kb = _status_kb("VmHWM") if self.reset else None

    def extra_mb(self) -> float | None:
        if self.peak_kb is None or self.before_kb is None:
            return None
        return (self.peak_kb - self.before_kb) / 1024.0


# --------------------------------------------------------------------------------------------
# Workers (each runs in its own process)
# --------------------------------------------------------------------------------------------


def _load_data():
    import deltaprop as dp

    (X, y), (Xt, yt) = dp.datasets.load("fashion-mnist", download=False)
    X = np.ascontiguousarray(X, dtype=np.float32)
    Xt = np.ascontiguousarray(Xt, dtype=np.float32)
    return X, np.asarray(y, dtype=np.int64), Xt, np.asarray(yt, dtype=np.int64)


def _init_params(activation: str):
    """deltaprop's own initial weights (seed 0), to give every system the same start."""
    import deltaprop as dp

    net = dp.Network(SIZES, activation=activation, output="softmax", cost="log_likelihood", seed=0)
    return net


def worker_deltaprop_numpy(args) -> dict:
    """deltaprop with its NumPy step only (as without the fast extra)."""
    return worker_deltaprop(args, compiled_step=False)


def worker_deltaprop_auto(args) -> dict:
    """deltaprop with ``threads="auto"``: BLAS threads measured on the run's first steps."""
    return worker_deltaprop(args, threads="auto")


def worker_deltaprop(args, compiled_step: bool = True, threads: str | None = None) -> dict:
    import deltaprop as dp

    X, y, Xt, yt = _load_data()
    data_mb = (X.nbytes + Xt.nbytes) / MB
    net = _init_params(args.activation)

    class EpochWall(dp.Callback):
        """The wall time of each epoch as the fit call lives it: from the previous epoch's end
        (or the call) to this one's, after its measurements; the BLAS threads chosen."""

        def __init__(self) -> None:
            self.ends = [time.perf_counter()]
            self.threads: dict[int, int] = {}
            self.kinds: dict[int, str] = {}

        def on_epoch_end(self, epoch, history, net):
            self.ends.append(time.perf_counter())
            self.threads = self.trainer.blas_threads
            self.kinds = self.trainer.step_kinds

    wall = EpochWall()
    with _TrainingMemory() as mem:
        start = time.perf_counter()
        hist = dp.fit(
            net, X, y, epochs=args.epochs, batch_size=args.batch, optimizer=dp.SGD(lr=args.lr),
            seed=0, progress=False, callbacks=[wall], compiled_step=compiled_step, threads=threads,
        )
        total = time.perf_counter() - start
    wall.ends[0] = start
    seconds = [b - a for a, b in zip(wall.ends, wall.ends[1:])]
    seconds[-1] += total - (wall.ends[-1] - start)  # the call's own end (train-end hooks) counts too
    acc = float(np.mean(net.predict(Xt) == yt))
    return {"seconds": seconds, "steps_seconds": list(hist.seconds), "test_accuracy": acc,
            "train_extra_mb": mem.extra_mb(), "data_mb": data_mb, "blas_threads": wall.threads,
            "train_metrics": hist.train_metrics, "step_kinds": wall.kinds}


def _torch_model(activation: str, threads: int):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = _init_params(activation)
    act = torch.nn.Sigmoid() if activation == "sigmoid" else torch.nn.ReLU()
    model = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), act, torch.nn.Linear(SIZES[1], SIZES[2]))
    with torch.no_grad():
        for layer, W, b in zip((model[0], model[2]), net.weights, net.biases):
            layer.weight.copy_(torch.from_numpy(W))
            layer.bias.copy_(torch.from_numpy(b))
    return model


def _torch_accuracy(model, Xt, yt) -> float:
    import torch

    with torch.no_grad():
        pred = model(torch.from_numpy(Xt)).argmax(dim=1).numpy()
    return float((pred == yt).mean())


def _torch_run(args, epoch_batches) -> dict:
    """Train a fresh torch model for ``args.epochs``; ``epoch_batches(X, y)`` yields one epoch's batches.

    Only the batch source differs between the plain loop and the DataLoader idiom; the timed
    step (forward, loss, backward, SGD) is the same code for both.
    """
    import torch
    import torch.nn.functional as F

    X, y, Xt, yt = _load_data()
    model = _torch_model(args.activation, args.threads)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    seconds = []
    with _TrainingMemory() as mem:
        for _ in range(args.epochs):
            start = time.perf_counter()
            for xb, yb in epoch_batches(X, y):
                loss = F.cross_entropy(model(xb), yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            seconds.append(time.perf_counter() - start)
    return {"seconds": seconds, "test_accuracy": _torch_accuracy(model, Xt, yt), "train_extra_mb": mem.extra_mb(),
            "torch_threads": torch.get_num_threads()}


def worker_torch(args) -> dict:
    """The fastest plain loop: pre-loaded tensors, a randperm per epoch, no DataLoader."""
    import torch

    gen = torch.Generator().manual_seed(0)

    def epoch_batches(X, y):
        order = torch.randperm(len(X), generator=gen)
        for first in range(0, len(X), args.batch):
            idx = order[first : first + args.batch]
            yield X[idx], y[idx]

    return _torch_run(args, epoch_batches)


def worker_torch_dataloader(args) -> dict:
    """The idiom most tutorials use: TensorDataset + DataLoader(shuffle=True)."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    loader = None

    def epoch_batches(X, y):
        nonlocal loader
        if loader is None:
            loader = DataLoader(TensorDataset(X, y), batch_size=args.batch, shuffle=True,
                                generator=torch.Generator().manual_seed(0))
        return loader

    return _torch_run(args, epoch_batches)


def worker_sklearn(args) -> dict:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y, Xt, yt = _load_data()
    clf = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,), activation="logistic" if args.activation == "sigmoid" else "relu",
        solver="sgd", momentum=0.0, nesterovs_momentum=False, learning_rate="constant",
        learning_rate_init=args.lr, batch_size=args.batch, alpha=0.0, max_iter=args.epochs, shuffle=True,
        tol=0.0, n_iter_no_change=10**9, early_stopping=False, random_state=0,
    )
    with _TrainingMemory() as mem, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        clf.fit(X, y)
        total = time.perf_counter() - start
    # One fit call runs all epochs; sklearn does not time them separately: report the mean.
    seconds = [total / clf.n_iter_] * clf.n_iter_
    acc = float((clf.predict(Xt) == yt).mean())
    return {"seconds": seconds, "test_accuracy": acc, "train_extra_mb": mem.extra_mb(),
            "note": "per-epoch = fit time / epochs", "coef_dtype": str(clf.coefs_[0].dtype)}


def worker_deltaprop_per_example(args) -> dict:
    """fit's loop, with each mini-batch's gradients from seed 002's per-example ``backprop_per_example``."""
    import deltaprop as dp

    X, y, Xt, yt = _load_data()
    X, y = X[: args.per_example_rows], y[: args.per_example_rows]
    net = _init_params(args.activation)
    params, optimizer = net.parameters(), dp.SGD(lr=args.lr)
    Y = net.targets(y, len(y))  # one-hot once, as fit does
    rng = np.random.default_rng(0)
    seconds = []
    with _TrainingMemory() as mem:
        for _ in range(args.epochs):
            start = time.perf_counter()
            order = rng.permutation(len(X))
            for first in range(0, len(X), args.batch):
                batch = order[first : first + args.batch]
                grads = dp.backprop_per_example(net, X[batch], Y[batch])
                optimizer.step(params, grads.parameters())
            seconds.append(time.perf_counter() - start)
    acc = float(np.mean(net.predict(Xt) == yt))
    return {"seconds": seconds, "test_accuracy": acc, "train_extra_mb": mem.extra_mb(), "rows": len(X)}


class NielsenNetwork:
    """A per-example SGD trainer in the style of Nielsen's ``src/network.py``, written for this benchmark.

    Column vectors: an example is x (n_0, 1) with a one-hot y (n_L, 1); ``biases[i]`` is
    (n_l, 1). Sigmoid hidden layers; unlike the book's chapter-1 network the output is a
    softmax with the log-likelihood cost (book chapter 3), whose output error is δ^L = a − y,
    so that it trains the same network as deltaprop.
    """

    def __init__(self, weights, biases) -> None:
        self.weights = [W.copy() for W in weights]
        self.biases = [b.reshape(-1, 1).copy() for b in biases]

    @staticmethod
    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    @classmethod
    def sigmoid_prime(cls, z):
        s = cls.sigmoid(z)
        return s * (1.0 - s)

    @staticmethod
    def softmax(z):
        e = np.exp(z - z.max(axis=0))
        return e / e.sum(axis=0)

    def feedforward(self, a):
        """Return the output for ``a``: one column (n_0, 1), or many side by side (n_0, n)."""
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            a = self.sigmoid(W @ a + b)
        return self.softmax(self.weights[-1] @ a + self.biases[-1])

    def sgd(self, training_data, epochs, mini_batch_size, eta, rng) -> list[float]:
        """Train on a list of (x, y) column pairs; return each epoch's seconds.

        Shuffled with ``rng.permutation``, as ``dp.fit`` shuffles, so both per-example systems
        see the same mini-batches.
        """
        seconds = []
        for _ in range(epochs):
            start = time.perf_counter()
            shuffled = [training_data[k] for k in rng.permutation(len(training_data))]
            for first in range(0, len(shuffled), mini_batch_size):
                self.update_mini_batch(shuffled[first : first + mini_batch_size], eta)
            seconds.append(time.perf_counter() - start)
        return seconds

    def update_mini_batch(self, mini_batch, eta) -> None:
        """One gradient-descent step: sum the per-example gradients, then step by η/m times the sum."""
        nabla_b = [np.zeros_like(b) for b in self.biases]
        nabla_w = [np.zeros_like(W) for W in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        """Return (nabla_b, nabla_w), ∂C_x/∂b and ∂C_x/∂W layer by layer, for one example."""
        activations, zs = [x], []
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            zs.append(W @ activations[-1] + b)
            activations.append(self.sigmoid(zs[-1]))
        zs.append(self.weights[-1] @ activations[-1] + self.biases[-1])
        activations.append(self.softmax(zs[-1]))
        depth = len(self.weights)
        nabla_b, nabla_w = [None] * depth, [None] * depth
        delta = activations[-1] - y  # softmax + log-likelihood: δ^L = a^L − y
        for layer in reversed(range(depth)):
            if layer < depth - 1:
                delta = (self.weights[layer + 1].T @ delta) * self.sigmoid_prime(zs[layer])
            nabla_b[layer] = delta
            nabla_w[layer] = delta @ activations[layer].T
        return nabla_b, nabla_w


def worker_nielsen(args) -> dict:
    X, y, Xt, yt = _load_data()
    init = _init_params("sigmoid")  # NielsenNetwork's hidden layers are sigmoid
    net = NielsenNetwork(init.weights, init.biases)
    one_hot = np.eye(SIZES[-1], dtype=np.float32)
    rows = args.per_example_rows
    training_data = [(x.reshape(-1, 1), one_hot[label].reshape(-1, 1)) for x, label in zip(X[:rows], y[:rows])]
    with _TrainingMemory() as mem:
        seconds = net.sgd(training_data, args.epochs, args.batch, args.lr, np.random.default_rng(0))
    acc = float(np.mean(net.feedforward(Xt.T).argmax(axis=0) == yt))
    return {"seconds": seconds, "test_accuracy": acc, "train_extra_mb": mem.extra_mb(), "rows": len(training_data),
            "dtype": str(net.weights[0].dtype)}


def worker_gemm(args) -> dict:
    """The five matrix products of one training step × steps per epoch, operands preallocated."""
    n = N_TRAIN
    B = args.batch
    rng = np.random.default_rng(0)
    f32 = np.float32
    d0, d1_, d2_ = SIZES

    def operands(m: int) -> dict:
        return {
            "X": rng.random((m, d0), dtype=f32), "W1": rng.random((d1_, d0), dtype=f32),
            "A1": rng.random((m, d1_), dtype=f32), "W2": rng.random((d2_, d1_), dtype=f32),
            "d2": rng.random((m, d2_), dtype=f32), "d1": rng.random((m, d1_), dtype=f32),
            "Z1": np.empty((m, d1_), f32), "Z2": np.empty((m, d2_), f32), "gW2": np.empty((d2_, d1_), f32),
            "D1": np.empty((m, d1_), f32), "gW1": np.empty((d1_, d0), f32),
        }

    def step(o: dict) -> None:
        np.matmul(o["X"], o["W1"].T, out=o["Z1"])  # forward, layer 1
        np.matmul(o["A1"], o["W2"].T, out=o["Z2"])  # forward, layer 2
        np.matmul(o["d2"].T, o["A1"], out=o["gW2"])  # BP4, layer 2
        np.matmul(o["d2"], o["W2"], out=o["D1"])  # BP2, δ back to layer 1
        np.matmul(o["d1"].T, o["X"], out=o["gW1"])  # BP4, layer 1

    full, rest = divmod(n, B)
    o_full = operands(B)
    o_rest = operands(rest) if rest else None
    for _ in range(min(full, 50)):  # warm-up
        step(o_full)
    reps = max(3, args.rounds * args.epochs)
    seconds = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(full):
            step(o_full)
        if o_rest is not None:
            step(o_rest)
        seconds.append(time.perf_counter() - start)
    return {"seconds": seconds, "test_accuracy": None, "train_extra_mb": None, "steps": full + (1 if rest else 0)}


WORKERS = {
    "deltaprop": worker_deltaprop,
    "deltaprop-numpy": worker_deltaprop_numpy,
    "deltaprop-auto": worker_deltaprop_auto,
    "torch": worker_torch,
    "torch-dataloader": worker_torch_dataloader,
    "sklearn": worker_sklearn,
    "gemm-floor": worker_gemm,
    "deltaprop-per-example": worker_deltaprop_per_example,
    "nielsen": worker_nielsen,
}


def run_worker(args) -> None:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover
        threadpool_info = None
    result = WORKERS[args.worker](args)
    result["peak_rss_mb"] = _peak_rss_mb()
    if threadpool_info is not None:
        result["blas_threads_after"] = sorted({p.get("num_threads") for p in threadpool_info()} - {None})
    sys.stdout.write("@@RESULT@@" + json.dumps(result) + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# Parent: schedule, machine info, table, targets
# --------------------------------------------------------------------------------------------


def child_env(threads: int) -> dict:
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def spawn(system: str, batch: int, activation: str, a) -> dict:
    """Run one worker; a system named ``X + 1 competing process`` runs X beside a busy loop."""
    competitor = None
    if system.endswith(LOADED):
        system = system[: -len(LOADED)]
        competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.2)  # let it take its core
    try:
        return _spawn(system, batch, activation, a)
    finally:
        if competitor is not None:
            competitor.kill()
            competitor.wait()


def _spawn(system: str, batch: int, activation: str, a) -> dict:
    cmd = [
        sys.executable, os.path.abspath(__file__), "--worker", system, "--batch", str(batch),
        "--activation", activation, "--epochs", str(a.epochs), "--lr", repr(a.lr), "--threads", str(a.threads),
        "--rounds", str(a.rounds), "--per-example-rows", str(a.per_example_rows),
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=child_env(a.threads), capture_output=True, text=True)
    wall = time.perf_counter() - start
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("@@RESULT@@"):
            out = json.loads(line[len("@@RESULT@@"):])
            out["wall"] = wall
            return out
    raise RuntimeError(
        f"worker {system} batch={batch} activation={activation} failed (exit {proc.returncode}):\n"
        f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )


def schedule(a) -> list[tuple[str, int, str]]:
    """One round: for each (batch, activation) the systems in turn; the GEMM floor once per batch.

    scikit-learn runs at ``SKLEARN_BATCHES`` only, the per-example systems at ``PER_EXAMPLE_CONFIG`` only.
    """
    jobs = []
    for batch in a.batch_sizes:
        for i, act in enumerate(a.activations):
            systems = [
                s for s in a.systems
                if (s != "sklearn" or batch in SKLEARN_BATCHES)
                and (s != "deltaprop-numpy" or batch <= COMPILED_MAX_BATCH)
                and (s not in PER_EXAMPLE_SYSTEMS or (batch, act) == PER_EXAMPLE_CONFIG)
            ]
            jobs.extend((s, batch, act) for s in systems)
            if a.load and batch in LOAD_BATCHES:
                jobs.extend((s + LOADED, batch, act) for s in LOAD_SYSTEMS if s.removesuffix("-auto") in systems)
            if i == 0 and not a.no_floor:
                jobs.append(("gemm-floor", batch, "-"))
    return jobs


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def blas_info() -> str:
    parts = []
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        if blas:
            parts.append(f"{blas.get('name', '?')} {blas.get('version', '')}".strip())
    except Exception:  # older NumPy: no mode="dicts"
        pass
    try:
        from threadpoolctl import threadpool_info

        for p in threadpool_info():
            if p.get("user_api") == "blas":
                parts.append(f"runtime {p.get('internal_api')} {p.get('version')} ({p.get('architecture')})")
                break
    except Exception:
        pass
    return "; ".join(parts) or "unknown"


def machine_header(a) -> list[str]:
    cores = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    lines = [
        "## deltaprop vs PyTorch vs scikit-learn — 784-100-10 on Fashion-MNIST",
        "",
        f"- Date: {_dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- CPU: {cpu_model()} — {cores} logical cores ({usable} usable); {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; NumPy {np.__version__}; deltaprop {_version('deltaprop')}; "
        f"torch {_version('torch')}; scikit-learn {_version('scikit-learn')}",
        f"- BLAS: {blas_info()}",
        f"- Threads per process: {a.threads} ({', '.join(f'{v}={a.threads}' for v in THREAD_VARS)}; "
        f"torch.set_num_threads({a.threads}))",
        f"- Network 784-{HIDDEN}-10, hidden {'/'.join(a.activations)}, softmax + log-likelihood (cross-entropy), "
        f"plain SGD lr={a.lr:g}, float32; deltaprop's seed-0 initial weights copied into PyTorch and nielsen "
        "(scikit-learn uses its own Glorot init)",
        f"- {a.rounds} round(s) × {a.epochs} epoch(s); each system/config in its own process, systems alternating "
        "(order reversed on odd rounds); s/epoch = median (min–max) over epochs × rounds: for deltaprop the wall "
        "time of each epoch of the `fit` call (steps + the epoch's measurements and callbacks; the steps alone on "
        "the row below it), for PyTorch one epoch of its loop, for scikit-learn fit time / epochs; data loading "
        "excluded",
    ]
    batch, act = PER_EXAMPLE_CONFIG
    per_example = [s for s in a.systems if s in PER_EXAMPLE_SYSTEMS]
    if per_example and batch in a.batch_sizes and act in a.activations:
        lines.append(
            f"- Per-example systems ({', '.join(per_example)}): batch {batch}, {act} only, trained on the first "
            f"{a.per_example_rows:,} training rows; s/epoch extrapolated to {N_TRAIN:,} rows (see † below the table)"
        )
    kept = [f"{v}={os.environ[v]}" for v in KEPT_VARS if v in os.environ]
    if kept:
        lines.append(f"- Environment left as found for every process: {', '.join(kept)}")
    return lines


def _fmt_s(x: float) -> str:
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    if x >= 0.1:
        return f"{x:.3f}"
    return f"{x:.4f}"


def summarise(results: dict) -> dict:
    out = {}
    for key, runs in results.items():
        # Per-example systems train on a subset of rows: scale their epoch times to the full set.
        secs = [s * N_TRAIN / r.get("rows", N_TRAIN) for r in runs for s in r["seconds"]]
        accs = [r["test_accuracy"] for r in runs if r.get("test_accuracy") is not None]
        extra = [r["train_extra_mb"] for r in runs if r.get("train_extra_mb") is not None]
        steps = [s for r in runs for s in r.get("steps_seconds", [])]
        out[key] = {
            "median": statistics.median(secs), "min": min(secs), "max": max(secs),
            "steps": statistics.median(steps) if steps else None,
            "threads": runs[-1].get("blas_threads"),
            "kinds": runs[-1].get("step_kinds"),
            "acc": statistics.median(accs) if accs else None,
            "rss": max(r["peak_rss_mb"] for r in runs),
            "extra": max(extra) if extra else None,
            "data_mb": runs[0].get("data_mb"),
            "rows": runs[0].get("rows", N_TRAIN),
            "n": len(secs),
        }
    return out


def table(summary: dict, a) -> list[str]:
    n = N_TRAIN
    rows = [
        "| system | batch | activation | s/epoch median (min–max) | examples/s | test accuracy | peak RSS MB "
        "| vs deltaprop (time / deltaprop time) | × GEMM floor |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    order = ("deltaprop", "deltaprop-numpy", "torch", "torch-dataloader", "sklearn", *PER_EXAMPLE_SYSTEMS, *(s + LOADED for s in LOAD_SYSTEMS))
    for batch in a.batch_sizes:
        floor = summary.get(("gemm-floor", batch, "-"))
        for act in a.activations:
            for system in order:
                s = summary.get((system, batch, act))
                if s is None:
                    continue
                # a loaded row compares with deltaprop under the same load
                dp_row = summary.get(("deltaprop" + (LOADED if system.endswith(LOADED) else ""), batch, act))
                ratio = "—"
                if system not in ("deltaprop", "deltaprop" + LOADED, "deltaprop-auto" + LOADED) and dp_row is not None:
                    ratio = f"{s['median'] / dp_row['median']:.2f}×"
                xfloor = f"{s['median'] / floor['median']:.2f}×" if (system in ("deltaprop", "deltaprop-numpy") and floor) else ""
                acc = f"{s['acc']:.4f}" if s["acc"] is not None else "—"
                label = f"{system} †" if system in PER_EXAMPLE_SYSTEMS else system
                rows.append(
                    f"| {label} | {batch} | {act} | {_fmt_s(s['median'])} ({_fmt_s(s['min'])}–{_fmt_s(s['max'])}) "
                    f"| {n / s['median']:,.0f} | {acc} | {s['rss']:.0f} | {ratio} | {xfloor} |"
                )
                if system in ("deltaprop", "deltaprop-numpy") and s["steps"] is not None:
                    steps_floor = f"{s['steps'] / floor['median']:.2f}×" if floor else ""
                    threads = ", ".join(f"batch {k}: {v}" for k, v in sorted((s["threads"] or {}).items()))
                    kinds = ", ".join(sorted(set((s["kinds"] or {}).values())))
                    rows.append(
                        f"| deltaprop, steps only ({kinds or '?'} step; BLAS threads {threads or 'as the BLAS decides'}) | {batch} | {act} | {_fmt_s(s['steps'])} "
                        f"| {n / s['steps']:,.0f} | — | — | — | {steps_floor} |"
                    )
        if floor:
            rows.append(
                f"| GEMM floor (5 matmuls × steps) | {batch} | — | {_fmt_s(floor['median'])} "
                f"({_fmt_s(floor['min'])}–{_fmt_s(floor['max'])}) | {n / floor['median']:,.0f} | — | {floor['rss']:.0f} "
                "| — | 1.00× |"
            )
    return rows + per_example_notes(summary, a)


def per_example_notes(summary: dict, a) -> list[str]:
    """The † footnote and the two per-example ratios, when a per-example system ran."""
    batch, act = PER_EXAMPLE_CONFIG
    found = {s: summary.get((s, batch, act)) for s in ("deltaprop", *PER_EXAMPLE_SYSTEMS)}
    subset = [s for s in PER_EXAMPLE_SYSTEMS if found[s] is not None]
    if not subset:
        return []
    rows = found[subset[0]]["rows"]
    lines = [
        "",
        f"† Trained on the first {rows:,} training examples only: s/epoch is the measured time × {N_TRAIN:,} / {rows:,} "
        f"(extrapolated to the full training set), examples/s likewise; the test accuracy is after {a.epochs} epoch(s) "
        "on those rows, comparable between the † rows only.",
    ]
    per_example, nielsen, vectorised = found["deltaprop-per-example"], found["nielsen"], found["deltaprop"]
    if per_example and nielsen:
        lines.append(
            f"- deltaprop per-example vs nielsen (batch {batch}, {act}): nielsen s/epoch ÷ deltaprop-per-example "
            f"s/epoch = {nielsen['median'] / per_example['median']:.2f}× (> 1: deltaprop's per-example path is faster)"
        )
    if per_example and vectorised:
        lines.append(
            f"- deltaprop vectorised vs its own per-example path (batch {batch}, {act}): deltaprop-per-example "
            f"s/epoch ÷ deltaprop s/epoch = {per_example['median'] / vectorised['median']:.2f}× "
            "(> 1: the vectorised path is faster)"
        )
    return lines


def startup_times(reps: int = 5) -> tuple[float | None, float | None]:
    """Median in-process `import deltaprop` time and wall time of `deltaprop --help`."""
    code = "import time; t = time.perf_counter(); import deltaprop; print(time.perf_counter() - t)"
    imports, helps = [], []
    exe = os.path.join(os.path.dirname(sys.executable), "deltaprop")
    help_cmd = [exe, "--help"] if os.path.exists(exe) else [sys.executable, "-m", "deltaprop", "--help"]
    for _ in range(reps):
        try:
            p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            imports.append(float(p.stdout.strip().splitlines()[-1]))
            t = time.perf_counter()
            subprocess.run(help_cmd, capture_output=True, check=True)
            helps.append(time.perf_counter() - t)
        except (subprocess.CalledProcessError, ValueError, IndexError, OSError):
            pass
    return (statistics.median(imports) if imports else None, statistics.median(helps) if helps else None)


def targets(summary: dict, a, startup) -> list[str]:
    def mark(ok: bool | None) -> str:
        return "n/a" if ok is None else ("MET" if ok else "NOT MET")

    rows = [
        "### Targets",
        "",
        "| target | batch | activation | required | measured | status |",
        "|---|---:|---|---|---|---|",
    ]
    for batch in a.batch_sizes:
        if batch not in TARGETS:
            continue
        speed, floor_max = TARGETS[batch]
        floor = summary.get(("gemm-floor", batch, "-"))
        for act in a.activations:
            dp_row = summary.get(("deltaprop", batch, act))
            if dp_row is None:
                continue
            th = summary.get(("torch", batch, act))
            if th is not None:
                r = th["median"] / dp_row["median"]
                rows.append(f"| fit epoch faster than PyTorch (plain loop) | {batch} | {act} | ≥ {speed:.1f}× | {r:.2f}× | {mark(r >= speed)} |")
            if floor is not None:
                r = dp_row["median"] / floor["median"]
                rows.append(f"| fit epoch / GEMM floor | {batch} | {act} | ≤ {floor_max:.1f}× | {r:.2f}× | {mark(r <= floor_max)} |")
            th_loaded = summary.get(("torch" + LOADED, batch, act))
            for s, label in (("deltaprop", "default threads"), ("deltaprop-auto", "threads='auto'")):
                dp_loaded = summary.get((s + LOADED, batch, act))
                if dp_loaded is not None and th_loaded is not None:
                    r = th_loaded["median"] / dp_loaded["median"]
                    rows.append(f"| faster than PyTorch, 1 competing process ({label}) | {batch} | {act} | ≥ {LOAD_TARGET:.1f}× | {r:.2f}× | {mark(r >= LOAD_TARGET)} |")
            sk = summary.get(("sklearn", batch, act))
            if sk is not None:
                r = sk["median"] / dp_row["median"]
                rows.append(f"| faster than scikit-learn MLPClassifier(sgd) | {batch} | {act} | ≥ {SKLEARN_TARGET:.1f}× | {r:.2f}× | {mark(r >= SKLEARN_TARGET)} |")
    extras = [s["extra"] for k, s in summary.items() if k[0] == "deltaprop" and s["extra"] is not None]
    if extras:
        worst = max(extras)
        rows.append(f"| training peak RSS above RSS with the data loaded (worst config) | all | all | ≤ {MEMORY_TARGET_MB:.0f} MB | {worst:.1f} MB | {mark(worst <= MEMORY_TARGET_MB)} |")
    imp, hlp = startup
    if imp is not None:
        rows.append(f"| `import deltaprop` (in-process, median of 5) | — | — | ≤ {IMPORT_TARGET_S} s | {imp:.3f} s | {mark(imp <= IMPORT_TARGET_S)} |")
    if hlp is not None:
        rows.append(f"| `deltaprop --help` (wall, median of 5) | — | — | ≤ {HELP_TARGET_S} s | {hlp:.3f} s | {mark(hlp <= HELP_TARGET_S)} |")
    data_mb = next((s["data_mb"] for k, s in summary.items() if k[0] == "deltaprop" and s.get("data_mb")), None)
    if data_mb:
        rows += ["", f"Memory: the float32 data set (train + test) is {data_mb:.0f} MB; the memory row is the growth of "
                 "RSS during `fit` (VmHWM reset after loading, minus VmRSS just before `fit`), so the data set itself "
                 "is not counted."]
    return rows


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="repetitions of the whole schedule (default 3)")
    p.add_argument("--epochs", type=int, default=2, help="epochs per run (default 2)")
    p.add_argument("--batch-sizes", default="10,128,1024", help="comma-separated (default 10,128,1024)")
    p.add_argument("--activations", default="sigmoid,relu", help="hidden activations (default sigmoid,relu)")
    p.add_argument("--systems", help=f"subset of {','.join(SYSTEMS)} (default all)")
    p.add_argument(
        "--per-example-rows", type=int, default=6000,
        help=f"training rows for {' and '.join(PER_EXAMPLE_SYSTEMS)}, whose s/epoch is extrapolated to "
        f"{N_TRAIN} rows (default 6000)",
    )
    p.add_argument("--lr", type=float, default=0.1, help="SGD learning rate, the same for all (default 0.1)")
    p.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP/torch threads per process (default 2)")
    p.add_argument("--no-floor", action="store_true", help="skip the GEMM floor")
    p.add_argument("--no-load", dest="load", action="store_false",
                   help=f"skip the runs beside one competing process (batch {', '.join(map(str, LOAD_BATCHES))})")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 1 round, 1 epoch, batch 128, sigmoid (so no per-example systems)")
    p.add_argument("--json", metavar="FILE", help="also write the raw per-run results here")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    p.add_argument("--activation", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.quick:
        a.rounds, a.epochs, a.batch_sizes, a.activations = 1, 1, "128", "sigmoid"
    a.batch_sizes = [int(b) for b in str(a.batch_sizes).split(",") if b.strip()]
    a.activations = [s.strip() for s in str(a.activations).split(",") if s.strip()]
    named = a.systems is not None
    a.systems = [s.strip() for s in str(a.systems or ",".join(SYSTEMS)).split(",") if s.strip()]
    for act in a.activations:
        if act not in ("sigmoid", "relu"):
            p.error(f"--activations: {act!r} is not one of sigmoid, relu")
    for s in a.systems:
        if s not in SYSTEMS:
            p.error(f"--systems: {s!r} is not one of {', '.join(SYSTEMS)}")
    if a.rounds < 1 or a.epochs < 1 or a.threads < 1 or any(b < 1 for b in a.batch_sizes):
        p.error("--rounds, --epochs, --threads and batch sizes must be ≥ 1")
    if not 1 <= a.per_example_rows <= N_TRAIN:
        p.error(f"--per-example-rows: {a.per_example_rows} is not between 1 and {N_TRAIN}")
    batch, act = PER_EXAMPLE_CONFIG
    for s in a.systems:
        if named and s in PER_EXAMPLE_SYSTEMS and (batch not in a.batch_sizes or act not in a.activations):
            p.error(f"--systems: {s!r} runs at batch {batch} with {act} only; --batch-sizes "
                    f"{','.join(map(str, a.batch_sizes))} / --activations {','.join(a.activations)} leave it nothing")
    return a


def main(argv=None) -> int:
    a = parse(argv)
    if a.worker:
        run_worker(a)
        return 0
    jobs = schedule(a)
    results: dict[tuple, list] = {}
    t0 = time.perf_counter()
    total = len(jobs) * a.rounds
    done = 0
    for rnd in range(a.rounds):
        round_jobs = jobs if rnd % 2 == 0 else list(reversed(jobs))
        for system, batch, act in round_jobs:
            r = spawn(system, batch, act, a)
            results.setdefault((system, batch, act), []).append(r)
            done += 1
            med = statistics.median(r["seconds"])
            rows = f" on {r['rows']} rows" if "rows" in r else ""
            print(f"[{done}/{total}] round {rnd + 1}: {system:<21} batch {batch:<5} {act:<7} "
                  f"{med:.3f} s/epoch{rows} (process {r['wall']:.1f} s)", file=sys.stderr, flush=True)
    startup = startup_times()
    summary = summarise(results)
    lines = machine_header(a) + [""] + table(summary, a) + [""] + targets(summary, a, startup)
    lines += ["", f"Total benchmark wall time: {time.perf_counter() - t0:.0f} s"]
    print("\n".join(lines))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump([{"system": k[0], "batch": k[1], "activation": k[2], "runs": v} for k, v in results.items()], fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
