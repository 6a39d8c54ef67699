"""Tests for ShapExplainer: additivity, agreement with shap run directly,
grouping back to input columns, and the shapes of every model family."""

import lightgbm as lgb
import matplotlib
import numpy as np
import pandas as pd
import pytest
import shap
import xgboost as xgb
from imblearn.pipeline import Pipeline as ImbPipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sktricks.datasets import load_openml
from sktricks.exceptions import SktricksWarning
from sktricks.explain import Explanation, ShapExplainer

matplotlib.use("Agg")


def _numeric(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 5)), columns=[f"f{i}" for i in range(5)])
    y = ((X["f0"] + 0.5 * X["f1"] - X["f2"] * X["f3"]) > 0).astype(int)
    return X, y


def _mixed(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "income": rng.normal(50, 10, n),
            "age": rng.integers(18, 80, n),
            "color": pd.Series(rng.choice(["red", "green", "blue"], n), dtype="str"),
            "size": pd.Categorical(rng.choice(["s", "m", "l", "xl"], n)),
        }
    )
    logit = (X["income"] - 50) / 10 + (X["color"] == "red") * 1.5 - (X["size"] == "s")
    y = (logit + rng.normal(0, 0.5, n) > 0.3).astype(int)
    return X, y


def _preprocessor():
    return ColumnTransformer(
        [
            ("num", StandardScaler(), ["income", "age"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["color", "size"]),
        ]
    )


def _raw_output(model, X):
    """The model's own output in the space shap explains it in."""
    if isinstance(model, lgb.LGBMModel):
        return model.predict(X, raw_score=True)
    if isinstance(model, xgb.XGBModel):
        return model.predict(X, output_margin=True)
    if isinstance(
        model,
        GradientBoostingClassifier
        | HistGradientBoostingClassifier
        | LogisticRegression,
    ):
        return model.decision_function(X)
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    return model.predict(X)


def _shap_positive(model, X):
    """shap.TreeExplainer run directly, reduced to the positive class by hand."""
    explainer = shap.TreeExplainer(model)
    values = np.asarray(explainer.shap_values(X, check_additivity=False))
    base = np.atleast_1d(explainer.expected_value)
    if values.ndim == 3:
        return values[:, :, -1], base[-1]
    return values, base[-1]


BINARY_MODELS = [
    lgb.LGBMClassifier(n_estimators=40, verbose=-1, random_state=0),
    xgb.XGBClassifier(n_estimators=40, random_state=0),
    RandomForestClassifier(n_estimators=30, random_state=0),
    ExtraTreesClassifier(n_estimators=30, random_state=0),
    DecisionTreeClassifier(max_depth=5, random_state=0),
    HistGradientBoostingClassifier(max_iter=30, random_state=0),
    GradientBoostingClassifier(n_estimators=30, random_state=0),
    LogisticRegression(),
]


@pytest.mark.parametrize("model", BINARY_MODELS, ids=lambda m: type(m).__name__)
def test_shap_binary_additive_in_stated_space(model):
    X, y = _numeric()
    model.fit(X, y)

    explanation = ShapExplainer(model).explain(X.iloc[:100])

    assert explanation.values.shape == (100, 5)
    assert list(explanation.values.columns) == list(X.columns)
    total = explanation.values.sum(axis=1) + explanation.base_values
    np.testing.assert_allclose(total, _raw_output(model, X.iloc[:100]), atol=1e-5)


@pytest.mark.parametrize("model", BINARY_MODELS[:7], ids=lambda m: type(m).__name__)
def test_shap_tree_matches_shap_directly(model):
    X, y = _numeric()
    model.fit(X, y)

    explanation = ShapExplainer(model).explain(X.iloc[:50])
    values, base = _shap_positive(model, X.iloc[:50])

    np.testing.assert_allclose(explanation.values.to_numpy(), values, atol=1e-6)
    np.testing.assert_allclose(explanation.base_values.to_numpy(), base, atol=1e-6)


def test_shap_output_names_space_per_family():
    X, y = _numeric()
    spaces = {
        type(m).__name__: ShapExplainer(m.fit(X, y)).explain(X.iloc[:5]).output
        for m in BINARY_MODELS
    }
    assert spaces["LGBMClassifier"] == "margin"
    assert spaces["XGBClassifier"] == "margin"
    assert spaces["RandomForestClassifier"] == "probability"
    assert spaces["LogisticRegression"] == "margin"


def test_shap_linear_matches_closed_form():
    X, y = _numeric()
    background = X.iloc[:60]
    model = LogisticRegression().fit(X, y)

    explanation = ShapExplainer(model, background=background).explain(X.iloc[:20])

    # With independent features the SHAP value of a linear model is
    # coef * (x - background mean), base value its margin at that mean.
    expected = model.coef_[0] * (X.iloc[:20] - background.mean())
    np.testing.assert_allclose(explanation.values, expected, atol=1e-8)
    base = model.intercept_[0] + model.coef_[0] @ background.mean()
    np.testing.assert_allclose(explanation.base_values, base, atol=1e-8)


def test_shap_permutation_matches_linear_closed_form():
    X, _ = _numeric()
    target = 2.0 * X["f0"] - X["f1"] + 0.5 * X["f4"]
    model = LinearRegression().fit(X, target)
    background = X.iloc[:40]

    explanation = ShapExplainer(
        model, background=background, algorithm="permutation", random_state=0
    ).explain(X.iloc[:10])

    expected = model.coef_ * (X.iloc[:10] - background.mean())
    np.testing.assert_allclose(explanation.values, expected, atol=1e-8)
    assert explanation.output == "prediction"


@pytest.mark.parametrize(
    "model",
    [
        lgb.LGBMClassifier(n_estimators=40, verbose=-1, random_state=0),
        xgb.XGBClassifier(n_estimators=40, random_state=0),
        RandomForestClassifier(n_estimators=30, random_state=0),
        LogisticRegression(),
    ],
    ids=lambda m: type(m).__name__,
)
def test_shap_pipeline_groups_one_hot_columns(model):
    X, y = _mixed()
    pipeline = Pipeline([("pre", _preprocessor()), ("model", model)]).fit(X, y)
    rows = X.iloc[:80]

    grouped = ShapExplainer(pipeline, background=X, random_state=0).explain(rows)
    flat = ShapExplainer(
        pipeline, background=X, grouping="transformed", random_state=0
    ).explain(rows)

    assert list(grouped.values.columns) == ["income", "age", "color", "size"]
    assert grouped.values.shape == (80, 4)
    pd.testing.assert_frame_equal(grouped.data, rows)
    color = flat.values.filter(like="cat__color_").sum(axis=1)
    np.testing.assert_allclose(grouped.values["color"], color, atol=1e-12)
    size = flat.values.filter(like="cat__size_").sum(axis=1)
    np.testing.assert_allclose(grouped.values["size"], size, atol=1e-12)
    np.testing.assert_allclose(
        grouped.values.sum(axis=1), flat.values.sum(axis=1), atol=1e-10
    )
    Xt = pipeline[:-1].transform(rows)
    total = grouped.values.sum(axis=1) + grouped.base_values
    np.testing.assert_allclose(total, _raw_output(pipeline[-1], Xt), atol=1e-5)


def test_shap_pipeline_matches_shap_on_transformed_matrix():
    X, y = _mixed()
    model = lgb.LGBMClassifier(n_estimators=40, verbose=-1, random_state=0)
    pipeline = Pipeline([("pre", _preprocessor()), ("model", model)]).fit(X, y)

    flat = ShapExplainer(pipeline, grouping="transformed").explain(X.iloc[:50])
    values, base = _shap_positive(model, pipeline[:-1].transform(X.iloc[:50]))

    assert list(flat.values.columns) == list(pipeline[:-1].get_feature_names_out())
    np.testing.assert_allclose(flat.values.to_numpy(), values, atol=1e-10)
    np.testing.assert_allclose(flat.base_values.to_numpy(), base, atol=1e-10)


def test_shap_imblearn_pipeline_skips_sampler():
    X, y = _mixed()
    pipeline = ImbPipeline(
        [
            ("pre", _preprocessor()),
            ("sample", RandomUnderSampler(random_state=0)),
            ("model", xgb.XGBClassifier(n_estimators=30, random_state=0)),
        ]
    ).fit(X, y)

    explanation = ShapExplainer(pipeline).explain(X)

    assert explanation.values.shape == (len(X), 4)
    Xt = pipeline.named_steps["pre"].transform(X)
    values, _ = _shap_positive(pipeline[-1], Xt)
    np.testing.assert_allclose(
        explanation.values.sum(axis=1), values.sum(axis=1), atol=1e-5
    )


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_shap_multiclass_one_frame_per_class(library):
    data = load_openml("cmc")
    X, y = data.data, data.target
    if library == "lightgbm":
        model = lgb.LGBMClassifier(n_estimators=30, verbose=-1, random_state=0)
        model.fit(X, y)
        raw = model.predict(X.iloc[:60], raw_score=True)
    else:
        codes = y.cat.codes if hasattr(y, "cat") else pd.Categorical(y).codes
        model = xgb.XGBClassifier(
            n_estimators=30, enable_categorical=True, random_state=0
        )
        model.fit(X, codes)
        raw = model.predict(X.iloc[:60], output_margin=True)

    explanation = ShapExplainer(model).explain(X.iloc[:60])

    assert isinstance(explanation.values, dict)
    assert list(explanation.values) == list(model.classes_)
    for k, label in enumerate(model.classes_):
        frame = explanation.values[label]
        assert frame.shape == (60, X.shape[1])
        total = frame.sum(axis=1) + explanation.base_values[label]
        np.testing.assert_allclose(total, raw[:, k], atol=1e-5)


def test_shap_regression_families_additive():
    X, _ = _numeric()
    target = X["f0"] * 3 + np.sin(X["f1"])
    models = [
        lgb.LGBMRegressor(n_estimators=30, verbose=-1, random_state=0),
        xgb.XGBRegressor(n_estimators=30, random_state=0),
        RandomForestRegressor(n_estimators=20, random_state=0),
        Ridge(),
    ]
    for model in models:
        model.fit(X, target)
        explanation = ShapExplainer(model, background=X).explain(X.iloc[:40])
        assert explanation.values.shape == (40, 5)
        total = explanation.values.sum(axis=1) + explanation.base_values
        np.testing.assert_allclose(total, model.predict(X.iloc[:40]), atol=1e-4)


def test_shap_lightgbm_native_category_columns():
    X, y = _mixed()
    X = X.assign(color=X["color"].astype("category"))
    model = lgb.LGBMClassifier(n_estimators=30, verbose=-1, random_state=0).fit(X, y)

    explanation = ShapExplainer(model).explain(X.iloc[:50])

    # LightGBM's own TreeSHAP: one column per feature plus the bias.
    contributions = model.predict(X.iloc[:50], pred_contrib=True)
    np.testing.assert_allclose(explanation.values, contributions[:, :-1], atol=1e-10)
    np.testing.assert_allclose(explanation.base_values, contributions[:, -1])
    assert explanation.values["color"].abs().sum() > 0


def test_shap_xgboost_native_category_columns():
    X, y = _mixed()
    X = X.assign(color=X["color"].astype("category"))
    model = xgb.XGBClassifier(
        n_estimators=30, enable_categorical=True, tree_method="hist", random_state=0
    ).fit(X, y)

    explanation = ShapExplainer(model).explain(X.iloc[:50])

    dmatrix = xgb.DMatrix(X.iloc[:50], enable_categorical=True)
    contributions = model.get_booster().predict(dmatrix, pred_contribs=True)
    np.testing.assert_allclose(explanation.values, contributions[:, :-1], atol=1e-5)
    total = explanation.values.sum(axis=1) + explanation.base_values
    margin = model.predict(X.iloc[:50], output_margin=True)
    np.testing.assert_allclose(total, margin, atol=1e-5)


def test_shap_rejected_tree_falls_back_to_permutation():
    X, y = _mixed()
    X = X.assign(color=X["color"].astype("category"))
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)

    with pytest.warns(SktricksWarning, match="permutation explainer"):
        explanation = ShapExplainer(model, random_state=0, background_size=10).explain(
            X.iloc[:3]
        )

    assert explanation.output == "probability"
    total = explanation.values.sum(axis=1) + explanation.base_values
    np.testing.assert_allclose(total, model.predict_proba(X.iloc[:3])[:, 1], atol=1e-8)


