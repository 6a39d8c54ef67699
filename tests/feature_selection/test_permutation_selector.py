"""Tests of PermutationSelector."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student_t
from sklearn import config_context
from sklearn.model_selection import LeaveOneGroupOut
from sklearn.neighbors import KNeighborsClassifier
from xgboost import XGBClassifier

from sktricks.feature_selection import PermutationSelector
from sktricks.feature_selection._permutation import _adjusted_p_values


def test_permutation_recovers_informative_columns(make_informative, recall_precision):
    # 3,000 rows x 15 columns, 3 informative, default configuration. The
    # per-fold test is conservative: on 2,000 x 12 some seeds of
    # make_classification give a weak informative column that it misses.
    X, y, truth = make_informative(3_000, 15, 3, random_state=1)

    selector = PermutationSelector(random_state=0).fit(X, y)

    recall, precision = recall_precision(selector.support_, truth)
    assert recall >= 0.9
    assert precision >= 0.9


def test_permutation_p_values_match_closed_form():
    # One-sided t statistic by hand, then a textbook Benjamini-Hochberg.
    rng = np.random.default_rng(0)
    drops = rng.normal(loc=[0.0, 0.02, 0.1, -0.01], scale=0.03, size=(3, 5, 4))
    drops = drops.transpose(0, 2, 1)  # (n_folds, n_features, n_repeats)
    # The samples are the per-fold means over the repeats.
    samples = [[drops[f, j].mean() for f in range(3)] for j in range(4)]
    n = 3
    raw = []
    for row in np.array(samples):
        t_value = row.mean() / (row.std(ddof=1) / np.sqrt(n))
        raw.append(student_t.sf(t_value, df=n - 1))
    order = np.argsort(raw)
    expected = np.empty(4)
    running = 1.0
    for rank in range(4, 0, -1):
        i = order[rank - 1]
        running = min(running, raw[i] * 4 / rank)
        expected[i] = running

    np.testing.assert_allclose(_adjusted_p_values(drops, 0.0), expected)


def test_permutation_constant_drops_have_no_p_value():
    drops = np.zeros((3, 2, 4))
    drops[:, 1, :] = np.arange(3.0)[:, None]

    p_values = _adjusted_p_values(drops, 0.0)

    assert np.isnan(p_values[0])
    assert np.isfinite(p_values[1])


def test_permutation_alpha_none_uses_threshold_only(make_informative):
    X, y, _ = make_informative(300, 6, 2)

    selector = PermutationSelector(alpha=None, threshold=0.01, random_state=0)
    selector.fit(X, y)

    np.testing.assert_array_equal(selector.support_, selector.scores_ > 0.01)
    np.testing.assert_allclose(selector.scores_, selector.fold_scores_.mean(axis=0))


def test_permutation_any_estimator_and_groups():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    groups = np.arange(300) % 3

    selector = PermutationSelector(
        KNeighborsClassifier(), cv=LeaveOneGroupOut(), random_state=0
    ).fit(X, y, groups=groups)

    assert selector.fold_scores_.shape == (3, 5)
    np.testing.assert_array_equal(selector.get_support(indices=True), [0, 1])


def test_permutation_category_and_int64_columns(awkward):
    frame, y = awkward

    selector = PermutationSelector(random_state=0).fit(frame, y)

    support = dict(zip(frame.columns, selector.support_, strict=True))
    assert support["cat"]
    assert support["count"]
    assert not support["empty"]
    assert not support["noise"]


def test_permutation_regression_scoring(make_informative):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = 2 * X[:, 2] + 0.1 * rng.normal(size=400)

    selector = PermutationSelector(scoring="neg_mean_squared_error", random_state=0)
    selector.fit(X, y)

    np.testing.assert_array_equal(selector.get_support(indices=True), [2])
    assert selector.scores_[2] > 1.0
    assert 0.0 <= selector.stability_ <= 1.0


def test_permutation_empty_selection_warns():
    # Two folds give the t-test one degree of freedom, so clear drops of 0.2
    # in accuracy miss alpha. The warning must name that cause, because
    # every column is dropped.
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "n1", "n2"])
    y = (X["a"] + X["b"] + 0.3 * rng.normal(size=300) > 0).astype(int)

    expected = r"such as feature 'b' \(mean drop 0\.22.*raise cv.*alpha=None"
    with pytest.warns(UserWarning, match=expected):
        selector = PermutationSelector(cv=2, random_state=0).fit(X, y)
    assert not selector.support_.any()
    assert (selector.scores_[:2] > 0.1).all()
    assert (selector.p_values_[:2] > 0.05).all()

    kept = PermutationSelector(cv=2, alpha=None, random_state=0).fit(X, y)
    assert {"a", "b"} <= set(kept.get_feature_names_out())


def test_permutation_invalid_alpha():
    with pytest.raises(ValueError, match="alpha"):
        PermutationSelector(alpha=1.5).fit(np.zeros((10, 2)), np.arange(10) % 2)


def test_permutation_metadata_routing():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] > 0).astype(int)
    groups = np.arange(300) % 3

    with config_context(enable_metadata_routing=True):
        selector = PermutationSelector(cv=LeaveOneGroupOut(), random_state=0)
        selector.fit(X, y, groups=groups, sample_weight=np.ones(300))

    assert selector.fold_scores_.shape == (3, 4)
    np.testing.assert_array_equal(selector.get_support(indices=True), [0])


def test_permutation_xgboost_string_labels():
    # XGBoost fold models are fitted on class codes; the held-out score must
    # not compare those codes with the original string labels.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = np.where(X[:, 0] > 0, "yes", "no")

    selector = PermutationSelector(
        XGBClassifier(n_estimators=20, n_jobs=1), random_state=0
    ).fit(X, y)

    np.testing.assert_array_equal(selector.get_support(indices=True), [0])
