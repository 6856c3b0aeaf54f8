"""GridSearchCV on digits: DeltaPropClassifier against scikit-learn's MLPClassifier, same grid, same budget.

Both searches cover the same two hyper-parameters (``alpha`` × ``learning_rate_init``) with the
same network (hidden layers of ``--hidden`` ReLU units, softmax output, log-loss), the same
solver (Adam, mini-batches of min(200, n)), the same epoch budget (``max_iter``), the same
stopping rule (``tol``, ``n_iter_no_change``: the defaults of both) and the same stratified folds
of deltaprop's digits training split (1438 rows); the best candidate is refit on the whole
training split and scored on the test split (359 rows). Each system draws its own initial
weights (``random_state=--seed``), from the same distribution (Glorot-uniform weights and
biases: the estimators' ``init="sklearn"``) but from different generators. One row more repeats deltaprop's search
with ``dropout`` (which MLPClassifier does not offer) at the same grid and budget.

::

    .venv/bin/python benchmarks/gridsearch.py                       # the Markdown table
    .venv/bin/python benchmarks/gridsearch.py --max-iter 50 --folds 5 --seed 0 --dropout 0.2

Both run in this process one after the other, with the same BLAS threads; the wall time is the
whole ``GridSearchCV.fit`` (folds × candidates fits plus the refit).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np


def search(estimator: object, grid: dict, X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, cv: object) -> dict:
    """Run one GridSearchCV; return its best parameters, scores, wall time and refit epochs."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the budget: both hit it
        found = GridSearchCV(estimator, grid, cv=cv).fit(X, y)
    seconds = time.perf_counter() - start
    return {
        "params": found.best_params_,
        "cv": found.best_score_,
        "test": found.score(X_test, y_test),
        "seconds": seconds,
        "epochs": found.best_estimator_.n_iter_,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-iter", type=int, default=50, help="epochs per fit, for both (default 50)")
    parser.add_argument("--hidden", default="100", help="hidden widths, comma-separated (default 100)")
    parser.add_argument("--folds", type=int, default=5, help="stratified CV folds (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="random_state of the estimators and the folds (default 0)")
    parser.add_argument("--dropout", type=float, default=0.2, help="dropout of the extra deltaprop row; 0 drops the row (default 0.2)")
    args = parser.parse_args()

    import sklearn
    from sklearn.model_selection import StratifiedKFold
    from sklearn.neural_network import MLPClassifier

    import deltaprop as dp
    from deltaprop.estimator import DeltaPropClassifier

    (X, y), (X_test, y_test) = dp.datasets.load("digits")
    hidden = tuple(int(h) for h in args.hidden.split(","))
    grid = {"alpha": [1e-4, 1e-2, 1e-1], "learning_rate_init": [1e-3, 3e-3, 1e-2]}
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    common = dict(hidden_layer_sizes=hidden, activation="relu", solver="adam", max_iter=args.max_iter, random_state=args.seed)
    systems = [
        ("deltaprop `DeltaPropClassifier`", DeltaPropClassifier(**common)),
        ("scikit-learn `MLPClassifier`", MLPClassifier(**common)),
    ]
    if args.dropout:
        systems.append((f"deltaprop `DeltaPropClassifier`, dropout={args.dropout:g}", DeltaPropClassifier(dropout=args.dropout, **common)))

    threads = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ}
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}; Python {platform.python_version()}, "
        f"NumPy {np.__version__}, scikit-learn {sklearn.__version__}, deltaprop {dp.__version__}; "
        f"BLAS threads: {threads or 'library default'}; {time.strftime('%Y-%m-%d')}\n"
    )
    print(
        f"digits: {len(X)} training rows ({args.folds}-fold stratified CV), {len(X_test)} test rows, float32 in [0, 1]; "
        f"hidden {hidden} ReLU, Adam, batch min(200, n), max_iter={args.max_iter}, tol=1e-4, n_iter_no_change=10; "
        f"grid alpha {grid['alpha']} × learning_rate_init {grid['learning_rate_init']} "
        f"({len(grid['alpha']) * len(grid['learning_rate_init']) * args.folds} fits + 1 refit per system)\n"
    )
    print("| system | best alpha | best learning_rate_init | best CV accuracy | test accuracy | refit epochs | search wall s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, estimator in systems:
        r = search(estimator, grid, X, y, X_test, y_test, cv)
        print(
            f"| {name} | {r['params']['alpha']:g} | {r['params']['learning_rate_init']:g} | {r['cv']:.4f} | "
            f"{r['test']:.4f} | {r['epochs']} | {r['seconds']:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
