"""Frames a second that reach a client of the playground while it trains, and the training speed.

Starts ``deltaprop playground --no-browser --port 0`` in a subprocess (the server as a user runs
it), configures the network, presses play and reads the event stream ``/api/events`` as a
browser's EventSource would, for ``--seconds`` seconds per configuration. Prints a Markdown
table: frames received per second, examples trained per second (from the frames' own step
counters: training rows done over wall time) and the bytes of a frame::

    .venv/bin/python benchmarks/playground.py --seconds 5

The issue's target: at least 20 frames a second while a 2-8-8-1 network trains at ≥ 10,000
examples a second. One client reads here; a page also draws, in the browser's own process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
#: (label, settings) measured by default.
CONFIGURATIONS = [
    ("2-8-8-1 tanh, xor, batch 10", {"hidden": [8, 8], "activations": ["tanh", "tanh"], "batch_size": 10}),
    ("2-8-8-1 tanh, xor, batch 1", {"hidden": [8, 8], "activations": ["tanh", "tanh"], "batch_size": 1}),
    ("2-32×8-3 relu, spirals, batch 10", {"dataset": "spirals", "classes": 3, "output": "softmax", "cost": "log_likelihood",
                                          "hidden": [32] * 8, "activations": ["relu"] * 8, "batch_size": 10, "lr": 0.03}),
]


def control(base: str, **request: object) -> dict:
    req = urllib.request.Request(base + "api/control", data=json.dumps(request).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as response:
        return json.load(response)


def measure(base: str, settings: dict, seconds: float) -> tuple[float, float, float]:
    """(frames a second, examples a second, bytes a frame) over ``seconds`` of play."""
    control(base, action="configure", **settings)
    control(base, action="play")
    frames, sizes, first, last = 0, 0, None, None
    with urllib.request.urlopen(base + "api/events", timeout=60) as stream:
        start = time.perf_counter()
        while (now := time.perf_counter()) - start < seconds:
            line = stream.readline()
            if not line.startswith(b"data: "):
                continue
            frame = json.loads(line[6:])
            if first is None:
                first = (now, frame["examples"])
                continue
            frames += 1
            sizes += len(line)
            last = (now, frame["examples"])
    control(base, action="pause")
    elapsed = last[0] - first[0]
    return frames / elapsed, (last[1] - first[1]) / elapsed, sizes / max(frames, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of play per configuration (default 5)")
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "deltaprop", "playground", "--port", "0", "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        base = proc.stdout.readline().strip()
        print("| network | frames/s at the client | examples/s trained | bytes/frame |\n|---|---|---|---|")
        for label, settings in CONFIGURATIONS:
            fps, speed, size = measure(base, settings, args.seconds)
            print(f"| {label} | {fps:.1f} | {speed:,.0f} | {size:,.0f} |", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


if __name__ == "__main__":
    main()
