"""Cross-validation splitters for competition data.

Each follows scikit-learn's splitter API (``split(X, y, groups)`` and
``get_n_splits``), so it works in ``cross_validate``, ``GridSearchCV`` and
:func:`sktricks.model_selection.cross_val_oof`. As in scikit-learn, these
splitters check their parameters in ``__init__``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.model_selection._split import GroupsConsumerMixin, _BaseKFold
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _num_samples, column_or_1d

from sktricks.exceptions import SktricksWarning

__all__ = [
    "BinnedStratifiedKFold",
    "MultilabelStratifiedKFold",
    "PurgedGroupTimeSeriesSplit",
    "RepeatedStratifiedGroupKFold",
]


def _check_n_splits(n_splits: Any) -> None:
    if not isinstance(n_splits, Integral) or isinstance(n_splits, bool):
        raise ValueError(f"n_splits must be an int >= 2, got {n_splits!r}.")
    if n_splits < 2:
        raise ValueError(f"n_splits must be an int >= 2, got {n_splits}.")


def _check_stratum_sizes(
    counts: np.ndarray, n_splits: int, what: str, other_fix: str = ""
) -> None:
    """Warn when a stratum is smaller than ``n_splits``; raise when all are.

    ``other_fix`` is a clause naming another setting that enlarges the
    strata, appended to the error after the n_splits fix.
    """
    if np.all(counts < n_splits):
        largest = int(counts.max())
        if largest >= 2:
            fix = f"lower n_splits to at most {largest}"
        else:
            fix = "n_splits cannot go below 2"
        if other_fix:
            fix += f", or {other_fix}"
        raise ValueError(
            f"n_splits={n_splits} is greater than the number of members in every "
            f"{what} (largest: {largest}); {fix}."
        )
    if np.any(counts < n_splits):
        warnings.warn(
            f"The smallest {what} has only {int(counts.min())} members, fewer "
            f"than n_splits={n_splits}; some test folds will lack it.",
            SktricksWarning,
            stacklevel=3,
        )


def _check_continuous_target(y: Any, n_samples: int) -> np.ndarray:
    """Return ``y`` as finite float64, or raise for labels, NaN or infinity."""
    y = _check_finite_target(y, n_samples)
    # Strings are labels even when they parse as numbers, as in type_of_target.
    is_numeric = y.dtype.kind in "biuf" or (
        y.dtype.kind == "O"
        and all(isinstance(value, Real) and not isinstance(value, str) for value in y)
    )
    if not is_numeric:
        raise ValueError(
            f"BinnedStratifiedKFold needs a numeric (continuous) target, got y "
            f"of dtype {y.dtype} (first values: {y[:3].tolist()}). For class "
            "labels use sklearn.model_selection.StratifiedKFold."
        )
    y = y.astype(float)
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinity; drop or impute those rows.")
    return y


def _check_no_missing(values: np.ndarray, name: str, fix: str) -> None:
    missing = pd.isna(values)
    if missing.any():
        raise ValueError(
            f"{name} contains {int(missing.sum())} missing values (NaN, None or "
            f"NA); {fix}."
        )


def _check_class_labels(y: Any, n_samples: int) -> np.ndarray:
    """Return ``y`` as a 1-D array of class labels, or raise for missing
    values and continuous targets."""
    y = _check_finite_target(y, n_samples)
    _check_no_missing(y, "y", "drop those rows or impute the target")
    kind = type_of_target(y, input_name="y")
    if kind not in ("binary", "multiclass"):
        raise ValueError(
            f"y is a {kind} target, but this splitter stratifies on class "
            "labels. For a continuous target use BinnedStratifiedKFold, or "
            "bin y first, for example with pd.qcut(y, 10, labels=False)."
        )
    return y


def _check_finite_target(y: Any, n_samples: int) -> np.ndarray:
    if y is None:
        raise ValueError("y is None; this splitter stratifies on y, so pass it.")
    y = column_or_1d(y, warn=False)
    if y.shape[0] != n_samples:
        raise ValueError(f"X has {n_samples} rows but y has {y.shape[0]}.")
    return y


class BinnedStratifiedKFold(_BaseKFold):
    """K-fold split that stratifies a continuous target by quantile bins.

    ``y`` is cut into ``n_bins`` quantile bins (fewer when quantiles tie).
    The rows of each bin, sorted by ``y``, are dealt to the folds in turn
    with one counter that runs across bins. So every bin has ``floor`` or
    ``ceil`` of ``bin_size / n_splits`` rows in each test fold, fold sizes
    differ by at most one row, and the tail of a skewed target is spread
    over the folds too. scikit-learn's ``StratifiedKFold`` stratifies only
    discrete classes.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    n_bins : int, default=10
        Number of quantile bins of ``y``.
    shuffle : bool, default=False
        Randomise the fold order inside each block of ``n_splits`` sorted
        rows, and the order of tied values.
    random_state : int, RandomState instance or None, default=None
        Seed for ``shuffle``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.model_selection import BinnedStratifiedKFold
    >>> y = np.arange(20.0)
    >>> splitter = BinnedStratifiedKFold(n_splits=2, n_bins=2)
    >>> [test.tolist() for _, test in splitter.split(y.reshape(-1, 1), y)]
    [[0, 2, 4, 6, 8, 10, 12, 14, 16, 18], [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]]
    """

    n_bins: int

    def __init__(
        self,
        n_splits: int = 5,
        n_bins: int = 10,
        shuffle: bool = False,
        random_state: Any = None,
    ) -> None:
        super().__init__(n_splits=n_splits, shuffle=shuffle, random_state=random_state)
        if not isinstance(n_bins, Integral) or n_bins < 1:
            raise ValueError(f"n_bins must be a positive int, got {n_bins!r}.")
        self.n_bins = n_bins

    def split(self, X, y, groups=None):
        """Generate train and test indices; ``y`` is required."""
        return super().split(X, y, groups)

    def _iter_test_indices(self, X=None, y=None, groups=None):
        n_samples = _num_samples(X)
        y = _check_continuous_target(y, n_samples)
        bins = _quantile_bins(y, self.n_bins)
        # Quantile bins of n rows contain about n / n_bins rows each, fewer
        # distinct bins when y has ties.
        max_bins = max(n_samples // self.n_splits, 1)
        _check_stratum_sizes(
            np.bincount(bins),
            self.n_splits,
            "bin of y",
            other_fix=(
                f"lower n_bins={self.n_bins} to at most {max_bins} "
                f"({n_samples} rows // {self.n_splits} splits)"
            ),
        )

        test_folds = _deal_sorted_bins(
            y, bins, self.n_splits, self.shuffle, check_random_state(self.random_state)
        )
        for fold in range(self.n_splits):
            yield np.flatnonzero(test_folds == fold)


def _deal_sorted_bins(
    y: np.ndarray,
    bins: np.ndarray,
    n_splits: int,
    shuffle: bool,
    rng: np.random.RandomState,
) -> np.ndarray:
    """Deal the rows, bin by bin and sorted by ``y`` inside a bin, to the folds.

    One counter runs across bins, so each bin gives every fold ``floor`` or
    ``ceil`` of ``bin_size / n_splits`` rows and fold sizes differ by at most
    one. With ``shuffle`` the order of tied rows and the fold order inside
    each full block of ``n_splits`` rows are random. The last, partial block
    of a bin keeps the counter's order, so the fold sizes stay balanced.
    """
    n_samples = y.shape[0]
    order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    # lexsort is stable, so tied y values keep the (shuffled) order above.
    order = order[np.lexsort((y[order], bins[order]))]
    folds = np.arange(n_samples) % n_splits
    if shuffle:
        sorted_bins = bins[order]
        starts = np.flatnonzero(np.r_[True, sorted_bins[1:] != sorted_bins[:-1]])
        sizes = np.diff(np.r_[starts, n_samples])
        for start, size in zip(starts, sizes, strict=True):
            for block in range(size // n_splits):
                rows = start + block * n_splits + np.arange(n_splits)
                folds[rows] = folds[rows][rng.permutation(n_splits)]
    test_folds = np.empty(n_samples, dtype=int)
    test_folds[order] = folds
    return test_folds


def _quantile_bins(y: np.ndarray, n_bins: int) -> np.ndarray:
    edges = np.unique(np.quantile(y, np.linspace(0, 1, n_bins + 1))[1:-1])
    bins = np.searchsorted(edges, y, side="right")
    return np.unique(bins, return_inverse=True)[1]


class MultilabelStratifiedKFold(_BaseKFold):
    """K-fold split of a 0/1 label matrix by iterative stratification.

    Implements the iterative stratification of Sechidis, Tsoumakas and
    Vlahavas, "On the Stratification of Multi-Label Data" (ECML PKDD 2011):
    the label with the fewest rows left is handled first, and each of its
    rows goes to the fold that still needs most of that label. Ties go to
    the fold that needs most of the row's labels taken together (an addition
    to the paper that spreads co-occurring labels better), then to the fold
    that needs most rows. Rows with no positive label fill the folds that
    need most rows. Remaining ties go to the lowest fold number, or to a
    random fold when ``shuffle=True``. scikit-learn has no multilabel stratification.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Visit rows in random order and break ties at random.
    random_state : int, RandomState instance or None, default=None
        Seed for ``shuffle``.

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.model_selection import MultilabelStratifiedKFold
    >>> Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 1], [1, 1]])
    >>> splitter = MultilabelStratifiedKFold(n_splits=2)
    >>> [Y[test].sum(axis=0).tolist() for _, test in splitter.split(Y, Y)]
    [[2, 2], [2, 2]]
    """

    def __init__(
        self, n_splits: int = 5, shuffle: bool = False, random_state: Any = None
    ) -> None:
        super().__init__(n_splits=n_splits, shuffle=shuffle, random_state=random_state)

    def split(self, X, y, groups=None):
        """Generate train and test indices; ``y`` is the (n_samples, n_labels)
        0/1 label matrix."""
        return super().split(X, y, groups)

    def _iter_test_indices(self, X=None, y=None, groups=None):
        labels = self._check_labels(y, _num_samples(X))
        test_folds = _iterative_stratification(
            labels, self.n_splits, check_random_state(self.random_state), self.shuffle
        )
        for fold in range(self.n_splits):
            yield np.flatnonzero(test_folds == fold)

    def _check_labels(self, y: Any, n_samples: int) -> np.ndarray:
        if y is None:
            raise ValueError("y is None; pass the 0/1 label matrix to stratify on.")
        # A sparse indicator matrix, as MultiLabelBinarizer(sparse_output=True)
        # returns, would become a 0-d object array under np.asarray.
        labels = y.toarray() if sp.issparse(y) else np.asarray(y)
        if labels.ndim == 1:
            labels = labels.reshape(-1, 1)
        if labels.ndim != 2 or labels.shape[0] != n_samples:
            raise ValueError(
                f"y must have shape (n_samples={n_samples}, n_labels); "
                f"got {labels.shape}."
            )
        invalid = ~np.isin(labels, (0, 1))
        if invalid.any():
            examples = pd.unique(labels[invalid].ravel())[:3].tolist()
            raise ValueError(
                f"y must contain only 0 and 1 (a label indicator matrix), but it "
                f"contains {examples}. Binarize label lists with "
                "sklearn.preprocessing.MultiLabelBinarizer and fill missing labels."
            )
        counts = labels.sum(axis=0)
        if counts.max() > 0:
            _check_stratum_sizes(counts[counts > 0], self.n_splits, "label")
        return labels.astype(bool)


def _iterative_stratification(
    labels: np.ndarray, n_splits: int, rng: np.random.RandomState, shuffle: bool
) -> np.ndarray:
    n_samples = labels.shape[0]
    desired_rows = np.full(n_splits, n_samples / n_splits)
    desired_labels = np.outer(labels.sum(axis=0), np.full(n_splits, 1 / n_splits))
    test_folds = np.full(n_samples, -1)
    unassigned = np.ones(n_samples, dtype=bool)
    remaining = labels.sum(axis=0).astype(float)

    def best_fold(candidates: np.ndarray) -> int:
        ties = np.flatnonzero(candidates)
        return int(rng.choice(ties)) if shuffle else int(ties[0])

    while unassigned.any():
        positive = np.where(remaining > 0, remaining, np.inf)
        if not np.isfinite(positive).any():
            break
        label = int(np.argmin(positive))
        rows = np.flatnonzero(unassigned & labels[:, label])
        if shuffle:
            rows = rng.permutation(rows)
        for row in rows:
            desired = desired_labels[label]
            candidates = desired == desired.max()
            # Among folds tied on this label, prefer the one that needs most
            # of the row's labels together. This tie-break is not in the
            # paper, and it lowers the per-label deviation of co-occurring labels.
            row_desired = np.where(
                candidates, desired_labels[labels[row]].sum(axis=0), -np.inf
            )
            candidates = row_desired == row_desired.max()
            among = np.where(candidates, desired_rows, -np.inf)
            fold = best_fold(among == among.max())
            test_folds[row] = fold
            unassigned[row] = False
            desired_labels[labels[row], fold] -= 1
            desired_rows[fold] -= 1
            remaining[labels[row]] -= 1

    rows = np.flatnonzero(unassigned)
    if shuffle:
        rows = rng.permutation(rows)
    for row in rows:
        fold = best_fold(desired_rows == desired_rows.max())
        test_folds[row] = fold
        desired_rows[fold] -= 1
    return test_folds


def _check_time_groups(groups: np.ndarray) -> None:
    """Reject period labels whose sort order need not be time order.

    Sorting text puts "2020-10" before "2020-2", and a missing period would
    sort last, so training could use later periods than the test block.
    """
    kind = groups.dtype.kind
    if kind not in "iufMm":
        raise TypeError(
            f"groups has dtype {groups.dtype}; PurgedGroupTimeSeriesSplit "
            "orders periods by sorting them, which is only time order for "
            "numbers and datetimes. Convert text periods first, for example "
            "with pd.to_datetime(groups) or period integers."
        )
    missing = pd.isna(groups)
    if missing.any():
        raise ValueError(
            f"groups has {int(missing.sum())} missing periods (NaN or NaT); "
            "every row needs a time period. Drop those rows or fill them."
        )


def _time_sortable(groups: Any) -> Any:
    """Turn time-zone-aware timestamps and pandas periods into UTC datetimes.

    NumPy has no dtype for either, so they would reach the splitter as
    ``object`` arrays and be rejected like text.
    """
    if not isinstance(groups, (pd.Series, pd.Index)):
        return groups
    values = pd.Series(groups)
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.dt.start_time.to_numpy()
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    return groups


class PurgedGroupTimeSeriesSplit(GroupsConsumerMixin):
    """Walk-forward split over time-ordered groups with a purge gap.

    Each group is one period (a day, a week, an era); sorting the group
    labels must sort the periods in time. The last ``n_splits`` blocks of
    ``(n_groups - gap) // (n_splits + 1)`` groups each are the test folds in
    turn; each is trained on the groups before
    it, without the ``gap`` groups right before the test block (purged, so
    labels that span up to ``gap`` periods cannot leak), and at most
    ``max_train_groups`` groups. scikit-learn's ``TimeSeriesSplit`` counts
    rows, not groups, so it can cut a period in two.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    gap : int, default=0
        Groups dropped between the training groups and the test groups.
    max_train_groups : int, default=None
        Maximum number of groups in a training set; ``None`` uses all
        earlier groups.

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.model_selection import PurgedGroupTimeSeriesSplit
    >>> groups = np.repeat(np.arange(6), 2)
    >>> splitter = PurgedGroupTimeSeriesSplit(n_splits=2, gap=1)
    >>> for train, test in splitter.split(groups, groups=groups):
    ...     print(np.unique(groups[train]).tolist(), np.unique(groups[test]).tolist())
    [0, 1, 2] [4]
    [0, 1, 2, 3] [5]
    """

    n_splits: int
    gap: int
    max_train_groups: int | None

    def __init__(
        self, n_splits: int = 5, gap: int = 0, max_train_groups: int | None = None
    ) -> None:
        _check_n_splits(n_splits)
        if not isinstance(gap, Integral) or gap < 0:
            raise ValueError(f"gap must be an int >= 0, got {gap!r}.")
        if max_train_groups is not None and (
            not isinstance(max_train_groups, Integral) or max_train_groups < 1
        ):
            raise ValueError(
                f"max_train_groups must be a positive int or None, got "
                f"{max_train_groups!r}."
            )
        self.n_splits = n_splits
        self.gap = gap
        self.max_train_groups = max_train_groups

    def __repr__(self) -> str:
        return (
            f"PurgedGroupTimeSeriesSplit(n_splits={self.n_splits}, gap={self.gap}, "
            f"max_train_groups={self.max_train_groups})"
        )

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Return the number of splits."""
        return self.n_splits

    def split(self, X, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Generate train and test indices; ``groups`` is required."""
        n_samples = _num_samples(X)
        if groups is None:
            raise ValueError("groups is None; pass the time period of each row.")
        groups = column_or_1d(_time_sortable(groups), warn=False)
        if groups.shape[0] != n_samples:
            raise ValueError(
                f"X has {n_samples} rows but groups has {groups.shape[0]}."
            )
        _check_time_groups(groups)
        periods, inverse = np.unique(groups, return_inverse=True)
        n_groups = periods.shape[0]
        # Sizing the blocks on n_groups - gap keeps at least one training group
        # whenever n_groups >= n_splits + 1 + gap.
        test_size = (n_groups - self.gap) // (self.n_splits + 1)
        first_test = n_groups - self.n_splits * test_size
        if test_size == 0 or first_test - self.gap < 1:
            raise ValueError(
                f"{n_groups} groups are too few for n_splits={self.n_splits} and "
                f"gap={self.gap}; need at least {self.n_splits + 1 + self.gap}."
            )
        for start in range(first_test, n_groups, test_size):
            train_end = start - self.gap
            train_start = 0
            if self.max_train_groups is not None:
                train_start = max(0, train_end - self.max_train_groups)
            train = np.flatnonzero((inverse >= train_start) & (inverse < train_end))
            test = np.flatnonzero((inverse >= start) & (inverse < start + test_size))
            yield train, test


def _assign_groups(
    counts: np.ndarray, n_splits: int, rng: np.random.RandomState
) -> np.ndarray:
    """Assign each group to the fold whose class counts it brings closest to
    the ideal share, visiting groups in random order.

    Adding group counts ``c`` to fold counts ``b`` moves the squared distance
    from the ideal share ``t = class_total / n_splits`` by
    ``|c|**2 + 2 c.(b - t)``. Only ``c.b`` differs between folds, so the
    fold with the smallest ``c.b`` wins. It is computed on integer counts,
    because rounding noise in a float difference of squared distances can
    beat the ties below. Ties go to the smaller fold, then the lower fold
    number. An empty fold has ``c.b = 0``, the minimum, and size 0, so no
    fold stays empty while groups remain.
    """
    counts = counts.astype(np.int64)
    fold_counts = np.zeros((n_splits, counts.shape[1]), dtype=np.int64)
    fold_sizes = np.zeros(n_splits, dtype=np.int64)
    assignment = np.empty(counts.shape[0], dtype=int)
    for group in rng.permutation(counts.shape[0]):
        cost = fold_counts @ counts[group]
        fold = np.lexsort((np.arange(n_splits), fold_sizes, cost))[0]
        assignment[group] = fold
        fold_counts[fold] += counts[group]
        fold_sizes[fold] += counts[group].sum()
    return assignment


class RepeatedStratifiedGroupKFold(GroupsConsumerMixin):
    """Stratified group k-fold repeated with a new assignment each time.

    Groups are never split. Each repeat visits the groups in a new random
    order and puts each group in the fold whose class counts it brings
    closest to the ideal share, so class balance per fold is kept as far as
    whole groups allow. scikit-learn's ``StratifiedGroupKFold`` orders
    groups by the spread of their class distribution and shuffles only
    ties, so with ``shuffle=True`` most repeats give the same folds.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    n_repeats : int, default=3
        Number of repeats, at least 1.
    random_state : int, RandomState instance or None, default=None
        Seed for the group order of every repeat.

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.model_selection import RepeatedStratifiedGroupKFold
    >>> y = np.array([0, 0, 1, 1] * 5)
    >>> groups = np.repeat(np.arange(10), 2)
    >>> splitter = RepeatedStratifiedGroupKFold(n_splits=2, n_repeats=2, random_state=0)
    >>> splitter.get_n_splits()
    4
    >>> all(len(set(groups[train]) & set(groups[test])) == 0
    ...     for train, test in splitter.split(y, y, groups))
    True
    """

    n_splits: int
    n_repeats: int
    random_state: Any

    def __init__(
        self, n_splits: int = 5, n_repeats: int = 3, random_state: Any = None
    ) -> None:
        _check_n_splits(n_splits)
        if not isinstance(n_repeats, Integral) or n_repeats < 1:
            raise ValueError(f"n_repeats must be a positive int, got {n_repeats!r}.")
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state

    def __repr__(self) -> str:
        return (
            f"RepeatedStratifiedGroupKFold(n_splits={self.n_splits}, "
            f"n_repeats={self.n_repeats}, random_state={self.random_state!r})"
        )

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Return the number of splits over all repeats."""
        return self.n_splits * self.n_repeats

    def split(self, X, y, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Generate train and test indices; ``y`` and ``groups`` are required."""
        n_samples = _num_samples(X)
        y = _check_class_labels(y, n_samples)
        if groups is None:
            raise ValueError("groups is None; pass the group of each row.")
        groups = column_or_1d(groups, warn=False)
        if groups.shape[0] != n_samples:
            raise ValueError(
                f"X has {n_samples} rows but groups has {groups.shape[0]}."
            )
        _check_no_missing(groups, "groups", "give those rows a group or drop them")
        classes, y_codes = np.unique(y, return_inverse=True)
        _check_stratum_sizes(np.bincount(y_codes), self.n_splits, "class")
        group_labels, group_codes = np.unique(groups, return_inverse=True)
        if group_labels.shape[0] < self.n_splits:
            raise ValueError(
                f"n_splits={self.n_splits} is greater than the number of groups "
                f"({group_labels.shape[0]}); lower n_splits."
            )

        counts = np.zeros((group_labels.shape[0], classes.shape[0]), dtype=np.int64)
        np.add.at(counts, (group_codes, y_codes), 1)
        rng = check_random_state(self.random_state)
        for _ in range(self.n_repeats):
            test_folds = _assign_groups(counts, self.n_splits, rng)[group_codes]
            for fold in range(self.n_splits):
                yield (
                    np.flatnonzero(test_folds != fold),
                    np.flatnonzero(test_folds == fold),
                )
