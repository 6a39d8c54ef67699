"""cross_val_oof against cross_val_predict and hand-written fold loops."""

from __future__ import annotations

import inspect

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import sklearn
from lightgbm import LGBMClassifier, LGBMRegressor
from scipy.stats import rankdata
from sklearn.base import clone
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    RepeatedStratifiedKFold,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
    TimeSeriesSplit,
    cross_val_predict,
)
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from xgboost import XGBClassifier, XGBRegressor

from sktricks.model_selection import (
    MultilabelStratifiedKFold,
    OOFResult,
    cross_val_oof,
)


@pytest.fixture
def binary():
    return make_classification(n_samples=200, n_features=6, random_state=0)


@pytest.fixture
def multiclass():
    return make_classification(
        n_samples=240, n_features=8, n_informative=5, n_classes=3, random_state=1
    )


def _eval(X, y):
    # LightGBM 4.7 renamed eval_set to eval_X and eval_y.
    if "eval_X" in inspect.signature(LGBMClassifier.fit).parameters:
        return {"eval_X": (X,), "eval_y": (y,)}
    return {"eval_set": [(X, y)]}


def _lgbm(**kwargs):
    return LGBMClassifier(
        n_estimators=300, learning_rate=0.1, n_jobs=1, verbose=-1, **kwargs
    )


# Exactness against cross_val_predict ------------------------------------------


@pytest.mark.parametrize(
    ("kind", "estimator", "method"),
    [
        ("binary", LogisticRegression(), "predict_proba"),
        ("multiclass", LogisticRegression(max_iter=500), "predict_proba"),
        ("binary", LinearSVC(), "decision_function"),
        ("multiclass", LinearSVC(), "decision_function"),
        ("binary", make_pipeline(StandardScaler(), LogisticRegression()), "predict"),
        ("regression", Ridge(alpha=0.3), "predict"),
    ],
)
def test_cross_val_oof_equals_cross_val_predict(kind, estimator, method):
    if kind == "regression":
        X, y = make_regression(n_samples=150, n_features=5, noise=1.0, random_state=0)
        cv = KFold(5, shuffle=True, random_state=0)
    else:
        n_classes = 2 if kind == "binary" else 3
        X, y = make_classification(
            n_samples=180, n_informative=4, n_classes=n_classes, random_state=0
        )
        cv = StratifiedKFold(5, shuffle=True, random_state=0)

    result = cross_val_oof(estimator, X, y, cv=cv, method=method)
    expected = cross_val_predict(clone(estimator), X, y, cv=cv, method=method)

    if kind == "binary" and method == "predict_proba":
        expected = expected[:, 1]
    assert result.method_ == method
    np.testing.assert_array_equal(result.oof_, expected)


def test_cross_val_oof_auto_method_choice(binary):
    X, y = binary
    assert cross_val_oof(LogisticRegression(), X, y, cv=3).method_ == "predict_proba"
    assert cross_val_oof(LinearSVC(), X, y, cv=3).method_ == "decision_function"
    assert cross_val_oof(Ridge(), X, y.astype(float), cv=3).method_ == "predict"


def test_cross_val_oof_string_labels_match_cross_val_predict(multiclass):
    X, y = multiclass
    labels = np.array(["cat", "ant", "bee"])[y]
    cv = StratifiedKFold(4, shuffle=True, random_state=0)

    result = cross_val_oof(LogisticRegression(max_iter=500), X, labels, cv=cv)
    expected = cross_val_predict(
        LogisticRegression(max_iter=500), X, labels, cv=cv, method="predict_proba"
    )

    np.testing.assert_array_equal(result.classes_, ["ant", "bee", "cat"])
    np.testing.assert_array_equal(result.oof_, expected)


# Missing classes and per-fold label encoding -----------------------------------


def _missing_class_data():
    # Class 2 lives only in the last 4 rows, so KFold(3) without shuffling
    # trains the last fold without it.
    X, y = make_classification(n_samples=90, n_features=5, random_state=3)
    X = np.vstack([X, np.random.default_rng(0).normal(size=(4, 5)) + 3])
    y = np.r_[y, [2, 2, 2, 2]]
    return X, y, KFold(3)


def test_cross_val_oof_missing_class_zero_column():
    X, y, cv = _missing_class_data()

    result = cross_val_oof(LogisticRegression(), X, y, cv=cv)
    expected = cross_val_predict(
        LogisticRegression(), X, y, cv=cv, method="predict_proba"
    )

    last_test = result.folds_[-1][1]
    np.testing.assert_array_equal(result.oof_, expected)
    np.testing.assert_array_equal(result.oof_[last_test, 2], 0.0)
    np.testing.assert_allclose(result.oof_[last_test, :2].sum(axis=1), 1.0)


def test_cross_val_oof_xgboost_missing_class_reencoded():
    X, y, cv = _missing_class_data()
    labels = np.array(["no", "yes", "zzz"])[y]
    model = XGBClassifier(n_estimators=20, max_depth=2, n_jobs=1)

    result = cross_val_oof(model, X, labels, cv=cv)

    # Hand-written loop: each fold fitted on its own contiguous codes.
    expected = np.zeros((len(y), 3))
    for train, test in cv.split(X):
        fold_classes = np.unique(y[train])
        codes = np.searchsorted(fold_classes, y[train])
        fitted = clone(model).fit(X[train], codes)
        expected[np.ix_(test, fold_classes)] = fitted.predict_proba(X[test])
    np.testing.assert_array_equal(result.oof_, expected)
    assert result.oof_[result.folds_[-1][1], 2].max() == 0.0


