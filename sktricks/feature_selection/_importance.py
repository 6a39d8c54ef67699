"""Per-feature scores of a fitted model, and the stability of selections.

``feature_importance`` turns a fitted model (and, for ``"shap"`` and
``"permutation"``, held-out rows) into one score per input column.
``selection_stability`` measures how much repeated selections agree.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

__all__ = ["IMPORTANCE_OPTIONS", "feature_importance", "selection_stability"]

IMPORTANCE_OPTIONS = ("auto", "gain", "split", "shap", "permutation")

# The importances that need held-out rows and their target.
NEEDS_HELD_OUT = ("shap", "permutation")


def feature_importance(
    model: Any,
    importance: str,
    n_features: int,
    *,
    X_eval: Any = None,
    y_eval: Any = None,
    sample_weight: Any = None,
    scoring: Any = None,
    n_repeats: int = 5,
    random_state: Any = None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Score each input feature of a fitted model.

    Parameters
    ----------
    model : fitted estimator
        The model to score.
    importance : {"auto", "gain", "split", "shap", "permutation"}
        ``"auto"`` reads ``feature_importances_``, or the absolute ``coef_``
        averaged over outputs. ``"gain"`` and ``"split"`` read the total gain
        or the number of splits of LightGBM, XGBoost and scikit-learn tree
        models. ``"shap"`` is the mean absolute TreeSHAP value on ``X_eval``
        (averaged over classes). ``"permutation"`` is the mean drop of
        ``scoring`` on ``X_eval`` when a column is shuffled.
    n_features : int
        Number of input columns the model was fitted on.
    X_eval, y_eval : array-like, default=None
        Held-out rows and their target, for ``"shap"`` and ``"permutation"``.
    sample_weight : array-like, default=None
        Weights of ``X_eval``'s rows for ``"permutation"``.
    scoring : str or callable, default=None
        Scorer for ``"permutation"``; ``None`` uses the model's ``score``.
    n_repeats : int, default=5
        Shuffles per column for ``"permutation"``.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffles of ``"permutation"``.
    n_jobs : int, default=None
        Columns scored in parallel by ``"permutation"``.

    Returns
    -------
    scores : ndarray of shape (n_features,)
        Score of each column; larger is more important. Permutation scores
        can be negative.

    Raises
    ------
    TypeError
        When the model cannot give the requested importance. The message
        names the model and the ``importance`` that works for it.
    """
    if importance == "auto":
        scores = _auto_importance(model)
    elif importance in ("gain", "split"):
        scores = _tree_importance(model, importance)
    elif importance == "shap":
        scores = _shap_importance(model, X_eval, n_features)
    else:
        result = permutation_importance(
            model,
            X_eval,
            y_eval,
            scoring=scoring,
            n_repeats=n_repeats,
            random_state=random_state,
            n_jobs=n_jobs,
            sample_weight=sample_weight,
        )
        scores = result.importances_mean

    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.shape[0] != n_features:
        raise TypeError(
            f"{_name(model)} returned {scores.shape[0]} importances for "
            f"{n_features} input columns with importance={importance!r}, "
            "which happens when a pipeline changes the columns; use "
            "importance='permutation', which scores the input columns."
        )
    return scores


def selection_stability(masks: Any) -> float:
    """Return the mean pairwise Jaccard index of boolean selection masks.

    The Jaccard index of two selections is the size of their intersection
    over the size of their union. Two empty selections count as identical
    (index 1), and fewer than two masks give a stability of 1.

    Parameters
    ----------
    masks : array-like of shape (n_selections, n_features)
        One boolean row per selection (per fold or per run).

    Returns
    -------
    stability : float
        In [0, 1]; 1 means every selection kept the same features.

    Examples
    --------
    >>> from sktricks.feature_selection import selection_stability
    >>> selection_stability([[True, True, False], [True, False, False]])
    0.5
    """
    try:
        raw = np.asarray(masks)
    except ValueError as error:
        lengths = sorted({len(row) for row in masks})
        raise ValueError(
            "masks must have one row per selection, every row as long as the "
            f"number of features, but the rows have lengths {lengths}."
        ) from error
    is_flags = raw.dtype.kind == "b" or (
        raw.dtype.kind in "iu" and bool(np.isin(raw, (0, 1)).all())
    )
    if raw.size and not is_flags:
        raise ValueError(
            f"masks must hold booleans (or 0 and 1), one per feature, but got "
            f"dtype {raw.dtype}. To compare lists of selected indices or names, "
            "turn each into a mask first, for example "
            "np.isin(np.arange(n_features), indices)."
        )
    rows = raw.astype(bool)
    if rows.ndim != 2:
        raise ValueError(
            f"masks must be 2-dimensional (one row per selection), got shape "
            f"{rows.shape}."
        )
    if rows.shape[0] < 2:
        return 1.0
    indices = []
    for a, b in combinations(range(rows.shape[0]), 2):
        union = np.count_nonzero(rows[a] | rows[b])
        both = np.count_nonzero(rows[a] & rows[b])
        indices.append(1.0 if union == 0 else both / union)
    return float(np.mean(indices))


