"""ONNX export: onnxruntime runs the exported graph and agrees with ``predict_proba``.

On Fashion-MNIST test rows (a trained 784-30-10 network) and on digits for every activation
in every position, in float32 and float64; plus the graph's interface and metadata, the
checks on bad input, and ``deltaprop export``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.activations import Activation, LeakyReLU
from deltaprop.export import DEFAULT_OPSET, export_onnx
from deltaprop.scaling import Scaling

from .test_cli import assert_user_error, run_main

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ELEMENTWISE = ["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "identity"]
TOLERANCE = {"float32": 1e-5, "float64": 1e-12}


def run_onnx(path: Path, X: np.ndarray) -> np.ndarray:
    """The exported graph's output for ``X``, computed by onnxruntime."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (output,) = session.run(["probabilities"], {"input": X})
    return output


def assert_agrees(net: dp.Network, path: Path, X: np.ndarray) -> None:
    X = X.astype(net.dtype)
    got = run_onnx(path, X)
    assert got.dtype == net.dtype and got.shape == (len(X), net.sizes[-1])
    tol = TOLERANCE[net.dtype.name]
    np.testing.assert_allclose(got, net.predict_proba(X), rtol=tol, atol=tol)


@pytest.fixture(scope="module")
def digits() -> tuple:
    return dp.datasets.load("digits")


# ---------------------------------------------------------------------------- agreement
def test_fashion_mnist_trained_network_agrees(tmp_path: Path) -> None:
    if dp.datasets.locate("fashion-mnist") is None:
        pytest.skip("Fashion-MNIST is not on this machine (apt-get install dataset-fashion-mnist)")
    (X, y), (X_test, y_test) = dp.datasets.load("fashion-mnist")
    net = dp.Network([784, 30, 10], output="softmax", cost="log_likelihood", seed=0)
    dp.fit(net, X[:5000], y[:5000], epochs=1, batch_size=10, optimizer=dp.SGD(lr=0.1), seed=0, progress=False)
    assert net.accuracy(X_test, y_test) > 0.65  # trained (0.74), not the initial weights (about 0.1)
    path = export_onnx(net, tmp_path / "fashion.onnx")
    assert_agrees(net, path, X_test)  # all 10 000 test rows
    assert (run_onnx(path, X_test).argmax(axis=1) == net.predict(X_test)).mean() > 0.999


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
@pytest.mark.parametrize("hidden", ELEMENTWISE)
def test_every_hidden_activation_agrees_on_digits(digits: tuple, tmp_path: Path, hidden: str, output: str, dtype: str) -> None:
    _, (X_test, _) = digits
    cost = "log_likelihood" if output == "softmax" else "quadratic"
    net = dp.Network([64, 20, 15, 10], activation=hidden, output=output, cost=cost, seed=1, dtype=dtype)
    path = export_onnx(net, tmp_path / "net.onnx")
    assert_agrees(net, path, X_test)
    assert_agrees(net, path, 40 * X_test - 20)  # saturated units: |z| in the hundreds


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("output", ["tanh", "relu", "leaky_relu", "softplus"])
def test_every_output_activation_agrees_on_digits(digits: tuple, tmp_path: Path, output: str, dtype: str) -> None:
    _, (X_test, _) = digits
    net = dp.Network([64, 20, 10], activation="sigmoid", output=output, cost="quadratic", seed=2, dtype=dtype)
    path = export_onnx(net, tmp_path / "net.onnx")
    assert_agrees(net, path, X_test)
    assert_agrees(net, path, 40 * X_test - 20)


def test_trained_mixed_network_agrees_in_float64(digits: tuple, tmp_path: Path) -> None:
    (X, y), (X_test, y_test) = digits
    net = dp.Network(
        [64, 32, 24, 16, 10], activation=["relu", "softplus", LeakyReLU(alpha=0.2)], output="softmax",
        cost="log_likelihood", init="he", seed=4, dtype="float64",
    )
    dp.fit(net, X, y, epochs=3, optimizer=dp.SGD(lr=0.05), seed=0, progress=False)
    assert net.accuracy(X_test, y_test) > 0.8
    path = export_onnx(net, tmp_path / "mixed.onnx")
    assert_agrees(net, path, X_test)
    alpha = next(t for t in onnx.load(path).graph.initializer if t.name == "alpha2")
    assert onnx.numpy_helper.to_array(alpha) == 0.2  # the network's own α, in float64


