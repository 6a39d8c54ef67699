"""Input checks shared by several sktricks estimators."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval

__all__ = [
    "N_JOBS_CONSTRAINT",
    "check_numeric_columns",
    "check_text_columns",
    "describe_columns",
    "is_lightgbm_or_xgboost",
    "non_numeric_columns",
    "text_as_category",
    "text_columns",
]

# The parameter constraint of every ``n_jobs``: None, -1 and below, or a
# positive count. joblib rejects n_jobs=0 only once work is dispatched,
# after the input checks and often after a first fit.
N_JOBS_CONSTRAINT: list[Any] = [
    Interval(Integral, None, -1, closed="right"),
    Interval(Integral, 1, None, closed="left"),
    None,
]


def non_numeric_columns(X: Any) -> list[Any]:
    """List the columns of a DataFrame that are neither numeric nor boolean.

    ``category`` columns are listed whatever their categories. Non-DataFrame
    input gives an empty list.
    """
    if not isinstance(X, pd.DataFrame):
        return []
    # X.dtypes rather than X[column]: a duplicated name selects a DataFrame.
    return [
        column
        for column, dtype in X.dtypes.items()
        if not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        )
        or isinstance(dtype, pd.CategoricalDtype)
    ]


def describe_columns(X: pd.DataFrame, columns: list[Any]) -> str:
    """Name up to five of ``columns`` with their dtypes, for an error message."""
    # With duplicated names, report the dtype of the first non-numeric one.
    dtype_of: dict[Any, Any] = {}
    for column, dtype in X.dtypes.items():
        if column not in dtype_of or dtype_of[column].kind in "biuf":
            dtype_of[column] = dtype
    dtypes = ", ".join(f"{c!r} ({dtype_of[c]})" for c in columns[:5])
    more = f" and {len(columns) - 5} more" if len(columns) > 5 else ""
    return dtypes + more


def check_numeric_columns(X: Any, owner: str) -> None:
    """Raise a TypeError naming the non-numeric columns of a DataFrame.

    scikit-learn's own conversion fails on such columns with a message about
    casting that names neither the column nor the fix. Non-DataFrame input
    is left to scikit-learn's checks.
    """
    columns = non_numeric_columns(X)
    if columns:
        raise TypeError(
            f"{owner} needs numeric columns, but got "
            f"{describe_columns(X, columns)}. Encode "
            "them first, for example with OneHotEncoder or OrdinalEncoder in "
            "a Pipeline before this step."
        )


def text_columns(X: Any) -> list[Any]:
    """List the string and ``object`` columns of a DataFrame.

    Non-DataFrame input gives an empty list.
    """
    if not isinstance(X, pd.DataFrame):
        return []
    return [
        column
        for column in X.columns
        if pd.api.types.is_object_dtype(X[column].dtype)
        or pd.api.types.is_string_dtype(X[column].dtype)
    ]


def is_lightgbm_or_xgboost(estimator: Any) -> bool:
    """Return whether ``estimator`` is a LightGBM or XGBoost model."""
    return type(estimator).__module__.split(".")[0] in ("lightgbm", "xgboost")


def check_text_columns(X: Any, owner: str) -> None:
    """Raise a TypeError naming the string and ``object`` columns of ``X``.

    LightGBM and XGBoost accept numeric, boolean and ``category`` columns
    only, and their own errors do not say how to convert the others.
    """
    columns = text_columns(X)
    if columns:
        conversion = {column: "category" for column in columns[:5]}
        raise TypeError(
            f"{owner} passes X to LightGBM or XGBoost, which reject string and "
            f"object columns, but got {describe_columns(X, columns)}. Convert "
            f"them to category, for example X.astype({conversion!r}), or to "
            "numbers with pd.to_numeric if they hold numbers."
        )


def text_as_category(
    train: pd.DataFrame, test: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn object and string columns into ``category`` for LightGBM.

    LightGBM rejects object columns but splits ``category`` columns
    natively. Numbers stored as objects become numeric first. Both frames
    get the union of the categories, so a value seen only in the test rows
    keeps its own code.
    """
    train, test = train.infer_objects(), test.infer_objects()
    for column in train.columns:
        dtypes = (train[column].dtype, test[column].dtype)
        if not any(
            pd.api.types.is_object_dtype(d) or pd.api.types.is_string_dtype(d)
            for d in dtypes
        ) or any(isinstance(d, pd.CategoricalDtype) for d in dtypes):
            continue
        values = pd.concat([train[column], test[column]]).dropna()
        categories = pd.Index(pd.unique(values.astype(str))).sort_values()
        train[column] = pd.Categorical(_as_text(train[column]), categories=categories)
        test[column] = pd.Categorical(_as_text(test[column]), categories=categories)
    return train, test


def _as_text(column: pd.Series) -> pd.Series:
    # Missing values stay missing instead of becoming the text "nan".
    return (
        column.astype(object)
        .where(column.notna(), None)
        .map(lambda value: None if value is None else str(value))
    )


def plain_value(value: Any) -> Any:
    """Return a numpy scalar as the Python value, so messages show ``0.0``.

    ``repr`` of a numpy scalar reads ``np.float64(0.0)`` in numpy 2.
    """
    return value.item() if isinstance(value, np.generic) else value
