"""Fit AutoGluon-Tabular on one train/test fold and print ROC AUC and fit time.

``bench_ensemble.py --strong`` runs this script with the Python of a separate
virtualenv that has ``autogluon.tabular[lightgbm,xgboost]``, so AutoGluon's
pinned dependencies never meet sktricks' own. The script imports nothing from
sktricks: it reads the two CSV files the benchmark wrote (the same fold
indices as the other sides, target column ``target`` holding 0 and 1) and
prints one JSON line ``{"roc_auc": ..., "fit_seconds": ..., "models": [...]}``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import pandas as pd
from autogluon.tabular import TabularPredictor
from sklearn.metrics import roc_auc_score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True, help="CSV file of training rows")
    parser.add_argument("--test", required=True, help="CSV file of test rows")
    parser.add_argument(
        "--presets", default="medium_quality", help="AutoGluon presets name"
    )
    parser.add_argument(
        "--num-cpus",
        default="auto",
        help="CPU cores AutoGluon may use ('auto' means all)",
    )
    args = parser.parse_args()

    train = pd.read_csv(args.train)
    test = pd.read_csv(args.test)
    num_cpus = args.num_cpus if args.num_cpus == "auto" else int(args.num_cpus)
    with tempfile.TemporaryDirectory() as path:
        predictor = TabularPredictor(
            label="target", eval_metric="roc_auc", path=path, verbosity=0
        )
        start = time.perf_counter()
        predictor.fit(train, presets=args.presets, num_cpus=num_cpus)
        fit_seconds = time.perf_counter() - start
        proba = predictor.predict_proba(test.drop(columns="target"))
        models = list(predictor.model_names())
    result = {
        "roc_auc": float(roc_auc_score(test["target"], proba[1])),
        "fit_seconds": fit_seconds,
        "models": models,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
