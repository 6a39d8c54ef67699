"""Input checks of the fusion estimators that name the value and the fix."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import is_regressor
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight

from sktricks.exceptions import SktricksWarning


def check_target_shape(y: Any, classifier: bool, owner: str) -> None:
    """Raise when ``y`` has several columns: the ensembles fit one target.

    A column vector of shape (n_samples, 1) passes; ``prepare_target``
    flattens it.
    """
    shape = getattr(y, "shape", None)
    if shape is None:
        shape = np.shape(np.asarray(y, dtype=object))
    if len(shape) < 2 or (len(shape) == 2 and shape[1] == 1):
        return
    kind = "multilabel" if classifier else "multi-output"
    if not sparse.issparse(y):
        kind = type_of_target(y)
    wrapper = "MultiOutputClassifier" if classifier else "MultiOutputRegressor"
    raise ValueError(
        f"{owner} fits one target, but y has shape {tuple(shape)} ({kind}). "
        f"Wrap the ensemble in sklearn.multioutput.{wrapper} to fit one "
        "ensemble per column, or pass a single column of y."
    )


def check_target_missing(y: Any, owner: str) -> None:
    """Raise when ``y`` has missing values (NaN, None or ``pd.NA``)."""
    missing = np.asarray(pd.isna(pd.Series(np.asarray(y, dtype=object).ravel())))
    if not missing.any():
        return
    rows = np.flatnonzero(missing)
    listed_rows = ", ".join(str(row) for row in rows[:5])
    more = f" and {rows.shape[0] - 5} more" if rows.shape[0] > 5 else ""
    raise ValueError(
        f"y contains {rows.shape[0]} missing values (at positions "
        f"{listed_rows}{more}), but {owner} needs a target on every row. Drop "
        "those rows or impute y before fitting."
    )


def check_sample_weight(sample_weight: Any, X: Any) -> np.ndarray | None:
    """Validate ``sample_weight`` against all rows of ``X``, before any fold.

    Otherwise a wrong length surfaces inside a fold as "expected (96,)",
    the size of that fold's training rows rather than of ``X``.
    """
    if sample_weight is None:
        return None
    try:
        return _check_sample_weight(sample_weight, X, dtype=np.float64)
    except ValueError as error:
        reason = str(error).rstrip()
        if not reason.endswith((".", "!")):
            reason += "."
        raise ValueError(
            f"sample_weight is invalid: {reason} Pass one finite number per row "
            "of X, or None."
        ) from None


def check_class_labels(y: np.ndarray, owner: str) -> None:
    """Raise when a classifier gets a continuous target."""
    kind = type_of_target(y)
    if kind.startswith("continuous"):
        raise ValueError(
            f"{owner} needs class labels, but y is {kind} (for example "
            f"{y[0]!r}). Use the regressor ensemble for a numeric target, or "
            "bin y into classes first."
        )


def numeric_target(y: np.ndarray, owner: str) -> np.ndarray:
    """Return a regression target as floats, rejecting labels and infinity."""
    try:
        values = y.astype(float)
    except (TypeError, ValueError):
        example = next(iter(y.ravel()), None)
        raise ValueError(
            f"{owner} is a regressor and needs a numeric y, but y has dtype "
            f"{y.dtype} with values such as {example!r}. Convert y with "
            "pd.to_numeric, or use the classifier ensemble for class labels."
        ) from None
    infinite = np.flatnonzero(np.isinf(values))
    if infinite.shape[0]:
        raise ValueError(
            f"y contains {infinite.shape[0]} infinite values (first at position "
            f"{infinite[0]}), but {owner} needs finite targets. Drop or clip "
            "those rows before fitting."
        )
    return values


def check_class_counts(
    splitter: Any, y: np.ndarray, classes: np.ndarray, cv: Any
) -> None:
    """Raise when a class has fewer rows than stratified ``cv`` has folds.

    scikit-learn's ``StratifiedKFold`` only warns. A class with one row is
    then missing from the training rows of its fold, so that fold gives it
    a placeholder probability of 0. A class with a few rows is learned from
    fewer rows in some folds than in others.
    """
    if not isinstance(splitter, StratifiedKFold):
        return
    counts = np.bincount(np.searchsorted(classes, y), minlength=classes.shape[0])
    rare = np.flatnonzero(counts < splitter.n_splits)
    if rare.shape[0] == 0:
        return
    labels = classes.tolist()
    listed = ", ".join(f"{labels[i]!r} ({_rows(counts[i])})" for i in rare[:5])
    smallest = int(counts.min())
    fix = (
        f"Pass cv={smallest} or fewer folds, or merge or drop the rare classes."
        if smallest >= 2
        else "Merge or drop the classes with one row: no fold count can put "
        "them in both a training and a held-out fold."
    )
    raise ValueError(
        f"Classes with fewer rows than the {splitter.n_splits} folds of "
        f"cv={cv!r}: {listed}. Stratified folds need at least as many rows of "
        "each class as folds, so that every fold trains on and holds out each "
        "class. " + fix
    )


def check_holdout_classes(y: np.ndarray, classes: np.ndarray, owner: str) -> None:
    """Raise when a class has one row, which a stratified holdout cannot split."""
    counts = np.bincount(np.searchsorted(classes, y), minlength=classes.shape[0])
    single = np.flatnonzero(counts < 2)
    if single.shape[0] == 0:
        return
    labels = [classes.tolist()[i] for i in single[:5]]
    raise ValueError(
        f"{owner} holds out a stratified share of every class, but the classes "
        f"{labels} have one row each. Merge or drop those classes, or add rows."
    )


def _rows(count: int) -> str:
    return "1 row" if count == 1 else f"{count} rows"


def warn_missing_classes(
    folds: list[tuple[np.ndarray, np.ndarray]], y: np.ndarray, classes: np.ndarray
) -> None:
    """Warn when a training fold lacks classes that ``y`` contains.

    The fold's models then give those classes probability 0, which is a
    placeholder rather than a prediction. An unshuffled ``KFold`` on rows
    sorted by class produces such folds.
    """
    for number, (train, _) in enumerate(folds):
        absent = np.setdiff1d(classes, y[train])
        if absent.shape[0]:
            warnings.warn(
                f"The training rows of fold {number} contain no row of the "
                f"classes {absent.tolist()}, so that fold's models give them "
                "probability 0. Use stratified folds, for example "
                "StratifiedKFold(shuffle=True), or fewer folds.",
                SktricksWarning,
                stacklevel=2,
            )
            return


def check_probability_model(name: str, estimator: Any, owner: str) -> None:
    """Raise unless ``estimator`` is a classifier with ``predict_proba``.

    Averaging and ensemble selection combine class probabilities, so a
    model without them cannot take part.
    """
    label = f"Base model {name!r} ({type(estimator).__name__})"
    if is_regressor(estimator):
        raise ValueError(
            f"{label} is a regressor, but {owner} averages class probabilities. "
            "Use a classifier, or a StackingClassifier, which feeds a "
            "regressor's predictions to its final estimator."
        )
    if not hasattr(estimator, "predict_proba"):
        raise ValueError(
            f"{label} has no predict_proba, but {owner} averages class "
            "probabilities. Wrap it in sklearn.calibration.CalibratedClassifierCV, "
            "enable its probabilities (for example SVC(probability=True)), or "
            "use a StackingClassifier, which also takes decision_function."
        )
