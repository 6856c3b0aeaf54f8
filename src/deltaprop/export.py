"""ONNX export: a network's ``predict_proba`` as an ONNX graph, to run in other runtimes.

Symbols → names in the graph: the input X → ``input`` (shape [N, n_0], N dynamic); W^l →
initializer ``W{i}`` (n_l, n_{l−1}), b^l → ``b{i}``; z^l → ``z{i}``, computed by one
``Gemm(a, W, b, transB=1)``, that is ``Z = A_prev @ W.T + b`` as in
:func:`deltaprop.backprop.forward`; a^l → ``a{i}``, and a^L → ``probabilities``. Python index
``i`` counts weight layers from 0, as in ``net.weights[i]``.

Each activation becomes the ONNX operator of the same name (``Softmax`` on axis −1), with two
exceptions that keep float64 exact and runnable. Leaky ReLU is ``PRelu`` with its α as an
initializer ``alpha{i}`` in the network's dtype (``LeakyRelu`` takes α as a float32
attribute, which is off by 1e-9 in float64). Softplus is ``Relu(z) + Log(1 + Exp(−|z|))``:
the same overflow-free formula as NumPy's ``logaddexp(0, z)``, and one that onnxruntime runs
in float64 too (it has no float64 ``Softplus``). The graph computes in the network's dtype
(float32 or float64).

What the network carries travels with it. Its ``input_scaling`` becomes ``Sub`` (by the
initializer ``input_shift``; left out when the shift is 0, as :class:`~deltaprop.scaling.Scaling`
does) and ``Div`` (by ``input_scale``) before the first Gemm, so the graph takes raw inputs as
``net.predict_proba`` does. A regressor's ``target_scaling`` becomes ``Mul`` (``target_scale``)
and ``Add`` (``target_shift``) after the output, so ``probabilities`` is then ``net.predict``:
the targets in their own units. The model's ``metadata_props`` hold ``sizes``, ``activations``,
``cost``, ``dtype``, ``task`` and, when the network has them, ``classes`` and ``feature_names``
(JSON lists).

onnx is imported inside :func:`export_onnx` (``pip install 'deltaprop[onnx]'``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .activations import ACTIVATIONS, Activation
from .atomic import atomic_write
from .network import Network
from .validation import integer

__all__ = ["export_onnx", "DEFAULT_OPSET", "MIN_OPSET", "SUPPORTED_ACTIVATIONS"]

#: The ONNX operator-set version written unless asked otherwise.
DEFAULT_OPSET = 17
#: The oldest operator set accepted (Softmax's per-axis meaning dates from 13).
MIN_OPSET = 13
#: Activations that have an ONNX form.
SUPPORTED_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "softplus", "identity", "softmax")


def export_onnx(net: Network, path: str | os.PathLike, opset: int = DEFAULT_OPSET) -> Path:
    """Write ``net`` as an ONNX model whose output ``probabilities`` is ``net.predict_proba(input)``
    (for a regressor with a target scaling: ``net.predict(input)``), ``input`` in the units the
    network takes (its input scaling is in the graph).

    Parameters
    ----------
    net : Network
    path : str or PathLike
        The ``.onnx`` file to write (atomically: a temporary file, then a rename).
    opset : int
        ONNX operator-set version, from 13 to the newest the installed onnx knows.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        For an activation with no ONNX form, an opset out of range, or a path not ending
        in ``.onnx``.
    FileNotFoundError
        If the folder of ``path`` does not exist.
    ImportError
        If onnx is not installed.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a deltaprop Network; got {type(net).__name__}")
    net.check_parameters()
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name (str or Path); got {type(path).__name__}")
    path = Path(path)
    if path.suffix.lower() != ".onnx":
        raise ValueError(f"path {str(path)!r} must end in .onnx")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"path {str(path)!r}: folder {str(path.parent)!r} does not exist")
    for i, act in enumerate(net.activations):
        if act.name not in SUPPORTED_ACTIVATIONS or type(act) is not type(ACTIVATIONS[act.name]):
            raise ValueError(
                f"activation {act.name!r} of layer {i} has no ONNX form; supported: {', '.join(SUPPORTED_ACTIVATIONS)}"
            )
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export needs onnx, which is not installed: pip install 'deltaprop[onnx]'") from None
    newest = onnx.defs.onnx_opset_version()
    opset = integer("opset", opset, f"an integer from {MIN_OPSET} to {newest}", lambda v: MIN_OPSET <= v <= newest)

    model = _model(net, opset)
    onnx.checker.check_model(model, full_check=True)
    with atomic_write(path, "wb") as f:
        f.write(model.SerializeToString())
    return path


