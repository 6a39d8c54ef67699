"""AveragingClassifier and AveragingRegressor: weights against scikit-learn's voting."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import VotingClassifier, VotingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import KFold
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from sktricks.ensemble import AveragingClassifier, AveragingRegressor

_CLASSIFIERS = [
    ("lr", LogisticRegression()),
    ("nb", GaussianNB()),
    ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
]
_REGRESSORS = [
    ("ridge", Ridge()),
    ("strong_ridge", Ridge(alpha=100.0)),
    ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
]


def _task(averaging_cls):
    if averaging_cls is AveragingClassifier:
        X, y = make_classification(n_samples=80, n_features=5, random_state=0)
        return _CLASSIFIERS, X, y
    X, y = make_regression(n_samples=80, n_features=5, noise=5.0, random_state=0)
    return _REGRESSORS, X, y


@pytest.mark.parametrize("averaging_cls", [AveragingClassifier, AveragingRegressor])
@pytest.mark.parametrize(
    "weights, shown",
    [
        ([np.nan, 1, 1], r"\[nan, 1, 1\]"),
        ([np.inf, 1, 1], r"\[inf, 1, 1\]"),
        ([1, 1, -np.inf], r"\[1, 1, -inf\]"),
        (["1", "1", "1"], r"\['1', '1', '1'\]"),
        ([1, None, 1], r"\[1, None, 1\]"),
        ([1, -1, 1], r"\[1, -1, 1\]"),
        ([0, 0, 0], r"\[0, 0, 0\]"),
        ([1, 1], r"\[1, 1\]"),
    ],
)
def test_averaging_invalid_weights_raise(averaging_cls, weights, shown):
    estimators, X, y = _task(averaging_cls)
    averaging = averaging_cls(estimators, weights=weights)
    message = rf"weights={shown} must be 3 finite, non-negative numbers"
    with pytest.raises(ValueError, match=message):
        averaging.fit(X, y)


@pytest.mark.parametrize("weights", [[2, 1, 1], np.array([0.5, 0.0, 2.0])])
def test_averaging_classifier_weights_match_soft_voting(weights):
    X, y = make_classification(n_samples=80, n_features=5, random_state=1)
    averaging = AveragingClassifier(_CLASSIFIERS, weights=weights).fit(X, y)
    voting = VotingClassifier(_CLASSIFIERS, voting="soft", weights=weights).fit(X, y)

    np.testing.assert_allclose(averaging.predict_proba(X), voting.predict_proba(X))
    np.testing.assert_array_equal(averaging.predict(X), voting.predict(X))


def test_averaging_regressor_weights_match_voting_regressor():
    X, y = make_regression(n_samples=80, n_features=5, noise=5.0, random_state=1)
    weights = [3, 1, 0.5]
    averaging = AveragingRegressor(_REGRESSORS, weights=weights).fit(X, y)
    voting = VotingRegressor(_REGRESSORS, weights=weights).fit(X, y)

    np.testing.assert_allclose(averaging.predict(X), voting.predict(X))


def test_averaging_huge_weights_do_not_overflow():
    # Their plain sum is infinite, but equal weights must still give the mean.
    X, y = make_regression(n_samples=60, n_features=4, noise=5.0, random_state=2)
    huge = np.finfo(float).max / 2
    averaging = AveragingRegressor(_REGRESSORS, weights=[huge, huge, huge]).fit(X, y)
    voting = VotingRegressor(_REGRESSORS).fit(X, y)

    np.testing.assert_allclose(averaging.weights_, [1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(averaging.predict(X), voting.predict(X))


@pytest.mark.parametrize("weights", [None, "optimize"])
def test_geometric_rejects_negative_target(weights):
    X, y = make_regression(n_samples=80, n_features=3, random_state=0)
    averaging = AveragingRegressor(
        [("a", Ridge()), ("b", Ridge(alpha=100))], method="geometric", weights=weights
    )
    first = int(np.flatnonzero(y <= 0)[0])
    with pytest.raises(
        ValueError, match=rf"y contains \d+ values <= 0 \(the first in row {first}"
    ):
        averaging.fit(X, y)


def test_geometric_optimize_rejects_negative_oof():
    # A positive target that a linear model extrapolates below zero: the
    # optimised weights would be fitted on clipped values, so fit refuses.
    X = np.linspace(0, 1, 60).reshape(-1, 1)
    y = np.where(X[:, 0] < 0.9, 0.01, 50.0)
    averaging = AveragingRegressor(
        [("lin", LinearRegression()), ("ridge", Ridge())],
        method="geometric",
        weights="optimize",
        cv=KFold(3),
    )
    with pytest.raises(ValueError, match="model 'lin' predicted out of fold"):
        averaging.fit(X, y)