def test_batch_size_is_dynamic(digits: tuple, tmp_path: Path) -> None:
    _, (X_test, _) = digits
    net = dp.Network([64, 10, 10], output="softmax", cost="log_likelihood", seed=0)
    path = export_onnx(net, tmp_path / "net.onnx")
    for n in (1, 7, 359):
        assert_agrees(net, path, X_test[:n])


# ---------------------------------------------------------------------------- the graph
@pytest.mark.parametrize(("dtype", "elem"), [("float32", 1), ("float64", 11)])  # TensorProto.FLOAT, DOUBLE
def test_graph_interface_and_metadata(tmp_path: Path, dtype: str, elem: int) -> None:
    net = dp.Network([64, 20, 3], activation="tanh", output="softmax", cost="log_likelihood", dtype=dtype)
    path = export_onnx(net, tmp_path / "net.onnx")
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    (inp,), (out,) = model.graph.input, model.graph.output
    assert (inp.name, out.name) == ("input", "probabilities")
    for value, width in ((inp, 64), (out, 3)):
        assert value.type.tensor_type.elem_type == elem
        batch, features = value.type.tensor_type.shape.dim
        assert batch.dim_param == "N" and not batch.HasField("dim_value")
        assert features.dim_value == width
    assert model.producer_name == "deltaprop" and model.producer_version == dp.__version__
    assert model.doc_string.startswith(f"deltaprop network 64-20-3; activations tanh, softmax; cost log_likelihood; dtype {dtype}.")
    assert {p.key: p.value for p in model.metadata_props} == {
        "sizes": "[64, 20, 3]", "activations": '["tanh", "softmax"]', "cost": "log_likelihood", "dtype": dtype,
        "task": "classification",
    }
    assert [(o.domain, o.version) for o in model.opset_import] == [("", DEFAULT_OPSET)]
    gemms = [n for n in model.graph.node if n.op_type == "Gemm"]
    assert len(gemms) == 2
    assert all(onnx.helper.get_attribute_value(a) == 1 for n in gemms for a in n.attribute if a.name == "transB")
    W0 = next(t for t in model.graph.initializer if t.name == "W0")
    np.testing.assert_array_equal(onnx.numpy_helper.to_array(W0), net.weights[0])  # W^l as stored, (n_l, n_{l−1})


# ---------------------------------------------------------------------------- what the model carries
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_input_scaling_is_in_the_graph(digits: tuple, tmp_path: Path, dtype: str) -> None:
    """A network that standardises its inputs runs in onnxruntime on RAW inputs, Sub then Div
    before the first Gemm, in the network's dtype."""
    (X, y), (X_test, _) = digits
    raw, raw_test = 16 * X, 16 * X_test  # digits' own units, 0…16
    net = dp.Network([64, 20, 10], output="softmax", cost="log_likelihood", seed=3, dtype=dtype)
    net.input_scaling = Scaling.standardize(raw)
    dp.fit(net, raw, y, epochs=2, optimizer=dp.SGD(lr=0.1), progress=False)
    path = export_onnx(net, tmp_path / "net.onnx")
    model = onnx.load(path)
    assert [n.op_type for n in model.graph.node][:3] == ["Sub", "Div", "Gemm"]
    for name, values in (("input_shift", net.input_scaling.shift), ("input_scale", net.input_scaling.scale)):
        stored = onnx.numpy_helper.to_array(next(t for t in model.graph.initializer if t.name == name))
        assert stored.dtype == net.dtype
        np.testing.assert_array_equal(stored, values.astype(net.dtype))
    assert_agrees(net, path, raw_test)
    assert model.doc_string.endswith(
        "Input 'input' [N, n_0] in raw units (the input scaling is in the graph); output 'probabilities' = predict_proba(input) [N, n_out]."
    )


