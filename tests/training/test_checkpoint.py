"""Checkpoints: what fit writes, resuming bit for bit (also after SIGKILL), and refusing bad files."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.cli import main
from deltaprop.training.callbacks import Checkpoint
from deltaprop.training.checkpoint import (
    CHECKPOINT_FILE, LOCK_FILE, METRICS_FILE, MODEL_FILE, FolderLock, read_checkpoint, read_state, write_checkpoint,
)
from deltaprop.optimizers import Adam, AdamW, Momentum, RMSProp
from deltaprop.schedules import CosineAnnealing, ReduceOnPlateau, WarmUp
from tests import hostile


@pytest.fixture(scope="module")
def digits():
    (X, y), (X_test, y_test) = dp.datasets.load("digits")
    return X[:300], y[:300], X_test[:100], y_test[:100]


def make_net(sizes=(64, 20, 10), dtype="float32"):
    return dp.Network(list(sizes), activation="sigmoid", output="softmax", cost="log_likelihood", dtype=dtype, seed=1)


def test_run_folder_names_are_the_documented_ones():
    """The README and users' existing run folders spell these; every other test uses the names."""
    assert (CHECKPOINT_FILE, MODEL_FILE, METRICS_FILE) == ("checkpoint.npz", "model.npz", "metrics.json")


#: Each case: the arguments of one run (fresh objects at every call), its epochs E and the
#: epochs k after which the first part of a resumed run stops.
CASES = {
    "sgd": (lambda d: {"optimizer": dp.SGD(lr=0.5), "l2": 1.0}, 4, (2,)),
    "nesterov": (lambda d: {"optimizer": Momentum(lr=0.1, momentum=0.9, nesterov=True)}, 4, (1,)),
    "adam": (lambda d: {"optimizer": Adam(lr=0.003), "l1": 0.2}, 4, (3,)),
    "adamw": (lambda d: {"optimizer": AdamW(lr=0.003, weight_decay=0.1)}, 3, (1,)),
    "rmsprop": (lambda d: {"optimizer": RMSProp(lr=0.002)}, 3, (2,)),
    "dropout": (lambda d: {"optimizer": Momentum(lr=0.1), "dropout": 0.3, "max_norm": 2.0}, 4, (2,)),
    "plateau": (
        lambda d: {"optimizer": dp.SGD(lr=2.0), "validation": (d[2], d[3]), "schedule": ReduceOnPlateau(factor=0.5, patience=0, threshold=0.5)},
        6, (3,),
    ),
    "cosine": (lambda d: {"optimizer": Adam(lr=0.01), "schedule": WarmUp(2, CosineAnnealing(3))}, 5, (2,)),
    "early stopping": (
        lambda d: {"optimizer": dp.SGD(lr=2.0), "validation": 0.3, "early_stopping": 2, "monitor": "val_accuracy"},
        15, (4, 10),  # before the best epoch (9), and after it with patience left
    ),
}


def train(digits, case, epochs, **extra):
    """Run ``case`` for ``epochs`` on a new network with new optimizer and schedule objects."""
    X, y = digits[:2]
    net = make_net()
    history = dp.fit(net, X, y, epochs=epochs, batch_size=10, seed=5, progress=False, **CASES[case][0](digits), **extra)
    return net, history


def assert_same_run(net_a, history_a, net_b, history_b):
    for i, (a, b) in enumerate(zip(net_a.parameters(), net_b.parameters(), strict=True)):
        assert np.array_equal(a, b), f"parameter {i} differs"
    a, b = history_a.to_dict(), history_b.to_dict()
    assert len(a.pop("seconds")) == len(b.pop("seconds"))
    assert a == b


@pytest.mark.parametrize("case", list(CASES))
def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(digits, case, tmp_path):
    _, epochs, parts = CASES[case]
    net_a, history_a = train(digits, case, epochs)
    if case in ("plateau", "cosine"):
        assert len(set(history_a.lr[: parts[0]])) > 1 and len(set(history_a.lr[parts[0] :])) > 1  # the schedule acted on both sides
    if case == "early stopping":
        assert history_a.stopped == "early stopping" and parts[0] < history_a.best_epoch <= parts[1] < history_a.epochs < epochs
    for k in parts:
        folder = tmp_path / str(k)
        _, history_b = train(digits, case, k, checkpoint=folder)
        assert history_b.epochs == k
        net_c, history_c = train(digits, case, epochs, checkpoint=folder, resume=True)
        assert_same_run(net_a, history_a, net_c, history_c)


