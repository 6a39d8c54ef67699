"""Tests for QuasiConstantSelector and MissingRateSelector."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import VarianceThreshold
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sktricks.feature_selection import MissingRateSelector, QuasiConstantSelector

_MISSING = object()


def _brute_force_frequency(column: pd.Series, dropna: bool) -> float:
    # One Python loop over the cells: every missing marker becomes the same
    # key, other cells are compared by equality.
    counts: Counter = Counter()
    for value in column.tolist():
        if pd.isna(value):
            if dropna:
                continue
            value = _MISSING
        counts[value] += 1
    total = sum(counts.values())
    return 1.0 if total == 0 else max(counts.values()) / total


def _brute_force_missing_rate(column: pd.Series) -> float:
    return sum(1 for value in column.tolist() if pd.isna(value)) / len(column)


def _mixed_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n_rows = 200
    float_values = rng.choice([0.0, 1.0, np.nan], size=n_rows, p=[0.9, 0.05, 0.05])
    return pd.DataFrame(
        {
            "all_nan": np.full(n_rows, np.nan),
            "float_nan": float_values,
            "constant": np.ones(n_rows),
            "category_nan": pd.Categorical(
                rng.choice(["a", "b", None], size=n_rows, p=[0.5, 0.1, 0.4]),
                categories=["a", "b", "unused"],
            ),
            "int64_na": pd.array(
                np.where(rng.random(n_rows) < 0.97, 3, None), dtype="Int64"
            ),
            "boolean_na": pd.array(
                rng.choice([True, False, None], size=n_rows, p=[0.6, 0.2, 0.2]),
                dtype="boolean",
            ),
            "bool": rng.random(n_rows) < 0.995,
            "strings": rng.choice(["x", "y", "z"], size=n_rows).astype(object),
            "strings_none_and_nan": pd.Series(
                rng.choice(["x", None, np.nan], size=n_rows, p=[0.5, 0.25, 0.25]),
                dtype=object,
            ),
            "string_dtype": pd.array(
                rng.choice(["u", None], size=n_rows, p=[0.98, 0.02]), dtype="string"
            ),
            "datetime_nat": pd.to_datetime(
                rng.choice(["2024-01-01", None], size=n_rows, p=[0.5, 0.5])
            ),
            "continuous": rng.normal(size=n_rows),
        },
        index=pd.RangeIndex(1000, 1000 + n_rows),
    )


@pytest.mark.parametrize("dropna", [False, True])
@pytest.mark.parametrize("max_frequency", [0.0, 0.5, 0.7, 0.95, 0.99, 1.0])
def test_quasi_constant_matches_brute_force(dropna, max_frequency):
    X = _mixed_frame()
    selector = QuasiConstantSelector(max_frequency=max_frequency, dropna=dropna)
    selector.fit(X)

    for i, name in enumerate(X.columns):
        expected = _brute_force_frequency(X[name], dropna)
        assert selector.frequencies_[i] == pytest.approx(expected), name
        assert selector.support_[i] == (expected <= max_frequency), name


@pytest.mark.parametrize("max_missing", [0.0, 0.03, 0.25, 0.5, 0.95, 1.0])
def test_missing_rate_matches_brute_force(max_missing):
    X = _mixed_frame()
    selector = MissingRateSelector(max_missing=max_missing).fit(X)

    for i, name in enumerate(X.columns):
        expected = _brute_force_missing_rate(X[name])
        assert selector.missing_rates_[i] == pytest.approx(expected), name
        assert selector.support_[i] == (expected <= max_missing), name


def test_quasi_constant_all_nan_column_dropped_both_ways():
    X = pd.DataFrame({"empty": [np.nan] * 5, "values": [1.0, 2.0, 3.0, 4.0, 5.0]})

    for dropna in (False, True):
        selector = QuasiConstantSelector(dropna=dropna).fit(X)
        assert selector.frequencies_[0] == 1.0
        assert selector.get_feature_names_out().tolist() == ["values"]


def test_quasi_constant_missing_is_its_own_value():
    # Two values and NaN in equal parts: with dropna=False NaN is a third
    # value (share 1/3), with dropna=True the share is 1/2 of the present rows.
    X = pd.DataFrame({"a": [1.0, 1.0, 2.0, 2.0, np.nan, np.nan]})

    assert QuasiConstantSelector().fit(X).frequencies_[0] == pytest.approx(1 / 3)
    assert QuasiConstantSelector(dropna=True).fit(X).frequencies_[0] == 0.5


def test_quasi_constant_placeholder_text_not_merged_with_nan():
    # A filler value for NaN would merge real "missing_values" cells with
    # missing ones and report a share of 4/5 here.
    X = pd.DataFrame(
        {"text": ["missing_values", "missing_values", None, None, "x"]}, dtype=object
    )

    selector = QuasiConstantSelector(max_frequency=0.5).fit(X)

    assert selector.frequencies_[0] == pytest.approx(2 / 5)
    assert selector.support_[0]


def test_quasi_constant_share_equal_to_threshold_is_kept():
    X = pd.DataFrame({"a": [0] * 99 + [1], "b": [0] * 100})

    selector = QuasiConstantSelector(max_frequency=0.99).fit(X)

    assert selector.get_feature_names_out().tolist() == ["a"]


def test_quasi_constant_category_and_int64_with_missing():
    X = pd.DataFrame(
        {
            "category": pd.Categorical(["a", None, None, None], categories=["a", "b"]),
            "int64": pd.array([1, None, None, None], dtype="Int64"),
            "boolean": pd.array([True, None, None, None], dtype="boolean"),
        }
    )

    selector = QuasiConstantSelector(max_frequency=0.7).fit(X)

    np.testing.assert_allclose(selector.frequencies_, [0.75, 0.75, 0.75])
    assert selector.get_feature_names_out().tolist() == []


def test_quasi_constant_agrees_with_variance_threshold_on_constants():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 6))
    X[:, [1, 4]] = 7.0

    ours = QuasiConstantSelector(max_frequency=0.999).fit(X).get_support()
    theirs = VarianceThreshold(0.0).fit(X).get_support()

    np.testing.assert_array_equal(ours, theirs)


def test_quasi_constant_agrees_with_feature_engine():
    selection = pytest.importorskip("feature_engine.selection")
    rng = np.random.default_rng(2)
    n_rows = 400
    columns = {}
    for i, share in enumerate(np.linspace(0.5, 0.985, 12)):
        n_top = round(share * n_rows)
        n_second = (n_rows - n_top) // 2
        values = np.array(
            [0.0] * n_top + [1.0] * n_second + [np.nan] * (n_rows - n_top - n_second)
        )
        rng.shuffle(values)
        if i % 2:
            columns[f"c{i}"] = values
        else:
            labels = np.where(values == 0, "a", "b").astype(object)
            columns[f"c{i}"] = np.where(np.isnan(values), None, labels)
    X = pd.DataFrame(columns)
    # feature-engine drops a column when its top share is >= tol; ours drops
    # it when the share is > max_frequency. No share here is exactly 0.9.
    peer = selection.DropConstantFeatures(tol=0.9, missing_values="include").fit(X)
    ours = QuasiConstantSelector(max_frequency=0.9).fit(X)
    shares = ours.frequencies_

    assert not np.any(np.isclose(shares, 0.9))
    assert sorted(ours.get_feature_names_out()) == sorted(
        c for c in X.columns if c not in peer.features_to_drop_
    )


def test_filters_numpy_object_array_with_none_and_nan():
    X = np.array([["a", None], ["a", np.nan], ["a", 1.0], ["b", 2.0]], dtype=object)

    quasi = QuasiConstantSelector(max_frequency=0.6).fit(X)
    missing = MissingRateSelector(max_missing=0.4).fit(X)

    np.testing.assert_allclose(quasi.frequencies_, [0.75, 0.5])
    np.testing.assert_allclose(missing.missing_rates_, [0.0, 0.5])
    assert quasi.get_feature_names_out().tolist() == ["x1"]
    assert missing.get_feature_names_out().tolist() == ["x0"]


@pytest.mark.parametrize(
    "selector", [QuasiConstantSelector(max_frequency=0.9), MissingRateSelector(0.3)]
)
def test_filters_pandas_output_keeps_index_and_dtypes(selector):
    X = _mixed_frame()
    selector.set_output(transform="pandas").fit(X)

    out = selector.transform(X)

    kept = list(selector.get_feature_names_out())
    assert list(out.columns) == kept
    assert out.index.equals(X.index)
    pd.testing.assert_series_equal(out.dtypes, X[kept].dtypes)
    pd.testing.assert_frame_equal(out, X[kept])


@pytest.mark.parametrize("selector", [QuasiConstantSelector(), MissingRateSelector()])
def test_filters_reject_reordered_or_missing_columns(selector):
    X = _mixed_frame()
    selector.fit(X)

    with pytest.raises(ValueError, match="same order"):
        selector.transform(X[X.columns[::-1]])
    with pytest.raises(ValueError, match="missing"):
        selector.transform(X.drop(columns=["continuous"]))


@pytest.mark.parametrize("selector", [QuasiConstantSelector(), MissingRateSelector()])
def test_filters_reject_empty_frame(selector):
    with pytest.raises(ValueError, match="at least one row"):
        selector.fit(pd.DataFrame({"a": pd.Series([], dtype=float)}))


def test_filters_reject_invalid_threshold():
    with pytest.raises(ValueError, match="max_frequency"):
        QuasiConstantSelector(max_frequency=1.5).fit([[1.0]])
    with pytest.raises(ValueError, match="max_missing"):
        MissingRateSelector(max_missing=-0.1).fit([[1.0]])


def test_filters_in_pipeline_after_column_transformer():
    rng = np.random.default_rng(3)
    n_rows = 120
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n_rows),
            "constant": np.zeros(n_rows),
            "mostly_missing": np.where(rng.random(n_rows) < 0.97, np.nan, 1.0),
            "city": rng.choice(["a", "b"], size=n_rows),
        }
    )
    y = (X["x"] > 0).astype(int)
    preprocess = ColumnTransformer(
        [
            ("scale", StandardScaler(), ["x", "constant", "mostly_missing"]),
            ("onehot", OneHotEncoder(sparse_output=False), ["city"]),
        ],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    pipeline = make_pipeline(
        preprocess,
        QuasiConstantSelector(max_frequency=0.99),
        MissingRateSelector(max_missing=0.5),
        LogisticRegression(),
    ).set_output(transform="pandas")

    pipeline.fit(X, y)

    assert pipeline[-1].feature_names_in_.tolist() == ["x", "city_a", "city_b"]
    assert pipeline.score(X, y) > 0.9
