import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import make_pipeline
from scipy import sparse
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold

from sktricks.exceptions import SktricksWarning
from sktricks.sampling import GaussianNoiseSampler, MixupSampler, SwapNoiseSampler

SAMPLERS = [MixupSampler, SwapNoiseSampler, GaussianNoiseSampler]


def _mixed_frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
            "count": pd.array(rng.integers(0, 10, n), dtype="Int64"),
            "flag": pd.array(rng.random(n) > 0.5, dtype="boolean"),
            "name": pd.Series(rng.choice(["a", "b"], n), dtype="string"),
            "x": rng.normal(size=n),
        },
        index=pd.RangeIndex(100, 100 + n),
    )
    y = np.array([0] * (n - 8) + [1] * 8)
    return X, y


def _find_mix(row, originals):
    """Brute force: a pair (i, j) and lam with row == lam*x_i + (1-lam)*x_j."""
    for i in range(len(originals)):
        for j in range(len(originals)):
            if i == j:
                continue
            a, b = originals[i], originals[j]
            lam = (row[0] - b[0]) / (a[0] - b[0])
            if 0 <= lam <= 1 and np.allclose(row, lam * a + (1 - lam) * b):
                return i, j, lam
    return None


def test_mixup_rows_are_convex_combinations_within_class():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = np.array([0] * 24 + [1] * 6)
    X_res, y_res = MixupSampler(alpha=0.4, random_state=0).fit_resample(X, y)

    np.testing.assert_array_equal(X_res[:30], X)
    assert Counter(y_res) == {0: 24, 1: 24}
    minority = X[y == 1]
    for row in X_res[30:]:
        assert _find_mix(row, minority) is not None


def test_mixup_categorical_takes_larger_weight_row():
    # Two numeric columns identify the pair and lam; the category column
    # must then equal the category of the row with weight >= 0.5.
    X = pd.DataFrame(
        {
            "a": [0.0, 10.0, 20.0, 30.0, 40.0, 5.0, 15.0],
            "b": [1.0, 3.0, 7.0, 15.0, 31.0, 2.0, 4.0],
            "cat": pd.Categorical(["p", "q", "r", "s", "t", "u", "v"]),
        }
    )
    y = np.array([1, 1, 1, 1, 1, 0, 0])
    X_res, y_res = MixupSampler(
        alpha=1.0, sampling_strategy={0: 40}, random_state=0
    ).fit_resample(X, y)

    class_rows = X[y == 0].reset_index(drop=True)
    numeric = class_rows[["a", "b"]].to_numpy()
    for _, row in X_res.iloc[len(X) :].iterrows():
        i, j, lam = _find_mix(row[["a", "b"]].to_numpy(float), numeric)
        expected = class_rows["cat"][i] if lam >= 0.5 else class_rows["cat"][j]
        assert row["cat"] == expected
    assert Counter(y_res)[0] == 40


def test_mixup_regression_mixes_target_with_same_lambda():
    rng = np.random.default_rng(1)
    y = rng.normal(size=25)
    X = np.column_stack([y, 2 * y])
    X_res, y_res = MixupSampler(random_state=0).fit_resample(X, y)

    assert X_res.shape == (50, 2)
    np.testing.assert_allclose(X_res[:, 0], y_res)
    np.testing.assert_allclose(X_res[:, 1], 2 * y_res)
    for value in y_res[25:]:
        assert y.min() <= value <= y.max()


def test_mixup_regression_rejects_class_strategy():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="not supported for a continuous target"):
        MixupSampler(sampling_strategy="minority").fit_resample(X, X[:, 0])


def test_mixup_single_row_class_copies_with_warning():
    X = np.arange(20, dtype=float).reshape(10, 2)
    y = np.array([0] * 9 + [1])
    with pytest.warns(SktricksWarning, match=r"Class np.int64\(1\) has 1 row"):
        X_res, y_res = MixupSampler(random_state=0).fit_resample(X, y)
    assert Counter(y_res) == {0: 9, 1: 9}
    np.testing.assert_array_equal(X_res[10:], np.tile(X[9], (8, 1)))


