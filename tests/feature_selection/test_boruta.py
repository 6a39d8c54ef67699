"""Tests of BorutaSelector."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils._param_validation import InvalidParameterError

from sktricks.feature_selection import BorutaSelector


def _brute_force_bh(p_values):
    """Benjamini-Hochberg adjusted p-values by the textbook loop."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = running
    return np.array(adjusted)


def test_boruta_recovers_informative_columns(make_informative, recall_precision):
    # 1,000 rows x 30 columns, 5 informative, default configuration.
    X, y, truth = make_informative(1_000, 30, 5)

    selector = BorutaSelector(random_state=0).fit(X, y)

    recall, precision = recall_precision(selector.support_, truth)
    assert recall >= 0.9
    assert precision >= 0.9


def test_boruta_decision_matches_brute_force():
    # Binomial tail probabilities from binomial coefficients, corrected with
    # a hand-written Benjamini-Hochberg and a Bonferroni over iterations.
    n_iter, alpha = 12, 0.05
    hits = np.array([12, 11, 9, 6, 3, 1, 0, 0])
    p_accept = [
        sum(comb(n_iter, k) for k in range(h, n_iter + 1)) / 2**n_iter for h in hits
    ]
    p_reject = [sum(comb(n_iter, k) for k in range(0, h + 1)) / 2**n_iter for h in hits]
    accept = (_brute_force_bh(p_accept) <= alpha) & (
        np.array(p_accept) <= alpha / n_iter
    )
    reject = (_brute_force_bh(p_reject) <= alpha) & (
        np.array(p_reject) <= alpha / n_iter
    )
    expected = np.where(accept, 1, np.where(reject, -1, 0))

    decision = np.zeros(hits.shape[0], dtype=int)
    BorutaSelector(alpha=alpha)._decide(decision, hits, n_iter)

    np.testing.assert_array_equal(decision, expected)
    assert decision[0] == 1
    assert decision[-1] == -1


def test_boruta_decision_one_step_uses_bonferroni():
    n_iter, alpha = 12, 0.05
    hits = np.array([12, 11, 10, 0, 1])
    limit = alpha / hits.shape[0]
    p_accept = np.array(
        [sum(comb(n_iter, k) for k in range(h, n_iter + 1)) / 2**n_iter for h in hits]
    )
    p_reject = np.array(
        [sum(comb(n_iter, k) for k in range(0, h + 1)) / 2**n_iter for h in hits]
    )
    expected = np.where(p_accept <= limit, 1, np.where(p_reject <= limit, -1, 0))

    decision = np.zeros(hits.shape[0], dtype=int)
    BorutaSelector(alpha=alpha, two_step=False)._decide(decision, hits, n_iter)

    np.testing.assert_array_equal(decision, expected)


@pytest.mark.parametrize("as_frame", [False, True])
def test_boruta_bool_matrix(as_frame):
    # A boolean matrix broke BorutaPy on numpy aliases; the OR of the first
    # two columns is the target.
    rng = np.random.default_rng(0)
    X = rng.random((600, 8)) > 0.5
    y = (X[:, 0] | X[:, 1]).astype(int)
    data = pd.DataFrame(X, columns=[f"b{i}" for i in range(8)]) if as_frame else X

    selector = BorutaSelector(random_state=0).fit(data, y)

    np.testing.assert_array_equal(selector.get_support(indices=True), [0, 1])


def test_boruta_category_int64_and_all_nan_columns(awkward):
    frame, y = awkward

    selector = BorutaSelector(random_state=0, max_iter=30).fit(frame, y)

    support = dict(zip(frame.columns, selector.support_, strict=True))
    assert support["cat"]
    assert support["count"]
    assert not support["empty"]
    assert not support["noise"]


def test_boruta_pandas_output_keeps_index_and_dtypes(awkward):
    frame, y = awkward
    selector = BorutaSelector(random_state=0, max_iter=30)
    selector.set_output(transform="pandas")

    out = selector.fit(frame, y).transform(frame)

    assert list(out.columns) == ["cat", "count"]
    pd.testing.assert_index_equal(out.index, frame.index)
    assert out["cat"].dtype == frame["cat"].dtype
    assert out["count"].dtype == "Int64"
    assert list(selector.get_feature_names_out()) == ["cat", "count"]


def test_boruta_estimator_without_importances_names_the_fix():
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)

    with pytest.raises(
        TypeError, match=r"KNeighborsClassifier.*importance='permutation'"
    ):
        BorutaSelector(KNeighborsClassifier()).fit(X, y)


def test_boruta_permutation_importance_with_any_estimator():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)

    selector = BorutaSelector(
        KNeighborsClassifier(), importance="permutation", max_iter=16, random_state=0
    ).fit(X, y)

    assert selector.support_[:2].all()
    assert not selector.support_[2:].any()


def test_boruta_shap_importance_multiclass(recall_precision):
    X, y = make_classification(
        n_samples=900,
        n_features=12,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        shuffle=False,
        random_state=0,
    )

    selector = BorutaSelector(importance="shap", random_state=0).fit(X, y)

    recall, precision = recall_precision(selector.support_, np.arange(12) < 4)
    assert recall >= 0.75
    assert precision == 1.0


