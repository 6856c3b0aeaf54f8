"""save/load: exact round trips, atomic saves, and a clear ValueError for every bad file.

The hostile files are crafted member by member (:func:`write_npz`) from a known-good model
(:func:`valid_header`, :func:`valid_members`) with one thing changed, so each test pins the
one check that must catch it.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import zipfile
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from deltaprop import Network, load, save
from deltaprop.network import INITIALIZERS
from deltaprop.serialize import FORMAT

from tests import hostile

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "identity"]
OUTPUT_COSTS = [("sigmoid", "cross_entropy"), ("softmax", "log_likelihood"), ("identity", "quadratic")]
SIZES = [3, 4, 2]  # the crafted model: W0 (4, 3), b0 (4,), W1 (2, 4), b1 (2,)


# ---------------------------------------------------------------------------- helpers
def valid_header(**changes):
    """The JSON header of the crafted model (format version 1, as models were first saved),
    with ``changes`` applied."""
    header = {
        "format": FORMAT,
        "version": 1,
        "sizes": list(SIZES),
        "activations": ["tanh", "sigmoid"],
        "cost": "cross_entropy",
        "dtype": "float32",
    }
    header.update(changes)
    return header


def header_array(header):
    """A header member: the 0-d unicode array that save() writes (``header`` may be any JSON)."""
    return np.array(json.dumps(header))


def valid_members(**changes):
    """Members of a valid model file (name → array or raw ``.npy`` bytes), ``changes`` applied.

    A change to ``None`` removes that member.
    """
    rng = np.random.default_rng(0)
    members = {"header": header_array(valid_header())}
    for i, (n_in, n_out) in enumerate(pairwise(SIZES)):
        members[f"W{i}"] = rng.standard_normal((n_out, n_in)).astype(np.float32)
        members[f"b{i}"] = rng.standard_normal(n_out).astype(np.float32)
    members.update(changes)
    return {name: value for name, value in members.items() if value is not None}


def npy_bytes(array, allow_pickle=False):
    """``array`` as the bytes of a ``.npy`` file."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def write_npz(path, members):
    """Write an ``.npz`` (stored, uncompressed) whose members are arrays or raw ``.npy`` bytes."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, value in members.items():
            archive.writestr(f"{name}.npy", value if isinstance(value, bytes) else npy_bytes(value))
    return path


def refused(path, problem):
    """``pytest.raises`` for load's ValueError: names ``path``, then ``problem`` (a regex)."""
    return pytest.raises(ValueError, match=re.escape(f"{path}: not a valid deltaprop model: ") + problem)


def parameters_equal_bitwise(a, b):
    """True when two networks' weights and biases have the same dtype, shape and bits."""
    return all(
        x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
        for x, y in zip(a.weights + a.biases, b.weights + b.biases, strict=True)
    )


UNPICKLED: list[str] = []


def _trip():
    UNPICKLED.append("unpickled")


class Tripwire:
    """Unpickling one of these calls :func:`_trip`: proof that something was unpickled."""

    def __reduce__(self):
        return _trip, ()


@pytest.fixture
def model_path(tmp_path):
    """A small valid model saved by save()."""
    net = Network([3, 5, 2], activation="relu", output="softmax", cost="log_likelihood")
    return save(net, tmp_path / "model.npz")


# ---------------------------------------------------------------------------- round trips
@st.composite
def networks(draw):
    """A Network of 2–5 layers of widths 1–8 with any hidden activations, output/cost pair and dtype."""
    output, cost = draw(st.sampled_from(OUTPUT_COSTS))
    sizes = draw(st.lists(st.integers(1, 8), min_size=2, max_size=5))
    if output == "softmax":
        sizes[-1] = draw(st.integers(2, 8))
    hidden = draw(st.lists(st.sampled_from(HIDDEN), min_size=len(sizes) - 2, max_size=len(sizes) - 2))
    return Network(
        sizes,
        activation=hidden,
        output=output,
        cost=cost,
        init=draw(st.sampled_from(sorted(INITIALIZERS))),
        seed=draw(st.integers(0, 2**32 - 1)),
        dtype=draw(st.sampled_from(["float32", "float64"])),
    )