def test_a_pixel_scaling_is_one_div(digits: tuple, tmp_path: Path) -> None:
    _, (X_test, _) = digits
    net = dp.Network([64, 12, 10], output="softmax", cost="log_likelihood", seed=0)
    net.input_scaling = Scaling.divide_by(16, 64)
    path = export_onnx(net, tmp_path / "net.onnx")
    assert [n.op_type for n in onnx.load(path).graph.node][:2] == ["Div", "Gemm"]  # no Sub of zeros, as Scaling.apply
    assert_agrees(net, path, 16 * X_test)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_regressor_answers_in_its_targets_units(tmp_path: Path, dtype: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 100, (300, 3))
    Y = np.column_stack([X @ [1.0, -2.0, 0.5] + 300, X[:, 0] * 10])
    net = dp.Network([3, 16, 2], activation="tanh", output="identity", cost="quadratic", seed=0, dtype=dtype)
    net.input_scaling, net.target_scaling = Scaling.standardize(X), Scaling.standardize(Y)
    dp.fit(net, X, Y, epochs=5, optimizer=dp.SGD(lr=0.05), progress=False)
    path = export_onnx(net, tmp_path / "net.onnx")
    assert [n.op_type for n in onnx.load(path).graph.node][-2:] == ["Mul", "Add"]
    got = run_onnx(path, X.astype(net.dtype))
    assert got.dtype == net.dtype
    expected = net.predict(X)
    assert np.abs(expected).max() > 100  # in the targets' units, not standardised
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * np.abs(expected).max())


def test_class_and_feature_names_are_in_the_metadata(tmp_path: Path) -> None:
    net = dp.Network([2, 4, 3], output="softmax", cost="log_likelihood")
    net.classes, net.feature_names = ["T-shirt/top", "Trouser", "Küche"], ["width", "height"]
    props = {p.key: p.value for p in onnx.load(export_onnx(net, tmp_path / "net.onnx")).metadata_props}
    assert props["classes"] == '["T-shirt/top", "Trouser", "Küche"]'
    assert props["feature_names"] == '["width", "height"]'
    assert props["task"] == "classification"
    regressor = dp.Network([2, 1], output="identity", cost="quadratic")
    props = {p.key: p.value for p in onnx.load(export_onnx(regressor, tmp_path / "r.onnx")).metadata_props}
    assert props["task"] == "regression" and "classes" not in props and "feature_names" not in props


@pytest.mark.parametrize("opset", [13, 15, "newest"])
def test_opset_range(digits: tuple, tmp_path: Path, opset: int | str) -> None:
    net = dp.Network([64, 12, 10], activation="leaky_relu", output="softmax", cost="log_likelihood")
    version = onnx.defs.onnx_opset_version() if opset == "newest" else opset
    path = export_onnx(net, tmp_path / "net.onnx", opset=version)  # the checker passes for each
    assert onnx.load(path).opset_import[0].version == version
    if opset != "newest":  # onnxruntime may not know the newest onnx operator set yet
        assert_agrees(net, path, digits[1][0])


# ---------------------------------------------------------------------------- bad input
class Swish(Activation):
    name = "swish"

    def f(self, z: np.ndarray) -> np.ndarray:
        return z / (1 + np.exp(-z))


class NotReallySigmoid(Activation):
    name = "sigmoid"  # a lookalike: the name alone must not get it exported

    def f(self, z: np.ndarray) -> np.ndarray:
        return np.tanh(z)