@pytest.mark.parametrize("counts", [[9, 2], [30, 3, 1], [5, 5]])
def test_mixup_every_class_reaches_target(counts):
    y = np.repeat(np.arange(len(counts)), counts)
    X = np.random.default_rng(0).normal(size=(len(y), 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SktricksWarning)
        _, y_res = MixupSampler(random_state=0).fit_resample(X, y)
    assert set(Counter(y_res).values()) == {max(counts)}


@pytest.mark.parametrize("y", [np.arange(10.0), np.arange(10), np.arange(10) % 5.0])
def test_mixup_whole_number_target_warns(y):
    X = np.arange(20, dtype=float).reshape(10, 2)
    with pytest.warns(SktricksWarning, match="target_type='continuous'") as record:
        MixupSampler(random_state=0).fit_resample(X, y)
    assert record[0].filename == __file__


def test_mixup_declared_continuous_mixes_whole_numbers():
    X = np.column_stack([np.arange(10.0), np.arange(10.0) * 3])
    y = np.arange(10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X_res, y_res = MixupSampler(
            target_type="continuous", random_state=0
        ).fit_resample(X, y)

    assert X_res.shape == (20, 2)
    # The first column equals y, so mixing both with one lam keeps them equal.
    np.testing.assert_allclose(X_res[:, 0], y_res)
    np.testing.assert_allclose(X_res[:, 1], 3 * y_res)
    assert np.any(y_res[10:] % 1 != 0)


def test_mixup_declared_continuous_rounds_integer_target():
    X = np.column_stack([np.arange(10.0)])
    y = np.arange(10)
    X_res, y_res = MixupSampler(target_type="continuous", random_state=0).fit_resample(
        X, y
    )
    assert y_res.dtype == np.int64
    np.testing.assert_array_equal(y_res[10:], np.round(X_res[10:, 0]))


def test_mixup_declared_multiclass_does_not_warn():
    X = np.arange(20, dtype=float).reshape(10, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, y_res = MixupSampler(target_type="multiclass", random_state=0).fit_resample(
            X, np.arange(10) % 5.0
        )
    assert Counter(y_res) == dict.fromkeys(np.arange(5.0), 2)


def test_mixup_binary_float_target_does_not_warn():
    X = np.arange(20, dtype=float).reshape(10, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, y_res = MixupSampler(random_state=0).fit_resample(
            X, np.array([0.0] * 7 + [1.0] * 3)
        )
    assert Counter(y_res) == {0.0: 7, 1.0: 7}


def test_mixup_rejects_infinite_values():
    X = np.array([[0.0], [np.inf], [1.0], [2.0]])
    with pytest.raises(ValueError, match="Column 0 contains infinite values"):
        MixupSampler().fit_resample(X, [0, 0, 0, 1])


def test_swap_noise_cells_come_from_same_column():
    rng = np.random.default_rng(0)
    n = 2000
    X = rng.normal(size=(n, 4))
    y = rng.integers(0, 2, n)
    X_res, y_res = SwapNoiseSampler(swap_prob=0.3, random_state=0).fit_resample(X, y)

    new = X_res[n:]
    np.testing.assert_array_equal(y_res[n:], y)
    for column in range(4):
        assert np.isin(new[:, column], X[:, column]).all()
    # Values are unique, so a cell differs from its base row exactly when it
    # was swapped; the rate must match swap_prob (4 binomial standard errors).
    swapped = new != X
    bound = 4 * np.sqrt(0.3 * 0.7 / swapped.size)
    assert abs(swapped.mean() - 0.3) < bound


def test_swap_noise_extreme_probabilities():
    X = np.arange(10, dtype=float).reshape(5, 2)
    y = [0, 1, 0, 1, 0]
    X_res, _ = SwapNoiseSampler(swap_prob=0.0, n_copies=2).fit_resample(X, y)
    np.testing.assert_array_equal(X_res, np.tile(X, (3, 1)))
    X_res, _ = SwapNoiseSampler(swap_prob=1.0, random_state=0).fit_resample(X, y)
    assert (X_res[5:] != X).all()


def test_swap_noise_needs_two_rows():
    with pytest.raises(ValueError, match="at least 2 rows"):
        SwapNoiseSampler().fit_resample(np.array([[1.0]]), [0.5])


def test_gaussian_noise_scale_matches_column_std():
    rng = np.random.default_rng(0)
    n = 5000
    X = np.column_stack([rng.normal(0, 1, n), rng.normal(0, 100, n)])
    y = rng.integers(0, 2, n)
    X_res, _ = GaussianNoiseSampler(scale=0.1, random_state=0).fit_resample(X, y)
    noise = X_res[n:] - X
    for column in range(2):
        expected = 0.1 * X[:, column].std()
        assert noise[:, column].std() == pytest.approx(expected, rel=0.05)
        assert abs(noise[:, column].mean()) < 4 * expected / np.sqrt(n)


def test_gaussian_noise_copies_non_numeric_and_keeps_nan():
    X, y = _mixed_frame()
    X.loc[101, "x"] = np.nan
    X_res, _ = GaussianNoiseSampler(scale=0.5, random_state=0).fit_resample(X, y)
    new = X_res.iloc[len(X) :]
    for name in ["colour", "flag", "name"]:
        pd.testing.assert_series_equal(
            new[name].reset_index(drop=True), X[name].reset_index(drop=True)
        )
    assert np.isnan(new["x"].to_numpy()[1])
    assert not np.allclose(new["x"].to_numpy()[2:], X["x"].to_numpy()[2:])


@pytest.mark.parametrize("sampler_cls", SAMPLERS)
def test_sampler_keeps_pandas_dtypes_and_index(sampler_cls):
    X, y = _mixed_frame()
    y_series = pd.Series(y, index=X.index, name="target")
    X_res, y_res = sampler_cls(random_state=0).fit_resample(X, y_series)

    pd.testing.assert_series_equal(X_res.dtypes, X.dtypes)
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)
    n_new = len(X_res) - len(X)
    assert list(X_res.index[len(X) :]) == list(range(140, 140 + n_new))
    assert y_res.name == "target"
    assert y_res.index.equals(X_res.index)
    assert set(X_res["colour"].dropna()) <= set(X["colour"].cat.categories)


@pytest.mark.parametrize("sampler_cls", SAMPLERS)
def test_sampler_non_integer_index_gets_labels(sampler_cls):
    X, y = _mixed_frame(n=12)
    X.index = [f"row{k}" for k in range(12)]
    X_res, _ = sampler_cls(random_state=0).fit_resample(X, y)
    assert X_res.index[12] == "augmented_0"
    assert X_res.index.is_unique


@pytest.mark.parametrize("sampler_cls", SAMPLERS)
@pytest.mark.parametrize(
    "nullable, numpy_dtype", [("Int64", "int64"), ("boolean", "bool")]
)
def test_sampler_nullable_target_matches_numpy(sampler_cls, nullable, numpy_dtype):
    X, y = _mixed_frame()
    X_num, y_num = sampler_cls(random_state=0).fit_resample(
        X, pd.Series(y.astype(numpy_dtype))
    )
    X_nul, y_nul = sampler_cls(random_state=0).fit_resample(
        X, pd.Series(y, dtype=nullable)
    )
    pd.testing.assert_frame_equal(X_nul, X_num)
    assert y_nul.dtype == nullable
    np.testing.assert_array_equal(y_nul.to_numpy(dtype=numpy_dtype), y_num.to_numpy())


@pytest.mark.parametrize("sampler_cls", SAMPLERS)
def test_sampler_float64_regression_target_matches_numpy(sampler_cls):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=20)})
    y = rng.normal(size=20)
    X_num, y_num = sampler_cls(random_state=0).fit_resample(X, pd.Series(y))
    X_nul, y_nul = sampler_cls(random_state=0).fit_resample(
        X, pd.Series(y, dtype="Float64")
    )
    pd.testing.assert_frame_equal(X_nul, X_num)
    assert y_nul.dtype == "Float64"
    np.testing.assert_allclose(y_nul.to_numpy(dtype=float), y_num.to_numpy())