@settings(max_examples=30, deadline=None)
@given(net=networks(), seed=st.integers(0, 2**32 - 1))
def test_round_trip_is_exact(tmp_path_factory, net, seed):
    path = save(net, tmp_path_factory.mktemp("round_trip") / "model.npz")
    loaded = load(path)

    assert loaded.sizes == net.sizes
    assert [a.name for a in loaded.activations] == [a.name for a in net.activations]
    assert loaded.cost_function.name == net.cost_function.name
    assert loaded.dtype == net.dtype
    assert parameters_equal_bitwise(loaded, net)
    assert all(p.flags.writeable for p in loaded.weights + loaded.biases)  # trainable, not views
    X = np.random.default_rng(seed).standard_normal((7, net.sizes[0]))
    assert np.array_equal(loaded.predict_proba(X), net.predict_proba(X))


@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=st.sampled_from([np.float32, np.float64]))
def test_round_trip_keeps_every_finite_bit_pattern(tmp_path_factory, data, dtype):
    """-0.0, subnormals and the largest floats come back bit for bit."""
    net = Network([4, 3], output="identity", cost="quadratic", dtype=dtype)
    floats = st.floats(allow_nan=False, allow_infinity=False, width=np.finfo(dtype).bits)
    net.weights[0] = data.draw(arrays(dtype, (3, 4), elements=floats))
    net.biases[0] = data.draw(arrays(dtype, (3,), elements=floats))

    loaded = load(save(net, tmp_path_factory.mktemp("bits") / "model.npz"))

    assert parameters_equal_bitwise(loaded, net)


def test_round_trip_of_fortran_order_weights(tmp_path):
    net = Network([5, 3, 2], activation="tanh", dtype="float64")
    net.weights = [np.asfortranarray(W) for W in net.weights]
    loaded = load(save(net, tmp_path / "model.npz"))
    assert all(np.array_equal(a, b) for a, b in zip(loaded.weights, net.weights))


def test_crafted_baseline_loads(tmp_path):
    """The crafted model that the hostile tests corrupt is itself valid: each test changes one thing."""
    members = valid_members()
    net = load(write_npz(tmp_path / "model.npz", members))
    assert net.sizes == SIZES and [a.name for a in net.activations] == ["tanh", "sigmoid"]
    assert all(np.array_equal(net.weights[i], members[f"W{i}"]) for i in range(2))
    assert all(np.array_equal(net.biases[i], members[f"b{i}"]) for i in range(2))


def test_save_accepts_str_and_returns_the_path(tmp_path):
    target = str(tmp_path / "model.npz")
    written = save(Network([2, 1]), target)
    assert os.fspath(written) == target and load(written).sizes == [2, 1]


# ---------------------------------------------------------------------------- atomic saves
class SimulatedCrash(Exception):
    pass


def test_save_leaves_only_the_model_file(tmp_path):
    save(Network([2, 3, 1]), tmp_path / "model.npz")
    save(Network([2, 4, 1]), tmp_path / "model.npz")  # over an existing one, too
    assert os.listdir(tmp_path) == ["model.npz"]
    assert load(tmp_path / "model.npz").sizes == [2, 4, 1]


@pytest.mark.parametrize("crash", [SimulatedCrash, KeyboardInterrupt])
def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch, crash):
    path = save(Network([2, 3, 1], seed=1), tmp_path / "model.npz")
    before = path.read_bytes()

    def savez_that_dies_midway(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half a zip archive")
        raise crash("simulated failure mid-save")

    monkeypatch.setattr(np, "savez", savez_that_dies_midway)
    with pytest.raises(crash, match="simulated failure"):
        save(Network([2, 5, 1], seed=2), path)

    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_save_into_a_missing_folder_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        save(Network([2, 1]), tmp_path / "no" / "such" / "folder" / "model.npz")
    assert os.listdir(tmp_path) == []


def test_saved_file_has_ordinary_permissions(tmp_path):
    ordinary = tmp_path / "ordinary.bin"
    ordinary.write_bytes(b"")
    path = save(Network([2, 1]), tmp_path / "model.npz")
    assert oct(path.stat().st_mode & 0o777) == oct(ordinary.stat().st_mode & 0o777)
    path.chmod(0o640)
    save(Network([2, 1]), path)  # overwriting keeps the old file's mode
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)


