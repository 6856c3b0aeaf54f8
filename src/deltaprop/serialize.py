"""Saving and loading networks: plain arrays and a JSON header in one ``.npz`` file.

The file is a ZIP archive of ``.npy`` members ``W0, b0, W1, b1, ...`` and ``header``, a 0-d
unicode array holding JSON: ``format`` ("deltaprop-model"), ``version``, ``sizes``,
``activations``, ``cost`` and ``dtype``. Version 2 adds what using the model needs: ``task``,
``classes``, ``feature_names`` and ``provenance`` (JSON values or null), and ``scalings``, the
names of the :class:`~deltaprop.scaling.Scaling` it carries, each as two float64 members
``{name}_shift`` and ``{name}_scale`` (``input``: the inputs' preprocessing; ``target``: a
regressor's target scaling). Version 1 files still load. Nothing is ever unpickled.

Saving writes a temporary file in the destination folder and renames it over the target, so
an interrupted save leaves the old file (or none), never half of one. Loading reads each
member's ``.npy`` header before its data and checks every field, shape and dtype against the
JSON header: a truncated, hostile or foreign file gets a ``ValueError`` naming the problem.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .activations import ACTIVATIONS
from .archive import InvalidArchive, one_line, open_archive
from .atomic import atomic_write
from .costs import COSTS
from .network import MAX_WIDTH, TASKS, Network
from .scaling import Scaling
from .validation import all_finite

__all__ = ["save", "load", "FORMAT", "VERSION"]

FORMAT = "deltaprop-model"
VERSION = 2
#: The versions :func:`load` reads.
VERSIONS = (1, 2)
_MAX_LAYERS = 1000
_MAX_HEADER_TEXT = 1 << 20  # characters of class names, feature names and provenance together
_SCALINGS = ("input", "target")


def save(net: Network, path: str | os.PathLike) -> Path:
    """Write ``net`` to ``path`` (``.npz``) atomically; return the path written.

    Raises
    ------
    ValueError
        If the network's parameters are not valid (wrong shape or dtype).
    OSError
        If the folder cannot be written; the target is then left as it was.
    """
    net.check_parameters()
    net.check_metadata()
    for thing, registry in [(a, ACTIVATIONS) for a in net.activations] + [(net.cost_function, COSTS)]:
        if registry.get(thing.name) is not thing:
            raise ValueError(f"{thing!r} is not deltaprop's own {thing.name!r}; only registered functions can be saved by name")
    for name, array in [(f"{kind}[{i}]", a) for kind, arrays in (("weights", net.weights), ("biases", net.biases)) for i, a in enumerate(arrays)]:
        if not all_finite(array):
            raise ValueError(f"{name} contains NaN or inf; such a model cannot be saved (training diverged?)")
    path = Path(path)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "sizes": net.sizes,
        "activations": [a.name for a in net.activations],
        "cost": net.cost_function.name,
        "dtype": net.dtype.name,
        "task": net.task,
        "classes": net.classes,
        "feature_names": net.feature_names,
        "provenance": net.provenance,
    }
    scalings = {name: getattr(net, f"{name}_scaling") for name in _SCALINGS}
    header["scalings"] = [name for name, scaling in scalings.items() if scaling is not None]
    try:
        text = json.dumps(header, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"the model's provenance must hold JSON values only ({e})") from None
    arrays = {"header": np.array(text)}
    for i, (W, b) in enumerate(zip(net.weights, net.biases)):
        arrays[f"W{i}"], arrays[f"b{i}"] = W, b
    for name in header["scalings"]:
        arrays[f"{name}_shift"], arrays[f"{name}_scale"] = scalings[name].shift, scalings[name].scale
    with atomic_write(path) as f:
        np.savez(f, **arrays)
    return path


def load(path: str | os.PathLike) -> Network:
    """Read a network written by :func:`save`.

    Raises
    ------
    ValueError
        If the file is not a deltaprop model, is truncated or corrupt, or any field, shape,
        dtype or value (NaN/inf) is not what the header promises.
    FileNotFoundError
        If there is no such file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    with open_archive(path, "deltaprop model") as archive:
        if "header" not in archive.names:
            raise InvalidArchive("it has no 'header' member (not a deltaprop model)")
        header = _read_header(archive.text("header", 2 * _MAX_HEADER_TEXT))
        sizes = header["sizes"]
        expected = {"header"} | {f"{k}{i}" for i in range(len(sizes) - 1) for k in "Wb"}
        expected |= {f"{name}_{part}" for name in header["scalings"] for part in ("shift", "scale")}
        if archive.names != expected:
            extra, missing = sorted(archive.names - expected), sorted(expected - archive.names)
            raise InvalidArchive(f"its arrays do not match the header (missing {missing}, unexpected {extra})")
        dtype = np.dtype(header["dtype"])
        weights, biases = [], []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            weights.append(archive.read(f"W{i}", dtype, (n_out, n_in), f"layer {i}"))
            biases.append(archive.read(f"b{i}", dtype, (n_out,), f"layer {i}"))
        widths = {"input": sizes[0], "target": sizes[-1]}
        parts = {
            name: [archive.read(f"{name}_{part}", np.dtype("float64"), (widths[name],), f"the {name} scaling") for part in ("shift", "scale")]
            for name in header["scalings"]
        }
    try:
        net = Network.from_parameters(weights, biases, activation=header["activations"][:-1], output=header["activations"][-1], cost=header["cost"])
        for name, (shift, scale) in parts.items():
            setattr(net, f"{name}_scaling", Scaling(shift, scale))
        for key in ("task", "classes", "feature_names", "provenance") if header["version"] >= 2 else ():
            if header.get(key) is not None:
                setattr(net, key, header[key])
        net.check_metadata()
    except ValueError as e:
        raise ValueError(f"{path}: not a valid deltaprop model: {one_line(e)}") from None
    return net


