"""Fuzz target (slow): dp.load on mutations of real model files."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import deltaprop as dp
from deltaprop.cli import main
from tests.fuzzing import corpus_entry, fuzz_settings, mutated_archive, mutated_bytes, outcome_is_allowed, run_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Models as users have them: the CLI's digits classifier (version 2: classes, pixel scaling,
    provenance), a CLI regressor on a CSV (feature names, both scalings), a float64 network."""
    folder = tmp_path_factory.mktemp("models")
    rng = np.random.default_rng(0)
    table = folder / "t.csv"
    X = rng.normal(size=(60, 3))
    table.write_text("a,b,c,target\n" + "".join(f"{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},{r.sum() + 0.5:.4f}\n" for r in X))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["train", "--dataset", "digits", "--epochs", "1", "--quiet", "--out", str(folder / "digits.npz")]) == 0
        assert main(["train", "--dataset", str(table), "--epochs", "2", "--quiet", "--out", str(folder / "regressor.npz")]) == 0
    dp.save(dp.Network([4, 3, 3, 2], activation=["tanh", "relu"], dtype="float64", seed=3), folder / "f64.npz")
    return {path.name: path.read_bytes() for path in folder.glob("*.npz")}


def test_fuzz_model_loader(corpus, tmp_path_factory):
    where = tmp_path_factory.mktemp("fuzz") / "model.npz"

    @fuzz_settings
    @given(st.data())
    def one(data):
        seed = corpus_entry(data.draw, corpus)
        where.write_bytes(mutated_archive(data.draw, seed) if data.draw(st.booleans()) else mutated_bytes(data.draw, seed))
        outcome_is_allowed(lambda: dp.load(where), where)

    run_for(one)