def test_non_finite_weights_are_not_saved(tmp_path):
    net = Network([2, 3, 1])
    net.biases[1][0] = np.nan
    with pytest.raises(ValueError, match=r"biases\[1\] contains NaN or inf; such a model cannot be saved"):
        save(net, tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("version", [True, 1.0])
def test_version_must_be_the_integer_one(tmp_path, version):
    path = write_npz(tmp_path / "m.npz", valid_members(header=header_array(valid_header(version=version))))
    with refused(path, "format version .* is not supported"):
        load(path)


# ---------------------------------------------------------------------------- hostile files
def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model file"):
        load(tmp_path / "missing.npz")


@pytest.mark.parametrize(
    "content",
    [b"", b"just some text, not a model\n", np.random.default_rng(0).bytes(4096)],
    ids=["empty", "text", "random-bytes"],
)
def test_non_zip_file_is_refused(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with refused(path, "unreadable or truncated"):
        load(path)


def test_truncated_model_is_refused(model_path):
    data = model_path.read_bytes()
    model_path.write_bytes(data[: len(data) // 2])
    with refused(model_path, "unreadable or truncated"):
        load(model_path)


def test_corrupted_weight_bytes_fail_the_crc(tmp_path):
    members = valid_members()
    path = write_npz(tmp_path / "model.npz", members)
    data = bytearray(path.read_bytes())
    at = data.find(members["W1"].tobytes())
    data[at] ^= 0x01  # still a finite float32 of the right shape: only the CRC can tell
    path.write_bytes(bytes(data))
    with refused(path, "unreadable or truncated"):
        load(path)


def test_npz_without_header_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, W0=np.zeros((4, 3), np.float32), b0=np.zeros(4, np.float32))
    with refused(path, "it has no 'header' member"):
        load(path)


BAD_SIZES = "header sizes must be a list of 2 to 1000 positive integers"
BAD_ACTIVATIONS = "header activations must name 2 of sigmoid, tanh, relu, leaky_relu, softplus, identity, softmax, exp"
BAD_DTYPE = "header dtype must be float32 or float64"
MISMATCH = "its arrays do not match the header "


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (valid_header(format="keras-model"), "header format is 'keras-model', not 'deltaprop-model'"),
        ({k: v for k, v in valid_header().items() if k != "format"}, "header format is None"),
        (valid_header(version=3), r"format version 3 is not supported \(this deltaprop reads 1 and 2\)"),
        (valid_header(version="1"), "format version '1' is not supported"),
        (["deltaprop-model", 1], "header is not a JSON object"),
        ("deltaprop-model", "header is not a JSON object"),
        (None, "header is not a JSON object"),
        (valid_header(sizes="3,4,2"), f"{BAD_SIZES}; got '3,4,2'"),
        (valid_header(sizes=[3]), rf"{BAD_SIZES}; got \[3\]"),
        (valid_header(sizes=[3, 0, 2]), BAD_SIZES),
        (valid_header(sizes=[3, -4, 2]), BAD_SIZES),
        (valid_header(sizes=[3, 4.0, 2]), BAD_SIZES),
        (valid_header(sizes=[3, True, 2]), BAD_SIZES),
        (valid_header(sizes=None), f"{BAD_SIZES}; got None"),
        (valid_header(activations=["tanh", "swish"]), rf"{BAD_ACTIVATIONS}; got \['tanh', 'swish'\]"),
        (valid_header(activations=["sigmoid"]), BAD_ACTIVATIONS),
        (valid_header(activations="sigmoid"), BAD_ACTIVATIONS),
        (valid_header(cost="hinge"), "header cost must be one of quadratic, cross_entropy, log_likelihood, poisson; got 'hinge'"),
        (valid_header(dtype="int32"), f"{BAD_DTYPE}; got 'int32'"),
        (valid_header(dtype="float16"), f"{BAD_DTYPE}; got 'float16'"),
    ],
    ids=[
        "wrong-format", "no-format", "version-3", "version-str", "json-list", "json-string", "json-null",
        "sizes-str", "sizes-one", "sizes-zero", "sizes-negative", "sizes-float", "sizes-bool", "sizes-null",
        "activation-unknown", "activations-short", "activations-str", "cost-unknown", "dtype-int32", "dtype-float16",
    ],
)
def test_bad_header_field_is_refused(tmp_path, header, problem):
    path = write_npz(tmp_path / "model.npz", valid_members(header=header_array(header)))
    with refused(path, problem):
        load(path)


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (np.array("{'format': 'deltaprop-model'"), "header is not JSON"),
        (np.array(""), "header is not JSON"),
        (np.array(7, dtype=np.int64), "header must be a JSON string; got dtype int64"),
        (np.array(["{}", "{}"]), r"header must be a JSON string; got dtype <U2, shape \(2,\)"),
        (np.frombuffer(b"{}", dtype="S2").reshape(()), "header must be a JSON string"),
    ],
    ids=["not-json", "empty-string", "integer", "string-vector", "bytes"],
)
def test_header_that_is_not_a_json_string_is_refused(tmp_path, header, problem):
    path = write_npz(tmp_path / "model.npz", valid_members(header=header))
    with refused(path, problem):
        load(path)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"W0": np.zeros((3, 4), np.float32)}, r"W0 must be float32 of shape \(4, 3\) for layer 0; got float32 \(3, 4\)"),
        ({"b1": np.zeros((2, 1), np.float32)}, r"b1 must be float32 of shape \(2,\) for layer 1; got float32 \(2, 1\)"),
        ({"W1": np.zeros((2, 4), np.float64)}, r"W1 must be float32 of shape \(2, 4\) for layer 1; got float64 \(2, 4\)"),
        ({"W1": np.zeros((2, 4), ">f4")}, r"W1 must be float32 of shape \(2, 4\) for layer 1; got >f4"),
        ({"b0": np.zeros(4, np.int32)}, r"b0 must be float32 of shape \(4,\) for layer 0; got int32"),
        ({"b1": None}, MISMATCH + r"\(missing \['b1'\], unexpected \[\]\)"),
        ({"W0": None, "b0": None}, MISMATCH + r"\(missing \['W0', 'b0'\], unexpected \[\]\)"),
        ({"W2": np.zeros((1, 2), np.float32)}, MISMATCH + r"\(missing \[\], unexpected \['W2'\]\)"),
        ({"notes": np.zeros(1)}, MISMATCH + r"\(missing \[\], unexpected \['notes'\]\)"),
        ({"W1": np.array([[0, 1, 2, 3], [4, np.nan, 6, 7]], np.float32)}, "W1 contains NaN or inf"),
        ({"b0": np.array([0, 0, -np.inf, 0], np.float32)}, "b0 contains NaN or inf"),
    ],
    ids=[
        "W-transposed", "b-2d", "W-float64", "W-big-endian", "b-int32", "missing-b1", "missing-layer",
        "extra-layer", "extra-member", "nan-weight", "inf-bias",
    ],
)
def test_array_that_does_not_match_the_header_is_refused(tmp_path, changes, problem):
    path = write_npz(tmp_path / "model.npz", valid_members(**changes))
    with refused(path, problem):
        load(path)


