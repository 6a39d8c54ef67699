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
