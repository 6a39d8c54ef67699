"""Stacking, ensemble selection and averaging against their peers.

Side by side in one process, with the same base models (LightGBM, XGBoost,
logistic regression) and the same 5 stratified folds:

* sktricks ``StackingClassifier`` (fold models averaged, no refit) against
  scikit-learn's ``StackingClassifier`` and mlxtend's
  ``StackingCVClassifier``: test ROC AUC and fit wall time;
* sktricks ``EnsembleSelectionClassifier`` and rank
  ``AveragingClassifier`` against the best single base model.

Each dataset is split 70/30 (stratified, seed 0); models are fitted on the
70 % and scored on the 30 %. Speed is compared as a ratio of wall times of
fits run interleaved in this process.

A single split leaves a few hundred test rows on the small datasets, and
ROC AUC differences of a few thousandths between two stacks are then noise.
``--repeats R`` repeats the comparison on R splits (split and fold seeds 0
to R - 1) and compares the sides on each dataset's mean ROC AUC. mlxtend
and the hand-written loop run on the first split only: they are there for
the fit time, and mlxtend's ROC AUC equals scikit-learn's.
``--datasets binary`` runs every bundled binary dataset.

A hand-written out-of-fold loop over the same models and folds is timed
too: it is the least fit time any out-of-fold stack can take.

mlxtend is a benchmark-only dependency: ``pip install mlxtend`` (0.25.0 was
used). Run with ``python benchmarks/bench_ensemble.py`` (about 5 minutes on
two cores); ``--quick`` runs two datasets and a smaller synthetic set.

``--strong`` runs the ``strong`` benchmark recipe (ensemble selection over
early-stopped LightGBM and XGBoost, random forest, extra trees, k-nearest
neighbours and logistic regression) against default LightGBM and
AutoGluon-Tabular ``medium_quality`` on 8 bundled datasets, 3 stratified
folds (seed 0). AutoGluon runs through ``autogluon_fold.py`` in the
interpreter given by ``--autogluon-python``, a separate virtualenv made with
``pip install "autogluon.tabular[lightgbm,xgboost]"``, on the same fold
indices; without that interpreter its column is skipped.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import sklearn
import xgboost
from lightgbm import LGBMClassifier
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.ensemble import StackingClassifier as SkStackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBClassifier

import sktricks
from sktricks.bench import get_recipe
from sktricks.datasets import list_datasets, load_openml
from sktricks.ensemble import (
    AveragingClassifier,
    EnsembleSelectionClassifier,
    StackingClassifier,
)

DATASETS = [
    "diabetes",
    "credit-g",
    "blood-transfusion-service-center",
    "ilpd",
    "kc1",
    "pc1",
    "qsar-biodeg",
    "phoneme",
]


def base_models(seed: int = 0) -> list[tuple[str, object]]:
    boost = {
        "n_estimators": 150,
        "learning_rate": 0.05,
        "n_jobs": 1,
        "random_state": seed,
    }
    return [
        ("lightgbm", LGBMClassifier(verbose=-1, **boost)),
        ("xgboost", XGBClassifier(tree_method="hist", **boost)),
        (
            "logistic",
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        ),
    ]


def numeric(X: pd.DataFrame) -> np.ndarray:
    """One-hot categories and median-impute so every library takes the data."""
    X = pd.get_dummies(X, dummy_na=False, dtype=float)
    return X.fillna(X.median()).to_numpy(dtype=float)


def load(name: str, quick: bool):
    if name == "synthetic":
        n = 5000 if quick else 20000
        X, y = make_classification(
            n_samples=n, n_features=40, n_informative=15, flip_y=0.05, random_state=0
        )
        return X, y
    X, y = load_openml(name, return_X_y=True)
    return numeric(X), np.asarray(pd.factorize(y, sort=True)[0])


def plain_loop_stack(X, y, folds) -> LogisticRegression:
    """Fit a hand-written out-of-fold stack, the lower bound of the fit time.

    It fits one clone per base model and fold, calls ``predict_proba`` on the
    held-out rows and fits a logistic regression on the out-of-fold columns.
    It skips input checks, label encoding and bookkeeping.
    """
    columns = []
    for _, model in base_models():
        column = np.empty(len(y))
        for train, test in folds:
            fitted = clone(model).fit(X[train], y[train])
            column[test] = fitted.predict_proba(X[test])[:, 1]
        columns.append(column)
    return LogisticRegression().fit(np.column_stack(columns), y)


def timed_fit(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return model, time.perf_counter() - start


def bundled_binary() -> list[str]:
    """Return the names of the bundled binary datasets, in the manifest's order."""
    table = list_datasets()
    return table.loc[table["bundled"] & (table["task"] == "binary"), "name"].tolist()


