"""Data-parallel training under mpiexec: the same weights as one process (fast to round-off,
exact to the bit), rank 0's files, resume with another number of processes, a killed process
ending the job, MPICH's TCP path; and the estimators inside GridSearchCV on joblib's backends.

The MPI tests start real ``mpiexec`` jobs of 1 to 3 processes on small networks and data (each
job takes about a second), with one BLAS thread per process.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.training.checkpoint import read_state

SRC = Path(dp.__file__).parent.parent
MPIEXEC = next((str(p) for p in (Path(sys.executable).parent / "mpiexec", shutil.which("mpiexec")) if p and Path(p).is_file()), None)
HAVE_MPI4PY = subprocess.run([sys.executable, "-c", "import mpi4py"], capture_output=True).returncode == 0
needs_mpi = pytest.mark.skipif(
    MPIEXEC is None or not HAVE_MPI4PY,
    reason="needs mpiexec and mpi4py (pip install 'deltaprop[mpi]'): " + ("no mpiexec found" if MPIEXEC is None else "mpi4py is missing"),
)
pytestmark = [pytest.mark.mpi]
#: Every job's environment: this checkout's deltaprop, one BLAS thread per process.
ENV = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
for variable in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK"):
    ENV.pop(variable, None)

#: Trains small networks with dp.fit(comm=COMM_WORLD, ...) on rank-independent data, in the
#: variants of VARIANTS (all but "exact" without MPI); rank 0 saves each one's weights and
#: History to FOLDER/VARIANT.npz. argv: "mpi" or "plain", FOLDER.
FIT_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import deltaprop as dp

    comm = None
    if sys.argv[1] == "mpi":
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
    variants = {"fast32": ("float32", "fast", False), "fast64": ("float64", "fast", False),
                "weighted32": ("float32", "fast", True), "exact": ("float32", "exact", True)}
    for name, (dtype, reduction, weighted) in variants.items():
        if comm is None and reduction == "exact":
            continue
        rng = np.random.default_rng(1)
        X = rng.normal(size=(403, 6))
        y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int) + (X[:, 2] > 0.5)
        weights = rng.uniform(0.5, 2.0, size=len(X)) if weighted else None
        net = dp.Network([6, 9, 7, 3], activation="tanh", output="softmax", cost="log_likelihood", seed=0, dtype=dtype)
        history = dp.fit(net, X, y, epochs=3, batch_size=32, optimizer=dp.Adam(lr=0.01), l2=0.5, validation=0.2, seed=3,
                         progress=False, dropout=0.1, sample_weight=weights, threads=1, compiled_step=False,
                         **({} if comm is None else {"comm": comm, "reduction": reduction}))
        if comm is None or comm.Get_rank() == 0:
            np.savez(f"{sys.argv[2]}/{name}.npz", *net.parameters(), cost=np.array(history.cost),
                     val_cost=np.array(history.val_cost), accuracy=np.array(history.accuracy))
    """
)