def test_resume_in_several_parts_and_after_the_end(digits, tmp_path):
    net_a, history_a = train(digits, "adam", 4)
    for epochs in (1, 2, 4):  # 1 epoch, resumed for 1 more, resumed for 2 more
        net, history = train(digits, "adam", epochs, checkpoint=tmp_path, resume=True)
        assert history.epochs == epochs
    assert_same_run(net_a, history_a, net, history)
    net, history = train(digits, "adam", 4, checkpoint=tmp_path, resume=True)  # nothing left to do
    assert_same_run(net_a, history_a, net, history)


def test_resume_without_a_checkpoint_starts_afresh(digits, tmp_path):
    net_a, history_a = train(digits, "nesterov", 2)
    net_b, history_b = train(digits, "nesterov", 2, checkpoint=tmp_path / "new" / "folder", resume=True)
    assert_same_run(net_a, history_a, net_b, history_b)
    assert sorted(os.listdir(tmp_path / "new" / "folder")) == sorted([CHECKPOINT_FILE, LOCK_FILE, MODEL_FILE])


class SigintAt(dp.Callback):
    """Sends SIGINT to this process after step ``step`` of epoch ``epoch`` (both from 0)."""

    def __init__(self, epoch, step):
        self.epoch, self.step, self.current = epoch, step, 0

    def on_epoch_end(self, epoch, history, net):
        self.current = epoch + 1

    def on_batch_end(self, step, net):
        if (self.current, step) == (self.epoch, self.step):
            os.kill(os.getpid(), signal.SIGINT)


def test_resume_after_ctrl_c_repeats_the_unfinished_epoch(digits, tmp_path):
    original = signal.getsignal(signal.SIGINT)
    net_a, history_a = train(digits, "dropout", 4)
    _, history_b = train(digits, "dropout", 4, checkpoint=tmp_path, callbacks=[SigintAt(2, 5)])
    assert signal.getsignal(signal.SIGINT) is original
    assert history_b.stopped == "interrupted" and history_b.epochs == 2
    state, _ = read_checkpoint(tmp_path)
    assert len(state["history"]["cost"]) == 2  # the checkpoint of the last complete epoch
    net_c, history_c = train(digits, "dropout", 4, checkpoint=tmp_path, resume=True)
    assert_same_run(net_a, history_a, net_c, history_c)


class StopAt(dp.Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, epoch, history, net):
        return epoch == self.epoch


def test_resume_after_a_callback_stopped_the_run(digits, tmp_path):
    net_a, history_a = train(digits, "sgd", 4)
    _, history_b = train(digits, "sgd", 4, checkpoint=tmp_path, callbacks=[StopAt(1)])
    assert history_b.stopped == "callback"
    net_c, history_c = train(digits, "sgd", 4, checkpoint=tmp_path, resume=True)
    assert_same_run(net_a, history_a, net_c, history_c)


def test_resuming_a_run_that_early_stopping_ended_changes_nothing(digits, tmp_path):
    net_a, history_a = train(digits, "early stopping", 15, checkpoint=tmp_path)
    assert history_a.stopped == "early stopping"
    net_b, history_b = train(digits, "early stopping", 15, checkpoint=tmp_path, resume=True)
    assert_same_run(net_a, history_a, net_b, history_b)


# ---------------------------------------------------------------- what is written
def test_the_checkpoint_folder_holds_the_run_state_and_the_model(digits, tmp_path):
    folder = tmp_path / "run"
    net, history = train(digits, "adam", 2, checkpoint=folder)
    assert sorted(os.listdir(folder)) == sorted([CHECKPOINT_FILE, LOCK_FILE, MODEL_FILE])  # no temporary files left
    model = dp.load(folder / MODEL_FILE)
    assert model.sizes == net.sizes and model.dtype == net.dtype
    for a, b in zip(model.parameters(), net.parameters()):
        np.testing.assert_array_equal(a, b)
    state, arrays = read_checkpoint(folder)
    assert state["history"]["cost"] == history.cost
    assert state["config"]["batch_size"] == 10 and state["config"]["sizes"] == [64, 20, 10]
    for i, p in enumerate(net.parameters()):
        np.testing.assert_array_equal(arrays[f"param{i}"], p)
    assert state["optimizer"]["t"] == 2 * 30  # 300 rows in batches of 10, two epochs
    rng = np.random.default_rng(5)  # the Generator after the two epochs' shuffles
    rng.permutation(300), rng.permutation(300)
    assert state["generator"] == rng.bit_generator.state
    with zipfile.ZipFile(folder / CHECKPOINT_FILE) as archive:
        for info in archive.infolist():
            assert info.filename.endswith(".npy")


