"""Data-parallel training on MPI: examples/s for 1 and 2 processes, the reduction's share of a
step, and a model of N machines on a 10 and a 100 Gb/s network.

::

    .venv/bin/python benchmarks/distributed.py                    # the Markdown tables
    .venv/bin/python benchmarks/distributed.py --ranks 1,2 --batch-sizes 128,1024,8192 --seconds 2

The driver starts ``mpiexec -n R`` of this script for each R, each process with ONE BLAS thread
(OMP/OPENBLAS/MKL_NUM_THREADS=1), so R processes use R cores. Each job trains the 784-100-10
sigmoid/softmax network (float32, SGD) on Fashion-MNIST's 60000 training images (generated data
of the same shape where the set is missing; the table says which) with ``dp.fit(...,
comm=COMM_WORLD)`` and the fast reduction, for each global batch size, about ``--seconds`` s
each. A callback stamps the end of every step; a step's time is the gap between two stamps in
the same epoch (the epoch's measurement pass falls outside), its reduction time the growth of
``DataParallel.reduction_seconds`` (the in-place Allreduce of the flat gradient, waiting for the
slower process included). The medians over the steps are reported, and the median of 200
Allreduces of the gradient by themselves, started together after a barrier.

The model of N machines takes the compute per step measured with one process (t₁, the whole
global batch on one core) and the bytes reduced per step (B = the gradient's size), and charges a
ring Allreduce: t(N) = t₁/N + 2(N−1)/N · B/β + 2(N−1) · α, with β the link's bandwidth (10 or
100 Gb/s, taken as 90 % usable) and α = 25 µs per message over TCP (assumed, not measured here:
this machine has no network between machines). It assumes one core per machine, as measured; a
machine's own cores make t₁ smaller and the network's share larger.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

LATENCY = 25e-6  # seconds per message of a TCP Allreduce step (assumed)
USABLE = 0.9  # share of a link's bandwidth an Allreduce reaches (assumed)
NETWORKS = {"10 Gb/s": 10e9, "100 Gb/s": 100e9}
MACHINES = (1, 2, 4, 8, 16, 32, 64)
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def worker(batch_sizes: list[int], seconds: float) -> None:
    """One process of the MPI job: time the steps of each global batch size; rank 0 prints JSON."""
    from mpi4py import MPI

    import deltaprop as dp

    comm = MPI.COMM_WORLD
    try:
        (X, y), _ = dp.datasets.load("fashion-mnist", download=False)
        data = "Fashion-MNIST (60000 training images)"
    except ValueError:
        rng = np.random.default_rng(0)
        X, y = rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000)
        data = "generated data of Fashion-MNIST's shape (the set is not installed)"

    class Stamps(dp.Callback):
        def __init__(self) -> None:
            self.times: list[tuple[int, float, float]] = []

        def on_batch_end(self, step: int, net: object) -> None:
            self.times.append((self.trainer.epoch, time.perf_counter(), self.trainer.parallel.reduction_seconds))

    results = []
    for batch in batch_sizes:
        net = dp.Network([784, 100, 10], activation="sigmoid", output="softmax", cost="log_likelihood", seed=0)
        stamps = Stamps()
        trainer = dp.Trainer(net, X, y, batch_size=batch, optimizer=dp.SGD(lr=0.1), seed=0, callbacks=[stamps], comm=comm)
        start, done = time.perf_counter(), np.zeros(1, dtype=np.int8)
        while not done[0]:  # whole epochs, until rank 0 has seen ``seconds`` go by
            trainer.run_epoch()
            done[0] = time.perf_counter() - start >= seconds
            comm.Bcast(done, root=0)
        gaps = [(b[1] - a[1], b[2] - a[2]) for a, b in zip(stamps.times, stamps.times[1:]) if a[0] == b[0]]
        step, reduce = np.median([g[0] for g in gaps]), np.median([g[1] for g in gaps])
        results.append({"batch": batch, "step_s": float(step), "reduce_s": float(reduce), "steps": len(gaps),
                        "bytes": int(trainer.gradient.nbytes)})
    buffer, alone = np.zeros_like(trainer.gradient), []
    for _ in range(200):  # the Allreduce by itself, every process arriving together
        comm.Barrier()
        start = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        alone.append(time.perf_counter() - start)
    if comm.Get_rank() == 0:
        print(json.dumps({"ranks": comm.Get_size(), "data": data, "results": results, "allreduce_s": float(np.median(alone))}))


def run_job(ranks: int, batch_sizes: list[int], seconds: float) -> dict:
    """Start ``mpiexec -n ranks`` of this script's worker; return rank 0's JSON."""
    mpiexec = Path(sys.executable).parent / "mpiexec"
    env = {**os.environ, **ONE_THREAD}
    argv = [str(mpiexec if mpiexec.exists() else "mpiexec"), "-n", str(ranks), sys.executable, __file__, "--worker",
            "--batch-sizes", ",".join(map(str, batch_sizes)), "--seconds", str(seconds)]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def modelled_step(t1: float, nbytes: int, machines: int, bandwidth: float) -> float:
    """Seconds per step of ``machines`` machines: t₁/N of compute plus a ring Allreduce of ``nbytes``."""
    if machines == 1:
        return t1
    return t1 / machines + 2 * (machines - 1) / machines * nbytes * 8 / (USABLE * bandwidth) + 2 * (machines - 1) * LATENCY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ranks", default="1,2", help="process counts to measure (default 1,2)")
    parser.add_argument("--batch-sizes", default="128,1024,8192", help="global batch sizes (default 128,1024,8192)")
    parser.add_argument("--seconds", type=float, default=2.0, help="training time per batch size and process count (default 2)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    if args.worker:
        worker(batch_sizes, args.seconds)
        return
    jobs = {r: run_job(r, batch_sizes, args.seconds) for r in (int(r) for r in args.ranks.split(","))}
    one = jobs.get(1)
    print(f"# Data-parallel training, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, 1 BLAS thread per process")
    print(f"\n784-100-10 sigmoid/softmax, float32, SGD, fast reduction; {next(iter(jobs.values()))['data']}.\n")
    print("| processes | global batch | examples/s | step (ms) | reduction (ms/step) | reduction share | speed-up |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for ranks, job in jobs.items():
        for i, r in enumerate(job["results"]):
            speedup = one["results"][i]["step_s"] / r["step_s"] if one else float("nan")
            print(f"| {ranks} | {r['batch']} | {r['batch'] / r['step_s']:,.0f} | {1e3 * r['step_s']:.2f} | {1e3 * r['reduce_s']:.3f} "
                  f"| {r['reduce_s'] / r['step_s']:.0%} | {speedup:.2f}× |")
    for ranks, job in jobs.items():
        if ranks > 1:
            print(f"\nThe Allreduce alone, {ranks} processes arriving together (after a barrier), of the {job['results'][0]['bytes']:,}-byte "
                  f"gradient: {1e3 * job['allreduce_s']:.3f} ms (median of 200); the rest of the reduction column is waiting for the other process.")
    if not one:
        return
    nbytes = one["results"][0]["bytes"]
    print(f"\nModel of N machines (one core each): t(N) = t₁/N + 2(N−1)/N·B/β + 2(N−1)·α, t₁ measured above with one "
          f"process, B = {nbytes:,} bytes of gradient per step, β = 90 % of the link, α = {LATENCY * 1e6:.0f} µs (assumed). "
          "Speed-up over one machine:\n")
    print("| network | global batch | t₁ (ms) | " + " | ".join(f"N={n}" for n in MACHINES[1:]) + " |")
    print("|---|---:|---:|" + "---:|" * (len(MACHINES) - 1))
    for name, bandwidth in NETWORKS.items():
        for r in one["results"]:
            t1 = r["step_s"] - r["reduce_s"]
            cells = [f"{t1 / modelled_step(t1, nbytes, n, bandwidth):.1f}×" for n in MACHINES[1:]]
            print(f"| {name} | {r['batch']} | {1e3 * t1:.2f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
