"""Benchmark recipes for the fusion estimators of :mod:`sktricks.ensemble`.

They combine the baseline recipes' models, so a run that names them next to
the baselines shows what fusion adds. None is a default recipe.
"""

from __future__ import annotations

from typing import Any

from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.base import BaseEstimator
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from xgboost import XGBClassifier, XGBRegressor

from sktricks.bench._recipes import get_recipe, register_recipe
from sktricks.ensemble import (
    AveragingClassifier,
    EnsembleSelectionClassifier,
    EnsembleSelectionRegressor,
    StackingClassifier,
    StackingRegressor,
)

_BASELINES = ("linear", "random_forest", "lightgbm", "xgboost")


def _baselines(task: str, random_state: int) -> list[tuple[str, Any]]:
    return [(name, get_recipe(name).build(task, random_state)) for name in _BASELINES]


@register_recipe(
    "stack",
    description="Out-of-fold stack of the four baseline models (5 folds, "
    "fold models averaged, guarded)",
)
def _build_stack(task: str, random_state: int) -> BaseEstimator:
    if task == "regression":
        return StackingRegressor(_baselines(task, random_state))
    return StackingClassifier(_baselines(task, random_state))


@register_recipe(
    "ensemble_selection",
    description="Caruana ensemble selection over the four baseline models",
)
def _build_selection(task: str, random_state: int) -> BaseEstimator:
    models = _baselines(task, random_state)
    if task == "regression":
        return EnsembleSelectionRegressor(models, random_state=random_state)
    return EnsembleSelectionClassifier(models, random_state=random_state)


@register_recipe(
    "rank_average",
    tasks=("binary",),
    description="Rank average of the four baseline models",
)
def _build_rank_average(task: str, random_state: int) -> BaseEstimator:
    return AveragingClassifier(_baselines(task, random_state), method="rank")


def _dense_preprocess(scale: bool) -> Any:
    numeric = [SimpleImputer(strategy="median")]
    if scale:
        numeric.append(StandardScaler())
    return make_column_transformer(
        (make_pipeline(*numeric), make_column_selector(dtype_exclude="category")),
        (
            OneHotEncoder(handle_unknown="ignore", sparse_output=False)
            if scale
            else OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=-1,
                encoded_missing_value=-1,
            ),
            make_column_selector(dtype_include="category"),
        ),
    )


def strong_models(task: str, random_state: int) -> list[tuple[str, Any]]:
    """The model families of AutoGluon-Tabular's ``medium_quality`` preset."""
    regression = task == "regression"
    # Early stopping (``early_stopping="inner"`` below) picks the number of
    # rounds per fold, so n_estimators is only a ceiling.
    boost: dict[str, Any] = {
        "n_estimators": 2000,
        "learning_rate": 0.03,
        "n_jobs": 1,
        "random_state": random_state,
    }
    forest: dict[str, Any] = {
        "n_estimators": 300,
        "min_samples_leaf": 2,
        "n_jobs": 1,
        "random_state": random_state,
    }
    lgbm = (LGBMRegressor if regression else LGBMClassifier)(
        num_leaves=31, verbose=-1, **boost
    )
    xgb = (XGBRegressor if regression else XGBClassifier)(
        tree_method="hist", enable_categorical=True, max_depth=6, **boost
    )
    rf = (RandomForestRegressor if regression else RandomForestClassifier)(**forest)
    et = (ExtraTreesRegressor if regression else ExtraTreesClassifier)(**forest)
    knn = (KNeighborsRegressor if regression else KNeighborsClassifier)(
        n_neighbors=15, weights="distance"
    )
    return [
        ("lightgbm", lgbm),
        ("xgboost", xgb),
        ("random_forest", make_pipeline(_dense_preprocess(False), rf)),
        ("extra_trees", make_pipeline(_dense_preprocess(False), et)),
        ("knn", make_pipeline(_dense_preprocess(True), knn)),
        ("linear", get_recipe("linear").build(task, random_state)),
    ]


@register_recipe(
    "strong",
    description="Ensemble selection over early-stopped LightGBM and XGBoost, "
    "random forest, extra trees, k-nearest neighbours and a linear model",
)
def _build_strong(task: str, random_state: int) -> BaseEstimator:
    models = strong_models(task, random_state)
    settings: dict[str, Any] = {
        "n_init": 1,
        "early_stopping": "inner",
        "random_state": random_state,
    }
    if task == "regression":
        return EnsembleSelectionRegressor(models, **settings)
    scoring = "roc_auc" if task == "binary" else None
    return EnsembleSelectionClassifier(models, scoring=scoring, **settings)
