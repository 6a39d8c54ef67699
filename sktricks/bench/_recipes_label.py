"""Benchmark recipes for the label tricks and neighbour-label features.

None of them is a default recipe; run them by name, for example
``sktricks bench --recipes lightgbm label_smoothing can``.
"""

from __future__ import annotations

from typing import Any

from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.base import BaseEstimator
from sklearn.ensemble import StackingClassifier, StackingRegressor
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.pipeline import make_pipeline

from sktricks.bench._recipes import (
    _build_linear,
    _build_random_forest,
    register_recipe,
)
from sktricks.features import NeighborLabelFeatures
from sktricks.label import (
    CANClassifier,
    DistilledClassifier,
    DistilledRegressor,
    LabelSmoothingClassifier,
)

_CLASSIFICATION = ("binary", "multiclass")


def _lightgbm_params(random_state: int) -> dict[str, Any]:
    # The same settings as the "lightgbm" recipe, so each trick is compared
    # with an identical base model.
    return {
        "n_estimators": 200,
        "learning_rate": 0.05,
        "n_jobs": 1,
        "random_state": random_state,
        "verbose": -1,
    }


@register_recipe(
    "label_smoothing",
    tasks=_CLASSIFICATION,
    description="LightGBM (as the lightgbm recipe) trained on labels smoothed by 0.1",
)
def _build_label_smoothing(task: str, random_state: int) -> BaseEstimator:
    base = LGBMClassifier(**_lightgbm_params(random_state))
    return LabelSmoothingClassifier(base, smoothing=0.1)


@register_recipe(
    "can",
    tasks=_CLASSIFICATION,
    description="LightGBM (as the lightgbm recipe) with alternating normalization "
    "of predictions whose top-3 entropy exceeds 0.9",
)
def _build_can(task: str, random_state: int) -> BaseEstimator:
    base = LGBMClassifier(**_lightgbm_params(random_state))
    return CANClassifier(base, threshold=0.9, cv=5)


@register_recipe(
    "distilled_stack",
    description="LightGBM regressor distilled from a stack of the linear, "
    "random_forest and lightgbm recipes",
)
def _build_distilled_stack(task: str, random_state: int) -> BaseEstimator:
    params = _lightgbm_params(random_state)
    members = [
        ("linear", _build_linear(task, random_state)),
        ("random_forest", _build_random_forest(task, random_state)),
    ]
    student = LGBMRegressor(**params)
    if task == "regression":
        members.append(("lightgbm", LGBMRegressor(**params)))
        stack = StackingRegressor(members, final_estimator=RidgeCV(), cv=3)
        return DistilledRegressor(stack, student, cv=3)
    members.append(("lightgbm", LGBMClassifier(**params)))
    stack = StackingClassifier(
        members, final_estimator=LogisticRegression(max_iter=1000), cv=3
    )
    return DistilledClassifier(stack, student, cv=3)


@register_recipe(
    "neighbor_features",
    description="The linear recipe's preprocessing, then the class shares or "
    "mean target of the 10 nearest training rows (out of fold) next to the "
    "features, then LightGBM",
)
def _build_neighbor_features(task: str, random_state: int) -> BaseEstimator:
    preprocess = _build_linear(task, random_state).steps[0][1]
    params = _lightgbm_params(random_state)
    model = (
        LGBMRegressor(**params) if task == "regression" else LGBMClassifier(**params)
    )
    return make_pipeline(
        preprocess, NeighborLabelFeatures(n_neighbors=10, passthrough=True), model
    )