def _name(model: Any) -> str:
    return type(model).__name__


def _final_step(model: Any) -> Any:
    return model[-1] if isinstance(model, Pipeline) else model


def _auto_importance(model: Any) -> np.ndarray:
    if hasattr(model, "feature_importances_"):
        return np.asarray(model.feature_importances_)
    if hasattr(model, "coef_"):
        coef = np.abs(np.atleast_2d(np.asarray(model.coef_, dtype=np.float64)))
        return coef.mean(axis=0)
    raise TypeError(
        f"{_name(model)} has neither feature_importances_ nor coef_, so "
        "importance='auto' cannot score its features. Use "
        "importance='permutation', which works with any estimator."
    )


def _tree_importance(model: Any, importance: str) -> np.ndarray:
    booster = getattr(model, "booster_", None)
    if booster is not None and hasattr(booster, "feature_importance"):
        # LightGBM: "gain" is the total gain of the splits on each feature.
        return np.asarray(booster.feature_importance(importance_type=importance))

    if hasattr(model, "get_booster"):
        return _xgboost_importance(model, importance)

    sklearn_tree = hasattr(model, "tree_") or hasattr(model, "estimators_")
    if importance == "gain" and sklearn_tree and hasattr(model, "feature_importances_"):
        # scikit-learn's impurity decrease is the gain of its splits.
        return np.asarray(model.feature_importances_)
    raise TypeError(
        f"{_name(model)} does not report importance={importance!r}; that "
        "needs a LightGBM or XGBoost model (or a scikit-learn tree model for "
        "'gain'). Use importance='auto' for feature_importances_ or coef_, "
        "or importance='permutation', which works with any estimator."
    )


def _xgboost_importance(model: Any, importance: str) -> np.ndarray:
    booster = model.get_booster()
    kind = "total_gain" if importance == "gain" else "weight"
    by_name = booster.get_score(importance_type=kind)
    names = booster.feature_names
    if names is None:
        names = [f"f{i}" for i in range(booster.num_features())]
    # XGBoost leaves out the features no tree splits on.
    return np.array([by_name.get(name, 0.0) for name in names], dtype=np.float64)


def _shap_importance(model: Any, X_eval: Any, n_features: int) -> np.ndarray:
    if isinstance(model, Pipeline):
        raise TypeError(
            f"importance='shap' needs a tree model, not a Pipeline ending in "
            f"{_name(_final_step(model))}; use importance='permutation', "
            "which scores the pipeline's input columns."
        )

    booster = getattr(model, "booster_", None)
    if booster is not None and hasattr(booster, "feature_importance"):
        # LightGBM's own TreeSHAP: one block of n_features + 1 columns (the
        # last is the expected value) per class, also for category columns.
        contributions = np.asarray(model.predict(X_eval, pred_contrib=True))
        blocks = contributions.reshape(contributions.shape[0], -1, n_features + 1)
        return np.abs(blocks[:, :, :n_features]).mean(axis=(0, 1))

    if hasattr(model, "get_booster"):
        return _xgboost_shap(model, X_eval, n_features)

    return _shap_package_importance(model, X_eval)


def _xgboost_shap(model: Any, X_eval: Any, n_features: int) -> np.ndarray:
    import xgboost

    matrix = xgboost.DMatrix(X_eval, enable_categorical=True)
    contributions = np.asarray(model.get_booster().predict(matrix, pred_contribs=True))
    # Binary and regression: (n, n_features + 1); multiclass: (n, k, n + 1).
    blocks = contributions.reshape(contributions.shape[0], -1, n_features + 1)
    return np.abs(blocks[:, :, :n_features]).mean(axis=(0, 1))


def _shap_package_importance(model: Any, X_eval: Any) -> np.ndarray:
    import shap

    try:
        explainer = shap.TreeExplainer(model)
    except Exception as error:  # shap raises a bare Exception for non-trees
        raise TypeError(
            f"importance='shap' needs a tree model that shap.TreeExplainer "
            f"supports, but got {_name(model)} ({error}). Use "
            "importance='permutation', which works with any estimator."
        ) from error

    frame = X_eval if isinstance(X_eval, pd.DataFrame) else np.asarray(X_eval)
    # check_additivity fails on float32 rounding for large forests.
    values = explainer(frame, check_additivity=False).values  # noqa: PD011
    # shap >= 0.45 stacks classes on the last axis: (n, n_features, k).
    values = np.abs(np.asarray(values, dtype=np.float64))
    if values.ndim == 3:
        return values.mean(axis=(0, 2))
    return values.mean(axis=0)
