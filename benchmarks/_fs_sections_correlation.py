"""Benchmark section: CorrelationSelector against feature-engine.

``section_correlation`` follows the feature-selection benchmark interface:
it takes one data set from ``make_classification(shuffle=False)`` and
returns rows with ``dataset``, ``method``, ``n_selected``, ``precision``,
``recall``, ``f1``, ``seconds`` and ``note``.

A correlation filter removes duplicated information, so the informative
columns of ``make_classification`` are not its truth: its redundant
columns are linear mixtures of several informative ones and rarely pass a
0.95 correlation. The section therefore plants redundancy whose groups it records. It
picks every tenth column (informative and noise alike) as a source and
appends two copies of each, scaled by 2 and 0.5 with noise of 5% of the
source's standard deviation (correlation with the source about 0.999). A
true group is a source with its copies, plus any pair of columns whose
absolute correlation in the data already reaches the threshold. Each group
must keep exactly one column.

Scores, with a positive meaning "this column is dropped":

- precision: correct drops over all drops. In a true group of size ``k``
  with ``d`` dropped members, ``min(d, k - 1)`` drops are correct; every
  drop outside a true group is wrong.
- recall: correct drops over the ``sum(k - 1)`` columns that should go.
- ``agree``: whether both libraries keep the same set of columns.

Both libraries run with the same criterion (variance, then correlation
with the target), interleaved in one process, and the median of
``REPEATS`` timings is reported with the ratio.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

THRESHOLD = 0.95
REPEATS = 3
# (sktricks keep, feature-engine selection_method)
CRITERIA = [("variance", "variance"), ("target", "corr_with_target")]


def plant_copies(X: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, list[list]]:
    """Append two noisy, scaled copies of every tenth column.

    Returns the widened frame and the planted groups (source first).
    """
    rng = np.random.default_rng(seed)
    copies = {}
    groups = []
    for source in X.columns[::10]:
        column = X[source].to_numpy()
        noise_scale = 0.05 * column.std()
        group = [source]
        for scale in (2.0, 0.5):
            name = f"{source}_copy{scale:g}"
            copies[name] = scale * (column + rng.normal(scale=noise_scale, size=len(X)))
            group.append(name)
        groups.append(group)
    return pd.concat([X, pd.DataFrame(copies, index=X.index)], axis=1), groups


def true_groups(X: pd.DataFrame, planted: list[list], threshold: float) -> list[set]:
    """Merge the planted groups with pairs that already pass the threshold."""
    correlation = np.abs(np.corrcoef(X.to_numpy(), rowvar=False))
    names = list(X.columns)
    groups = [set(group) for group in planted]
    rows, cols = np.nonzero(np.triu(correlation >= threshold, k=1))
    for i, j in zip(rows, cols, strict=True):
        pair = {names[i], names[j]}
        touching = [g for g in groups if g & pair]
        merged = set().union(pair, *touching)
        groups = [g for g in groups if not g & pair] + [merged]
    return groups


def drop_scores(dropped: set, groups: list[set]) -> tuple[float, float, float]:
    """Precision, recall and F1 of the dropped columns, as defined above."""
    correct = sum(min(len(dropped & group), len(group) - 1) for group in groups)
    should_drop = sum(len(group) - 1 for group in groups)
    precision = correct / len(dropped) if dropped else 1.0
    recall = correct / should_drop if should_drop else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _time_fits(fits: dict[str, Any]) -> tuple[dict[str, float], dict[str, Any]]:
    # Fits run interleaved, so load from other processes hits both sides.
    seconds: dict[str, list[float]] = {name: [] for name in fits}
    fitted: dict[str, Any] = {}
    for _ in range(REPEATS):
        for name, fit in fits.items():
            start = time.perf_counter()
            fitted[name] = fit()
            seconds[name].append(time.perf_counter() - start)
    return {name: statistics.median(s) for name, s in seconds.items()}, fitted


def section_correlation(
    X: Any, y: Any, truth: Any, name: str, n_jobs: int | None
) -> list[dict]:
    """Compare CorrelationSelector with feature-engine's SmartCorrelatedSelection.

    ``truth`` (the informative columns) is not used, for the reason in the
    module docstring; ``n_jobs`` is not used because neither side is
    parallel.
    """
    from sktricks.feature_selection import CorrelationSelector

    frame = pd.DataFrame(
        np.asarray(X), columns=[f"f{i}" for i in np.arange(X.shape[1])]
    )
    frame, planted = plant_copies(frame)
    groups = true_groups(frame, planted, THRESHOLD)
    target = pd.Series(np.asarray(y))
    dataset = f"{name} + {frame.shape[1] - np.asarray(X).shape[1]} planted copies"

    try:
        from feature_engine.selection import SmartCorrelatedSelection
    except ImportError:
        SmartCorrelatedSelection = None

    rows = []
    for keep, peer_method in CRITERIA:
        fits = {
            "ours": lambda keep=keep: CorrelationSelector(
                threshold=THRESHOLD, keep=keep
            ).fit(frame, target)
        }
        if SmartCorrelatedSelection is not None:
            fits["peer"] = lambda m=peer_method: SmartCorrelatedSelection(
                threshold=THRESHOLD, selection_method=m
            ).fit(frame, target)
        seconds, fitted = _time_fits(fits)

        kept = {"ours": set(fitted["ours"].get_feature_names_out())}
        if "peer" in fitted:
            kept["peer"] = set(frame.columns) - set(fitted["peer"].features_to_drop_)
        agree = kept.get("peer") == kept["ours"] if "peer" in kept else None

        labels = {
            "ours": f"sktricks CorrelationSelector(keep={keep!r})",
            "peer": f"feature-engine SmartCorrelatedSelection({peer_method!r})",
        }
        for side, columns in kept.items():
            precision, recall, f1 = drop_scores(set(frame.columns) - columns, groups)
            rows.append(
                {
                    "dataset": dataset,
                    "method": labels[side],
                    "n_selected": len(columns),
                    "precision": precision,
                    "recall": recall,
                    "f1": f1,
                    "seconds": seconds[side],
                    "note": f"same kept set: {agree}",
                }
            )
        if SmartCorrelatedSelection is None:
            rows.append(
                {
                    "dataset": dataset,
                    "method": labels["peer"],
                    "n_selected": None,
                    "precision": None,
                    "recall": None,
                    "f1": None,
                    "seconds": None,
                    "note": "feature-engine is not installed",
                }
            )
    return rows


SECTIONS = [section_correlation]


def _format(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _print_table(rows: list[dict]) -> None:
    keys = ["dataset", "method", "n_selected", "precision", "recall", "f1", "seconds"]
    print("| " + " | ".join([*keys, "note"]) + " |")
    print("|" + " --- |" * (len(keys) + 1))
    for row in rows:
        cells = [_format(row.get(key)) for key in keys] + [row.get("note", "")]
        print("| " + " | ".join(cells) + " |")


def _print_ratios(rows: list[dict]) -> None:
    by_pair: dict[tuple, dict[str, float]] = {}
    for row in rows:
        if row["seconds"] is None:
            continue
        side = "ours" if row["method"].startswith("sktricks") else "peer"
        criterion = "variance" if "variance" in row["method"] else "target"
        by_pair.setdefault((row["dataset"], criterion), {})[side] = row["seconds"]
    for (dataset, criterion), seconds in by_pair.items():
        if "peer" in seconds:
            ratio = seconds["ours"] / seconds["peer"]
            print(f"{dataset}, {criterion}: sktricks/feature-engine time = {ratio:.3f}")


def _datasets() -> list[tuple[str, Any, Any, Any]]:
    from sklearn.datasets import make_classification

    specs = [
        ("2,000 x 100", 2000, 100, 10, 0),
        ("10,000 x 500", 10000, 500, 20, 20),
    ]
    data = []
    for name, n_rows, n_columns, informative, redundant in specs:
        X, y = make_classification(
            n_samples=n_rows,
            n_features=n_columns,
            n_informative=informative,
            n_redundant=redundant,
            shuffle=False,
            random_state=0,
        )
        truth = np.arange(informative + redundant)
        data.append((name, X, y, truth))
    return data


if __name__ == "__main__":
    import platform

    import sklearn

    print(f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}")
    try:
        import feature_engine

        print(f"feature-engine {feature_engine.__version__}")
    except ImportError:
        print("feature-engine not installed", file=sys.stderr)
    all_rows = []
    for name, X, y, truth in _datasets():
        all_rows.extend(section_correlation(X, y, truth, name, n_jobs=None))
    _print_table(all_rows)
    _print_ratios(all_rows)