def test_shap_model_agnostic_pipeline_reproducible():
    X, y = _mixed()
    pipeline = Pipeline(
        [("pre", _preprocessor()), ("model", KNeighborsClassifier(15))]
    ).fit(X, y)
    state = np.random.get_state()[1].copy()  # noqa: NPY002

    explainer = ShapExplainer(
        pipeline, background=X, random_state=3, background_size=30
    )
    first = explainer.explain(X.iloc[:4])
    second = explainer.explain(X.iloc[:4])

    assert first.output == "probability"
    pd.testing.assert_frame_equal(first.values, second.values)
    total = first.values.sum(axis=1) + first.base_values
    np.testing.assert_allclose(
        total, pipeline.predict_proba(X.iloc[:4])[:, 1], atol=1e-8
    )
    global_state = np.random.get_state()[1]  # noqa: NPY002
    np.testing.assert_array_equal(global_state, state)


def test_shap_additivity_error_is_raised(monkeypatch):
    X, y = _numeric()
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    import sktricks.explain._shap as module

    monkeypatch.setattr(
        module, "model_output", lambda est, data, output: est.predict_proba(data) + 0.1
    )
    with pytest.raises(ValueError, match="do not add up to the model's probability"):
        ShapExplainer(model).explain(X.iloc[:5])
    explanation = ShapExplainer(model, check_additivity=False).explain(X.iloc[:5])
    assert explanation.values.shape == (5, 5)


