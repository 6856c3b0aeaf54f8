"""The progress bar moves with every batch on a terminal; elsewhere one line per epoch; the
batch cost is computed only while a bar is shown."""

from __future__ import annotations

import io
import re
import sys

import numpy as np
import pytest
from rich.console import Console

import deltaprop as dp
from deltaprop.training.callbacks import Progress


@pytest.fixture(scope="module")
def digits():
    return dp.datasets.load("digits")


def terminal() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=120, record=True)


class Watch(dp.Callback):
    """After the listed batches of each epoch, draw the bar's line as text and note the batch costs."""

    def __init__(self, progress: Progress, at: tuple[int, ...]) -> None:
        self.progress, self.at, self.lines, self.costs = progress, at, [], []

    def on_epoch_begin(self, epoch: int) -> None:
        self.costs.append([])

    def on_batch_end(self, step: int, net: object) -> None:
        self.costs[-1].append(self.trainer.batch_cost)
        if step + 1 in self.at:
            text = Console(file=io.StringIO(), width=120, record=True)
            text.print(self.progress.bar.make_tasks_table(self.progress.bar.tasks))
            self.lines.append((text.export_text().rstrip(), self.progress.bar.tasks[0].completed))


def test_the_bar_moves_during_the_epoch(digits):
    (X, y), _ = digits
    console = terminal()
    progress = Progress(console=console)
    watch = Watch(progress, at=(1, 50, 144))
    net = dp.Network([64, 30, 10], output="softmax", cost="log_likelihood", seed=0)
    trainer = dp.Trainer(net, X, y, batch_size=10, optimizer=dp.SGD(lr=0.5), callbacks=[progress, watch])
    history = trainer.fit(2)
    assert len(watch.lines) == 6  # 1437 rows in batches of 10: 144 batches, the last of 7
    pattern = r"epoch (\d)/2 .+ batch (\d+)/144 ([\d,]+) examples/s cost (\d\.\d{4}) (\d:\d\d:\d\d|-:--:--)"
    for k, (line, completed) in enumerate(watch.lines):
        found = re.fullmatch(pattern, line)
        assert found, line
        epoch, batch, rate, cost = int(found[1]), int(found[2]), int(found[3].replace(",", "")), float(found[4])
        assert (epoch, batch) == (k // 3 + 1, (1, 50, 144)[k % 3])
        assert completed == (epoch - 1) * 144 + batch  # the bar spans the run: 2 × 144 batches
        assert rate > 0
        assert cost == pytest.approx(np.mean(watch.costs[epoch - 1][:batch]), abs=5e-5)  # this epoch's running mean
    out = console.export_text()
    for e in (1, 2):  # the per-epoch summary lines stay above the (transient) bar
        assert f"epoch {e}/2  cost {history.cost[e - 1]:.4f}  accuracy {history.accuracy[e - 1]:.4f}  (" in out
    assert trainer.keep_batch_cost is False and progress.bar is None  # switched off with the bar


def test_the_bar_on_a_terminal_stderr(digits, monkeypatch):
    class FakeTTY(io.StringIO):
        def isatty(self) -> bool:
            return True

    fake = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    (X, y), _ = digits
    net = dp.Network([64, 10, 10], output="softmax", cost="log_likelihood", seed=0)
    dp.fit(net, X[:200], y[:200], epochs=2, batch_size=20, optimizer=dp.SGD(lr=0.5))
    out = fake.getvalue()
    assert "batch 10/10" in out and "examples/s" in out  # the bar was drawn on stderr
    assert re.search(r"epoch 2/2  cost \d\.\d{4}  accuracy \d\.\d{4}  \(\d+\.\d\ds\)", out)


def test_lines_without_a_terminal_and_no_batch_costs(capsys):
    net = dp.Network([2, 2, 2], output="softmax", cost="log_likelihood")
    costs = []

    class Look(dp.Callback):
        def on_batch_end(self, step: int, net: object) -> None:
            costs.append(self.trainer.batch_cost)

    trainer = dp.Trainer(net, np.eye(2), [0, 1], batch_size=1, callbacks=[Progress(), Look()])
    trainer.fit(2)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and re.fullmatch(r"epoch 1/2  cost \d\.\d{4}  accuracy \d\.\d{4}  \(\d+\.\d\ds\)", err[0])
    assert costs == [None] * 4  # no bar: the steps never computed a batch cost
    lines = Console(file=io.StringIO(), width=120, record=True)  # a console that is not a terminal gets the lines
    dp.Trainer(net, np.eye(2), [0, 1], batch_size=1, callbacks=[Progress(console=lines)]).fit(1)
    assert re.fullmatch(r"epoch 1/1  cost \d\.\d{4}  accuracy \d\.\d{4}  \(\d+\.\d\ds\)\n", lines.export_text())


def test_keep_batch_cost_keeps_the_cost_that_step_returns():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 2, 30)
    kept = []

    class Keep(dp.Callback):
        def on_batch_end(self, step: int, net: object) -> None:
            kept.append(self.trainer.batch_cost)

    by_hand = dp.Trainer(dp.Network([3, 4, 2], output="softmax", cost="log_likelihood"), X, y, batch_size=7, l2=0.1)
    returned = [by_hand.step() for _ in range(5)]  # one epoch: 5 batches
    keeping = dp.Trainer(dp.Network([3, 4, 2], output="softmax", cost="log_likelihood"), X, y, batch_size=7, l2=0.1, callbacks=[Keep()])
    assert keeping.keep_batch_cost is False and keeping.batch_cost is None
    keeping.keep_batch_cost = True
    keeping.run_epoch()
    assert kept == returned and keeping.batch_cost == returned[-1]
