"""Tests of the shared importance options and the stability measure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap
from lightgbm import LGBMClassifier, LGBMRegressor
from scipy.spatial.distance import pdist
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBClassifier

from sktricks.feature_selection import feature_importance, selection_stability


def _binary(n_samples=300, n_features=6, random_state=0):
    return make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=3,
        n_redundant=0,
        random_state=random_state,
    )


def _multiclass():
    return make_classification(
        n_samples=300,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )


def test_selection_stability_matches_scipy_jaccard():
    rng = np.random.default_rng(0)
    masks = rng.random((6, 15)) > 0.5
    expected = 1.0 - pdist(masks, metric="jaccard").mean()
    assert selection_stability(masks) == pytest.approx(expected)


def test_selection_stability_identical_and_empty():
    assert selection_stability([[True, False, True]] * 3) == 1.0
    assert selection_stability([[False, False], [False, False]]) == 1.0
    assert selection_stability([[True, False], [False, True]]) == 0.0
    assert selection_stability([[True, False]]) == 1.0


def test_selection_stability_rejects_1d():
    with pytest.raises(ValueError, match="2-dimensional"):
        selection_stability([True, False])


def test_selection_stability_rejects_ragged_and_non_boolean_rows():
    with pytest.raises(ValueError, match=r"rows have lengths \[1, 2\]"):
        selection_stability([[True, False], [True]])
    # Index lists would otherwise be read as "every feature selected".
    with pytest.raises(ValueError, match=r"booleans.*np\.isin"):
        selection_stability([[0, 2, 5], [1, 2, 3]])
    with pytest.raises(ValueError, match="dtype float64"):
        selection_stability([[0.2, 0.9], [0.1, 0.8]])
    assert selection_stability([[1, 0, 1], [1, 1, 0]]) == pytest.approx(1 / 3)


@pytest.mark.parametrize("make_data", [_binary, _multiclass])
def test_shap_lightgbm_matches_tree_explainer(make_data):
    # LightGBM's own TreeSHAP against the shap package, which returns the
    # classes on the last axis for multiclass models.
    X, y = make_data()
    model = LGBMClassifier(n_estimators=20, verbose=-1, random_state=0).fit(X, y)
    values = np.abs(shap.TreeExplainer(model).shap_values(X))
    expected = values.mean(axis=(0, 2)) if values.ndim == 3 else values.mean(axis=0)

    scores = feature_importance(model, "shap", X.shape[1], X_eval=X)

    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-8)


def test_shap_lightgbm_regressor_matches_tree_explainer():
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    model = LGBMRegressor(n_estimators=20, verbose=-1, random_state=0).fit(X, y)
    expected = np.abs(shap.TreeExplainer(model).shap_values(X)).mean(axis=0)

    scores = feature_importance(model, "shap", 5, X_eval=X)

    np.testing.assert_allclose(scores, expected, rtol=1e-5)


@pytest.mark.parametrize("make_data", [_binary, _multiclass])
def test_shap_xgboost_matches_tree_explainer(make_data):
    X, y = make_data()
    model = XGBClassifier(n_estimators=10, max_depth=3, random_state=0).fit(X, y)
    values = np.abs(shap.TreeExplainer(model).shap_values(X))
    expected = values.mean(axis=(0, 2)) if values.ndim == 3 else values.mean(axis=0)

    scores = feature_importance(model, "shap", X.shape[1], X_eval=X)

    np.testing.assert_allclose(scores, expected, rtol=1e-4, atol=1e-6)


def test_shap_random_forest_averages_classes():
    # A binary forest's SHAP values for the two classes are opposite, so the
    # average over classes equals the positive class alone.
    X, y = _binary()
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    positive = shap.TreeExplainer(model).shap_values(X)[:, :, 1]

    scores = feature_importance(model, "shap", X.shape[1], X_eval=X)

    np.testing.assert_allclose(scores, np.abs(positive).mean(axis=0), rtol=1e-6)


def test_shap_lightgbm_category_column_with_nan():
    X, y = _binary()
    frame = pd.DataFrame(X, columns=list("abcdef"))
    frame["c"] = pd.Categorical(np.where(y == 1, "yes", "no"))
    frame.loc[::10, "c"] = np.nan
    model = LGBMClassifier(n_estimators=20, verbose=-1).fit(frame, y)
    expected = np.abs(shap.TreeExplainer(model).shap_values(frame)).mean(axis=0)

    scores = feature_importance(model, "shap", 6, X_eval=frame)

    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-8)
    assert scores.argmax() == 2


def test_gain_xgboost_matches_tree_table():
    # Sum the gain of every split from XGBoost's tree table; columns that
    # no tree uses get 0, which get_score leaves out.
    X, y = _binary(n_features=8)
    X[:, 7] = 0.0
    model = XGBClassifier(n_estimators=10, max_depth=3, random_state=0).fit(X, y)
    table = model.get_booster().trees_to_dataframe()
    splits = table[table["Feature"] != "Leaf"]
    by_feature = splits.groupby("Feature")["Gain"].sum()
    expected = np.array([by_feature.get(f"f{i}", 0.0) for i in range(8)])

    scores = feature_importance(model, "gain", 8)

    np.testing.assert_allclose(scores, expected, rtol=1e-4)
    assert scores[7] == 0.0


def test_split_lightgbm_counts_splits():
    X, y = _binary()
    model = LGBMClassifier(n_estimators=15, verbose=-1).fit(X, y)
    table = model.booster_.trees_to_dataframe()
    counts = table["split_feature"].dropna().value_counts()
    expected = np.array([counts.get(f"Column_{i}", 0) for i in range(X.shape[1])])

    scores = feature_importance(model, "split", X.shape[1])

    np.testing.assert_array_equal(scores, expected)


def test_auto_uses_mean_absolute_coef():
    X, y = _multiclass()
    model = LogisticRegression(max_iter=1000).fit(X, y)
    expected = [
        np.mean([abs(model.coef_[k, j]) for k in range(3)]) for j in range(X.shape[1])
    ]

    scores = feature_importance(model, "auto", X.shape[1])

    np.testing.assert_allclose(scores, expected)


def test_permutation_works_for_any_estimator():
    X, y = _binary()
    model = KNeighborsClassifier().fit(X, y)

    scores = feature_importance(
        model, "permutation", X.shape[1], X_eval=X, y_eval=y, random_state=0
    )

    assert scores.shape == (X.shape[1],)
    assert scores.max() > 0


@pytest.mark.parametrize("importance", ["auto", "gain", "split", "shap"])
def test_estimator_without_importances_names_the_fix(importance):
    X, y = _binary()
    model = KNeighborsClassifier().fit(X, y)

    with pytest.raises(
        TypeError, match=r"KNeighborsClassifier.*importance='permutation'"
    ):
        feature_importance(model, importance, X.shape[1], X_eval=X)


def test_pipeline_shap_names_the_fix():
    X, y = _binary()
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)

    with pytest.raises(
        TypeError, match=r"LogisticRegression.*importance='permutation'"
    ):
        feature_importance(model, "shap", X.shape[1], X_eval=X)
