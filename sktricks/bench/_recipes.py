"""Named pipeline builders ("recipes") that ``sktricks bench`` compares.

A recipe is a function ``builder(task, random_state)`` that returns an
unfitted scikit-learn estimator for a task (``"binary"``, ``"multiclass"``
or ``"regression"``). The estimator receives the dataset as loaded by
:func:`sktricks.datasets.load_openml`: a DataFrame whose categorical columns
are pandas ``category`` and whose other columns are float64 with NaN for
missing values. Class labels arrive encoded as ``0 .. n_classes - 1``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.base import BaseEstimator
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from xgboost import XGBClassifier, XGBRegressor

__all__ = [
    "Recipe",
    "get_recipe",
    "list_recipes",
    "register_recipe",
    "unregister_recipe",
]

TASKS = ("binary", "multiclass", "regression")

RecipeBuilder = Callable[[str, int], BaseEstimator]


@dataclass(frozen=True)
class Recipe:
    """A named estimator builder registered for ``sktricks bench``.

    Attributes
    ----------
    name : str
        The name used on the command line (``--recipes NAME``).
    builder : callable
        ``builder(task, random_state)`` returning an unfitted estimator.
    description : str
        One line shown by ``sktricks bench --list``.
    tasks : tuple of str
        Tasks the recipe supports; cells of other tasks are not run.
    default : bool
        Whether a run without ``--recipes`` includes the recipe.
    """

    name: str
    builder: RecipeBuilder
    description: str
    tasks: tuple[str, ...] = TASKS
    default: bool = False

    def build(self, task: str, random_state: int) -> BaseEstimator:
        """Return a new unfitted estimator for ``task``."""
        return self.builder(task, random_state)


_REGISTRY: dict[str, Recipe] = {}


def register_recipe(
    name: str,
    *,
    description: str,
    tasks: tuple[str, ...] = TASKS,
    default: bool = False,
    replace: bool = False,
) -> Callable[[RecipeBuilder], RecipeBuilder]:
    """Register a recipe under ``name``; use as a decorator.

    Parameters
    ----------
    name : str
        Command-line name of the recipe; letters, digits, ``-`` and ``_``.
    description : str
        One line saying what the pipeline is.
    tasks : tuple of str, default=("binary", "multiclass", "regression")
        Tasks the recipe supports.
    default : bool, default=False
        Include the recipe in runs that name no recipes. The four baseline
        recipes are defaults; trick recipes are run by naming them, so the
        default run stays short.
    replace : bool, default=False
        Allow replacing a recipe already registered under ``name``.

    Returns
    -------
    decorator : callable
        Registers the decorated builder and returns it unchanged.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier, DummyRegressor
    >>> from sktricks.bench import register_recipe, get_recipe
    >>> @register_recipe("dummy", description="Constant prediction baseline")
    ... def build_dummy(task, random_state):
    ...     if task == "regression":
    ...         return DummyRegressor()
    ...     return DummyClassifier(strategy="prior")
    >>> get_recipe("dummy").build("binary", random_state=0)
    DummyClassifier()
    >>> unregister_recipe("dummy")
    """
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise ValueError(
            f"Recipe name {name!r} is invalid: use letters, digits, '-' and '_'."
        )
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        raise ValueError(f"Unknown tasks {unknown} for recipe {name!r}; use {TASKS}.")

    def decorator(builder: RecipeBuilder) -> RecipeBuilder:
        if name in _REGISTRY and not replace:
            raise ValueError(
                f"A recipe named {name!r} is already registered; pass "
                "replace=True to replace it."
            )
        _REGISTRY[name] = Recipe(name, builder, description, tuple(tasks), default)
        return builder

    return decorator


def get_recipe(name: str) -> Recipe:
    """Return the recipe registered under ``name``.

    Raises
    ------
    KeyError
        When no recipe has that name; the message lists the registered ones.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"Unknown recipe {name!r}. Registered recipes: {', '.join(_REGISTRY)}."
        ) from None


def unregister_recipe(name: str) -> None:
    """Remove the recipe registered under ``name``.

    Raises
    ------
    KeyError
        When no recipe has that name.
    """
    get_recipe(name)
    del _REGISTRY[name]


def list_recipes() -> list[Recipe]:
    """Return the registered recipes in registration order."""
    return list(_REGISTRY.values())


