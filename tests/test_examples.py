"""The runnable examples: they run, and print what they promise."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_nielsen_example_prints_accuracy_per_epoch_on_digits() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "nielsen.py"), "--dataset", "digits", "--epochs", "3"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for chapter in (1, 3):
        block = done.stdout.split(f"chapter {chapter} on digits: ")[1]
        assert block.startswith("[64, 30, 10]"), block[:80]
    epochs = re.findall(r"^Epoch (\d+): (\d+) / 359$", done.stdout, flags=re.M)
    assert [int(e) for e, _ in epochs] == [0, 1, 2, 0, 1, 2]  # 3 epochs per chapter, counted as the book does
    finals = [float(a) for a in re.findall(r"test accuracy (\d\.\d+)", done.stdout)]
    assert len(finals) == 2 and all(a > 0.5 for a in finals), finals  # both recipes learn digits in 3 epochs
    last = [int(c) for _, c in epochs]
    assert finals == [round(last[2] / 359, 4), round(last[5] / 359, 4)]  # the last epoch line is the final accuracy
