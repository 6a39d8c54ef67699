"""Metadata routing of sample_weight, groups and fit parameters in every fusion
estimator, checked against fits written by hand."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)

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


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


class _RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression that stores the ``row_id`` it was fitted with."""

    def fit(self, X, y, sample_weight=None, row_id=None):
        self.row_id_ = row_id
        self.model_ = LogisticRegression().fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)


class _RecordingRegressor(RegressorMixin, BaseEstimator):
    """Ridge regression that stores the ``row_id`` it was fitted with."""

    def fit(self, X, y, sample_weight=None, row_id=None):
        self.row_id_ = row_id
        self.model_ = Ridge().fit(X, y, sample_weight=sample_weight)
        return self

    def predict(self, X):
        return self.model_.predict(X)


def _classification(n=90):
    X, y = make_classification(n_samples=n, n_features=5, random_state=3)
    weights = np.random.default_rng(1).uniform(0.1, 5.0, size=n)
    return X, y, weights


def _regression(n=90):
    X, y = make_regression(n_samples=n, n_features=5, noise=5.0, random_state=3)
    weights = np.random.default_rng(1).uniform(0.1, 5.0, size=n)
    return X, y, weights


def _weighted(model):
    return model.set_fit_request(sample_weight=True)


def _fold_models(ensemble):
    """The fitted base models of every candidate, per fold."""
    if hasattr(ensemble, "layers_"):
        return [base.models for base in ensemble.layers_[0]]
    return [base.models for base in ensemble.estimators_]


def _out_of_fold_ensembles(base, folds):
    classifier = isinstance(base, ClassifierMixin)
    if classifier:
        return [
            StackingClassifier(
                [("a", base), ("b", base)],
                _weighted(LogisticRegression()),
                cv=folds,
                guard=False,
            ),
            EnsembleSelectionClassifier([("a", base), ("b", base)], cv=folds),
            AveragingClassifier(
                [("a", base), ("b", base)], weights="optimize", cv=folds
            ),
        ]
    return [
        StackingRegressor(
            [("a", base), ("b", base)], _weighted(Ridge()), cv=folds, guard=False
        ),
        EnsembleSelectionRegressor([("a", base), ("b", base)], cv=folds),
        AveragingRegressor([("a", base), ("b", base)], weights="optimize", cv=folds),
    ]


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_routing_sample_weight_matches_manual_fold_fits(routing, task):
    classifier = task == "classification"
    X, y, weights = _classification() if classifier else _regression()
    splitter = StratifiedKFold(3) if classifier else KFold(3)
    folds = list(splitter.split(X, y))
    base = _weighted(LogisticRegression() if classifier else Ridge())
    for ensemble in _out_of_fold_ensembles(base, folds):
        ensemble.fit(X, y, sample_weight=weights)
        for models in _fold_models(ensemble):
            for model, (train, _) in zip(models, folds, strict=True):
                manual = (LogisticRegression() if classifier else Ridge()).fit(
                    X[train], y[train], sample_weight=weights[train]
                )
                np.testing.assert_allclose(model.coef_, manual.coef_, rtol=1e-6)


def test_routing_stacking_final_estimator_gets_weights(routing):
    X, y, weights = _classification()
    folds = list(StratifiedKFold(3).split(X, y))
    base = _weighted(LogisticRegression())
    stack = StackingClassifier(
        [("lr", base)], _weighted(LogisticRegression()), cv=folds, guard=False
    ).fit(X, y, sample_weight=weights)
    meta = np.zeros(len(y))
    for train, test in folds:
        fold_model = LogisticRegression().fit(
            X[train], y[train], sample_weight=weights[train]
        )
        meta[test] = fold_model.predict_proba(X[test])[:, 1]
    final = LogisticRegression().fit(meta[:, None], y, sample_weight=weights)
    np.testing.assert_allclose(stack.oof_predictions_[:, 0], meta, rtol=1e-6)
    np.testing.assert_allclose(stack.final_estimator_.coef_, final.coef_, rtol=1e-6)


def test_routing_unrequested_model_gets_no_weights(routing):
    X, y, weights = _classification()
    folds = list(StratifiedKFold(3).split(X, y))
    ignores = LogisticRegression().set_fit_request(sample_weight=False)
    selection = EnsembleSelectionClassifier(
        [("uses", _weighted(LogisticRegression())), ("ignores", ignores)], cv=folds
    ).fit(X, y, sample_weight=weights)
    for model, (train, _) in zip(selection.estimators_[1].models, folds, strict=True):
        unweighted = LogisticRegression().fit(X[train], y[train])
        np.testing.assert_allclose(model.coef_, unweighted.coef_, rtol=1e-6)


def test_routing_unset_request_raises(routing):
    X, y, weights = _classification()
    selection = EnsembleSelectionClassifier([("lr", LogisticRegression())], cv=3)
    with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
        selection.fit(X, y, sample_weight=weights)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_routing_fit_param_reaches_each_fold(routing, task):
    classifier = task == "classification"
    X, y, _ = _classification() if classifier else _regression()
    splitter = StratifiedKFold(3) if classifier else KFold(3)
    folds = list(splitter.split(X, y))
    recorder = _RecordingClassifier() if classifier else _RecordingRegressor()
    base = recorder.set_fit_request(row_id=True)
    row_id = np.arange(len(y)) + 1000
    for ensemble in _out_of_fold_ensembles(base, folds):
        ensemble.fit(X, y, row_id=row_id)
        for models in _fold_models(ensemble):
            for model, (train, _) in zip(models, folds, strict=True):
                np.testing.assert_array_equal(model.row_id_, row_id[train])