def run_dataset(
    name: str,
    quick: bool,
    n_jobs: int | None = None,
    seed: int = 0,
    timing_sides: bool = True,
) -> dict:
    """Fit every side on one 70/30 split of ``name``; ``seed`` picks the split.

    ``timing_sides=False`` skips mlxtend and the hand-written loop, which
    only add fit times (mlxtend's ROC AUC equals scikit-learn's).
    """
    from mlxtend.classifier import StackingCVClassifier

    X, y = load(name, quick)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    folds = list(StratifiedKFold(5, shuffle=True, random_state=seed).split(X_tr, y_tr))
    row = {"dataset": name, "seed": seed, "n_rows": len(y), "n_features": X.shape[1]}

    sides = {
        "sktricks": StackingClassifier(
            base_models(), cv=folds, guard=False, n_jobs=n_jobs
        ),
        "sklearn": SkStackingClassifier(
            base_models(), cv=folds, stack_method="predict_proba", n_jobs=n_jobs
        ),
        "mlxtend": StackingCVClassifier(
            [m for _, m in base_models()],
            LogisticRegression(),
            cv=folds,
            use_probas=True,
            drop_proba_col="first",
            random_state=0,
            n_jobs=1 if n_jobs is None else n_jobs,
        ),
        "sktricks_guarded": StackingClassifier(base_models(), cv=folds, n_jobs=n_jobs),
    }
    if not timing_sides:
        del sides["mlxtend"]
    for side, model in sides.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted, seconds = timed_fit(model, X_tr, y_tr)
        row[f"auc_{side}"] = roc_auc_score(y_te, fitted.predict_proba(X_te)[:, 1])
        row[f"time_{side}"] = seconds
    if timing_sides:
        start = time.perf_counter()
        plain_loop_stack(X_tr, y_tr, folds)
        row["time_plain_loop"] = time.perf_counter() - start

    selection = EnsembleSelectionClassifier(
        base_models(), scoring="roc_auc", n_iter=25, cv=folds
    )
    row["auc_selection"] = roc_auc_score(
        y_te, selection.fit(X_tr, y_tr).predict_proba(X_te)[:, 1]
    )

    # The single model a user would pick is the one with the best
    # out-of-fold ROC AUC on the same folds (the selection computed those
    # scores already), refitted on the whole training part. The model with
    # the best test AUC is also recorded, but a user cannot know it in advance.
    singles = {}
    for model_name, model in base_models():
        fitted, _ = timed_fit(model, X_tr, y_tr)
        singles[model_name] = roc_auc_score(y_te, fitted.predict_proba(X_te)[:, 1])
    oof_scores = selection.base_scores_
    row["best_single"] = max(oof_scores, key=oof_scores.get)
    row["auc_best_single"] = singles[row["best_single"]]
    row["test_best_single"] = max(singles, key=singles.get)
    row["auc_test_best_single"] = singles[row["test_best_single"]]
    averaging = AveragingClassifier(base_models(), method="rank")
    row["auc_rank_average"] = roc_auc_score(
        y_te, averaging.fit(X_tr, y_tr).predict_proba(X_te)[:, 1]
    )
    return row


