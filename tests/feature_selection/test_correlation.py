"""Tests for CorrelationSelector."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import pearsonr
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sktricks.feature_selection import CorrelationSelector
from sktricks.feature_selection._correlation import (
    correlation_matrix,
    target_relevance,
)


def _with_missing(values: np.ndarray, share: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = values.copy()
    values[rng.random(values.shape) < share] = np.nan
    return values


def _grouped_frame(n_rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """Four latent signals with scaled noisy copies, plus independent noise."""
    rng = np.random.default_rng(seed)
    columns = {}
    for group in range(4):
        latent = rng.normal(size=n_rows)
        for copy, scale in enumerate((1.0, 2.0, 0.5)):
            noise = rng.normal(scale=0.05, size=n_rows)
            columns[f"g{group}_{copy}"] = scale * (latent + noise)
    for i in range(4):
        columns[f"noise{i}"] = rng.normal(size=n_rows)
    return pd.DataFrame(columns)


def _brute_force_selection(X, y, threshold, keep, min_periods):
    """Select with a plain loop over column pairs, independent of the class."""
    names = list(X.columns)
    values = {name: X[name].to_numpy(dtype=float) for name in names}

    def pair_correlation(a, b):
        both = ~np.isnan(a) & ~np.isnan(b)
        if both.sum() < min_periods or np.ptp(a[both]) == 0 or np.ptp(b[both]) == 0:
            return np.nan
        return np.corrcoef(a[both], b[both])[0, 1]

    def score(name):
        column = values[name]
        if keep == "variance":
            return np.nanvar(column)
        if keep == "missing":
            return -np.isnan(column).sum()
        present = ~np.isnan(column)
        return abs(np.corrcoef(column[present], y[present])[0, 1])

    ranked = sorted(names, key=lambda name: (-score(name), name))
    grouped: set[str] = set()
    kept = []
    for name in ranked:
        if name in grouped:
            continue
        kept.append(name)
        grouped.add(name)
        for other in ranked:
            if other not in grouped:
                correlation = pair_correlation(values[name], values[other])
                if abs(correlation) >= threshold:
                    grouped.add(other)
    return sorted(kept)


@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
@pytest.mark.parametrize("missing_share", [0.0, 0.2])
def test_correlation_matrix_matches_pandas(method, missing_share):
    X = _grouped_frame(n_rows=120).to_numpy()
    X = _with_missing(X, missing_share, seed=1)
    X[:, 3] = 5.0  # a constant column correlates with nothing

    ours = correlation_matrix(X, method, min_periods=5)
    expected = pd.DataFrame(X).corr(method=method, min_periods=5).to_numpy()

    np.testing.assert_allclose(ours, expected, atol=1e-10, equal_nan=True)


@pytest.mark.parametrize("missing_share", [0.0, 0.1])
def test_constant_column_with_inexact_value_correlates_with_nothing(missing_share):
    # 0.1 has no exact binary form, so its computed mean can differ from it
    # in the last bit and leave a residue that is not variation.
    rng = np.random.default_rng(23)
    X = _with_missing(rng.normal(size=(60, 3)), missing_share, seed=24)
    X[:, 1] = 0.1
    y_float = rng.normal(size=60)
    y_class = rng.integers(0, 2, size=60)

    correlation = correlation_matrix(X, "pearson", min_periods=5)
    expected = pd.DataFrame(X).corr(min_periods=5).to_numpy()

    assert np.isnan(correlation[1]).all()
    np.testing.assert_allclose(correlation, expected, atol=1e-10, equal_nan=True)
    assert np.isnan(target_relevance(X, y_float, "pearson")[1])
    assert np.isnan(target_relevance(X, y_class, "pearson")[1])


def test_correlation_matrix_min_periods_masks_small_overlaps():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    X[5:, 2] = np.nan  # only five rows overlap with the other columns

    ours = correlation_matrix(X, "pearson", min_periods=6)
    expected = pd.DataFrame(X).corr(min_periods=6).to_numpy()

    np.testing.assert_allclose(ours, expected, equal_nan=True)
    assert np.isnan(ours[0, 2])


def test_relevance_continuous_matches_pandas_corrwith():
    X = _with_missing(_grouped_frame(n_rows=150).to_numpy(), 0.1, seed=3)
    y = np.random.default_rng(4).normal(size=150) + np.nan_to_num(X[:, 0])

    for method in ("pearson", "spearman", "kendall"):
        ours = target_relevance(X, y, method)
        expected = pd.DataFrame(X).corrwith(pd.Series(y), method=method).abs()
        np.testing.assert_allclose(ours, expected.to_numpy(), atol=1e-10)


def test_relevance_binary_equals_point_biserial():
    X = _with_missing(_grouped_frame(n_rows=150).to_numpy(), 0.1, seed=5)
    y = np.where(np.random.default_rng(6).random(150) < 0.4, "yes", "no")

    ours = target_relevance(X, y, "pearson")

    for j in range(X.shape[1]):
        present = ~np.isnan(X[:, j])
        expected = abs(pearsonr(X[present, j], y[present] == "yes").statistic)
        assert ours[j] == pytest.approx(expected, abs=1e-10)


def test_relevance_multiclass_matches_group_means_loop():
    rng = np.random.default_rng(7)
    X = _with_missing(rng.normal(size=(200, 5)), 0.15, seed=8)
    y = rng.integers(0, 4, size=200)
    X[:, 0] += y  # one column that the classes explain well

    ours = target_relevance(X, y, "pearson")

    for j in range(X.shape[1]):
        present = ~np.isnan(X[:, j])
        values, classes = X[present, j], y[present]
        mean = values.mean()
        between = sum(
            (classes == k).sum() * (values[classes == k].mean() - mean) ** 2
            for k in np.unique(classes)
        )
        total = ((values - mean) ** 2).sum()
        assert ours[j] == pytest.approx(np.sqrt(between / total), abs=1e-10)
    assert np.argmax(ours) == 0


@pytest.mark.parametrize("keep", ["target", "variance", "missing"])
@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.95])
def test_correlation_selector_matches_brute_force(keep, threshold):
    X = _grouped_frame(n_rows=200, seed=9)
    X = pd.DataFrame(_with_missing(X.to_numpy(), 0.05, seed=10), columns=X.columns)
    y = np.nan_to_num(X["g0_0"].to_numpy()) + np.random.default_rng(11).normal(size=200)

    selector = CorrelationSelector(threshold=threshold, keep=keep).fit(X, y)

    expected = _brute_force_selection(X, y, threshold, keep, min_periods=10)
    assert sorted(selector.get_feature_names_out()) == expected


@pytest.mark.parametrize("keep", ["target", "variance", "missing"])
def test_correlation_selector_ignores_column_order(keep):
    X = _grouped_frame(n_rows=200, seed=12)
    # Exact ties: duplicated columns under other names, and a column whose
    # variance, missing count and relevance equal those of its twin.
    X["dup_a"] = X["g1_0"]
    X["dup_b"] = X["g1_0"]
    X["neg_twin"] = -X["g2_1"]
    y = X["g1_0"].to_numpy() + np.random.default_rng(13).normal(size=200)
    reference = CorrelationSelector(threshold=0.9, keep=keep).fit(X, y)
    expected = sorted(reference.get_feature_names_out())

    rng = np.random.default_rng(14)
    for _ in range(10):
        order = rng.permutation(X.columns)
        selector = CorrelationSelector(threshold=0.9, keep=keep).fit(X[order], y)
        assert sorted(selector.get_feature_names_out()) == expected
        assert selector.correlated_groups_ == reference.correlated_groups_


def test_correlation_selector_order_example_from_feature_engine_report():
    # b correlates about 0.71 with c and with d, c and d do not correlate,
    # and a correlates with none. Keeping the highest variance keeps b and
    # a in every column order; a first-come loop keeps a, c and d for some.
    X = pd.DataFrame(
        {
            "a": [1, -1, 0, 0, 0, 0],
            "b": [0, 0, 1, -1, 1, -1],
            "c": [0, 0, 1, -1, 0, 0],
            "d": [0, 0, 0, 0, 1, -1],
        }
    )
    for order in (["a", "b", "c", "d"], ["a", "c", "b", "d"], ["d", "c", "b", "a"]):
        selector = CorrelationSelector(threshold=0.7, keep="variance", min_periods=2)
        selector.fit(X[order])
        assert sorted(selector.get_feature_names_out()) == ["a", "b"]


def test_correlation_selector_groups_are_not_chained():
    # a~b and b~c but not a~c: b ranks first and takes a and c. With a
    # ranked first instead, c stays because it does not correlate with a.
    rng = np.random.default_rng(15)
    a, c = rng.normal(size=500), rng.normal(size=500)
    b = a + c
    X = pd.DataFrame({"a": a, "b": 2 * b, "c": c})
    selector = CorrelationSelector(threshold=0.6, keep="missing").fit(X)

    assert selector.get_feature_names_out().tolist() == ["a", "c"]
    assert selector.correlated_groups_ == [["a", "b"]]

    kept = X[selector.get_feature_names_out()].corr().abs().to_numpy()
    assert (kept[~np.eye(kept.shape[0], dtype=bool)] < 0.6).all()


def test_correlation_selector_invariants_hold():
    X = _grouped_frame(n_rows=250, seed=16)
    selector = CorrelationSelector(threshold=0.8, keep="variance").fit(X)
    correlation = X.corr().abs()
    kept = list(selector.get_feature_names_out())
    dropped = [c for c in X.columns if c not in kept]

    for name in dropped:
        assert correlation.loc[name, kept].max() >= 0.8, name
    for i, first in enumerate(kept):
        for second in kept[i + 1 :]:
            assert correlation.loc[first, second] < 0.8
    # Each latent group keeps exactly one column, and the noise stays.
    assert len(kept) == 8
    assert {f"noise{i}" for i in range(4)} <= set(kept)


def test_correlation_selector_passes_non_numeric_columns_through():
    rng = np.random.default_rng(17)
    n_rows = 100
    base = rng.normal(size=n_rows)
    X = pd.DataFrame(
        {
            "x": base,
            "x_copy": base * 3,
            "city": pd.Categorical(rng.choice(["a", "b", None], size=n_rows)),
            "text": rng.choice(["u", "v"], size=n_rows).astype(object),
            "when": pd.date_range("2024-01-01", periods=n_rows, freq="D"),
            "count": pd.array(np.where(base > 0, 1, None), dtype="Int64"),
            "flag": pd.array(np.where(base > 0, True, None), dtype="boolean"),
        },
        index=pd.RangeIndex(50, 50 + n_rows),
    )
    selector = CorrelationSelector(keep="variance").set_output(transform="pandas")

    out = selector.fit(X).transform(X)

    assert out.columns.tolist() == ["x_copy", "city", "text", "when", "count", "flag"]
    assert np.isnan(selector.scores_[2:5]).all()
    assert out.index.equals(X.index)
    pd.testing.assert_frame_equal(out, X[out.columns])


def test_correlation_selector_int64_and_boolean_count_as_numeric():
    base = np.arange(30, dtype=float)
    X = pd.DataFrame(
        {
            "float": base,
            "int64": pd.array(np.where(base % 7 == 0, None, base), dtype="Int64"),
            "bool": base > 14,
            "flag": pd.array(np.where(base > 14, True, False), dtype="boolean"),
        }
    )

    selector = CorrelationSelector(threshold=0.99, keep="missing").fit(X)

    # Ties in the missing count go by name, so "bool" ranks before "float".
    assert selector.correlated_groups_ == [["bool", "flag"], ["float", "int64"]]


def test_correlation_selector_agrees_with_feature_engine():
    selection = pytest.importorskip("feature_engine.selection")
    X = _grouped_frame(n_rows=400, seed=18)

    ours = CorrelationSelector(threshold=0.8, keep="variance").fit(X)
    peer = selection.SmartCorrelatedSelection(
        threshold=0.8, selection_method="variance"
    ).fit(X)

    expected = sorted(c for c in X.columns if c not in peer.features_to_drop_)
    assert sorted(ours.get_feature_names_out()) == expected


def test_correlation_selector_wide_data_is_fast():
    # 500 columns of 2,000 rows with missing values: the matrix products take
    # well under a second; a loop over the 125,000 pairs takes far longer.
    import time

    rng = np.random.default_rng(19)
    X = _with_missing(rng.normal(size=(2000, 500)), 0.05, seed=20)
    y = rng.normal(size=2000)

    start = time.perf_counter()
    CorrelationSelector().fit(X, y)
    assert time.perf_counter() - start < 10


def test_correlation_selector_rejects_bad_input():
    X = pd.DataFrame({"a": [1.0, 2.0, np.inf], "b": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"infinity in columns \['a'\]"):
        CorrelationSelector(keep="variance").fit(X)

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
    with pytest.raises(ValueError, match="requires y to be passed"):
        CorrelationSelector().fit(X)
    with pytest.raises(ValueError, match="y contains NaN"):
        CorrelationSelector().fit(X, [1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="threshold"):
        CorrelationSelector(threshold=0.0).fit(X, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="unique column names"):
        CorrelationSelector(keep="variance").fit(X.rename(columns={"b": "a"}))


def test_correlation_selector_rejects_reordered_columns_at_transform():
    X = _grouped_frame(n_rows=50)
    selector = CorrelationSelector(keep="variance").fit(X)

    with pytest.raises(ValueError, match="same order"):
        selector.transform(X[X.columns[::-1]])
    with pytest.raises(ValueError, match="missing"):
        selector.transform(X.drop(columns=["noise0"]))


def test_correlation_selector_in_pipeline_after_column_transformer():
    X = _grouped_frame(n_rows=200, seed=21)
    X["city"] = np.random.default_rng(22).choice(["a", "b"], size=200)
    y = (X["g0_0"] > 0).astype(int)
    numeric = [c for c in X.columns if c != "city"]
    preprocess = ColumnTransformer(
        [
            ("scale", StandardScaler(), numeric),
            ("onehot", OneHotEncoder(sparse_output=False), ["city"]),
        ],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    pipeline = make_pipeline(
        preprocess, CorrelationSelector(threshold=0.9), LogisticRegression()
    ).set_output(transform="pandas")

    pipeline.fit(X, y)

    seen = pipeline[-1].feature_names_in_.tolist()
    # One column per latent group and the four noise columns; city_a and
    # city_b are exactly anti-correlated, so one of them goes too.
    assert len(seen) == 4 + 4 + 1
    assert pipeline.score(X, y) > 0.9


@pytest.mark.parametrize("keep", ["target", "variance", "missing"])
@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
@pytest.mark.parametrize("target_kind", ["continuous", "classes"])
def test_correlation_selector_all_nan_column_is_kept_silently(
    keep, method, target_kind
):
    import warnings

    rng = np.random.default_rng(25)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=50),
            "empty": np.full(50, np.nan),
            "b": rng.normal(size=50),
        }
    )
    X["a_twice"] = 2 * X["a"]
    y = rng.normal(size=50) if target_kind == "continuous" else rng.integers(0, 3, 50)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        selector = CorrelationSelector(keep=keep, method=method).fit(X, y)

    kept = selector.get_feature_names_out().tolist()
    assert "empty" in kept
    assert "b" in kept
    assert ("a" in kept) != ("a_twice" in kept)
