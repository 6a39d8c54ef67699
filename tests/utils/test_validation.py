import numpy as np
import pandas as pd
import pytest

from sktricks.features import NeighborLabelFeatures


def _frame():
    return pd.DataFrame(
        {
            "x": np.arange(30.0),
            "colour": pd.Categorical(list("abc") * 10),
            "flag": pd.array([True, False] * 15, dtype="boolean"),
        }
    )


def test_neighbor_features_name_category_column():
    X, y = _frame(), np.arange(30) % 2
    with pytest.raises(TypeError, match=r"'colour' \(category\).*OneHotEncoder"):
        NeighborLabelFeatures(cv=3).fit(X, y)


def test_neighbor_features_transform_names_column():
    X, y = _frame(), np.arange(30) % 2
    fitted = NeighborLabelFeatures(n_neighbors=3, cv=3).fit(X[["x"]], y)
    with pytest.raises(TypeError, match=r"'x' \((str|object)\)"):
        fitted.transform(pd.DataFrame({"x": ["a"] * 5}))


@pytest.mark.parametrize("name", ["DAEFeatures", "ConcreteFeatureSelector"])
def test_torch_transformers_name_category_column(name):
    torch_module = pytest.importorskip("sktricks.torch")
    X, y = _frame(), np.arange(30) % 2
    with pytest.raises(TypeError, match=r"'colour' \(category\)"):
        getattr(torch_module, name)().fit(X, y)


def _estimators_with_n_jobs():
    from sktricks.utils import all_estimators

    return [
        (name, cls)
        for name, cls in all_estimators()
        if "n_jobs" in getattr(cls, "_parameter_constraints", {})
    ]


@pytest.mark.parametrize(
    "name, cls", _estimators_with_n_jobs(), ids=lambda value: str(value)
)
def test_every_n_jobs_uses_the_shared_constraint(name, cls):
    from sktricks.utils._validation import N_JOBS_CONSTRAINT

    assert cls._parameter_constraints["n_jobs"] is N_JOBS_CONSTRAINT


def test_n_jobs_zero_fails_before_any_fit():
    from sklearn.utils._param_validation import InvalidParameterError

    from sktricks.feature_selection import BorutaSelector

    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.arange(40) % 2
    with pytest.raises(InvalidParameterError, match="'n_jobs' parameter"):
        BorutaSelector(n_jobs=0).fit(X, y)
    BorutaSelector(n_jobs=-1, max_iter=2, random_state=0).fit(X, y)


def test_cross_val_oof_rejects_n_jobs_zero():
    from sklearn.linear_model import LogisticRegression
    from sklearn.utils._param_validation import InvalidParameterError

    from sktricks.model_selection import cross_val_oof

    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20) % 2
    with pytest.raises(InvalidParameterError, match="'n_jobs' parameter"):
        cross_val_oof(LogisticRegression(), X, y, cv=2, n_jobs=0)


def test_plain_value_drops_numpy_type():
    import numpy as np

    from sktricks.utils._validation import plain_value

    assert repr(plain_value(np.float64(0.5))) == "0.5"
    assert repr(plain_value(np.str_("a"))) == "'a'"
    assert plain_value("b") == "b"


def test_describe_columns_duplicated_names():
    import pandas as pd

    from sktricks.utils._validation import describe_columns, non_numeric_columns

    frame = pd.DataFrame({"a": [1.0], "b": pd.Series(["x"], dtype="category")})
    frame.columns = ["a", "a"]
    assert non_numeric_columns(frame) == ["a"]
    assert describe_columns(frame, ["a"]) == "'a' (category)"