@pytest.mark.parametrize("sampler_cls", SAMPLERS)
def test_sampler_declared_continuous_target(sampler_cls):
    X = pd.DataFrame({"x": np.arange(10.0)})
    y = pd.Series(np.arange(10.0), dtype="Float64")
    sampler = sampler_cls(target_type="continuous", random_state=0)
    _, y_res = sampler.fit_resample(X, y)

    assert sampler.sampling_strategy_ == {}
    assert y_res.shape == (20,)
    assert y_res.dtype == "Float64"


@pytest.mark.parametrize("sampler_cls", SAMPLERS)
def test_sampler_target_type_rejects_mismatch(sampler_cls):
    X = np.zeros((6, 1))
    with pytest.raises(ValueError, match="target_type='continuous' needs a numeric y"):
        sampler_cls(target_type="continuous").fit_resample(X, ["a", "b"] * 3)
    with pytest.raises(ValueError, match="target_type='binary' but y has 3 classes"):
        sampler_cls(target_type="binary").fit_resample(X, [0, 1, 2] * 2)


@pytest.mark.parametrize("sampler_cls", SAMPLERS)
def test_sampler_rejects_missing_target(sampler_cls):
    X, y = _mixed_frame()
    y = pd.Series(y, dtype="Int64")
    y.iloc[3] = pd.NA
    with pytest.raises(ValueError, match=r"dtype Int64 with 1 missing values"):
        sampler_cls().fit_resample(X, y)