# ---------------------------------------------------------------- refused
@pytest.mark.parametrize(
    "change,message",
    [
        ({"batch_size": 20}, "batch_size = 10; this run has 20"),
        ({"l2": 0.5}, "l2 = 0.0; this run has 0.5"),
        ({"l1": 0.1}, "l1 = 0.0; this run has 0.1"),
        ({"dropout": 0.2}, "dropout = 0.0; this run has 0.2"),
        ({"max_norm": 3.0}, "max_norm = None; this run has 3.0"),
        ({"sizes": (64, 30, 10)}, r"sizes = \[64, 20, 10\]; this run has \[64, 30, 10\]"),
        ({"dtype": "float64"}, "dtype = 'float32'; this run has 'float64'"),
        ({"optimizer": Adam(lr=0.5)}, "optimizer = 'SGD'; this run has 'Adam'"),
        ({"optimizer": dp.SGD(lr=0.1)}, "base_lr = 0.5; this run has 0.1"),
        ({"rows": 200}, "n_train = 300; this run has 200"),
        ({"validation": 0.2}, "n_train = 300; this run has 240"),
    ],
)
def test_resuming_with_other_arguments_is_refused(digits, tmp_path, change, message):
    X, y = digits[:2]
    dp.fit(make_net(), X, y, epochs=1, batch_size=10, optimizer=dp.SGD(lr=0.5), checkpoint=tmp_path, progress=False)
    saved = (tmp_path / CHECKPOINT_FILE).read_bytes()
    args = {"batch_size": 10, "optimizer": dp.SGD(lr=0.5)} | change
    net = make_net(args.pop("sizes", (64, 20, 10)), args.pop("dtype", "float32"))
    before = [p.copy() for p in net.parameters()]
    rows = args.pop("rows", 300)
    with pytest.raises(ValueError, match=f"^checkpoint {tmp_path} was made with {message}$"):
        dp.fit(net, X[:rows], y[:rows], epochs=3, checkpoint=tmp_path, resume=True, progress=False, **args)
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, b)
    assert (tmp_path / CHECKPOINT_FILE).read_bytes() == saved


@pytest.mark.parametrize("with_schedule", [True, False])
def test_resuming_with_or_without_a_schedule_is_refused_before_any_change(digits, tmp_path, with_schedule):
    X, y = digits[:2]
    first = {"schedule": CosineAnnealing(3)} if with_schedule else {}
    dp.fit(make_net(), X, y, epochs=1, checkpoint=tmp_path, progress=False, **first)
    net = make_net()
    before = [p.copy() for p in net.parameters()]
    second = {} if with_schedule else {"schedule": CosineAnnealing(3)}
    saved, now = ("'CosineAnnealing'", "None") if with_schedule else ("None", "'CosineAnnealing'")
    with pytest.raises(ValueError, match=f"^checkpoint {tmp_path} was made with schedule = {saved}; this run has {now}$"):
        dp.fit(net, X, y, epochs=3, checkpoint=tmp_path, resume=True, progress=False, **second)
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, b)


def test_resuming_with_another_kind_of_schedule_is_refused(digits, tmp_path):
    X, y = digits[:2]
    dp.fit(make_net(), X, y, epochs=1, checkpoint=tmp_path, schedule=CosineAnnealing(3), progress=False)
    with pytest.raises(ValueError, match=r"^checkpoint .* was made with schedule = 'CosineAnnealing'; this run has 'ReduceOnPlateau'$"):
        dp.fit(make_net(), X, y, epochs=3, checkpoint=tmp_path, resume=True, schedule=ReduceOnPlateau(), progress=False)


