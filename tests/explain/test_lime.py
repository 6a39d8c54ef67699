"""Tests for LimeExplainer: mixed-type data, pipelines, reproducibility and
agreement with LIME run directly."""

import lightgbm as lgb
import matplotlib
import numpy as np
import pandas as pd
import pytest
from lime.lime_tabular import LimeTabularExplainer
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sktricks.explain import LimeExplainer, LimeExplanation

matplotlib.use("Agg")


def _mixed(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "income": rng.normal(50, 10, n),
            "age": rng.integers(18, 80, n),
            "color": pd.Series(rng.choice(["red", "green", "blue"], n), dtype="str"),
            "size": pd.Categorical(rng.choice(["s", "m", "l"], n)),
            "constant": np.full(n, 7.0),
            "rare": np.r_[np.zeros(n - 3), np.ones(3)],
        }
    )
    y = ((X["income"] > 50) ^ (X["color"] == "red")).astype(int)
    return X, y


def _pipeline(X, y):
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["income", "age", "constant", "rare"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["color", "size"]),
        ]
    )
    return Pipeline([("pre", pre), ("model", LogisticRegression())]).fit(X, y)


def test_lime_string_and_category_columns_in_pipeline():
    X, y = _mixed()
    pipeline = _pipeline(X, y)

    explanation = LimeExplainer(pipeline, X, random_state=0).explain(
        X.iloc[0], num_features=6
    )

    assert isinstance(explanation, LimeExplanation)
    assert list(explanation.columns) == ["feature", "weight"]
    features = list(explanation["feature"])
    assert f"color={X['color'].iloc[0]}" in features
    assert f"size={X['size'].iloc[0]}" in features
    assert any(f.startswith("income") or " income " in f for f in features)
    assert explanation.label == pipeline.predict(X.iloc[[0]])[0]
    assert 0.0 <= explanation.score <= 1.0


def test_lime_model_receives_training_dtypes():
    from sklearn.preprocessing import FunctionTransformer

    X, y = _mixed()
    seen = []

    def record(data):
        seen.append(data.dtypes.copy())
        return data

    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["income", "age"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["color", "size"]),
        ]
    )
    pipeline = make_pipeline(
        FunctionTransformer(record), pre, LogisticRegression()
    ).fit(X, y)
    seen.clear()

    LimeExplainer(pipeline, X, random_state=0).explain(X.iloc[3], num_samples=200)

    assert seen
    for dtypes in seen:
        pd.testing.assert_series_equal(dtypes, X.dtypes)


def test_lime_constant_columns_get_zero_weight():
    X, y = _mixed()
    pipeline = _pipeline(X, y)

    explanation = LimeExplainer(pipeline, X, random_state=0).explain(
        X.iloc[5], num_features=6
    )

    weights = dict(zip(explanation["feature"], explanation["weight"], strict=True))
    assert weights.get("constant=7.0", 0.0) == 0.0
    assert np.isfinite(explanation["weight"]).all()
    assert any(f.startswith("rare") for f in weights)


def test_lime_same_seed_same_explanation():
    X, y = _mixed()
    pipeline = _pipeline(X, y)
    explainer = LimeExplainer(pipeline, X, random_state=7)

    first = explainer.explain(X.iloc[2])
    second = explainer.explain(X.iloc[2])
    again = LimeExplainer(pipeline, X, random_state=7).explain(X.iloc[2])
    other = LimeExplainer(pipeline, X, random_state=8).explain(X.iloc[2])

    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(first, again)
    assert first.score == second.score
    assert not np.allclose(
        first.sort_values("feature")["weight"], other.sort_values("feature")["weight"]
    )


def test_lime_explain_many_same_for_any_n_jobs():
    X, y = _mixed()
    pipeline = _pipeline(X, y)
    explainer = LimeExplainer(pipeline, X, random_state=0)
    rows = X.iloc[:4]

    serial = explainer.explain_many(rows, num_samples=500)
    parallel = explainer.explain_many(rows, num_samples=500, n_jobs=2)
    single = explainer.explain(rows.iloc[2], num_samples=500)

    assert len(serial) == 4
    for left, right in zip(serial, parallel, strict=True):
        pd.testing.assert_frame_equal(left, right)
    pd.testing.assert_frame_equal(serial[2], single)