def test_cross_val_oof_xgboost_predict_decodes_labels():
    X, y, cv = _missing_class_data()
    labels = np.array(["no", "yes", "zzz"])[y]

    result = cross_val_oof(
        XGBClassifier(n_estimators=10, n_jobs=1), X, labels, cv=cv, method="predict"
    )

    assert set(result.oof_) <= {"no", "yes", "zzz"}
    assert "zzz" not in set(result.oof_[result.folds_[-1][1]])


def test_cross_val_oof_decision_function_missing_class_lowest_float():
    X, y, cv = _missing_class_data()
    X = np.vstack([X[:30] - 3, X])
    y = np.r_[np.full(30, 3), y]  # four classes, so every fold's output is 2-D

    result = cross_val_oof(LinearSVC(), X, y, cv=cv, method="decision_function")
    expected = cross_val_predict(LinearSVC(), X, y, cv=cv, method="decision_function")

    np.testing.assert_array_equal(result.oof_, expected)
    assert result.oof_[result.folds_[-1][1], 2].max() == np.finfo(float).min


def test_cross_val_oof_one_dimensional_decision_missing_class_raises():
    # A fold with two of three classes gives a 1-D decision function that
    # has no column to place; cross_val_predict raises here too.
    X, y, cv = _missing_class_data()
    with pytest.raises(ValueError, match=r"contains only the classes \[0, 1\]"):
        cross_val_oof(LinearSVC(), X, y, cv=cv, method="decision_function")


# Early stopping per fold ---------------------------------------------------------


def test_cross_val_oof_lightgbm_early_stopping_matches_hand_loop(binary):
    X, y = binary
    cv = StratifiedKFold(4, shuffle=True, random_state=0)

    result = cross_val_oof(
        _lgbm(), X, y, cv=cv, early_stopping=True, early_stopping_rounds=10
    )

    expected_best, expected_oof = [], np.empty(len(y))
    for train, test in cv.split(X, y):
        fitted = _lgbm().fit(
            X[train],
            y[train],
            **_eval(X[test], y[test]),
            callbacks=[lgb.early_stopping(10, verbose=False)],
        )
        expected_best.append(fitted.best_iteration_)
        expected_oof[test] = fitted.predict_proba(X[test])[:, 1]
    np.testing.assert_array_equal(result.best_iterations_, expected_best)
    np.testing.assert_array_equal(result.oof_, expected_oof)
    assert len(set(expected_best)) > 1  # the folds really stop at different rounds
    assert max(expected_best) < 300


def test_cross_val_oof_lightgbm_early_stopping_string_labels(multiclass):
    # LightGBM 4.7 encodes eval_set labels but not eval_y ones, so string
    # labels used to fail with "could not convert string to float".
    X, y = multiclass
    labels = np.array(["good", "bad", "ugly"])[y]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)

    result = cross_val_oof(
        _lgbm(), X, labels, cv=cv, early_stopping=True, early_stopping_rounds=10
    )

    expected_best, expected_oof = [], np.empty((len(y), 3))
    codes = np.searchsorted(["bad", "good", "ugly"], labels)
    for train, test in cv.split(X, labels):
        fitted = _lgbm().fit(
            X[train],
            codes[train],
            **_eval(X[test], codes[test]),
            callbacks=[lgb.early_stopping(10, verbose=False)],
        )
        expected_best.append(fitted.best_iteration_)
        expected_oof[test] = fitted.predict_proba(X[test])
    np.testing.assert_array_equal(result.classes_, ["bad", "good", "ugly"])
    np.testing.assert_array_equal(result.best_iterations_, expected_best)
    np.testing.assert_array_equal(result.oof_, expected_oof)


def test_cross_val_oof_class_weight_text_labels(multiclass):
    # The fold models learn label codes, so a class_weight dict keyed by the
    # text labels is re-keyed by code.
    X, y = multiclass
    labels = np.array(["good", "bad", "ugly"])[y]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    weights = {"bad": 1.0, "good": 4.0, "ugly": 0.5}
    model = _lgbm().set_params(class_weight=weights)

    result = cross_val_oof(
        model, X, labels, cv=cv, early_stopping=True, early_stopping_rounds=10
    )

    codes = np.searchsorted(["bad", "good", "ugly"], labels)
    expected_oof = np.empty((len(y), 3))
    for train, test in cv.split(X, labels):
        fitted = (
            _lgbm()
            .set_params(class_weight={0: 1.0, 1: 4.0, 2: 0.5})
            .fit(
                X[train],
                codes[train],
                **_eval(X[test], codes[test]),
                callbacks=[lgb.early_stopping(10, verbose=False)],
            )
        )
        expected_oof[test] = fitted.predict_proba(X[test])
    np.testing.assert_array_equal(result.oof_, expected_oof)
    assert model.class_weight == weights


def test_cross_val_oof_xgboost_early_stopping_matches_hand_loop(multiclass):
    X, y = multiclass
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    model = XGBClassifier(n_estimators=300, learning_rate=0.3, n_jobs=1)

    result = cross_val_oof(
        model, X, y, cv=cv, early_stopping=True, early_stopping_rounds=10
    )

    expected_best, expected_oof = [], np.empty((len(y), 3))
    for train, test in cv.split(X, y):
        fitted = clone(model).set_params(early_stopping_rounds=10)
        fitted.fit(X[train], y[train], eval_set=[(X[test], y[test])], verbose=False)
        expected_best.append(fitted.best_iteration + 1)
        expected_oof[test] = fitted.predict_proba(X[test])
    np.testing.assert_array_equal(result.best_iterations_, expected_best)
    np.testing.assert_allclose(result.oof_, expected_oof, rtol=1e-6)
    assert max(expected_best) < 300


