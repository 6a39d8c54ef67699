"""Scaling of the Dask backend of ``sktricks bench``.

Two measurements, each run in this one process with the sides interleaved
so that machine load affects them alike:

1. Speed-up: the bundled suite on a local Dask cluster with 1 worker and
   on one with 2 workers (``run_benchmark(backend="dask", scheduler=...)``).
   Both clusters are started and warmed up before the timed rounds; their
   start-up time is printed separately. The target is a speed-up of at
   least 1.7 on 2 cores. Both runs must give identical scores, and the
   script checks it.
2. Scheduling overhead per cell: many trivial cells (a prior-probability
   dummy model) with the local joblib backend and with the Dask backend
   joined to an already running 2-worker cluster, so that only the
   per-cell cost differs: ``(dask - local) / cells``.

    python benchmarks/bench_scale.py [--recipes linear,lightgbm] [--cv 5]
        [--max-datasets N] [--rounds 1] [--overhead-cells 240]

``--max-datasets`` keeps the first N bundled datasets, for a shorter run.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor

from sktricks.bench import get_suite, register_recipe, run_benchmark
from sktricks.bench._runner import cpu_model

SCORES = ["roc_auc", "log_loss", "balanced_accuracy", "rmse", "r2"]


@register_recipe("dummy_prior", description="predicts the class prior or the mean")
def _dummy(task, random_state):
    if task == "regression":
        return DummyRegressor()
    return DummyClassifier(strategy="prior")


def _scores(result):
    columns = [c for c in SCORES if c in result.results.columns]
    return result.results[["dataset", "recipe", "repeat", "fold", *columns]]


def _timed(**kwargs):
    with tempfile.TemporaryDirectory() as output:
        start = time.perf_counter()
        result = run_benchmark(**kwargs, output=Path(output), verbose=0)
        return time.perf_counter() - start, result


def _cluster(n_workers):
    from distributed import LocalCluster

    # Loopback only, as the runner's own local cluster.
    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    )


def speed_up(datasets, recipes, cv, rounds):
    """Return the median wall times with 1 and 2 workers, cluster start excluded.

    Each cluster first runs the dummy recipe once, so that its workers have
    imported sktricks and read the datasets before the timed rounds.
    """
    times = {1: [], 2: []}
    kwargs = dict(datasets=datasets, cv=cv, backend="dask")
    with _cluster(1) as one, _cluster(2) as two:
        clusters = {1: one, 2: two}
        for cluster in clusters.values():
            _timed(
                **kwargs, recipes=["dummy_prior"], scheduler=cluster.scheduler_address
            )
        for round_ in range(rounds):
            results = {}
            # Alternate which side goes first from one round to the next.
            for workers in (1, 2) if round_ % 2 == 0 else (2, 1):
                seconds, results[workers] = _timed(
                    **kwargs,
                    recipes=recipes,
                    scheduler=clusters[workers].scheduler_address,
                )
                times[workers].append(seconds)
                print(f"  round {round_ + 1}: {workers} worker(s) {seconds:.1f} s")
            pd.testing.assert_frame_equal(_scores(results[1]), _scores(results[2]))
    return statistics.median(times[1]), statistics.median(times[2])


def overhead(n_cells, rounds):
    """Return the median wall times of the local and the Dask backend.

    Both sides run once untimed first: joblib keeps its worker processes
    between calls, and the Dask workers stay up, so the timed rounds
    compare warm workers on both sides.
    """
    datasets = get_suite("quick")
    cv = 10
    repeats = max(1, round(n_cells / (len(datasets) * cv)))
    cells = len(datasets) * cv * repeats
    kwargs = dict(datasets=datasets, recipes=["dummy_prior"], cv=cv, repeats=repeats)

    times = {"local": [], "dask": []}
    with _cluster(2) as cluster:
        sides = {
            "local": {"n_jobs": 2},
            "dask": {"backend": "dask", "scheduler": cluster.scheduler_address},
        }
        for extra in sides.values():
            _timed(**kwargs, **extra)
        for round_ in range(rounds):
            order = ("local", "dask") if round_ % 2 == 0 else ("dask", "local")
            for side in order:
                seconds, _ = _timed(**kwargs, **sides[side])
                times[side].append(seconds)
                print(f"  round {round_ + 1}: {side} {seconds:.2f} s for {cells} cells")
    return cells, statistics.median(times["local"]), statistics.median(times["dask"])


def startup_seconds(n_workers):
    """Return the wall time to start and stop a local cluster."""
    start = time.perf_counter()
    with _cluster(n_workers):
        pass
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipes", default="linear,lightgbm")
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--max-datasets", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--overhead-cells", type=int, default=240)
    args = parser.parse_args()

    datasets = get_suite("bundled")[: args.max_datasets]
    recipes = args.recipes.split(",")
    print(
        f"Machine: {platform.platform()}, {cpu_model()}, "
        f"load average {' '.join(open('/proc/loadavg').read().split()[:3])}"
    )
    print(
        f"Speed-up: {len(datasets)} bundled datasets x {len(recipes)} recipes x "
        f"{args.cv} folds = {len(datasets) * len(recipes) * args.cv} cells"
    )
    one, two = speed_up(datasets, recipes, args.cv, args.rounds)
    print(f"1 worker {one:.1f} s, 2 workers {two:.1f} s, speed-up {one / two:.2f}x")

    print(f"Start and stop of a 2-worker local cluster: {startup_seconds(2):.1f} s")
    print("Scheduling overhead: dummy cells, local backend vs Dask backend")
    cells, local, dask = overhead(args.overhead_cells, args.rounds)
    print(
        f"local {local:.2f} s, dask {dask:.2f} s for {cells} cells: "
        f"{1000 * (dask - local) / cells:+.1f} ms per cell, ratio {dask / local:.2f}"
    )
    print(f"Load average after: {' '.join(open('/proc/loadavg').read().split()[:3])}")


if __name__ == "__main__":
    main()
