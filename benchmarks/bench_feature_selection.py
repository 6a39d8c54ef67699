"""Feature selectors of sktricks against their peers, side by side.

Two data sets from ``make_classification(shuffle=False, random_state=0)``,
where the informative and redundant columns come first and are the truth:

* ``small``: 2,000 rows x 100 columns, 10 informative;
* ``large``: 10,000 rows x 500 columns, 20 informative and 20 redundant.

Each section runs sktricks and its peers on the same data in this process,
one after the other, and reports precision, recall and F1 of the selected
columns against the truth, and the wall time. The peers are BorutaPy
(``boruta``, random forest as in its README), probatus' ``ShapRFECV`` and
scikit-learn's ``RFECV``. A peer that is not installed gives a row with no
time and a note. Peers: ``pip install -r benchmarks/requirements.txt``.

Targets: ``BorutaSelector`` F1 at least BorutaPy's in at most 0.2x its
time; ``ShapRFECV`` no slower than probatus' ``ShapRFECV``.

Run from the repository root::

    python benchmarks/bench_feature_selection.py --datasets small large
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import RFECV
from sklearn.model_selection import StratifiedKFold

from sktricks.feature_selection import (
    BorutaSelector,
    NullImportanceSelector,
    ShapRFECV,
)
from sktricks.feature_selection._model_based import default_estimator

DATASETS = {
    "small": {"n_samples": 2_000, "n_features": 100, "n_informative": 10},
    "large": {
        "n_samples": 10_000,
        "n_features": 500,
        "n_informative": 20,
        "n_redundant": 20,
    },
}

# The RFE sections drop 20% of the remaining columns per step: one column per
# step would need 100 and 500 steps of 5 folds each.
RFE_STEP = 0.2
RFE_FOLDS = 5

# Set by --skip-peers: run only the sktricks rows (the peers take tens of
# minutes on the large data set on two cores).
RUN_PEERS = True


def make_dataset(name: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Build a data set and the mask of its informative and redundant columns."""
    spec = {"n_redundant": 0, **DATASETS[name]}
    X, y = make_classification(**spec, shuffle=False, random_state=0)
    truth = np.zeros(spec["n_features"], dtype=bool)
    truth[: spec["n_informative"] + spec["n_redundant"]] = True
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    return frame, y, truth


def score_row(
    dataset: str, method: str, mask: Any, truth: np.ndarray, seconds: float | None
) -> dict[str, Any]:
    """Return a result row for a selection mask (``None`` when not run)."""
    if mask is None:
        return {
            "dataset": dataset,
            "method": method,
            "n_selected": None,
            "precision": None,
            "recall": None,
            "f1": None,
            "seconds": seconds,
        }
    mask = np.asarray(mask, dtype=bool)
    true_positives = np.count_nonzero(mask & truth)
    precision = true_positives / max(np.count_nonzero(mask), 1)
    recall = true_positives / np.count_nonzero(truth)
    f1 = 0.0 if true_positives == 0 else 2 * precision * recall / (precision + recall)
    return {
        "dataset": dataset,
        "method": method,
        "n_selected": int(np.count_nonzero(mask)),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "seconds": seconds,
    }


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def missing_peer(dataset: str, method: str, error: Exception) -> dict[str, Any]:
    row = score_row(dataset, method, None, np.zeros(1, dtype=bool), None)
    row["note"] = f"not run: {error}"
    return row


def section_boruta(X, y, truth, name, n_jobs):
    """BorutaSelector (LightGBM) against BorutaPy (random forest)."""
    rows = []
    try:
        from boruta import BorutaPy
    except ImportError as error:
        rows.append(missing_peer(name, "boruta BorutaPy", error))
        BorutaPy = None
    if RUN_PEERS and BorutaPy is not None:
        # The forest of BorutaPy's README example.
        forest = RandomForestClassifier(
            n_jobs=n_jobs, class_weight="balanced", max_depth=5
        )
        peer = BorutaPy(forest, n_estimators="auto", random_state=0)
        _, seconds = timed(lambda: peer.fit(X.to_numpy(), y))
        rows.append(score_row(name, "boruta BorutaPy", peer.support_, truth, seconds))

    ours = BorutaSelector(random_state=0, n_jobs=n_jobs)
    _, seconds = timed(lambda: ours.fit(X, y))
    row = score_row(name, "sktricks BorutaSelector", ours.support_, truth, seconds)
    row["note"] = f"{ours.n_iter_} iterations"
    rows.append(row)
    return rows