def test_shap_grouping_rejects_mixing_step():
    X, y = _numeric()
    pipeline = Pipeline([("pca", PCA(3)), ("model", LogisticRegression())]).fit(X, y)

    with pytest.raises(ValueError, match="grouping='transformed'"):
        ShapExplainer(pipeline).explain(X.iloc[:5])
    flat = ShapExplainer(pipeline, grouping="transformed").explain(X.iloc[:5])
    assert list(flat.values.columns) == ["pca0", "pca1", "pca2"]


def test_shap_invalid_input_errors():
    X, y = _numeric()
    model = LogisticRegression().fit(X, y)

    with pytest.raises(ValueError, match="algorithm='fast' is invalid"):
        ShapExplainer(model, algorithm="fast").explain(X)
    with pytest.raises(ValueError, match="grouping='none' is invalid"):
        ShapExplainer(model, grouping="none").explain(X)
    with pytest.raises(ValueError, match=r"missing the columns \['f4'\]"):
        ShapExplainer(model).explain(X.drop(columns="f4"))
    with pytest.raises(ValueError, match="X has no rows"):
        ShapExplainer(model).explain(X.iloc[:0])
    with pytest.raises(NotFittedError):
        ShapExplainer(LogisticRegression()).explain(X)


def test_shap_reordered_columns_give_same_values():
    X, y = _numeric()
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)

    straight = ShapExplainer(model).explain(X.iloc[:10])
    shuffled = ShapExplainer(model).explain(X.iloc[:10, ::-1])

    pd.testing.assert_frame_equal(straight.values, shuffled.values)


