import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier

from sktricks.bench import get_recipe, list_recipes, register_recipe, unregister_recipe


def _mixed_frame(n=120, seed=0):
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], size=n).astype(object)
    colour[::11] = None
    numeric = rng.normal(size=n)
    numeric[::7] = np.nan
    X = pd.DataFrame(
        {
            "colour": pd.Categorical(colour),
            "x": numeric,
            "z": rng.normal(size=n),
        }
    )
    return X, rng


@pytest.mark.parametrize("recipe", [r.name for r in list_recipes()])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_builtin_recipe_fits_categories_and_nan(recipe, task):
    if task not in get_recipe(recipe).tasks:
        pytest.skip(f"recipe {recipe!r} does not support {task} tasks")
    X, rng = _mixed_frame()
    if task == "regression":
        y = X["z"].to_numpy() * 2 + rng.normal(size=len(X))
    else:
        n_classes = 2 if task == "binary" else 3
        y = np.arange(len(X)) % n_classes

    estimator = clone(get_recipe(recipe).build(task, random_state=0))
    estimator.fit(X.iloc[:90], y[:90])

    if task == "regression":
        assert estimator.predict(X.iloc[90:]).shape == (30,)
    else:
        proba = estimator.predict_proba(X.iloc[90:])
        assert proba.shape == (30, len(np.unique(y)))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_register_recipe_rejects_duplicate():
    with pytest.raises(ValueError, match="already registered; pass replace=True"):
        register_recipe("linear", description="again")(lambda task, seed: None)


def test_register_recipe_rejects_bad_name_and_task():
    with pytest.raises(ValueError, match="is invalid"):
        register_recipe("bad name", description="x")
    with pytest.raises(ValueError, match="Unknown tasks"):
        register_recipe("ok", description="x", tasks=("ranking",))


def test_get_recipe_unknown_lists_registered():
    with pytest.raises(KeyError, match=r"Unknown recipe 'nope'.*linear"):
        get_recipe("nope")


def test_register_and_unregister_round_trip():
    @register_recipe("prior", description="prior", tasks=("binary",))
    def build(task, random_state):
        return DummyClassifier()

    try:
        assert get_recipe("prior").tasks == ("binary",)
        assert isinstance(get_recipe("prior").build("binary", 0), DummyClassifier)
    finally:
        unregister_recipe("prior")
    assert "prior" not in [r.name for r in list_recipes()]