def test_cross_val_oof_hist_gradient_boosting_early_stopping_hand_loop(binary):
    X, y = binary
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    model = HistGradientBoostingClassifier(max_iter=300, random_state=0)

    result = cross_val_oof(
        model, X, y, cv=cv, early_stopping=True, early_stopping_rounds=5
    )

    expected = []
    for train, test in cv.split(X, y):
        fitted = clone(model).set_params(early_stopping=True, n_iter_no_change=5)
        fitted.fit(X[train], y[train], X_val=X[test], y_val=y[test])
        expected.append(fitted.n_iter_)
    np.testing.assert_array_equal(result.best_iterations_, expected)
    assert max(expected) < 300


def test_cross_val_oof_shared_user_callback_copied_per_fold(binary):
    # One early_stopping callback object passed by the user must behave as a
    # fresh callback in every fold, never carrying one fold's best score on.
    X, y = binary
    cv = StratifiedKFold(4, shuffle=True, random_state=1)
    shared = lgb.early_stopping(5, verbose=False)

    result = cross_val_oof(
        _lgbm(),
        X,
        y,
        cv=cv,
        params={"callbacks": [shared], **_eval(X, y)},
    )

    expected = [
        _lgbm()
        .fit(
            X[train],
            y[train],
            **_eval(X, y),
            callbacks=[lgb.early_stopping(5, verbose=False)],
        )
        .best_iteration_
        for train, _ in cv.split(X, y)
    ]
    got = [fitted.best_iteration_ for fitted in result.estimators_]
    assert got == expected
    assert not getattr(shared, "best_score", [])  # the user's object is untouched


def test_cross_val_oof_inner_early_stopping_uses_training_rows(binary):
    X, y = binary
    cv = StratifiedKFold(4, shuffle=True, random_state=0)

    result = cross_val_oof(
        _lgbm(),
        X,
        y,
        cv=cv,
        early_stopping="inner",
        early_stopping_rounds=10,
        validation_fraction=0.2,
        random_state=7,
    )

    # Hand-written loop with the documented seeding: one seed per fold drawn
    # from random_state, a stratified 20 % slice of the training part.
    seeds = np.random.RandomState(7).randint(np.iinfo(np.int32).max, size=4)
    expected = []
    for (train, _), seed in zip(cv.split(X, y), seeds, strict=True):
        inner = StratifiedShuffleSplit(1, test_size=0.2, random_state=seed)
        fit_part, val_part = next(inner.split(X[train], y[train]))
        fit_rows, val_rows = train[fit_part], train[val_part]
        fitted = _lgbm().fit(
            X[fit_rows],
            y[fit_rows],
            **_eval(X[val_rows], y[val_rows]),
            callbacks=[lgb.early_stopping(10, verbose=False)],
        )
        expected.append(fitted.best_iteration_)
    np.testing.assert_array_equal(result.best_iterations_, expected)


def test_cross_val_oof_early_stopping_pipeline(binary):
    X, y = binary
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    pipeline = make_pipeline(StandardScaler(), _lgbm())

    result = cross_val_oof(
        pipeline, X, y, cv=cv, early_stopping=True, early_stopping_rounds=10
    )

    expected = []
    for train, test in cv.split(X, y):
        scaler = StandardScaler().fit(X[train])
        fitted = _lgbm().fit(
            scaler.transform(X[train]),
            y[train],
            **_eval(scaler.transform(X[test]), y[test]),
            callbacks=[lgb.early_stopping(10, verbose=False)],
        )
        expected.append(fitted.best_iteration_)
    np.testing.assert_array_equal(result.best_iterations_, expected)


def test_cross_val_oof_early_stopping_regressors():
    X, y = make_regression(n_samples=200, n_features=5, noise=5.0, random_state=0)
    for model in (
        LGBMRegressor(n_estimators=400, n_jobs=1, verbose=-1),
        XGBRegressor(n_estimators=400, n_jobs=1),
        HistGradientBoostingRegressor(max_iter=400),
    ):
        result = cross_val_oof(
            model, X, y, cv=3, early_stopping=True, early_stopping_rounds=5
        )
        assert result.best_iterations_.shape == (3,)
        assert result.best_iterations_.max() < 400


def test_cross_val_oof_early_stopping_rejects_other_models(binary):
    X, y = binary
    with pytest.raises(ValueError, match="early_stopping=True needs a LightGBM"):
        cross_val_oof(LogisticRegression(), X, y, early_stopping=True)


# pandas, indexing and dtypes ---------------------------------------------------


def test_cross_val_oof_positional_indexing_any_index(multiclass):
    X, y = multiclass
    index = np.random.default_rng(0).permutation(np.arange(1000, 1000 + len(y)))
    X_frame = pd.DataFrame(X, index=index, columns=[f"f{i}" for i in range(8)])
    y_series = pd.Series(y, index=index, name="target")
    cv = StratifiedKFold(4, shuffle=True, random_state=0)

    result = cross_val_oof(LogisticRegression(max_iter=500), X_frame, y_series, cv=cv)
    expected = cross_val_predict(
        LogisticRegression(max_iter=500), X, y, cv=cv, method="predict_proba"
    )

    assert isinstance(result.oof_, pd.DataFrame)
    assert result.oof_.index.equals(X_frame.index)
    assert list(result.oof_.columns) == [0, 1, 2]
    np.testing.assert_array_equal(result.oof_.to_numpy(), expected)


def test_cross_val_oof_pandas_binary_and_test_index(binary):
    X, y = binary
    X_frame = pd.DataFrame(X, index=np.arange(len(y))[::-1] * 3)
    X_test = pd.DataFrame(X[:7], index=list("abcdefg"))

    result = cross_val_oof(
        LogisticRegression(), X_frame, pd.Series(y), cv=3, X_test=X_test
    )

    assert isinstance(result.oof_, pd.Series)
    assert result.oof_.index.equals(X_frame.index)
    assert result.oof_.name == 1
    assert list(result.test_.index) == list("abcdefg")


