"""A playground session: one training run that a :class:`deltaprop.Trainer` drives in a thread.

The session holds the current run (its settings, data, network and Trainer). ``play`` starts a
thread that calls :meth:`Trainer.step` for slices of :data:`SLICE_SECONDS` and, after each
slice, publishes a :class:`Snapshot`: copies of the weights with the step, epoch and history
length they belong to. Everything the page and the tests read (the state, the frames, the
explanations) is computed from a snapshot, never from the arrays the thread is changing, so
what ``/api/state`` reports and what ``/api/explain`` explains are the same weights.
Control requests (step, reset, configure) stop the thread first, so one thread at a time
changes a run; a configuration is built in full before it replaces the run, so a refused one
changes nothing.

A weight that becomes NaN or infinite is never published: the thread then finishes the epoch,
whose end the Trainer checks, and the Trainer replays the epoch to name the step that broke it
and leaves the network just before it (:class:`deltaprop.TrainingDiverged`); the session keeps
that message, and the page shows it instead of drawing NaN.

Symbols → names: W^l, b^l → ``weights[l−2]``, ``biases[l−2]``; a^l over the input plane →
the frame's ``neurons``; C on the training and the test set → ``cost``, ``test_cost``.
"""

from __future__ import annotations

import base64
import collections
import re
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..backprop import forward
from ..datasets.synthetic import SYNTHETIC
from ..explain import explain
from ..network import Network
from ..optimizers import get_optimizer
from ..scaling import Scaling
from ..training.history import History
from ..training.trainer import Trainer, TrainingDiverged, evaluate
from ..validation import all_finite, integer
from .data import GRID, SURFACE_GRID, RunData, check_table, run_data
from .settings import CSV, LIMITS, Settings, choices

__all__ = ["Session", "Snapshot", "Conflict", "curve", "outputs_for", "SLICE_SECONDS", "FPS", "ACTIONS"]

#: How long the training thread steps before it looks whether it is told to stop.
SLICE_SECONDS = 0.01
#: The most frames a second: while playing, the training thread publishes a snapshot (and, for
#: a page that listens, computes its frame) this often, so drawing never waits for the GIL; a
#: frame that takes longer to compute than 1/(2 FPS) spaces them out so that training keeps
#: at least half of the time.
FPS = 30
#: What ``POST /api/control`` may ask.
ACTIONS = ("play", "pause", "step", "reset", "configure")


class Conflict(ValueError):
    """A request that the run's present state refuses (stepping a run that diverged)."""


@dataclass(frozen=True)
class Snapshot:
    """The run as it was after a slice of steps: what every reader sees.

    Attributes
    ----------
    run : int
        Which run (it counts resets and configurations).
    net : Network
        A copy of the network with the weights of that moment.
    steps, epoch, examples : int
        Gradient steps, epochs and training examples done.
    epochs_measured : int
        Entries of ``history`` that belong to this snapshot.
    history : History
        The run's history (read up to ``epochs_measured``).
    playing : bool
    diverged : str or None
        Why training stopped, when it diverged.
    examples_per_second : float
        Training speed over the last second of play.
    source : _Run
        The run itself, for its data and settings.
    """

    run: int
    net: Network
    steps: int
    epoch: int
    examples: int
    epochs_measured: int
    history: History
    playing: bool
    diverged: str | None
    examples_per_second: float
    source: _Run


class _Run:
    """One run: its settings, data, network, Trainer and probe."""

    def __init__(self, number: int, settings: Settings, table: Path | None) -> None:
        data = run_data(settings, table)
        n_train = len(data.X_train)
        if settings.probe >= n_train:
            raise ValueError(f"probe must be the index of a training example, from 0 to {n_train - 1}; got {settings.probe}")
        if data.classes is None:
            width = data.y_train.shape[1]
        else:
            width = 1 if data.n_classes == 2 and settings.output != "softmax" else data.n_classes
        net = Network([data.X_train.shape[1], *settings.hidden, width], activation=list(settings.activations),
                      output=settings.output, cost=settings.cost, seed=settings.seed)
        if settings.dataset == CSV:  # a table: standardised inputs (and a regressor's targets)
            net.input_scaling = Scaling.standardize(data.X_train)
            if data.classes is None and not net.is_classifier:
                net.target_scaling = Scaling.standardize(data.y_train)
        if data.classes is not None and net.is_classifier:
            net.classes = list(data.classes)
        net.feature_names = list(data.feature_names)
        net.provenance = {"made_by": f"deltaprop {__version__} playground", "dataset": data.name, "settings": settings.to_dict()}
        labels = data.classes is not None and net.is_classifier
        y_train, y_test = (data.y_train, data.y_test) if labels or data.classes is None else (_one_hot(data.y_train, width), _one_hot(data.y_test, width))
        self.number, self.settings, self.data, self.net = number, settings, data, net
        self.trainer = Trainer(
            net, data.X_train, y_train, batch_size=settings.batch_size, optimizer=get_optimizer(settings.optimizer, lr=settings.lr),
            l2=settings.l2, l1=settings.l1, dropout=settings.dropout, validation=(data.X_test, y_test), seed=settings.seed,
        )
        self.y_train, self.y_test = y_train, y_test
        self.diverged: str | None = None
        self.speed: collections.deque[tuple[float, int]] = collections.deque(maxlen=200)

    @property
    def examples(self) -> int:
        return self.trainer.epoch * self.trainer.n_train + self.trainer.position

    def probe(self) -> tuple[np.ndarray, Any]:
        """The probe example (x, y) in the units of the data."""
        i = self.settings.probe
        return self.data.X_train[i], self.y_train[i]


