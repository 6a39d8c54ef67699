"""Model families, the space their SHAP values live in, and that output."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import is_classifier
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model._base import LinearClassifierMixin, LinearModel
from sklearn.tree import BaseDecisionTree

_SKLEARN_BOOSTED = (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
_SKLEARN_TREES = (
    BaseDecisionTree,
    RandomForestClassifier,
    RandomForestRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
)


def _library(estimator: Any) -> str:
    return type(estimator).__module__.split(".")[0]


def is_boosted(estimator: Any) -> bool:
    """Return whether the estimator is a gradient-boosted tree ensemble."""
    return _library(estimator) in {"lightgbm", "xgboost", "catboost"} or isinstance(
        estimator, _SKLEARN_BOOSTED
    )


def model_family(estimator: Any) -> str:
    """Return ``"tree"``, ``"linear"`` or ``"permutation"`` for an estimator."""
    if is_boosted(estimator) or isinstance(estimator, _SKLEARN_TREES):
        return "tree"
    if isinstance(estimator, LinearClassifierMixin | LinearModel):
        return "linear"
    return "permutation"


def output_space(estimator: Any, family: str) -> str:
    """Return the space that ``family``'s explainer explains the model in."""
    if family == "tree" and is_boosted(estimator):
        return "margin"
    if family == "linear":
        return "margin" if is_classifier(estimator) else "prediction"
    if is_classifier(estimator):
        return "probability"
    return "prediction"


def model_output(estimator: Any, X: Any, output: str) -> np.ndarray:
    """Return the model's own output in ``output`` space, shape (n, k)."""
    if output == "probability":
        result = estimator.predict_proba(X)
    elif output == "prediction":
        result = estimator.predict(X)
    else:
        result = _margin(estimator, X)
    result = np.asarray(result, dtype=float)
    return result.reshape(len(result), -1)


def _margin(estimator: Any, X: Any) -> Any:
    library = _library(estimator)
    if library == "lightgbm":
        return estimator.predict(X, raw_score=True)
    if library == "xgboost":
        return estimator.predict(X, output_margin=True)
    if library == "catboost":
        return estimator.predict(X, prediction_type="RawFormulaVal")
    if hasattr(estimator, "decision_function"):
        return estimator.decision_function(X)
    if isinstance(estimator, HistGradientBoostingRegressor):
        # `predict` applies the inverse link (exp for the Poisson and gamma
        # losses) but shap explains the sum of the trees. `_raw_predict` is
        # private, but no public method returns that sum.
        return estimator._raw_predict(X)
    return estimator.predict(X)