def test_truncated_member_is_refused(tmp_path):
    path = write_npz(tmp_path / "model.npz", valid_members(W0=npy_bytes(np.zeros((4, 3), np.float32))[:-8]))
    with refused(path, r"W0 declares float32 of shape \(4, 3\) \(48 bytes\) but holds 40 bytes of data"):
        load(path)


def test_huge_promised_shape_is_refused_without_reading_it(tmp_path):
    n = 1 << 24
    promise = io.BytesIO()
    np.lib.format.write_array_header_1_0(promise, {"descr": "<f4", "fortran_order": False, "shape": (n, n)})
    header = header_array(valid_header(sizes=[n, n], activations=["sigmoid"]))
    path = write_npz(tmp_path / "model.npz", {"header": header, "W0": promise.getvalue(), "b0": b""})
    with refused(path, rf"W0 declares float32 of shape \({n}, {n}\) \({4 * n * n} bytes\) but holds 0 bytes of data"):
        load(path)


def test_unsupported_npy_version_is_refused(tmp_path):
    raw = bytearray(npy_bytes(valid_members()["W0"]))
    raw[6:8] = b"\x09\x00"  # the magic's major.minor
    path = write_npz(tmp_path / "model.npz", valid_members(W0=bytes(raw)))
    with refused(path, r"W0: unsupported \.npy version \(9, 0\)"):
        load(path)