def test_cross_val_oof_category_columns_lightgbm():
    rng = np.random.default_rng(0)
    colour = pd.Categorical(rng.choice(["red", "green", "blue"], 300))
    X = pd.DataFrame(
        {"colour": colour, "size": rng.normal(size=300)}, index=np.arange(300) + 50
    )
    y = ((np.asarray(colour) == "red") ^ (X["size"].to_numpy() > 1)).astype(int)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    model = LGBMClassifier(n_estimators=30, n_jobs=1, verbose=-1)

    result = cross_val_oof(model, X, y, cv=cv)

    expected = np.empty(300)
    for train, test in cv.split(X, y):
        fitted = clone(model).fit(X.iloc[train], y[train])
        expected[test] = fitted.predict_proba(X.iloc[test])[:, 1]
    np.testing.assert_array_equal(result.oof_.to_numpy(), expected)
    assert roc_auc_score(y, result.oof_) > 0.9


def test_cross_val_oof_nullable_target_dtypes(binary):
    X, y = binary
    cv = StratifiedKFold(3)
    plain = cross_val_oof(LogisticRegression(), X, y, cv=cv).oof_

    as_int = cross_val_oof(LogisticRegression(), X, pd.Series(y, dtype="Int64"), cv=cv)
    as_bool = cross_val_oof(
        LogisticRegression(), X, pd.Series(y.astype(bool), dtype="boolean"), cv=cv
    )

    np.testing.assert_array_equal(as_int.oof_, plain)
    np.testing.assert_array_equal(as_bool.oof_, plain)
    np.testing.assert_array_equal(as_bool.classes_, [False, True])


def test_cross_val_oof_nullable_target_with_missing_raises(binary):
    X, y = binary
    y_missing = pd.Series(y, dtype="Int64")
    y_missing.iloc[3] = pd.NA
    with pytest.raises(ValueError, match="y contains 1 missing values"):
        cross_val_oof(LogisticRegression(), X, y_missing)


def test_cross_val_oof_nullable_feature_columns():
    X, y = make_classification(
        n_samples=150, n_features=3, n_redundant=0, random_state=0
    )
    X_int = pd.DataFrame({"a": (X[:, 0] * 10).round().astype(int), "b": X[:, 1]})
    X_nullable = X_int.astype({"a": "Int64", "b": "Float64"})
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0)

    expected = cross_val_oof(model, X_int, y, cv=3).oof_
    got = cross_val_oof(model, X_nullable, y, cv=3).oof_

    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy())


# Tiny classes and bad input ------------------------------------------------------


def test_cross_val_oof_tiny_class_warns(binary):
    X, y = binary
    y = y.copy()
    y[:2] = 2  # a third class with two members, fewer than 5 folds
    with pytest.warns(UserWarning, match="least populated class"):
        result = cross_val_oof(LogisticRegression(), X, y, cv=5)
    assert result.oof_.shape == (200, 3)


def test_cross_val_oof_every_class_tiny_raises():
    X = np.arange(8.0).reshape(-1, 1)
    y = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    with pytest.raises(ValueError, match="cannot be greater than the number of"):
        cross_val_oof(LogisticRegression(), X, y, cv=5)


def test_cross_val_oof_one_class_raises():
    with pytest.raises(ValueError, match="y has one class"):
        cross_val_oof(LogisticRegression(), np.ones((10, 2)), np.zeros(10))


def test_cross_val_oof_empty_raises():
    with pytest.raises(ValueError, match="X is empty"):
        cross_val_oof(Ridge(), np.empty((0, 2)), np.empty(0))


def test_cross_val_oof_forced_method_missing_names_estimator(binary):
    X, y = binary
    with pytest.raises(
        ValueError, match="'predict_proba' is not available on LinearSVC"
    ):
        cross_val_oof(LinearSVC(), X, y, method="predict_proba")


def test_cross_val_oof_non_partition_cv_raises(binary):
    X, y = binary
    with pytest.raises(ValueError, match="exactly one test fold"):
        cross_val_oof(LogisticRegression(), X, y, cv=ShuffleSplit(3, random_state=0))


def test_cross_val_oof_length_mismatch_raises(binary):
    X, y = binary
    with pytest.raises(ValueError, match="X has 200 rows but y has 199"):
        cross_val_oof(LogisticRegression(), X, y[:-1])


def test_cross_val_oof_test_columns_checked(binary):
    X, y = binary
    X_frame = pd.DataFrame(X, columns=list("abcdef"))
    with pytest.raises(ValueError, match=r"missing \['f'\], unexpected \['z'\]"):
        cross_val_oof(
            LogisticRegression(),
            X_frame,
            y,
            X_test=X_frame.rename(columns={"f": "z"}),
        )
    with pytest.raises(ValueError, match="another order"):
        cross_val_oof(LogisticRegression(), X_frame, y, X_test=X_frame[list("fedcba")])


# Test-set averaging and scores ---------------------------------------------------


def test_cross_val_oof_test_mean_and_rank(binary):
    X, y = binary
    X_test = X[:40] + 0.1

    mean = cross_val_oof(LogisticRegression(), X, y, cv=4, X_test=X_test)
    rank = cross_val_oof(
        LogisticRegression(), X, y, cv=4, X_test=X_test, average="rank"
    )

    per_fold = np.array(
        [model.predict_proba(X_test)[:, 1] for model in mean.estimators_]
    )
    np.testing.assert_allclose(mean.test_, per_fold.mean(axis=0))
    expected_rank = np.mean([rankdata(p) / 40 for p in per_fold], axis=0)
    np.testing.assert_allclose(rank.test_, expected_rank)