def _one_hot(y: np.ndarray, width: int) -> np.ndarray:
    """Labels as target rows, for an output that is not a classifier's (identity, tanh, ...):
    one-hot rows, or the label itself as a number for one output."""
    return y.astype(np.float32)[:, None] if width == 1 else np.eye(width, dtype=np.float32)[y]


class Session:
    """The playground's state: one run at a time, trained in a background thread.

    Parameters
    ----------
    table : path, optional
        A CSV file to offer as the data set ``csv`` (and to start with).
    settings : Settings, optional
        The first run's settings (default: xor, 2-8-8-1 tanh, SGD η = 0.1).
    """

    def __init__(self, table: str | Path | None = None, settings: Settings | None = None) -> None:
        self._control = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._frames: dict[tuple, dict] = {}
        self._listening = threading.Lock()
        self.listeners = 0  # event streams open: the training thread computes frames for them
        self.table: Path | None = None
        if table is not None:
            self.table = Path(table)
            check_table(self.table)
            if settings is None:
                settings = Settings(dataset=CSV)
                settings = replace(settings, **outputs_for(run_data(settings, self.table)))
        self._runs = 0
        self._run = self._new_run(settings or Settings())
        self._runs = self._run.number
        self._folder = tempfile.TemporaryDirectory(prefix="deltaprop-playground-")  # for tables the page sends
        self._publish()

    # ---------------------------------------------------------------- what is offered
    @property
    def datasets(self) -> tuple[str, ...]:
        """The data sets this session can make: the generated ones, and ``csv`` when it has a table."""
        return tuple(SYNTHETIC) + ((CSV,) if self.table is not None else ())

    @property
    def settings(self) -> Settings:
        return self._run.settings

    # ---------------------------------------------------------------- control
    def control(self, request: object) -> dict[str, Any]:
        """Carry out one ``POST /api/control`` request; return the state after it.

        ``{"action": "play" | "pause" | "step" | "reset" | "configure", "steps": k (step only),
        ...settings (configure only), "csv": text and "csv_name": its file name (configure only:
        a table to use as "csv")}``.

        Raises
        ------
        ValueError
            For a malformed request; nothing is changed.
        Conflict
            For play or step on a run that diverged.
        """
        if not isinstance(request, dict):
            raise ValueError(f"the request must be a JSON object with an action; got {type(request).__name__}")
        action = request.get("action")
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}; got {action!r}")
        rest = {k: v for k, v in request.items() if k != "action"}
        allowed = {"step": {"steps"}, "configure": None}.get(action, set())
        if allowed is not None and set(rest) - allowed:
            raise ValueError(f"action {action!r} takes {', '.join(sorted(allowed)) or 'nothing else'}; got {', '.join(sorted(set(rest) - allowed))}")
        with self._control:
            if action == "play":
                self._refuse_if_diverged()
                self._play()
            elif action == "pause":
                self._halt()
            elif action == "step":
                steps = integer("steps", rest.get("steps", 1), f"an integer from 1 to {LIMITS['steps']}", lambda v: 1 <= v <= LIMITS["steps"])
                self._refuse_if_diverged()
                self._halt()
                self._steps(steps)
            elif action == "reset":
                self._replace(self._new_run(self.settings))
            else:
                self._configure(rest)
        return self.state()

    def _refuse_if_diverged(self) -> None:
        if self._run.diverged is not None:
            raise Conflict(f"{self._run.diverged} Reset or change a setting to train again.")

    def _configure(self, changes: dict[str, Any]) -> None:
        table, name = changes.pop("csv", None), changes.pop("csv_name", None)
        if name is not None and table is None:
            raise ValueError("csv_name names the csv sent with it; send csv too")
        if table is not None:
            data = self._receive_table(table, name)
            changes.setdefault("dataset", CSV)
            if "output" not in changes and "cost" not in changes:
                changes.update(outputs_for(data))
        settings = self.settings.updated(changes, self.datasets)
        if table is None and _only_probe_differs(settings, self.settings):
            n_train = self._run.trainer.n_train
            if settings.probe >= n_train:
                raise ValueError(f"probe must be the index of a training example, from 0 to {n_train - 1}; got {settings.probe}")
            playing = self._halt()  # a snapshot is taken only while no thread changes the weights
            self._run.settings = settings
            self._publish()
            if playing:
                self._play()
            return
        self._replace(self._new_run(settings))

    def _receive_table(self, text: object, name: object) -> RunData:
        """Keep a CSV file the page sent as the data set ``csv`` (under its own file name, made
        safe: letters, digits, ``.``, ``_`` and ``-``); return its data."""
        if not isinstance(text, str):
            raise ValueError(f"csv must be the text of a CSV file; got {type(text).__name__}")
        if name is None:
            name = "table.csv"
        if not isinstance(name, str) or not 1 <= len(name) <= 100 or not name.lower().endswith(".csv"):
            raise ValueError(f"csv_name must be a file name ending in .csv, at most 100 characters; got {str(name)[:60]!r}")
        name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name.replace("\\", "/")).name)
        size = len(text.encode("utf-8"))
        if size > LIMITS["csv_bytes"]:
            raise ValueError(f"the CSV file has {size} bytes; the playground takes at most {LIMITS['csv_bytes']}")
        folder = Path(self._folder.name) / str(self._runs + 1)
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        settings = self.settings if self.settings.dataset == CSV else Settings(dataset=CSV)
        try:
            data = run_data(settings, path)  # refuse a table that cannot be read before it replaces the old one
        except ValueError as e:
            path.unlink()
            raise ValueError(f"the CSV file sent: {e}") from None
        self.table = path
        return data

    def _new_run(self, settings: Settings) -> _Run:
        return _Run(self._runs + 1, settings, self.table)

    def _replace(self, run: _Run) -> None:
        playing = self._halt()
        self._runs = run.number
        self._run = run
        self._frames.clear()
        self._publish()
        if playing:
            self._play()

    def _play(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        thread = threading.Thread(target=self._train, args=(self._run,), name="deltaprop-playground-training", daemon=True)
        self._publish(playing=True)  # before the thread starts: from then on only it reads the weights it changes
        self._thread = thread
        thread.start()

    def _halt(self) -> bool:
        """Stop the training thread; return whether it was running."""
        thread = self._thread
        if thread is None:
            return False
        self._stop.set()
        thread.join()
        self._thread = None
        self._publish()
        return True

    def close(self) -> None:
        """Stop training and remove the session's temporary files."""
        with self._control:
            self._halt()
        self._folder.cleanup()

    def listen(self, change: int) -> None:
        """Count an event stream opening (+1) or closing (−1)."""
        with self._listening:
            self.listeners += change

    # ---------------------------------------------------------------- training
    def _train(self, run: _Run) -> None:
        """The training thread: slices of steps, a snapshot after each, until told to stop."""
        trainer = run.trainer
        run.speed.append((time.perf_counter(), run.examples))
        publish = 0.0
        try:
            while not self._stop.is_set():
                end = time.perf_counter() + SLICE_SECONDS
                while time.perf_counter() < end:
                    trainer.step()
                self._settle(run)
                now = time.perf_counter()
                if now >= publish:
                    run.speed.append((now, run.examples))
                    self._publish(playing=True)
                    if self.listeners:
                        self.frame(self.snapshot)
                    drawn = time.perf_counter()
                    publish = drawn + max(1.0 / FPS - (drawn - now), drawn - now)  # drawing takes at most half the time
        except TrainingDiverged as e:
            run.diverged = str(e)
        except Exception as e:  # the thread must not die silently: the page shows why it stopped
            run.diverged = f"training stopped: {type(e).__name__}: {e}"
        if run.diverged is not None:
            self._thread = None
            self._publish(playing=False)

    def _steps(self, k: int) -> None:
        run = self._run
        try:
            for _ in range(k):
                run.trainer.step()
            self._settle(run)
        except TrainingDiverged as e:
            run.diverged = str(e)
        self._publish()

    @staticmethod
    def _settle(run: _Run) -> None:
        """Never publish a NaN: with a weight no longer finite, finish the epoch, which raises
        TrainingDiverged naming the step and leaves the weights from before it."""
        if not all(all_finite(p) for p in run.trainer.params):
            run.trainer.run_epoch()

    def _publish(self, playing: bool | None = None) -> None:
        run = self._run
        trainer = run.trainer
        self.snapshot = Snapshot(
            run=run.number, net=run.net.copy(), steps=trainer.steps_done, epoch=trainer.epoch, examples=run.examples,
            epochs_measured=len(trainer.history.cost), history=trainer.history,
            playing=self._thread is not None if playing is None else playing, diverged=run.diverged,
            examples_per_second=_speed(run.speed), source=run,
        )

    # ---------------------------------------------------------------- reading
    def state(self) -> dict[str, Any]:
        """``GET /api/state``: the settings, the network and its weights, the costs and the data."""
        snap = self.snapshot
        run, net = snap.source, snap.net
        data = run.data
        x, y = run.probe()
        cost, test_cost = self._costs(snap, run)
        return {
            "settings": run.settings.to_dict(),
            "sizes": list(net.sizes),
            "activations": [a.name for a in net.activations],
            "cost_function": net.cost_function.name,
            "weights": [W.tolist() for W in net.weights],
            "biases": [b.tolist() for b in net.biases],
            "l2": run.settings.l2,
            "l1": run.settings.l1,
            "epoch": snap.epoch,
            "step": snap.steps,
            "examples": snap.examples,
            "cost": cost,
            "test_cost": test_cost,
            "probe": {"index": run.settings.probe, "x": x.tolist(), "y": y.tolist()},
            "run": snap.run,
            "playing": snap.playing,
            "diverged": snap.diverged,
            "task": net.task,
            "classes": data.classes,
            "data": {
                "name": data.name, "features": data.feature_names, "bounds": list(data.bounds),
                "train": {"x": data.X_train[:, :2].tolist(), "y": data.y_train.tolist()},
                "test": {"x": data.X_test[:, :2].tolist(), "y": data.y_test.tolist()},
            },
            "history": curve(snap, 0),
            "choices": choices(self.datasets),
            "limits": LIMITS,
        }

    def _costs(self, snap: Snapshot, run: _Run) -> tuple[float | None, float | None]:
        """C on the training and the test set at the snapshot's weights, penalty included (n: the training set's size)."""
        s, n = run.settings, run.trainer.n_train
        with np.errstate(over="ignore", invalid="ignore"):
            costs = [evaluate(snap.net, X, y, l2=s.l2, l1=s.l1, n_total=n)[0] for X, y in ((run.data.X_train, run.y_train), (run.data.X_test, run.y_test))]
        return tuple(c if np.isfinite(c) else None for c in costs)

    def frame(self, snap: Snapshot) -> dict[str, Any]:
        """One frame for the page: the counters, the costs, the weights (float32, base64), every neuron's
        activation over the input plane (32 × 32 points: every second one of the 64 × 64 the output's surface has),
        each as bytes 0…255 between its lowest and highest value. Cached per snapshot."""
        key = (snap.run, snap.steps, snap.playing, snap.diverged)
        cached = self._frames.get(key)
        if cached is not None:
            return cached
        run = snap.source
        cost, test_cost = self._costs(snap, run)
        with np.errstate(over="ignore", invalid="ignore"):  # one pass over the plane: the surface, and every second point for the neurons
            _, large = forward(snap.net, snap.net.inputs(run.data.grid(SURFACE_GRID)))
        step = SURFACE_GRID // GRID
        small = [a.reshape(SURFACE_GRID, SURFACE_GRID, -1)[::step, ::step].reshape(GRID * GRID, -1) for a in large]
        frame = {
            "run": snap.run, "step": snap.steps, "epoch": snap.epoch, "examples": snap.examples,
            "playing": snap.playing, "diverged": snap.diverged, "examples_per_second": snap.examples_per_second,
            "cost": cost, "test_cost": test_cost,
            "weights": [_floats(W) for W in snap.net.weights], "biases": [_floats(b) for b in snap.net.biases],
            "grid": GRID, "surface_grid": SURFACE_GRID,
            "neurons": [[_heat(a[:, j]) for j in range(a.shape[1])] for a in small[1:]],
            "surface": [_heat(large[-1][:, j]) for j in range(large[-1].shape[1])],
        }
        if len(self._frames) > 64:
            self._frames.clear()
        self._frames[key] = frame
        return frame

    def explanation(self, layer: object, neuron: object, weight: object = None) -> dict[str, Any]:
        """``GET /api/explain``: :func:`deltaprop.explain`'s JSON for the probe example at the
        snapshot's weights, neuron (layer, neuron) worked out, numbered as in the book (layer 1
        is the input). Beside explain's own keys: ``derivatives`` (σ'(z^l), null for softmax),
        ``grad_activations`` (∂C/∂a^l), ``general_output_delta`` (BP1 in general form),
        ``step`` and ``run`` (which weights). With ``weight`` k, also the derivation of
        w^layer_{neuron k} (explain's ``derive=True``: the proofs with these numbers, the path sum).

        Raises
        ------
        ValueError
            For a layer, neuron or weight that is not an integer or not in the network.
        """
        snap = self.snapshot
        x, y = snap.source.probe()
        e = explain(snap.net, x, y, **self._explained(layer, neuron, weight))
        out = _json_values(e.to_dict())
        out["derivatives"] = [None if d is None else d.tolist() for d in e.derivatives]
        out["grad_activations"] = [g.tolist() for g in e.grad_activations]
        out["general_output_delta"] = e.general_output_delta.tolist()
        out["step"], out["run"], out["probe"] = snap.steps, snap.run, {"index": snap.source.settings.probe, "x": x.tolist(), "y": y.tolist()}
        return out

    def derivation_page(self, layer: object, neuron: object, weight: object) -> str:
        """``GET /api/derivation``: the derivation of w^layer_{neuron weight} for the probe
        example at the snapshot's weights, as explain's self-contained HTML page."""
        snap = self.snapshot
        x, y = snap.source.probe()
        return explain(snap.net, x, y, **self._explained(layer, neuron, weight)).to_html()

    def _explained(self, layer: object, neuron: object, weight: object) -> dict[str, Any]:
        """explain's keywords for a neuron (and one of its incoming weights), checked."""
        sizes = self.snapshot.net.sizes
        L = len(sizes)
        layer = integer("layer", layer, f"an integer from 2 to {L} (layer 1 is the input, which has no δ)", lambda v: 2 <= v <= L)
        width = sizes[layer - 1]
        neuron = integer("neuron", neuron, f"an integer from 1 to {width} (the width of layer {layer})", lambda v: 1 <= v <= width)
        if weight is None:
            return {"neuron": (layer, neuron)}
        fan_in = sizes[layer - 2]
        k = integer("weight", weight, f"an integer from 1 to {fan_in} (the width of layer {layer - 1})", lambda v: 1 <= v <= fan_in)
        return {"neuron": (layer, neuron), "derive": True, "weight": (layer, neuron, k)}



def outputs_for(data: RunData) -> dict[str, str]:
    """The output and cost that fit a data set: sigmoid and cross-entropy for two classes,
    softmax and log-likelihood for more, identity and quadratic for a quantity."""
    if data.classes is None:
        return {"output": "identity", "cost": "quadratic"}
    return {"output": "sigmoid", "cost": "cross_entropy"} if data.n_classes == 2 else {"output": "softmax", "cost": "log_likelihood"}


def _only_probe_differs(a: Settings, b: Settings) -> bool:
    return a.to_dict() | {"probe": 0} == b.to_dict() | {"probe": 0}


def _speed(samples: collections.deque) -> float:
    """Examples per second over the last second of samples (time, examples)."""
    if len(samples) < 2:
        return 0.0
    t1, n1 = samples[-1]
    t0, n0 = next(((t, n) for t, n in samples if t1 - t <= 1.0), samples[-2])
    return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0


def curve(snap: Snapshot, start: int) -> list[list[float | None]]:
    """The per-epoch costs from epoch ``start`` (counted from 0) to the snapshot's:
    [epoch counted from 1, training cost, test cost], null where a cost was not finite."""
    h, end = snap.history, snap.epochs_measured
    val = h.val_cost
    return [[i + 1, _finite(h.cost[i]), _finite(val[i]) if i < len(val) else None] for i in range(start, end)]


def _json_values(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (JSON has neither)."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, list):
        return [_json_values(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_values(v) for k, v in value.items()}
    return value


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _floats(array: np.ndarray) -> dict[str, Any]:
    """An array as float32 bytes (little-endian) in base64, with its shape: {shape, v}."""
    return {"shape": list(array.shape), "v": base64.b64encode(array.astype("<f4").tobytes()).decode("ascii")}


def _heat(values: np.ndarray) -> dict[str, Any]:
    """Values as bytes 0…255 between their lowest and highest, in base64: {lo, hi, v}."""
    values = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(values.min()), float(values.max())
    scaled = np.zeros(values.shape, np.uint8) if hi <= lo else np.round((values - lo) * (255.0 / (hi - lo))).astype(np.uint8)
    return {"lo": lo, "hi": hi, "v": base64.b64encode(scaled.tobytes()).decode("ascii")}