def section_shap_rfe(X, y, truth, name, n_jobs):
    """ShapRFECV against probatus' ShapRFECV and scikit-learn's RFECV.

    All three fit the same LightGBM model on the same stratified folds and
    pick the step with the best mean held-out accuracy.
    """
    folds = StratifiedKFold(RFE_FOLDS, shuffle=True, random_state=0)
    model = default_estimator(classification=True, n_jobs=1).set_params(random_state=0)
    rows = []
    try:
        from probatus.feature_elimination import ShapRFECV as ProbatusShapRFECV
    except ImportError as error:
        rows.append(missing_peer(name, "probatus ShapRFECV", error))
        ProbatusShapRFECV = None
    if RUN_PEERS and ProbatusShapRFECV is not None:
        peer = ProbatusShapRFECV(
            model,
            step=RFE_STEP,
            cv=folds,
            scoring="accuracy",
            n_jobs=n_jobs,
            random_state=0,
        )

        def run_probatus():
            peer.fit_compute(X, y)
            return peer.get_reduced_features_set(num_features="best")

        selected, seconds = timed(run_probatus)
        mask = X.columns.isin(list(selected))
        rows.append(score_row(name, "probatus ShapRFECV", mask, truth, seconds))

    ours = ShapRFECV(
        model,
        step=RFE_STEP,
        cv=folds,
        scoring="accuracy",
        random_state=0,
        n_jobs=n_jobs,
    )
    _, seconds = timed(lambda: ours.fit(X, y))
    rows.append(score_row(name, "sktricks ShapRFECV", ours.support_, truth, seconds))

    if RUN_PEERS:
        rfecv = RFECV(model, step=RFE_STEP, cv=folds, scoring="accuracy", n_jobs=n_jobs)
        _, seconds = timed(lambda: rfecv.fit(X, y))
        rows.append(
            score_row(name, "scikit-learn RFECV", rfecv.support_, truth, seconds)
        )
    return rows


def section_null_importance(X, y, truth, name, n_jobs):
    """NullImportanceSelector in its default configuration (no peer library)."""
    ours = NullImportanceSelector(random_state=0, n_jobs=n_jobs)
    _, seconds = timed(lambda: ours.fit(X, y))
    row = score_row(
        name, "sktricks NullImportanceSelector", ours.support_, truth, seconds
    )
    row["note"] = f"stability {ours.stability_:.3f}"
    return [row]


SECTIONS = [section_boruta, section_shap_rfe, section_null_importance]

try:
    # Sections of other selectors live in sibling files; each is optional.
    from _fs_sections_correlation import (  # type: ignore[import-not-found]
        SECTIONS as CORRELATION_SECTIONS,
    )
except ImportError:
    CORRELATION_SECTIONS = []
SECTIONS += CORRELATION_SECTIONS


def format_table(rows: list[dict[str, Any]]) -> str:
    """Render the rows as a Markdown table."""
    lines = [
        "| dataset | method | selected | precision | recall | F1 | seconds | note |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]

    def number(value, digits=3):
        return "-" if value is None else f"{value:.{digits}f}"

    for row in rows:
        selected = "-" if row["n_selected"] is None else str(row["n_selected"])
        lines.append(
            f"| {row['dataset']} | {row['method']} | {selected} | "
            f"{number(row['precision'])} | {number(row['recall'])} | "
            f"{number(row['f1'])} | {number(row['seconds'], 1)} | "
            f"{row.get('note', '')} |"
        )
    return "\n".join(lines)


def format_targets(rows: list[dict[str, Any]]) -> str:
    """Compare each sktricks selector with its target peer, per data set."""
    by_key = {(row["dataset"], row["method"]): row for row in rows}
    pairs = [
        ("sktricks BorutaSelector", "boruta BorutaPy", 0.2),
        ("sktricks ShapRFECV", "probatus ShapRFECV", 1.0),
    ]
    lines = []
    for dataset in dict.fromkeys(row["dataset"] for row in rows):
        for ours_name, peer_name, max_ratio in pairs:
            ours = by_key.get((dataset, ours_name))
            peer = by_key.get((dataset, peer_name))
            if ours is None or peer is None or peer["seconds"] is None:
                continue
            ratio = ours["seconds"] / peer["seconds"]
            f1_ok = ours["f1"] >= peer["f1"]
            time_ok = ratio <= max_ratio
            lines.append(
                f"{dataset}: {ours_name} / {peer_name}: time ratio {ratio:.3f} "
                f"(target <= {max_ratio}), F1 {ours['f1']:.3f} vs "
                f"{peer['f1']:.3f} -> {'met' if f1_ok and time_ok else 'NOT met'}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", choices=sorted(DATASETS), default=["small", "large"]
    )
    parser.add_argument(
        "--sections",
        nargs="+",
        default=None,
        help="section function names to run, such as section_boruta (default: all)",
    )
    parser.add_argument(
        "--n-jobs", type=int, default=2, help="threads or processes per method"
    )
    parser.add_argument(
        "--skip-peers", action="store_true", help="run only the sktricks selectors"
    )
    args = parser.parse_args()
    global RUN_PEERS
    RUN_PEERS = not args.skip_peers

    sections = [
        section
        for section in SECTIONS
        if args.sections is None or section.__name__ in args.sections
    ]
    rows: list[dict[str, Any]] = []
    for name in args.datasets:
        X, y, truth = make_dataset(name)
        for section in sections:
            new_rows = section(X, y, truth, name, args.n_jobs)
            for row in new_rows:
                print(row, flush=True)
            rows.extend(new_rows)

    print()
    print(format_table(rows))
    print()
    print(format_targets(rows))


if __name__ == "__main__":
    main()
