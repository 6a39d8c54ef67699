"""Helpers shared by the label tricks: target checks and delegated tags."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _num_samples, column_or_1d, validate_data


def encode_classes(y: Any, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate a classification target and return ``(classes, y_encoded)``.

    Raises ``ValueError`` for a continuous target, a length mismatch or a
    single class, naming the value found.
    """
    if hasattr(y, "dtype") and getattr(y, "isna", None) is not None:
        if y.isna().any():
            raise ValueError(
                f"y contains {int(y.isna().sum())} missing values; drop those rows "
                "before fitting."
            )
        if hasattr(y.dtype, "numpy_dtype"):
            y = y.to_numpy(dtype=y.dtype.numpy_dtype)
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    if y.shape[0] != n_samples:
        raise ValueError(
            f"X has {n_samples} rows but y has {y.shape[0]}; they must match."
        )
    classes, y_encoded = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            f"y has one class ({classes[0]!r}); a classifier needs at least two."
        )
    return classes, y_encoded


def check_not_empty(X: Any) -> int:
    """Return the number of rows of ``X``; raise ``ValueError`` when it is 0."""
    n_samples = _num_samples(X)
    if n_samples == 0:
        raise ValueError(
            "Found array with 0 sample(s) while a minimum of 1 is required: X is empty."
        )
    return n_samples


def repeat_rows(X: Any, n_repeats: int) -> Any:
    """Repeat every row of ``X`` ``n_repeats`` times in place (``a a b b``)."""
    rows = np.repeat(np.arange(_num_samples(X)), n_repeats)
    return _safe_indexing(X, rows)


def delegate_input_tags(tags: Any, estimator: Any) -> Any:
    """Copy the input tags that depend on the wrapped estimator onto ``tags``."""
    inner = estimator.__sklearn_tags__().input_tags
    tags.input_tags.allow_nan = inner.allow_nan
    tags.input_tags.sparse = inner.sparse
    tags.input_tags.categorical = inner.categorical
    tags.input_tags.string = inner.string
    return tags


def softmax(raw: np.ndarray) -> np.ndarray:
    """Return the row-wise softmax of a 2-D array of raw scores."""
    shifted = raw - raw.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def check_class_counts(y_encoded: np.ndarray, classes: np.ndarray, cv: Any) -> None:
    """Raise ``ValueError`` when a class has fewer rows than ``cv`` has folds.

    scikit-learn's ``StratifiedKFold`` only warns, and its training folds then
    lack that class, so out-of-fold probabilities for it are silently 0.
    Only an int ``cv`` or a splitter with an ``n_splits`` attribute is
    checked; other splitters are the caller's choice.
    """
    n_splits = cv if isinstance(cv, Integral) else getattr(cv, "n_splits", None)
    if not isinstance(n_splits, Integral):
        return
    counts = np.bincount(y_encoded, minlength=classes.shape[0])
    smallest = int(np.argmin(counts))
    if counts[smallest] < n_splits:
        raise ValueError(
            f"Class {classes[smallest]!r} has {counts[smallest]} members, fewer "
            f"than the {n_splits} cross-validation folds. Use fewer folds or "
            "collect more rows of that class."
        )


def validate_features(estimator: Any, X: Any, *, reset: bool) -> Any:
    """Check ``X`` and record or compare its features on ``estimator``.

    A DataFrame passes through unchanged so that ``category`` columns reach
    the wrapped model; other input becomes a NumPy array or a CSR/CSC
    matrix. Missing values are left for the wrapped model to accept or
    reject.
    """
    if hasattr(X, "iloc"):
        validate_data(estimator, X, skip_check_array=True, reset=reset)
        check_not_empty(X)
        return X
    return validate_data(
        estimator,
        X,
        reset=reset,
        accept_sparse=["csr", "csc"],
        dtype=None,
        ensure_all_finite=False,
    )