def test_resuming_with_another_seed_is_refused(digits, tmp_path):
    """With a validation fraction the seed picks the held-out rows: another seed would silently
    train the rest of the run on another split."""
    X, y = digits[:2]
    dp.fit(make_net(), X, y, epochs=1, validation=0.2, seed=1, checkpoint=tmp_path, progress=False)
    with pytest.raises(ValueError, match=r"^checkpoint .* was made with seed = 1; this run has 2$"):
        dp.fit(make_net(), X, y, epochs=3, validation=0.2, seed=2, checkpoint=tmp_path, resume=True, progress=False)


def _truncated(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flipped_byte(path):
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("param0.npy")
    middle = info.header_offset + 30 + len(info.filename) + 128 + info.compress_size // 2  # inside param0's data
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))


def _model_file(path):
    dp.save(make_net(), path)


def _no_header(path):
    with open(path, "wb") as f:
        np.savez(f, param0=np.zeros(3))


def _pickled_header(path):
    with open(path, "wb") as f:
        np.savez(f, header=np.array([{"format": "deltaprop-checkpoint"}], dtype=object))


def _rewritten(path, change_header=lambda header: None, change_arrays=lambda arrays: None):
    """Rewrite a checkpoint with its JSON header or its arrays changed."""
    with np.load(path) as f:
        arrays = {name: f[name] for name in f.files}
    header = json.loads(str(arrays.pop("header")))
    change_header(header)
    change_arrays(arrays)
    with open(path, "wb") as f:
        np.savez(f, header=np.array(json.dumps(header)), **arrays)


def _wrong_version(path):
    _rewritten(path, change_header=lambda header: header.update(version=7))


def _extra_member(path):
    _rewritten(path, change_arrays=lambda arrays: arrays.update(stowaway=np.zeros(2)))


def _wrong_shape(path):
    _rewritten(path, change_arrays=lambda arrays: arrays.update(param0=arrays["param0"][:, :3]))


@pytest.mark.parametrize(
    "damage,detail",
    [
        (_truncated, "unreadable or truncated"),
        (_flipped_byte, ""),
        (lambda p: p.write_bytes(b""), "unreadable or truncated"),
        (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "unreadable or truncated"),
        (_model_file, "header format is not 'deltaprop-checkpoint'"),
        (_no_header, "it has no 'header' member"),
        (_pickled_header, "header: holds Python objects"),
        (_wrong_version, "format version 7 is not supported"),
        (_extra_member, r"its arrays do not match the header \(missing \[\], unexpected \['stowaway'\]\)"),
        (_wrong_shape, r"param0 must be float32 of shape \(20, 64\)"),
    ],
    ids=["truncated", "flipped byte", "empty", "not a zip", "a model file", "no header", "pickled header", "version", "extra member", "wrong shape"],
)
def test_a_damaged_or_foreign_checkpoint_is_refused(digits, tmp_path, damage, detail):
    X, y = digits[:2]
    dp.fit(make_net(), X, y, epochs=1, checkpoint=tmp_path, progress=False)
    damage(tmp_path / CHECKPOINT_FILE)
    net = make_net()
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match=f"^{tmp_path / CHECKPOINT_FILE}: not a valid deltaprop checkpoint: .*{detail}"):
        dp.fit(net, X, y, epochs=2, checkpoint=tmp_path, resume=True, progress=False)
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, b)


def test_a_checkpoint_with_an_incomplete_state_is_refused(digits, tmp_path):
    X, y = digits[:2]
    write_checkpoint(tmp_path, {"history": {}}, {"param0": np.zeros(2, np.float32)})
    message = f"{tmp_path / CHECKPOINT_FILE}: not a valid deltaprop checkpoint: its state's config must give the network's sizes, its dtype and n_train"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        dp.fit(make_net(), X, y, epochs=2, checkpoint=tmp_path, resume=True, progress=False)


def test_read_checkpoint_of_a_folder_without_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint here"):
        read_checkpoint(tmp_path)


def test_write_and_read_round_trip(tmp_path):
    state = {"epoch": 3, "nested": {"a": [1, 2.5, None, "x"]}, "big": 2**100}
    arrays = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "i": np.arange(3), "flag": np.array([True, False])}
    write_checkpoint(tmp_path / "deep" / "folder", state, arrays)
    got_state, got_arrays = read_checkpoint(tmp_path / "deep" / "folder")
    assert got_state == state and set(got_arrays) == set(arrays)
    for name, a in arrays.items():
        assert got_arrays[name].dtype == a.dtype
        np.testing.assert_array_equal(got_arrays[name], a)


