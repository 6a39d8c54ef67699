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

mlxtend is a benchmark-only dependency: ``pip install mlxtend`` (0.25.0 was
used). Run with ``python benchmarks/bench_ensemble.py`` (about 5 minutes on
two cores); ``--quick`` runs two datasets and a smaller synthetic set.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import lightgbm
import numpy as np
import pandas as pd
import sklearn
import xgboost
from lightgbm import LGBMClassifier
from sklearn.datasets import make_classification
from sklearn.ensemble import StackingClassifier as SkStackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBClassifier

import sktricks
from sktricks.datasets import load_openml
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


def timed_fit(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return model, time.perf_counter() - start


def run_dataset(name: str, quick: bool) -> dict:
    from mlxtend.classifier import StackingCVClassifier

    X, y = load(name, quick)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X_tr, y_tr))
    row = {"dataset": name, "n_rows": len(y), "n_features": X.shape[1]}

    sides = {
        "sktricks": StackingClassifier(base_models(), cv=folds, guard=False),
        "sklearn": SkStackingClassifier(
            base_models(), cv=folds, stack_method="predict_proba"
        ),
        "mlxtend": StackingCVClassifier(
            [m for _, m in base_models()],
            LogisticRegression(),
            cv=folds,
            use_probas=True,
            drop_proba_col="first",
            random_state=0,
        ),
        "sktricks_guarded": StackingClassifier(base_models(), cv=folds),
    }
    for side, model in sides.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted, seconds = timed_fit(model, X_tr, y_tr)
        row[f"auc_{side}"] = roc_auc_score(y_te, fitted.predict_proba(X_te)[:, 1])
        row[f"time_{side}"] = seconds

    singles = {}
    for model_name, model in base_models():
        fitted, _ = timed_fit(model, X_tr, y_tr)
        singles[model_name] = roc_auc_score(y_te, fitted.predict_proba(X_te)[:, 1])
    row["best_single"] = max(singles, key=singles.get)
    row["auc_best_single"] = singles[row["best_single"]]

    selection = EnsembleSelectionClassifier(
        base_models(), scoring="roc_auc", n_iter=25, cv=folds
    )
    row["auc_selection"] = roc_auc_score(
        y_te, selection.fit(X_tr, y_tr).predict_proba(X_te)[:, 1]
    )
    averaging = AveragingClassifier(base_models(), method="rank")
    row["auc_rank_average"] = roc_auc_score(
        y_te, averaging.fit(X_tr, y_tr).predict_proba(X_te)[:, 1]
    )
    return row


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    names = (DATASETS[:2] if args.quick else DATASETS) + ["synthetic"]
    rows = []
    for name in names:
        rows.append(run_dataset(name, args.quick))
        r = rows[-1]
        print(
            f"{name}: sktricks {r['auc_sktricks']:.4f} in {r['time_sktricks']:.1f}s, "
            f"sklearn {r['auc_sklearn']:.4f} in {r['time_sklearn']:.1f}s, "
            f"mlxtend {r['auc_mlxtend']:.4f} in {r['time_mlxtend']:.1f}s",
            flush=True,
        )
    table = pd.DataFrame(rows)
    table["time_ratio_vs_sklearn"] = table["time_sktricks"] / table["time_sklearn"]
    table["time_ratio_vs_mlxtend"] = table["time_sktricks"] / table["time_mlxtend"]
    pd.set_option("display.width", 250)
    print()
    print(machine())
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
        "time_ratio_vs_sklearn",
        "time_ratio_vs_mlxtend",
    ]
    print(table[columns].round(4).to_string(index=False))
    print()
    print(
        table[
            [
                "dataset",
                "best_single",
                "auc_best_single",
                "auc_selection",
                "auc_rank_average",
            ]
        ]
        .round(4)
        .to_string(index=False)
    )
    auc_ok = (table["auc_sktricks"] >= table["auc_sklearn"] - 1e-12).mean()
    selection_ok = (table["auc_selection"] >= table["auc_best_single"] - 1e-12).mean()
    total_ratio = table["time_sktricks"].sum() / table["time_sklearn"].sum()
    synthetic = table.loc[table["dataset"] == "synthetic", "time_ratio_vs_sklearn"]
    print()
    print(
        f"wall time sktricks / scikit-learn: {total_ratio:.2f} over all datasets, "
        f"{float(synthetic.iloc[0]):.2f} on the synthetic set (target <= 0.7)"
    )
    print(
        f"ROC AUC no worse than scikit-learn on {auc_ok:.0%} of datasets "
        "(target >= 80%)"
    )
    print(
        f"ensemble selection >= best single model on {selection_ok:.0%} of "
        "datasets (target >= 80%)"
    )


if __name__ == "__main__":
    main()