def test_shap_global_importance_and_to_shap():
    X, y = _numeric()
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    explainer = ShapExplainer(model)
    explanation = explainer.explain(X)

    importance = explainer.global_importance(X)

    expected = explanation.values.abs().mean().sort_values(ascending=False)
    np.testing.assert_allclose(importance.to_numpy(), expected.to_numpy())
    assert list(importance.index) == list(expected.index)
    converted = explanation.to_shap()
    assert isinstance(converted, shap.Explanation)
    np.testing.assert_array_equal(converted.values, explanation.values.to_numpy())


@pytest.mark.parametrize("kind", ["bar", "beeswarm", "waterfall", "dependence"])
def test_shap_plot_returns_figure_without_pyplot(kind):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    X, y = _mixed()
    pipeline = Pipeline(
        [("pre", _preprocessor()), ("model", lgb.LGBMClassifier(verbose=-1))]
    ).fit(X, y)
    open_before = plt.get_fignums()

    figure = ShapExplainer(pipeline).plot(X.iloc[:60], kind=kind)

    assert isinstance(figure, Figure)
    assert figure.axes
    assert plt.get_fignums() == open_before


def test_shap_multiclass_plot_needs_label():
    data = load_openml("cmc")
    model = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(data.data, data.target)
    explanation = ShapExplainer(model).explain(data.data.iloc[:30])

    assert explanation.plot("bar").axes
    assert explanation.plot("waterfall", label=model.classes_[0]).axes
    with pytest.raises(ValueError, match="label=None is invalid"):
        explanation.plot("beeswarm")