def test_cross_val_oof_test_majority_vote_for_labels(binary):
    X, y = binary
    result = cross_val_oof(
        LogisticRegression(), X, y, cv=5, X_test=X[:30], method="predict"
    )
    votes = np.array([model.predict(X[:30]) for model in result.estimators_])
    np.testing.assert_array_equal(result.test_, (votes.mean(axis=0) > 0.5).astype(int))


def test_cross_val_oof_scores_match_metric(binary):
    X, y = binary
    result = cross_val_oof(LogisticRegression(), X, y, cv=4, scoring="roc_auc")

    assert isinstance(result, OOFResult)
    assert result.scores_["overall"] == pytest.approx(roc_auc_score(y, result.oof_))
    expected = [roc_auc_score(y[test], result.oof_[test]) for _, test in result.folds_]
    np.testing.assert_allclose(result.scores_["folds"], expected)


def test_cross_val_oof_scoring_needs_other_method(binary):
    X, y = binary
    with pytest.raises(ValueError, match="scoring='neg_log_loss' needs"):
        cross_val_oof(LinearSVC(), X, y, cv=3, scoring="neg_log_loss")


# Metadata: sample weights and groups ---------------------------------------------


def test_cross_val_oof_sample_weight_and_groups_without_routing(binary):
    X, y = binary
    weights = np.random.default_rng(0).uniform(0.1, 3, size=len(y))
    groups = np.arange(len(y)) // 10
    cv = GroupKFold(4)

    result = cross_val_oof(
        LogisticRegression(),
        X,
        y,
        groups=groups,
        cv=cv,
        params={"sample_weight": weights},
    )
    expected = cross_val_predict(
        LogisticRegression(),
        X,
        y,
        groups=groups,
        cv=cv,
        params={"sample_weight": weights},
        method="predict_proba",
    )[:, 1]

    np.testing.assert_array_equal(result.oof_, expected)
    for train, test in result.folds_:
        assert not set(groups[train]) & set(groups[test])


def test_cross_val_oof_metadata_routing(binary):
    X, y = binary
    weights = np.random.default_rng(1).uniform(0.1, 3, size=len(y))
    groups = np.arange(len(y)) % 8

    with sklearn.config_context(enable_metadata_routing=True):
        model = LogisticRegression().set_fit_request(sample_weight=True)
        result = cross_val_oof(
            model,
            X,
            y,
            groups=groups,
            cv=GroupKFold(4),
            params={"sample_weight": weights},
        )
        expected = cross_val_predict(
            model,
            X,
            y,
            cv=GroupKFold(4),
            params={"sample_weight": weights, "groups": groups},
            method="predict_proba",
        )[:, 1]
        unweighted = cross_val_oof(
            LogisticRegression(), X, y, groups=groups, cv=GroupKFold(4)
        )

    np.testing.assert_array_equal(result.oof_, expected)
    assert not np.allclose(result.oof_, unweighted.oof_)


def test_cross_val_oof_early_stopping_weights_reach_eval_set(binary):
    X, y = binary
    weights = np.where(y == 1, 5.0, 0.2)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)

    result = cross_val_oof(
        _lgbm(),
        X,
        y,
        cv=cv,
        params={"sample_weight": weights},
        early_stopping=True,
        early_stopping_rounds=10,
    )

    expected = []
    for train, test in cv.split(X, y):
        fitted = _lgbm().fit(
            X[train],
            y[train],
            sample_weight=weights[train],
            **_eval(X[test], y[test]),
            eval_sample_weight=[weights[test]],
            callbacks=[lgb.early_stopping(10, verbose=False)],
        )
        expected.append(fitted.best_iteration_)
    np.testing.assert_array_equal(result.best_iterations_, expected)


# Parallel determinism ------------------------------------------------------------


def test_cross_val_oof_same_result_any_n_jobs(binary):
    X, y = binary
    model = RandomForestClassifier(n_estimators=20, random_state=0)
    runs = [
        cross_val_oof(
            _lgbm(subsample=0.7, subsample_freq=1, random_state=3),
            X,
            y,
            cv=4,
            X_test=X[:20],
            early_stopping="inner",
            early_stopping_rounds=10,
            random_state=0,
            n_jobs=n_jobs,
        )
        for n_jobs in (1, 2)
    ]
    forests = [
        cross_val_oof(model, X, y, cv=4, n_jobs=n_jobs).oof_ for n_jobs in (1, 2)
    ]

    np.testing.assert_array_equal(runs[0].oof_, runs[1].oof_)
    np.testing.assert_array_equal(runs[0].test_, runs[1].test_)
    np.testing.assert_array_equal(runs[0].best_iterations_, runs[1].best_iterations_)
    np.testing.assert_array_equal(forests[0], forests[1])


def test_cross_val_oof_xgboost_inner_split_drops_rare_class():
    # With two rows of class 2 the inner validation slice can take the only
    # one a training fold has; the fold model then has two classes, and
    # its columns must still land on the right global classes.
    X, y = make_classification(n_samples=120, n_features=5, random_state=4)
    y[[5, 70]] = 2
    model = XGBClassifier(n_estimators=50, n_jobs=1)

    result = cross_val_oof(
        model,
        X,
        y,
        cv=KFold(4, shuffle=True, random_state=0),
        early_stopping="inner",
        early_stopping_rounds=5,
        validation_fraction=0.3,
        random_state=0,
    )

    np.testing.assert_allclose(result.oof_.sum(axis=1), 1.0, rtol=1e-6)
    for fitted, (_, test) in zip(result.estimators_, result.folds_, strict=True):
        used = np.flatnonzero(result.oof_[test].max(axis=0) > 0)
        assert len(used) == fitted.n_classes_
        if fitted.n_classes_ == 2:
            assert used.tolist() == [0, 1]


