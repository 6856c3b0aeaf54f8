"""Fuzz targets (slow): load_npz and load_csv on mutations of real data files."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import deltaprop as dp
from deltaprop.datasets.tables import load_csv, load_npz
from tests.fuzzing import corpus_entry, fuzz_settings, mutated_archive, mutated_bytes, outcome_is_allowed, run_for

pytestmark = pytest.mark.slow

#: Cells worth writing anywhere in a table.
EDGE_CELLS = ["", " ", "nan", "inf", "-inf", "1e39", "-1e400", "3000000", "-1", "9" * 30, "0x10", '"', '"a,b"', "a\nb", "\x00", "é", "\ufeff1", "1_000"]


@pytest.fixture(scope="module")
def digits():
    (X, y), _ = dp.datasets.load("digits")
    return X[:150], y[:150]


@pytest.fixture(scope="module")
def npz_corpus(digits):
    X, y = digits
    files = {}
    for name, arrays, compressed in (
        ("labels", {"X": X, "y": y}, False),
        ("compressed", {"X": X, "y": y}, True),
        ("targets", {"X": X.astype(">f8"), "y": np.stack([y, -y], axis=1).astype(np.float32)}, False),
        ("extra", {"X": X[:20], "y": y[:20].astype(np.float64), "notes": np.arange(3)}, False),
    ):
        buffer = io.BytesIO()
        (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
        files[name] = buffer.getvalue()
    return files


def test_fuzz_npz_loader(npz_corpus, tmp_path_factory):
    where = tmp_path_factory.mktemp("fuzz") / "data.npz"

    @fuzz_settings
    @given(st.data())
    def one(data):
        seed = corpus_entry(data.draw, npz_corpus)
        where.write_bytes(mutated_archive(data.draw, seed, json_member=None) if data.draw(st.booleans()) else mutated_bytes(data.draw, seed))
        outcome_is_allowed(lambda: load_npz(where), where)

    run_for(one)


def _table(header, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture(scope="module")
def csv_corpus(digits):
    X, y = digits
    names = [f"p{i}" for i in range(X.shape[1])]
    return {
        "digits": _table([*names, "label"], [[f"{v:g}" for v in x] + [int(c)] for x, c in zip(X[:60], y[:60])]),
        "named": _table(["x", "y", "kind"], [[i, i * 0.5, ["cat", "dog", "eel"][i % 3]] for i in range(30)]),
        "targets": _table(["x", "target"], [[i, f"{i / 7:.5f}"] for i in range(30)]),
    }


def mutated_table(draw, text):
    """A table with some cells replaced (by edge cells or any text), rows cut or widened."""
    rows = list(csv.reader(io.StringIO(text)))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(rows) - 1))
        kind = draw(st.sampled_from(["cell", "cell", "drop", "widen", "empty"]))
        if kind == "cell" and rows[i]:
            rows[i][draw(st.integers(0, len(rows[i]) - 1))] = draw(st.sampled_from(EDGE_CELLS) | st.text(max_size=12))
        elif kind == "drop" and len(rows) > 1:
            del rows[i]
        elif kind == "widen":
            rows[i].append(draw(st.sampled_from(EDGE_CELLS)))
        elif kind == "empty":
            rows[i] = []
    return _table(rows[0] if rows else [], rows[1:])


def test_fuzz_csv_loader(csv_corpus, tmp_path_factory):
    where = tmp_path_factory.mktemp("fuzz") / "table.csv"

    @fuzz_settings
    @given(st.data())
    def one(data):
        seed = corpus_entry(data.draw, csv_corpus)
        if data.draw(st.booleans()):
            where.write_text(mutated_table(data.draw, seed), encoding="utf-8", errors="surrogatepass")
        else:
            where.write_bytes(mutated_bytes(data.draw, seed.encode()))
        outcome_is_allowed(lambda: load_csv(where), where)

    run_for(one)