@pytest.mark.parametrize(
    ("make", "path", "kwargs", "error", "message"),
    [
        (lambda: dp.Network([4, 3, 2], activation=Swish()), "m.onnx", {}, ValueError,
         "activation 'swish' of layer 0 has no ONNX form; supported: sigmoid, tanh, relu, leaky_relu, softplus, identity, softmax"),
        (lambda: dp.Network([4, 3, 2], output=NotReallySigmoid()), "m.onnx", {}, ValueError, "activation 'sigmoid' of layer 1 has no ONNX form"),
        (lambda: dp.Network([4, 2]), "m.onx", {}, ValueError, "path '{tmp}/m.onx' must end in .onnx"),
        (lambda: dp.Network([4, 2]), "nowhere/m.onnx", {}, FileNotFoundError, "path '{tmp}/nowhere/m.onnx': folder '{tmp}/nowhere' does not exist"),
        (lambda: dp.Network([4, 2]), "m.onnx", {"opset": 12}, ValueError, "opset must be an integer from 13 to {newest}; got 12"),
        (lambda: dp.Network([4, 2]), "m.onnx", {"opset": 10_000}, ValueError, "opset must be an integer from 13 to {newest}; got 10000"),
        (lambda: dp.Network([4, 2]), "m.onnx", {"opset": True}, ValueError, "opset must be an integer from 13 to {newest}; got True"),
        (lambda: "model.npz", "m.onnx", {}, TypeError, "net must be a deltaprop Network; got str"),
    ],
)
def test_bad_input_is_refused(tmp_path: Path, make, path: str, kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error) as info:
        export_onnx(make(), tmp_path / path, **kwargs)
    assert str(info.value).startswith(message.format(tmp=tmp_path, newest=onnx.defs.onnx_opset_version())), str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_missing_onnx_says_which_extra_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # what `import onnx` sees when it is absent
    with pytest.raises(ImportError, match=r"^ONNX export needs onnx, which is not installed: pip install 'deltaprop\[onnx\]'$"):
        export_onnx(dp.Network([4, 2]), tmp_path / "m.onnx")


def test_export_replaces_a_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "m.onnx"
    path.write_bytes(b"an old model")
    export_onnx(dp.Network([4, 2]), path)
    assert onnx.load(path).producer_name == "deltaprop"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # no temporary file left


# ---------------------------------------------------------------------------- deltaprop export
@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.npz"
    result = run_main("train", "--epochs", 2, "--sizes", "64,30,10", "--quiet", "--out", path)
    assert result.code == 0, result
    return path


def test_cli_export_runs_in_onnxruntime(model: Path, digits: tuple, tmp_path: Path) -> None:
    out = tmp_path / "model.onnx"
    result = run_main("export", model, out, "--opset", 15)
    assert result.code == 0, result
    assert result.out == f"ONNX model saved to {out} (opset 15; input 'input', output 'probabilities')\n"
    assert onnx.load(out).opset_import[0].version == 15
    assert_agrees(dp.load(model), out, dp.datasets.read("digits").test[0])  # raw pixels: the model scales them, in ONNX too


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{model}", "{model}"], "{model}: the ONNX file must end in .onnx"),
        (["{model}", "{tmp}/m.txt"], "{tmp}/m.txt: the ONNX file must end in .onnx"),
        (["{model}", "{tmp}/nowhere/m.onnx"], "path '{tmp}/nowhere/m.onnx': folder '{tmp}/nowhere' does not exist"),
        (["{tmp}/none.npz", "{tmp}/m.onnx"], "{tmp}/none.npz: no such model file"),
        (["{tmp}/garbage.npz", "{tmp}/m.onnx"], "{tmp}/garbage.npz: not a valid deltaprop model"),
        (["{model}", "{tmp}/m.onnx", "--opset", "7"], "opset must be an integer from 13 to"),
        (["{model}", "{tmp}/m.onnx", "--opset", "x"], "argument --opset: invalid int value: 'x'"),
        (["{model}"], "the following arguments are required: OUT.onnx"),
    ],
)
def test_cli_export_mistakes_are_one_line(model: Path, tmp_path: Path, argv: list[str], message: str) -> None:
    (tmp_path / "garbage.npz").write_bytes(b"PK\x03\x04 not really a zip")
    before = model.read_bytes()
    names = {"model": model, "tmp": tmp_path}
    result = run_main("export", *(arg.format(**names) for arg in argv))
    assert_user_error(result, message.format(**names))
    assert model.read_bytes() == before
    assert not (tmp_path / "m.onnx").exists()
