"""``deltaprop explain``: the formats, the options, the files, the errors."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.cli import main

from .common import default_explanation


def run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["explain", *map(str, argv)])
        except SystemExit as e:
            code = e.code
    return code, out.getvalue(), err.getvalue()


def test_cli_text_is_the_golden_default(default):
    code, out, err = run()
    assert (code, err) == (0, "")
    assert out == default.to_text(width=100)


@pytest.mark.parametrize("fmt", ["markdown", "html", "json"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_cli_formats_print_the_explanation(default, fmt, lang):
    code, out, err = run("--format", fmt, "--lang", lang)
    assert (code, err) == (0, "")
    if fmt == "json":
        assert json.loads(out) == json.loads(default.to_json())
    else:
        assert out == (default.to_markdown(lang=lang) if fmt == "markdown" else default.to_html(lang=lang))


def test_cli_options_change_the_network_the_example_and_the_neuron():
    code, out, _ = run("--sizes", "2,4,3", "--activation", "tanh", "--output", "softmax", "--cost", "log_likelihood",
                       "--input", "0.5,-1", "--target", "2", "--seed", "7", "--lr", "0.1", "--neuron", "2,4", "--format", "json")
    d = json.loads(out)
    assert code == 0 and d["sizes"] == [2, 4, 3] and d["activations"] == ["tanh", "softmax"]
    assert d["x"] == [0.5, -1.0] and d["y"] == [0.0, 0.0, 1.0] and d["neuron"] == [2, 4] and d["lr"] == 0.1
    np.testing.assert_array_equal(d["weights"][0], dp.Network([2, 4, 3], seed=7).weights[0].astype(float))


def test_cli_explains_a_saved_model_on_a_row_of_a_data_set(tmp_path):
    net = dp.Network([2, 5, 2], output="softmax", cost="log_likelihood", seed=4)
    model = dp.save(net, tmp_path / "model.npz")
    code, out, _ = run("--model", model, "--dataset", "xor", "--index", 7, "--format", "json")
    (X, y), _ = dp.datasets.load("xor")
    d = json.loads(out)
    assert code == 0 and d["sizes"] == [2, 5, 2]
    assert d["x"] == X[7].astype(float).tolist() and d["y"] == np.eye(2)[y[7]].tolist()
    np.testing.assert_array_equal(d["weights"][1], net.weights[1].astype(float))


def test_cli_out_writes_the_file_atomically(default, tmp_path):
    target = tmp_path / "explain.html"
    target.write_text("old", encoding="utf-8")
    code, out, _ = run("--format", "html", "--out", target)
    assert code == 0 and out == f"explanation written to {target}\n"
    assert target.read_text(encoding="utf-8") == default.to_html()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["explain.html"]  # no temporary file left
    code, _, err = run("--format", "html", "--out", target, "--neuron", "9,9")  # fails before writing: the file stays
    assert code == 2 and target.read_text(encoding="utf-8") == default.to_html()
    code, _, _ = run("--out", tmp_path / "explain.txt")
    assert code == 0 and (tmp_path / "explain.txt").read_text(encoding="utf-8") == default.to_text(width=100)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--input", "1,2"], "deltaprop: error: --input must be 3 comma-separated numbers, one per input of the network (3,3,1); got '1,2'"),
        (["--input", "1,x,2"], "deltaprop: error: --input must be comma-separated numbers like 0.5,-1,2; got '1,x,2'"),
        (["--target", "1,0"], "deltaprop: error: --target must be one class label or 1 comma-separated numbers, one per output of the network (3,3,1); got '1,0'"),
        (["--sizes", "3,x"], "deltaprop explain: error: argument --sizes: must be two or more comma-separated positive integers like 784,100,10; got '3,x'"),
        (["--sizes", "3"], "deltaprop explain: error: argument --sizes: must be two or more comma-separated positive integers like 784,100,10; got '3'"),
        (["--dataset", "xor", "--index", 800], "deltaprop: error: --index 800 is out of range: xor has 800 training examples (0 to 799)"),
        (["--dataset", "xor", "--index", -1], "deltaprop: error: --index -1 is out of range: xor has 800 training examples (0 to 799)"),
        (["--index", 3], "deltaprop: error: --index picks a row of --dataset; give --dataset too"),
        (["--dataset", "xor", "--input", "1,2"], "deltaprop: error: --input and --target give the example directly; leave them out with --dataset"),
        (["--dataset", "xor", "--sizes", "3,2"], "deltaprop: error: --sizes 3,2 takes 3 inputs but xor has 2"),
        (["--model", "m.npz", "--sizes", "3,2", "--cost", "quadratic"], "deltaprop: error: --model m.npz brings its own network; leave out --sizes, --cost"),
        (["--neuron", "2"], "deltaprop: error: neuron must be (layer, index) with layer from 2 to 3 and index from 1 to the layer's width (layer 2: 3, layer 3: 1); got (2,)"),
        (["--neuron", "two,1"], "deltaprop: error: --neuron must be LAYER,INDEX like 2,3; got 'two,1'"),
        (["--lr", "0"], "deltaprop explain: error: argument --lr: must be a finite number > 0; got '0'"),
        (["--format", "pdf"], "deltaprop explain: error: argument --format: invalid choice: 'pdf' (choose from 'text', 'markdown', 'html', 'json')"),
        (["--lang", "fr"], "deltaprop explain: error: argument --lang: invalid choice: 'fr' (choose from 'en', 'zh')"),
        (["--activation", "swish"], "deltaprop: error: activation 'swish' is unknown; choose one of sigmoid, tanh, relu, leaky_relu, softplus, identity, softmax, exp"),
        (["--out", "/nonexistent-folder/e.html"], "deltaprop: error: --out /nonexistent-folder/e.html: folder /nonexistent-folder does not exist"),
    ],
)
def test_cli_refuses_bad_input_in_one_line(argv, message):
    code, out, err = run(*argv)
    assert (code, out) == (2, "")
    assert err == message + "\n"


def test_cli_derive_adds_the_derivation_in_every_format():
    derived = default_explanation(derive=True)
    code, out, err = run("--derive", "--format", "json")
    assert (code, err) == (0, "") and json.loads(out) == json.loads(derived.to_json())
    assert set(json.loads(out)["derivation"]) == {"weight", "paths", "n_paths", "path_sum", "backprop", "multiplications"}
    code, out, _ = run("--derive", "--lang", "zh")
    assert code == 0 and out == derived.to_text(width=100, lang="zh")
    code, out, _ = run("--derive", "--format", "html")
    assert code == 0 and out == derived.to_html() and 'class="dp-path"' in out


def test_cli_weight_picks_the_derived_weight():
    code, out, _ = run("--sizes", "2,3,2", "--output", "softmax", "--cost", "log_likelihood", "--derive", "--weight", "3,2,3", "--format", "json")
    d = json.loads(out)["derivation"]
    assert code == 0 and d["weight"] == [3, 2, 3] and d["n_paths"] == 2
    assert all(p["nodes"][0] == "w^3_23" and p["nodes"][-1] == "C" for p in d["paths"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--weight", "2,1,1"], "deltaprop: error: --weight picks the weight of the derivation; give --derive too"),
        (["--derive", "--weight", "2,1"], "deltaprop: error: weight must be (layer, j, k) with layer from 2 to 3, j and k from 1 to the shape of its W (layer 2: 3 × 3, layer 3: 1 × 3); got (2, 1)"),
        (["--derive", "--weight", "3,1,4"], "deltaprop: error: weight must be (layer, j, k) with layer from 2 to 3, j and k from 1 to the shape of its W (layer 2: 3 × 3, layer 3: 1 × 3); got (3, 1, 4)"),
        (["--derive", "--weight", "w,1,1"], "deltaprop: error: --weight must be L,J,K like 2,1,1; got 'w,1,1'"),
    ],
)
def test_cli_refuses_a_bad_weight_in_one_line(argv, message):
    code, out, err = run(*argv)
    assert (code, out, err) == (2, "", message + "\n")

