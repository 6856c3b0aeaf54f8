"""Measure the default recipes: `deltaprop train --dataset D` with no other flag.

Runs the real command line in a subprocess (2 BLAS threads unless --threads says otherwise),
once per data set, and prints a Markdown table: data set, the recipe's settings, test
accuracy on the full test split, wall time of the whole command and of training alone,
against the targets (Fashion-MNIST ≥ 90.5 % within 120 s on a 2-core machine;
digits ≥ 97 %)::

    .venv/bin/python benchmarks/recipe.py                  # fashion-mnist and digits
    .venv/bin/python benchmarks/recipe.py --datasets digits
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"fashion-mnist": (0.905, 120.0), "digits": (0.97, 300.0), "mnist": (0.98, 300.0)}


def run(dataset: str, threads: int) -> dict:
    """Train with the recipe in a fresh process; return its metrics and the command's wall time."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    with tempfile.TemporaryDirectory() as folder:
        metrics = Path(folder) / "metrics.json"
        command = [sys.executable, "-m", "deltaprop", "train", "--dataset", dataset, "--quiet", "--metrics", str(metrics)]
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
        result = json.loads(metrics.read_text(encoding="utf-8"))
    result["wall_seconds"] = wall
    result["settings_line"] = next(line for line in done.stdout.splitlines() if line.startswith("settings: "))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="fashion-mnist,digits", help="comma-separated (default fashion-mnist,digits)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads (default 2)")
    args = parser.parse_args()
    import numpy

    import deltaprop

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}; "
          f"Python {platform.python_version()}, NumPy {numpy.__version__}, deltaprop {deltaprop.__version__}; "
          f"{args.threads} BLAS threads; {time.strftime('%Y-%m-%d')}\n")
    print("| data set | test accuracy | target | training s | command s | met |")
    print("|---|---:|---:|---:|---:|---|")
    lines = []
    for dataset in args.datasets.split(","):
        r = run(dataset, args.threads)
        floor, limit = TARGETS.get(dataset, (0.0, float("inf")))
        met = r["test_accuracy"] >= floor and r["wall_seconds"] <= limit
        print(f"| {dataset} | {r['test_accuracy']:.4f} | ≥ {floor:.2f} in ≤ {limit:.0f} s | {r['train_seconds']:.1f} "
              f"| {r['wall_seconds']:.1f} | {'MET' if met else 'NOT MET'} |", flush=True)
        lines.append(f"- {dataset}: `{r['settings_line'].removeprefix('settings: ')}`")
    print("\nRecipes (what `deltaprop train --dataset D` used):\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
