"""Ensemble selection and averaging against brute-force computations."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from sktricks.ensemble import (
    AveragingClassifier,
    AveragingRegressor,
    EnsembleSelectionClassifier,
    EnsembleSelectionRegressor,
)


def _oof(estimator, X, y, folds, method):
    out = None
    for train, test in folds:
        pred = getattr(clone(estimator).fit(X[train], y[train]), method)(X[test])
        if out is None:
            out = np.zeros((len(y), *np.shape(pred)[1:]))
        out[test] = pred
    return out


def _brute_force_greedy(predictions, loss, n_iter, with_replacement=True, n_init=0):
    """Greedy selection that recomputes every candidate ensemble from scratch."""
    chosen, trajectory = [], []
    for m in sorted(range(len(predictions)), key=lambda m: loss(predictions[m]))[
        :n_init
    ]:
        chosen.append(m)
        trajectory.append(loss(np.mean([predictions[c] for c in chosen], axis=0)))
    for _ in range(n_iter):
        best, best_loss = None, np.inf
        for m in range(len(predictions)):
            if not with_replacement and m in chosen:
                continue
            candidate = np.mean([predictions[c] for c in [*chosen, m]], axis=0)
            value = loss(candidate)
            if value < best_loss:
                best, best_loss = m, value
        if best is None:
            break
        chosen.append(best)
        trajectory.append(best_loss)
    stop = int(np.argmin(trajectory)) + 1
    counts = np.bincount(chosen[:stop], minlength=len(predictions))
    return counts / counts.sum(), np.array(trajectory)


_MODELS = [
    ("lr", LogisticRegression(C=0.05)),
    ("nb", GaussianNB()),
    ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ("knn", KNeighborsClassifier(7)),
]


@pytest.mark.parametrize("with_replacement, n_init", [(True, 0), (True, 2), (False, 0)])
def test_ensemble_selection_weights_match_brute_force(with_replacement, n_init):
    X, y = make_classification(
        n_samples=90, n_features=5, n_informative=3, random_state=0
    )
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    selection = EnsembleSelectionClassifier(
        _MODELS, n_iter=12, with_replacement=with_replacement, n_init=n_init, cv=cv
    ).fit(X, y)

    folds = list(cv.split(X, y))
    predictions = [_oof(m, X, y, folds, "predict_proba") for _, m in _MODELS]
    weights, trajectory = _brute_force_greedy(
        predictions, lambda p: log_loss(y, p), 12, with_replacement, n_init
    )
    np.testing.assert_allclose(selection.weights_, weights)
    np.testing.assert_allclose(selection.trajectory_, -trajectory)

    # Prediction is the weighted mean of the fold-averaged probabilities.
    fold_mean = [
        np.mean(
            [clone(m).fit(X[tr], y[tr]).predict_proba(X[:9]) for tr, _ in folds], axis=0
        )
        for _, m in _MODELS
    ]
    expected = sum(w * p for w, p in zip(weights, fold_mean, strict=False))
    np.testing.assert_allclose(selection.predict_proba(X[:9]), expected)


def test_ensemble_selection_roc_auc_scoring_matches_brute_force():
    X, y = make_classification(n_samples=80, n_features=5, random_state=1)
    cv = StratifiedKFold(4)
    selection = EnsembleSelectionClassifier(
        _MODELS, scoring="roc_auc", n_iter=8, cv=cv
    ).fit(X, y)
    predictions = [
        _oof(m, X, y, list(cv.split(X, y)), "predict_proba") for _, m in _MODELS
    ]
    weights, _ = _brute_force_greedy(
        predictions, lambda p: -roc_auc_score(y, p[:, 1]), 8
    )
    np.testing.assert_allclose(selection.weights_, weights)
    assert selection.score_ >= max(selection.base_scores_.values())


def test_ensemble_selection_regressor_matches_brute_force():
    X, y = make_regression(n_samples=80, n_features=4, noise=10.0, random_state=2)
    models = [
        ("ridge", Ridge(alpha=30.0)),
        ("lin", LinearRegression()),
        ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
    ]
    cv = KFold(4, shuffle=True, random_state=0)
    selection = EnsembleSelectionRegressor(models, n_iter=10, cv=cv).fit(X, y)
    predictions = [_oof(m, X, y, list(cv.split(X)), "predict") for _, m in models]
    weights, _ = _brute_force_greedy(
        predictions, lambda p: mean_squared_error(y, p), 10
    )
    np.testing.assert_allclose(selection.weights_, weights)


def test_ensemble_selection_bagging_weights_sum_to_one():
    X, y = make_classification(n_samples=80, random_state=3)
    selection = EnsembleSelectionClassifier(
        _MODELS, n_iter=5, bagging=4, cv=3, random_state=0
    ).fit(X, y)
    assert selection.weights_.sum() == pytest.approx(1.0)
    assert len(selection.trajectory_) == 4
    again = clone(selection).fit(X, y)
    np.testing.assert_array_equal(selection.weights_, again.weights_)


def test_ensemble_selection_model_without_proba_raises():
    X, y = make_classification(n_samples=60, random_state=0)
    with pytest.raises(ValueError, match="Base model 'svc'"):
        EnsembleSelectionClassifier([("svc", LinearSVC())], cv=3).fit(X, y)


# Averaging -------------------------------------------------------------------------


def test_averaging_methods_match_closed_forms():
    X, y = make_classification(n_samples=100, random_state=4)
    models = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    probas = [clone(m).fit(X, y).predict_proba(X) for _, m in models]

    mean = AveragingClassifier(models, weights=[3, 1]).fit(X, y)
    np.testing.assert_allclose(
        mean.predict_proba(X), 0.75 * probas[0] + 0.25 * probas[1]
    )

    geometric = AveragingClassifier(models, method="geometric").fit(X, y)
    raw = np.sqrt(probas[0] * probas[1])
    np.testing.assert_allclose(
        geometric.predict_proba(X), raw / raw.sum(axis=1, keepdims=True)
    )

    rank = AveragingClassifier(models, method="rank").fit(X, y)
    ranks = [pd.Series(p[:, 1]).rank().to_numpy() / 100 for p in probas]
    np.testing.assert_allclose(rank.predict_proba(X)[:, 1], (ranks[0] + ranks[1]) / 2)


def test_averaging_regressor_optimized_weights_match_closed_form():
    # Two models: the squared-error optimum on the simplex is the clipped
    # projection w = <y - b, a - b> / |a - b|^2.
    X, y = make_regression(n_samples=120, n_features=4, noise=20.0, random_state=5)
    models = [
        ("ridge", Ridge(alpha=50.0)),
        ("tree", DecisionTreeRegressor(max_depth=4, random_state=0)),
    ]
    cv = KFold(4)
    averaging = AveragingRegressor(models, weights="optimize", cv=cv).fit(X, y)
    a, b = (_oof(m, X, y, list(cv.split(X)), "predict") for _, m in models)
    w = np.clip(np.dot(y - b, a - b) / np.dot(a - b, a - b), 0, 1)
    np.testing.assert_allclose(averaging.weights_, [w, 1 - w], atol=1e-5)


def test_averaging_classifier_optimized_weights_match_grid_search():
    X, y = make_classification(n_samples=120, n_features=5, random_state=6)
    cv = StratifiedKFold(3)
    averaging = AveragingClassifier(_MODELS[:3], weights="optimize", cv=cv).fit(X, y)
    predictions = [
        _oof(m, X, y, list(cv.split(X, y)), "predict_proba") for _, m in _MODELS[:3]
    ]
    grid = np.linspace(0, 1, 101)
    best = min(
        ((a, b, 1 - a - b) for a, b in itertools.product(grid, grid) if a + b <= 1),
        key=lambda w: log_loss(
            y, sum(wi * p for wi, p in zip(w, predictions, strict=False))
        ),
    )
    np.testing.assert_allclose(averaging.weights_, best, atol=0.02)


def test_averaging_rank_with_optimize_raises():
    X, y = make_classification(n_samples=40, random_state=0)
    with pytest.raises(ValueError, match="method='mean' or 'geometric'"):
        AveragingClassifier(_MODELS[:2], method="rank", weights="optimize").fit(X, y)


def test_averaging_bad_weights_raise():
    X, y = make_classification(n_samples=40, random_state=0)
    with pytest.raises(ValueError, match="non-negative numbers"):
        AveragingClassifier(_MODELS[:2], weights=[1.0, -1.0]).fit(X, y)


def test_averaging_geometric_regressor_rejects_non_positive_predictions():
    # A positive target fits; a linear model extrapolates below zero later.
    X, y = make_regression(n_samples=40, random_state=0)
    averaging = AveragingRegressor([("lin", LinearRegression())], method="geometric")
    averaging.fit(X, y - y.min() + 1.0)
    with pytest.raises(ValueError, match="positive predictions"):
        averaging.predict(-5 * X)


# Blending --------------------------------------------------------------------------


@pytest.mark.parametrize("refit_base", [True, False])
def test_blending_matches_hand_split(refit_base):
    from sklearn.model_selection import train_test_split

    from sktricks.ensemble import BlendingClassifier

    X, y = make_classification(n_samples=150, random_state=7)
    models = [("lr", LogisticRegression()), ("svc", LinearSVC())]
    blend = BlendingClassifier(
        models, holdout=0.3, refit_base=refit_base, random_state=0
    ).fit(X, y)

    train, held = train_test_split(
        np.arange(150), test_size=0.3, random_state=0, stratify=y
    )
    lr = LogisticRegression().fit(X[train], y[train])
    svc = LinearSVC().fit(X[train], y[train])
    features = np.column_stack(
        [lr.predict_proba(X[held])[:, 1], svc.decision_function(X[held])]
    )
    final = LogisticRegression().fit(features, y[held])
    if refit_base:
        lr, svc = LogisticRegression().fit(X, y), LinearSVC().fit(X, y)
    new = np.column_stack([lr.predict_proba(X[:8])[:, 1], svc.decision_function(X[:8])])
    np.testing.assert_allclose(blend.predict_proba(X[:8]), final.predict_proba(new))


def test_rank_averaging_rejects_single_row():
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    from sktricks.ensemble import AveragingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    model = AveragingClassifier(
        [("lr", LogisticRegression()), ("tree", DecisionTreeClassifier(max_depth=3))],
        method="rank",
        cv=3,
    ).fit(X, y)

    assert model.predict_proba(X[:2]).shape == (2, 2)
    with pytest.raises(ValueError, match="needs at least 2 rows; got 1"):
        model.predict_proba(X[:1])


def test_ensemble_selection_early_stopping_matches_hand_loop():
    lightgbm = pytest.importorskip("lightgbm")
    X, y = make_classification(n_samples=300, n_features=8, flip_y=0.2, random_state=4)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    booster = lightgbm.LGBMClassifier(
        n_estimators=400, learning_rate=0.3, verbose=-1, random_state=0
    )
    selection = EnsembleSelectionClassifier(
        [("lgbm", booster), ("lr", LogisticRegression())],
        cv=folds,
        early_stopping=True,
    ).fit(X, y)

    for model, (train, test) in zip(
        selection.estimators_[0].models, folds, strict=True
    ):
        hand = clone(booster).fit(
            X[train],
            y[train],
            eval_set=[(X[test], y[test])],
            callbacks=[lightgbm.early_stopping(50, verbose=False)],
        )
        assert model.best_iteration_ == hand.best_iteration_
        assert model.best_iteration_ < 400


def test_ensemble_selection_inner_early_stopping_stops_every_fold():
    lightgbm = pytest.importorskip("lightgbm")
    X, y = make_classification(n_samples=300, n_features=8, flip_y=0.2, random_state=4)
    booster = lightgbm.LGBMClassifier(
        n_estimators=400, learning_rate=0.3, verbose=-1, random_state=0
    )
    selection = EnsembleSelectionClassifier(
        [("lgbm", booster), ("lr", LogisticRegression())],
        cv=3,
        early_stopping="inner",
        random_state=0,
    ).fit(X, y)
    iterations = [model.best_iteration_ for model in selection.estimators_[0].models]
    assert all(0 < iteration < 400 for iteration in iterations)
    # Logistic regression has no early stopping and is fitted as usual.
    assert all(
        isinstance(model, LogisticRegression)
        for model in selection.estimators_[1].models
    )


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_early_stopping_keeps_model_rounds(library):
    # The model's own early-stopping rounds win over the default of 50, as
    # in cross_val_oof; checked against a hand fit per fold with those rounds.
    module = pytest.importorskip(library)
    X, y = make_classification(n_samples=300, n_features=8, flip_y=0.3, random_state=4)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    if library == "lightgbm":
        booster = module.LGBMClassifier(
            n_estimators=400,
            learning_rate=0.3,
            early_stopping_round=3,
            verbose=-1,
            random_state=0,
        )
    else:
        booster = module.XGBClassifier(
            n_estimators=400, learning_rate=0.3, early_stopping_rounds=3
        )
    selection = EnsembleSelectionClassifier(
        [("boost", booster), ("lr", LogisticRegression())],
        cv=folds,
        early_stopping=True,
    ).fit(X, y)

    for model, (train, test) in zip(
        selection.estimators_[0].models, folds, strict=True
    ):
        hand = clone(booster).fit(X[train], y[train], eval_set=[(X[test], y[test])])
        if library == "lightgbm":
            assert model.best_iteration_ == hand.best_iteration_
            # Early stopping at 50 rounds would keep at least that many more.
            assert model.n_estimators_ < hand.best_iteration_ + 50
        else:
            assert model.best_iteration == hand.best_iteration
            assert model.get_booster().num_boosted_rounds() == hand.best_iteration + 4


def test_selection_scores_are_weighted():
    # The selection's scores are the weighted ROC AUC of the out-of-fold
    # probabilities, computed here from a plain fold loop.
    X, y = make_classification(n_samples=400, n_features=6, flip_y=0.1, random_state=3)
    weights = np.where(X[:, 0] > 0, 10.0, 0.01)
    folds = list(StratifiedKFold(3).split(X, y))
    models = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    selection = EnsembleSelectionClassifier(
        models, scoring="roc_auc", n_iter=5, cv=folds
    ).fit(X, y, sample_weight=weights)

    for name, model in models:
        oof = np.zeros(len(y))
        for train, test in folds:
            fitted = clone(model).fit(X[train], y[train], sample_weight=weights[train])
            oof[test] = fitted.predict_proba(X[test])[:, 1]
        expected = roc_auc_score(y, oof, sample_weight=weights)
        assert selection.base_scores_[name] == pytest.approx(expected)
        assert selection.base_scores_[name] != pytest.approx(roc_auc_score(y, oof))


def test_optimize_minimises_weighted_log_loss():
    # Brute force over a fine grid of two-model weights finds the same
    # minimum of the weighted out-of-fold log loss.
    X, y = make_classification(n_samples=300, n_features=6, flip_y=0.1, random_state=5)
    weights = np.where(X[:, 1] > 0, 5.0, 0.2)
    folds = list(StratifiedKFold(3).split(X, y))
    models = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    averaging = AveragingClassifier(models, weights="optimize", cv=folds).fit(
        X, y, sample_weight=weights
    )

    oofs = []
    for _, model in models:
        oof = np.zeros((len(y), 2))
        for train, test in folds:
            fitted = clone(model).fit(X[train], y[train], sample_weight=weights[train])
            oof[test] = fitted.predict_proba(X[test])
        oofs.append(oof)
    grid = np.linspace(0, 1, 2001)
    losses = [
        log_loss(y, a * oofs[0] + (1 - a) * oofs[1], sample_weight=weights)
        for a in grid
    ]
    best = grid[int(np.argmin(losses))]
    assert averaging.weights_[0] == pytest.approx(best, abs=1e-3)
