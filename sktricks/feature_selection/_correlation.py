"""Keep one column out of each group of highly correlated numeric columns."""

from __future__ import annotations

import logging
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from sktricks.feature_selection._selector_input import column_names, validate_frame

logger = logging.getLogger(__name__)

__all__ = ["CorrelationSelector"]


class CorrelationSelector(SelectorMixin, BaseEstimator):
    """Keep one numeric column out of each group of highly correlated columns.

    The numeric columns are ranked by the ``keep`` criterion, best first,
    with ties broken by column name. Groups then form greedily: the best
    column not yet in a group starts a new group and takes every other
    column not yet in a group whose absolute correlation with it is at least
    ``threshold``. The first column of each group is kept and the others are
    dropped. So every dropped column correlates at least ``threshold`` with a
    kept column, and no two kept columns do. The ranking depends on the
    columns' values and names only, so the selection does not depend on the
    column order. For arrays the names are ``x0, x1, ...``, so only exact
    ties (such as duplicated columns) can follow the column position there.

    Grouping by connected components of the correlation graph would instead
    chain ``a~b`` and ``b~c`` into one group. It could then drop ``c``
    although ``c`` is unrelated to the kept ``a``, which the greedy rule
    avoids.

    Non-numeric columns (object, string, ``category``, datetime) are kept
    and left untouched. ``bool``, ``boolean`` and nullable integer columns
    count as numeric. Missing values are handled pairwise: each correlation
    uses the rows where both columns are present.

    feature-engine's ``SmartCorrelatedSelection`` does the same job. In
    feature-engine 1.9.4 its result follows the column order when scores tie,
    and it computes correlations with ``DataFrame.corr``. This class breaks
    ties by name and computes Pearson correlations as matrix products, also
    with missing values.

    Parameters
    ----------
    threshold : float in (0, 1], default=0.95
        Two columns correlate when the absolute value of their correlation
        is at least this value.
    method : {"pearson", "spearman", "kendall"}, default="pearson"
        Correlation coefficient. Pearson is computed with matrix products,
        also with missing values; Spearman too when there are no missing
        values. Spearman with missing values and Kendall use
        ``pandas.DataFrame.corr``, which loops over column pairs and is much
        slower on wide data.
    keep : {"target", "variance", "missing"}, default="target"
        Which column of a group to keep:

        - ``"target"``: the one most related to ``y``. For a float target
          this is the absolute correlation with ``y`` (same ``method``).
          For any other target, whose values are taken as classes, it is
          the correlation ratio (eta): the square root of the share of the
          column's variance explained by the class means, computed on
          ranks for ``"spearman"`` and ``"kendall"``. For a binary target
          eta equals the absolute point-biserial correlation. Needs ``y``.
        - ``"variance"``: the one with the largest variance (of the
          non-missing values).
        - ``"missing"``: the one with the fewest missing values.
    min_periods : int, default=10
        Minimum number of rows where both columns are present for a
        correlation to count. With fewer rows the pair is never grouped,
        since a correlation over a handful of rows is often near 1 by
        chance.

    Attributes
    ----------
    correlated_groups_ : list of list of str
        Groups with at least two columns, by feature name; the kept column
        comes first and the others follow in ranking order.
    scores_ : ndarray of shape (`n_features_in_`,)
        The ``keep`` criterion per column (relevance to the target,
        variance, or minus the number of missing values); NaN for
        non-numeric columns and where it is undefined, such as a constant
        column's relevance.
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
    >>> from sktricks.feature_selection import CorrelationSelector
    >>> rng = np.random.default_rng(0)
    >>> signal = rng.normal(size=200)
    >>> X = pd.DataFrame({
    ...     "noisy_copy": signal + rng.normal(scale=0.1, size=200),
    ...     "signal": signal,
    ...     "other": rng.normal(size=200),
    ...     "city": ["a", "b"] * 100,
    ... })
    >>> y = signal + rng.normal(scale=0.01, size=200)
    >>> selector = CorrelationSelector(threshold=0.9).fit(X, y)
    >>> selector.get_feature_names_out().tolist()
    ['signal', 'other', 'city']
    >>> selector.correlated_groups_
    [['signal', 'noisy_copy']]
    """

    _parameter_constraints: ClassVar[dict] = {
        "threshold": [Interval(Real, 0, 1, closed="right")],
        "method": [StrOptions({"pearson", "spearman", "kendall"})],
        "keep": [StrOptions({"target", "variance", "missing"})],
        "min_periods": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(
        self,
        threshold: float = 0.95,
        method: str = "pearson",
        keep: str = "target",
        min_periods: int = 10,
    ) -> None:
        self.threshold = threshold
        self.method = method
        self.keep = keep
        self.min_periods = min_periods

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> CorrelationSelector:
        """Group the correlated numeric columns and keep one per group.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Input data. Missing values are allowed, infinity is not.
        y : array-like of shape (n_samples,), default=None
            Target; required when ``keep="target"``, ignored otherwise.

        Returns
        -------
        self : CorrelationSelector
        """
        frame = validate_frame(self, X, reset=True, numeric_arrays=True)
        names = column_names(self, frame)
        numeric = _numeric_positions(frame)
        values = _numeric_values(frame, numeric)
        target = self._validate_target(y, frame.shape[0])

        correlation = correlation_matrix(values, self.method, self.min_periods)
        scores = self._keep_scores(values, target)
        kept, groups = _greedy_groups(
            correlation, scores, names[numeric], self.threshold
        )

        self.support_ = np.ones(frame.shape[1], dtype=bool)
        self.support_[numeric] = kept
        self.scores_ = np.full(frame.shape[1], np.nan)
        self.scores_[numeric] = scores
        self.correlated_groups_ = [[str(n) for n in names[numeric][g]] for g in groups]

        logger.info(
            "CorrelationSelector found %d groups and drops %d of %d numeric columns",
            len(groups),
            int((~kept).sum()),
            numeric.shape[0],
        )
        return self

    def _validate_target(self, y: Any, n_rows: int) -> Any:
        if self.keep != "target":
            return None
        if y is None:
            raise ValueError(
                "CorrelationSelector requires y to be passed, but the target y is "
                "None. keep='target' needs y; pass it to fit, or use "
                "keep='variance' or keep='missing'."
            )
        y = column_or_1d(y, warn=True)
        if y.shape[0] != n_rows:
            raise ValueError(
                f"X has {n_rows} rows but y has {y.shape[0]}; they must match."
            )
        if pd.isna(y).any():
            raise ValueError(
                "Input y contains NaN. CorrelationSelector needs a target without "
                "missing values; drop those rows first."
            )
        return y

    def _keep_scores(self, values: np.ndarray, y: Any) -> np.ndarray:
        if self.keep == "variance":
            return _nan_variance(values)
        if self.keep == "missing":
            return -np.isnan(values).sum(axis=0).astype(float)
        return target_relevance(values, y, self.method)

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.target_tags.required = self.keep == "target"
        return tags


def _numeric_positions(frame: pd.DataFrame) -> np.ndarray:
    positions = [
        i
        for i, dtype in enumerate(frame.dtypes)
        if not isinstance(dtype, pd.CategoricalDtype)
        and (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))
        and not pd.api.types.is_complex_dtype(dtype)
    ]
    return np.asarray(positions, dtype=int)