def test_a_failing_write_leaves_the_previous_checkpoint_intact(digits, tmp_path, monkeypatch):
    X, y = digits[:2]
    dp.fit(make_net(), X, y, epochs=1, checkpoint=tmp_path, progress=False)
    saved = (tmp_path / CHECKPOINT_FILE).read_bytes()

    def savez_that_fails(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half of an archive")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", savez_that_fails)
    with pytest.raises(OSError, match="No space left on device"):
        dp.fit(make_net(), X, y, epochs=3, checkpoint=tmp_path, resume=True, progress=False)
    monkeypatch.undo()
    assert (tmp_path / CHECKPOINT_FILE).read_bytes() == saved
    assert sorted(os.listdir(tmp_path)) == sorted([CHECKPOINT_FILE, LOCK_FILE, MODEL_FILE])  # the temporary file is gone
    state, _ = read_checkpoint(tmp_path)
    assert len(state["history"]["cost"]) == 1


# ---------------------------------------------------------------- kill -9
TRAIN_SCRIPT = """
import sys
import numpy as np
import deltaprop as dp
from deltaprop.optimizers import Adam
from deltaprop.schedules import CosineAnnealing
from deltaprop.training.callbacks import Checkpoint, LearningRateSchedule

data, folder, out, epochs, every_steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
with np.load(data) as f:
    X, y = f["X"], f["y"]
net = dp.Network([64, 48, 10], activation="relu", output="softmax", cost="log_likelihood", init="he", seed=2)
settings = dict(batch_size=8, optimizer=Adam(lr=0.003), l2=0.5, dropout=0.2, validation=0.1, seed=7)
if every_steps:  # a Trainer that checkpoints inside its epochs too
    callbacks = [LearningRateSchedule(CosineAnnealing(epochs)), Checkpoint(folder, every_steps=every_steps, resume=True)]
    dp.Trainer(net, X, y, callbacks=callbacks, **settings).fit(epochs)
else:
    dp.fit(net, X, y, epochs=epochs, schedule=CosineAnnealing(epochs), progress=False, checkpoint=folder, resume=True, **settings)
dp.save(net, out)
"""


