"""The Network class: construction, initialisers, validation, prediction, cost and copies.

The backpropagation maths (gradients against numerical differentiation) is tested elsewhere;
here every check is about the class's own contract and its exact error messages.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from deltaprop import Network
from deltaprop.scaling import Scaling


def exact(message: str) -> str:
    """A ``pytest.raises(match=...)`` pattern that matches ``message`` and nothing more."""
    return f"^{re.escape(message)}$"


@pytest.fixture
def classifier() -> Network:
    """4 inputs, 5 hidden sigmoid units, 3 softmax outputs with the log-likelihood cost."""
    return Network([4, 5, 3], output="softmax", cost="log_likelihood", seed=1)


@pytest.fixture
def X() -> np.ndarray:
    return np.random.default_rng(2).standard_normal((6, 4))


# ---------------------------------------------------------------------------- constructor
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"sizes": [4]},
            "sizes must list at least an input and an output width, e.g. [784, 100, 10]; got [4]",
            id="sizes-too-short",
        ),
        pytest.param(
            {"sizes": 4},
            "sizes must list at least an input and an output width, e.g. [784, 100, 10]; got 4",
            id="sizes-not-a-list",
        ),
        pytest.param(
            {"sizes": "43"},
            "sizes must list at least an input and an output width, e.g. [784, 100, 10]; got '43'",
            id="sizes-a-string",
        ),
        pytest.param({"sizes": [4, 0, 3]}, "sizes[1] must be a positive integer ≤ 16,777,216 (MAX_WIDTH); got 0", id="width-zero"),
        pytest.param({"sizes": [4, -2]}, "sizes[1] must be a positive integer ≤ 16,777,216 (MAX_WIDTH); got -2", id="width-negative"),
        pytest.param({"sizes": [4.0, 3]}, "sizes[0] must be a positive integer ≤ 16,777,216 (MAX_WIDTH); got 4.0", id="width-float"),
        pytest.param({"sizes": [64, 2**40, 10]}, "sizes[1] must be a positive integer ≤ 16,777,216 (MAX_WIDTH); got 1099511627776", id="width-huge"),
        pytest.param({"sizes": [4, True]}, "sizes[1] must be a positive integer ≤ 16,777,216 (MAX_WIDTH); got True", id="width-bool"),
        pytest.param(
            {"sizes": [4, 5, 3], "activation": ["relu", "tanh"]},
            "activation lists 2 functions but sizes [4, 5, 3] has 1 hidden layers",
            id="activation-list-too-long",
        ),
        pytest.param(
            {"sizes": [4, 5, 6, 3], "activation": ["relu"]},
            "activation lists 1 functions but sizes [4, 5, 6, 3] has 2 hidden layers",
            id="activation-list-too-short",
        ),
        pytest.param(
            {"sizes": [4, 5, 3], "activation": "swish"},
            "activation 'swish' is unknown; choose one of sigmoid, tanh, relu, leaky_relu, softplus, identity, softmax, exp",
            id="unknown-activation",
        ),
        pytest.param(
            {"sizes": [4, 5, 3], "output": "swish"},
            "activation 'swish' is unknown; choose one of sigmoid, tanh, relu, leaky_relu, softplus, identity, softmax, exp",
            id="unknown-output",
        ),
        pytest.param(
            {"sizes": [4, 5, 3], "activation": "softmax"},
            "activation 'softmax' couples its outputs and can only be the output layer's",
            id="softmax-hidden",
        ),
        pytest.param(
            {"sizes": [4, 5, 6, 3], "activation": ["relu", "softmax"]},
            "activation 'softmax' couples its outputs and can only be the output layer's",
            id="softmax-hidden-in-list",
        ),
        pytest.param(
            {"sizes": [4, 1], "output": "softmax"},
            "output 'softmax' over a single unit is constantly 1; use 'sigmoid' for one output",
            id="softmax-single-output",
        ),
        pytest.param(
            {"sizes": [4, 3], "cost": "hinge"},
            "cost 'hinge' is unknown; choose one of quadratic, cross_entropy, log_likelihood, poisson",
            id="unknown-cost",
        ),
        pytest.param(
            {"sizes": [4, 3], "init": "zeros"},
            "init 'zeros' is unknown; choose one of default, xavier, glorot, he",
            id="unknown-init",
        ),
        pytest.param(
            {"sizes": [4, 3], "dtype": "int32"},
            "dtype 'int32' is not supported; use float32 or float64",
            id="dtype-int32",
        ),
        pytest.param(
            {"sizes": [4, 3], "dtype": "float16"},
            "dtype 'float16' is not supported; use float32 or float64",
            id="dtype-float16",
        ),
        pytest.param(
            {"sizes": [4, 3], "dtype": "banana"},
            "dtype 'banana' is not a NumPy dtype; use float32 or float64",
            id="dtype-not-a-dtype",
        ),
    ],
)
def test_constructor_rejects(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=exact(message)):
        Network(**kwargs)


def test_constructor_accepts_tuple_sizes_and_per_layer_activations() -> None:
    net = Network((4, 5, 6, 3), activation=["relu", "tanh"], output="softmax", cost="log_likelihood")
    assert net.sizes == [4, 5, 6, 3]
    assert [a.name for a in net.activations] == ["relu", "tanh", "softmax"]
    assert net.cost_function.name == "log_likelihood"


def test_network_without_hidden_layers() -> None:
    net = Network([4, 3])
    assert [a.name for a in net.activations] == ["sigmoid"]
    assert len(net.weights) == len(net.biases) == 1


# ---------------------------------------------------------------------------- initialisers
@pytest.mark.parametrize("init", ["default", "xavier", "glorot", "he"])
def test_parameter_shapes_and_default_dtype(init: str) -> None:
    net = Network([7, 5, 4, 3], init=init)
    assert net.dtype == np.float32
    for i, (n_in, n_out) in enumerate(zip(net.sizes[:-1], net.sizes[1:])):
        assert net.weights[i].shape == (n_out, n_in)
        assert net.biases[i].shape == (n_out,)
        assert net.weights[i].dtype == net.biases[i].dtype == np.float32


@pytest.mark.parametrize("dtype", ["float64", np.float64, np.dtype("float64")])
def test_float64_when_asked(dtype: object) -> None:
    net = Network([4, 5, 3], dtype=dtype)
    assert net.dtype == np.float64
    assert all(p.dtype == np.float64 for p in net.weights + net.biases)


N_IN, N_OUT = 1000, 2000


def _large_layer(init: str) -> tuple[np.ndarray, np.ndarray]:
    """The weights and biases of a N_IN → N_OUT layer, as float64."""
    net = Network([N_IN, N_OUT], init=init, seed=3)
    return net.weights[0].astype(np.float64), net.biases[0].astype(np.float64)


def test_default_init_statistics() -> None:
    W, b = _large_layer("default")
    assert W.mean() == pytest.approx(0, abs=1e-3)
    assert W.std() == pytest.approx(1 / np.sqrt(N_IN), rel=0.01)
    assert b.std() == pytest.approx(1.0, rel=0.05)  # only N_OUT samples
    assert abs(b.mean()) < 0.1


@pytest.mark.parametrize("init", ["xavier", "glorot"])
def test_xavier_init_statistics(init: str) -> None:
    W, b = _large_layer(init)
    limit = np.sqrt(6 / (N_IN + N_OUT))
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() == pytest.approx(limit, rel=0.01)  # fills the interval
    assert W.std() == pytest.approx(limit / np.sqrt(3), rel=0.01)  # std of U(-a, a)
    assert not b.any()


def test_he_init_statistics() -> None:
    W, b = _large_layer("he")
    assert W.mean() == pytest.approx(0, abs=1e-3)
    assert W.std() == pytest.approx(np.sqrt(2 / N_IN), rel=0.01)
    assert not b.any()


# ---------------------------------------------------------------------------- determinism
def _parameters(net: Network) -> list[np.ndarray]:
    return net.weights + net.biases


@pytest.mark.parametrize("init", ["default", "xavier", "he"])
def test_same_seed_same_weights_bit_for_bit(init: str) -> None:
    a, b = Network([6, 8, 3], init=init, seed=42), Network([6, 8, 3], init=init, seed=42)
    assert all(np.array_equal(p, q) for p, q in zip(_parameters(a), _parameters(b), strict=True))


def test_different_seed_different_weights() -> None:
    a, b = Network([6, 8, 3], seed=1), Network([6, 8, 3], seed=2)
    assert not np.array_equal(a.weights[0], b.weights[0])
    assert not np.array_equal(a.weights[1], b.weights[1])


# ---------------------------------------------------------------------------- inputs
@pytest.mark.parametrize(
    ("bad_X", "message"),
    [
        pytest.param(
            np.zeros(4), "X must have shape (n, 4); got shape (4,); for one example use X.reshape(1, -1)", id="one-d"
        ),
        pytest.param(np.zeros((3, 5)), "X must have shape (n, 4); got shape (3, 5)", id="wrong-width"),
        pytest.param(np.zeros((2, 3, 4)), "X must have shape (n, 4); got shape (2, 3, 4)", id="three-d"),
        pytest.param(np.zeros((0, 4)), "X has no rows", id="empty"),
        pytest.param(
            np.array([[0, 0, 0, 0], [0, 0, np.nan, 0]]), "X contains NaN, inf or a value beyond float32 (first at row 1, column 2)", id="nan"
        ),
        pytest.param(
            np.array([[0, 0, 0, 0], [0, 0, 0, 0], [np.inf, 0, 0, -np.inf]]),
            "X contains NaN, inf or a value beyond float32 (first at row 2, column 0)",
            id="inf",
        ),
        pytest.param([["a", "b", "c", "d"]], "X must hold real numbers; got dtype <U1", id="strings"),
        pytest.param([[1, 2], [3]], "X must be a numeric array of shape (n, 4)", id="ragged"),
    ],
)
def test_bad_inputs(classifier: Network, bad_X: object, message: str) -> None:
    with pytest.raises(ValueError, match=exact(message)):
        classifier.inputs(bad_X)
    with pytest.raises(ValueError, match=exact(message)):
        classifier.predict(bad_X)


def test_inputs_converted_to_network_dtype(classifier: Network) -> None:
    X = classifier.inputs([[1, 2, 3, 4]])
    assert X.dtype == np.float32 and X.shape == (1, 4)


# ---------------------------------------------------------------------------- targets
@pytest.mark.parametrize(
    ("net_kwargs", "y", "message"),
    [
        pytest.param(
            {},
            [0, 1],
            "y must have shape (3,) or (3, 3) to match X's 3 rows; got shape (2,)",
            id="length-mismatch",
        ),
        pytest.param(
            {},
            [0, 1, 3],
            "y holds label 3 at index 2; labels must be integers in [0, 3) for 3 outputs",
            id="label-too-big",
        ),
        pytest.param(
            {},
            [0, -1, 1],
            "y holds label -1 at index 1; labels must be integers in [0, 3) for 3 outputs",
            id="negative",
        ),
        pytest.param(
            {},
            [0.0, 0.5, 1.0],
            "y of shape (3,) must hold integer class labels; got 0.5 (float targets need shape (3, 3))",
            id="non-integer-floats",
        ),
        pytest.param({}, [0.0, np.nan, 1.0], "y contains NaN or inf (first at row 1)", id="nan-labels"),
        pytest.param(
            {},
            [[1, 0, 0], [0, 1, 0], [0, 0, np.nan]],
            "y contains NaN or inf (first at row 2, column 2)",
            id="nan-targets",
        ),
        pytest.param(
            {}, np.zeros((3, 2)), "y must have shape (3,) or (3, 3); got shape (3, 2)", id="wrong-target-width"
        ),
        pytest.param({}, ["a", "b", "c"], "y must hold numbers; got dtype <U1", id="strings"),
        pytest.param(
            {"cost": "cross_entropy", "output": "sigmoid"},
            [[1, 0, 0], [0, 1.5, 0], [0, 0, 1]],
            "the cross_entropy cost needs targets in [0, 1]; y has 1.5",
            id="cross-entropy-above-one",
        ),
        pytest.param(
            {"cost": "cross_entropy", "output": "sigmoid"},
            [[1, 0, 0], [0, 1, 0], [0, -0.25, 1]],
            "the cross_entropy cost needs targets in [0, 1]; y has -0.25",
            id="cross-entropy-negative",
        ),
        pytest.param(
            {},
            [[1, 0, 0], [0.25, 0.25, 0], [0, 0, 1]],
            "the log_likelihood cost needs each target row to sum to 1; row 1 sums to 0.5",
            id="log-likelihood-row-sum",
        ),
        pytest.param(
            {"sizes": [4, 1], "output": "sigmoid", "cost": "cross_entropy"},
            [0, 2, 1],
            "y holds label 2; a network with one output takes labels 0 and 1",
            id="one-output-label-2",
        ),
    ],
)
def test_bad_targets(net_kwargs: dict, y: object, message: str) -> None:
    kwargs = {"sizes": [4, 5, 3], "output": "softmax", "cost": "log_likelihood"} | net_kwargs
    net = Network(**kwargs)
    with pytest.raises(ValueError, match=exact(message)):
        net.targets(y, 3)
    with pytest.raises(ValueError, match=exact(message)):
        net.cost(np.zeros((3, 4)), y)


def test_integer_labels_become_one_hot(classifier: Network) -> None:
    Y = classifier.targets(np.array([2, 0, 1, 2]), 4)
    assert Y.dtype == np.float32
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])


def test_integral_float_labels_accepted(classifier: Network) -> None:
    np.testing.assert_array_equal(classifier.targets(np.array([1.0, 0.0, 2.0]), 3), [[0, 1, 0], [1, 0, 0], [0, 0, 1]])


def test_one_output_takes_labels_as_a_column() -> None:
    net = Network([4, 1])
    Y = net.targets(np.array([0, 1, 1, 0]), 4)
    assert Y.shape == (4, 1) and Y.dtype == np.float32
    np.testing.assert_array_equal(Y[:, 0], [0, 1, 1, 0])


def test_target_rows_pass_through(classifier: Network) -> None:
    rows = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(classifier.targets(rows, 2), rows, rtol=1e-7)


# ---------------------------------------------------------------------------- assigned parameters
@pytest.mark.parametrize(
    ("replacement", "got"),
    [
        pytest.param(np.zeros((4, 5), np.float32), "(4, 5) float32", id="transposed"),
        pytest.param(np.zeros((5, 4), np.float64), "(5, 4) float64", id="float64"),
        pytest.param([[0.0] * 4] * 5, "list", id="not-an-array"),
    ],
)
def test_assigned_weights_checked(classifier: Network, X: np.ndarray, replacement: object, got: str) -> None:
    classifier.weights[0] = replacement
    message = exact(f"weights[0] must be a float32 array of shape (5, 4) for sizes [4, 5, 3]; got {got}")
    with pytest.raises(ValueError, match=message):
        classifier.predict(X)
    with pytest.raises(ValueError, match=message):
        classifier.gradients(X, [0, 1, 2, 0, 1, 2])


def test_assigned_bias_checked(classifier: Network, X: np.ndarray) -> None:
    classifier.biases[1] = np.zeros(4, np.float32)
    message = "biases[1] must be a float32 array of shape (3,) for sizes [4, 5, 3]; got (4,) float32"
    with pytest.raises(ValueError, match=exact(message)):
        classifier.predict(X)


def test_assigned_weights_of_right_shape_and_dtype_are_used(classifier: Network, X: np.ndarray) -> None:
    for W in classifier.weights:
        W[...] = 0
    classifier.biases[-1] = np.array([0.0, 0.0, 1.0], np.float32)
    np.testing.assert_array_equal(classifier.predict(X), np.full(len(X), 2))


# ---------------------------------------------------------------------------- predict, accuracy
def _single_layer(sizes: list[int], W: list, b: list, **kwargs: object) -> Network:
    """A network without hidden layers whose parameters are set by hand."""
    net = Network(sizes, dtype="float64", **kwargs)
    net.weights[0] = np.array(W, dtype=np.float64)
    net.biases[0] = np.array(b, dtype=np.float64)
    return net


def test_classifier_predicts_argmax_labels(classifier: Network, X: np.ndarray) -> None:
    labels = classifier.predict(X)
    np.testing.assert_array_equal(labels, classifier.predict_proba(X).argmax(axis=1))
    assert labels.dtype.kind == "i"

    net = _single_layer([2, 3], [[10, 0], [0, 10], [0, 0]], [0, 0, 0], output="softmax", cost="log_likelihood")
    np.testing.assert_array_equal(net.predict([[1, 0], [0, 1], [-1, -1]]), [0, 1, 2])


def test_single_sigmoid_output_thresholds_at_half() -> None:
    net = _single_layer([1, 1], [[1.0]], [0.0])
    labels = net.predict([[-2.0], [0.0], [-1e-3], [3.0]])  # σ(0) = ½ exactly counts as class 1
    np.testing.assert_array_equal(labels, [0, 1, 0, 1])
    assert labels.shape == (4,)
    assert net.accuracy([[-2.0], [0.0], [-1e-3], [3.0]], [0, 1, 1, 1]) == 0.75


def test_identity_output_returns_raw_outputs() -> None:
    net = _single_layer([2, 2], [[1, 2], [3, 4]], [0.5, -0.5], output="identity", cost="quadratic")
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-2.0, 3.0]])
    np.testing.assert_allclose(net.predict(X), X @ np.array([[1, 2], [3, 4]]).T + [0.5, -0.5])
    assert not net.is_classifier


def test_accuracy_counts_correct_labels(classifier: Network, X: np.ndarray) -> None:
    labels = classifier.predict(X)
    assert classifier.accuracy(X, labels) == 1.0
    wrong = (labels + 1) % 3
    assert classifier.accuracy(X, wrong) == 0.0
    assert classifier.accuracy(X, np.eye(3)[labels]) == 1.0  # target rows work as well


def test_accuracy_needs_a_classifier(X: np.ndarray) -> None:
    net = Network([4, 5, 3], output="identity", cost="quadratic")
    message = "accuracy needs a classifier (sigmoid or softmax output); this network's output is identity"
    with pytest.raises(ValueError, match=exact(message)):
        net.accuracy(X, np.zeros(len(X), dtype=int))


# ---------------------------------------------------------------------------- cost and L2
@pytest.mark.parametrize(("l2", "n_total"), [(0.3, None), (0.3, 50), (2.0, 7)])
def test_cost_l2_term(X: np.ndarray, l2: float, n_total: int | None) -> None:
    net = Network([4, 5, 3], dtype="float64", seed=4)
    y = np.array([0, 1, 2, 2, 1, 0])
    n = len(X) if n_total is None else n_total
    squares = sum(float((W.astype(np.float64) ** 2).sum()) for W in net.weights)
    expected = net.cost(X, y) + l2 / (2 * n) * squares
    assert net.cost(X, y, l2=l2, n_total=n_total) == pytest.approx(expected, rel=1e-12)


def test_cost_l2_ignores_biases(X: np.ndarray) -> None:
    net = Network([4, 5, 3], dtype="float64")
    y = np.array([0, 1, 2, 2, 1, 0])
    before = net.cost(X, y, l2=1.0) - net.cost(X, y)
    for b in net.biases:
        b += 100.0
    assert net.cost(X, y, l2=1.0) - net.cost(X, y) == pytest.approx(before, rel=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"l2": -1.0}, "l2 must be a finite number ≥ 0; got -1.0", id="negative-l2"),
        pytest.param({"l2": float("nan")}, "l2 must be a finite number ≥ 0; got nan", id="nan-l2"),
        pytest.param({"n_total": 0}, "n_total must be a positive integer; got 0", id="n-total-zero"),
        pytest.param({"n_total": 2.5}, "n_total must be a positive integer; got 2.5", id="n-total-float"),
    ],
)
def test_cost_rejects_bad_regularisation(classifier: Network, X: np.ndarray, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=exact(message)):
        classifier.cost(X, np.zeros(len(X), dtype=int), **kwargs)


# ---------------------------------------------------------------------------- copy
@pytest.mark.parametrize("dtype", [None, "float64", np.longdouble])
def test_copy_is_independent(classifier: Network, dtype: object) -> None:
    original = [p.copy() for p in _parameters(classifier)]
    clone = classifier.copy(dtype)
    assert clone.dtype == (classifier.dtype if dtype is None else np.dtype(dtype))
    assert clone.sizes == classifier.sizes
    for p, q in zip(_parameters(classifier), _parameters(clone), strict=True):
        assert q.dtype == clone.dtype
        np.testing.assert_array_equal(q, p)
        assert not np.shares_memory(p, q)

    clone.weights[0][0, 0] += 1.0
    clone.biases[-1][:] = 7.0
    clone.sizes.append(99)
    clone.weights.append(np.zeros(1))
    assert classifier.sizes == [4, 5, 3]
    assert len(classifier.weights) == 2
    for p, q in zip(_parameters(classifier), original, strict=True):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"seed": -1}, "seed must be an integer ≥ 0, a numpy Generator or None; got -1"),
        ({"seed": 1.5}, "seed must be an integer ≥ 0, a numpy Generator or None; got 1.5"),
        ({"init": ["he"]}, "init ['he'] is unknown; choose one of default, xavier, glorot, he"),
        ({"activation": 5}, "activation must be a name, an Activation or a list of them; got 5"),
        ({"dtype": None}, "dtype None is not supported; use float32 or float64"),
    ],
)
def test_constructor_rejects_odd_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=exact(message)):
        Network([4, 5, 3], **kwargs)


def test_sizes_may_be_a_numpy_array() -> None:
    assert Network(np.array([4, 5, 3])).sizes == [4, 5, 3]


def test_gradcheck_checks_parameters_and_takes_numpy_scalars() -> None:
    import deltaprop as dp

    net = Network([2, 3, 2], output="softmax", cost="log_likelihood")
    X, y = np.eye(2), np.array([0, 1])
    assert dp.check_gradients(net, X, y, eps=np.float32(1e-6), directions=np.int64(2)).passed(1e-7)
    net.weights[0] = net.weights[0].T
    with pytest.raises(ValueError, match=exact("weights[0] must be a float32 array of shape (3, 2) for sizes [2, 3, 2]; got (2, 3) float32")):
        dp.check_gradients(net, X, y)



# ---------------------------------------------------------------------------- summary
def test_summary_is_a_table_of_layers_numbered_as_in_the_book():
    net = Network([64, 30, 10], activation="relu", output="softmax", cost="log_likelihood")
    assert net.summary() == (
        "layer  width  activation  W         b      parameters\n"
        "-----------------------------------------------------\n"
        "1         64  (input)                               0\n"
        "2         30  relu        (30, 64)  (30,)       1,950\n"
        "3         10  softmax     (10, 30)  (10,)         310\n"
        "-----------------------------------------------------\n"
        "total parameters: 2,260\n"
        "cost: log_likelihood\n"
        "dtype: float32\n"
        "task: classification"
    )
    assert sum(p.size for p in net.parameters()) == 2260


def test_summary_names_what_the_model_carries():
    net = Network([3, 4, 3], output="softmax", cost="log_likelihood", dtype="float64")
    net.classes = ["setosa", "versicolor", "virginica"]
    net.input_scaling = Scaling([1.0, 2.0, 3.0], [0.5, 1.0, 2.0])
    assert net.summary().splitlines()[-4:] == [
        "dtype: float64", "task: classification", "classes: setosa, versicolor, virginica",
        "input scaling: (x − shift) / scale, per feature (3 features)",
    ]
    pixels = Network([784, 10, 10], output="softmax", cost="log_likelihood")
    pixels.input_scaling = Scaling.divide_by(255, 784)
    assert pixels.summary().splitlines()[-1] == "input scaling: x / 255 (784 features)"
    regressor = Network([2, 1], output="identity", cost="quadratic")
    regressor.target_scaling = Scaling([10.0], [4.0])
    assert regressor.summary().splitlines()[-2:] == ["task: regression", "target scaling: (x − shift) / scale, per feature (1 feature)"]


def test_summary_lists_at_most_twenty_class_names():
    net = Network([2, 30], output="softmax", cost="log_likelihood")
    net.classes = [f"c{k}" for k in range(30)]
    assert net.summary().splitlines()[-1] == "classes: " + ", ".join(f"c{k}" for k in range(20)) + ", … (30 in all)"


def test_a_width_of_2_to_the_40_is_one_line_on_the_command_line():
    from tests import hostile

    hostile.assert_refused(hostile.run_cli("gradcheck", "--sizes", f"64,{2**40},10"),
                           "sizes[1] must be a positive integer ≤ 16,777,216 (MAX_WIDTH); got 1099511627776")
