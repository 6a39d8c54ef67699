"""Property tests for the competition splitters."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from sktricks.exceptions import SktricksWarning
from sktricks.model_selection import (
    BinnedStratifiedKFold,
    MultilabelStratifiedKFold,
    PurgedGroupTimeSeriesSplit,
    RepeatedStratifiedGroupKFold,
)

PROPERTY = settings(max_examples=40, deadline=None)


def _assert_partition(splits, n_samples):
    counts = np.zeros(n_samples, dtype=int)
    for train, test in splits:
        assert len(test) > 0
        assert not set(train) & set(test)
        assert len(train) + len(test) == n_samples
        counts[test] += 1
    assert np.all(counts == 1)


def _assert_within_one_of_ideal(splits, strata, only=None):
    for stratum in np.unique(strata) if only is None else [only]:
        members = strata == stratum
        ideal = members.sum() / len(splits)
        for _, test in splits:
            assert abs(members[test].sum() - ideal) <= 1


# BinnedStratifiedKFold ------------------------------------------------------------


@PROPERTY
@given(
    y=arrays(
        float,
        st.integers(30, 120),
        elements=st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False),
    ),
    n_splits=st.integers(2, 5),
    n_bins=st.integers(1, 6),
    shuffle=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_binned_stratified_kfold_properties(y, n_splits, n_bins, shuffle, seed):
    splitter = BinnedStratifiedKFold(
        n_splits, n_bins, shuffle, seed if shuffle else None
    )
    X = np.zeros((len(y), 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SktricksWarning)
        splits = list(splitter.split(X, y))

    assert len(splits) == splitter.get_n_splits() == n_splits
    _assert_partition(splits, len(y))
    # Bins recomputed independently: quantile edges, then np.digitize.
    edges = np.unique(np.quantile(y, np.linspace(0, 1, n_bins + 1))[1:-1])
    _assert_within_one_of_ideal(splits, np.digitize(y, edges))
    sizes = [len(test) for _, test in splits]
    assert max(sizes) - min(sizes) <= 1


def test_binned_stratified_kfold_beats_kfold_on_fold_means():
    # Fold means of a skewed target spread less than with plain KFold.
    y = np.random.default_rng(0).lognormal(size=300)

    def spread(splitter):
        means = [y[test].mean() for _, test in splitter.split(y, y)]
        return max(means) - min(means)

    binned = [spread(BinnedStratifiedKFold(5, 10, True, seed)) for seed in range(20)]
    plain = [spread(KFold(5, shuffle=True, random_state=seed)) for seed in range(20)]
    assert np.mean(binned) < 0.5 * np.mean(plain)


def test_binned_stratified_kfold_small_bin_warns_and_all_small_raises():
    # Ties make the quantile bins {0}, {1} and {5}; the middle one has 2 rows.
    y = np.r_[np.zeros(10), 1.0, 1.0, np.full(10, 5.0)]
    with pytest.warns(SktricksWarning, match="smallest bin of y has only 2 members"):
        list(BinnedStratifiedKFold(3, n_bins=4).split(y, y))
    with pytest.raises(
        ValueError, match="greater than the number of members in every bin"
    ):
        list(BinnedStratifiedKFold(5, n_bins=4).split(np.arange(8.0), np.arange(8.0)))


def test_binned_stratified_kfold_bad_input():
    with pytest.raises(ValueError, match="NaN or infinity"):
        list(BinnedStratifiedKFold(2).split(np.zeros(4), [1.0, np.nan, 2.0, 3.0]))
    with pytest.raises(ValueError, match="y is None"):
        list(BinnedStratifiedKFold(2).split(np.zeros(4), None))
    with pytest.raises(ValueError, match="n_bins must be a positive int"):
        BinnedStratifiedKFold(n_bins=0)


def test_binned_stratified_kfold_in_grid_search():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X @ [1.0, 2.0, 0.5] + rng.normal(size=120)
    search = GridSearchCV(Ridge(), {"alpha": [0.1, 10.0]}, cv=BinnedStratifiedKFold(4))
    search.fit(X, y)
    assert len(search.cv_results_["split3_test_score"]) == 2


# MultilabelStratifiedKFold -----------------------------------------------------------


@PROPERTY
@given(
    labels=arrays(
        np.int8,
        st.tuples(st.integers(20, 80), st.integers(1, 5)),
        elements=st.integers(0, 1),
    ),
    n_splits=st.integers(2, 5),
    shuffle=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_multilabel_stratified_kfold_properties(labels, n_splits, shuffle, seed):
    splitter = MultilabelStratifiedKFold(n_splits, shuffle, seed if shuffle else None)
    counts = labels.sum(axis=0)
    positive = counts[counts > 0]
    if len(positive) and np.all(positive < n_splits):
        with pytest.raises(ValueError, match="every label"):
            list(splitter.split(labels, labels))
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SktricksWarning)
        splits = list(splitter.split(labels, labels))

    _assert_partition(splits, len(labels))
    # The rarest label is dealt first, into equally hungry folds, so it is
    # spread within one row of ideal.
    if len(positive):
        rarest = np.flatnonzero(counts == positive.min())[0]
        _assert_within_one_of_ideal(splits, labels[:, rarest], only=1)


@PROPERTY
@given(
    column=arrays(np.int8, st.integers(20, 80), elements=st.integers(0, 1)),
    n_splits=st.integers(2, 4),
)
def test_multilabel_stratified_kfold_single_label_exact(column, n_splits):
    if column.sum() < n_splits:
        return
    splits = list(MultilabelStratifiedKFold(n_splits).split(column, column[:, None]))
    _assert_within_one_of_ideal(splits, column, only=1)
    sizes = [len(test) for _, test in splits]
    assert max(sizes) - min(sizes) <= 1


def test_multilabel_stratified_kfold_bad_input():
    with pytest.raises(ValueError, match="only 0 and 1"):
        list(MultilabelStratifiedKFold(2).split(np.zeros(4), np.array([[0, 2]] * 4)))
    with pytest.raises(ValueError, match="y is None"):
        list(MultilabelStratifiedKFold(2).split(np.zeros(4), None))
    labels = np.r_[np.ones((2, 1)), np.zeros((10, 1))]
    labels = np.hstack([labels, np.ones((12, 1))])
    with pytest.warns(SktricksWarning, match="smallest label has only 2 members"):
        list(MultilabelStratifiedKFold(3).split(labels, labels))


def test_multilabel_stratified_kfold_in_cross_validate():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    labels = (rng.uniform(size=(90, 3)) < 0.3).astype(int)
    labels[:, 0] = (X[:, 0] > 0).astype(int)
    result = cross_validate(
        LogisticRegression(),
        X,
        labels[:, 0],
        cv=list(
            MultilabelStratifiedKFold(3, shuffle=True, random_state=0).split(X, labels)
        ),
    )
    assert len(result["test_score"]) == 3


# PurgedGroupTimeSeriesSplit -----------------------------------------------------


@PROPERTY
@given(
    group_sizes=st.lists(st.integers(1, 5), min_size=4, max_size=30),
    n_splits=st.integers(2, 5),
    gap=st.integers(0, 3),
    max_train_groups=st.one_of(st.none(), st.integers(1, 10)),
    seed=st.integers(0, 1000),
)
def test_purged_group_time_series_split_properties(
    group_sizes, n_splits, gap, max_train_groups, seed
):
    # Periods are labelled by shuffled dates so that row order is not time order.
    periods = np.repeat(np.arange(len(group_sizes)) * 7 + 100, group_sizes)
    rows = np.random.default_rng(seed).permutation(len(periods))
    groups = periods[rows]
    splitter = PurgedGroupTimeSeriesSplit(n_splits, gap, max_train_groups)
    if len(group_sizes) < n_splits + 1 + gap:
        with pytest.raises(ValueError, match="too few"):
            list(splitter.split(groups, groups=groups))
        return

    splits = list(splitter.split(groups, groups=groups))

    assert len(splits) == splitter.get_n_splits() == n_splits
    ranks = np.searchsorted(np.unique(groups), groups)
    seen_test = set()
    for train, test in splits:
        train_ranks, test_ranks = set(ranks[train]), set(ranks[test])
        assert len(train) > 0
        assert len(test) > 0
        assert max(train_ranks) + gap < min(test_ranks)
        assert max(train_ranks) + gap + 1 == min(test_ranks)
        if max_train_groups is not None:
            assert len(train_ranks) <= max_train_groups
        else:
            assert min(train_ranks) == 0
        # Whole periods only: every row of a used period is on the same side.
        assert set(np.flatnonzero(np.isin(ranks, list(test_ranks)))) == set(test)
        assert set(np.flatnonzero(np.isin(ranks, list(train_ranks)))) == set(train)
        assert not seen_test & test_ranks
        seen_test |= test_ranks
    assert max(seen_test) == ranks.max()


def test_purged_group_time_series_split_needs_groups():
    with pytest.raises(ValueError, match="groups is None"):
        list(PurgedGroupTimeSeriesSplit().split(np.zeros(10)))
    with pytest.raises(ValueError, match="gap must be an int >= 0"):
        PurgedGroupTimeSeriesSplit(gap=-1)


def test_purged_group_time_series_split_with_routing():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = X[:, 0] + rng.normal(size=80)
    groups = np.repeat(np.arange(16), 5)
    with sklearn.config_context(enable_metadata_routing=True):
        result = cross_validate(
            Ridge(),
            X,
            y,
            cv=PurgedGroupTimeSeriesSplit(3, gap=1),
            params={"groups": groups},
        )
    assert len(result["test_score"]) == 3


# RepeatedStratifiedGroupKFold ---------------------------------------------------


@PROPERTY
@given(
    n_groups=st.integers(6, 40),
    n_splits=st.integers(2, 5),
    n_repeats=st.integers(1, 3),
    data_seed=st.integers(0, 1000),
    seed=st.integers(0, 1000),
)
def test_repeated_stratified_group_kfold_properties(
    n_groups, n_splits, n_repeats, data_seed, seed
):
    rng = np.random.default_rng(data_seed)
    groups = rng.integers(0, n_groups, size=4 * n_groups)
    y = rng.integers(0, 3, size=len(groups))
    if len(np.unique(groups)) < n_splits or np.all(np.bincount(y) < n_splits):
        return
    splitter = RepeatedStratifiedGroupKFold(n_splits, n_repeats, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SktricksWarning)
        splits = list(splitter.split(y, y, groups))

    assert len(splits) == splitter.get_n_splits() == n_splits * n_repeats
    for repeat in range(n_repeats):
        _assert_partition(splits[repeat * n_splits : (repeat + 1) * n_splits], len(y))
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])


@PROPERTY
@given(
    y=arrays(np.int8, st.integers(10, 60), elements=st.integers(0, 2)),
    n_splits=st.integers(2, 4),
    seed=st.integers(0, 1000),
)
def test_repeated_stratified_group_kfold_singletons_within_one(y, n_splits, seed):
    # With one row per group nothing stops exact stratification.
    if np.all(np.bincount(y) < n_splits):
        return
    splitter = RepeatedStratifiedGroupKFold(n_splits, n_repeats=2, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SktricksWarning)
        splits = list(splitter.split(y, y, np.arange(len(y))))
    for repeat in range(2):
        _assert_within_one_of_ideal(
            splits[repeat * n_splits : (repeat + 1) * n_splits], y
        )


def test_repeated_stratified_group_kfold_repeats_differ():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(30), rng.integers(1, 6, size=30))
    y = rng.integers(0, 2, size=len(groups))
    splits = list(
        RepeatedStratifiedGroupKFold(3, 3, random_state=0).split(y, y, groups)
    )
    tests = [
        frozenset(frozenset(test) for _, test in splits[r * 3 : r * 3 + 3])
        for r in range(3)
    ]
    assert len(set(tests)) == 3


def test_repeated_stratified_group_kfold_bad_input():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="greater than the number of groups"):
        list(RepeatedStratifiedGroupKFold(3).split(y, y, [0, 0, 0, 0, 1, 1, 1, 1]))
    with pytest.raises(ValueError, match="every class"):
        list(RepeatedStratifiedGroupKFold(5).split(y, y, np.arange(8)))
    y_tiny = np.r_[np.zeros(10), [1, 1]]
    with pytest.warns(SktricksWarning, match="smallest class has only 2 members"):
        list(RepeatedStratifiedGroupKFold(3).split(y_tiny, y_tiny, np.arange(12)))
    with pytest.raises(ValueError, match="groups is None"):
        list(RepeatedStratifiedGroupKFold(2).split(y, y))


def test_repeated_stratified_group_kfold_in_grid_search():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] > 0).astype(int)
    groups = np.arange(120) // 4
    search = GridSearchCV(
        LogisticRegression(),
        {"C": [0.1, 1.0]},
        cv=RepeatedStratifiedGroupKFold(3, 2, random_state=0),
    )
    search.fit(X, y, groups=groups)
    assert "split5_test_score" in search.cv_results_


def test_purged_split_rejects_text_periods():
    # Sorted as text, "2020-10" comes before "2020-2": training would use
    # later months than the test block.
    groups = np.array([f"2020-{month}" for month in range(1, 13)]).repeat(10)
    with pytest.raises(TypeError, match=r"pd\.to_datetime"):
        list(PurgedGroupTimeSeriesSplit(3).split(np.zeros((120, 1)), groups=groups))


def test_purged_split_rejects_missing_periods():
    groups = np.arange(12.0).repeat(10)
    groups[0] = np.nan
    with pytest.raises(ValueError, match="1 missing periods"):
        list(PurgedGroupTimeSeriesSplit(3).split(np.zeros((120, 1)), groups=groups))


def test_purged_split_orders_datetime_periods():
    months = pd.date_range("2020-01-01", periods=12, freq="MS")
    groups = np.asarray(months.repeat(10))
    for train, test in PurgedGroupTimeSeriesSplit(3).split(
        np.zeros((120, 1)), groups=groups
    ):
        assert groups[train].max() < groups[test].min()


def test_binned_stratified_kfold_too_many_bins_message():
    y = np.arange(200.0)
    with pytest.raises(ValueError, match=r"lower n_bins=500 to at most 40"):
        list(BinnedStratifiedKFold(5, n_bins=500).split(y, y))
    # Bins of 3 rows allow n_splits=3, so both settings are named.
    with pytest.raises(
        ValueError, match="lower n_splits to at most 3, or lower n_bins"
    ):
        list(BinnedStratifiedKFold(5, n_bins=6).split(np.zeros(18), np.arange(18.0)))


@pytest.mark.parametrize(
    "y",
    [np.array(["a", "b"] * 4), np.array(["1.5", "2"] * 4, dtype=object)],
)
def test_binned_stratified_kfold_rejects_string_target(y):
    with pytest.raises(
        ValueError, match=r"numeric \(continuous\) target.*StratifiedKFold"
    ):
        list(BinnedStratifiedKFold(2).split(np.zeros(8), y))


def test_binned_stratified_kfold_accepts_numeric_object_target():
    y = np.array([1, 2.5, 3, 4.5] * 2, dtype=object)
    folds = list(BinnedStratifiedKFold(2, n_bins=2).split(np.zeros(8), y))
    assert len(folds) == 2


def test_repeated_stratified_group_kfold_no_empty_fold():
    # With as many groups as folds, every fold must get one group. Rounding
    # noise in float costs used to beat the smaller-fold tie-break and leave
    # a fold empty.
    rng = np.random.default_rng(0)
    for _ in range(300):
        n_splits = int(rng.integers(2, 6))
        sizes = rng.integers(1, 5, size=n_splits)
        groups = np.repeat(np.arange(n_splits), sizes)
        y = rng.integers(0, 3, size=groups.size)
        if np.bincount(y).max() < n_splits:
            continue
        splitter = RepeatedStratifiedGroupKFold(n_splits, 2, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SktricksWarning)
            splits = list(splitter.split(y, y, groups))
        for repeat in range(2):
            _assert_partition(
                splits[repeat * n_splits : (repeat + 1) * n_splits], y.size
            )


@pytest.mark.parametrize(
    ("y", "groups", "message"),
    [
        (
            np.r_[np.nan, np.tile([0.0, 1.0], 10)[1:]],
            np.arange(20) // 2,
            "y contains 1",
        ),
        (np.tile([0, 1], 10), np.r_[np.nan, np.arange(19.0)], "groups contains 1"),
        (
            np.tile([0, 1], 10),
            pd.Series(np.r_[pd.NA, np.arange(19)], dtype="Int64"),
            "groups contains 1",
        ),
        (np.linspace(0, 1, 20), np.arange(20), "continuous target.*Binned"),
    ],
)
def test_repeated_stratified_group_kfold_rejects_unusable_input(y, groups, message):
    splitter = RepeatedStratifiedGroupKFold(2, 1, random_state=0)
    with pytest.raises(ValueError, match=message):
        list(splitter.split(np.zeros(20), y, groups))


def test_multilabel_stratified_kfold_sparse_labels():
    labels = (np.random.default_rng(0).random((60, 4)) < 0.3).astype(int)
    splitter = MultilabelStratifiedKFold(3)

    dense = [test.tolist() for _, test in splitter.split(labels, labels)]
    sparse = [
        test.tolist() for _, test in splitter.split(labels, sp.csr_matrix(labels))
    ]

    assert sparse == dense


def test_multilabel_stratified_kfold_names_invalid_values():
    labels = np.ones((12, 2))
    labels[0, 0] = np.nan
    labels[1, 1] = 2
    with pytest.raises(ValueError, match=r"contains \[nan, 2\.0\]"):
        list(MultilabelStratifiedKFold(2).split(labels, labels))


@pytest.mark.parametrize("kind", ["utc", "other_zone", "period"])
def test_purged_split_accepts_zoned_and_period_groups(kind):
    months = pd.date_range("2020-01-01", periods=12, freq="MS").repeat(10)
    naive = pd.Series(months)
    groups = {
        "utc": naive.dt.tz_localize("UTC"),
        "other_zone": naive.dt.tz_localize("Asia/Tokyo"),
        "period": naive.dt.to_period("M"),
    }[kind]
    splitter = PurgedGroupTimeSeriesSplit(3, gap=1)
    X = np.zeros((120, 1))

    expected = [test.tolist() for _, test in splitter.split(X, groups=naive)]
    got = [test.tolist() for _, test in splitter.split(X, groups=groups)]

    assert got == expected