def test_shap_explanation_type():
    X, y = _numeric()
    model = LogisticRegression().fit(X, y)
    assert isinstance(ShapExplainer(model).explain(X.iloc[:3]), Explanation)


def test_shap_grouping_nested_pipelines_and_remainder():
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=200),
            "a_b": rng.normal(size=200),
            "c": rng.choice(["x", "y"], 200),
            "d": rng.normal(size=200),
            "e": rng.normal(size=200),
        }
    )
    y = (X["a"] + X["a_b"] > 0).astype(int)
    pre = ColumnTransformer(
        [
            ("n", make_pipeline(SimpleImputer(), StandardScaler()), ["a", "a_b"]),
            (
                "c",
                make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder()),
                ["c"],
            ),
            ("drop", "drop", ["e"]),
        ],
        remainder="passthrough",
    )
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1)
    pipeline = make_pipeline(pre, model).fit(X, y)

    grouped = ShapExplainer(pipeline).explain(X.iloc[:20])
    flat = ShapExplainer(pipeline, grouping="transformed").explain(X.iloc[:20])

    assert list(flat.values.columns) == [
        "n__a",
        "n__a_b",
        "c__c_x",
        "c__c_y",
        "remainder__d",
    ]
    np.testing.assert_allclose(grouped.values["a"], flat.values["n__a"])
    np.testing.assert_allclose(grouped.values["a_b"], flat.values["n__a_b"])
    np.testing.assert_allclose(
        grouped.values["c"], flat.values[["c__c_x", "c__c_y"]].sum(axis=1)
    )
    np.testing.assert_allclose(grouped.values["d"], flat.values["remainder__d"])
    assert (grouped.values["e"] == 0).all()


def test_shap_series_row_keeps_category_dtype():
    X, y = _mixed()
    X["color"] = X["color"].astype("category")
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1, random_state=0)
    model.fit(X, y)
    row = X.iloc[7]
    assert row.dtype == object

    explanation = ShapExplainer(model, background=X).explain(row)

    expected, base = _shap_positive(model, X.iloc[[7]])
    np.testing.assert_allclose(explanation.values.to_numpy(), expected, atol=1e-6)
    assert explanation.base_values.iloc[0] == pytest.approx(base)


def test_shap_series_row_numeric_without_background():
    X, y = _numeric()
    model = xgb.XGBClassifier(n_estimators=20, random_state=0).fit(X, y)

    explanation = ShapExplainer(model).explain(X.iloc[3])

    expected, _ = _shap_positive(model, X.iloc[[3]])
    np.testing.assert_allclose(explanation.values.to_numpy(), expected, atol=1e-5)
    total = explanation.values.sum(axis=1) + explanation.base_values
    np.testing.assert_allclose(total, _raw_output(model, X.iloc[[3]]), rtol=1e-5)