def _read_header(text: str) -> dict:
    """Parse and check the JSON header."""
    try:
        header = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidArchive(f"header is not JSON ({e.msg})") from None
    except ValueError as e:  # an integer of more digits than Python converts
        raise InvalidArchive(f"header is not readable JSON ({one_line(e)})") from None
    except RecursionError:
        raise InvalidArchive("header is nested too deeply") from None
    if not isinstance(header, dict):
        raise InvalidArchive("header is not a JSON object")
    if not isinstance(header.get("format"), str) or header["format"] != FORMAT:
        raise InvalidArchive(f"header format is {header.get('format')!r}, not {FORMAT!r}")
    if type(header.get("version")) is not int or header["version"] not in VERSIONS:
        raise InvalidArchive(f"format version {header.get('version')!r} is not supported (this deltaprop reads {' and '.join(map(str, VERSIONS))})")
    sizes = header.get("sizes")
    if (
        not isinstance(sizes, list)
        or not 2 <= len(sizes) <= _MAX_LAYERS
        or not all(type(s) is int and 0 < s <= MAX_WIDTH for s in sizes)
    ):
        raise InvalidArchive(f"header sizes must be a list of 2 to {_MAX_LAYERS} positive integers; got {sizes!r}")
    activations = header.get("activations")
    if not isinstance(activations, list) or len(activations) != len(sizes) - 1 or not all(isinstance(a, str) and a in ACTIVATIONS for a in activations):
        raise InvalidArchive(f"header activations must name {len(sizes) - 1} of {', '.join(ACTIVATIONS)}; got {activations!r}")
    if not isinstance(header.get("cost"), str) or header["cost"] not in COSTS:
        raise InvalidArchive(f"header cost must be one of {', '.join(COSTS)}; got {header.get('cost')!r}")
    if not isinstance(header.get("dtype"), str) or header["dtype"] not in ("float32", "float64"):
        raise InvalidArchive(f"header dtype must be float32 or float64; got {header.get('dtype')!r}")
    if header["version"] >= 2:
        if not isinstance(header.get("task"), str) or header["task"] not in TASKS:
            raise InvalidArchive(f"header task must be one of {', '.join(TASKS)}; got {header.get('task')!r}")
        scalings = header.get("scalings")
        if not isinstance(scalings, list) or not all(isinstance(s, str) and s in _SCALINGS for s in scalings) or len(set(scalings)) != len(scalings):
            raise InvalidArchive(f"header scalings must list some of {', '.join(_SCALINGS)}; got {scalings!r}")
        if len(json.dumps([header.get(k) for k in ("classes", "feature_names", "provenance")])) > _MAX_HEADER_TEXT:
            raise InvalidArchive("header names and provenance are too long")
    else:
        header["scalings"] = []  # version 1 carries none
    return header
