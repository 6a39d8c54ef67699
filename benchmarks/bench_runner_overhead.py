"""Wall time of ``sktricks bench`` against a plain ``cross_validate`` loop.

Both sides fit the same recipes on the same folds of the same bundled
datasets, one process, one core (``n_jobs=1``), and compute the same
metrics. The plain loop is what a user would write by hand: for each
(dataset, recipe), ``cross_validate`` over the runner's own splits with
multi-metric scoring. The runner also checks dataset checksums, writes every
cell to SQLite, and writes the report, plot and CSV; this script measures
what that costs.

Rounds alternate the two sides so that machine load affects both alike. The
script prints the ratio of the median wall times, and of the median CPU
times of this process, which other load on the machine barely changes.

    python benchmarks/bench_runner_overhead.py [--rounds 3] [--suite quick]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time

import numpy as np
from sklearn.metrics import get_scorer, make_scorer, roc_auc_score
from sklearn.model_selection import cross_validate

from sktricks.bench import get_recipe, get_suite, make_splitter, run_benchmark
from sktricks.datasets import load_openml

RECIPES = ["linear", "random_forest", "lightgbm", "xgboost"]


def _scoring(task):
    if task == "regression":
        return {
            "rmse": get_scorer("neg_root_mean_squared_error"),
            "r2": get_scorer("r2"),
        }
    auc = (
        get_scorer("roc_auc")
        if task == "binary"
        else make_scorer(
            roc_auc_score, response_method="predict_proba", multi_class="ovr"
        )
    )
    return {
        "roc_auc": auc,
        "log_loss": get_scorer("neg_log_loss"),
        "balanced_accuracy": get_scorer("balanced_accuracy"),
    }


def plain_loop(datasets, cv, seed):
    """Return the mean primary score per (dataset, recipe), by hand."""
    scores = {}
    for name in datasets:
        bunch = load_openml(name)
        X, task = bunch.data, bunch.task
        y = bunch.target.to_numpy() if task == "regression" else bunch.target.cat.codes
        y = np.asarray(y)
        splits = list(make_splitter(task, cv, 1, seed).split(X, y))
        for recipe in RECIPES:
            estimator = get_recipe(recipe).build(task, seed)
            result = cross_validate(
                estimator, X, y, cv=splits, scoring=_scoring(task), n_jobs=1
            )
            key = "test_rmse" if task == "regression" else "test_roc_auc"
            scores[(name, recipe)] = float(np.mean(np.abs(result[key])))
    return scores


def sktricks_run(datasets, cv, seed):
    with tempfile.TemporaryDirectory() as output:
        result = run_benchmark(
            datasets, RECIPES, cv=cv, seed=seed, n_jobs=1, output=output, verbose=0
        )
    board = result.leaderboard()
    keys = zip(board["dataset"], board["recipe"], strict=True)
    return dict(zip(keys, board["mean"], strict=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per side")
    parser.add_argument("--suite", default="quick", help="dataset suite name")
    parser.add_argument("--cv", type=int, default=5, help="number of folds")
    args = parser.parse_args()
    datasets = get_suite(args.suite)

    # One untimed pass each warms imports, file caches and the dataset cache.
    plain_loop(datasets[:1], 2, 0)
    sktricks_run(datasets[:1], 2, 0)

    times = {"plain cross_validate": [], "sktricks bench": []}
    cpu_times = {"plain cross_validate": [], "sktricks bench": []}
    for _ in range(args.rounds):
        for label, run in [
            ("plain cross_validate", plain_loop),
            ("sktricks bench", sktricks_run),
        ]:
            start, cpu_start = time.perf_counter(), time.process_time()
            run(datasets, args.cv, 0)
            times[label].append(time.perf_counter() - start)
            cpu_times[label].append(time.process_time() - cpu_start)
        # The fitted models differ only in the random forest seed per fold, so
        # the deterministic recipes agree exactly.
        plain = plain_loop(datasets[:1], args.cv, 0)
        ours = sktricks_run(datasets[:1], args.cv, 0)
        for key in plain:
            if key[1] in ("linear", "lightgbm"):
                assert abs(plain[key] - ours[key]) < 1e-9, (key, plain[key], ours[key])

    print(f"datasets: {', '.join(datasets)}; recipes: {', '.join(RECIPES)}")
    print(f"{args.cv} folds, {args.rounds} alternating rounds, n_jobs=1")
    print(f"python {platform.python_version()}, {platform.platform()}")
    for kind, table in [("wall", times), ("cpu", cpu_times)]:
        for label, values in table.items():
            rounds = ", ".join(f"{v:.2f}" for v in values)
            median = statistics.median(values)
            print(f"{kind} {label:>22}: median {median:.2f} s  ({rounds})")
        ratio = statistics.median(table["sktricks bench"]) / statistics.median(
            table["plain cross_validate"]
        )
        print(f"{kind}-time ratio sktricks / plain: {ratio:.3f} (target <= 1.05)")


if __name__ == "__main__":
    main()