def test_cross_val_oof_predicted_labels_keep_target_name(binary):
    X, y = binary
    X_frame = pd.DataFrame(X, index=np.arange(len(y)) + 10)
    y_series = pd.Series(
        np.where(y == 1, "yes", "no"), index=X_frame.index, name="churn"
    )

    result = cross_val_oof(
        LogisticRegression(), X_frame, y_series, cv=3, method="predict"
    )

    assert result.oof_.name == "churn"
    assert set(result.oof_) == {"yes", "no"}
    expected = cross_val_predict(LogisticRegression(), X, y_series.to_numpy(), cv=3)
    np.testing.assert_array_equal(result.oof_.to_numpy(), expected)


def test_cross_val_oof_uncopyable_callback_raises(binary):
    import threading

    X, y = binary

    class LockedCallback:
        def __init__(self):
            self.lock = threading.Lock()

        def __call__(self, env):
            pass

    with pytest.raises(TypeError, match="cannot be deep-copied"):
        cross_val_oof(_lgbm(), X, y, cv=3, params={"callbacks": [LockedCallback()]})


# Targets, groups and test rows that cannot be used ------------------------------


@pytest.mark.parametrize(
    ("estimator", "y", "message"),
    [
        (
            LogisticRegression(),
            np.r_[0.0, np.nan, np.tile([0.0, 1.0], 99)],
            "1 missing",
        ),
        (
            LogisticRegression(),
            np.array([None, *["a", "b"] * 99, "a"], dtype=object),
            "first at position 0",
        ),
        (Ridge(), np.r_[np.nan, np.nan, np.arange(198.0)], "2 missing"),
        (Ridge(), np.r_[np.arange(199.0), np.inf], "1 infinite values"),
        (Ridge(), pd.Series(np.r_[-np.inf, np.arange(199.0)]), "1 infinite values"),
    ],
)
def test_cross_val_oof_unusable_target_values_raise(binary, estimator, y, message):
    # NaN and None used to become a class of their own for classifiers.
    X, _ = binary
    with pytest.raises(ValueError, match=message):
        cross_val_oof(estimator, X, y, cv=3)


def test_cross_val_oof_mixed_label_types_raise(binary):
    X, y = binary
    mixed = np.array(["yes" if label else 0 for label in y], dtype=object)
    with pytest.raises(ValueError, match=r"mixes label types \['int', 'str'\]"):
        cross_val_oof(LogisticRegression(), X, mixed, cv=3)


@pytest.mark.parametrize("dtype", ["Int64", "boolean", "category", "string"])
def test_cross_val_oof_predicted_labels_keep_pandas_dtype(binary, dtype):
    X, y = binary
    X_frame = pd.DataFrame(X)
    values = {"Int64": y + 10, "boolean": y == 1, "category": np.array(["n", "p"])[y]}
    values["string"] = values["category"]
    y_series = pd.Series(values[dtype], dtype=dtype, name="target")

    result = cross_val_oof(
        LogisticRegression(),
        X_frame,
        y_series,
        cv=3,
        X_test=X_frame[:7],
        method="predict",
    )

    assert result.oof_.dtype == y_series.dtype
    assert result.test_.dtype == y_series.dtype
    expected = cross_val_predict(
        LogisticRegression(), X, np.asarray(values[dtype]), cv=3
    )
    np.testing.assert_array_equal(result.oof_.to_numpy(dtype=object), expected)


def test_cross_val_oof_unusable_X_test_raises(binary):
    X, y = binary
    with pytest.raises(ValueError, match="X_test has no rows"):
        cross_val_oof(LogisticRegression(), X, y, X_test=X[:0])
    with pytest.raises(ValueError, match="X_test has 5 columns but X has 6"):
        cross_val_oof(LogisticRegression(), X, y, X_test=X[:10, :5])


