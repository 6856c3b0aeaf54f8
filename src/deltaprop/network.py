"""A fully connected network: its parameters, its predictions and its cost.

Symbols → names: the layer widths n_0 … n_L → ``sizes``; W^l → ``weights[i]`` (shape
(n_l, n_{l−1})); b^l → ``biases[i]`` (shape (n_l,)); σ of each layer → ``activations[i]``;
C → ``cost_function``; λ → ``l2``. ``weights[i]`` is W^{i+2} in seed 000's numbering and
Θ^(i+1) in seed 002's (see :mod:`deltaprop.backprop`).

Labels ``y`` of shape (n,) or float targets of shape (n, n_out) are accepted everywhere; the
network turns labels into one-hot target rows itself (:meth:`Network.targets`).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence

import numpy as np

from .activations import Activation, get_activation
from .backprop import Gradients, backprop, backprop_per_example, forward
from .costs import Cost, get_cost
from .penalty import NO_PENALTY, Penalty
from .scaling import Scaling
from .validation import as_inputs, as_sample_weight, as_targets, generator, integer, known_name

__all__ = ["Network", "INITIALIZERS", "TASKS", "MAX_WIDTH", "describe_scaling"]


def _init_default(rng: np.random.Generator, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Nielsen's default: w ~ N(0, 1/n_in), b ~ N(0, 1)."""
    return rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_out, n_in)), rng.normal(0.0, 1.0, n_out)