def _model(net: Network, opset: int) -> object:
    """Build the ModelProto: the input scaling, one Gemm and one activation per layer, the target scaling."""
    from onnx import TensorProto, helper, numpy_helper

    from . import __version__

    elem = TensorProto.DOUBLE if net.dtype == np.float64 else TensorProto.FLOAT
    nodes, initializers = [], []
    a = "input"
    if net.input_scaling is not None:  # x ↦ (x − shift) / scale, as Scaling.apply does it
        shift, scale = (v.astype(net.dtype) for v in (net.input_scaling.shift, net.input_scaling.scale))
        if shift.any():
            initializers.append(numpy_helper.from_array(shift, "input_shift"))
            nodes.append(helper.make_node("Sub", [a, "input_shift"], ["input_centred"], name="input_shift"))
            a = "input_centred"
        initializers.append(numpy_helper.from_array(scale, "input_scale"))
        nodes.append(helper.make_node("Div", [a, "input_scale"], ["input_scaled"], name="input_scale"))
        a = "input_scaled"
    last = len(net.weights) - 1
    output = "outputs" if net.target_scaling is not None else "probabilities"
    for i, (W, b, act) in enumerate(zip(net.weights, net.biases, net.activations)):
        initializers += [numpy_helper.from_array(W, f"W{i}"), numpy_helper.from_array(b, f"b{i}")]
        z = f"z{i}"
        nodes.append(helper.make_node("Gemm", [a, f"W{i}", f"b{i}"], [z], name=f"layer{i}", transB=1))  # z = a Wᵀ + b
        a = output if i == last else f"a{i}"
        act_nodes, constants = _activation(act, z, a, i)
        nodes += act_nodes
        initializers += [numpy_helper.from_array(np.array(value, dtype=net.dtype), name) for name, value in constants.items()]
    if net.target_scaling is not None:  # a^L ↦ a^L · scale + shift, as Scaling.invert does it
        shift, scale = (v.astype(net.dtype) for v in (net.target_scaling.shift, net.target_scaling.scale))
        initializers += [numpy_helper.from_array(scale, "target_scale"), numpy_helper.from_array(shift, "target_shift")]
        nodes += [
            helper.make_node("Mul", [output, "target_scale"], ["outputs_scaled"], name="target_scale"),
            helper.make_node("Add", ["outputs_scaled", "target_shift"], ["probabilities"], name="target_shift"),
        ]
    graph = helper.make_graph(
        nodes,
        "deltaprop",
        [helper.make_tensor_value_info("input", elem, ["N", net.sizes[0]])],
        [helper.make_tensor_value_info("probabilities", elem, ["N", net.sizes[-1]])],
        initializer=initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name="deltaprop",
        producer_version=__version__,
        ir_version=helper.find_min_ir_version_for(opsets),
        doc_string=_describe(net),
    )
    props = {
        "sizes": json.dumps(net.sizes),
        "activations": json.dumps([act.name for act in net.activations]),
        "cost": net.cost_function.name,
        "dtype": net.dtype.name,
        "task": net.task,
    }
    for key in ("classes", "feature_names"):
        if getattr(net, key) is not None:
            props[key] = json.dumps(getattr(net, key), ensure_ascii=False)
    helper.set_model_props(model, props)
    return model


def _activation(act: Activation, z: str, a: str, i: int) -> tuple[list, dict[str, float]]:
    """The node(s) computing a = σ(z) for layer ``i``, and the scalar constants they read."""
    from onnx import helper

    name = f"{act.name}{i}"
    if act.name == "softplus":  # Relu(z) + Log(1 + Exp(−|z|)) = logaddexp(0, z)
        t = [f"{name}_{step}" for step in ("abs", "neg", "exp", "add", "log", "relu")]
        nodes = [
            helper.make_node("Abs", [z], [t[0]], name=t[0]),
            helper.make_node("Neg", [t[0]], [t[1]], name=t[1]),
            helper.make_node("Exp", [t[1]], [t[2]], name=t[2]),
            helper.make_node("Add", [f"one{i}", t[2]], [t[3]], name=t[3]),
            helper.make_node("Log", [t[3]], [t[4]], name=t[4]),
            helper.make_node("Relu", [z], [t[5]], name=t[5]),
            helper.make_node("Add", [t[5], t[4]], [a], name=name),
        ]
        return nodes, {f"one{i}": 1.0}
    if act.name == "leaky_relu":  # PRelu: z for z > 0, else α·z
        return [helper.make_node("PRelu", [z, f"alpha{i}"], [a], name=name)], {f"alpha{i}": act.alpha}
    if act.name == "softmax":
        return [helper.make_node("Softmax", [z], [a], name=name, axis=-1)], {}
    op = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "identity": "Identity"}[act.name]
    return [helper.make_node(op, [z], [a], name=name)], {}


def _describe(net: Network) -> str:
    """The model's doc string: what it computes, from which network."""
    return (
        f"deltaprop network {'-'.join(map(str, net.sizes))}; activations {', '.join(a.name for a in net.activations)}; "
        f"cost {net.cost_function.name}; dtype {net.dtype.name}. "
        "Input 'input' [N, n_0]" + (" in raw units (the input scaling is in the graph)" if net.input_scaling is not None else "")
        + ("; output 'probabilities' = predict(input) [N, n_out], in the targets' units." if net.target_scaling is not None
           else "; output 'probabilities' = predict_proba(input) [N, n_out].")
    )