def _child_env():
    env = dict(os.environ)
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def _wait_for_new_checkpoint(process, path, previous_mtime, timeout=60.0):
    """Wait until ``path`` is (re)written after ``previous_mtime`` or the process ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists() and path.stat().st_mtime_ns != previous_mtime:
            return
        time.sleep(0.002)


def kill_and_resume(tmp_path, kills, epochs, seed, every_steps=0):
    """Train in a child process, SIGKILL it ``kills`` times while it trains, resuming each time;
    return (weights of the resumed run, weights of an uninterrupted run, kills that landed).
    With ``every_steps``, the child checkpoints inside its epochs too."""
    (X, y), _ = dp.datasets.load("digits")
    data = tmp_path / "digits.npz"
    np.savez(data, X=X, y=y)
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(TRAIN_SCRIPT))

    def command(folder, out):
        return [sys.executable, str(script), str(data), str(folder), str(out), str(epochs), str(every_steps)]

    subprocess.run(command(tmp_path / "whole", tmp_path / "whole.npz"), env=_child_env(), check=True, timeout=120)
    per_epoch = 1.2 * float(np.mean(read_checkpoint(tmp_path / "whole")[0]["history"]["seconds"]))  # + measuring, saving
    if every_steps:
        per_epoch *= every_steps / 162  # 1294 training rows in batches of 8: 162 steps an epoch
    rng = np.random.default_rng(seed)
    checkpoint = tmp_path / "killed" / CHECKPOINT_FILE
    landed = 0
    for _ in range(kills):
        mtime = checkpoint.stat().st_mtime_ns if checkpoint.exists() else None
        process = subprocess.Popen(command(tmp_path / "killed", tmp_path / "killed.npz"), env=_child_env())
        _wait_for_new_checkpoint(process, checkpoint, mtime)
        time.sleep(rng.uniform(0, per_epoch))  # somewhere in the next epoch, or in writing its checkpoint
        process.send_signal(signal.SIGKILL)
        landed += process.wait(timeout=60) == -signal.SIGKILL
        state, _ = read_checkpoint(checkpoint.parent)  # whatever the moment, a complete checkpoint is there
        assert 1 <= len(state["history"]["cost"]) <= epochs or (every_steps and state["steps_done"] >= every_steps)
    subprocess.run(command(tmp_path / "killed", tmp_path / "killed.npz"), env=_child_env(), check=True, timeout=120)
    return dp.load(tmp_path / "killed.npz"), dp.load(tmp_path / "whole.npz"), landed


def test_a_run_killed_with_sigkill_resumes_to_the_same_weights(tmp_path):
    resumed, whole, landed = kill_and_resume(tmp_path, kills=2, epochs=6, seed=0)
    assert landed >= 1
    for a, b in zip(resumed.parameters(), whole.parameters(), strict=True):
        assert np.array_equal(a, b)


def test_a_run_checkpointed_every_k_steps_and_killed_resumes_to_the_same_weights(tmp_path):
    resumed, whole, landed = kill_and_resume(tmp_path, kills=3, epochs=3, seed=4, every_steps=25)
    assert landed >= 2
    for a, b in zip(resumed.parameters(), whole.parameters(), strict=True):
        assert np.array_equal(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_run_killed_many_times_resumes_to_the_same_weights(tmp_path, seed):
    resumed, whole, landed = kill_and_resume(tmp_path, kills=6, epochs=10, seed=seed)
    assert landed >= 3
    for a, b in zip(resumed.parameters(), whole.parameters(), strict=True):
        assert np.array_equal(a, b)


# ---------------------------------------------------------------- hostile checkpoints, via the CLI
CLI_RUN = ["train", "--dataset", "digits", "--epochs", "2", "--quiet"]


@pytest.fixture(scope="module")
def cli_checkpoint(tmp_path_factory):
    """A checkpoint folder written by one epoch of the CLI's digits run."""
    folder = tmp_path_factory.mktemp("cli") / "run"
    assert main([*CLI_RUN[:-2], "1", "--quiet", "--checkpoint", str(folder)]) == 0
    return folder


def _copy(folder, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(folder, copy)
    return copy


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _header_of(members):
    return json.loads(str(np.load(io.BytesIO(members["header.npy"]))))


def test_a_checkpoint_header_beyond_unicode_is_refused_by_the_cli(cli_checkpoint, tmp_path):
    run = _copy(cli_checkpoint, tmp_path)
    members = _members(run / CHECKPOINT_FILE)
    text = json.dumps(_header_of(members))
    members["header.npy"] = hostile.text_member([ord(c) for c in text[:-1]] + [0x110000, ord("}")])
    hostile.write_zip(run / CHECKPOINT_FILE, [hostile.stored(name, data) for name, data in members.items()])
    outcome = hostile.run_cli(*CLI_RUN, "--checkpoint", run, "--resume")
    hostile.assert_refused(outcome, f"{run / CHECKPOINT_FILE}: not a valid deltaprop checkpoint: header is not valid Unicode text")


@pytest.mark.parametrize("how", ["deflated", "stored in a sparse file"])
def test_an_unused_gigabyte_member_is_refused_without_reading_it(cli_checkpoint, tmp_path, how):
    run = _copy(cli_checkpoint, tmp_path)
    members = _members(run / CHECKPOINT_FILE)
    n = 1 << 28  # 2**28 float32: 1 GiB
    header = _header_of(members)
    header["arrays"]["junk"] = ["float32", [n]]  # listed in the manifest, used by nothing
    members["header.npy"] = npy_of(np.array(json.dumps(header)))
    entries = [hostile.stored(name, data) for name, data in members.items()]
    head = hostile.npy_header("<f4", (n,))
    if how == "deflated":
        entries.append(hostile.deflated_zeros("junk.npy", head, 4 * n))
        expected = "more than 100 times (refused: a compression bomb?)"
    else:
        entries.append(hostile.stored_sparse_zeros("junk.npy", head, 4 * n))
        expected = "member 'junk' is not part of a training state (unknown members are refused)"
    hostile.write_zip(run / CHECKPOINT_FILE, entries)
    assert (run / CHECKPOINT_FILE).stat().st_blocks * 512 < 20 * 10**6  # small on disk, whatever it declares
    hostile.assert_refused(hostile.run_cli(*CLI_RUN, "--checkpoint", run, "--resume"), expected)


def npy_of(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda s: s["history"].update(cost=["a"]), "its history's cost must list 1 numbers (one per epoch)"),
        (lambda s: s["history"].update({k: ["x"] for k in ("accuracy", "val_cost", "val_accuracy", "seconds", "lr")}),
         "its history's accuracy must list 1 numbers in [0, 1] or None (one per epoch)"),
        (lambda s: s["history"].update(stopped=["early stopping"]), "its history's stopped must be None or one of"),
        (lambda s: s["generator"]["state"].update(state=2**300), "its state is incomplete or malformed"),
        (lambda s: s.update(epoch="1"), "its epoch, steps_done and position must be integers ≥ 0; got ['1', "),
        (lambda s: s.update(epoch_seconds=1e400), "its epoch_seconds must be a finite number ≥ 0; got inf"),
        (lambda s: s["optimizer"].update(t=-1), "t must be an integer ≥ 0; got -1"),
        (lambda s: s.update(callbacks=[]), "holds the state of callbacks []; this run has ['schedule']"),
        (lambda s: s["config"].update(sizes="64,100,10"), "its state's config must give the network's sizes, its dtype and n_train"),
    ],
)
def test_checkpoint_fields_of_the_wrong_type_or_range_are_refused_in_one_line(cli_checkpoint, tmp_path, change, message):
    run = _copy(cli_checkpoint, tmp_path)
    members = _members(run / CHECKPOINT_FILE)
    header = _header_of(members)
    change(header["state"])
    members["header.npy"] = npy_of(np.array(json.dumps(header)))
    hostile.write_zip(run / CHECKPOINT_FILE, [hostile.stored(name, data) for name, data in members.items()])
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([*CLI_RUN, "--checkpoint", str(run), "--resume"])
    assert code == 2 and len(err.getvalue().splitlines()) == 1 and message in err.getvalue(), err.getvalue()
    assert "Traceback" not in err.getvalue()