@pytest.mark.parametrize("member", ["W0", "header"])
def test_object_array_is_refused_and_never_unpickled(tmp_path, member):
    UNPICKLED.clear()
    hostile = np.empty((4, 3) if member == "W0" else (), dtype=object)
    hostile[...] = Tripwire()
    pickled = npy_bytes(hostile, allow_pickle=True)
    np.load(io.BytesIO(pickled), allow_pickle=True)
    assert UNPICKLED, "the tripwire must fire when the member is unpickled"
    UNPICKLED.clear()
    path = write_npz(tmp_path / "model.npz", valid_members(**{member: pickled}))

    with refused(path, f"{member}: holds Python objects \\(refused: nothing here is ever unpickled\\)"):
        load(path)
    assert UNPICKLED == []


def test_softmax_hidden_layer_is_refused_naming_the_path(tmp_path):
    header = header_array(valid_header(activations=["softmax", "sigmoid"]))
    path = write_npz(tmp_path / "model.npz", valid_members(header=header))
    with refused(path, "activation 'softmax' couples its outputs"):
        load(path)


def test_softmax_over_one_output_is_refused_naming_the_path(tmp_path):
    header = valid_header(sizes=[3, 1], activations=["softmax"], cost="log_likelihood")
    members = {"header": header_array(header), "W0": np.zeros((1, 3), np.float32), "b0": np.zeros(1, np.float32)}
    path = write_npz(tmp_path / "model.npz", members)
    with refused(path, "output 'softmax' over a single unit"):
        load(path)


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (valid_header(activations=[["tanh"], "sigmoid"]), BAD_ACTIVATIONS),
        (valid_header(activations=["tanh", {}]), BAD_ACTIVATIONS),
        (valid_header(cost=["cross_entropy"]), "header cost must be one of"),
        (valid_header(cost={"name": "quadratic"}), "header cost must be one of"),
        (valid_header(dtype=["float32"]), BAD_DTYPE),
        (valid_header(format=["deltaprop-model"]), "header format is"),
    ],
    ids=["activation-list", "activation-object", "cost-list", "cost-object", "dtype-list", "format-list"],
)
def test_unhashable_header_value_is_refused(tmp_path, header, problem):
    """JSON lists and objects where a name belongs: ValueError, not TypeError (unhashable)."""
    path = write_npz(tmp_path / "model.npz", valid_members(header=header_array(header)))
    with refused(path, problem):
        load(path)


def test_deeply_nested_header_is_refused(tmp_path):
    """Nesting well under the header's size limit: ValueError, not RecursionError from json."""
    path = write_npz(tmp_path / "model.npz", valid_members(header=np.array("[" * 100_000)))
    with refused(path, "header is nested too deeply"):
        load(path)


