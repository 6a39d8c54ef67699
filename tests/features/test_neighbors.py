"""NeighborLabelFeatures against brute-force neighbour loops."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline

from sktricks.features import NeighborLabelFeatures


def _brute_force(X_train, y_train, X_query, k):
    # Plain loop: sort the distances, average the labels of the k nearest.
    out = []
    for row in X_query:
        distances = np.sqrt(((X_train - row) ** 2).sum(axis=1))
        nearest = np.argsort(distances, kind="stable")[:k]
        out.append(y_train[nearest].mean())
    return np.array(out)


def test_unique_label_excluded_during_fit():
    # Eleven rows sit in a tight cluster; ten have label 0 and one has label
    # 1. Out of fold the label-1 row only sees the other ten, so its share of
    # class 1 must be exactly 0. Searching all rows (fit, then transform on
    # the same rows) finds the row itself and gives it 1/5.
    rng = np.random.default_rng(0)
    cluster = rng.normal(scale=0.01, size=(11, 2))
    far = rng.normal(loc=10.0, size=(19, 2))
    X = np.vstack([cluster, far])
    y = np.r_[np.zeros(10), 1, rng.integers(0, 2, size=19)].astype(int)
    features = NeighborLabelFeatures(
        n_neighbors=5, cv=KFold(5, shuffle=True, random_state=0)
    )

    oof = features.fit_transform(X, y)
    leaked = features.transform(X)

    assert oof[10, 0] == 0.0
    assert leaked[10, 0] == pytest.approx(1 / 5)


def test_regression_oof_matches_brute_force():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    y = X[:, 0] + rng.normal(scale=0.1, size=60)
    folds = KFold(4, shuffle=True, random_state=0)
    expected = np.empty(60)
    for train, test in folds.split(X):
        expected[test] = _brute_force(X[train], y[train], X[test], k=7)

    features = NeighborLabelFeatures(n_neighbors=7, cv=folds).fit_transform(X, y)

    np.testing.assert_allclose(features.ravel(), expected)


def test_multiclass_shares_match_brute_force():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(90, 2))
    y = rng.integers(0, 3, size=90)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    expected = np.empty((90, 3))
    for train, test in folds.split(X, y):
        for label in range(3):
            indicator = (y[train] == label).astype(float)
            expected[test, label] = _brute_force(X[train], indicator, X[test], k=6)

    model = NeighborLabelFeatures(n_neighbors=6, cv=folds)
    features = model.fit_transform(X, y)

    np.testing.assert_allclose(features, expected)
    np.testing.assert_array_equal(
        model.get_feature_names_out(),
        ["neighbor_share_0", "neighbor_share_1", "neighbor_share_2"],
    )


def test_transform_new_rows_matches_brute_force():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 2))
    y = rng.normal(size=40)
    X_new = rng.normal(size=(5, 2))

    model = NeighborLabelFeatures(n_neighbors=4).fit(X, y)

    np.testing.assert_allclose(
        model.transform(X_new).ravel(), _brute_force(X, y, X_new, k=4)
    )


def test_binary_gives_one_column():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, 2))
    y = np.where(X[:, 0] > 0, "yes", "no")

    model = NeighborLabelFeatures(n_neighbors=5)
    features = model.fit_transform(X, y)

    assert features.shape == (50, 1)
    np.testing.assert_array_equal(model.get_feature_names_out(), ["neighbor_share_yes"])


def test_pipeline_model_trains_on_oof_features():
    # Pipeline.fit calls fit_transform, so the final model must see the
    # out-of-fold features, not the leaked ones from transform.
    rng = np.random.default_rng(5)
    X = rng.normal(size=(80, 2))
    y = X[:, 1] + rng.normal(scale=0.5, size=80)
    folds = KFold(5, shuffle=True, random_state=0)
    oof = NeighborLabelFeatures(n_neighbors=5, cv=folds).fit_transform(X, y)

    pipeline = make_pipeline(
        NeighborLabelFeatures(n_neighbors=5, cv=folds), LinearRegression()
    ).fit(X, y)

    expected = LinearRegression().fit(oof, y)
    np.testing.assert_allclose(pipeline[-1].coef_, expected.coef_)


def test_pandas_output_and_passthrough():
    rng = np.random.default_rng(6)
    frame = pd.DataFrame(
        rng.normal(size=(40, 2)), columns=["a", "b"], index=np.arange(40) + 100
    )
    y = pd.Series(rng.integers(0, 2, size=40), index=frame.index)

    model = NeighborLabelFeatures(n_neighbors=3, passthrough=True)
    model.set_output(transform="pandas")
    out = model.fit_transform(frame, y)

    assert list(out.columns) == ["a", "b", "neighbor_share_1"]
    pd.testing.assert_index_equal(out.index, frame.index)
    np.testing.assert_allclose(out[["a", "b"]], frame)
    with pytest.raises(ValueError, match="feature names"):
        model.transform(frame[["b", "a"]])


@pytest.mark.parametrize(
    ("values", "dtype", "classes", "column"),
    [
        ([0, 1], "Int64", [0, 1], "neighbor_share_1"),
        ([False, True], "boolean", [False, True], "neighbor_share_True"),
        ([0, 1], "int64", [0, 1], "neighbor_share_1"),
        ([False, True], "bool", [False, True], "neighbor_share_True"),
    ],
)
def test_nullable_target_keeps_label_type(values, dtype, classes, column):
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.normal(size=(40, 2)), columns=["a", "b"])
    y = pd.Series(values * 20, dtype=dtype)

    model = NeighborLabelFeatures(n_neighbors=3)
    model.set_output(transform="pandas")
    out = model.fit_transform(frame, y)

    assert list(out.columns) == [column]
    assert model.classes_.tolist() == classes
    assert model.classes_.dtype.kind == np.asarray(classes).dtype.kind
    assert list(model.transform(frame).columns) == [column]


def test_nullable_float_target_is_continuous():
    rng = np.random.default_rng(8)
    frame = pd.DataFrame(rng.normal(size=(20, 1)), columns=["a"])
    y = pd.Series(rng.normal(size=20), dtype="Float64")

    model = NeighborLabelFeatures(n_neighbors=3).fit(frame, y)

    assert model.target_type_ == "continuous"
    assert model.classes_ is None


def test_n_neighbors_capped_at_fold_size():
    X = np.arange(10.0).reshape(-1, 1)
    y = np.arange(10.0) + 0.5
    folds = KFold(5)

    features = NeighborLabelFeatures(n_neighbors=50, cv=folds).fit_transform(X, y)

    # Every training fold has 8 rows, all of which become neighbours.
    expected = np.array([(y.sum() - y[test].sum()) / 8 for _, test in folds.split(X)])
    np.testing.assert_allclose(features.ravel(), np.repeat(expected, 2))


def test_bad_input_rejected():
    X = np.array([[0.0], [np.nan], [1.0], [2.0]])
    model = NeighborLabelFeatures(n_neighbors=2, cv=2)

    with pytest.raises(ValueError, match="NaN"):
        model.fit_transform(X, np.array([0.5, 1.5, 2.5, 3.5]))
    with pytest.raises(ValueError, match="requires y"):
        model.fit_transform(np.ones((4, 1)))
    with pytest.raises(ValueError, match="1d array"):
        model.fit(np.ones((4, 1)), np.array([[0, 1], [1, 0], [0, 1], [1, 1]]))


def test_logistic_pipeline_scores():
    # A smoke check that the transformer composes with a classifier.
    rng = np.random.default_rng(7)
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)

    pipeline = make_pipeline(
        NeighborLabelFeatures(n_neighbors=10, passthrough=True), LogisticRegression()
    ).fit(X, y)

    # The product sign is invisible to a linear model on X alone; the
    # neighbour share carries it.
    linear_only = LogisticRegression().fit(X, y).score(X, y)
    assert pipeline.score(X, y) > linear_only + 0.2
