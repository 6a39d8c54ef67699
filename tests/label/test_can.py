"""CANClassifier against the base model and a matrix-form reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from sktricks.exceptions import SktricksWarning
from sktricks.label import CANClassifier, alternating_normalization, top_k_entropy


def _reference_can(confident, row, prior, alpha, n_iter):
    # Matrix form of alternating normalization as given by Jia et al.,
    # Findings of EMNLP 2021: column scaling by
    # diag(prior) diag(1^T L^alpha)^-1, then row scaling to sum 1.
    stack = np.vstack([confident, row])
    for _ in range(n_iter):
        powered = stack**alpha
        column_scale = np.diag(prior / powered.sum(axis=0))
        scaled = powered @ column_scale
        row_scale = np.diag(1.0 / scaled.sum(axis=1))
        stack = row_scale @ scaled
    return stack[-1]


@pytest.mark.parametrize("n_iter", [1, 2, 4])
@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_alternating_normalization_matches_matrix_form(alpha, n_iter):
    rng = np.random.default_rng(0)
    confident = rng.dirichlet(np.full(3, 0.3), size=40)
    uncertain = rng.dirichlet(np.full(3, 5.0), size=6)
    prior = np.array([0.6, 0.3, 0.1])

    adjusted = alternating_normalization(
        confident, uncertain, prior, alpha=alpha, n_iter=n_iter
    )

    for row, result in zip(uncertain, adjusted, strict=True):
        expected = _reference_can(confident, row, prior, alpha, n_iter)
        np.testing.assert_allclose(result, expected, rtol=1e-10)


def test_alternating_normalization_by_hand():
    # Columns sum to 1.7 + 0.4 and 0.3 + 0.6; scaled by the prior 0.8 and
    # 0.2 the row is (0.4 / 2.1 * 0.8, 0.6 / 0.9 * 0.2) = (8/52.5, 2/15),
    # which normalises to (8/15, 7/15).
    confident = np.array([[0.9, 0.1], [0.8, 0.2]])

    adjusted = alternating_normalization(
        confident, np.array([[0.4, 0.6]]), np.array([0.8, 0.2])
    )

    np.testing.assert_allclose(adjusted, [[8 / 15, 7 / 15]])


def test_top_k_entropy_closed_forms():
    proba = np.array(
        [
            [1.0, 0.0, 0.0, 0.0],
            [0.25, 0.25, 0.25, 0.25],
            [0.5, 0.25, 0.25, 0.0],
            [0.6, 0.2, 0.1, 0.1],
        ]
    )

    entropy = top_k_entropy(proba, k=3)

    # The fourth row keeps 0.6, 0.2, 0.1, rescaled by 1 / 0.9.
    kept = np.array([0.6, 0.2, 0.1]) / 0.9
    expected = [
        0.0,
        1.0,
        1.5 * np.log(2) / np.log(3),
        -(kept * np.log(kept)).sum() / np.log(3),
    ]
    np.testing.assert_allclose(entropy, expected)


def _skewed(n_samples, seed):
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=n_samples, p=[0.75, 0.15, 0.10])
    centers = np.array([[0.0, 0.0], [1.5, 0.0], [0.0, 1.5]])
    return centers[y] + rng.normal(size=(n_samples, 2)), y


@pytest.mark.parametrize("n_classes", [2, 3])
def test_can_threshold_one_reproduces_base(n_classes):
    X, y = make_classification(
        n_samples=300, n_informative=4, n_classes=n_classes, random_state=0
    )
    base = LGBMClassifier(n_estimators=20, verbose=-1, n_jobs=1)
    expected = base.fit(X, y)

    model = CANClassifier(base, threshold=1.0, cv=3).fit(X, y)

    np.testing.assert_array_equal(model.predict_proba(X), expected.predict_proba(X))
    np.testing.assert_array_equal(model.predict(X), expected.predict(X))


def test_can_fixes_class_weighted_model_on_skewed_prior():
    # The classes have prior 0.75 / 0.15 / 0.10 and overlapping Gaussians.
    # class_weight="balanced" multiplies each class's odds by the inverse of
    # its frequency, so the rows in the overlap, which are the uncertain
    # ones, are pushed towards the rare classes, although most of them
    # belong to the majority class. CAN rescales each column of those
    # predictions until the column mass matches the training prior, which
    # undoes the reweighting on the uncertain rows and leaves the confident
    # rows alone, so accuracy must rise.
    X, y = _skewed(3000, seed=0)
    X_test, y_test = _skewed(5000, seed=1)
    base = LogisticRegression(class_weight="balanced")
    base_accuracy = base.fit(X, y).score(X_test, y_test)

    model = CANClassifier(base, threshold=0.5).fit(X, y)

    np.testing.assert_allclose(model.prior_, np.bincount(y) / y.shape[0])
    assert model.score(X_test, y_test) > base_accuracy + 0.05


def test_can_leaves_confident_rows_alone():
    X, y = _skewed(1000, seed=2)
    base = LogisticRegression(class_weight="balanced")
    base_proba = base.fit(X, y).predict_proba(X)

    model = CANClassifier(base, threshold=0.6).fit(X, y)
    proba = model.predict_proba(X)

    confident = top_k_entropy(base_proba) <= 0.6
    assert 0 < confident.sum() < X.shape[0]
    np.testing.assert_array_equal(proba[confident], base_proba[confident])
    assert np.all(np.abs(proba[~confident] - base_proba[~confident]).sum(axis=1) > 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_can_confident_rows_come_from_oof():
    # The confident rows are out-of-fold predictions: rebuild them with a
    # plain fold loop over the same splitter.
    from sklearn.model_selection import StratifiedKFold

    X, y = _skewed(600, seed=3)
    base = LogisticRegression()
    folds = StratifiedKFold(n_splits=4)
    oof = np.empty((600, 3))
    for train, test in folds.split(X, y):
        oof[test] = LogisticRegression().fit(X[train], y[train]).predict_proba(X[test])

    model = CANClassifier(base, threshold=0.7, cv=folds).fit(X, y)

    expected = oof[top_k_entropy(oof) <= 0.7]
    np.testing.assert_allclose(model.confident_proba_, expected)


def test_can_warns_without_confident_rows():
    X, y = _skewed(300, seed=4)

    with pytest.warns(SktricksWarning, match="No out-of-fold prediction"):
        CANClassifier(LogisticRegression(), threshold=0.0).fit(X, y)


def test_can_pandas_and_string_labels():
    X, y = _skewed(400, seed=5)
    frame = pd.DataFrame(X, columns=["a", "b"], index=np.arange(400) + 1000)
    labels = np.array(["low", "mid", "high"])[y]

    model = CANClassifier(LogisticRegression(), threshold=0.5).fit(frame, labels)

    assert set(model.predict(frame)) <= {"low", "mid", "high"}
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame[["b", "a"]])


def test_can_class_smaller_than_folds_rejected():
    X, y = _skewed(100, seed=6)
    y[:2] = 3

    with pytest.raises(ValueError, match="members"):
        CANClassifier(LogisticRegression(), cv=5).fit(X, y)


def test_can_sample_weight_reaches_every_fit():
    # Rebuild the weighted model by hand: weighted fold fits for the
    # out-of-fold rows, a weighted fit on all rows, a weighted prior.
    from sklearn.model_selection import StratifiedKFold

    X, y = _skewed(600, seed=7)
    weights = np.random.default_rng(0).uniform(0.1, 3.0, size=600)
    folds = StratifiedKFold(n_splits=4)
    oof = np.empty((600, 3))
    for train, test in folds.split(X, y):
        fold_model = LogisticRegression().fit(
            X[train], y[train], sample_weight=weights[train]
        )
        oof[test] = fold_model.predict_proba(X[test])
    full = LogisticRegression().fit(X, y, sample_weight=weights)
    prior = np.array([weights[y == k].sum() for k in range(3)]) / weights.sum()

    model = CANClassifier(LogisticRegression(), threshold=0.7, cv=folds)
    model.fit(X, y, sample_weight=weights)

    np.testing.assert_allclose(model.prior_, prior)
    np.testing.assert_allclose(
        model.confident_proba_, oof[top_k_entropy(oof) <= 0.7], rtol=1e-6
    )
    np.testing.assert_allclose(
        model.estimator_.predict_proba(X), full.predict_proba(X), rtol=1e-6
    )
    unweighted = CANClassifier(LogisticRegression(), threshold=0.7, cv=folds)
    assert not np.allclose(unweighted.fit(X, y).prior_, model.prior_)


def test_can_sample_weight_needs_a_weighted_base():
    from sklearn.neighbors import KNeighborsClassifier

    X, y = _skewed(200, seed=8)

    with pytest.raises(TypeError, match=r"KNeighborsClassifier\.fit does not take"):
        CANClassifier(KNeighborsClassifier()).fit(X, y, sample_weight=np.ones(200))
    with pytest.raises(ValueError, match="non-zero"):
        CANClassifier(LogisticRegression()).fit(X, y, sample_weight=np.zeros(200))