# The built-in recipes. Each model runs on one thread because the benchmark
# runner parallelises over cells; threads inside cells would compete for the
# same cores.

_categorical = make_column_selector(dtype_include="category")
_numeric = make_column_selector(dtype_exclude="category")


@register_recipe(
    "linear",
    default=True,
    description="Logistic or ridge regression; median imputation, one-hot "
    "encoding and standard scaling",
)
def _build_linear(task: str, random_state: int) -> BaseEstimator:
    preprocess = make_column_transformer(
        (
            make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
            _numeric,
        ),
        (OneHotEncoder(handle_unknown="ignore", sparse_output=False), _categorical),
    )
    if task == "regression":
        return make_pipeline(preprocess, Ridge(alpha=1.0))
    return make_pipeline(preprocess, LogisticRegression(max_iter=2000))


@register_recipe(
    "random_forest",
    default=True,
    description="Random forest, 200 trees; ordinal-encoded categories, "
    "missing values handled by the trees",
)
def _build_random_forest(task: str, random_state: int) -> BaseEstimator:
    preprocess = make_column_transformer(
        (
            OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=-1,
                encoded_missing_value=-1,
            ),
            _categorical,
        ),
        remainder="passthrough",
    )
    forest_cls = (
        RandomForestRegressor if task == "regression" else RandomForestClassifier
    )
    forest = forest_cls(n_estimators=200, n_jobs=1, random_state=random_state)
    return make_pipeline(preprocess, forest)


@register_recipe(
    "lightgbm",
    default=True,
    description="LightGBM, 200 rounds at learning rate 0.05; native "
    "categorical handling",
)
def _build_lightgbm(task: str, random_state: int) -> BaseEstimator:
    params: dict[str, Any] = {
        "n_estimators": 200,
        "learning_rate": 0.05,
        "n_jobs": 1,
        "random_state": random_state,
        "verbose": -1,
    }
    return LGBMRegressor(**params) if task == "regression" else LGBMClassifier(**params)


@register_recipe(
    "xgboost",
    default=True,
    description="XGBoost hist, 200 rounds at learning rate 0.05; native "
    "categorical handling",
)
def _build_xgboost(task: str, random_state: int) -> BaseEstimator:
    params: dict[str, Any] = {
        "n_estimators": 200,
        "learning_rate": 0.05,
        "tree_method": "hist",
        "enable_categorical": True,
        "n_jobs": 1,
        "random_state": random_state,
    }
    return XGBRegressor(**params) if task == "regression" else XGBClassifier(**params)


def _tabular_net(task: str, random_state: int, **tricks: Any) -> BaseEstimator:
    # Imported here so that sktricks.bench never imports torch unless a
    # neural recipe is built; without the extra the ImportError names it.
    from sktricks.torch import TabularNetClassifier, TabularNetRegressor

    # The nets reject NaN; categories keep their pandas dtype through the
    # pandas output, so each one still gets an embedding.
    impute = make_column_transformer(
        (SimpleImputer(strategy="median"), _numeric),
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    params: dict[str, Any] = {
        "hidden_sizes": (128, 64),
        "max_epochs": 30,
        "batch_size": 128,
        "lr": 2e-3,
        "random_state": random_state,
        **tricks,
    }
    if task == "regression":
        params.pop("label_smoothing", None)
        return make_pipeline(impute, TabularNetRegressor(**params))
    return make_pipeline(impute, TabularNetClassifier(**params))


@register_recipe(
    "mlp",
    description="Tabular MLP (128, 64) with category embeddings, 30 epochs of "
    "AdamW; median imputation (needs sktricks[torch])",
)
def _build_mlp(task: str, random_state: int) -> BaseEstimator:
    return _tabular_net(task, random_state)


@register_recipe(
    "mlp_tricks",
    description="The mlp recipe plus 10% warm-up with cosine decay, "
    "Lookahead, EMA 0.99, FGM and label smoothing 0.05 (needs sktricks[torch])",
)
def _build_mlp_tricks(task: str, random_state: int) -> BaseEstimator:
    return _tabular_net(
        task,
        random_state,
        warmup=0.1,
        lr_decay="cosine",
        lookahead=True,
        ema=0.99,
        adversarial="fgm",
        label_smoothing=0.05,
    )
