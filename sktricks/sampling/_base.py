"""Shared input handling of the augmentation samplers."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pandas as pd
from imblearn.base import BaseSampler
from imblearn.utils import check_sampling_strategy, check_target_type
from scipy import sparse
from sklearn.base import _fit_context
from sklearn.preprocessing import label_binarize
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from sktricks.sampling._validation import convert_nullable_target


def is_numeric_column(column: pd.Series) -> bool:
    """Return whether a column is interpolated (numbers) or copied (the rest)."""
    dtype = column.dtype
    if isinstance(dtype, pd.SparseDtype):
        dtype = dtype.subtype
    return bool(
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    )


def restore_dtype(values: np.ndarray, dtype) -> pd.Series:
    """Cast float results back to a column's dtype, rounding integer columns."""
    series = pd.Series(values, dtype=float)
    subtype = dtype.subtype if isinstance(dtype, pd.SparseDtype) else dtype
    if pd.api.types.is_integer_dtype(subtype):
        series = series.round()
    return series.astype(dtype)


def column_values(column: pd.Series) -> np.ndarray:
    """Return a numeric column as float64 with NaN for missing values."""
    return column.to_numpy(dtype=float, na_value=np.nan)


class BaseAugmentSampler(BaseSampler):
    """Sampler base that keeps pandas dtypes and accepts regression targets.

    imbalanced-learn's ``fit_resample`` converts ``X`` to a numpy array,
    which loses ``category`` and nullable dtypes, and rejects continuous
    targets. Here ``fit_resample`` validates ``X`` and ``y`` itself and hands
    ``_fit_resample`` a DataFrame (numpy input is wrapped in one and
    unwrapped afterwards), so every column keeps its dtype.
    """

    _sampling_type = "over-sampling"
    # Whether a continuous target is augmented (True) or rejected.
    _supports_regression = True
    # Whether numeric columns may contain +-inf.
    _allow_inf = True

    def __init__(self):
        # The base class stores a sampling_strategy the subclasses may not have.
        pass

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y, **params):
        """Resample the dataset.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Data to augment. DataFrame columns keep their dtypes, including
            ``category`` and pandas nullable dtypes.
        y : array-like of shape (n_samples,)
            Class labels, or a continuous target for regression. pandas
            nullable ``Int64``, ``Float64`` and ``boolean`` targets behave
            like their numpy counterparts.
        **params : dict
            Unused; accepted for imbalanced-learn's API.

        Returns
        -------
        X_resampled : {ndarray, DataFrame, list} of shape (n_samples_new, n_features)
            The original rows followed by the new ones, in ``X``'s container.
        y_resampled : {ndarray, Series, DataFrame, list} of shape (n_samples_new,)
            The matching targets, in ``y``'s container.
        """
        x_kind = type(X).__name__.lower()
        y_kind = type(y).__name__.lower()
        y_input = y
        frame, x_dtype = self._check_X(X)
        y, binarize_y, is_regression = self._check_y(y, frame.shape[0])
        self._set_sampling_strategy(y, is_regression)

        frame_res, y_res = self._fit_resample(frame, y, is_regression=is_regression)

        if binarize_y:
            y_res = label_binarize(y_res, classes=np.unique(y))
        return self._to_input_type(frame_res, y_res, x_kind, x_dtype, y_kind, y_input)

    def _check_X(self, X):
        if sparse.issparse(X):
            raise TypeError(
                f"{type(self).__name__} does not accept sparse X; convert it "
                "with X.toarray() first."
            )
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, skip_check_array=True, reset=True)
            if X.shape[0] == 0 or X.shape[1] == 0:
                raise ValueError(
                    f"X has shape {X.shape}; at least 1 row and 1 column are required."
                )
            frame, x_dtype = X, None
        else:
            array = check_array(X, dtype=None, ensure_all_finite=False)
            validate_data(self, array, skip_check_array=True, reset=True)
            frame, x_dtype = pd.DataFrame(array), array.dtype
        if not self._allow_inf:
            self._check_no_inf(frame)
        return frame, x_dtype

    def _check_no_inf(self, frame: pd.DataFrame) -> None:
        for name, column in frame.items():
            if is_numeric_column(column) and np.isinf(column_values(column)).any():
                raise ValueError(
                    f"Column {name!r} contains infinite values, which "
                    f"{type(self).__name__} cannot interpolate; replace them "
                    "with NaN or finite values."
                )

    def _check_y(self, y, n_samples):
        y = convert_nullable_target(y)
        if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
            y = y.iloc[:, 0]
        y = np.asarray(y)
        target_type = self.target_type
        if target_type == "continuous":
            return self._check_declared_continuous_y(y, n_samples), False, True

        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        check_consistent_length(np.empty(n_samples), y)
        is_regression = target_type == "auto" and type_of_target(y) == "continuous"
        if target_type == "binary" and np.unique(y).shape[0] > 2:
            raise ValueError(
                f"target_type='binary' but y has {np.unique(y).shape[0]} classes; "
                "use target_type='multiclass' or 'auto'."
            )
        if is_regression and self._supports_regression:
            if not np.all(np.isfinite(y.astype(float))):
                raise ValueError("y contains NaN or infinite values; remove them.")
        else:
            check_classification_targets(y)
        return y, binarize_y, is_regression

    def _check_declared_continuous_y(self, y, n_samples):
        y = column_or_1d(y, warn=True)
        check_consistent_length(np.empty(n_samples), y)
        if y.dtype.kind not in "biuf":
            raise ValueError(
                f"target_type='continuous' needs a numeric y, got dtype {y.dtype}; "
                "use target_type='auto' for class labels."
            )
        if not np.all(np.isfinite(y.astype(float))):
            raise ValueError("y contains NaN or infinite values; remove them.")
        return y

    def _set_sampling_strategy(self, y, is_regression) -> None:
        # Subclasses with a sampling_strategy parameter override this.
        if is_regression:
            self.sampling_strategy_ = OrderedDict()
            return
        classes, counts = np.unique(y, return_counts=True)
        self.sampling_strategy_ = OrderedDict(
            (label, int(count) * self.n_copies)
            for label, count in zip(classes, counts, strict=True)
        )

    def _to_input_type(self, frame_res, y_res, x_kind, x_dtype, y_kind, y_input):
        if x_kind == "dataframe":
            X_out = frame_res
        else:
            X_out = frame_res.to_numpy(dtype=x_dtype)
            if x_kind == "list":
                X_out = X_out.tolist()

        y_res = np.asarray(y_res)
        if y_kind == "series":
            y_out = pd.Series(y_res, name=y_input.name).astype(y_input.dtype)
        elif y_kind == "dataframe" and y_res.ndim == 1:
            y_out = pd.DataFrame({y_input.columns[0]: y_res}).astype(
                y_input.dtypes.iloc[0]
            )
        elif y_kind == "dataframe":
            y_out = pd.DataFrame(y_res, columns=y_input.columns)
        elif y_kind == "list":
            y_out = y_res.tolist()
        else:
            y_out = y_res.astype(np.asarray(y_input).dtype, copy=False)
        if x_kind == "dataframe" and y_kind in {"series", "dataframe"}:
            y_out.index = X_out.index
        return X_out, y_out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        return tags


def append_rows(frame: pd.DataFrame, new_rows: pd.DataFrame) -> pd.DataFrame:
    """Append generated rows, keeping dtypes and giving them new index labels.

    An integer index continues after its maximum; any other index gets
    labels ``"augmented_0"``, ``"augmented_1"``, ...
    """
    n_new = new_rows.shape[0]
    if pd.api.types.is_integer_dtype(frame.index.dtype) and len(frame.index):
        start = int(frame.index.max()) + 1
        new_rows.index = pd.RangeIndex(start, start + n_new)
    else:
        new_rows.index = pd.Index([f"augmented_{k}" for k in range(n_new)])
    for name, dtype in frame.dtypes.items():
        if new_rows[name].dtype != dtype:
            new_rows[name] = new_rows[name].astype(dtype)
    return pd.concat([frame, new_rows], axis=0)


def check_classes_strategy(sampler, y, sampling_strategy):
    """Return imbalanced-learn's per-class counts of rows to generate."""
    return check_sampling_strategy(sampling_strategy, y, sampler._sampling_type)