@pytest.mark.parametrize("algorithm", ["linear", "permutation"])
def test_shap_single_row_needs_background(algorithm):
    X, y = _numeric()
    model = LogisticRegression().fit(X, y)

    with pytest.raises(ValueError, match="X has 1 row and background is None"):
        ShapExplainer(model, algorithm=algorithm).explain(X.iloc[[0]])


def test_shap_single_row_with_background_closed_form():
    X, y = _numeric()
    model = LogisticRegression().fit(X, y)
    explainer = ShapExplainer(model, background=X, background_size=len(X))

    explanation = explainer.explain(X.iloc[0])

    # Interventional linear SHAP: coef * (x - mean of the background).
    expected = model.coef_[0] * (X.iloc[0] - X.mean())
    np.testing.assert_allclose(explanation.values.iloc[0], expected, atol=1e-8)
    assert explanation.values.iloc[0].abs().sum() > 0


def test_shap_nan_input_raises_for_linear():
    X, y = _numeric()
    model = LogisticRegression().fit(X, y)
    X_missing = X.copy()
    X_missing.iloc[4, 2] = np.nan
    explainer = ShapExplainer(model, background=X, check_additivity=False)

    with pytest.raises(ValueError, match=r"NaN SHAP values .* \[4\] .* \['f2'\]"):
        explainer.explain(X_missing)


def test_shap_nan_input_allowed_for_trees():
    X, y = _numeric()
    X_missing = X.copy()
    X_missing.iloc[::7, 1] = np.nan
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    model.fit(X_missing, y)

    explanation = ShapExplainer(model).explain(X_missing)

    total = explanation.values.sum(axis=1) + explanation.base_values
    np.testing.assert_allclose(total, model.decision_function(X_missing), rtol=1e-5)


def test_shap_additivity_check_rejects_nan_output():
    from sktricks.explain._shap import _check_additivity

    values = np.zeros((2, 3, 1))
    base = np.zeros((2, 1))
    expected = np.array([[0.0], [np.nan]])

    with pytest.raises(ValueError, match="for row 1"):
        _check_additivity(values, base, expected, "margin")


def _with_missing(n=300, seed=0):
    X, y = _mixed(n, seed)
    X["income"] = X["income"].where(X["age"] % 5 != 0)
    return X, y


@pytest.mark.parametrize(
    "numeric",
    [
        SimpleImputer(add_indicator=True),
        FeatureUnion(
            [("impute", SimpleImputer()), ("flag", MissingIndicator())],
            verbose_feature_names_out=False,
        ),
    ],
    ids=["add_indicator", "missing_indicator"],
)
def test_shap_grouping_missing_indicator_columns(numeric):
    X, y = _with_missing()
    preprocess = ColumnTransformer(
        [
            ("num", numeric, ["income", "age"]),
            ("cat", OneHotEncoder(), ["color", "size"]),
        ],
        verbose_feature_names_out=False,
    )
    model = Pipeline([("pre", preprocess), ("lr", LogisticRegression())]).fit(X, y)

    grouped = ShapExplainer(model, random_state=0).explain(X)
    transformed = ShapExplainer(model, grouping="transformed", random_state=0)
    flat = transformed.explain(X).values

    names = list(flat.columns)
    assert "missingindicator_income" in names
    income = flat["income"] + flat["missingindicator_income"]
    np.testing.assert_allclose(grouped.values["income"], income, atol=1e-10)
    colors = [c for c in names if c.startswith("color_")]
    np.testing.assert_allclose(
        grouped.values["color"], flat[colors].sum(axis=1), atol=1e-10
    )
    total = grouped.values.sum(axis=1) + grouped.base_values
    np.testing.assert_allclose(total, model.decision_function(X), rtol=1e-6)