# ---------------------------------------------------------------- one run per folder
HOLD_SCRIPT = """
import sys, time
from deltaprop.training.checkpoint import FolderLock
FolderLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_run_into_a_held_folder_is_refused_naming_the_folder_and_the_holder(digits, tmp_path):
    X, y = digits[:2]
    lock = FolderLock(tmp_path)
    lock.acquire()
    try:
        with pytest.raises(ValueError, match=re.escape(
            f"checkpoint folder {tmp_path} is in use by another run (process {os.getpid()} holds {tmp_path / LOCK_FILE}); "
            "wait for it to end or choose another folder"
        )):
            dp.fit(make_net(), X, y, epochs=1, checkpoint=tmp_path, progress=False)
        assert sorted(os.listdir(tmp_path)) == [LOCK_FILE]  # the refused run wrote nothing
    finally:
        lock.release()
    dp.fit(make_net(), X, y, epochs=1, checkpoint=tmp_path, progress=False)  # free again
    assert (tmp_path / CHECKPOINT_FILE).exists()


def test_two_cli_runs_into_one_folder_the_second_is_refused_until_the_first_dies(tmp_path):
    run = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_SCRIPT, str(run)], stdout=subprocess.PIPE, text=True, env=_child_env())
    try:
        assert holder.stdout.readline() == "held\n"
        outcome = hostile.run_cli(*CLI_RUN, "--checkpoint", run, "--resume")
        hostile.assert_refused(outcome, f"checkpoint folder {run} is in use by another run (process {holder.pid} holds")
        assert not (run / CHECKPOINT_FILE).exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    hostile.assert_ran(hostile.run_cli(*CLI_RUN, "--checkpoint", run, "--resume"))  # a dead holder's lock holds nothing


def test_the_lock_is_let_go_when_the_run_ends_however_it_ends(digits, tmp_path):
    X, y = digits[:2]

    class Boom(dp.Callback):
        def on_epoch_end(self, epoch, history, net):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        dp.Trainer(make_net(), X, y, callbacks=[Checkpoint(tmp_path), Boom()]).fit(2)
    probe = FolderLock(tmp_path)
    probe.acquire()  # not held any more
    probe.release()


# ---------------------------------------------------------------- the model follows the checkpoint
KILL_BETWEEN_SCRIPT = """
import os, sys
import numpy as np
import deltaprop as dp
from deltaprop.training import callbacks