@pytest.mark.parametrize("sampler_cls", SAMPLERS)
def test_sampler_rejects_sparse_and_empty(sampler_cls):
    with pytest.raises(TypeError, match="does not accept sparse X"):
        sampler_cls().fit_resample(sparse.csr_matrix(np.eye(4)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"X has shape \(0, 2\)"):
        sampler_cls().fit_resample(pd.DataFrame({"a": [], "b": []}), [])


@pytest.mark.parametrize(
    "sampler, grid",
    [
        (MixupSampler(random_state=0), {"mixupsampler__alpha": [0.2, 1.0]}),
        (SwapNoiseSampler(random_state=0), {"swapnoisesampler__swap_prob": [0.1, 0.3]}),
        (
            GaussianNoiseSampler(random_state=0),
            {"gaussiannoisesampler__scale": [0.01, 0.1]},
        ),
    ],
)
def test_sampler_in_pipeline_grid_search(sampler, grid):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=120) > 1.0).astype(int)
    pipeline = make_pipeline(sampler, LogisticRegression())
    search = GridSearchCV(
        pipeline, grid, cv=StratifiedKFold(3, shuffle=True, random_state=0)
    )
    search.fit(X, y)
    assert search.best_params_ in [
        dict(zip(grid, [value], strict=True)) for value in next(iter(grid.values()))
    ]
    # The sampler only runs in fit: predictions cover the input rows.
    assert search.predict(X).shape == (120,)


def test_sampler_in_regression_pipeline():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = X @ [1.0, -2.0]
    pipeline = make_pipeline(MixupSampler(random_state=0), LinearRegression())
    search = GridSearchCV(pipeline, {"mixupsampler__alpha": [0.2, 2.0]}, cv=KFold(3))
    search.fit(X, y)
    # Mixup of an exactly linear target stays on the same plane.
    np.testing.assert_allclose(search.best_estimator_[-1].coef_, [1.0, -2.0])
