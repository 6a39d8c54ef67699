"""Tabular augmentation samplers: mixup, swap noise and Gaussian noise."""

from __future__ import annotations

import numbers
import warnings
from collections import OrderedDict
from typing import ClassVar

import numpy as np
import pandas as pd
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from sktricks.exceptions import SktricksWarning
from sktricks.sampling._base import (
    BaseAugmentSampler,
    append_rows,
    check_classes_strategy,
    column_values,
    is_numeric_column,
    restore_dtype,
)

__all__ = ["GaussianNoiseSampler", "MixupSampler", "SwapNoiseSampler"]


def _other_rows(rows: np.ndarray, n_new: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n_new`` pairs of distinct rows from ``rows`` (equal if only one)."""
    first = rng.randint(0, len(rows), size=n_new)
    if len(rows) == 1:
        return rows[first], rows[first]
    # Shifting by 1 .. len - 1 positions guarantees a different row.
    second = (first + rng.randint(1, len(rows), size=n_new)) % len(rows)
    return rows[first], rows[second]


def _mix_frame(frame, first, second, lam) -> pd.DataFrame:
    """Return ``lam * frame[first] + (1 - lam) * frame[second]`` column by column.

    Non-numeric columns (category, object, bool, string) take the value of
    the row with the larger weight.
    """
    columns = {}
    take_first = lam >= 0.5
    for name, column in frame.items():
        if is_numeric_column(column):
            values = column_values(column)
            mixed = lam * values[first] + (1.0 - lam) * values[second]
            columns[name] = restore_dtype(mixed, column.dtype)
        else:
            picked = np.where(take_first, first, second)
            columns[name] = column.iloc[picked].reset_index(drop=True)
    return pd.DataFrame(columns)


class MixupSampler(BaseAugmentSampler, BaseOverSampler):
    """Over-sample with mixup: convex combinations of two rows.

    Each new row is ``lam * x_i + (1 - lam) * x_j`` with
    ``lam ~ Beta(alpha, alpha)``. For classification both rows come from the
    class being over-sampled, so the label stays exact, and
    ``sampling_strategy`` sets how many rows each class gets, as in
    imbalanced-learn. For a continuous target the two rows are drawn from
    the whole data and the target is mixed with the same ``lam``.
    Non-numeric columns (``category``, strings, booleans) take the value of
    the row with the larger weight. Integer columns are rounded, and a
    missing value in either row gives a missing value. Unlike SMOTE it needs no
    neighbour search, keeps pandas dtypes and accepts a class with a single
    row (which it can only copy, with a warning).

    Parameters
    ----------
    alpha : float, default=0.2
        Both shape parameters of the Beta distribution of ``lam``; small
        values keep new rows close to one of the two originals.
    sampling_strategy : float, str, dict or callable, default="auto"
        For classification, as in imbalanced-learn's over-samplers (``"auto"``
        brings every class up to the majority count). For regression,
        ``"auto"`` adds as many rows as there are and a float in (0, 1] adds
        that fraction of the row count.
    random_state : int, RandomState instance or None, default=None
        Seed of the row pairs and of ``lam``.
    target_type : {"auto", "continuous", "binary", "multiclass"}, \
            default="auto"
        Type of ``y``. ``"auto"`` infers it with
        :func:`~sklearn.utils.multiclass.type_of_target`, which calls a float
        target with only whole-number values ``"multiclass"``; pass
        ``"continuous"`` for such a regression target. With ``"auto"``, a
        float target of more than two whole-number values, or one with as
        many classes as rows, is treated as classes with a warning.

    Attributes
    ----------
    sampling_strategy_ : dict
        Rows generated for each class (empty for regression).
    n_features_in_ : int
        Number of features seen in ``fit_resample``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.sampling import MixupSampler
    >>> X = np.arange(20, dtype=float).reshape(10, 2)
    >>> y = np.array([0] * 8 + [1] * 2)
    >>> X_res, y_res = MixupSampler(random_state=0).fit_resample(X, y)
    >>> np.bincount(y_res)
    array([8, 8])
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "sampling_strategy": [
            Interval(numbers.Real, 0, 1, closed="right"),
            StrOptions({"auto", "minority", "not minority", "not majority", "all"}),
            dict,
            callable,
        ],
        "random_state": ["random_state"],
        "target_type": [StrOptions({"auto", "continuous", "binary", "multiclass"})],
    }
    _allow_inf = False

    def __init__(
        self,
        alpha=0.2,
        sampling_strategy="auto",
        random_state=None,
        target_type="auto",
    ):
        self.alpha = alpha
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.target_type = target_type

    def _set_sampling_strategy(self, y, is_regression) -> None:
        if not is_regression:
            self.sampling_strategy_ = check_classes_strategy(
                self, y, self.sampling_strategy
            )
            if self.target_type == "auto":
                self._warn_if_target_looks_continuous(y)
            return
        if not (
            self.sampling_strategy == "auto"
            or isinstance(self.sampling_strategy, numbers.Real)
        ):
            raise ValueError(
                f"sampling_strategy={self.sampling_strategy!r} is not supported "
                "for a continuous target; use 'auto' or a float in (0, 1]."
            )
        self.sampling_strategy_ = OrderedDict()

    def _warn_if_target_looks_continuous(self, y) -> None:
        # type_of_target calls whole-number floats "multiclass", so a
        # regression target such as 1.0, 2.0, ... would only be mixed within
        # its "classes", or not at all when each value occurs once.
        classes = np.unique(y)
        if classes.shape[0] <= 2:
            return
        if y.dtype.kind != "f" and classes.shape[0] < y.shape[0]:
            return
        n_new = sum(self.sampling_strategy_.values())
        warnings.warn(
            f"y has {classes.shape[0]} distinct values in {y.shape[0]} rows "
            f"(dtype {y.dtype}), so MixupSampler treats them as class labels, "
            f"mixes only rows of the same class and adds {n_new} rows. For a "
            "regression target pass target_type='continuous'; for class labels "
            "pass target_type='multiclass' to silence this warning.",
            SktricksWarning,
            # warn <- this helper <- _set_sampling_strategy <- fit_resample
            # <- scikit-learn's _fit_context wrapper <- the caller.
            stacklevel=5,
        )

    def _fit_resample(self, X, y, *, is_regression=False):
        rng = check_random_state(self.random_state)
        if is_regression:
            return self._mix_regression(X, y, rng)

        firsts, seconds, labels = [], [], []
        for label, n_new in self.sampling_strategy_.items():
            if n_new <= 0:
                continue
            rows = np.flatnonzero(y == label)
            if len(rows) == 1:
                warnings.warn(
                    f"Class {label!r} has 1 row, so MixupSampler can only copy it "
                    f"({n_new} copies). Collect more rows of that class or lower "
                    "its count in sampling_strategy.",
                    SktricksWarning,
                    stacklevel=3,
                )
            first, second = _other_rows(rows, n_new, rng)
            firsts.append(first)
            seconds.append(second)
            labels.append(np.full(n_new, label, dtype=y.dtype))
        if not firsts:
            return X, y

        first, second = np.concatenate(firsts), np.concatenate(seconds)
        lam = rng.beta(self.alpha, self.alpha, size=len(first))
        new_rows = _mix_frame(X, first, second, lam)
        return append_rows(X, new_rows), np.concatenate([y, *labels])

    def _mix_regression(self, X, y, rng):
        n_rows = X.shape[0]
        if self.sampling_strategy == "auto":
            n_new = n_rows
        else:
            n_new = round(float(self.sampling_strategy) * n_rows)
        first, second = _other_rows(np.arange(n_rows), n_new, rng)
        lam = rng.beta(self.alpha, self.alpha, size=n_new)
        new_rows = _mix_frame(X, first, second, lam)
        y_float = y.astype(float)
        y_new = lam * y_float[first] + (1.0 - lam) * y_float[second]
        if y.dtype.kind in "biu":
            # An integer target declared continuous is rounded like integer
            # columns of X, because casting back would truncate.
            y_new = np.round(y_new)
        return append_rows(X, new_rows), np.concatenate([y_float, y_new]).astype(
            y.dtype
        )