def _weighted_halves(n_samples=800):
    # The first half of the rows follows x0, the second half x1; zero weights
    # on the second half leave only x0 related to the target.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, 6))
    half = n_samples // 2
    y = np.concatenate([X[:half, 0] > 0, X[half:, 1] > 0]).astype(int)
    weights = np.r_[np.ones(half), np.zeros(n_samples - half)]
    return X, y, weights


def test_boruta_sample_weight_reaches_the_model():
    X, y, weights = _weighted_halves()

    unweighted = BorutaSelector(random_state=0).fit(X, y)
    weighted = BorutaSelector(random_state=0).fit(X, y, sample_weight=weights)

    np.testing.assert_array_equal(unweighted.get_support(indices=True), [0, 1])
    np.testing.assert_array_equal(weighted.get_support(indices=True), [0])


def test_boruta_sample_weight_with_metadata_routing():
    X, y, weights = _weighted_halves()
    model = LGBMClassifier(
        n_estimators=50,
        num_leaves=7,
        colsample_bytree=0.5,
        subsample=0.8,
        subsample_freq=1,
        importance_type="gain",
        n_jobs=1,
        verbose=-1,
    )

    with config_context(enable_metadata_routing=True):
        default = BorutaSelector(random_state=0).fit(X, y, sample_weight=weights)
        requested = BorutaSelector(
            model.set_fit_request(sample_weight=True), random_state=0
        ).fit(X, y, sample_weight=weights)
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            BorutaSelector(LGBMClassifier(verbose=-1), random_state=0).fit(
                X, y, sample_weight=weights
            )

    np.testing.assert_array_equal(default.get_support(indices=True), [0])
    np.testing.assert_array_equal(requested.get_support(indices=True), [0])


def test_boruta_attributes_and_reproducibility(make_informative):
    X, y, _ = make_informative(500, 10, 3)

    first = BorutaSelector(random_state=3, max_iter=30).fit(X, y)
    second = BorutaSelector(random_state=3, max_iter=30).fit(X, y)

    np.testing.assert_array_equal(first.support_, second.support_)
    pd.testing.assert_frame_equal(first.history_, second.history_)
    assert first.history_.shape == (first.n_iter_, 10)
    assert first.shadow_history_.shape == (first.n_iter_, 3)
    assert first.n_iter_ <= 30
    assert set(first.ranking_[first.support_]) == {1}
    assert (first.ranking_[~first.support_] >= 2).all()
    assert not (first.support_ & first.support_weak_).any()
    assert 0.0 <= first.stability_ <= 1.0


def test_boruta_n_jobs_invariant(make_informative):
    X, y, _ = make_informative(500, 10, 3)

    serial = BorutaSelector(random_state=1, max_iter=20, n_jobs=1).fit(X, y)
    parallel = BorutaSelector(random_state=1, max_iter=20, n_jobs=2).fit(X, y)

    pd.testing.assert_frame_equal(serial.history_, parallel.history_)
    np.testing.assert_array_equal(serial.ranking_, parallel.ranking_)


def test_boruta_rejected_features_leave_the_history(make_informative):
    X, y, _ = make_informative(500, 10, 3)

    selector = BorutaSelector(random_state=0, max_iter=30).fit(X, y)

    rejected = selector.ranking_ >= 3
    assert rejected.any()
    assert selector.history_.iloc[-1, rejected].isna().all()


def test_boruta_invalid_perc():
    X, y = make_classification(n_samples=50, random_state=0)

    with pytest.raises(InvalidParameterError, match="perc"):
        BorutaSelector(perc=150).fit(X, y)


def test_boruta_text_column_names_the_fix():
    X = pd.DataFrame({"a": np.arange(20.0), "name": ["x", "y"] * 10})
    y = np.arange(20) % 2

    with pytest.raises(TypeError, match=r"'name'.*astype\('category'\)"):
        BorutaSelector().fit(X, y)


def test_boruta_infinite_values_rejected():
    X = pd.DataFrame({"a": np.arange(20.0), "b": np.r_[np.inf, np.zeros(19)]})
    y = np.arange(20) % 2

    with pytest.raises(ValueError, match="infinite values in columns \\['b'\\]"):
        BorutaSelector().fit(X, y)


def test_boruta_empty_frame_rejected():
    with pytest.raises(ValueError, match="empty DataFrame"):
        BorutaSelector().fit(pd.DataFrame({"a": []}, dtype=float), [])


def test_boruta_single_class_rejected():
    X = np.random.default_rng(0).normal(size=(30, 3))

    with pytest.raises(ValueError, match="one class only"):
        BorutaSelector().fit(X, np.zeros(30))


def test_boruta_columns_reordered_at_transform(awkward):
    frame, y = awkward
    selector = BorutaSelector(random_state=0, max_iter=10).fit(frame, y)

    with pytest.raises(ValueError, match="feature names"):
        selector.transform(frame[frame.columns[::-1]])


def test_boruta_default_output_keeps_category_frame(awkward):
    # Converting a category column to an array would turn it into strings,
    # which LightGBM after the selector cannot use.
    frame, y = awkward
    selector = BorutaSelector(random_state=0, max_iter=10).fit(frame, y)

    out = selector.transform(frame)

    assert isinstance(out, pd.DataFrame)
    assert out.dtypes.equals(frame.dtypes[selector.support_])