def _numeric_values(frame: pd.DataFrame, numeric: np.ndarray) -> np.ndarray:
    # to_numpy with na_value turns pd.NA of Int64 and boolean columns into NaN.
    values = frame.iloc[:, numeric].to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(values).any(axis=0)
    if infinite.any():
        columns = list(frame.columns[numeric[infinite]])
        raise ValueError(
            f"Input X contains infinity in columns {columns}, which "
            "CorrelationSelector does not accept. Replace it with NaN or a "
            "finite value."
        )
    return values


def correlation_matrix(values: np.ndarray, method: str, min_periods: int) -> np.ndarray:
    """Return the pairwise-complete correlation matrix of the columns.

    Matches ``pandas.DataFrame.corr(method, min_periods)``: each pair uses
    the rows where both columns are present, and a pair with fewer than
    ``min_periods`` such rows, or with a column constant on them, gets NaN.
    The diagonal is 1 for non-constant columns.
    """
    missing = np.isnan(values)
    if method == "kendall" or (method == "spearman" and missing.any()):
        # Spearman with missing values re-ranks each pair on its own rows,
        # which has no matrix form, so pandas' pairwise loop is used.
        frame = pd.DataFrame(values)
        return frame.corr(method=method, min_periods=min_periods).to_numpy()
    if method == "spearman":
        values = rankdata(values, axis=0)
    return _pearson_pairwise(values, missing, min_periods)


