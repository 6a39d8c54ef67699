"""Input checks shared by the filter, correlation and adversarial selectors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import validate_data

__all__ = ["column_names", "validate_frame"]


def validate_frame(
    estimator: Any, X: Any, *, reset: bool, numeric_arrays: bool
) -> pd.DataFrame:
    """Check ``X`` and return it as a DataFrame without changing its dtypes.

    A DataFrame is used as it is, so ``category``, nullable ``Int64`` and
    ``boolean`` columns keep their dtypes. Only its shape and, when
    ``reset=False``, its column names and order are checked. Other input goes
    through scikit-learn's ``check_array`` (dense only, NaN allowed) and
    becomes a DataFrame whose columns are the positions
    ``0 .. n_features - 1``.

    Parameters
    ----------
    estimator : estimator
        The selector; it stores ``n_features_in_`` and ``feature_names_in_``.
    X : DataFrame or array-like of shape (n_samples, n_features)
        Input data.
    reset : bool
        True in ``fit``; False later, where the columns must match ``fit``.
    numeric_arrays : bool
        Whether non-DataFrame input must be numeric without infinity. When
        False, object arrays such as strings and infinite values are
        accepted.
    """
    name = type(estimator).__name__
    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(
                f"Found a DataFrame of shape {X.shape}, but {name} needs at "
                "least one row and one column."
            )
        if not X.columns.is_unique:
            duplicated = list(X.columns[X.columns.duplicated()].unique())
            raise ValueError(
                f"{name} needs unique column names, but {duplicated} occur more "
                "than once. Rename the duplicated columns."
            )
        validate_data(estimator, X, skip_check_array=True, reset=reset)
        return X

    array = validate_data(
        estimator,
        X,
        dtype="numeric" if numeric_arrays else None,
        ensure_all_finite="allow-nan" if numeric_arrays else False,
        reset=reset,
    )
    return pd.DataFrame(array)


def column_names(estimator: Any, X: pd.DataFrame) -> np.ndarray:
    """Return the feature names reported for the columns of ``X``.

    They are ``feature_names_in_`` for a DataFrame with string column names
    and ``x0, x1, ...`` otherwise, as in ``get_feature_names_out``.
    """
    if hasattr(estimator, "feature_names_in_"):
        return np.asarray(estimator.feature_names_in_, dtype=object)
    return np.asarray([f"x{i}" for i in range(X.shape[1])], dtype=object)
