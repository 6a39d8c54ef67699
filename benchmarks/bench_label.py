"""Side-by-side benchmark of the label tricks against their base models.

1. Distillation: a ``StackingClassifier`` of the baseline models (logistic
   regression, random forest, LightGBM and XGBoost as in the ``linear``,
   ``random_forest``, ``lightgbm`` and ``xgboost`` recipes) is the teacher;
   ``DistilledClassifier`` trains an ``LGBMRegressor`` student on the
   teacher's out-of-fold logits plus twice as many swap-noise rows
   labelled by the teacher. On a stratified 70/30 split of each
   dataset the script prints the test ROC AUC of both, the ratio
   student / stack, and the predict_proba wall time of both on the test
   rows, measured in alternation in this process (median of the per-pair
   ratios stack / student).
2. ``LabelSmoothingClassifier`` (smoothing 0.1) and ``CANClassifier``
   (threshold 0.9) against the same ``LGBMClassifier`` on the classification
   datasets of the quick suite: 5-fold stratified cross-validation with the
   same folds for all three; mean accuracy, log loss and ROC AUC
   (one-vs-rest macro for multiclass).

Run with ``python benchmarks/bench_label.py``; ``--quick`` uses one
distillation dataset and three suite datasets.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import lightgbm
import numpy as np
import sklearn
import xgboost
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.base import clone
from sklearn.ensemble import StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from sktricks.bench import get_recipe, get_suite
from sktricks.datasets import list_datasets, load_openml
from sktricks.label import CANClassifier, DistilledClassifier, LabelSmoothingClassifier

_LGBM = {"n_estimators": 200, "learning_rate": 0.05, "n_jobs": 1, "verbose": -1}
# The student must predict about 10 times faster than the stack, whose
# LightGBM and XGBoost members alone have 200 trees each, so it gets 40
# trees of 15 leaves and swap-noise rows labelled by the stack.
_STUDENT = {
    "n_estimators": 40,
    "num_leaves": 15,
    "learning_rate": 0.15,
    "n_jobs": 1,
    "verbose": -1,
}


def _load(name):
    X, y = load_openml(name, return_X_y=True)
    # Labels become 0 .. n_classes - 1, as the benchmark runner passes them.
    _, y = np.unique(y.to_numpy(), return_inverse=True)
    return X, y


def _stack(task):
    members = [
        (name, get_recipe(name).build(task, random_state=0))
        for name in ("linear", "random_forest", "lightgbm", "xgboost")
    ]
    return StackingClassifier(
        members, final_estimator=LogisticRegression(max_iter=1000), cv=5
    )


def _median_time_ratio(slow, fast, X, repeats):
    ratios, slow_times, fast_times = [], [], []
    for _ in range(repeats):
        start = time.perf_counter()
        slow.predict_proba(X)
        slow_time = time.perf_counter() - start
        start = time.perf_counter()
        fast.predict_proba(X)
        fast_time = time.perf_counter() - start
        ratios.append(slow_time / fast_time)
        slow_times.append(slow_time)
        fast_times.append(fast_time)
    return (
        float(np.median(ratios)),
        float(np.median(slow_times)),
        float(np.median(fast_times)),
    )


def bench_distillation(names, repeats):
    print("## Distillation: LightGBM student of a stack of the baseline models\n")
    print(
        "| dataset | rows | stack AUC | student AUC | AUC ratio | fidelity_ "
        "| stack predict (ms) | student predict (ms) | speed-up |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in names:
        X, y = _load(name)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=0
        )
        stack = _stack("binary").fit(X_train, y_train)
        student = DistilledClassifier(
            _stack("binary"),
            LGBMRegressor(**_STUDENT, random_state=0),
            cv=5,
            augment="swap_noise",
            n_augment=2.0,
            random_state=0,
        ).fit(X_train, y_train)

        stack_auc = roc_auc_score(y_test, stack.predict_proba(X_test)[:, 1])
        student_auc = roc_auc_score(y_test, student.predict_proba(X_test)[:, 1])
        ratio, stack_time, student_time = _median_time_ratio(
            stack, student, X_test, repeats
        )
        print(
            f"| {name} | {len(y)} | {stack_auc:.4f} | {student_auc:.4f} | "
            f"{student_auc / stack_auc:.4f} | {student.fidelity_:.4f} | "
            f"{stack_time * 1e3:.1f} | {student_time * 1e3:.2f} | {ratio:.1f}x |"
        )
    print()


def _scores(y_true, proba, n_classes):
    accuracy = accuracy_score(y_true, proba.argmax(axis=1))
    loss = log_loss(y_true, proba, labels=np.arange(n_classes))
    if n_classes == 2:
        auc = roc_auc_score(y_true, proba[:, 1])
    else:
        auc = roc_auc_score(
            y_true, proba, multi_class="ovr", labels=np.arange(n_classes)
        )
    return np.array([accuracy, loss, auc])


def bench_smoothing_and_can(names):
    print("## Label smoothing and CAN against LightGBM (5-fold CV means)\n")
    print("| dataset | model | accuracy | log loss | ROC AUC |")
    print("| --- | --- | --- | --- | --- |")
    models = {
        "LightGBM": LGBMClassifier(**_LGBM, random_state=0),
        "LabelSmoothing(0.1)": LabelSmoothingClassifier(
            LGBMClassifier(**_LGBM, random_state=0), smoothing=0.1
        ),
        "CAN(0.9)": CANClassifier(
            LGBMClassifier(**_LGBM, random_state=0), threshold=0.9
        ),
    }
    wins = {name: 0 for name in models}
    for name in names:
        X, y = _load(name)
        n_classes = len(np.unique(y))
        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        totals = {model: np.zeros(3) for model in models}
        for train, test in folds.split(X, y):
            for model_name, model in models.items():
                fitted = clone(model).fit(X.iloc[train], y[train])
                proba = fitted.predict_proba(X.iloc[test])
                totals[model_name] += _scores(y[test], proba, n_classes) / 5
        best = max(totals, key=lambda model: totals[model][0])
        wins[best] += 1
        for model_name, (accuracy, loss, auc) in totals.items():
            print(
                f"| {name} | {model_name} | {accuracy:.4f} | {loss:.4f} | {auc:.4f} |"
            )
    print(f"\nBest accuracy per dataset (ties go to the first listed): {wins}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer datasets")
    parser.add_argument(
        "--distillation-datasets",
        default="phoneme,spambase,kc1",
        help="comma-separated bundled binary datasets for the distillation "
        "table (default: phoneme,spambase,kc1; --quick uses phoneme)",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)

    catalogue = list_datasets().set_index("name")
    suite = [
        name
        for name in get_suite("quick")
        if catalogue.loc[name, "task"] != "regression"
    ]
    distil = ["phoneme"] if args.quick else args.distillation_datasets.split(",")
    print(
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
        f"LightGBM {lightgbm.__version__}, XGBoost {xgboost.__version__}\n"
    )
    bench_distillation(distil, repeats=5 if args.quick else 15)
    bench_smoothing_and_can(suite[:3] if args.quick else suite)


if __name__ == "__main__":
    main()
