"""StackingClassifier and StackingRegressor against hand-written fold loops."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from sktricks.ensemble import StackingClassifier, StackingRegressor
from sktricks.exceptions import SktricksWarning


def _hand_stack(estimators, final, X, y, X_new, folds, method="predict_proba"):
    """Out-of-fold features and averaged fold predictions, written plainly."""
    oof_columns, new_columns = [], []
    for estimator in estimators:
        oof = None
        new = []
        for train, test in folds:
            model = clone(estimator).fit(X[train], y[train])
            pred = np.asarray(getattr(model, method)(X[test]))
            out = np.asarray(getattr(model, method)(X_new))
            if method == "predict_proba" and pred.shape[1] == 2:
                pred, out = pred[:, 1:], out[:, 1:]
            pred = pred.reshape(len(test), -1)
            if oof is None:
                oof = np.zeros((len(y), pred.shape[1]))
            oof[test] = pred
            new.append(out.reshape(len(X_new), -1))
        oof_columns.append(oof)
        new_columns.append(np.mean(new, axis=0))
    meta, meta_new = np.hstack(oof_columns), np.hstack(new_columns)
    final = clone(final).fit(meta, y)
    return meta, final, meta_new


# n_jobs=2 fits the folds of all base models in one pool of two processes;
# the features must not change.
@pytest.mark.parametrize("n_jobs", [None, 2])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_stacking_classifier_matches_hand_loop(n_classes, n_jobs):
    X, y = make_classification(
        n_samples=150,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        random_state=0,
    )
    X_new = X[:20] + 0.1
    bases = [
        LogisticRegression(),
        GaussianNB(),
        DecisionTreeClassifier(max_depth=3, random_state=0),
    ]
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    stack = StackingClassifier(
        [(f"m{i}", b) for i, b in enumerate(bases)], cv=cv, guard=False, n_jobs=n_jobs
    ).fit(X, y)

    meta, final, meta_new = _hand_stack(
        bases, LogisticRegression(), X, y, X_new, list(cv.split(X, y))
    )
    n_columns = 1 if n_classes == 2 else n_classes
    assert stack.oof_predictions_.shape == (150, 3 * n_columns)
    np.testing.assert_allclose(stack.oof_predictions_, meta)
    np.testing.assert_allclose(
        stack.predict_proba(X_new), final.predict_proba(meta_new), rtol=1e-10
    )
    np.testing.assert_array_equal(stack.predict(X_new), final.predict(meta_new))


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_stacking_regressor_matches_hand_loop(n_jobs):
    X, y = make_regression(n_samples=120, n_features=5, noise=5.0, random_state=0)
    X_new = X[:15] * 0.9
    bases = [Ridge(), DecisionTreeRegressor(max_depth=3, random_state=0)]
    cv = KFold(3, shuffle=True, random_state=1)
    stack = StackingRegressor(
        [("ridge", bases[0]), ("tree", bases[1])],
        final_estimator=LinearRegression(),
        cv=cv,
        guard=False,
        n_jobs=n_jobs,
    ).fit(X, y)

    meta, final, meta_new = _hand_stack(
        bases, LinearRegression(), X, y, X_new, list(cv.split(X)), method="predict"
    )
    np.testing.assert_allclose(stack.oof_predictions_, meta)
    np.testing.assert_allclose(stack.predict(X_new), final.predict(meta_new))


def test_stacking_refit_true_matches_full_fits():
    X, y = make_classification(n_samples=120, random_state=2)
    bases = [LogisticRegression(), GaussianNB()]
    cv = StratifiedKFold(3)
    stack = StackingClassifier(
        [("lr", bases[0]), ("nb", bases[1])], cv=cv, refit=True, guard=False
    ).fit(X, y)
    _meta, final, _ = _hand_stack(
        bases, LogisticRegression(), X, y, X, list(cv.split(X, y))
    )
    full = np.column_stack([clone(b).fit(X, y).predict_proba(X)[:, 1] for b in bases])
    np.testing.assert_allclose(stack.predict_proba(X), final.predict_proba(full))


def test_stacking_two_layers_with_passthrough_match_hand_loop():
    X, y = make_classification(n_samples=160, n_features=5, random_state=3)
    cv = StratifiedKFold(4)
    folds = list(cv.split(X, y))
    layer1 = [LogisticRegression(), GaussianNB()]
    layer2 = [LogisticRegression(C=0.5)]
    stack = StackingClassifier(
        [[("lr", layer1[0]), ("nb", layer1[1])], [("lr2", layer2[0])]],
        cv=cv,
        passthrough=True,
        guard=False,
    ).fit(X, y)

    meta1, _, new1 = _hand_stack(layer1, LogisticRegression(), X, y, X[:10], folds)
    input2, new_input2 = np.hstack([meta1, X]), np.hstack([new1, X[:10]])
    meta2, final, new2 = _hand_stack(
        layer2, LogisticRegression(), input2, y, new_input2, folds
    )
    final = LogisticRegression().fit(np.hstack([meta2, X]), y)
    np.testing.assert_allclose(stack.oof_predictions_, meta2)
    np.testing.assert_allclose(
        stack.predict_proba(X[:10]), final.predict_proba(np.hstack([new2, X[:10]]))
    )


# Mixed outputs ----------------------------------------------------------------


class _SeriesRegressor(RegressorMixin, BaseEstimator):
    """Returns its predictions as a pandas Series with a shifted index."""

    def fit(self, X, y):
        self.model_ = LinearRegression().fit(np.asarray(X), y)
        return self

    def predict(self, X):
        values = self.model_.predict(np.asarray(X))
        return pd.Series(values, index=np.arange(len(values)) + 1000)


def test_stacking_base_returning_series_matches_numpy_base():
    X, y = make_regression(n_samples=90, n_features=4, noise=1.0, random_state=4)
    cv = KFold(3)
    series = StackingRegressor([("s", _SeriesRegressor())], cv=cv, guard=False)
    plain = StackingRegressor([("s", LinearRegression())], cv=cv, guard=False)
    np.testing.assert_allclose(series.fit(X, y).predict(X), plain.fit(X, y).predict(X))


def test_stacking_dataframe_with_unusual_index_is_positional():
    X, y = make_classification(n_samples=120, n_features=4, random_state=5)
    index = np.random.default_rng(0).permutation(np.arange(5000, 5120))
    X_frame = pd.DataFrame(X, columns=list("abcd"), index=index)
    y_series = pd.Series(y, index=index[::-1])  # misaligned labels on purpose
    cv = StratifiedKFold(3)
    estimators = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    framed = StackingClassifier(estimators, cv=cv, passthrough=True, guard=False)
    plain = StackingClassifier(estimators, cv=cv, passthrough=True, guard=False)
    framed.fit(X_frame, y_series)
    plain.fit(X, y)
    np.testing.assert_allclose(framed.predict_proba(X_frame), plain.predict_proba(X))
    assert list(framed.oof_predictions_.columns) == ["lr", "nb"]


def test_stacking_passthrough_keeps_category_columns_for_final_estimator():
    X, y = make_classification(
        n_samples=120, n_features=3, n_informative=2, n_redundant=0, random_state=6
    )
    X_frame = pd.DataFrame(X, columns=["a", "b", "c"], index=np.arange(120) * 7)
    X_frame["colour"] = pd.Categorical(np.where(y == 1, "red", "blue"))
    seen = {}

    class _Recorder(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            seen["dtypes"] = X.dtypes.copy()
            seen["index"] = X.index.copy()
            self.classes_ = np.unique(y)
            return self

        def predict_proba(self, X):
            return np.full((len(X), 2), 0.5)

        def predict(self, X):
            return np.full(len(X), self.classes_[0])

    numeric = make_pipeline(
        make_column_transformer(("drop", ["colour"]), remainder="passthrough"),
        LogisticRegression(),
    )
    StackingClassifier(
        [("lr", numeric)],
        final_estimator=_Recorder(),
        cv=3,
        passthrough=True,
        guard=False,
    ).fit(X_frame, y)
    assert isinstance(seen["dtypes"]["colour"], pd.CategoricalDtype)
    np.testing.assert_array_equal(seen["index"], X_frame.index)


def test_stacking_linear_svc_uses_decision_function():
    X, y = make_classification(n_samples=120, random_state=7)
    cv = StratifiedKFold(3)
    stack = StackingClassifier(
        [("svc", LinearSVC()), ("lr", LogisticRegression())], cv=cv, guard=False
    ).fit(X, y)
    expected = np.zeros(120)
    for train, test in cv.split(X, y):
        expected[test] = LinearSVC().fit(X[train], y[train]).decision_function(X[test])
    np.testing.assert_allclose(stack.oof_predictions_[:, 0], expected)
    assert [base.method for base in stack.layers_[0]] == [
        "decision_function",
        "predict_proba",
    ]


def test_stacking_forced_method_missing_raises_naming_model():
    X, y = make_classification(n_samples=60, random_state=0)
    stack = StackingClassifier(
        [("lr", LogisticRegression()), ("svc", LinearSVC())],
        stack_method="predict_proba",
    )
    with pytest.raises(ValueError, match=r"Base model 'svc'.*predict_proba"):
        stack.fit(X, y)


def test_stacking_time_series_split_trains_final_on_covered_rows():
    X, y = make_regression(n_samples=100, n_features=3, noise=2.0, random_state=8)
    cv = TimeSeriesSplit(4)
    folds = list(cv.split(X))
    stack = StackingRegressor(
        [("ridge", Ridge()), ("lin", LinearRegression())],
        final_estimator=LinearRegression(),
        cv=cv,
        guard=False,
    ).fit(X, y)

    covered = np.concatenate([test for _, test in folds])
    meta = np.zeros((100, 2))
    fold_models = [[], []]
    for j, base in enumerate([Ridge(), LinearRegression()]):
        for train, test in folds:
            model = clone(base).fit(X[train], y[train])
            meta[test, j] = model.predict(X[test])
            fold_models[j].append(model)
    final = LinearRegression().fit(meta[covered], y[covered])
    new = np.column_stack(
        [np.mean([m.predict(X[:5]) for m in models], axis=0) for models in fold_models]
    )
    assert stack.oof_predictions_.shape == (covered.shape[0], 2)
    np.testing.assert_allclose(stack.oof_predictions_, meta[covered])
    np.testing.assert_allclose(stack.predict(X[:5]), final.predict(new))


def test_stacking_sample_weight_reaches_pipeline_base_and_final():
    X, y = make_classification(n_samples=120, random_state=9)
    weights = np.random.default_rng(0).uniform(0.1, 3.0, size=120)
    cv = StratifiedKFold(3)
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    stack = StackingClassifier([("pipe", pipe)], cv=cv, guard=False)
    stack.fit(X, y, sample_weight=weights)
    meta = np.zeros((120, 1))
    for train, test in cv.split(X, y):
        model = clone(pipe).fit(
            X[train], y[train], logisticregression__sample_weight=weights[train]
        )
        meta[test, 0] = model.predict_proba(X[test])[:, 1]
    final = LogisticRegression().fit(meta, y, sample_weight=weights)
    np.testing.assert_allclose(stack.oof_predictions_, meta)
    np.testing.assert_allclose(stack.final_estimator_.coef_, final.coef_)


# The guard ------------------------------------------------------------------------


def test_stacking_guard_falls_back_when_stacking_overfits():
    # One informative model among many noise models and few rows: the final
    # estimator fits the noise columns and scores below the good model.
    rng = np.random.default_rng(0)
    X, y = make_classification(
        n_samples=60, n_features=4, n_informative=2, n_redundant=0, random_state=10
    )
    noise = [
        (
            f"noise{i}",
            make_pipeline(
                make_column_transformer(("passthrough", [4 + i])),
                DecisionTreeClassifier(random_state=i),
            ),
        )
        for i in range(25)
    ]
    lr = make_pipeline(
        make_column_transformer(("passthrough", [0, 1, 2, 3])), LogisticRegression()
    )
    stack = StackingClassifier(
        [("lr", lr), *noise],
        final_estimator=LogisticRegression(C=100.0, max_iter=5000),
        cv=3,
    )
    X_noisy = np.hstack([X, rng.normal(size=(60, 25))])
    with pytest.warns(SktricksWarning, match="predicting with 'lr' alone"):
        stack.fit(X_noisy, y)
    assert stack.selected_ == "lr"
    assert stack.stack_score_ <= stack.base_scores_["lr"]

    # The fallback predicts with the mean of lr's fold models.
    folds = list(StratifiedKFold(3).split(X_noisy, y))
    expected = np.mean(
        [
            clone(lr).fit(X_noisy[tr], y[tr]).predict_proba(X_noisy[:7])
            for tr, _ in folds
        ],
        axis=0,
    )
    np.testing.assert_allclose(stack.predict_proba(X_noisy[:7]), expected)


def test_stacking_guard_keeps_stack_when_it_helps():
    # Two models that each see half of the signal: their stack beats both.
    from sklearn.metrics import roc_auc_score

    X, y = make_classification(
        n_samples=400, n_features=6, n_informative=6, n_redundant=0, random_state=11
    )
    left = make_pipeline(
        make_column_transformer(("passthrough", [0, 1, 2])), LogisticRegression()
    )
    right = make_pipeline(
        make_column_transformer(("passthrough", [3, 4, 5])), LogisticRegression()
    )
    cv = StratifiedKFold(5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SktricksWarning)
        stack = StackingClassifier([("left", left), ("right", right)], cv=cv).fit(X, y)
    assert stack.selected_ == "stack"

    # Independent check of the base scores: a plain fold loop.
    for name, model in [("left", left), ("right", right)]:
        oof = np.zeros(400)
        for train, test in cv.split(X, y):
            oof[test] = (
                clone(model).fit(X[train], y[train]).predict_proba(X[test])[:, 1]
            )
        assert stack.base_scores_[name] == pytest.approx(roc_auc_score(y, oof))
    assert stack.stack_score_ > max(stack.base_scores_.values())


def test_stacking_rejects_duplicate_names():
    X, y = make_classification(n_samples=40, random_state=0)
    with pytest.raises(ValueError, match="unique"):
        StackingClassifier([("a", GaussianNB()), ("a", LogisticRegression())]).fit(X, y)


def test_stacking_reordered_columns_at_predict_raise():
    X, y = make_classification(
        n_samples=60, n_features=3, n_informative=2, n_redundant=0, random_state=0
    )
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    stack = StackingClassifier([("lr", LogisticRegression())], cv=3, guard=False)
    stack.fit(frame, y)
    with pytest.raises(ValueError, match="feature names"):
        stack.predict(frame[["c", "b", "a"]])


def test_stacking_random_forest_with_string_labels():
    X, y = make_classification(
        n_samples=90, n_classes=3, n_informative=3, random_state=12
    )
    labels = np.array(["ant", "bee", "cat"])[y]
    stack = StackingClassifier(
        [
            ("rf", RandomForestClassifier(n_estimators=10, random_state=0)),
            ("svc", LinearSVC()),
        ],
        cv=3,
        guard=False,
    ).fit(X, labels)
    assert set(stack.predict(X)) <= set(labels)
    assert stack.oof_predictions_.shape == (90, 6)


def test_stacking_accepts_category_next_to_nullable_int():
    # Converting such a frame to one array fails; the ensemble must hand the
    # DataFrame to its base models unchanged.
    from sklearn.ensemble import HistGradientBoostingClassifier

    from sktricks.ensemble import StackingClassifier

    X = pd.DataFrame(
        {
            "a": np.arange(40.0),
            "c": pd.Categorical(list("xy") * 20),
            "d": pd.array(np.arange(40) % 3, dtype="Int64"),
        }
    )
    y = np.arange(40) % 2
    base = HistGradientBoostingClassifier(categorical_features="from_dtype")
    stack = StackingClassifier([("hgb", base)], cv=3, guard=False).fit(X, y)

    assert stack.predict_proba(X).shape == (40, 2)


def test_stacking_rejects_empty_dataframe():
    from sktricks.ensemble import StackingClassifier

    X = pd.DataFrame({"a": np.arange(10.0)})
    with pytest.raises(ValueError, match="needs at least one row and one column"):
        StackingClassifier([("lr", LogisticRegression())]).fit(
            X.iloc[:, :0], np.arange(10) % 2
        )


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_stacking_early_stopped_base_matches_cross_val_oof(n_jobs):
    from lightgbm import LGBMClassifier

    from sktricks.model_selection import cross_val_oof

    X, y = make_classification(n_samples=300, n_features=8, random_state=3)
    booster = LGBMClassifier(n_estimators=400, learning_rate=0.2, verbose=-1)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    stack = StackingClassifier(
        [("lgbm", booster), ("logistic", LogisticRegression())],
        cv=cv,
        early_stopping="inner",
        guard=False,
        n_jobs=n_jobs,
    ).fit(X, y)

    # The stack seeds every base model's inner validation split with 0.
    alone = cross_val_oof(booster, X, y, cv=cv, early_stopping="inner", random_state=0)
    np.testing.assert_allclose(stack.oof_predictions_[:, 0], alone.oof_)
    stopped = [model.best_iteration_ for model in stack.layers_[0][0].models]
    assert stopped == list(alone.best_iterations_)
    assert min(stopped) < 400


# Row labels of the out-of-fold features -----------------------------------------


@pytest.mark.parametrize("task", ["classifier", "regressor"])
def test_stacking_oof_index_time_series_split(task):
    # TimeSeriesSplit(3) on 300 rows predicts rows 75..299 out of fold.
    if task == "classifier":
        X, y = make_classification(n_samples=300, n_features=4, random_state=13)
        bases = [LogisticRegression(), GaussianNB()]
        stack_cls, method = StackingClassifier, "predict_proba"
    else:
        X, y = make_regression(n_samples=300, n_features=4, noise=3.0, random_state=13)
        bases = [Ridge(), LinearRegression()]
        stack_cls, method = StackingRegressor, "predict"
    index = pd.date_range("2024-01-01", periods=300, freq="h", name="time")
    X_frame = pd.DataFrame(X, columns=list("abcd"), index=index)
    cv = TimeSeriesSplit(3)
    stack = stack_cls(
        [("first", bases[0]), ("second", bases[1])], cv=cv, guard=False
    ).fit(X_frame, y)

    expected = np.full((300, 2), np.nan)
    for j, base in enumerate(bases):
        for train, test in cv.split(X):
            output = getattr(clone(base).fit(X[train], y[train]), method)(X[test])
            expected[test, j] = output[:, 1] if output.ndim == 2 else output
    oof = stack.oof_predictions_
    assert isinstance(oof, pd.DataFrame)
    pd.testing.assert_index_equal(oof.index, index[75:])
    assert list(oof.columns) == ["first", "second"]
    np.testing.assert_allclose(oof.to_numpy(), expected[75:])


def test_stacking_oof_index_matches_cross_val_oof():
    from sktricks.model_selection import cross_val_oof

    X, y = make_classification(n_samples=120, n_features=4, random_state=14)
    index = np.random.default_rng(1).permutation(np.arange(9000, 9120))
    X_frame = pd.DataFrame(X, columns=list("abcd"), index=index)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    stack = StackingClassifier(
        [("lr", LogisticRegression()), ("nb", GaussianNB())], cv=cv, guard=False
    ).fit(X_frame, y)

    alone = cross_val_oof(LogisticRegression(), X_frame, y, cv=cv)
    pd.testing.assert_index_equal(stack.oof_predictions_.index, alone.oof_.index)
    np.testing.assert_allclose(stack.oof_predictions_["lr"], alone.oof_)


def test_stacking_two_layers_oof_index_keeps_covered_rows():
    # Each layer of a TimeSeriesSplit stack drops the first block of the
    # rows the layer below covered.
    X, y = make_regression(n_samples=200, n_features=3, noise=2.0, random_state=15)
    X_frame = pd.DataFrame(X, columns=list("abc"), index=np.arange(200) * 10 + 7)
    cv = TimeSeriesSplit(4)
    stack = StackingRegressor(
        [[("ridge", Ridge()), ("lin", LinearRegression())], [("top", Ridge())]],
        cv=cv,
        guard=False,
    ).fit(X_frame, y)

    first = np.concatenate([test for _, test in cv.split(X)])
    second = first[np.concatenate([test for _, test in cv.split(X[first])])]
    pd.testing.assert_index_equal(stack.oof_predictions_.index, X_frame.index[second])


@pytest.mark.parametrize(
    "stack_cls, base",
    [(StackingClassifier, LogisticRegression()), (StackingRegressor, Ridge())],
)
def test_stacking_n_jobs_zero_raises(stack_cls, base):
    X, y = make_classification(n_samples=60, random_state=0)
    stack = stack_cls([("base", base)], cv=3, n_jobs=0)
    message = (
        rf"'n_jobs' parameter of {stack_cls.__name__} must be an int in the "
        r"range \(-inf, -1\], an int in the range \[1, inf\) or None. Got 0"
    )
    with pytest.raises(ValueError, match=message):
        stack.fit(X, y)


# A regressor among the base models of a classifier ------------------------------


def test_stacking_regressor_base_matches_sklearn():
    from sklearn.ensemble import StackingClassifier as SklearnStackingClassifier

    X, y = make_classification(
        n_samples=150, n_classes=3, n_informative=4, random_state=3
    )
    labels = np.array(["ant", "bee", "cat"])[y]
    bases = [("ridge", Ridge()), ("lr", LogisticRegression())]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)

    ours = StackingClassifier(bases, cv=cv, refit=True, guard=False).fit(X, labels)
    theirs = SklearnStackingClassifier(bases, cv=cv).fit(X, labels)

    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_stacking_regressor_base_oof_codes():
    X, y = make_classification(n_samples=120, random_state=4)
    labels = np.array(["no", "yes"])[y]
    cv = StratifiedKFold(3)
    stack = StackingClassifier(
        [("ridge", Ridge()), ("nb", GaussianNB())], cv=cv, guard=False
    ).fit(X, labels)

    expected = np.zeros(120)
    for train, test in cv.split(X, y):
        expected[test] = Ridge().fit(X[train], y[train]).predict(X[test])

    np.testing.assert_allclose(stack.oof_predictions_[:, 0], expected)


def test_stacking_regressor_base_rejects_forced_proba():
    X, y = make_classification(n_samples=60, random_state=0)
    stack = StackingClassifier(
        [("ridge", Ridge())], stack_method="predict_proba", guard=False
    )

    with pytest.raises(ValueError, match=r"'ridge' \(Ridge\) is a regressor"):
        stack.fit(X, y)


@pytest.mark.parametrize("early_stopping", [True, "inner"])
def test_stacking_class_weight_keeps_string_labels(early_stopping):
    # An early-stopped LightGBM model is fitted on label codes. Its
    # class_weight keyed by text labels must weigh the same classes as the
    # same dict keyed by integer labels.
    from lightgbm import LGBMClassifier

    X, y = make_classification(
        n_samples=300, n_features=8, weights=[0.8], random_state=3
    )
    labels = np.array(["neg", "pos"])[y]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)

    def stack(class_weight):
        booster = LGBMClassifier(n_estimators=60, class_weight=class_weight, verbose=-1)
        return StackingClassifier(
            [("lgbm", booster)], cv=cv, early_stopping=early_stopping, guard=False
        )

    text = stack({"neg": 1, "pos": 5}).fit(X, labels)
    codes = stack({0: 1, 1: 5}).fit(X, y)
    unweighted = stack(None).fit(X, y)

    np.testing.assert_allclose(text.oof_predictions_, codes.oof_predictions_)
    assert not np.allclose(text.oof_predictions_, unweighted.oof_predictions_)
    np.testing.assert_allclose(text.predict_proba(X), codes.predict_proba(X))


# transform, get_feature_names_out and decision_function -------------------------


@pytest.mark.parametrize("passthrough", [False, True])
def test_stacking_transform_matches_hand_loop(passthrough):
    X, y = make_classification(
        n_samples=150,
        n_features=5,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        random_state=6,
    )
    X_new = X[:9] + 0.5
    bases = [LogisticRegression(), GaussianNB()]
    cv = StratifiedKFold(3)
    stack = StackingClassifier(
        [("lr", bases[0]), ("nb", bases[1])],
        cv=cv,
        passthrough=passthrough,
        guard=False,
    ).fit(X, y)

    _meta, _final, meta_new = _hand_stack(
        bases, LogisticRegression(), X, y, X_new, list(cv.split(X, y))
    )
    expected = np.hstack([meta_new, X_new]) if passthrough else meta_new

    np.testing.assert_allclose(stack.transform(X_new), expected)
    np.testing.assert_allclose(
        stack.predict_proba(X_new),
        stack.final_estimator_.predict_proba(stack.transform(X_new)),
    )


def test_stacking_feature_names_out_label_columns():
    X, y = make_classification(
        n_samples=150, n_features=3, n_informative=3, n_redundant=0, n_classes=3
    )
    frame = pd.DataFrame(X, columns=["age", "height", "weight"])
    labels = np.array(["ant", "bee", "cat"])[y]
    stack = StackingClassifier(
        [("ridge", Ridge()), ("nb", GaussianNB())],
        cv=3,
        passthrough=True,
        guard=False,
    ).fit(frame, labels)

    names = stack.get_feature_names_out()

    expected = ["ridge", "nb_ant", "nb_bee", "nb_cat", "age", "height", "weight"]
    assert list(names) == expected
    assert list(stack.transform(frame).columns) == expected
    assert list(stack.oof_predictions_.columns) == expected[:4]


def test_stacking_feature_names_out_regressor_numpy():
    X, y = make_regression(n_samples=60, n_features=3, random_state=0)
    stack = StackingRegressor(
        [("ridge", Ridge()), ("lr", LinearRegression())], cv=3, passthrough=True
    ).fit(X, y)

    assert list(stack.get_feature_names_out()) == ["ridge", "lr", "x0", "x1", "x2"]
    assert list(stack.get_feature_names_out(["a", "b", "c"]))[2:] == ["a", "b", "c"]


def test_stacking_feature_names_out_unfitted_raises():
    from sklearn.exceptions import NotFittedError

    stack = StackingRegressor([("ridge", Ridge())])

    with pytest.raises(NotFittedError):
        stack.get_feature_names_out()


def test_stacking_set_output_pandas_keeps_index():
    X, y = make_regression(n_samples=60, n_features=3, random_state=0)
    index = pd.RangeIndex(100, 160)
    frame = pd.DataFrame(X, columns=["a", "b", "c"], index=index)

    def stack():
        return StackingRegressor([("ridge", Ridge())], cv=3).set_output(
            transform="pandas"
        )

    from_frame = stack().fit(frame, y).transform(frame)
    from_array = stack().fit(X, y).transform(X)
    fit_transformed = stack().fit_transform(frame, y)

    assert isinstance(from_frame, pd.DataFrame)
    pd.testing.assert_index_equal(from_frame.index, index)
    assert list(from_array.columns) == ["ridge"]
    np.testing.assert_allclose(from_array["ridge"], from_frame["ridge"])
    pd.testing.assert_frame_equal(fit_transformed, from_frame)


def test_stacking_decision_function_uses_final_estimator():
    X, y = make_classification(n_samples=120, random_state=7)
    stack = StackingClassifier(
        [("lr", LogisticRegression()), ("nb", GaussianNB())], cv=3, guard=False
    ).fit(X, y)

    scores = stack.decision_function(X[:10])

    expected = stack.final_estimator_.decision_function(stack.transform(X[:10]))
    np.testing.assert_allclose(scores, expected)
    np.testing.assert_array_equal(stack.predict(X[:10]), (scores > 0).astype(int))


def test_stacking_decision_function_without_final_method():
    X, y = make_classification(n_samples=60, random_state=0)
    stack = StackingClassifier(
        [("lr", LogisticRegression())],
        final_estimator=GaussianNB(),
        cv=3,
        guard=False,
    )

    assert not hasattr(stack, "decision_function")
    assert not hasattr(stack.fit(X, y), "decision_function")


def test_stacking_decision_function_after_fallback_is_log_odds():
    X, y = make_classification(n_samples=60, random_state=0)
    stack = StackingClassifier(
        [("lr", LogisticRegression()), ("nb", GaussianNB())], cv=3
    )

    with pytest.warns(SktricksWarning, match="predicting with 'nb' alone"):
        stack.fit(X, y)
    proba = stack.predict_proba(X[:10])
    scores = stack.decision_function(X[:10])

    np.testing.assert_allclose(scores, np.log(proba[:, 1] / proba[:, 0]))
    np.testing.assert_array_equal(stack.predict(X[:10]), (scores > 0).astype(int))


# cv="prefit" ---------------------------------------------------------------------


def test_stacking_prefit_matches_sklearn():
    from sklearn.ensemble import StackingClassifier as SklearnStackingClassifier

    X, y = make_classification(
        n_samples=200, n_classes=3, n_informative=4, random_state=8
    )
    labels = np.array(["ant", "bee", "cat"])[y]
    lr = LogisticRegression().fit(X[:100], labels[:100])
    nb = GaussianNB().fit(X[:100], labels[:100])
    bases = [("lr", lr), ("nb", nb)]

    ours = StackingClassifier(bases, cv="prefit").fit(X[100:], labels[100:])
    theirs = SklearnStackingClassifier(bases, cv="prefit").fit(X[100:], labels[100:])

    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
    assert ours.layers_[0][0].models[0] is lr
    assert ours.selected_ == "stack"


def test_stacking_prefit_regressor_keeps_models():
    X, y = make_regression(n_samples=120, n_features=4, random_state=0)
    ridge = Ridge().fit(X[:60], y[:60])
    stack = StackingRegressor([("ridge", ridge)], cv="prefit").fit(X[60:], y[60:])

    final = RidgeCV().fit(ridge.predict(X[60:]).reshape(-1, 1), y[60:])

    expected = final.predict(ridge.predict(X[:5]).reshape(-1, 1))
    np.testing.assert_allclose(stack.predict(X[:5]), expected)


def test_stacking_prefit_unfitted_model_raises():
    from sklearn.exceptions import NotFittedError

    X, y = make_classification(n_samples=60, random_state=0)
    stack = StackingClassifier([("lr", LogisticRegression())], cv="prefit")

    with pytest.raises(NotFittedError, match=r"model 'lr'.*FrozenEstimator"):
        stack.fit(X, y)


def test_stacking_prefit_frozen_survives_grid_search():
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import GridSearchCV

    X, y = make_classification(n_samples=150, random_state=0)
    lr = FrozenEstimator(LogisticRegression().fit(X[:50], y[:50]))
    stack = StackingClassifier([("lr", lr)], cv="prefit")
    grid = {"final_estimator": [LogisticRegression(C=0.01), LogisticRegression()]}

    search = GridSearchCV(stack, grid, cv=3).fit(X[50:], y[50:])

    assert search.best_estimator_.layers_[0][0].models[0].estimator is lr.estimator


def test_stacking_prefit_foreign_classes_raise():
    X, y = make_classification(n_samples=60, random_state=0)
    lr = LogisticRegression().fit(X, y)
    stack = StackingClassifier([("lr", lr)], cv="prefit")

    with pytest.raises(ValueError, match=r"prefit model 'lr'.*\[0, 1\]"):
        stack.fit(X, np.array(["no", "yes"])[y])


def test_stacking_passthrough_text_matches_frame():
    from sklearn.preprocessing import OneHotEncoder

    X, y = make_classification(
        n_samples=90, n_features=3, n_informative=2, n_redundant=0, random_state=9
    )
    colour = np.array(["red", "green", "blue"])[np.arange(90) % 3]
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "colour": colour})
    array = frame.to_numpy(dtype=object)

    def stack(base_column, final_column):
        def encoded(column):
            encode = make_column_transformer(
                (OneHotEncoder(), [column]), remainder="passthrough"
            )
            return make_pipeline(encode, LogisticRegression())

        return StackingClassifier(
            [("lr", encoded(base_column))],
            encoded(final_column),
            cv=3,
            passthrough=True,
            guard=False,
        )

    from_frame = stack("colour", "colour").fit(frame, y).predict_proba(frame)
    # The stacked column comes first, so colour is column 4 of the final input.
    from_array = stack(3, 4).fit(array, y).predict_proba(array)

    np.testing.assert_allclose(from_array, from_frame)


def test_stacking_passthrough_text_names_final():
    X, y = make_classification(
        n_samples=60, n_features=3, n_informative=2, n_redundant=0, random_state=9
    )
    array = np.column_stack([X, np.array(["red", "blue"])[np.arange(60) % 2]])
    base = make_pipeline(
        make_column_transformer(("drop", [3]), remainder="passthrough"),
        LogisticRegression(),
    )
    stack = StackingClassifier([("lr", base)], cv=3, passthrough=True, guard=False)

    with pytest.raises(ValueError, match=r"final_estimator \(LogisticRegression\)"):
        stack.fit(array.astype(object), y)


# Labels and fold order, against scikit-learn -------------------------------------


class _SeriesLabelClassifier(ClassifierMixin, BaseEstimator):
    """Predicts labels as a pandas Series and records the labels it was fitted on."""

    def fit(self, X, y):
        self.seen_labels_ = np.unique(y)
        self.model_ = LogisticRegression().fit(np.asarray(X), y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        labels = self.model_.predict(np.asarray(X))
        return pd.Series(labels, index=np.arange(len(labels)) + 1000)


def test_stacking_predict_method_series_labels():
    X, y = make_classification(
        n_samples=120, n_classes=3, n_informative=3, random_state=15
    )
    labels = np.array(["ant", "bee", "cat"])[y]
    cv = StratifiedKFold(3)
    stack = StackingClassifier(
        [("series", _SeriesLabelClassifier())],
        stack_method="predict",
        cv=cv,
        guard=False,
    ).fit(X, labels)

    expected = np.zeros(120)
    for train, test in cv.split(X, labels):
        fold = LogisticRegression().fit(X[train], labels[train]).predict(X[test])
        expected[test] = np.searchsorted(["ant", "bee", "cat"], fold)

    np.testing.assert_allclose(stack.oof_predictions_[:, 0], expected)
    for model in stack.layers_[0][0].models:
        np.testing.assert_array_equal(model.seen_labels_, ["ant", "bee", "cat"])
    assert set(stack.predict(X)) <= {"ant", "bee", "cat"}


def test_stacking_shuffled_oof_matches_cross_val_predict():
    from sklearn.model_selection import cross_val_predict

    X, y = make_classification(
        n_samples=150, n_classes=3, n_informative=4, random_state=16
    )
    cv = StratifiedKFold(5, shuffle=True, random_state=3)
    stack = StackingClassifier(
        [("lr", LogisticRegression()), ("nb", GaussianNB())], cv=cv, guard=False
    ).fit(X, y)

    for position, model in enumerate([LogisticRegression(), GaussianNB()]):
        expected = cross_val_predict(model, X, y, cv=cv, method="predict_proba")
        columns = slice(3 * position, 3 * position + 3)
        np.testing.assert_allclose(stack.oof_predictions_[:, columns], expected)


def _hand_oof(model, X, y, folds, method):
    """Out-of-fold predictions of ``model`` by a plain fold loop."""
    first = getattr(clone(model).fit(X, y), method)(X[:1])
    oof = np.zeros((len(y), *first.shape[1:]), dtype=first.dtype)
    for train, test in folds:
        oof[test] = getattr(clone(model).fit(X[train], y[train]), method)(X[test])
    return oof


def test_guard_scores_decision_function():
    # A final estimator without predict_proba: the guard scores its decision
    # values with ROC AUC, as a plain fold loop over the stacked columns does.
    from sklearn.linear_model import RidgeClassifier
    from sklearn.metrics import roc_auc_score

    X, y = make_classification(n_samples=200, n_features=6, random_state=2)
    folds = list(StratifiedKFold(3).split(X, y))
    models = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    stack = StackingClassifier(models, final_estimator=RidgeClassifier(), cv=folds).fit(
        X, y
    )

    stacked = np.column_stack(
        [_hand_oof(m, X, y, folds, "predict_proba")[:, 1] for _, m in models]
    )
    decision = _hand_oof(RidgeClassifier(), stacked, y, folds, "decision_function")
    assert stack.stack_score_ == pytest.approx(roc_auc_score(y, decision))
    assert stack.base_scores_["nb"] == pytest.approx(roc_auc_score(y, stacked[:, 1]))
    assert stack.predict(X[:5]).shape == (5,)


def test_guard_multiclass_final_uses_accuracy():
    from sklearn.metrics import accuracy_score

    X, y = make_classification(
        n_samples=240, n_features=6, n_informative=4, n_classes=3, random_state=3
    )
    folds = list(StratifiedKFold(3).split(X, y))
    models = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    final = LinearSVC()
    stack = StackingClassifier(models, final_estimator=final, cv=folds).fit(X, y)

    probas = [_hand_oof(m, X, y, folds, "predict_proba") for _, m in models]
    labels = _hand_oof(final, np.hstack(probas), y, folds, "predict")
    assert stack.stack_score_ == pytest.approx(accuracy_score(y, labels))
    assert stack.base_scores_["lr"] == pytest.approx(
        accuracy_score(y, probas[0].argmax(axis=1))
    )


@pytest.mark.parametrize("final", [LogisticRegression(), None])
def test_guard_scores_are_weighted(final):
    # With weights that favour half of the rows, the guard's scores are the
    # weighted ROC AUC of the out-of-fold predictions.
    from sklearn.metrics import roc_auc_score

    X, y = make_classification(n_samples=600, n_features=6, flip_y=0.1, random_state=3)
    weights = np.where(X[:, 0] > 0, 10.0, 0.01)
    folds = list(StratifiedKFold(3).split(X, y))
    stack = StackingClassifier(
        [("lr", LogisticRegression()), ("nb", GaussianNB())],
        final_estimator=final,
        cv=folds,
    ).fit(X, y, sample_weight=weights)

    for name in ("lr", "nb"):
        assert stack.base_scores_[name] == pytest.approx(
            roc_auc_score(
                y,
                stack.oof_predictions_[:, ["lr", "nb"].index(name)],
                sample_weight=weights,
            )
        )
    unweighted = roc_auc_score(y, stack.oof_predictions_[:, 0])
    assert stack.base_scores_["lr"] != pytest.approx(unweighted)


def test_passthrough_rejects_name_clash():
    X, y = make_classification(n_samples=120, n_features=4, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "lr", "c", "d"])
    stack = StackingClassifier(
        [("lr", LogisticRegression()), ("nb", GaussianNB())],
        cv=3,
        passthrough=True,
    )
    with pytest.raises(ValueError, match=r"input columns \['lr'\] .* \['lr'\]"):
        stack.fit(frame, y)
    # Renamed, the same data fits, and the original column is kept.
    stack.set_params(
        estimators=[("logistic", LogisticRegression()), ("nb", GaussianNB())]
    )
    stack.set_params(guard=False).fit(frame, y)
    assert list(stack.transform(frame).columns) == [
        "logistic",
        "nb",
        "a",
        "lr",
        "c",
        "d",
    ]