@pytest.mark.parametrize(
    ("blending", "base"),
    [
        (BlendingClassifier, _RecordingClassifier),
        (BlendingRegressor, _RecordingRegressor),
    ],
)
@pytest.mark.parametrize("refit_base", [False, True])
def test_routing_blending_splits_fit_param(routing, blending, base, refit_base):
    classifier = blending is BlendingClassifier
    X, y, _ = _classification() if classifier else _regression()
    row_id = np.arange(len(y)) + 1000
    recorder = base().set_fit_request(row_id=True)
    final = base().set_fit_request(row_id=True)
    blend = blending(
        [("rec", recorder)], final, holdout=0.3, refit_base=refit_base, random_state=0
    ).fit(X, y, row_id=row_id)
    train, held = train_test_split(
        np.arange(len(y)),
        test_size=0.3,
        random_state=0,
        stratify=y if classifier else None,
    )
    expected_base = row_id if refit_base else row_id[train]
    np.testing.assert_array_equal(blend.estimators_[0].models[0].row_id_, expected_base)
    np.testing.assert_array_equal(blend.final_estimator_.row_id_, row_id[held])


def test_routing_averaging_full_fit_gets_all_rows(routing):
    X, y, _ = _regression()
    row_id = np.arange(len(y)) + 1000
    averaging = AveragingRegressor(
        [("rec", _RecordingRegressor().set_fit_request(row_id=True))]
    ).fit(X, y, row_id=row_id)
    np.testing.assert_array_equal(averaging.estimators_[0].models[0].row_id_, row_id)


def test_routing_groups_reach_group_kfold(routing):
    X, y, _ = _classification()
    groups = np.repeat(np.arange(9), 10)
    row_id = np.arange(len(y))
    recorder = _RecordingClassifier().set_fit_request(row_id=True)
    stack = StackingClassifier([("rec", recorder)], cv=GroupKFold(3), guard=False).fit(
        X, y, groups=groups, row_id=row_id
    )
    folds = list(GroupKFold(3).split(X, y, groups))
    for model, (train, _) in zip(stack.layers_[0][0].models, folds, strict=True):
        np.testing.assert_array_equal(model.row_id_, train)
        assert not set(groups[train]) & set(np.delete(groups, train))


def test_routing_time_series_split_final_gets_covered_rows(routing):
    X, y, _ = _regression(n=80)
    row_id = np.arange(len(y)) + 1000
    splitter = TimeSeriesSplit(4)
    final = _RecordingRegressor().set_fit_request(row_id=True)
    stack = StackingRegressor(
        [("rec", _RecordingRegressor().set_fit_request(row_id=True))],
        final,
        cv=splitter,
        guard=False,
    ).fit(X, y, row_id=row_id)
    covered = np.concatenate([test for _, test in splitter.split(X)])
    np.testing.assert_array_equal(stack.final_estimator_.row_id_, row_id[covered])


@pytest.mark.parametrize(
    "ensemble",
    [
        StackingClassifier([("lr", LogisticRegression())]),
        EnsembleSelectionClassifier([("lr", LogisticRegression())]),
        AveragingClassifier([("lr", LogisticRegression())]),
        BlendingClassifier([("lr", LogisticRegression())]),
    ],
    ids=lambda ensemble: type(ensemble).__name__,
)
def test_fit_params_without_routing_raise(ensemble):
    X, y, _ = _classification()
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        ensemble.fit(X, y, row_id=np.arange(len(y)))


def test_get_metadata_routing_lists_every_part():
    stack = StackingClassifier(
        [[("a", LogisticRegression())], [("b", LogisticRegression())]],
        cv=GroupKFold(3),
    )
    routing = stack.get_metadata_routing()
    names = set(routing._route_mappings)
    assert names == {"a", "b", "final_estimator", "splitter"}


@pytest.mark.parametrize(
    "ensemble_cls",
    [StackingClassifier, StackingRegressor, BlendingClassifier, BlendingRegressor],
)
def test_routing_default_final_gets_weights(routing, ensemble_cls):
    # The built-in final estimator cannot be reached to set a request, so it
    # requests sample_weight itself: the same fit as an explicit request.
    classifier = issubclass(ensemble_cls, ClassifierMixin)
    X, y, weights = _classification() if classifier else _regression()
    base = _weighted(LogisticRegression() if classifier else Ridge())
    explicit = _weighted(LogisticRegression() if classifier else RidgeCV())
    stacking = ensemble_cls in (StackingClassifier, StackingRegressor)
    params = {"guard": False} if stacking else {"random_state": 0}
    default = ensemble_cls([("m", base)], **params).fit(X, y, sample_weight=weights)
    explicit_fit = ensemble_cls([("m", base)], explicit, **params).fit(
        X, y, sample_weight=weights
    )
    np.testing.assert_allclose(
        np.ravel(default.final_estimator_.coef_),
        np.ravel(explicit_fit.final_estimator_.coef_),
    )
    unweighted = ensemble_cls([("m", base)], **params).fit(X, y)
    assert not np.allclose(
        np.ravel(default.final_estimator_.coef_),
        np.ravel(unweighted.final_estimator_.coef_),
    )