def test_lime_matches_lime_directly_on_numeric_data():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=list("abcd"))
    y = (X["a"] - X["b"] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    row = X.iloc[10]

    ours = LimeExplainer(model, X, random_state=42).explain(row, num_features=4)
    peer = LimeTabularExplainer(
        X.to_numpy(),
        feature_names=list(X.columns),
        class_names=["0", "1"],
        random_state=42,
    )
    label = int(model.predict(X.iloc[[10]])[0])
    result = peer.explain_instance(
        row.to_numpy(),
        lambda data: model.predict_proba(pd.DataFrame(data, columns=X.columns)),
        labels=(label,),
        num_features=4,
    )

    expected = pd.DataFrame(result.as_list(label=label), columns=["feature", "weight"])
    pd.testing.assert_frame_equal(pd.DataFrame(ours), expected)
    assert ours.score == pytest.approx(result.score)


def test_lime_regression_linear_model_signs():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["up", "down", "noise"])
    model = LinearRegression().fit(X, 3 * X["up"] - 2 * X["down"])

    explanation = LimeExplainer(
        model, X, discretize_continuous=False, random_state=0
    ).explain(X.iloc[0], num_features=3)

    weights = dict(zip(explanation["feature"], explanation["weight"], strict=True))
    # Without discretisation LIME fits on standardised columns, so each weight
    # is the coefficient times the column's standard deviation, up to the
    # shrinkage of LIME's Ridge(alpha=1) over 5000 samples.
    assert weights["up"] == pytest.approx(3 * X["up"].std(ddof=0), rel=2e-3)
    assert weights["down"] == pytest.approx(-2 * X["down"].std(ddof=0), rel=2e-3)
    assert abs(weights["noise"]) < 1e-2
    assert explanation.label is None
    assert explanation.local_prediction == pytest.approx(
        model.predict(X.iloc[[0]])[0], rel=1e-2
    )


def test_lime_nan_raises_naming_column():
    X, y = _mixed()
    pipeline = _pipeline(X, y)
    with_nan = X.copy()
    with_nan.loc[4, "income"] = np.nan

    with pytest.raises(
        ValueError, match=r"training_data has NaN in the columns \['income'\]"
    ):
        LimeExplainer(pipeline, with_nan)
    explainer = LimeExplainer(pipeline, X, random_state=0)
    with pytest.raises(ValueError, match=r"row has NaN in the columns \['income'\]"):
        explainer.explain(with_nan.iloc[4])


def test_lime_nan_allowed_when_pipeline_imputes():
    X, y = _mixed()
    X.loc[[1, 4, 9], "income"] = np.nan
    pre = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(), StandardScaler()),
                ["income", "age"],
            ),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["color"]),
        ]
    )
    pipeline = make_pipeline(pre, LogisticRegression()).fit(X, y)

    explanation = LimeExplainer(pipeline, X, random_state=0).explain(X.iloc[4])

    assert np.isfinite(explanation["weight"]).all()


def test_lime_unseen_label_and_bad_arguments():
    X, y = _mixed()
    pipeline = _pipeline(X, y)
    explainer = LimeExplainer(pipeline, X, random_state=0)
    row = X.iloc[0].copy()
    row["color"] = "purple"

    with pytest.raises(ValueError, match="'color' has the value 'purple'"):
        explainer.explain(row)
    with pytest.raises(ValueError, match="label=5 is not a class"):
        explainer.explain(X.iloc[0], label=5)
    with pytest.raises(ValueError, match=r"missing the training columns \['age'\]"):
        explainer.explain(X.iloc[0].drop("age"))
    with pytest.raises(ValueError, match="mode='ranking' is invalid"):
        LimeExplainer(pipeline, X, mode="ranking")
    with pytest.raises(ValueError, match="training_data has 1 rows"):
        LimeExplainer(pipeline, X.iloc[:1])


def test_lime_explicit_label_and_plot():
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=list("abc"))
    y = np.digitize(X["a"], [-0.5, 0.5])
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    explainer = LimeExplainer(model, X, random_state=0)
    open_before = plt.get_fignums()

    explanation = explainer.explain(X.iloc[0], label=2, num_samples=500)
    figure = explainer.plot(explanation)

    assert explanation.label == 2
    assert isinstance(figure, Figure)
    assert plt.get_fignums() == open_before


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("num_features", 0),
        ("num_features", -1),
        ("num_features", 2.5),
        ("num_features", True),
        ("num_samples", 0),
        ("num_samples", -5),
    ],
)
def test_lime_explain_rejects_bad_counts(argument, value):
    X, y = _mixed()
    explainer = LimeExplainer(_pipeline(X, y), X, random_state=0)
    message = rf"{argument}={value!r} is invalid; use an integer >= 1"

    with pytest.raises(ValueError, match=message):
        explainer.explain(X.iloc[0], **{argument: value})
    with pytest.raises(ValueError, match=message):
        explainer.explain_many(X.iloc[:2], n_jobs=2, **{argument: value})


