"""Input checks of the fusion estimators: bad targets, rare classes, wrong models."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.multioutput import MultiOutputRegressor
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeRegressor

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
from sktricks.exceptions import SktricksWarning

CLASSIFIERS = [
    StackingClassifier,
    AveragingClassifier,
    BlendingClassifier,
    EnsembleSelectionClassifier,
]
REGRESSORS = [
    StackingRegressor,
    AveragingRegressor,
    BlendingRegressor,
    EnsembleSelectionRegressor,
]
# Ensembles that fit their models out of fold with cv.
FOLDED_CLASSIFIERS = [
    (StackingClassifier, {}),
    (AveragingClassifier, {"weights": "optimize"}),
    (EnsembleSelectionClassifier, {}),
]


def _classifiers():
    return [("lr", LogisticRegression()), ("nb", GaussianNB())]


def _regressors():
    return [
        ("lr", LinearRegression()),
        ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
    ]


@pytest.mark.parametrize("ensemble_cls", REGRESSORS)
def test_multi_output_target_raises_naming_wrapper(ensemble_cls):
    X, Y = make_regression(n_samples=60, n_features=4, n_targets=2, random_state=0)

    with pytest.raises(ValueError, match=r"shape \(60, 2\).*MultiOutputRegressor"):
        ensemble_cls(_regressors()).fit(X, Y)


@pytest.mark.parametrize("ensemble_cls", CLASSIFIERS)
def test_multilabel_target_raises_naming_wrapper(ensemble_cls):
    X, _ = make_classification(n_samples=60, random_state=0)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)

    with pytest.raises(ValueError, match=r"multilabel.*MultiOutputClassifier"):
        ensemble_cls(_classifiers()).fit(X, Y)


def test_multi_output_wrapper_matches_one_stack_per_column():
    X, Y = make_regression(n_samples=80, n_features=4, n_targets=2, random_state=0)
    stack = StackingRegressor(_regressors(), cv=KFold(3), guard=False)

    wrapped = MultiOutputRegressor(stack).fit(X, Y).predict(X[:5])

    for column in range(2):
        alone = StackingRegressor(_regressors(), cv=KFold(3), guard=False)
        expected = alone.fit(X, Y[:, column]).predict(X[:5])
        np.testing.assert_allclose(wrapped[:, column], expected)


@pytest.mark.parametrize(
    "y_missing",
    [
        lambda y: np.where(np.arange(len(y)) == 4, np.nan, y),
        lambda y: pd.Series(y, dtype="Int64").mask(np.arange(len(y)) == 4),
        lambda y: pd.Series(np.array(["a", "b"])[y], dtype=object).mask(
            np.arange(len(y)) == 4
        ),
        lambda y: pd.Series(pd.Categorical(np.array(["a", "b"])[y])).mask(
            np.arange(len(y)) == 4
        ),
    ],
    ids=["float-nan", "Int64-NA", "object-None", "category-NaN"],
)
@pytest.mark.parametrize("ensemble_cls", CLASSIFIERS)
def test_missing_class_label_raises_with_position(ensemble_cls, y_missing):
    X, y = make_classification(n_samples=60, random_state=0)

    with pytest.raises(ValueError, match=r"1 missing values \(at positions 4\)"):
        ensemble_cls(_classifiers()).fit(X, y_missing(y))


@pytest.mark.parametrize("ensemble_cls", REGRESSORS)
def test_missing_regression_target_raises(ensemble_cls):
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    y[[3, 7]] = np.nan

    with pytest.raises(ValueError, match=r"2 missing values \(at positions 3, 7\)"):
        ensemble_cls(_regressors()).fit(X, y)


@pytest.mark.parametrize("ensemble_cls", REGRESSORS)
def test_infinite_regression_target_raises(ensemble_cls):
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    y[5] = np.inf

    # cross_val_oof's target check, shared by the ensembles, names the row.
    with pytest.raises(ValueError, match=r"1 infinite values \(the first in row 5"):
        ensemble_cls(_regressors()).fit(X, y)


@pytest.mark.parametrize("ensemble_cls", REGRESSORS)
def test_string_regression_target_raises(ensemble_cls):
    X, _ = make_regression(n_samples=60, n_features=4, random_state=0)
    y = np.array(["low", "high"] * 30)

    with pytest.raises(ValueError, match=r"needs a numeric y.*'low'.*pd.to_numeric"):
        ensemble_cls(_regressors()).fit(X, y)


@pytest.mark.parametrize("ensemble_cls", CLASSIFIERS)
def test_continuous_class_target_raises(ensemble_cls):
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)

    with pytest.raises(ValueError, match=r"needs class labels, but y is continuous"):
        ensemble_cls(_classifiers()).fit(X, y)


def test_nullable_regression_target_matches_float():
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    y = np.round(y)
    stack = StackingRegressor(_regressors(), cv=KFold(3), guard=False)

    nullable = stack.fit(X, pd.Series(y, dtype="Int64")).predict(X[:5])
    plain = StackingRegressor(_regressors(), cv=KFold(3), guard=False)
    expected = plain.fit(X, y).predict(X[:5])

    np.testing.assert_allclose(nullable, expected)


def _rare_class_data(rare_rows):
    X, _ = make_classification(n_samples=60, n_informative=4, random_state=0)
    y = np.zeros(60, dtype=int)
    y[30:] = 1
    y[60 - rare_rows :] = 2
    return X, y


@pytest.mark.parametrize("ensemble_cls, params", FOLDED_CLASSIFIERS)
def test_class_smaller_than_fold_count_raises(ensemble_cls, params):
    X, y = _rare_class_data(rare_rows=3)

    with pytest.raises(ValueError, match=r"5 folds of cv=5: 2 \(3 rows\).*cv=3"):
        ensemble_cls(_classifiers(), **params).fit(X, y)


@pytest.mark.parametrize("ensemble_cls, params", FOLDED_CLASSIFIERS)
def test_class_with_one_row_raises(ensemble_cls, params):
    X, y = _rare_class_data(rare_rows=1)

    with pytest.raises(ValueError, match=r"2 \(1 row\).*Merge or drop"):
        ensemble_cls(_classifiers(), cv=StratifiedKFold(3), **params).fit(X, y)


@pytest.mark.parametrize("ensemble_cls, params", FOLDED_CLASSIFIERS)
def test_class_as_large_as_fold_count_fits(ensemble_cls, params):
    X, y = _rare_class_data(rare_rows=3)

    with warnings.catch_warnings():
        warnings.simplefilter("error", SktricksWarning)
        model = ensemble_cls(_classifiers(), cv=3, **params).fit(X, y)

    assert model.predict_proba(X[:4]).shape == (4, 3)


def test_blending_class_with_one_row_raises():
    X, y = _rare_class_data(rare_rows=1)

    with pytest.raises(ValueError, match=r"classes \[2\] have one row each"):
        BlendingClassifier(_classifiers()).fit(X, y)


@pytest.mark.parametrize("ensemble_cls, params", FOLDED_CLASSIFIERS)
def test_training_fold_without_class_warns(ensemble_cls, params):
    # Unshuffled KFold on rows sorted by class: the first fold's training
    # rows contain no row of class 0.
    X, _ = make_classification(n_samples=90, n_classes=3, n_informative=4)
    y = np.repeat([0, 1, 2], 30)

    with pytest.warns(
        SktricksWarning, match=r"fold 0 contain no row of the classes \[0\]"
    ):
        ensemble_cls(_classifiers(), cv=KFold(3), **params).fit(X, y)


def test_fold_without_class_matches_cross_val_predict():
    X, _ = make_classification(n_samples=90, n_classes=3, n_informative=4)
    y = np.repeat([0, 1, 2], 30)
    stack = StackingClassifier([("nb", GaussianNB())], cv=KFold(3), guard=False)

    with pytest.warns(SktricksWarning):
        stack.fit(X, y)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = cross_val_predict(
            GaussianNB(), X, y, cv=KFold(3), method="predict_proba"
        )
    np.testing.assert_allclose(stack.oof_predictions_, expected)


@pytest.mark.parametrize(
    "ensemble_cls", [AveragingClassifier, EnsembleSelectionClassifier]
)
def test_model_without_predict_proba_raises_naming_fix(ensemble_cls):
    X, y = make_classification(n_samples=60, random_state=0)

    with pytest.raises(
        ValueError,
        match=r"'svc' \(LinearSVC\) has no predict_proba.*CalibratedClassifierCV",
    ):
        ensemble_cls([("svc", LinearSVC()), ("lr", LogisticRegression())]).fit(X, y)


@pytest.mark.parametrize(
    "ensemble_cls", [AveragingClassifier, EnsembleSelectionClassifier]
)
def test_regressor_in_probability_ensemble_raises(ensemble_cls):
    X, y = make_classification(n_samples=60, random_state=0)

    with pytest.raises(ValueError, match=r"'ridge' \(Ridge\) is a regressor"):
        ensemble_cls([("ridge", Ridge()), ("lr", LogisticRegression())]).fit(X, y)


@pytest.mark.parametrize(
    "sample_weight, shown",
    [
        (np.ones(10), r"shape == \(10,\), expected \(60,\)"),
        (np.r_[np.nan, np.ones(59)], "contains NaN"),
        (np.full(60, "heavy"), "could not convert string"),
    ],
    ids=["short", "nan", "text"],
)
@pytest.mark.parametrize("ensemble_cls", CLASSIFIERS)
def test_invalid_sample_weight_raises(ensemble_cls, sample_weight, shown):
    X, y = make_classification(n_samples=60, random_state=0)

    with pytest.raises(ValueError, match=f"sample_weight is invalid: .*{shown}"):
        ensemble_cls(_classifiers()).fit(X, y, sample_weight=sample_weight)


def test_scalar_sample_weight_matches_full_array():
    X, y = make_classification(n_samples=60, random_state=0)
    stack = StackingClassifier(_classifiers(), cv=3, guard=False)

    scalar = stack.fit(X, y, sample_weight=2.0).predict_proba(X)
    full = clone(stack).fit(X, y, sample_weight=np.full(60, 2.0)).predict_proba(X)

    np.testing.assert_allclose(scalar, full)