def _pearson_pairwise(
    values: np.ndarray, missing: np.ndarray, min_periods: int
) -> np.ndarray:
    # Centring each column on its own mean first keeps the sums below small,
    # so the one-pass variance formula loses little precision.
    centred = values - _present_means(values)
    if not missing.any():
        return _pearson_complete(centred, min_periods)
    observed = (~missing).astype(float)
    x = np.where(missing, 0.0, centred)

    # Entry (i, j) of each product sums over the rows where both i and j are
    # present: counts, sums of column i, sums of squares of i, cross sums.
    counts = observed.T @ observed
    sums = x.T @ observed
    squares = (x * x).T @ observed
    cross = x.T @ x

    with np.errstate(divide="ignore", invalid="ignore"):
        covariance = cross - sums * sums.T / counts
        variance = squares - sums**2 / counts
        # A column constant on the shared rows leaves only rounding error.
        variance[variance <= 1e-12 * squares] = 0.0
        correlation = covariance / np.sqrt(variance * variance.T)
    correlation[(counts < min_periods) | ~np.isfinite(correlation)] = np.nan
    return np.clip(correlation, -1.0, 1.0)


def _pearson_complete(centred: np.ndarray, min_periods: int) -> np.ndarray:
    # Without missing values one matrix product gives every pair.
    if centred.shape[0] < min_periods:
        return np.full((centred.shape[1], centred.shape[1]), np.nan)
    scale = np.sqrt((centred * centred).sum(axis=0))
    # Equal centred values mean equal inputs; their mean may still leave a
    # tiny non-zero residue, which must not count as variation.
    scale[np.all(centred == centred[0], axis=0)] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        correlation = (centred.T @ centred) / np.outer(scale, scale)
    correlation[~np.isfinite(correlation)] = np.nan
    return np.clip(correlation, -1.0, 1.0)


def target_relevance(values: np.ndarray, y: np.ndarray, method: str) -> np.ndarray:
    """Return how strongly each column relates to the target.

    A float ``y`` is continuous: the score is the absolute correlation with
    ``y`` (pairwise complete, same ``method``). Any other ``y`` contains
    classes: the score is the correlation ratio eta of the column's present
    values, on ranks unless ``method="pearson"``. A constant column scores
    NaN.

    Every column is scored with the same element-wise operations and
    reductions over rows, never with a matrix product across columns. So a
    column's score does not depend on its position. BLAS may sum a matrix
    product in another order when the columns move, and the last-bit
    differences would break exact ties in the ranking.
    """
    if _is_continuous(y):
        target = y.astype(float)
        if method == "pearson":
            return np.abs(_pearson_with_target(values, target))
        frame = pd.DataFrame(values)
        return frame.corrwith(pd.Series(target), method=method).abs().to_numpy()

    if method != "pearson":
        values = _rank_present(values)
    return _correlation_ratio(values, y)


def _pearson_with_target(values: np.ndarray, y: np.ndarray) -> np.ndarray:
    missing = np.isnan(values)
    observed = ~missing
    counts = observed.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(missing, 0.0, values - _present_means(values))
        # The target's mean over each column's present rows.
        target = np.where(observed, y[:, None], 0.0)
        target = np.where(observed, target - target.sum(axis=0) / counts, 0.0)
        x_scale = np.sqrt((x * x).sum(axis=0))
        target_scale = np.sqrt((target * target).sum(axis=0))
        correlation = (x * target).sum(axis=0) / (x_scale * target_scale)
        correlation[_constant_columns(values) | (counts < 2)] = np.nan
    return np.clip(correlation, -1.0, 1.0)