def mpiexec(n: int, *args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``mpiexec -n n args...`` to the end; fail the test (not hang) past ``timeout`` s."""
    return subprocess.run([MPIEXEC, "-n", str(n), *args], capture_output=True, text=True, env=env or ENV, timeout=timeout)


def fit_runs(folder: Path, n: int | None, env: dict | None = None) -> dict[str, dict[str, np.ndarray]]:
    """FIT_SCRIPT run by ``n`` processes (``None``: one plain process, no MPI): variant → arrays."""
    folder.mkdir()
    script = folder / "fit.py"
    script.write_text(FIT_SCRIPT)
    argv = [sys.executable, str(script), "plain" if n is None else "mpi", str(folder)]
    done = subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=120) if n is None else mpiexec(n, *argv, env=env)
    assert done.returncode == 0, done.stderr
    runs = {}
    for path in folder.glob("*.npz"):
        with np.load(path) as archive:
            runs[path.stem] = {k: archive[k] for k in archive.files}
    return runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The variants trained without MPI (key None) and by 1, 2 and 3 processes."""
    if MPIEXEC is None or not HAVE_MPI4PY:
        pytest.skip("needs mpiexec and mpi4py")
    folder = tmp_path_factory.mktemp("runs")
    return {n: fit_runs(folder / str(n), n) for n in (None, 1, 2, 3)}


def train(n: int, *flags: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """``mpiexec -n n deltaprop train flags`` in ``cwd``, run to the end."""
    done = subprocess.run([MPIEXEC, "-n", str(n), sys.executable, "-m", "deltaprop", "train", *flags],
                          capture_output=True, text=True, env=env or ENV, cwd=cwd, timeout=120)
    return done


#: A short run on the generated two-moons set (800 training rows; no scikit-learn to import).
MOONS = ["--dataset", "moons", "--sizes", "2,16,2", "--activation", "tanh", "--batch-size", "20", "--optimizer", "adam", "--lr", "0.02", "--quiet"]


# ---------------------------------------------------------------------------- the same weights
@needs_mpi
@pytest.mark.parametrize("variant, tolerance", [("fast32", 2e-6), ("weighted32", 2e-6), ("fast64", 1e-12)])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_fast_reduction_equals_one_process_to_round_off(runs, n, variant, tolerance):
    one, run = runs[None][variant], runs[n][variant]
    for key in one:
        assert np.allclose(run[key], one[key], rtol=tolerance, atol=tolerance), (key, np.max(np.abs(run[key] - one[key])))
    # one process under mpiexec sums nothing: the very same weights as no MPI at all
    # (the epoch measures, sums over chunks under MPI, differ in the last bits)
    if n == 1:
        assert all(np.array_equal(run[k], one[k]) for k in one if k.startswith("arr_"))


@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_exact_reduction_gives_the_same_bits_for_1_2_and_3_processes(runs, n):
    one, run = runs[1]["exact"], runs[n]["exact"]
    assert sorted(run) == sorted(one)
    for key in one:
        assert np.array_equal(run[key], one[key]), key


@needs_mpi
def test_exact_reduction_trains_the_same_run_as_one_process_to_round_off(runs):
    """Sample weights, dropout, L2 and a validation fraction and all: the micro-shards' sum is the batch's gradient."""
    exact, plain = runs[3]["exact"], runs[None]["weighted32"]
    assert all(np.allclose(exact[k], plain[k], rtol=1e-5, atol=1e-5) for k in plain)
    assert exact["cost"][-1] < exact["cost"][0] and exact["val_cost"][-1] < exact["val_cost"][0]


@needs_mpi
def test_exact_reduction_runs_over_tcp_as_between_machines(runs, tmp_path):
    """MPIR_CVAR_NOLOCAL=1 makes MPICH send even between processes of one machine over its
    network (TCP) path, the one that joins machines: the same bits as over shared memory."""
    tcp = fit_runs(tmp_path / "tcp", 2, env={**ENV, "MPIR_CVAR_NOLOCAL": "1"})
    for variant in ("exact", "fast64"):
        assert all(np.array_equal(tcp[variant][k], runs[2][variant][k]) for k in runs[2][variant]), variant


@needs_mpi
def test_a_process_started_with_other_settings_is_refused_and_the_job_ends(tmp_path):
    script = tmp_path / "mismatch.py"
    script.write_text(textwrap.dedent(
        """
        import numpy as np
        import deltaprop as dp
        from mpi4py import MPI

        comm = MPI.COMM_WORLD
        X = np.random.default_rng(0).normal(size=(100, 3)); y = (X[:, 0] > 0).astype(int)
        trainer = dp.Trainer(dp.Network([3, 4, 2], seed=0), X, y, batch_size=16 if comm.Get_rank() else 32, comm=comm)
        trainer.fit(1)
        """
    ))
    done = mpiexec(2, sys.executable, "-m", "mpi4py", str(script), timeout=60)
    assert done.returncode != 0
    assert "ValueError: rank 0's state (on rank 1) was made with batch_size = 32; this run has 16" in done.stderr


# ---------------------------------------------------------------------------- the command line
@needs_mpi
def test_train_under_mpiexec_writes_once_from_rank_0_and_counts_the_ranks(tmp_path):
    done = train(3, *MOONS, "--epochs", "2", "--metrics", "m.json", "--out", "model.npz", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("test accuracy:") == 1 and done.stdout.count("task:") == 1
    assert "data parallel: 3 processes (MPI), global batch 20, fast reduction" in done.stdout
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["ranks"] == 3 and metrics["reduction"] == "fast" and metrics["test_accuracy"] > 0.85
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "model.npz"]


@needs_mpi
def test_resume_with_another_number_of_processes_continues_bit_for_bit(tmp_path):
    whole = tmp_path / "whole"
    whole.mkdir()
    assert train(1, *MOONS, "--epochs", "4", "--reduction", "exact", "--out", "model.npz", cwd=whole).returncode == 0
    parts = tmp_path / "parts"
    parts.mkdir()
    first = train(2, *MOONS, "--epochs", "2", "--reduction", "exact", "--checkpoint", "run", cwd=parts)
    assert first.returncode == 0, first.stderr
    assert read_state(parts / "run")["epoch"] == 2
    rest = train(3, *MOONS, "--epochs", "4", "--reduction", "exact", "--checkpoint", "run", "--resume", "--out", "model.npz",
                 "--metrics", "m.json", cwd=parts)
    assert rest.returncode == 0, rest.stderr
    a, b = dp.load(whole / "model.npz"), dp.load(parts / "model.npz")
    assert all(np.array_equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert json.loads((parts / "m.json").read_text())["epochs"] == 4
    # the exact run's checkpoint is refused by a run that would not continue it bit for bit
    fast = train(2, *MOONS, "--epochs", "5", "--checkpoint", "run", "--resume", cwd=parts)
    assert fast.returncode == 2
    assert "deltaprop: error: checkpoint run was made with reduction = 'exact'; this run has None" in fast.stderr


@needs_mpi
def test_a_mistake_ends_the_job_with_one_line_per_process_and_status_2(tmp_path):
    done = train(2, *MOONS, "--epochs", "1", "--resume", cwd=tmp_path)
    assert done.returncode == 2
    assert "deltaprop: error: --resume needs --checkpoint DIR, the folder of the run to continue" in done.stderr
    assert "Traceback" not in done.stderr


@needs_mpi
def test_a_killed_process_ends_the_job_and_the_checkpoint_resumes(tmp_path):
    marker = f"deltaprop-test-{os.getpid()}-{time.time_ns()}"
    env = {**ENV, "DELTAPROP_TEST_JOB": marker}
    flags = [*MOONS, "--batch-size", "10", "--epochs", "500", "--checkpoint", "run"]
    job = subprocess.Popen([MPIEXEC, "-n", "3", sys.executable, "-m", "deltaprop", "train", *flags], cwd=tmp_path, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "run" / "checkpoint.npz").exists() and time.monotonic() < deadline and job.poll() is None:
            time.sleep(0.1)
        assert (tmp_path / "run" / "checkpoint.npz").exists(), job.communicate(timeout=5)
        time.sleep(0.5)  # well inside an epoch
        os.kill(process_of(marker, rank=1), signal.SIGKILL)
        killed = time.monotonic()
        output, _ = job.communicate(timeout=60)
        assert time.monotonic() - killed < 60
    finally:
        if job.poll() is None:
            job.kill()
    assert job.returncode != 0
    # mpiexec's own message: which process ended and how
    assert "BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES" in output and "Killed (signal 9)" in output, output
    done = read_state(tmp_path / "run")["epoch"]
    assert done >= 1
    rest = train(2, *MOONS, "--batch-size", "10", "--epochs", str(done + 1), "--checkpoint", "run", "--resume", "--metrics", "m.json", cwd=tmp_path)
    assert rest.returncode == 0, rest.stderr
    assert json.loads((tmp_path / "m.json").read_text())["epochs"] == done + 1


def process_of(marker: str, rank: int) -> int:
    """The pid of the process of rank ``rank`` in the MPI job whose environment holds ``marker``."""
    for proc in Path("/proc").iterdir():
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if f"DELTAPROP_TEST_JOB={marker}".encode() in environ and f"PMI_RANK={rank}".encode() in environ:
            return int(proc.name)
    raise AssertionError(f"no process of rank {rank} in job {marker}")


# ---------------------------------------------------------------------------- memory-mapped data
#: Trains on a memory-mapped .npy and on the same data in memory. Each rank writes to the file
#: ``PATH.RANK``: the class of the Trainer's X, the memory the mapped run added to the process
#: (its anonymous resident memory, not the file's pages) as a share of the file's size, and
#: whether both runs ended with the same weights. argv: the .npy file PATH.
MAPPED_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import deltaprop as dp
    from mpi4py import MPI

    def anonymous():
        return next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("RssAnon:"))

    comm, path = MPI.COMM_WORLD, sys.argv[1]
    mapped = np.load(path, mmap_mode="r")
    y = np.load(path.replace("X.npy", "y.npy"))
    runs = []
    for X in (mapped, np.array(mapped)):
        net = dp.Network([mapped.shape[1], 4, 2], seed=0)
        before = anonymous()
        trainer = dp.Trainer(net, X, y, batch_size=200, seed=0, validation=0.1, comm=comm)
        trainer.fit(2)
        runs.append((type(trainer.X).__name__, (anonymous() - before) / mapped.nbytes, net.parameters()))
    same = all(np.array_equal(a, b) for a, b in zip(runs[0][2], runs[1][2]))
    with open(f"{path}.{comm.Get_rank()}", "w") as f:
        f.write(f"{comm.Get_rank()} {runs[0][0]} {runs[0][1]:.3f} {runs[1][1]:.3f} {same}")
    """
)


@needs_mpi
def test_no_process_copies_a_mapped_training_set(tmp_path):
    X = np.random.default_rng(0).normal(size=(24000, 512)).astype(np.float32)  # 47 MiB
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", (X[:, 0] > 0).astype(np.int64))
    (tmp_path / "mapped.py").write_text(MAPPED_SCRIPT)
    done = mpiexec(2, sys.executable, str(tmp_path / "mapped.py"), str((tmp_path / "X.npy").resolve()))
    assert done.returncode == 0, done.stderr
    lines = [(tmp_path / f"X.npy.{rank}").read_text().split() for rank in (0, 1)]
    assert [line[0] for line in lines] == ["0", "1"]
    for rank, kind, mapped_share, copied_share, same in lines:
        assert kind == "MappedRows" and same == "True"
        # the mapped run holds batches and a 4096-row chunk of the epoch's measurement (a sixth
        # of this set) at most; the same run on a copy holds the whole set again
        assert float(mapped_share) < 0.3 and float(copied_share) > 0.8, (mapped_share, copied_share)


@needs_mpi
def test_train_maps_an_uncompressed_idx_folder_and_trains_as_from_a_compressed_one(tmp_path):
    from deltaprop.datasets.idx import STANDARD_FILES, write_idx

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(700, 6, 6), dtype=np.uint8)
    labels = (images[:, :3].mean(axis=(1, 2)) > images[:, 3:].mean(axis=(1, 2))).astype(np.uint8)
    for folder, suffix in (("raw", ""), ("gz", ".gz")):
        (tmp_path / folder).mkdir()
        for name, array in zip(STANDARD_FILES, (images[:500], labels[:500], images[500:], labels[500:])):
            write_idx(tmp_path / folder / f"{name}{suffix}", array)
    for folder in ("raw", "gz"):
        done = train(2, "--dataset", folder, "--sizes", "36,8,2", "--epochs", "2", "--batch-size", "25", "--quiet",
                     "--out", f"{folder}.npz", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    mapped, read = dp.load(tmp_path / "raw.npz"), dp.load(tmp_path / "gz.npz")
    assert all(np.array_equal(a, b) for a, b in zip(mapped.parameters(), read.parameters()))


# ---------------------------------------------------------------------------- without MPI
def test_without_mpi_nothing_of_it_is_imported(tmp_path):
    code = textwrap.dedent(
        """
        import sys, numpy as np, deltaprop as dp
        from deltaprop.cli import main
        X = np.random.default_rng(0).normal(size=(40, 2)); y = (X[:, 0] > 0).astype(int)
        dp.fit(dp.Network([2, 3, 2], seed=0), X, y, epochs=1, progress=False)
        assert main(["train", "--dataset", "xor", "--epochs", "1", "--quiet"]) == 0
        print(sorted(m for m in sys.modules if m.startswith(("mpi4py", "deltaprop.distributed"))))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_exact_reduction_needs_a_communicator():
    net = dp.Network([2, 3, 2], seed=0)
    with pytest.raises(ValueError, match=r"^reduction='exact' needs comm=, the MPI communicator of the processes whose gradients it sums$"):
        dp.Trainer(net, np.zeros((4, 2)), np.zeros(4, dtype=int), reduction="exact")


# ---------------------------------------------------------------------------- spreading a search
SEARCH_WORKER_CODE = '''
import json, sys, warnings
import joblib
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
import deltaprop as dp
from deltaprop.estimator import DeltaPropClassifier

def search(backend, **options):
    (X, y), _ = dp.datasets.load("digits")
    grid = {"alpha": [1e-4, 1e-1], "learning_rate_init": [1e-2, 3e-2]}
    estimator = DeltaPropClassifier(hidden_layer_sizes=(16,), max_iter=4, random_state=0)
    with warnings.catch_warnings(), joblib.parallel_backend(backend, **options):
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the budget
        found = GridSearchCV(estimator, grid, cv=2, n_jobs=2).fit(X[:600], y[:600])
    return {"best": found.best_params_, "scores": [float(s) for s in found.cv_results_["mean_test_score"]]}
'''


def run_searches(*backends: str) -> list[dict]:
    """GridSearchCVs of DeltaPropClassifier on digits, one per joblib backend, in a fresh process."""
    code = SEARCH_WORKER_CODE + f"\nif __name__ == '__main__':\n    print(json.dumps([search(b) for b in {list(backends)!r}]))\n"
    if backends == ("dask",):
        code = SEARCH_WORKER_CODE + textwrap.dedent(
            """
            if __name__ == "__main__":
                from dask.distributed import Client, LocalCluster
                # two worker processes joined to a scheduler over TCP on 127.0.0.1, as machines would be
                with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster, Client(cluster):
                    print(json.dumps([search("dask"), search("sequential")]))
            """
        )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="needs scikit-learn (pip install 'deltaprop[sklearn]')")
def test_grid_search_gives_the_same_scores_in_processes_and_threads():
    """joblib's loky (worker processes) and threading backends: the estimators travel and run
    unchanged, and every candidate scores as in a search run one fit at a time."""
    sequential, loky, threading = run_searches("sequential", "loky", "threading")
    assert loky == sequential and threading == sequential
    assert max(sequential["scores"]) > 0.5  # it learned (4 epochs on 300 rows): the point is the equality


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="needs dask.distributed (pip install 'dask[distributed]')")
def test_grid_search_runs_on_a_dask_cluster():
    """joblib's dask backend, the way to spread a search over machines: the same scores."""
    on_dask, sequential = run_searches("dask")
    assert on_dask == sequential
