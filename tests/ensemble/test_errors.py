"""Errors of base and final estimators name the model, in every fusion estimator.

The expected reason is the error the same scikit-learn model raises when it
is fitted alone on the same data.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import TimeSeriesSplit

from sktricks.ensemble import (
    AveragingClassifier,
    AveragingRegressor,
    BlendingClassifier,
    BlendingRegressor,
    EnsembleSelectionClassifier,
    EnsembleSelectionRegressor,
    StackingClassifier,
    StackingRegressor,
)


def _frame_with_category():
    # One category only, so that a failed conversion names the same value
    # whichever row of whichever fold comes first.
    X, y = make_classification(
        n_samples=120, n_features=3, n_informative=2, n_redundant=0, random_state=0
    )
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["colour"] = pd.Categorical(["red"] * 120)
    return frame, y


def _error_alone(model, X, y):
    """The error ``model`` raises when fitted alone on ``X`` and ``y``."""
    with pytest.raises(Exception) as raised:
        model.fit(X, y)
    return raised.value


def _ensembles():
    """Every fusion estimator with a base model 'linear' that cannot take
    category columns, next to a gradient-boosting model that can."""
    classifiers = [
        ("hgb", HistGradientBoostingClassifier(max_iter=5)),
        ("linear", LogisticRegression()),
    ]
    regressors = [
        ("hgb", HistGradientBoostingRegressor(max_iter=5)),
        ("linear", Ridge()),
    ]
    return [
        StackingClassifier(classifiers, cv=3, guard=False),
        StackingClassifier(classifiers, cv=TimeSeriesSplit(3), guard=False),
        StackingRegressor(regressors, cv=3, guard=False),
        BlendingClassifier(classifiers, random_state=0),
        BlendingRegressor(regressors, random_state=0),
        EnsembleSelectionClassifier(classifiers, cv=3, n_iter=2),
        EnsembleSelectionRegressor(regressors, cv=3, n_iter=2),
        AveragingClassifier(classifiers),
        AveragingClassifier(classifiers, weights="optimize", cv=3),
        AveragingRegressor(regressors),
    ]


@pytest.mark.parametrize("ensemble", _ensembles(), ids=repr)
def test_base_fit_error_names_model(ensemble):
    X, y = _frame_with_category()
    linear = dict(ensemble.estimators)["linear"]
    original = _error_alone(linear, X, y)

    with pytest.raises(type(original)) as raised:
        ensemble.fit(X, y)

    message = str(raised.value)
    expected_start = f"Base model 'linear' ({type(linear).__name__}) failed: "
    assert message.startswith(expected_start)
    assert str(original) in message
    assert "X has the non-numeric columns 'colour' (category)" in message
    assert "ColumnTransformer" in message
    assert "OneHotEncoder" in message
    assert type(raised.value.__cause__) is type(original)
    assert str(raised.value.__cause__) == str(original)


def test_base_fit_error_in_worker_names_model():
    # joblib sends the worker's error back with a text copy of its
    # traceback as the cause, which still contains the original message.
    X, y = _frame_with_category()
    original = _error_alone(LogisticRegression(), X, y)
    stack = StackingClassifier(
        [
            ("hgb", HistGradientBoostingClassifier(max_iter=5)),
            ("linear", LogisticRegression()),
        ],
        cv=3,
        n_jobs=2,
        guard=False,
    )

    with pytest.raises(type(original)) as raised:
        stack.fit(X, y)

    assert str(raised.value).startswith("Base model 'linear' (LogisticRegression)")
    assert str(original) in str(raised.value)
    assert str(original) in str(raised.value.__cause__)


class _TwoArgumentError(ValueError):
    """An error whose constructor needs two arguments."""

    def __init__(self, code, text):
        super().__init__(code, text)
        self.code = code


class _FailingClassifier(ClassifierMixin, BaseEstimator):
    """Raises ``error`` in ``fit``."""

    def __init__(self, error=None):
        self.error = error

    def fit(self, X, y):
        raise self.error

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


@pytest.mark.parametrize(
    "error, expected_type",
    [
        (TypeError("unsupported operand"), TypeError),
        (_TwoArgumentError(7, "bad code"), ValueError),
    ],
)
def test_base_fit_error_keeps_type(error, expected_type):
    X, y = make_classification(n_samples=60, random_state=0)
    stack = StackingClassifier(
        [("lr", LogisticRegression()), ("broken", _FailingClassifier(error))],
        cv=3,
        guard=False,
    )

    with pytest.raises(expected_type) as raised:
        stack.fit(X, y)

    assert type(raised.value) is expected_type
    assert str(raised.value).startswith(
        "Base model 'broken' (_FailingClassifier) failed: "
    )
    assert str(error) in str(raised.value)
    # clone deep-copies the error parameter, so the cause is an equal copy.
    assert type(raised.value.__cause__) is type(error)
    assert str(raised.value.__cause__) == str(error)


class _FailingRegressor(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        raise ValueError("final estimator broken on purpose")


@pytest.mark.parametrize(
    "ensemble_cls, final",
    [
        (StackingClassifier, _FailingClassifier(ValueError("broken on purpose"))),
        (BlendingClassifier, _FailingClassifier(ValueError("broken on purpose"))),
        (StackingRegressor, _FailingRegressor()),
        (BlendingRegressor, _FailingRegressor()),
    ],
)
def test_final_estimator_fit_error_names_it(ensemble_cls, final):
    X, y = make_classification(n_samples=60, random_state=0)
    base = LogisticRegression() if isinstance(final, ClassifierMixin) else Ridge()
    ensemble = ensemble_cls([("base", base)], final_estimator=final)

    with pytest.raises(ValueError) as raised:
        ensemble.fit(X, y)

    expected = f"final_estimator ({type(final).__name__}) failed: "
    assert str(raised.value).startswith(expected)
    assert "broken on purpose" in str(raised.value)
    assert isinstance(raised.value.__cause__, ValueError)


@pytest.mark.parametrize(
    "ensemble",
    [
        StackingClassifier([("linear", LogisticRegression())], cv=3, guard=False),
        AveragingClassifier([("linear", LogisticRegression())]),
        EnsembleSelectionClassifier([("linear", LogisticRegression())], cv=3),
    ],
    ids=repr,
)
def test_base_predict_error_names_model(ensemble):
    X, y = make_classification(n_samples=60, n_features=3, n_redundant=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    ensemble.fit(frame, y)
    strings = frame.assign(b="red")
    model = LogisticRegression().fit(frame, y)
    with pytest.raises(ValueError) as alone:
        model.predict_proba(strings)

    with pytest.raises(ValueError, match=re.escape(str(alone.value))) as raised:
        ensemble.predict_proba(strings)

    message = str(raised.value)
    assert message.startswith("Base model 'linear' (LogisticRegression) failed: ")
    assert f"X has the non-numeric columns 'b' ({strings['b'].dtype})" in message