def _is_continuous(y: np.ndarray) -> bool:
    if y.dtype.kind == "f":
        return True
    target_type = type_of_target(y, input_name="y")
    if target_type not in ("binary", "multiclass"):
        raise ValueError(
            f"Unknown label type {target_type!r}: CorrelationSelector takes a "
            "1-D continuous (float) or class target."
        )
    return False


def _rank_present(values: np.ndarray) -> np.ndarray:
    ranks = rankdata(values, axis=0, nan_policy="omit")
    return np.where(np.isnan(values), np.nan, ranks)


def _correlation_ratio(values: np.ndarray, y: np.ndarray) -> np.ndarray:
    missing = np.isnan(values)
    counts = (~missing).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(missing, 0.0, values - _present_means(values))
        squares = (x * x).sum(axis=0)
        sums = x.sum(axis=0)
        total = squares - sums**2 / counts

        # Between-class sum of squares, one class at a time.
        between = -(sums**2) / counts
        for label in np.unique(y):
            rows = y == label
            class_counts = (~missing[rows]).sum(axis=0)
            class_sums = x[rows].sum(axis=0)
            between += np.where(
                class_counts > 0, class_sums**2 / np.maximum(class_counts, 1), 0.0
            )
        total[_constant_columns(values)] = np.nan
        ratio = np.sqrt(np.clip(between / total, 0.0, 1.0))
    return ratio


def _present_means(values: np.ndarray) -> np.ndarray:
    # np.nanmean warns on an all-missing column; its mean here is just NaN.
    missing = np.isnan(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(missing, 0.0, values).sum(axis=0) / (~missing).sum(axis=0)


def _constant_columns(values: np.ndarray) -> np.ndarray:
    """Return True for columns whose present values are all equal (or absent).

    Centring such a column on its mean can leave a tiny non-zero residue,
    so this compares the values themselves.
    """
    missing = np.isnan(values)
    highest = np.where(missing, -np.inf, values).max(axis=0, initial=-np.inf)
    lowest = np.where(missing, np.inf, values).min(axis=0, initial=np.inf)
    return highest <= lowest


def _nan_variance(values: np.ndarray) -> np.ndarray:
    present = (~np.isnan(values)).sum(axis=0)
    variance = np.full(values.shape[1], np.nan)
    has_values = present > 0
    variance[has_values] = np.nanvar(values[:, has_values], axis=0)
    return variance


def _greedy_groups(
    correlation: np.ndarray, scores: np.ndarray, names: np.ndarray, threshold: float
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Group columns around the best-ranked free column, as described above.

    Returns the kept mask and the groups of two or more columns, each as
    positions with the kept column first.
    """
    n_columns = correlation.shape[0]
    linked = np.abs(np.nan_to_num(correlation, nan=0.0)) >= threshold
    order = _ranking(scores, names)

    kept = np.zeros(n_columns, dtype=bool)
    grouped = np.zeros(n_columns, dtype=bool)
    groups = []
    for position in order:
        if grouped[position]:
            continue
        members = linked[position] & ~grouped
        members[position] = True
        grouped |= members
        kept[position] = True
        if members.sum() > 1:
            others = [p for p in order if members[p] and p != position]
            groups.append(np.asarray([position, *others], dtype=int))
    return kept, groups


def _ranking(scores: np.ndarray, names: np.ndarray) -> list[int]:
    # Best score first; an undefined score ranks last; ties go by name.
    # Names, not positions, break ties, so a column permutation gives the
    # same ranking.
    keys = np.where(np.isnan(scores), -np.inf, scores)
    labels = [str(name) for name in names]
    return sorted(range(keys.shape[0]), key=lambda i: (-keys[i], labels[i]))
