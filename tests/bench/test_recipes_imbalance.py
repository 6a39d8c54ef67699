from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_val_score

from sktricks.bench import get_recipe, list_recipes
from sktricks.bench._recipes_imbalance import FoldSafeSMOTE
from sktricks.exceptions import SktricksWarning

IMBALANCE_RECIPES = [
    "lightgbm_class_weight",
    "lightgbm_smote",
    "lightgbm_focal",
    "lightgbm_mixup",
    "lightgbm_prior",
]


def test_imbalance_recipes_registered_not_default():
    recipes = {recipe.name: recipe for recipe in list_recipes()}
    for name in IMBALANCE_RECIPES:
        assert name in recipes
        assert recipes[name].default is False
        assert recipes[name].tasks == ("binary", "multiclass")


def test_fold_safe_smote_lowers_k_neighbors():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(23, 2))
    y = np.array([0] * 20 + [1] * 3)
    with pytest.warns(SktricksWarning, match="has 3 rows .* k_neighbors=2 instead"):
        X_res, y_res = FoldSafeSMOTE(random_state=0).fit_resample(X, y)
    X_ref, y_ref = SMOTE(k_neighbors=2, random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(X_res, X_ref)
    np.testing.assert_array_equal(y_res, y_ref)


def test_fold_safe_smote_single_row_falls_back_to_copies():
    X = np.arange(22, dtype=float).reshape(11, 2)
    y = np.array([0] * 10 + [1])
    with pytest.warns(SktricksWarning, match="has 1 row.*RandomOverSampler"):
        X_res, y_res = FoldSafeSMOTE(random_state=0).fit_resample(X, y)
    X_ref, y_ref = RandomOverSampler(random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(X_res, X_ref)
    np.testing.assert_array_equal(y_res, y_ref)
    assert Counter(y_res) == {0: 10, 1: 10}


def test_fold_safe_smote_keeps_k_when_classes_are_large():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = np.array([0] * 30 + [1] * 10)
    X_res, _ = FoldSafeSMOTE(random_state=0).fit_resample(X, y)
    X_ref, _ = SMOTE(random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(X_res, X_ref)


@pytest.mark.parametrize("recipe", IMBALANCE_RECIPES)
def test_imbalance_recipe_survives_tiny_class_folds(recipe):
    # A 4-row class in 3 folds leaves 2 or 3 rows per training fold, where
    # imbalanced-learn's default SMOTE (k_neighbors=5) would raise.
    rng = np.random.default_rng(0)
    n = 120
    X = pd.DataFrame(
        {
            "colour": pd.Categorical(rng.choice(["red", "green"], n)),
            "x": rng.normal(size=n),
        }
    )
    X.loc[::9, "x"] = np.nan
    y = np.array([0] * 80 + [1] * 36 + [2] * 4)
    estimator = clone(get_recipe(recipe).build("multiclass", random_state=0))
    estimator = _shrink(estimator)
    scores = cross_val_score(
        estimator,
        X,
        y,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring="neg_log_loss",
        error_score="raise",
    )
    assert np.isfinite(scores).all()


def _shrink(estimator):
    # Fewer rounds keep the test fast; the recipe's structure is unchanged.
    params = {key: 20 for key in estimator.get_params() if key.endswith("n_estimators")}
    return estimator.set_params(**params)