class SwapNoiseSampler(BaseAugmentSampler):
    """Add noisy copies of every row in which cells are swapped between rows.

    Each copy replaces every cell, independently with probability
    ``swap_prob``, by the value of the same column in another row drawn at
    random. Values are only moved, never invented, so it works on any dtype
    (``category``, strings, booleans, nullable integers) and keeps each
    column's marginal distribution. Labels (or regression targets) stay with
    the copied row. This is the "swap noise" of denoising autoencoders on
    tabular data; imbalanced-learn has no equivalent.

    Parameters
    ----------
    swap_prob : float, default=0.15
        Probability that a cell is replaced, in [0, 1].
    n_copies : int, default=1
        Noisy copies made of every row.
    random_state : int, RandomState instance or None, default=None
        Seed of the swapped cells and donor rows.
    target_type : {"auto", "continuous", "binary", "multiclass"}, \
            default="auto"
        Type of ``y``. ``"auto"`` infers it with
        :func:`~sklearn.utils.multiclass.type_of_target`, which calls a float
        target with only whole-number values ``"multiclass"``; pass
        ``"continuous"`` for such a regression target. Only
        ``sampling_strategy_`` and the check of ``y`` depend on it, because
        every row is copied either way.

    Attributes
    ----------
    sampling_strategy_ : dict
        Rows generated for each class (empty for regression).
    n_features_in_ : int
        Number of features seen in ``fit_resample``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from sktricks.sampling import SwapNoiseSampler
    >>> X = pd.DataFrame({"colour": pd.Categorical(["red", "blue", "red", "blue"]),
    ...                   "size": [1.0, 2.0, 3.0, 4.0]})
    >>> X_res, y_res = SwapNoiseSampler(random_state=0).fit_resample(X, [0, 1, 0, 1])
    >>> X_res.shape, str(X_res["colour"].dtype)
    ((8, 2), 'category')
    """

    _parameter_constraints: ClassVar[dict] = {
        "swap_prob": [Interval(numbers.Real, 0, 1, closed="both")],
        "n_copies": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "target_type": [StrOptions({"auto", "continuous", "binary", "multiclass"})],
    }

    def __init__(
        self,
        swap_prob=0.15,
        n_copies=1,
        random_state=None,
        target_type="auto",
    ):
        self.swap_prob = swap_prob
        self.n_copies = n_copies
        self.random_state = random_state
        self.target_type = target_type

    def _fit_resample(self, X, y, *, is_regression=False):
        rng = check_random_state(self.random_state)
        n_rows = X.shape[0]
        if n_rows < 2:
            raise ValueError(
                f"SwapNoiseSampler needs at least 2 rows to swap values between, "
                f"got {n_rows}."
            )
        base = np.tile(np.arange(n_rows), self.n_copies)
        n_new = len(base)

        columns = {}
        for name, column in X.items():
            swapped = rng.random(n_new) < self.swap_prob
            donor = (base + rng.randint(1, n_rows, size=n_new)) % n_rows
            source = np.where(swapped, donor, base)
            columns[name] = column.iloc[source].reset_index(drop=True)
        new_rows = pd.DataFrame(columns)
        return append_rows(X, new_rows), np.concatenate([y, y[base]])


