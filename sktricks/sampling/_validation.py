"""Input checks shared by the samplers and the prior-corrected classifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d


def convert_nullable_target(y):
    """Return ``y`` with pandas nullable dtypes replaced by numpy dtypes.

    scikit-learn and imbalanced-learn report "Unknown label type" for
    ``Int64``, ``Float64`` and ``boolean`` targets. A Series or one-column
    DataFrame with such a dtype is converted to ``int64``, ``float64`` or
    ``bool``, and a bare pandas array to a numpy array; a missing value
    raises, because a label cannot be missing. Other inputs are returned
    unchanged.
    """
    if isinstance(y, pd.DataFrame):
        if y.shape[1] == 1:
            converted = convert_nullable_target(y.iloc[:, 0])
            return converted.to_frame(name=y.columns[0])
        return y
    if isinstance(y, pd.api.extensions.ExtensionArray):
        # A bare pandas array (pd.array(..., dtype="boolean")), as a Series.
        return convert_nullable_target(pd.Series(y)).to_numpy()
    if not isinstance(y, pd.Series):
        return y
    dtype = y.dtype
    if not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return y
    if isinstance(dtype, pd.CategoricalDtype):
        if y.isna().any():
            raise ValueError(
                f"y has {int(y.isna().sum())} missing labels; drop those rows or "
                "fill them before fitting."
            )
        return y
    # The masked dtypes (Int*, UInt*, Float*, boolean) expose the numpy dtype
    # they wrap; string and other extension dtypes do not.
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if numpy_dtype is None or numpy_dtype.kind not in "iufb":
        return y
    n_missing = int(y.isna().sum())
    if n_missing:
        raise ValueError(
            f"y has dtype {dtype} with {n_missing} missing values (pd.NA); drop "
            "those rows or fill them before fitting."
        )
    return y.astype(numpy_dtype)


def encode_classification_target(y) -> tuple[np.ndarray, np.ndarray]:
    """Validate a classification target and return ``(classes, codes)``.

    Accepts pandas nullable dtypes and column vectors (with scikit-learn's
    ``DataConversionWarning``) and requires at least 2 classes.
    """
    if y is None:
        raise ValueError(
            "This classifier requires y to be passed, but the target y is None."
        )
    y = column_or_1d(np.asarray(convert_nullable_target(y)), warn=True)
    check_classification_targets(y)
    encoder = LabelEncoder().fit(y)
    if len(encoder.classes_) < 2:
        raise ValueError(
            f"y has 1 class ({encoder.classes_[0]!r}); a classifier needs at "
            "least 2 classes."
        )
    return encoder.classes_, encoder.transform(y)
