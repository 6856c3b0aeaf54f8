"""Fuzz target (slow): resuming from mutations of real checkpoints (read_state, then
Trainer.load_state_dict, which must refuse or take the state whole)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import deltaprop as dp
from deltaprop.optimizers import Adam
from deltaprop.schedules import CosineAnnealing
from deltaprop.training.callbacks import Checkpoint, EarlyStopping, LearningRateSchedule
from deltaprop.training.checkpoint import CHECKPOINT_FILE, read_state
from tests.fuzzing import corpus_entry, fuzz_settings, mutated_archive, mutated_bytes, outcome_is_allowed, run_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def digits():
    (X, y), _ = dp.datasets.load("digits")
    return X[:200], y[:200]


def trainer(digits, callbacks=()):
    net = dp.Network([64, 12, 10], activation="relu", output="softmax", cost="log_likelihood", init="he", seed=1)
    extra = [LearningRateSchedule(CosineAnnealing(4)), EarlyStopping(2, monitor="val_cost")]
    return dp.Trainer(net, *digits, batch_size=16, optimizer=Adam(lr=0.01), validation=0.2, seed=2, callbacks=[*extra, *callbacks])


@pytest.fixture(scope="module")
def corpus(digits, tmp_path_factory):
    """Checkpoints of one kind of run: between epochs, inside an epoch (an order and a
    position), and after early stopping put the best weights back (two sets of them)."""
    files = {}
    for name, epochs, every in (("between", 1, None), ("inside", 2, 5), ("ended", 4, None)):
        folder = tmp_path_factory.mktemp(name)
        t = trainer(digits, [Checkpoint(folder, every_steps=every)])
        if every:
            for _ in range(every + 2 + 10):
                t.step()
        else:
            t.fit(epochs)
        files[name] = (folder / CHECKPOINT_FILE).read_bytes()
    return files


def test_fuzz_checkpoint_resume(digits, corpus, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    where = folder / CHECKPOINT_FILE

    @fuzz_settings
    @given(st.data())
    def one(data):
        seed = corpus_entry(data.draw, corpus)
        where.write_bytes(mutated_archive(data.draw, seed) if data.draw(st.integers(0, 2)) else mutated_bytes(data.draw, seed))
        outcome_is_allowed(lambda: trainer(digits).load_state_dict(read_state(folder), source=str(where)), where)

    run_for(one)
