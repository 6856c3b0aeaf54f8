"""The playground's settings: everything a run is made of, each one checked and bounded.

A run is fixed by its :class:`Settings` (the data set and its noise, split and seed; the layer
widths and each layer's activation; the output, the cost; the optimizer and η; λ₁, λ (L2),
dropout, the batch size), so the same settings give the same run, step for step: the page keeps
them in its URL. Requests come from a browser, so every value is checked here with a one-line
message naming the setting, the value and what is allowed, and every size is bounded
(:data:`LIMITS`) so that no request can make the server allocate without limit.

Symbols → names: η → ``lr``; λ → ``l2``; λ₁ → ``l1``; p → ``dropout``; m → ``batch_size``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ..activations import ACTIVATIONS
from ..costs import COSTS
from ..optimizers import OPTIMIZERS
from ..validation import integer, known_name, real_number

__all__ = ["Settings", "LIMITS", "CSV", "HIDDEN_ACTIVATIONS", "choices"]

#: The name of the data set the server was given as a CSV file (or that the page sent).
CSV = "csv"
#: Activations a hidden layer may have (softmax couples its outputs: output layer only).
HIDDEN_ACTIVATIONS = tuple(name for name, act in ACTIVATIONS.items() if act.elementwise)
#: The bounds on what one request may ask for.
LIMITS = {
    "hidden_layers": 8,       # hidden layers (TensorFlow Playground: 6)
    "neurons": 32,            # neurons per hidden layer (TensorFlow Playground: 8)
    "points": 2000,           # points of a generated data set
    "classes": 6,             # arms of the spirals
    "steps": 10_000,          # gradient steps of one "step" request
    "batch_size": 1000,
    "csv_bytes": 2_000_000,   # a CSV file sent by the page or given on the command line
    "csv_rows": 10_000,
    "csv_columns": 50,
    "body_bytes": 4_200_000,  # a request body: the CSV, escaped in JSON, and the settings around it
    "seed": 2**31 - 1,
}


@dataclass(frozen=True)
class Settings:
    """The settings of one run; :meth:`updated` checks every change.

    Attributes
    ----------
    dataset : str
        ``xor``, ``moons``, ``circles``, ``spirals`` or ``csv`` (the table the server holds).
    points : int
        Points of a generated set (train and test together).
    noise : float
        Standard deviation of a generated set's noise.
    classes : int
        The spirals' arms, that is classes (the other generated sets have two).
    test_fraction : float
        Share of the points held out as the test set, in [0.1, 0.9].
    hidden : tuple of int
        Width of each hidden layer (none: a network with no hidden layer).
    activations : tuple of str
        σ of each hidden layer.
    output, cost : str
        σ of the output layer and the cost C.
    optimizer : str
        A key of :data:`deltaprop.optimizers.OPTIMIZERS`.
    lr, l1, l2, dropout : float
        η, λ₁, λ and the dropout probability of the hidden units.
    batch_size : int
        Examples per gradient step.
    seed : int
        Seed of the data set, its split, the initial weights, the shuffles and the dropout masks.
    probe : int
        Index of the training example that explanations use.
    """

    dataset: str = "xor"
    points: int = 400
    noise: float = 0.2
    classes: int = 3
    test_fraction: float = 0.3
    hidden: tuple[int, ...] = (8, 8)
    activations: tuple[str, ...] = ("tanh", "tanh")
    output: str = "sigmoid"
    cost: str = "cross_entropy"
    optimizer: str = "sgd"
    lr: float = 0.1
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    batch_size: int = 10
    seed: int = 0
    probe: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def updated(self, changes: Mapping[str, object], datasets: tuple[str, ...]) -> Settings:
        """Return these settings with ``changes`` applied, every changed value checked.

        Parameters
        ----------
        changes : mapping
            Setting name → new value (JSON values: lists for ``hidden`` and ``activations``).
            When ``hidden`` changes and ``activations`` is not given, new layers take the last
            layer's activation (tanh when there was none) and removed ones drop theirs.
        datasets : tuple of str
            The data sets this server can make (``csv`` only when it holds a table).

        Raises
        ------
        ValueError
            For an unknown setting or a value of the wrong type or out of its bounds.
        """
        known = [f.name for f in fields(self)]
        for key in changes:
            if key not in known:
                raise ValueError(f"setting {key!r} is unknown; the settings are {', '.join(known)}")
        values = {k: _CHECKS[k](changes[k], datasets) for k in changes}
        if "hidden" in values and "activations" not in values:
            last = (self.activations or ("tanh",))[-1]
            values["activations"] = tuple(self.activations[: len(values["hidden"])]) + (last,) * max(0, len(values["hidden"]) - len(self.activations))
        new = replace(self, **values)
        if len(new.activations) != len(new.hidden):
            raise ValueError(f"activations must name one function per hidden layer ({len(new.hidden)}); got {list(new.activations)!r}")
        return new


def _int(name: str, low: int, high: int):
    return lambda v, _: integer(name, v, f"an integer from {low} to {high}", lambda x: low <= x <= high)


def _number(name: str, low: float, high: float, low_open: bool = False):
    bracket = "(" if low_open else "["
    return lambda v, _: real_number(name, v, f"a number in {bracket}{low:g}, {high:g}]", lambda x: (x > low if low_open else x >= low) and x <= high)


def _name(name: str, names: tuple[str, ...]):
    return lambda v, _: known_name(name, v, names)


def _hidden(value: object, _: object) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) > LIMITS["hidden_layers"]:
        raise ValueError(f"hidden must be a list of at most {LIMITS['hidden_layers']} layer widths; got {_short(value)}")
    return tuple(integer(f"hidden[{i}]", w, f"an integer from 1 to {LIMITS['neurons']}", lambda x: 1 <= x <= LIMITS["neurons"]) for i, w in enumerate(value))


def _activations(value: object, _: object) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > LIMITS["hidden_layers"]:
        raise ValueError(f"activations must be a list of at most {LIMITS['hidden_layers']} names; got {_short(value)}")
    return tuple(known_name(f"activations[{i}]", a, HIDDEN_ACTIVATIONS) for i, a in enumerate(value))


def _dataset(value: object, datasets: tuple[str, ...]) -> str:
    return known_name("dataset", value, datasets)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_CHECKS = {
    "dataset": _dataset,
    "points": _int("points", 20, LIMITS["points"]),
    "noise": _number("noise", 0.0, 2.0),
    "classes": _int("classes", 2, LIMITS["classes"]),
    "test_fraction": _number("test_fraction", 0.1, 0.9),
    "hidden": _hidden,
    "activations": _activations,
    "output": _name("output", tuple(ACTIVATIONS)),
    "cost": _name("cost", tuple(COSTS)),
    "optimizer": _name("optimizer", tuple(OPTIMIZERS)),
    "lr": _number("lr", 0.0, 100.0, low_open=True),
    "l1": _number("l1", 0.0, 1000.0),
    "l2": _number("l2", 0.0, 1000.0),
    "dropout": _number("dropout", 0.0, 0.9),
    "batch_size": _int("batch_size", 1, LIMITS["batch_size"]),
    "seed": _int("seed", 0, LIMITS["seed"]),
    "probe": _int("probe", 0, LIMITS["csv_rows"]),
}


def choices(datasets: tuple[str, ...]) -> dict[str, list[str]]:
    """The names each choice of the page may take."""
    return {
        "dataset": list(datasets), "activations": list(HIDDEN_ACTIVATIONS), "output": list(ACTIVATIONS),
        "cost": list(COSTS), "optimizer": list(OPTIMIZERS),
    }

