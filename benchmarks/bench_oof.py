"""Side-by-side benchmark of the out-of-fold engine and multilabel folds.

1. ``cross_val_oof`` against scikit-learn's ``cross_val_predict``: the same
   models and the same folds on bundled OpenML datasets, with ``n_jobs`` 1
   and 2. The two calls alternate inside one process, and the script prints
   the median of the per-pair wall-time ratios (sktricks / scikit-learn),
   after checking that both return the same predictions.
2. ``MultilabelStratifiedKFold`` against the ``iterative-stratification``
   package on the same label matrices: the mean absolute deviation of each
   fold's positive count from the ideal ``n_label / n_splits``, and the
   label-distribution (LD) measure of Sechidis et al. (2011), each averaged
   over seeds. Lower is better; the ratio is sktricks / iterstrat.

Run with ``python benchmarks/bench_oof.py`` (about 10 minutes on two
busy cores);
``--quick`` uses fewer repeats.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np
import sklearn
from iterstrat.ml_stratifiers import MultilabelStratifiedKFold as IterstratKFold
from lightgbm import LGBMClassifier
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktricks.datasets import load_openml
from sktricks.exceptions import SktricksWarning
from sktricks.model_selection import MultilabelStratifiedKFold, cross_val_oof


def _cases():
    phoneme = load_openml("phoneme")
    phishing = load_openml("PhishingWebsites")
    cpu = load_openml("cpu_act")
    classification = StratifiedKFold(5, shuffle=True, random_state=0)
    regression = KFold(5, shuffle=True, random_state=0)
    return [
        (
            "phoneme / LogisticRegression",
            make_pipeline(StandardScaler(), LogisticRegression()),
            phoneme,
            classification,
            "predict_proba",
        ),
        (
            "PhishingWebsites / LightGBM",
            LGBMClassifier(n_estimators=100, n_jobs=1, verbose=-1),
            phishing,
            classification,
            "predict_proba",
        ),
        (
            "cpu_act / Ridge",
            make_pipeline(StandardScaler(), Ridge()),
            cpu,
            regression,
            "predict",
        ),
    ]


def _timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def bench_engine(repeats: int) -> list[tuple[str, int, float, float, float]]:
    rows = []
    for name, model, data, cv, method in _cases():
        X, y = data.data, data.target
        for n_jobs in (1, 2):
            ratios, ours_times, theirs_times = [], [], []
            for repeat in range(repeats):

                def ours(model=model, X=X, y=y, cv=cv, method=method, n_jobs=n_jobs):
                    return cross_val_oof(
                        model, X, y, cv=cv, method=method, n_jobs=n_jobs
                    )

                def theirs(model=model, X=X, y=y, cv=cv, method=method, n_jobs=n_jobs):
                    return cross_val_predict(
                        model, X, y, cv=cv, method=method, n_jobs=n_jobs
                    )

                # Alternate which side runs first so drift in machine load
                # does not favour one of them.
                if repeat % 2:
                    t_theirs, expected = _timed(theirs)
                    t_ours, result = _timed(ours)
                else:
                    t_ours, result = _timed(ours)
                    t_theirs, expected = _timed(theirs)
                if method == "predict_proba":
                    expected = expected[:, 1]
                if not np.array_equal(np.asarray(result.oof_), expected):
                    raise RuntimeError(f"{name}: predictions differ")
                ratios.append(t_ours / t_theirs)
                ours_times.append(t_ours)
                theirs_times.append(t_theirs)
            rows.append(
                (
                    name,
                    n_jobs,
                    float(np.median(ours_times)),
                    float(np.median(theirs_times)),
                    float(np.median(ratios)),
                )
            )
            print(
                f"{name:34s} n_jobs={n_jobs}  sktricks {rows[-1][2]:.3f}s  "
                f"sklearn {rows[-1][3]:.3f}s  ratio {rows[-1][4]:.3f}",
                flush=True,
            )
    return rows


def _deviations(labels: np.ndarray, splits) -> tuple[float, float]:
    n_splits = len(splits)
    totals = labels.sum(axis=0)
    count_deviation, ld = [], []
    for _, test in splits:
        positives = labels[test].sum(axis=0)
        count_deviation.append(np.abs(positives - totals / n_splits))
        # LD: |d_j / (|S_j| - d_j) - d / (|D| - d)| per label, Sechidis 2011.
        in_fold = positives / np.maximum(len(test) - positives, 1)
        overall = totals / np.maximum(len(labels) - totals, 1)
        ld.append(np.abs(in_fold - overall))
    return float(np.mean(count_deviation)), float(np.mean(ld))


def bench_multilabel(seeds: int) -> list[tuple[str, float, float, float, float]]:
    # Rare labels with fewer rows than folds are part of the test, so the
    # warning about them is expected here.
    warnings.filterwarnings("ignore", category=SktricksWarning)
    rows = []
    settings = [
        ("1000 rows, 10 labels", 1000, 10, 5),
        ("3000 rows, 30 labels", 3000, 30, 5),
        ("500 rows, 40 rare labels", 500, 40, 3),
    ]
    for name, n_samples, n_labels, n_splits in settings:
        ours, theirs = [], []
        for seed in range(seeds):
            _, labels = make_multilabel_classification(
                n_samples=n_samples,
                n_classes=n_labels,
                n_labels=2,
                allow_unlabeled=True,
                random_state=seed,
            )
            X = np.zeros((n_samples, 1))
            ours.append(
                _deviations(
                    labels,
                    list(
                        MultilabelStratifiedKFold(
                            n_splits, shuffle=True, random_state=seed
                        ).split(X, labels)
                    ),
                )
            )
            theirs.append(
                _deviations(
                    labels,
                    list(
                        IterstratKFold(
                            n_splits=n_splits, shuffle=True, random_state=seed
                        ).split(X, labels)
                    ),
                )
            )
        ours_mean = np.mean(ours, axis=0)
        theirs_mean = np.mean(theirs, axis=0)
        rows.append((name, *ours_mean, *theirs_mean))
        print(
            f"{name:26s} count deviation sktricks {ours_mean[0]:.4f} iterstrat "
            f"{theirs_mean[0]:.4f} ratio {ours_mean[0] / theirs_mean[0]:.3f} | LD "
            f"sktricks {ours_mean[1]:.5f} iterstrat {theirs_mean[1]:.5f} ratio "
            f"{ours_mean[1] / theirs_mean[1]:.3f}",
            flush=True,
        )
    return rows


def _machine() -> str:
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import os

    import iterstrat

    return (
        f"nproc {os.cpu_count()}, {cpu}, Python {platform.python_version()}, "
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"iterative-stratification {getattr(iterstrat, '__version__', '0.1.9')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    print(_machine())
    print("== cross_val_oof vs cross_val_predict (median of paired ratios)")
    bench_engine(repeats=3 if args.quick else 9)
    print("== MultilabelStratifiedKFold vs iterative-stratification")
    bench_multilabel(seeds=3 if args.quick else 20)


if __name__ == "__main__":
    main()
