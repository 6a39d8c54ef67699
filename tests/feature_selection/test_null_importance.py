"""Tests of NullImportanceSelector."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsClassifier

from sktricks.feature_selection import NullImportanceSelector


def test_null_importance_recovers_informative_columns(
    make_informative, recall_precision
):
    # 1,000 rows x 30 columns, 5 informative, default configuration.
    X, y, truth = make_informative(1_000, 30, 5)

    selector = NullImportanceSelector(random_state=0).fit(X, y)

    recall, precision = recall_precision(selector.support_, truth)
    assert recall >= 0.9
    assert precision >= 0.9


def test_null_importance_p_values_match_loop(make_informative):
    X, y, _ = make_informative(400, 8, 2)

    selector = NullImportanceSelector(n_runs=20, random_state=0).fit(X, y)

    null = selector.null_importances_.to_numpy()
    for j in range(8):
        at_least = sum(1 for value in null[:, j] if value >= selector.scores_[j])
        assert selector.p_values_[j] == pytest.approx((at_least + 1) / 21)
    np.testing.assert_allclose(
        selector.scores_, selector.real_importances_.mean().to_numpy()
    )
    expected = [selector.scores_[j] > np.percentile(null[:, j], 95) for j in range(8)]
    np.testing.assert_array_equal(selector.support_, expected)


def test_null_importance_frames_are_named(awkward):
    frame, y = awkward

    selector = NullImportanceSelector(n_runs=10, random_state=0).fit(frame, y)

    assert isinstance(selector.null_importances_, pd.DataFrame)
    assert selector.null_importances_.shape == (10, 4)
    assert list(selector.null_importances_.columns) == list(frame.columns)
    support = dict(zip(frame.columns, selector.support_, strict=True))
    assert support["cat"]
    assert support["count"]
    assert not support["empty"]
    assert 0.0 <= selector.stability_ <= 1.0


def test_null_importance_n_jobs_invariant(make_informative):
    X, y, _ = make_informative(300, 6, 2)

    serial = NullImportanceSelector(n_runs=4, random_state=0, n_jobs=1).fit(X, y)
    parallel = NullImportanceSelector(n_runs=4, random_state=0, n_jobs=2).fit(X, y)

    pd.testing.assert_frame_equal(serial.null_importances_, parallel.null_importances_)
    np.testing.assert_array_equal(serial.support_, parallel.support_)


def test_null_importance_estimator_without_importances_names_the_fix():
    X = np.random.default_rng(0).normal(size=(60, 3))
    y = np.arange(60) % 2

    with pytest.raises(
        TypeError, match=r"KNeighborsClassifier.*importance='permutation'"
    ):
        NullImportanceSelector(KNeighborsClassifier(), n_runs=2).fit(X, y)


def test_null_importance_sample_weight_reaches_the_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 5))
    y = np.concatenate([X[:400, 0] > 0, X[400:, 1] > 0]).astype(int)
    weights = np.r_[np.ones(400), np.zeros(400)]

    selector = NullImportanceSelector(n_runs=20, random_state=0)
    selector.fit(X, y, sample_weight=weights)

    np.testing.assert_array_equal(selector.get_support(indices=True), [0])


def test_null_importance_regression_target():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 6))
    y = 3 * X[:, 0] - 2 * X[:, 1] + 0.1 * rng.normal(size=500)

    selector = NullImportanceSelector(n_runs=15, random_state=0).fit(X, y)

    np.testing.assert_array_equal(selector.get_support(indices=True), [0, 1])
