"""Input checks shared by several sktricks estimators."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import pandas as pd
from sklearn.utils._param_validation import Interval

__all__ = [
    "N_JOBS_CONSTRAINT",
    "check_numeric_columns",
    "describe_columns",
    "non_numeric_columns",
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
    return [
        column
        for column in X.columns
        if not (
            pd.api.types.is_numeric_dtype(X[column])
            or pd.api.types.is_bool_dtype(X[column])
        )
        or isinstance(X[column].dtype, pd.CategoricalDtype)
    ]


def describe_columns(X: pd.DataFrame, columns: list[Any]) -> str:
    """Name up to five of ``columns`` with their dtypes, for an error message."""
    dtypes = ", ".join(f"{c!r} ({X[c].dtype})" for c in columns[:5])
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
