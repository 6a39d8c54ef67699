"""Imbalance tricks for LightGBM, side by side on the same folds.

Runs the ``lightgbm`` baseline recipe and the five imbalance recipes
(class weights, SMOTE, focal loss, mixup, prior correction), plus random
over-sampling without the prior correction for reference, on the six
imbalanced bundled datasets with stratified 5-fold cross-validation, and
prints ROC AUC, average precision, log loss, balanced accuracy and wall time
(fit plus predict) per dataset, then each trick's mean difference from the
plain model and its wins and losses over datasets.

Run with ``python benchmarks/bench_imbalance.py`` (about 4 minutes on two
cores); ``--folds`` and ``--n-jobs`` change the defaults.
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd
from imblearn.pipeline import make_pipeline
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    log_loss,
    roc_auc_score,
)
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import LabelEncoder

from sktricks.bench import get_recipe
from sktricks.datasets import load_openml

DATASETS = ["pc1", "kc1", "kc2", "climate-model-simulation-crashes", "wilt", "churn"]
RECIPES = [
    "lightgbm",
    "lightgbm_class_weight",
    "lightgbm_smote",
    "lightgbm_focal",
    "lightgbm_mixup",
    "lightgbm_oversample",
    "lightgbm_prior",
]
# Not a registered recipe: random over-sampling without the prior
# correction, so the table shows what the correction itself changes.
UNCORRECTED = "lightgbm_oversample"
# Higher is better for every metric except these.
LOWER_IS_BETTER = {"log_loss", "seconds"}


def _build(recipe, seed):
    if recipe == UNCORRECTED:
        corrected = get_recipe("lightgbm_prior").build("binary", random_state=seed)
        return make_pipeline(corrected.sampler, corrected.estimator)
    return clone(get_recipe(recipe).build("binary", random_state=seed))


def _run_cell(recipe, X, y, train, test, seed):
    estimator = _build(recipe, seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        # The SMOTE recipe warns when it lowers k_neighbors; counted below.
        warnings.simplefilter("ignore")
        estimator.fit(X.iloc[train], y[train])
        proba = estimator.predict_proba(X.iloc[test])[:, 1]
    seconds = time.perf_counter() - start
    y_test = y[test]
    return {
        "recipe": recipe,
        "roc_auc": roc_auc_score(y_test, proba),
        "average_precision": average_precision_score(y_test, proba),
        "log_loss": log_loss(y_test, proba, labels=[0, 1]),
        "balanced_accuracy": balanced_accuracy_score(y_test, proba >= 0.5),
        "seconds": seconds,
    }


def run(folds: int, n_jobs: int, seed: int) -> pd.DataFrame:
    rows = []
    for name in DATASETS:
        dataset = load_openml(name)
        X = dataset.data
        y = LabelEncoder().fit_transform(dataset.target)
        # Class 1 must be the minority for average precision to mean
        # "precision on the rare class".
        if y.mean() > 0.5:
            y = 1 - y
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        cells = [
            (recipe, fold, train, test)
            for fold, (train, test) in enumerate(splitter.split(X, y))
            for recipe in RECIPES
        ]
        results = Parallel(n_jobs=n_jobs)(
            delayed(_run_cell)(recipe, X, y, train, test, seed)
            for recipe, _, train, test in cells
        )
        for (_, fold, _, _), result in zip(cells, results, strict=True):
            rows.append({"dataset": name, "fold": fold, **result})
        print(f"{name}: {len(X)} rows, positive rate {y.mean():.3f}", flush=True)
    return pd.DataFrame(rows)


def _markdown(frame: pd.DataFrame) -> str:
    """Format a table as Markdown without the optional tabulate package."""

    def cell(value):
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    lines = [
        "| " + " | ".join(map(str, frame.columns)) + " |",
        "|" + "---|" * len(frame.columns),
    ]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(value) for value in row) + " |")
    return "\n".join(lines)


def summarise(results: pd.DataFrame) -> None:
    metrics = ["roc_auc", "average_precision", "log_loss", "balanced_accuracy"]
    means = results.groupby(["dataset", "recipe"])[[*metrics, "seconds"]].mean()

    print("\n## Mean over folds, per dataset\n")
    table = means.reset_index()
    table["recipe"] = pd.Categorical(table["recipe"], RECIPES, ordered=True)
    print(_markdown(table.sort_values(["dataset", "recipe"])))

    print("\n## Difference from plain LightGBM (mean over datasets; wins/losses)\n")
    summary = []
    plain = means.xs("lightgbm", level="recipe")
    for recipe in RECIPES[1:]:
        trick = means.xs(recipe, level="recipe")
        row = {"recipe": recipe}
        for metric in [*metrics, "seconds"]:
            if metric == "seconds":
                row["time ratio"] = f"{(trick[metric] / plain[metric]).mean():.2f}x"
                continue
            delta = trick[metric] - plain[metric]
            better = -delta if metric in LOWER_IS_BETTER else delta
            wins, losses = int((better > 0).sum()), int((better < 0).sum())
            row[metric] = f"{delta.mean():+.4f} ({wins}/{losses})"
        summary.append(row)
    print(_markdown(pd.DataFrame(summary)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="stratified folds")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel cells")
    parser.add_argument("--seed", type=int, default=0, help="fold and model seed")
    args = parser.parse_args()

    start = time.perf_counter()
    results = run(args.folds, args.n_jobs, args.seed)
    summarise(results)
    print(f"\nTotal wall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