class GaussianNoiseSampler(BaseAugmentSampler):
    """Add copies of every row with Gaussian noise on the numeric columns.

    Each numeric column gets noise of standard deviation ``scale`` times the
    column's own (population) standard deviation, so the noise is in the
    column's units whatever its range. Integer columns are rounded back to
    integers; other columns (``category``, strings, booleans) are copied
    unchanged, and missing values stay missing. Labels (or regression
    targets) stay with the copied row.

    Parameters
    ----------
    scale : float, default=0.05
        Noise standard deviation as a fraction of each column's standard
        deviation; at least 0.
    n_copies : int, default=1
        Noisy copies made of every row.
    random_state : int, RandomState instance or None, default=None
        Seed of the noise.
    target_type : {"auto", "continuous", "binary", "multiclass"}, \
            default="auto"
        Type of ``y``. ``"auto"`` infers it with
        :func:`~sklearn.utils.multiclass.type_of_target`, which calls a float
        target with only whole-number values ``"multiclass"``; pass
        ``"continuous"`` for such a regression target. Only
        ``sampling_strategy_`` and the check of ``y`` depend on it, because
        every row is copied either way.

    Attributes
    ----------
    sampling_strategy_ : dict
        Rows generated for each class (empty for regression).
    column_std_ : dict
        Standard deviation of each numeric column, keyed by column name.
    n_features_in_ : int
        Number of features seen in ``fit_resample``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.sampling import GaussianNoiseSampler
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> sampler = GaussianNoiseSampler(random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, [0, 0, 1, 1])
    >>> X_res.shape, list(y_res)
    ((8, 1), [0, 0, 1, 1, 0, 0, 1, 1])
    """

    _parameter_constraints: ClassVar[dict] = {
        "scale": [Interval(numbers.Real, 0, None, closed="left")],
        "n_copies": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "target_type": [StrOptions({"auto", "continuous", "binary", "multiclass"})],
    }
    _allow_inf = False

    def __init__(
        self,
        scale=0.05,
        n_copies=1,
        random_state=None,
        target_type="auto",
    ):
        self.scale = scale
        self.n_copies = n_copies
        self.random_state = random_state
        self.target_type = target_type

    def _fit_resample(self, X, y, *, is_regression=False):
        rng = check_random_state(self.random_state)
        base = np.tile(np.arange(X.shape[0]), self.n_copies)

        self.column_std_ = {}
        columns = {}
        for name, column in X.items():
            if not is_numeric_column(column):
                columns[name] = column.iloc[base].reset_index(drop=True)
                continue
            values = column_values(column)
            present = values[~np.isnan(values)]
            std = float(present.std()) if present.size else 0.0
            self.column_std_[name] = std
            noisy = values[base] + rng.normal(0.0, self.scale * std, size=len(base))
            columns[name] = restore_dtype(noisy, column.dtype)
        new_rows = pd.DataFrame(columns)
        return append_rows(X, new_rows), np.concatenate([y, y[base]])
