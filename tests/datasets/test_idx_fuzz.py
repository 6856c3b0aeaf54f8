"""Fuzz target (slow): read_idx on mutations of real IDX files, raw and gzip-compressed."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import deltaprop as dp
from deltaprop.datasets.idx import read_idx, write_idx
from tests.fuzzing import corpus_entry, fuzz_settings, mutated_bytes, outcome_is_allowed, run_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Digits as the MNIST layout stores them: images (n, 8, 8) uint8, labels, and a float array."""
    (X, y), _ = dp.datasets.load("digits")
    folder = tmp_path_factory.mktemp("idx")
    arrays = {"images": (X[:40] * 255).astype(np.uint8).reshape(40, 8, 8), "labels": y[:40].astype(np.uint8),
              "floats": X[:5].astype(np.float64)}
    files = {}
    for name, array in arrays.items():
        write_idx(folder / name, array)
        files[name] = (folder / name).read_bytes()
    return files


def mutated_idx(draw, raw):
    """The header's dtype code, rank or dimensions rewritten, or its bytes mutated; then maybe gzipped."""
    data = bytearray(raw)
    kind = draw(st.sampled_from(["code", "rank", "dims", "bytes"]))
    if kind == "code":
        data[2] = draw(st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0x0A, 0xFF]))
    elif kind == "rank":
        data[3] = draw(st.sampled_from([0, 1, 2, 3, 4, 255]))
    elif kind == "dims":
        rank = data[3]
        dims = draw(st.lists(st.sampled_from([0, 1, 7, 8, 40, 2**16, 2**31, 2**32 - 1]), min_size=rank, max_size=rank))
        data[4 : 4 + 4 * rank] = struct.pack(f">{rank}I", *dims)
    else:
        data = bytearray(mutated_bytes(draw, bytes(data)))
    return gzip.compress(bytes(data), mtime=0) if draw(st.booleans()) else bytes(data)


def test_fuzz_idx_reader(corpus, tmp_path_factory):
    where = tmp_path_factory.mktemp("fuzz") / "file-idx"

    @fuzz_settings
    @given(st.data())
    def one(data):
        seed = corpus_entry(data.draw, corpus)
        raw = mutated_idx(data.draw, seed)
        if data.draw(st.integers(0, 5)) == 0 and raw[:2] == b"\x1f\x8b":  # a damaged gzip stream too
            raw = mutated_bytes(data.draw, raw, max_mutations=2)
        where.write_bytes(raw)
        outcome_is_allowed(lambda: read_idx(where), where)

    run_for(one)
