"""Benchmark recipes: the ``lightgbm`` recipe after a feature selector.

None of them is a default recipe; run them by name, for example
``sktricks bench --recipes lightgbm boruta_lightgbm null_importance_lightgbm``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import validate_data

from sktricks.bench._recipes import _build_lightgbm, register_recipe
from sktricks.feature_selection import (
    BorutaSelector,
    NullImportanceSelector,
    ShapRFECV,
)
from sktricks.feature_selection._model_based import ModelBasedSelector


class _KeepAllIfNoneSelected(ModelBasedSelector):
    """Apply a selector, but keep every column when it selects none.

    A benchmark dataset where no feature passes the test would otherwise
    leave the model with no columns, and the cell would fail instead of
    scoring the plain model.
    """

    def __init__(self, selector: Any) -> None:
        self.selector = selector

    def fit(self, X: Any, y: Any) -> _KeepAllIfNoneSelected:
        validate_data(self, X, reset=True, skip_check_array=True)
        self.selector_ = clone(self.selector).fit(X, y)
        support = self.selector_.get_support()
        self.support_ = support if support.any() else np.ones_like(support)
        return self


def _after(selector: Any, task: str, random_state: int) -> BaseEstimator:
    return make_pipeline(
        _KeepAllIfNoneSelected(selector), _build_lightgbm(task, random_state)
    )


@register_recipe(
    "boruta_lightgbm",
    description="LightGBM (as the lightgbm recipe) on the features BorutaSelector "
    "accepts",
)
def _build_boruta(task: str, random_state: int) -> BaseEstimator:
    return _after(BorutaSelector(random_state=random_state), task, random_state)


@register_recipe(
    "null_importance_lightgbm",
    description="LightGBM (as the lightgbm recipe) on the features whose gain "
    "beats the 95th percentile of 50 shuffled-target fits",
)
def _build_null_importance(task: str, random_state: int) -> BaseEstimator:
    selector = NullImportanceSelector(random_state=random_state)
    return _after(selector, task, random_state)


@register_recipe(
    "shap_rfe_lightgbm",
    description="LightGBM (as the lightgbm recipe) on the features SHAP "
    "recursive elimination keeps (20% per step, 5 folds)",
)
def _build_shap_rfe(task: str, random_state: int) -> BaseEstimator:
    selector = ShapRFECV(step=0.2, random_state=random_state)
    return _after(selector, task, random_state)