def test_lime_one_sample_and_one_feature_allowed():
    X, y = _mixed()
    explainer = LimeExplainer(_pipeline(X, y), X, random_state=0)

    explanation = explainer.explain(X.iloc[0], num_features=1, num_samples=1)

    assert len(explanation) == 1


@pytest.mark.parametrize("kernel_width", [0, -1, -0.5, np.inf, np.nan, "wide"])
def test_lime_rejects_bad_kernel_width(kernel_width):
    X, y = _mixed()
    pipeline = _pipeline(X, y)

    with pytest.raises(ValueError, match=r"kernel_width=.* is invalid; use a finite"):
        LimeExplainer(pipeline, X, kernel_width=kernel_width)


def test_lime_categorical_features_bare_string_is_one_column():
    X, y = _mixed()
    X = X.drop(columns="size")
    pipeline = Pipeline(
        [
            (
                "pre",
                ColumnTransformer(
                    [("cat", OneHotEncoder(), ["color"])], remainder="passthrough"
                ),
            ),
            ("model", LogisticRegression(max_iter=500)),
        ]
    ).fit(X, y)

    from_string = LimeExplainer(pipeline, X, categorical_features="color")
    from_list = LimeExplainer(pipeline, X, categorical_features=["color"])

    assert from_string._codec.categorical == ["color"]
    assert from_list._codec.categorical == ["color"]


def test_lime_categorical_features_must_list_text_columns():
    X, y = _mixed()
    pipeline = _pipeline(X, y)

    with pytest.raises(
        ValueError, match=r"leaves out the non-numeric columns \['size'\]"
    ):
        LimeExplainer(pipeline, X, categorical_features="color")
    with pytest.raises(ValueError, match=r"columns \['color', 'size'\]; add them"):
        LimeExplainer(pipeline, X, categorical_features=[])
    with pytest.raises(TypeError, match="categorical_features=3 is invalid"):
        LimeExplainer(pipeline, X, categorical_features=3)


def test_lime_nan_in_integer_column_raises():
    X, y = _mixed()
    explainer = LimeExplainer(_pipeline(X, y), X, random_state=0)
    row = X.iloc[0].to_dict()
    row["age"] = np.nan

    with pytest.raises(ValueError, match=r"row has NaN in the columns \['age'\]"):
        explainer.explain(row)


def test_lime_nan_in_integer_column_filled_with_median():
    # An odd number of rows makes the median of the integer column an integer.
    X, y = _mixed(n=301)
    pre = ColumnTransformer(
        [
            ("num", SimpleImputer(), ["income", "age"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["color"]),
        ]
    )
    pipeline = make_pipeline(pre, LogisticRegression(max_iter=1000)).fit(X, y)
    explainer = LimeExplainer(pipeline, X, random_state=0)
    missing = X.iloc[[0]].astype({"age": float})
    missing.loc[missing.index[0], "age"] = np.nan
    filled = X.iloc[[0]].copy()
    filled.loc[filled.index[0], "age"] = int(np.median(X["age"]))

    explanation = explainer.explain(missing, num_samples=500)

    expected = explainer.explain(filled, num_samples=500)
    pd.testing.assert_frame_equal(explanation, expected)
    assert explanation.label == expected.label


def _mixed_array_model(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "color": rng.choice(["u", "v", "w"], n),
            "level": rng.integers(0, 3, n),
        }
    )
    y = ((X["num"] > 0) ^ (X["color"] == "u")).astype(int)
    pre = ColumnTransformer(
        [("cat", OneHotEncoder(), ["color"])], remainder="passthrough"
    )
    return X, make_pipeline(pre, LogisticRegression()).fit(X, y)


def test_lime_object_array_keeps_numbers_numeric():
    X, model = _mixed_array_model()
    array = X.to_numpy()
    assert array.dtype == object

    explanation = LimeExplainer(model, array, random_state=0).explain(array[0])

    expected = LimeExplainer(model, X, random_state=0).explain(X.iloc[0])
    pd.testing.assert_frame_equal(explanation, expected)
    num_label = next(f for f in explanation["feature"] if "num" in f)
    assert "num=" not in num_label


def test_lime_categorical_features_as_positions():
    X, model = _mixed_array_model()

    by_position = LimeExplainer(
        model, X, categorical_features=[1, 2], random_state=0
    ).explain(X.iloc[0])

    by_name = LimeExplainer(
        model, X, categorical_features=["color", "level"], random_state=0
    ).explain(X.iloc[0])
    pd.testing.assert_frame_equal(by_position, by_name)
    assert "level=" in " ".join(by_position["feature"])
    with pytest.raises(ValueError, match=r"\[7\] .* positions from 0 to 2"):
        LimeExplainer(model, X, categorical_features=[1, 7])
