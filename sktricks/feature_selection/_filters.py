"""Filters that drop quasi-constant columns and mostly missing columns."""

from __future__ import annotations

import logging
from numbers import Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from sktricks.feature_selection._selector_input import validate_frame

logger = logging.getLogger(__name__)

__all__ = ["MissingRateSelector", "QuasiConstantSelector"]


class _ColumnFilter(SelectorMixin, BaseEstimator):
    """Shared ``fit`` and tags of the per-column filters.

    Subclasses implement ``_column_share(column)``, the share that is
    compared with the threshold, and ``_threshold()``.
    """

    _parameter_constraints: ClassVar[dict] = {}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> Any:
        """Compute each column's share and choose the columns to keep.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Input data of any dtype, with or without missing values.
        y : None
            Ignored; accepted for ``Pipeline`` compatibility.

        Returns
        -------
        self : object
        """
        frame = validate_frame(self, X, reset=True, numeric_arrays=False)

        shares = np.array(
            [self._column_share(frame.iloc[:, i]) for i in range(frame.shape[1])],
            dtype=float,
        )
        self.support_ = ~(shares > self._threshold())
        self._store_shares(shares)

        logger.info(
            "%s keeps %d of %d columns",
            type(self).__name__,
            int(self.support_.sum()),
            self.support_.shape[0],
        )
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def _column_share(self, column: pd.Series) -> float:
        raise NotImplementedError

    def _threshold(self) -> float:
        raise NotImplementedError

    def _store_shares(self, shares: np.ndarray) -> None:
        raise NotImplementedError


class QuasiConstantSelector(_ColumnFilter):
    """Drop columns in which one value makes up nearly every row.

    For each column the share of its most frequent value is computed, and
    the column is dropped when that share is greater than ``max_frequency``.
    Any dtype works: numbers, strings, ``category``, ``boolean``, nullable
    ``Int64`` and datetimes. NaN, ``None``, ``pd.NA`` and ``NaT`` all count
    as missing.

    Unlike scikit-learn's ``VarianceThreshold``, it works on non-numeric
    columns and on columns with missing values, and it measures how often a
    value repeats rather than the spread of the values.

    Parameters
    ----------
    max_frequency : float in [0, 1], default=0.99
        Largest share of rows that the most frequent value may take in a
        kept column. Columns above it are dropped. A constant column has a
        share of 1, so any value below 1 drops it; with 1.0 no column is
        dropped.
    dropna : bool, default=False
        If False, the missing values of a column count as one more value, so
        an all-missing column has a share of 1 and ``[1, NaN, NaN]`` a share
        of 2/3. If True, missing values are ignored and the share is taken
        among the non-missing rows. A column without any non-missing value
        then has a share of 1, since it carries no information.

    Attributes
    ----------
    frequencies_ : ndarray of shape (`n_features_in_`,)
        Share of the most frequent value in each column.
    support_ : ndarray of bool of shape (`n_features_in_`,)
        True for the kept columns.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Column names seen during fit, when ``X`` has string column names.

    See Also
    --------
    MissingRateSelector : Drop columns with too many missing values.
    sklearn.feature_selection.VarianceThreshold : Drop low-variance numeric
        columns.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sktricks.feature_selection import QuasiConstantSelector
    >>> X = pd.DataFrame({
    ...     "constant": ["a"] * 10,
    ...     "one_or_missing": [np.nan] * 5 + [1.0] * 5,
    ...     "varied": np.arange(10),
    ... })
    >>> selector = QuasiConstantSelector(max_frequency=0.9).fit(X)
    >>> selector.get_feature_names_out().tolist()
    ['one_or_missing', 'varied']
    >>> selector.frequencies_.tolist()
    [1.0, 0.5, 0.1]
    >>> selector.set_params(dropna=True).fit(X).get_feature_names_out().tolist()
    ['varied']
    """

    _parameter_constraints: ClassVar[dict] = {
        "max_frequency": [Interval(Real, 0, 1, closed="both")],
        "dropna": ["boolean"],
    }

    def __init__(self, max_frequency: float = 0.99, dropna: bool = False) -> None:
        self.max_frequency = max_frequency
        self.dropna = dropna

    def _column_share(self, column: pd.Series) -> float:
        # Missing cells are counted apart, because value_counts keeps None and
        # NaN of an object column as two keys. Filling them with a placeholder
        # instead fails on category and Int64 columns, and it merges them with
        # any real value equal to the placeholder.
        missing = column.isna().to_numpy()
        n_missing = int(missing.sum())
        present = column[~missing]
        top_count = int(present.value_counts(sort=False).max()) if len(present) else 0
        if self.dropna:
            return 1.0 if len(present) == 0 else top_count / len(present)
        return max(top_count, n_missing) / column.shape[0]

    def _threshold(self) -> float:
        return float(self.max_frequency)

    def _store_shares(self, shares: np.ndarray) -> None:
        self.frequencies_ = shares


class MissingRateSelector(_ColumnFilter):
    """Drop columns with too large a share of missing values.

    NaN, ``None``, ``pd.NA`` and ``NaT`` count as missing, in any dtype:
    float, object, ``category``, nullable ``Int64`` and ``boolean``,
    datetimes.

    Parameters
    ----------
    max_missing : float in [0, 1], default=0.95
        Largest share of missing values in a kept column. Columns above it
        are dropped: 0 drops every column with a missing value, and 1.0
        drops none.

    Attributes
    ----------
    missing_rates_ : ndarray of shape (`n_features_in_`,)
        Share of missing values in each column.
    support_ : ndarray of bool of shape (`n_features_in_`,)
        True for the kept columns.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Column names seen during fit, when ``X`` has string column names.

    See Also
    --------
    QuasiConstantSelector : Drop columns dominated by one value.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sktricks.feature_selection import MissingRateSelector
    >>> X = pd.DataFrame({
    ...     "empty": [np.nan] * 4,
    ...     "half": pd.array([1, None, 3, None], dtype="Int64"),
    ...     "full": ["a", "b", "c", "d"],
    ... })
    >>> selector = MissingRateSelector(max_missing=0.5).fit(X)
    >>> selector.missing_rates_.tolist()
    [1.0, 0.5, 0.0]
    >>> selector.get_feature_names_out().tolist()
    ['half', 'full']
    """

    _parameter_constraints: ClassVar[dict] = {
        "max_missing": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, max_missing: float = 0.95) -> None:
        self.max_missing = max_missing

    def _column_share(self, column: pd.Series) -> float:
        return float(column.isna().sum()) / column.shape[0]

    def _threshold(self) -> float:
        return float(self.max_missing)

    def _store_shares(self, shares: np.ndarray) -> None:
        self.missing_rates_ = shares