def test_cross_val_oof_groups_checked(binary):
    X, y = binary
    with pytest.raises(ValueError, match="X has 200 rows but groups has 100"):
        cross_val_oof(
            LogisticRegression(), X, y, groups=np.arange(100), cv=GroupKFold(3)
        )
    groups = pd.Series(np.arange(200) // 10, dtype="Int64")
    groups[[3, 4]] = pd.NA
    with pytest.raises(ValueError, match="groups contains 2 missing values"):
        cross_val_oof(LogisticRegression(), X, y, groups=groups, cv=GroupKFold(3))


@pytest.mark.parametrize(
    ("cv", "never", "repeated"),
    [
        # TimeSeriesSplit(3) on 200 rows tests the last 3 blocks of 50 rows.
        (TimeSeriesSplit(3), 50, 0),
        (RepeatedStratifiedKFold(n_splits=2, n_repeats=2, random_state=0), 0, 200),
    ],
)
def test_cross_val_oof_non_partition_message_counts(binary, cv, never, repeated):
    X, y = binary
    message = f"{never} rows are in no test fold and {repeated} in more than one"
    with pytest.raises(ValueError, match=message):
        cross_val_oof(LogisticRegression(), X, y, cv=cv)


# Early stopping: evaluation sets and rounds set on the model ---------------------


@pytest.mark.parametrize(
    ("model", "params"),
    [
        (XGBClassifier(n_estimators=20), {"eval_set": "ES"}),
        (_lgbm(), {"eval_X": "ES", "eval_y": "ES"}),
        (make_pipeline(StandardScaler(), _lgbm()), {"lgbmclassifier__eval_set": "ES"}),
        (HistGradientBoostingClassifier(), {"X_val": "ES"}),
    ],
)
def test_early_stopping_rejects_user_eval_set(binary, model, params):
    # The fold's own evaluation set used to be silently replaced (eval_X) or
    # to collide with the user's ("multiple values for keyword 'eval_set'").
    X, y = binary
    params = {key: [(X, y)] for key in params}
    with pytest.raises(ValueError, match="builds each fold's evaluation set"):
        cross_val_oof(model, X, y, cv=3, early_stopping=True, params=params)


@pytest.mark.parametrize(
    ("model", "params", "source"),
    [
        (XGBClassifier(early_stopping_rounds=5), {}, "XGBClassifier sets 5"),
        (_lgbm(early_stopping_round=7), {}, "LGBMClassifier sets 7"),
        (_lgbm(n_iter_no_change=4), {}, "LGBMClassifier sets 4"),
        (
            _lgbm(),
            {"callbacks": [lgb.early_stopping(5)]},
            "params contains a LightGBM early_stopping callback",
        ),
    ],
)
def test_model_rounds_need_eval_set(binary, model, params, source):
    X, y = binary
    with pytest.raises(ValueError, match=f"{source}.*early_stopping=True"):
        cross_val_oof(model, X, y, cv=3, params=params)


def test_cross_val_oof_rounds_default_to_model_setting(binary):
    # cross_val_oof used to replace XGBoost's early_stopping_rounds with its
    # own default of 50 rounds.
    X, y = binary
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    xgb_model = XGBClassifier(
        n_estimators=300, learning_rate=0.1, early_stopping_rounds=4, n_jobs=1
    )
    lgb_model = _lgbm(early_stopping_round=4)

    xgb_result = cross_val_oof(xgb_model, X, y, cv=cv, early_stopping=True)
    lgb_result = cross_val_oof(lgb_model, X, y, cv=cv, early_stopping=True)

    xgb_best, xgb_best_50, lgb_best = [], [], []
    for train, test in cv.split(X, y):
        for rounds, best in ((4, xgb_best), (50, xgb_best_50)):
            fitted = clone(xgb_model).set_params(early_stopping_rounds=rounds)
            fitted.fit(X[train], y[train], eval_set=[(X[test], y[test])], verbose=False)
            best.append(fitted.best_iteration + 1)
        fitted = _lgbm().fit(
            X[train],
            y[train],
            **_eval(X[test], y[test]),
            callbacks=[lgb.early_stopping(4, verbose=False)],
        )
        lgb_best.append(fitted.best_iteration_)
    assert xgb_best != xgb_best_50  # 4 and 50 rounds stop at different rounds
    np.testing.assert_array_equal(xgb_result.best_iterations_, xgb_best)
    np.testing.assert_array_equal(lgb_result.best_iterations_, lgb_best)


def test_cross_val_oof_explicit_rounds_replace_model_setting(binary):
    # LightGBM adds its own callback for early_stopping_round, and the
    # smaller count used to win over early_stopping_rounds.
    X, y = binary
    cv = StratifiedKFold(3, shuffle=True, random_state=0)

    result = cross_val_oof(
        _lgbm(early_stopping_round=1),
        X,
        y,
        cv=cv,
        early_stopping=True,
        early_stopping_rounds=30,
    )

    expected = [
        _lgbm()
        .fit(
            X[train],
            y[train],
            **_eval(X[test], y[test]),
            callbacks=[lgb.early_stopping(30, verbose=False)],
        )
        .best_iteration_
        for train, test in cv.split(X, y)
    ]
    np.testing.assert_array_equal(result.best_iterations_, expected)


def test_cross_val_oof_lightgbm_dart_reports_all_rounds(binary):
    # LightGBM disables early stopping for dart and leaves best_iteration_ at
    # 0, while the model predicts with every tree.
    X, y = binary
    model = LGBMClassifier(boosting_type="dart", n_estimators=15, n_jobs=1, verbose=-1)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)

    result = cross_val_oof(model, X, y, cv=cv, early_stopping=True)

    np.testing.assert_array_equal(result.best_iterations_, [15, 15, 15])
    for fitted, (_, test) in zip(result.estimators_, result.folds_, strict=True):
        all_trees = fitted.predict_proba(X[test], num_iteration=15)[:, 1]
        np.testing.assert_allclose(result.oof_[test], all_trees)


def test_cross_val_oof_xgboost_predicts_with_best_iteration(binary):
    X, y = binary
    y = np.where(np.random.default_rng(0).random(len(y)) < 0.25, 1 - y, y)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    model = XGBClassifier(n_estimators=300, learning_rate=0.5, max_depth=6, n_jobs=1)

    result = cross_val_oof(
        model, X, y, cv=cv, early_stopping=True, early_stopping_rounds=5
    )

    for fitted, best, (_, test) in zip(
        result.estimators_, result.best_iterations_, result.folds_, strict=True
    ):
        n_rounds = fitted.get_booster().num_boosted_rounds()
        assert best < n_rounds  # training ran past the best round
        at_best = fitted.predict_proba(X[test], iteration_range=(0, best))[:, 1]
        at_last = fitted.predict_proba(X[test], iteration_range=(0, n_rounds))[:, 1]
        np.testing.assert_allclose(result.oof_[test], at_best, rtol=1e-6)
        assert not np.allclose(result.oof_[test], at_last)


def test_cross_val_oof_category_column_kind_checked():
    # LightGBM used to fail after every fold was fitted, with "train and
    # valid dataset categorical_feature do not match".
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"a": rng.normal(size=150), "c": pd.Categorical(rng.choice(list("uvw"), 150))}
    )
    y = ((X["a"] > 0) ^ (X["c"] == "u")).astype(int)
    model = LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1)
    X_test = X[:20].astype({"c": object})

    with pytest.raises(ValueError, match=r"'c' \(category in X, object in X_test\)"):
        cross_val_oof(model, X, y, cv=3, X_test=X_test)

    converted = cross_val_oof(
        model, X, y, cv=3, X_test=X_test.astype(X.dtypes.to_dict())
    )
    expected = cross_val_oof(model, X, y, cv=3, X_test=X[:20])
    np.testing.assert_allclose(converted.test_, expected.test_)