# ---------------------------------------------------------------------------- no pickle
def test_load_never_calls_pickle(model_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("load() must never unpickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, forbidden)
    with pytest.raises(AssertionError, match="never unpickle"):  # the patch does bite numpy
        np.load(io.BytesIO(npy_bytes(np.array([None]), allow_pickle=True)), allow_pickle=True)

    net = load(model_path)
    assert net.sizes == [3, 5, 2] and net.activations[-1].name == "softmax"


# ---------------------------------------------------------------------------- found in review
def _rewrite_member(path, member, transform, compress_type=zipfile.ZIP_STORED, flag_bits=0):
    """Rewrite ``path`` with ``member``'s bytes passed through ``transform``."""
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in contents.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = compress_type if name == member else zipfile.ZIP_STORED
            archive.writestr(info, transform(data) if name == member else data)
            if name == member:
                info.flag_bits |= flag_bits
    return path


def test_bytes_beyond_a_member_are_refused(tmp_path):
    path = save(Network([3, 4, 2]), tmp_path / "m.npz")
    _rewrite_member(path, "W0.npy", lambda data: data + b"\0" * 1000)
    with refused(path, r"W0 declares float32 of shape \(4, 3\) \(48 bytes\) but holds 1048 bytes of data"):
        load(path)


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
def test_corrupt_compressed_member_is_refused(tmp_path, method):
    path = save(Network([3, 4, 2]), tmp_path / "m.npz")
    _rewrite_member(path, "W0.npy", lambda data: data, compress_type=method)
    raw = bytearray(path.read_bytes())
    start = raw.index(b"W0.npy") + len("W0.npy")  # the member's compressed data follows its local header
    raw[start + 20 : start + 40] = bytes(20)
    path.write_bytes(bytes(raw))
    with refused(path, "unreadable or truncated"):
        load(path)


def test_registered_functions_only_are_saved(tmp_path):
    from deltaprop.activations import LeakyReLU

    net = Network([2, 3, 1], activation=LeakyReLU(alpha=0.3))
    with pytest.raises(ValueError, match="is not deltaprop's own 'leaky_relu'; only registered functions can be saved"):
        save(net, tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


def test_a_version_1_model_is_read_as_version_1_even_with_later_fields(tmp_path):
    """Fields that version 2 added mean nothing in a version-1 header: they are not applied."""
    header = header_array(valid_header(classes=["a", "b"], task="regression"))
    path = write_npz(tmp_path / "m.npz", valid_members(header=header))
    net = load(path)
    assert net.classes is None and net.task == "classification" and net.input_scaling is None


# ---------------------------------------------------------------------------- hostile files
# Each case the fuzzing pass found: refused in one line by load, and by the CLI with exit 2,
# no traceback and a peak RSS under 1 GB (measured in the child process).
def test_a_header_holding_a_code_point_beyond_unicode_is_refused(tmp_path):
    text = json.dumps(valid_header())
    code_points = [ord(c) for c in text[:-1]] + [0x110000, ord("}")]
    path = write_npz(tmp_path / "model.npz", valid_members(header=hostile.text_member(code_points)))
    with refused(path, r"header is not valid Unicode text \(code point not in range\(0x110000\) at byte \d+\)$"):
        load(path)
    hostile.assert_refused(hostile.run_cli("evaluate", path), f"{path}: not a valid deltaprop model: header is not valid Unicode text")


def test_a_npy_header_without_its_closing_brace_is_refused(tmp_path):
    broken = hostile.npy_header("", (), text="{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), ") + bytes(48)
    path = write_npz(tmp_path / "model.npz", valid_members(W0=broken))
    with refused(path, r"W0: its \.npy header is not a Python literal$"):
        load(path)
    hostile.assert_refused(hostile.run_cli("evaluate", path), "W0: its .npy header is not a Python literal")


def test_a_weight_matrix_of_deflated_zeros_is_refused_before_it_is_inflated(tmp_path):
    n = 1 << 14  # W0 of 16384 × 16384 float32: 1 GiB of zeros, deflated to about 1 MB
    header = valid_header(sizes=[n, n, 2], activations=["sigmoid", "sigmoid"])
    w0 = hostile.deflated_zeros("W0.npy", hostile.npy_header("<f4", (n, n)), 4 * n * n)
    members = [hostile.stored("header.npy", npy_bytes(header_array(header))), w0]
    members += [hostile.stored(f"{k}.npy", npy_bytes(np.zeros(s, np.float32))) for k, s in (("b0", n), ("W1", (2, n)), ("b1", 2))]
    path = hostile.write_zip(tmp_path / "model.npz", members)
    assert path.stat().st_size < 2 * 10**6
    with refused(path, rf"member 'W0.npy' declares {4 * n * n + 128} bytes compressed into {len(w0.data)}, more than 100 times"):
        load(path)
    outcome = hostile.run_cli("evaluate", path)
    hostile.assert_refused(outcome, "more than 100 times (refused: a compression bomb?)")


def test_load_draws_no_random_network_first(tmp_path, monkeypatch):
    net = Network([3, 4, 2], seed=5)
    path = save(net, tmp_path / "m.npz")
    for name in INITIALIZERS:
        monkeypatch.setitem(INITIALIZERS, name, lambda *args: pytest.fail("load drew initial weights"))
    assert parameters_equal_bitwise(load(path), net)