def _init_xavier(rng: np.random.Generator, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Glorot & Bengio: w ~ U(±√(6 / (n_in + n_out))), b = 0."""
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, (n_out, n_in)), np.zeros(n_out)


def _init_he(rng: np.random.Generator, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """He et al. (for ReLU): w ~ N(0, 2/n_in), b = 0."""
    return rng.normal(0.0, np.sqrt(2.0 / n_in), (n_out, n_in)), np.zeros(n_out)


INITIALIZERS = {"default": _init_default, "xavier": _init_xavier, "glorot": _init_xavier, "he": _init_he}

_CLASSIFIER_OUTPUTS = ("sigmoid", "softmax")
#: What a network's outputs are.
TASKS = ("classification", "regression")
#: The widest layer a network may have (2**24 units; a saved model is held to it too).
MAX_WIDTH = 1 << 24


#: The most class names :meth:`Network.summary` lists.
SUMMARY_CLASSES = 20


def describe_scaling(scaling: Scaling) -> str:
    """One line saying what ``scaling`` does: x / c for one divisor and no shift, else per feature."""
    features = f"{scaling.width} feature{'s' if scaling.width > 1 else ''}"
    if not scaling.shift.any() and np.all(scaling.scale == scaling.scale[0]):
        return f"x / {scaling.scale[0]:g} ({features})"
    return f"(x − shift) / scale, per feature ({features})"


def class_labels(rows: np.ndarray) -> np.ndarray:
    """Return the class of each row of outputs or targets: argmax, or ≥ ½ for one column."""
    return (rows[:, 0] >= 0.5).astype(np.intp) if rows.shape[1] == 1 else rows.argmax(axis=1)


class Network:
    """A fully connected feed-forward network trained by backpropagation.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first: ``[784, 100, 10]``.
    activation : str, Activation or sequence of them
        σ of the hidden layers: one for all, or one per hidden layer.
    output : str or Activation
        σ of the output layer.
    cost : str or Cost
        ``"quadratic"``, ``"cross_entropy"`` or ``"log_likelihood"``.
    init : {"default", "xavier", "glorot", "he"}
        How weights and biases are drawn.
    seed : int, Generator or None
        Source of the initial weights; the same seed gives the same weights, bit for bit.
    dtype : dtype or str
        ``float32`` (default) or ``float64``.

    Attributes
    ----------
    sizes : list of int
    weights, biases : list of ndarray
        W^l of shape (n_l, n_{l−1}) and b^l of shape (n_l,): plain arrays, free to read and
        assign (assigned arrays must keep their shape and the network's dtype).
    activations : list of Activation
        σ of each layer with weights, the output's last.
    cost_function : Cost
    dtype : numpy.dtype
    task : {"classification", "regression"}
        Classification by default for a sigmoid or softmax output, regression otherwise.

    What using the network needs, saved with it (all optional, ``None`` by default):

    input_scaling : Scaling
        Applied to every input (``inputs``), so the network takes data in the units of its
        file: a table's standardisation, an image's pixel scaling.
    target_scaling : Scaling
        A regressor's: targets are scaled by it for training and costs, and ``predict``
        answers in the targets' own units.
    classes : list of str
        The name of each class (its output unit; for one sigmoid output, of 0 and 1):
        ``predict`` answers with names, and targets may be given as names.
    feature_names : list of str
        The name of each input.
    provenance : dict
        JSON values: the data set, the settings, the deltaprop version, the test scores.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Activation | Sequence[str | Activation] = "sigmoid",
        output: str | Activation = "sigmoid",
        cost: str | Cost = "cross_entropy",
        init: str = "default",
        seed: int | np.random.Generator | None = 0,
        dtype: str | np.dtype | type = "float32",
    ) -> None:
        self._set_architecture(sizes, activation, output, cost, dtype)
        known_name("init", init, INITIALIZERS)
        rng = generator("seed", seed)
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        try:
            for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
                W, b = INITIALIZERS[init](rng, n_in, n_out)
                self.weights.append(W.astype(self.dtype))
                self.biases.append(b.astype(self.dtype))
        except MemoryError:
            raise ValueError(
                f"sizes {self.sizes} need {self.parameter_count(self.sizes):,} parameters, more than this machine can allocate"
            ) from None
        self._set_metadata()

    @classmethod
    def from_parameters(
        cls,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray],
        activation: str | Activation | Sequence[str | Activation] = "sigmoid",
        output: str | Activation = "sigmoid",
        cost: str | Cost = "cross_entropy",
    ) -> Network:
        """Build a network around given parameters, drawing nothing (how a saved model is loaded).

        ``weights[l]`` of shape (n_{l+1}, n_l) and ``biases[l]`` of shape (n_{l+1},), all of one
        dtype (float32 or float64), are used as they are, not copied; the sizes follow from them.

        Raises
        ------
        ValueError
            If the arrays do not chain into a network, or as :class:`Network` does for the rest.
        """
        if not weights or len(weights) != len(biases) or not all(isinstance(W, np.ndarray) and W.ndim == 2 for W in weights):
            raise ValueError("weights must be a non-empty list of 2-D arrays, one bias vector each")
        net = object.__new__(cls)
        net._set_architecture([weights[0].shape[1], *(W.shape[0] for W in weights)], activation, output, cost, weights[0].dtype)
        net.weights, net.biases = list(weights), list(biases)
        net.check_parameters()
        net._set_metadata()
        return net

    @staticmethod
    def parameter_count(sizes: Sequence[int]) -> int:
        """The number of weights and biases of a network of ``sizes``: Σ n_l (n_{l−1} + 1)."""
        return sum(n_out * (n_in + 1) for n_in, n_out in zip(sizes[:-1], sizes[1:]))

    def _set_architecture(
        self, sizes: Sequence[int], activation: object, output: object, cost: object, dtype: object
    ) -> None:
        """Check and set sizes, activations, cost and dtype."""
        if isinstance(sizes, np.ndarray) and sizes.ndim == 1:
            sizes = sizes.tolist()
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
            raise ValueError(
                f"sizes must list at least an input and an output width, e.g. [784, 100, 10]; got {sizes!r}"
            )
        self.sizes = [integer(f"sizes[{i}]", s, f"a positive integer ≤ {MAX_WIDTH:,} (MAX_WIDTH)", lambda v: 1 <= v <= MAX_WIDTH) for i, s in enumerate(sizes)]
        n_hidden = len(self.sizes) - 2
        if isinstance(activation, (str, Activation)):
            activation = [activation] * n_hidden
        elif not isinstance(activation, Sequence):
            raise ValueError(f"activation must be a name, an Activation or a list of them; got {activation!r}")
        elif len(activation) != n_hidden:
            raise ValueError(
                f"activation lists {len(activation)} functions but sizes {self.sizes} has {n_hidden} hidden layers"
            )
        hidden = [get_activation(a) for a in activation]
        for act in hidden:
            if not act.elementwise:
                raise ValueError(
                    f"activation {act.name!r} couples its outputs and can only be the output layer's"
                )
        self.activations = hidden + [get_activation(output)]
        if self.activations[-1].name == "softmax" and self.sizes[-1] == 1:
            raise ValueError("output 'softmax' over a single unit is constantly 1; use 'sigmoid' for one output")
        self.cost_function = get_cost(cost)
        if dtype is None:
            raise ValueError("dtype None is not supported; use float32 or float64")
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            raise ValueError(f"dtype {dtype!r} is not a NumPy dtype; use float32 or float64") from None
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype {self.dtype.name!r} is not supported; use float32 or float64")

    def _set_metadata(self) -> None:
        """Set what using the network needs to its defaults."""
        self.task = "classification" if self.activations[-1].name in _CLASSIFIER_OUTPUTS else "regression"
        self.input_scaling: Scaling | None = None
        self.target_scaling: Scaling | None = None
        self.classes: list[str] | None = None
        self.feature_names: list[str] | None = None
        self.provenance: dict | None = None

    def __repr__(self) -> str:
        acts = ", ".join(a.name for a in self.activations)
        return f"Network(sizes={self.sizes}, activations=[{acts}], cost={self.cost_function.name!r}, dtype={self.dtype.name})"

    def summary(self) -> str:
        """Return a table of the network to print: one row per layer, numbered as in the book
        (layer 1 is the input), with its width, activation, the shapes of W^l and b^l and their
        parameter count, then the total, the cost, the dtype, the task and, when the network
        has them, its classes and its input and target scaling.
        """
        rows = [("layer", "width", "activation", "W", "b", "parameters"), ("1", str(self.sizes[0]), "(input)", "", "", "0")]
        for i, (W, b, act) in enumerate(zip(self.weights, self.biases, self.activations)):
            rows.append((str(i + 2), str(self.sizes[i + 1]), act.name, str(W.shape), str(b.shape), f"{W.size + b.size:,}"))
        total = sum(p.size for p in self.parameters())
        widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
        lines = ["  ".join(cell.rjust(w) if k in (1, 5) else cell.ljust(w) for k, (cell, w) in enumerate(zip(row, widths))).rstrip() for row in rows]
        rule = "-" * len(max(lines, key=len))
        lines[1:1] = [rule]
        lines += [rule, f"total parameters: {total:,}", f"cost: {self.cost_function.name}", f"dtype: {self.dtype.name}", f"task: {self.task}"]
        if self.classes is not None:
            shown = ", ".join(self.classes[:SUMMARY_CLASSES]) + (f", … ({len(self.classes)} in all)" if len(self.classes) > SUMMARY_CLASSES else "")
            lines.append(f"classes: {shown}")
        for name, scaling in (("input scaling", self.input_scaling), ("target scaling", self.target_scaling)):
            if scaling is not None:
                lines.append(f"{name}: {describe_scaling(scaling)}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ parameters
    def parameters(self) -> list[np.ndarray]:
        """Return ``[W0, b0, W1, b1, ...]``: the arrays themselves, for in-place updates."""
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    def check_parameters(self) -> None:
        """Raise ``ValueError`` if an assigned weight or bias has the wrong shape or dtype."""
        depth = len(self.sizes) - 1
        if len(self.weights) != depth or len(self.biases) != depth:
            raise ValueError(
                f"the network has {depth} weight layers but {len(self.weights)} weights and {len(self.biases)} biases"
            )
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            for name, array, shape in (
                (f"weights[{i}]", W, (self.sizes[i + 1], self.sizes[i])),
                (f"biases[{i}]", b, (self.sizes[i + 1],)),
            ):
                if not isinstance(array, np.ndarray) or array.shape != shape or array.dtype != self.dtype:
                    got = f"{array.shape} {array.dtype}" if isinstance(array, np.ndarray) else type(array).__name__
                    raise ValueError(
                        f"{name} must be a {self.dtype.name} array of shape {shape} for sizes {self.sizes}; got {got}"
                    )

    def copy(self, dtype: str | np.dtype | type | None = None) -> Network:
        """Return an independent copy, its parameters converted to ``dtype`` if given.

        Any float dtype is accepted here (gradient checking copies to ``np.longdouble``).
        """
        clone = object.__new__(Network)
        clone.sizes = list(self.sizes)
        clone.activations = list(self.activations)
        clone.cost_function = self.cost_function
        clone.dtype = self.dtype if dtype is None else np.dtype(dtype)
        clone.weights = [W.astype(clone.dtype) for W in self.weights]
        clone.biases = [b.astype(clone.dtype) for b in self.biases]
        for name in ("task", "input_scaling", "target_scaling", "classes", "feature_names", "provenance"):
            setattr(clone, name, copy.deepcopy(getattr(self, name)))
        return clone

    def check_metadata(self) -> None:
        """Raise ``ValueError`` if ``task``, the scalings, ``classes`` or ``feature_names``
        do not fit the network."""
        known_name("task", self.task, TASKS)
        if self.task == "classification" and self.activations[-1].name not in _CLASSIFIER_OUTPUTS:
            raise ValueError(f"a classifier needs a sigmoid or softmax output; this network's output is {self.activations[-1].name}")
        for name, scaling, width in (("input_scaling", self.input_scaling, self.sizes[0]), ("target_scaling", self.target_scaling, self.sizes[-1])):
            if scaling is not None and (not isinstance(scaling, Scaling) or scaling.width != width):
                raise ValueError(f"{name} must be a Scaling of {width} features; got {scaling!r}")
        if self.target_scaling is not None and self.task != "regression":
            raise ValueError("target_scaling is for a regressor; this network is a classifier")
        n_classes = 2 if self.sizes[-1] == 1 else self.sizes[-1]
        for name, names, count in (("classes", self.classes, n_classes), ("feature_names", self.feature_names, self.sizes[0])):
            if names is not None and (
                not isinstance(names, list) or len(names) != count or not all(isinstance(n, str) for n in names) or len(set(names)) != count
            ):
                raise ValueError(f"{name} must be a list of {count} distinct strings; got {names!r}")
        if self.classes is not None and self.task != "classification":
            raise ValueError("classes are for a classifier; this network is a regressor")
        if self.provenance is not None and not isinstance(self.provenance, dict):
            raise ValueError(f"provenance must be a dict of JSON values; got {type(self.provenance).__name__}")

    # ------------------------------------------------------------------ inputs
    @property
    def is_classifier(self) -> bool:
        """True when ``task`` is classification (a sigmoid or softmax output: probabilities)."""
        return self.task == "classification"

    def inputs(self, X: object) -> np.ndarray:
        """Return ``X`` as a finite array of shape (n, n_0) in the network's dtype, scaled by
        ``input_scaling`` when the network has one, or raise."""
        X = as_inputs(X, self.sizes[0], self.dtype)
        if self.input_scaling is None:
            return X
        if self.input_scaling.looks_applied(X):
            warnings.warn(
                f"the inputs lie in [0, 1], but this network scales them itself (x / {self.input_scaling.scale[0]:g}): "
                "pass the raw pixel values (deltaprop.datasets.read gives them)", UserWarning, stacklevel=3,
            )
        return self.input_scaling.apply(X)

    def targets(self, y: object, n: int) -> np.ndarray:
        """Return labels (n,) or targets (n, n_out) as float target rows, or raise.

        Labels may be class names when the network has ``classes``; a regressor's targets
        are scaled by its ``target_scaling``. See :func:`deltaprop.validation.as_targets`.
        """
        if self.classes is not None and np.asarray(y).dtype.kind in "USO":
            y = self.class_codes(y)
        Y = as_targets(y, n, self.sizes[-1], self.dtype, self.cost_function.name)
        return Y if self.target_scaling is None else self.target_scaling.apply(Y)

    def class_codes(self, names: object) -> np.ndarray:
        """Return the class number of each name in ``names``, or raise naming one that is unknown."""
        code = {name: k for k, name in enumerate(self.classes or [])}
        names = [str(n) for n in np.asarray(names, dtype=object).ravel()]
        unknown = [n for n in names if n not in code]
        if unknown:
            raise ValueError(f"y holds class {unknown[0]!r}, which this network does not know; its classes are {', '.join(map(repr, code))}")
        return np.array([code[n] for n in names], dtype=np.int64)

    # ------------------------------------------------------------------ outputs
    def predict_proba(self, X: object) -> np.ndarray:
        """Return the output activations a^L, shape (n, n_out)."""
        self.check_parameters()
        return forward(self, self.inputs(X)).activations[-1]

    def predict(self, X: object) -> np.ndarray:
        """Return the class of each row for a classifier (argmax of a^L; a^L ≥ ½ for one
        output): its name when the network has ``classes``, else its number. For a regressor,
        the outputs a^L, in the targets' own units when it has a ``target_scaling``."""
        a = self.predict_proba(X)
        if not self.is_classifier:
            return a if self.target_scaling is None else self.target_scaling.invert(a)
        labels = class_labels(a)
        return labels if self.classes is None else np.array(self.classes)[labels]

    def accuracy(self, X: object, y: object) -> float:
        """Return the fraction of examples whose predicted class is the true one.

        ``y`` may be labels or target rows (whose argmax, or ≥ ½ for one output, is the class).
        """
        if not self.is_classifier:
            raise ValueError(
                f"accuracy needs a classifier (sigmoid or softmax output); this network's output is {self.activations[-1].name}"
            )
        self.check_parameters()
        X = self.inputs(X)
        Y = self.targets(y, len(X))
        return float(np.mean(class_labels(forward(self, X).activations[-1]) == class_labels(Y)))

    def cost(
        self, X: object, y: object, l2: float = 0.0, n_total: int | None = None, l1: float = 0.0, sample_weight: object = None
    ) -> float:
        """Return C = (1/n) Σ_x C_x + λ/(2n) Σ‖W‖² + λ₁/n Σ|w| (weights only, never biases).

        Parameters
        ----------
        X, y : array_like
            Inputs (n, n_0) and labels (n,) or targets (n, n_out).
        l2 : float
            λ ≥ 0.
        n_total : int, optional
            The n of the regularisation terms (the training-set size); ``len(X)`` if omitted.
        l1 : float
            λ₁ ≥ 0.
        sample_weight : array_like, shape (n,), optional
            Weights of the examples: the data term becomes Σ w_x C_x / Σ w_x.
        """
        self.check_parameters()
        X = self.inputs(X)
        Y = self.targets(y, len(X))
        penalty = Penalty.checked(l2, l1, n_total, len(X))
        return float(self.regularised_cost(X, Y, penalty, as_sample_weight(sample_weight, len(X), self.dtype)))

    def regularised_cost(
        self, X: np.ndarray, Y: np.ndarray, penalty: Penalty = NO_PENALTY, sample_weight: np.ndarray | None = None
    ) -> np.floating:
        """C for validated inputs and targets, as a scalar of the network's dtype.

        The unchecked core of :meth:`cost`: gradient checking evaluates it in extended
        precision, where a Python float would round the difference it measures away.
        """
        return self.cost_function.value(forward(self, X).activations[-1], Y, sample_weight) + penalty.cost(self.weights)

    def gradients(
        self,
        X: object,
        y: object,
        l2: float = 0.0,
        n_total: int | None = None,
        per_example: bool = False,
        l1: float = 0.0,
        sample_weight: object = None,
    ) -> Gradients:
        """Return ∂C/∂W, ∂C/∂b and δ for every layer, by one backward pass over the batch.

        Parameters
        ----------
        X, y, l2, n_total, l1, sample_weight
            As for :meth:`cost`; the gradients are those of that cost.
        per_example : bool
            Use seed 002's loop over the examples instead of the vectorised form (slower,
            equal to float round-off).
        """
        self.check_parameters()
        X = self.inputs(X)
        Y = self.targets(y, len(X))
        penalty = Penalty.checked(l2, l1, n_total, len(X))
        w = as_sample_weight(sample_weight, len(X), self.dtype)
        if per_example:
            if w is not None:
                raise ValueError("per_example=True does not take sample_weight; the vectorised form does")
            return backprop_per_example(self, X, Y, penalty)
        return backprop(self, X, Y, penalty, sample_weight=w)