def test_shap_binary_negative_class_probability():
    X, y = _numeric()
    labels = np.where(y == 1, "yes", "no")
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, labels)

    values, base = ShapExplainer(model).explain(X).frame("no")

    explainer = shap.TreeExplainer(model)
    direct = np.asarray(explainer.shap_values(X, check_additivity=False))
    np.testing.assert_allclose(values.to_numpy(), direct[:, :, 0], atol=1e-8)
    np.testing.assert_allclose(base, explainer.expected_value[0], atol=1e-8)
    total = values.sum(axis=1) + base
    np.testing.assert_allclose(total, model.predict_proba(X)[:, 0], atol=1e-8)


def test_shap_binary_negative_class_margin():
    X, y = _numeric()
    model = LogisticRegression().fit(X, y)
    explanation = ShapExplainer(model).explain(X)

    values, base = explanation.frame(0)

    total = values.sum(axis=1) + base
    np.testing.assert_allclose(total, -model.decision_function(X), atol=1e-8)
    importance = explanation.global_importance(label=0)
    pd.testing.assert_series_equal(importance, explanation.global_importance())


def test_shap_binary_unknown_label_raises():
    X, y = _numeric()
    model = LogisticRegression().fit(X, y)
    explanation = ShapExplainer(model).explain(X)

    with pytest.raises(ValueError, match=r"label=5 is invalid; use one of"):
        explanation.frame(5)


@pytest.mark.parametrize(
    "model",
    [
        HistGradientBoostingRegressor(loss="poisson", max_iter=20, random_state=0),
        HistGradientBoostingRegressor(loss="gamma", max_iter=20, random_state=0),
        lgb.LGBMRegressor(objective="poisson", n_estimators=20, verbose=-1),
        xgb.XGBRegressor(objective="count:poisson", n_estimators=20),
    ],
    ids=["hgb_poisson", "hgb_gamma", "lightgbm_poisson", "xgboost_poisson"],
)
def test_shap_log_link_regressor_margin(model):
    X, _ = _numeric()
    y = np.exp(0.5 * X["f0"] - 0.3 * X["f1"])
    model.fit(X, y)

    explanation = ShapExplainer(model).explain(X)

    assert explanation.output == "margin"
    total = explanation.values.sum(axis=1) + explanation.base_values
    np.testing.assert_allclose(np.exp(total), model.predict(X), rtol=1e-4)
    direct = shap.TreeExplainer(model).shap_values(X, check_additivity=False)
    np.testing.assert_allclose(explanation.values.to_numpy(), direct, atol=1e-6)


@pytest.mark.parametrize(
    "encoder",
    [
        OneHotEncoder(feature_name_combiner=lambda feature, category: str(category)),
        OneHotEncoder(),
        OneHotEncoder(drop="first"),
    ],
    ids=["custom_names", "name_collision", "drop_first"],
)
def test_shap_grouping_one_hot_by_counts(encoder):
    rng = np.random.default_rng(0)
    n = 300
    # "a" has a category "b_x", so its output "a_b_x" also looks like a
    # category "x" of the input "a_b".
    X = pd.DataFrame(
        {
            "a": rng.choice(["b_x", "c", "d"], n),
            "a_b": rng.choice(["x", "y"], n),
            "num": rng.normal(size=n),
        }
    )
    y = ((X["a"] == "b_x") ^ (X["num"] > 0)).astype(int)
    preprocess = ColumnTransformer(
        [("cat", encoder, ["a", "a_b"])], remainder="passthrough"
    )
    model = Pipeline([("pre", preprocess), ("lr", LogisticRegression())]).fit(X, y)

    grouped = ShapExplainer(model, random_state=0).explain(X).values
    flat = ShapExplainer(model, grouping="transformed", random_state=0)
    flat = flat.explain(X).values

    # Positions, not names: with the collision two outputs share a name.
    fitted = model[0].named_transformers_["cat"]
    n_a = len(fitted.categories_[0]) - (fitted.drop is not None)
    np.testing.assert_allclose(grouped["a"], flat.iloc[:, :n_a].sum(axis=1))
    np.testing.assert_allclose(grouped["a_b"], flat.iloc[:, n_a:-1].sum(axis=1))
    np.testing.assert_allclose(grouped["num"], flat.iloc[:, -1])