STRONG_DATASETS = [
    "credit-g",
    "diabetes",
    "kc1",
    "pc1",
    "phoneme",
    "qsar-biodeg",
    "blood-transfusion-service-center",
    "ilpd",
]
AUTOGLUON_SCRIPT = Path(__file__).with_name("autogluon_fold.py")


def autogluon_fold(
    python: str, cpus: str, X: pd.DataFrame, y: np.ndarray, train, test
) -> dict:
    """Fit AutoGluon ``medium_quality`` on one fold in its own interpreter.

    The raw columns go through CSV files, so AutoGluon does its own
    preprocessing as it would for a user; the fold indices are ours.
    """
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for part, rows in (("train", train), ("test", test)):
            paths[part] = str(Path(folder) / f"{part}.csv")
            X.iloc[rows].assign(target=y[rows]).to_csv(paths[part], index=False)
        completed = subprocess.run(
            [
                python,
                str(AUTOGLUON_SCRIPT),
                "--train",
                paths["train"],
                "--test",
                paths["test"],
                "--num-cpus",
                cpus,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(
            f"AutoGluon fold failed (exit code {completed.returncode}):\n"
            f"{completed.stderr[-2000:]}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run_strong(names: list[str], autogluon_python: str, cpus: str) -> None:
    """Compare the strong recipe, default LightGBM and AutoGluon on 3 folds."""
    use_autogluon = Path(autogluon_python).exists()
    if use_autogluon:
        version = subprocess.run(
            [
                autogluon_python,
                "-c",
                "import autogluon.tabular as t; print(t.__version__)",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        print(f"autogluon.tabular {version.stdout.strip()} at {autogluon_python}")
    else:
        print(
            f"NOTE: {autogluon_python} does not exist, so the AutoGluon column "
            "is skipped; install autogluon.tabular[lightgbm,xgboost] in a "
            "separate virtualenv and pass its Python with --autogluon-python."
        )
    rows = []
    for name in names:
        X, y_raw = load_openml(name, return_X_y=True)
        y = np.asarray(pd.factorize(y_raw, sort=True)[0])
        splitter = StratifiedKFold(3, shuffle=True, random_state=0)
        for fold, (train, test) in enumerate(splitter.split(X, y)):
            row: dict = {"dataset": name, "fold": fold}
            sides = {
                "strong": get_recipe("strong").build("binary", 0),
                "lightgbm": LGBMClassifier(n_jobs=1, random_state=0, verbose=-1),
            }
            for side, model in sides.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fitted, seconds = timed_fit(model, X.iloc[train], y[train])
                proba = fitted.predict_proba(X.iloc[test])[:, 1]
                row[f"auc_{side}"] = roc_auc_score(y[test], proba)
                row[f"time_{side}"] = seconds
            if use_autogluon:
                result = autogluon_fold(autogluon_python, cpus, X, y, train, test)
                row["auc_autogluon"] = result["roc_auc"]
                row["time_autogluon"] = result["fit_seconds"]
            print(
                ", ".join(
                    f"{key} {value:.4f}" if isinstance(value, float) else str(value)
                    for key, value in row.items()
                ),
                flush=True,
            )
            rows.append(row)
    report_strong(pd.DataFrame(rows), use_autogluon)


def report_strong(table: pd.DataFrame, use_autogluon: bool) -> None:
    sides = ["strong", "lightgbm"] + (["autogluon"] if use_autogluon else [])
    columns = [f"{kind}_{side}" for kind in ("auc", "time") for side in sides]
    per_dataset = table.groupby("dataset", sort=False)[columns].mean()
    pd.set_option("display.width", 250)
    print()
    print(machine())
    print("Mean over the 3 folds (fit time in seconds per fold):")
    print(per_dataset.round(4).to_string())
    wins = int((per_dataset["auc_strong"] > per_dataset["auc_lightgbm"]).sum())
    print()
    print(
        f"strong beats default LightGBM on {wins} of {len(per_dataset)} datasets "
        "(target >= 7 of 8)"
    )
    means = per_dataset.mean()
    summary = ", ".join(
        f"{side} ROC AUC {means[f'auc_{side}']:.4f} in {means[f'time_{side}']:.1f}s"
        for side in sides
    )
    print(f"mean over datasets: {summary}")


def machine() -> str:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(
                line.split(":", 1)[1].strip()
                for line in handle
                if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    import os

    import mlxtend

    return (
        f"nproc={os.cpu_count()}, CPU {cpu}, Python {platform.python_version()}, "
        f"sktricks {sktricks.__version__}, scikit-learn {sklearn.__version__}, "
        f"mlxtend {mlxtend.__version__}, LightGBM {lightgbm.__version__}, "
        f"XGBoost {xgboost.__version__}"
    )


AUC_SIDES = [
    "auc_sktricks",
    "auc_sklearn",
    "auc_sktricks_guarded",
    "auc_best_single",
    "auc_selection",
    "auc_rank_average",
    "auc_test_best_single",
]


def report_stacking(table: pd.DataFrame) -> None:
    first = table.loc[table["seed"] == 0].copy()
    first["time_ratio_vs_sklearn"] = first["time_sktricks"] / first["time_sklearn"]
    first["time_ratio_vs_mlxtend"] = first["time_sktricks"] / first["time_mlxtend"]
    first["plain_loop_vs_sklearn"] = first["time_plain_loop"] / first["time_sklearn"]
    pd.set_option("display.width", 250)
    print()
    print(machine())
    print("\nFirst split (seed 0):")
    columns = [
        "dataset",
        "n_rows",
        "auc_sktricks",
        "auc_sklearn",
        "auc_mlxtend",
        "auc_sktricks_guarded",
        "time_sktricks",
        "time_sklearn",
        "time_mlxtend",
        "time_plain_loop",
        "time_ratio_vs_sklearn",
        "plain_loop_vs_sklearn",
        "time_ratio_vs_mlxtend",
    ]
    print(first[columns].round(4).to_string(index=False))
    print()
    selection_columns = [
        "dataset",
        "best_single",
        "auc_best_single",
        "auc_selection",
        "auc_rank_average",
        "test_best_single",
        "auc_test_best_single",
    ]
    print(first[selection_columns].round(4).to_string(index=False))
    total_ratio = first["time_sktricks"].sum() / first["time_sklearn"].sum()
    plain_ratio = first["time_plain_loop"].sum() / first["time_sklearn"].sum()
    synthetic = first.loc[first["dataset"] == "synthetic"].iloc[0]
    print()
    print(
        f"wall time sktricks / scikit-learn: {total_ratio:.2f} over all datasets, "
        f"{synthetic['time_ratio_vs_sklearn']:.2f} on the synthetic set "
        "(target <= 0.7)"
    )
    print(
        f"wall time plain loop / scikit-learn: {plain_ratio:.2f} over all "
        f"datasets, {synthetic['plain_loop_vs_sklearn']:.2f} on the synthetic set"
    )
    report_auc_targets(first, "on the first split")
    n_splits = table["seed"].nunique()
    if n_splits == 1:
        return
    means = table.groupby("dataset", sort=False)[AUC_SIDES].mean()
    # The model picked by out-of-fold ROC AUC can differ between splits.
    means["best_single_picks"] = table.groupby("dataset", sort=False)[
        "best_single"
    ].agg(lambda picks: ", ".join(f"{k} {v}" for k, v in picks.value_counts().items()))
    print(f"\nMean ROC AUC over {n_splits} splits (seeds 0 to {n_splits - 1}):")
    print(means.round(4).to_string())
    print()
    all_ratio = table["time_sktricks"].sum() / table["time_sklearn"].sum()
    print(
        f"wall time sktricks / scikit-learn summed over all {len(table)} runs: "
        f"{all_ratio:.2f}"
    )
    report_auc_targets(means, f"on the mean over {n_splits} splits")
    stack_gap = table["auc_sktricks"] - table["auc_sklearn"]
    selection_gap = table["auc_selection"] - table["auc_best_single"]
    stack_share = (stack_gap >= 0).mean()
    selection_share = (selection_gap >= 0).mean()
    print(
        f"per split: sktricks no worse than scikit-learn on {stack_share:.0%} "
        f"of {len(table)} (mean difference {stack_gap.mean():+.4f}); selection "
        f"no worse than the best single model on {selection_share:.0%} "
        f"(mean difference {selection_gap.mean():+.4f})"
    )


def report_auc_targets(table: pd.DataFrame, where: str) -> None:
    """Print the two ROC AUC targets, counted over the rows of ``table``."""
    stack_ok = table["auc_sktricks"] >= table["auc_sklearn"] - 1e-12
    selection_ok = table["auc_selection"] >= table["auc_best_single"] - 1e-12
    print(
        f"ROC AUC no worse than scikit-learn {where}: {stack_ok.sum()} of "
        f"{len(table)} datasets, {stack_ok.mean():.0%} (target >= 80%)"
    )
    print(
        f"ensemble selection >= best single model (picked by out-of-fold ROC "
        f"AUC) {where}: {selection_ok.sum()} of {len(table)} datasets, "
        f"{selection_ok.mean():.0%} (target >= 80%)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="two datasets, 5,000 synthetic rows"
    )
    parser.add_argument(
        "--strong",
        action="store_true",
        help="run the strong recipe against default LightGBM and AutoGluon "
        "instead of the stacking comparison",
    )
    parser.add_argument(
        "--autogluon-python",
        default="/work/venv-ag/bin/python",
        help="Python interpreter of a virtualenv with "
        "autogluon.tabular[lightgbm,xgboost] (--strong only); the AutoGluon "
        "column is skipped when it does not exist",
    )
    parser.add_argument(
        "--autogluon-cpus",
        default="auto",
        help="CPU cores AutoGluon may use (--strong only); 'auto' means all",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="n_jobs of every stacking side (the base models keep n_jobs=1); "
        "default: one process, the folds fitted one after the other",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=[*bundled_binary(), "binary"],
        help="run only these bundled datasets; 'binary' means every bundled "
        "binary dataset (the stacking comparison adds the synthetic set); "
        "default the 8 of the issue",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="number of 70/30 splits per dataset (stacking comparison); the "
        "ROC AUC targets are then counted on each dataset's mean",
    )
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    chosen = args.datasets or []
    if "binary" in chosen:
        chosen = bundled_binary()
    if args.strong:
        names = STRONG_DATASETS[:2] if args.quick else STRONG_DATASETS
        if chosen:
            names = chosen
        run_strong(names, args.autogluon_python, args.autogluon_cpus)
        return
    names = chosen or (DATASETS[:2] if args.quick else DATASETS)
    names = [*names, "synthetic"]
    if args.n_jobs not in (None, 1):
        # Start joblib's worker processes and import every side's modules in
        # them before the first timed fit, so that no side pays for it. Every
        # side then reuses the same pool.
        import importlib

        from joblib import Parallel, delayed

        modules = ["sktricks.ensemble", "sklearn.ensemble", "mlxtend.classifier"]
        Parallel(n_jobs=args.n_jobs)(
            delayed(importlib.import_module)(module) for module in modules * 4
        )
    rows = []
    for seed in range(args.repeats):
        for name in names:
            rows.append(
                run_dataset(name, args.quick, args.n_jobs, seed, timing_sides=seed == 0)
            )
            r = rows[-1]
            print(
                f"{name} (split {seed}): sktricks {r['auc_sktricks']:.4f} in "
                f"{r['time_sktricks']:.1f}s, sklearn {r['auc_sklearn']:.4f} in "
                f"{r['time_sklearn']:.1f}s, selection {r['auc_selection']:.4f}, "
                f"best single {r['auc_best_single']:.4f}",
                flush=True,
            )
    report_stacking(pd.DataFrame(rows))


if __name__ == "__main__":
    main()