real, calls = callbacks.save, [0]

def save(net, path):
    calls[0] += 1
    if calls[0] == 3:  # killed after epoch 3's checkpoint was renamed into place, before its model
        os._exit(9)
    return real(net, path)

callbacks.save = save
with np.load(sys.argv[1]) as f:
    X, y = f["X"], f["y"]
net = dp.Network([64, 20, 10], activation="sigmoid", output="softmax", cost="log_likelihood", seed=1)
dp.fit(net, X, y, epochs=5, optimizer=dp.SGD(lr=0.5), checkpoint=sys.argv[2], progress=False)
"""


class ModelAtStart(dp.Callback):
    """Reads model.npz when the run starts (after the Checkpoint callback before it)."""

    def __init__(self, folder):
        self.folder = folder

    def on_train_begin(self):
        self.model = dp.load(self.folder / MODEL_FILE)


def test_a_model_left_behind_its_checkpoint_by_a_kill_is_brought_level_before_the_first_step(digits, tmp_path):
    X, y = digits[:2]
    data = tmp_path / "d.npz"
    np.savez(data, X=X, y=y)
    folder = tmp_path / "run"
    killed = subprocess.run([sys.executable, "-c", KILL_BETWEEN_SCRIPT, str(data), str(folder)], env=_child_env(), timeout=120)
    assert killed.returncode == 9
    state = read_state(folder)
    assert state["epoch"] == 3  # its checkpoint was written; its model (the third save) was not
    lagging = dp.load(folder / MODEL_FILE)
    assert not all(np.array_equal(a, b) for a, b in zip(lagging.parameters(), state["params"]))  # the kill left it behind

    probe = ModelAtStart(folder)
    net = make_net()
    trainer = dp.Trainer(net, X, y, optimizer=dp.SGD(lr=0.5), callbacks=[Checkpoint(folder, resume=True), probe])
    trainer.fit(5)
    assert all(np.array_equal(a, b) for a, b in zip(probe.model.parameters(), state["params"], strict=True))
    whole = make_net()
    dp.Trainer(whole, X, y, optimizer=dp.SGD(lr=0.5)).fit(5)
    assert all(np.array_equal(a, b) for a, b in zip(net.parameters(), whole.parameters(), strict=True))
    final = read_state(folder)
    assert all(np.array_equal(a, b) for a, b in zip(dp.load(folder / MODEL_FILE).parameters(), final["params"], strict=True))


def test_the_checkpoint_holds_the_weights_the_model_ends_with_after_early_stopping(digits, tmp_path):
    X, y = digits[:2]
    net = make_net()
    history = dp.fit(net, X, y, epochs=15, optimizer=dp.SGD(lr=2.0), validation=0.3, early_stopping=2, checkpoint=tmp_path, progress=False)
    assert history.best_epoch is not None and history.best_epoch < history.epochs  # the best weights were put back
    state = read_state(tmp_path)
    for a, b, c in zip(dp.load(tmp_path / MODEL_FILE).parameters(), state["params"], net.parameters(), strict=True):
        assert np.array_equal(a, b) and np.array_equal(b, c)


# ---------------------------------------------------------------- temporary files of dead writers
def dead_pid():
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(child.stdout)


def test_temporary_files_of_killed_writers_are_removed_when_the_next_run_starts(digits, tmp_path):
    X, y = digits[:2]
    dp.fit(make_net(), X, y, epochs=1, checkpoint=tmp_path, progress=False)
    stale = [tmp_path / f".{CHECKPOINT_FILE}.{dead_pid()}.abcd1234.tmp", tmp_path / f".{MODEL_FILE}.{dead_pid()}.efgh5678.tmp"]
    live = tmp_path / f".{MODEL_FILE}.{os.getpid()}.ijkl9012.tmp"  # a writer still alive: left alone
    other = tmp_path / "notes.tmp"
    for path in [*stale, live, other]:
        path.write_bytes(b"PK\x03\x04 half")
    dp.fit(make_net(), X, y, epochs=2, checkpoint=tmp_path, resume=True, progress=False)
    assert sorted(os.listdir(tmp_path)) == sorted([CHECKPOINT_FILE, LOCK_FILE, MODEL_FILE, live.name, other.name])