@pytest.mark.parametrize(
    ("model", "key", "message"),
    [
        (_lgbm(), "early_stopping_rounds", "early_stopping_rounds=10 to cross_val_oof"),
        (
            XGBClassifier(),
            "early_stopping_rounds",
            "early_stopping_rounds=10 to cross_val_oof",
        ),
        (
            make_pipeline(StandardScaler(), XGBClassifier()),
            "xgbclassifier__early_stopping_rounds",
            "early_stopping_rounds=10 to cross_val_oof",
        ),
        (XGBClassifier(), "eval_metric", r"XGBClassifier\(eval_metric=10\)"),
    ],
)
def test_cross_val_oof_moved_fit_params_named(binary, model, key, message):
    # The libraries' own error was "fit() got an unexpected keyword
    # argument", raised in every fold, without the replacement.
    X, y = binary
    with pytest.raises(TypeError, match=message):
        cross_val_oof(model, X, y, cv=3, params={key: 10})


# Multi-output targets ------------------------------------------------------------


def _multilabel():
    return make_multilabel_classification(n_samples=120, n_classes=4, random_state=0)


@pytest.mark.parametrize(
    "estimator",
    [
        RandomForestClassifier(n_estimators=10, random_state=0),
        MultiOutputClassifier(LogisticRegression()),
        OneVsRestClassifier(LogisticRegression()),
    ],
)
def test_cross_val_oof_multilabel_matches_cross_val_predict(estimator):
    # cross_val_oof used to reject every 2-D target, so MultilabelStratifiedKFold
    # could not be used with it.
    X, Y = _multilabel()
    cv = MultilabelStratifiedKFold(3, shuffle=True, random_state=0)

    result = cross_val_oof(estimator, X, Y, cv=cv)

    expected = cross_val_predict(
        estimator, X, Y, cv=list(cv.split(X, Y)), method="predict_proba"
    )
    if isinstance(expected, list):
        expected = np.column_stack([scores[:, 1] for scores in expected])
    assert result.oof_.shape == (120, 4)
    np.testing.assert_allclose(result.oof_, expected)
    assert [labels.tolist() for labels in result.classes_] == [[0, 1]] * 4


def test_cross_val_oof_multilabel_label_missing_in_fold():
    X, Y = _multilabel()
    Y = Y.copy()
    Y[:, 3] = 0
    Y[:2, 3] = 1  # only the first fold of KFold(3) tests the label's rows
    model = RandomForestClassifier(n_estimators=10, random_state=0)

    result = cross_val_oof(model, X, Y, cv=KFold(3))

    expected = np.zeros(Y.shape)
    for train, test in KFold(3).split(X):
        fitted = clone(model).fit(X[train], Y[train])
        for column, scores in enumerate(fitted.predict_proba(X[test])):
            if 1 in fitted.classes_[column]:
                expected[test, column] = scores[:, 1]
    np.testing.assert_allclose(result.oof_, expected)
    assert result.oof_[:40, 3].max() == 0.0


def test_cross_val_oof_multioutput_pandas_layout():
    X, Y = _multilabel()
    X_frame = pd.DataFrame(X, index=np.arange(120) + 500)
    Y_frame = pd.DataFrame(
        {
            "flag": np.array(["no", "yes"])[Y[:, 0]],
            "level": np.array(["lo", "mid", "hi"])[np.arange(120) % 3],
        }
    )
    model = RandomForestClassifier(n_estimators=10, random_state=0)

    scores = cross_val_oof(model, X_frame, Y_frame, cv=KFold(3))
    labels = cross_val_oof(
        model,
        X_frame,
        Y_frame,
        cv=KFold(3),
        method="predict",
        X_test=X_frame[:5],
    )
    multilabel = cross_val_oof(
        model, X, Y, cv=KFold(3), method="predict", scoring="accuracy"
    )

    assert scores.oof_.columns.tolist() == [
        ("flag", "yes"),
        ("level", "hi"),
        ("level", "lo"),
        ("level", "mid"),
    ]
    assert scores.oof_.index.equals(X_frame.index)
    np.testing.assert_allclose(scores.oof_["level"].sum(axis=1), 1.0)
    expected = cross_val_predict(model, X, Y_frame.to_numpy(), cv=KFold(3))
    assert labels.oof_.columns.tolist() == ["flag", "level"]
    np.testing.assert_array_equal(labels.oof_.to_numpy(), expected)
    assert labels.test_.shape == (5, 2)
    subset_accuracy = np.mean((multilabel.oof_ == Y).all(axis=1))
    assert multilabel.scores_["overall"] == pytest.approx(subset_accuracy)


def test_cross_val_oof_multioutput_regression_matches():
    X, Y = make_regression(
        n_samples=120, n_features=5, n_targets=3, noise=1.0, random_state=0
    )
    result = cross_val_oof(Ridge(), X, Y, cv=KFold(4), scoring="r2")

    np.testing.assert_allclose(
        result.oof_, cross_val_predict(Ridge(), X, Y, cv=KFold(4))
    )
    assert result.classes_ is None


def test_cross_val_oof_multioutput_unsupported_options_raise():
    X, Y = _multilabel()
    model = RandomForestClassifier(n_estimators=5, random_state=0)
    with pytest.raises(ValueError, match="needs method='predict'"):
        cross_val_oof(model, X, Y, cv=3, scoring="roc_auc")
    with pytest.raises(ValueError, match="needs a 1-D target, but y has 4 columns"):
        cross_val_oof(
            HistGradientBoostingRegressor(), X, Y.astype(float), early_stopping=True
        )
