"""LabelSmoothingClassifier against the base models, closed forms and scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from scipy.optimize import minimize
from scipy.special import log_softmax, logsumexp
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from xgboost import XGBClassifier

from sktricks.label import LabelSmoothingClassifier, soft_target_softmax_grad_hess


def _data(n_classes, n_samples=400, seed=0):
    return make_classification(
        n_samples=n_samples,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        random_state=seed,
    )


def _lightgbm(**params):
    return LGBMClassifier(n_estimators=20, verbose=-1, n_jobs=1, **params)


def _xgboost(**params):
    return XGBClassifier(n_estimators=20, n_jobs=1, **params)


_BASES = {
    "lightgbm": _lightgbm,
    "xgboost": _xgboost,
    "logistic": lambda: LogisticRegression(max_iter=1000),
}


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("base", sorted(_BASES))
def test_smoothing_zero_reproduces_base(base, n_classes):
    X, y = _data(n_classes)
    estimator = _BASES[base]()
    expected = estimator.fit(X, y)

    model = LabelSmoothingClassifier(_BASES[base](), smoothing=0.0).fit(X, y)

    np.testing.assert_array_equal(model.predict_proba(X), expected.predict_proba(X))
    np.testing.assert_array_equal(model.predict(X), expected.predict(X))


@pytest.mark.parametrize(
    ("base", "n_classes", "method"),
    [
        ("lightgbm", 2, "cross_entropy"),
        ("xgboost", 2, "cross_entropy"),
        ("lightgbm", 3, "softmax_objective"),
        ("xgboost", 3, "softmax_objective"),
    ],
)
def test_soft_objective_matches_builtin_on_hard_labels(base, n_classes, method):
    # With a vanishing smoothing the soft targets equal the one-hot labels,
    # so the soft-label objectives must follow the built-in ones step by
    # step. A missing start score (custom objectives start at raw score 0)
    # or a Hessian scaled differently from the built-in objective breaks
    # this equality long before the 20th tree.
    X, y = _data(n_classes)
    builtin = _BASES[base]().fit(X, y).predict_proba(X)

    model = LabelSmoothingClassifier(_BASES[base](), smoothing=1e-12).fit(X, y)

    assert model.method_ == method
    np.testing.assert_allclose(model.predict_proba(X), builtin, atol=1e-6)


@pytest.mark.parametrize("base", ["lightgbm", "xgboost"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_boosting_without_splits_predicts_smoothed_prior(base, n_classes):
    # A model that may not split predicts one constant for every row: the
    # minimiser of the soft-target cross-entropy, which is the mean soft
    # target (1 - s) * prior + s / K.
    X, y = _data(n_classes, n_samples=300)
    smoothing = 0.3
    if base == "lightgbm":
        estimator = _lightgbm(min_split_gain=1e9)
    else:
        estimator = _xgboost(min_split_loss=1e9)

    model = LabelSmoothingClassifier(estimator, smoothing=smoothing).fit(X, y)

    prior = np.bincount(y) / y.shape[0]
    expected = (1 - smoothing) * prior + smoothing / n_classes
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba, np.tile(expected, (X.shape[0], 1)), atol=1e-6)


def _soft_loss(targets, raw):
    return -(targets * log_softmax(raw, axis=1)).sum()


def test_softmax_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(5, 4))
    targets = rng.dirichlet(np.ones(4), size=5)
    step = 1e-5

    grad, hess = soft_target_softmax_grad_hess(targets, raw)

    numeric_grad = np.empty_like(raw)
    numeric_hess = np.empty_like(raw)
    for i in range(raw.shape[0]):
        for k in range(raw.shape[1]):
            up, down = raw.copy(), raw.copy()
            up[i, k] += step
            down[i, k] -= step
            loss_up, loss_down = _soft_loss(targets, up), _soft_loss(targets, down)
            loss = _soft_loss(targets, raw)
            numeric_grad[i, k] = (loss_up - loss_down) / (2 * step)
            numeric_hess[i, k] = (loss_up - 2 * loss + loss_down) / step**2
    np.testing.assert_allclose(grad, numeric_grad, atol=1e-8)
    np.testing.assert_allclose(hess, numeric_hess, atol=1e-4)


def test_softmax_hessian_factor_scales_only_hessian():
    rng = np.random.default_rng(1)
    raw = rng.normal(size=(3, 3))
    targets = rng.dirichlet(np.ones(3), size=3)

    grad, hess = soft_target_softmax_grad_hess(targets, raw)
    grad_scaled, hess_scaled = soft_target_softmax_grad_hess(targets, raw, 1.5)

    np.testing.assert_array_equal(grad_scaled, grad)
    np.testing.assert_allclose(hess_scaled, 1.5 * hess)


def test_weighted_rows_match_soft_logistic_regression():
    # The weighted copies must minimise the soft-target cross-entropy: fit a
    # multinomial logistic regression on the soft targets directly with
    # scipy and compare probabilities.
    X, y = _data(3, n_samples=200)
    smoothing, C = 0.2, 1.0
    targets = np.full((200, 3), smoothing / 3)
    targets[np.arange(200), y] += 1 - smoothing

    def objective(flat):
        coef, intercept = flat[:18].reshape(3, 6), flat[18:]
        raw = X @ coef.T + intercept
        loss = -(targets * (raw - logsumexp(raw, axis=1, keepdims=True))).sum()
        return C * loss + 0.5 * (coef**2).sum()

    solution = minimize(objective, np.zeros(21), method="L-BFGS-B", tol=1e-12)
    raw = X @ solution.x[:18].reshape(3, 6).T + solution.x[18:]
    expected = np.exp(raw - logsumexp(raw, axis=1, keepdims=True))

    base = LogisticRegression(C=C, tol=1e-10, max_iter=5000)
    model = LabelSmoothingClassifier(base, smoothing=smoothing).fit(X, y)

    assert model.method_ == "weighted_rows"
    np.testing.assert_allclose(model.predict_proba(X), expected, atol=1e-4)


def test_weighted_rows_sample_weight_equals_duplicates():
    X, y = _data(3, n_samples=120)
    weights = np.ones(120)
    weights[:10] = 2.0
    duplicated = np.r_[np.arange(120), np.arange(10)]
    base = LogisticRegression(tol=1e-10, max_iter=5000)

    weighted = LabelSmoothingClassifier(base, smoothing=0.1)
    weighted.fit(X, y, sample_weight=weights)
    copied = LabelSmoothingClassifier(base, smoothing=0.1)
    copied.fit(X[duplicated], y[duplicated])

    np.testing.assert_allclose(
        weighted.predict_proba(X), copied.predict_proba(X), atol=1e-5
    )


@pytest.mark.parametrize("base", ["lightgbm", "xgboost"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_boosting_sample_weight_shifts_constant(base, n_classes):
    # Without splits the prediction is the weighted mean soft target. For
    # three classes this also checks that the custom objectives receive the
    # weights: LightGBM 4.x passes them only to three-argument objectives
    # and XGBoost 3.x only to objectives with a sample_weight parameter.
    X, y = _data(n_classes, n_samples=300)
    weights = np.where(y == 1, 3.0, 1.0)
    smoothing = 0.2
    if base == "lightgbm":
        estimator = _lightgbm(min_split_gain=1e9)
    else:
        estimator = _xgboost(min_split_loss=1e9)

    model = LabelSmoothingClassifier(estimator, smoothing=smoothing)
    model.fit(X, y, sample_weight=weights)

    soft = np.full((300, n_classes), smoothing / n_classes)
    soft[np.arange(300), y] += 1 - smoothing
    expected = np.average(soft, axis=0, weights=weights)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba, np.tile(expected, (300, 1)), atol=1e-5)


def test_string_labels_come_back():
    X, y = _data(3)
    labels = np.array(["cat", "dog", "emu"])[y]

    model = LabelSmoothingClassifier(_lightgbm(), smoothing=0.1).fit(X, labels)

    assert set(model.predict(X)) <= set(labels)
    np.testing.assert_array_equal(model.classes_, ["cat", "dog", "emu"])


@pytest.mark.parametrize("base", ["lightgbm", "xgboost"])
def test_pandas_categories_reach_boosting(base):
    X, y = _data(3)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    frame["colour"] = pd.Categorical(np.array(["red", "blue"])[y % 2])
    estimator = _lightgbm() if base == "lightgbm" else _xgboost(enable_categorical=True)

    model = LabelSmoothingClassifier(estimator, smoothing=0.1).fit(frame, y)

    assert model.predict_proba(frame).shape == (400, 3)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame[frame.columns[::-1]])


def test_estimator_without_sample_weight_rejected():
    X, y = _data(2)
    model = LabelSmoothingClassifier(KNeighborsClassifier(), smoothing=0.1)

    with pytest.raises(TypeError, match="does not take sample_weight"):
        model.fit(X, y)


def test_invalid_targets_rejected():
    X, y = _data(2)
    model = LabelSmoothingClassifier(LogisticRegression(), smoothing=0.1)

    with pytest.raises(ValueError, match="Unknown label type"):
        model.fit(X, y + 0.5)
    with pytest.raises(ValueError, match="one class"):
        model.fit(X, np.zeros_like(y))
    with pytest.raises(ValueError, match="missing values"):
        model.fit(X, pd.Series(y, dtype="Int64").mask(y == 0))


def test_smoothing_one_rejected():
    X, y = _data(2)
    model = LabelSmoothingClassifier(LogisticRegression(), smoothing=1.0)

    with pytest.raises(InvalidParameterError, match="smoothing"):
        model.fit(X, y)


def test_nullable_labels_accepted():
    X, y = _data(2)
    expected = LabelSmoothingClassifier(LogisticRegression()).fit(X, y)

    model = LabelSmoothingClassifier(LogisticRegression()).fit(
        X, pd.Series(y, dtype="Int64")
    )

    np.testing.assert_allclose(model.predict_proba(X), expected.predict_proba(X))


@pytest.mark.parametrize("base", sorted(_BASES))
def test_smoothing_zero_string_labels_match_encoded_base(base):
    X, y = _data(3)
    labels = np.array(["emu", "cat", "dog"])[y]
    codes = np.searchsorted(["cat", "dog", "emu"], labels)
    expected = _BASES[base]().fit(X, codes)

    model = LabelSmoothingClassifier(_BASES[base](), smoothing=0).fit(X, labels)

    np.testing.assert_array_equal(model.classes_, ["cat", "dog", "emu"])
    np.testing.assert_array_equal(model.predict_proba(X), expected.predict_proba(X))
    np.testing.assert_array_equal(
        model.predict(X), np.array(["cat", "dog", "emu"])[expected.predict(X)]
    )


def test_smoothing_grid_with_xgboost_string_labels():
    X, y = _data(2)
    labels = np.array(["neg", "pos"])[y]
    search = GridSearchCV(
        LabelSmoothingClassifier(_xgboost()),
        {"smoothing": [0, 0.1]},
        cv=3,
        error_score="raise",
    )

    search.fit(X, labels)

    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_smoothing_zero_sample_weight_reaches_base():
    X, y = _data(2)
    weights = np.where(y == 1, 3.0, 1.0)
    expected = LogisticRegression(max_iter=1000).fit(X, y, sample_weight=weights)

    model = LabelSmoothingClassifier(LogisticRegression(max_iter=1000), smoothing=0)
    model.fit(X, y, sample_weight=weights)

    np.testing.assert_allclose(model.predict_proba(X), expected.predict_proba(X))


def test_pipeline_weights_go_to_last_step():
    # Expected: the weighted-row expansion done by hand on the scaled data.
    X, y = _data(3, n_samples=150)
    smoothing = 0.1
    weights = np.linspace(0.5, 2.0, 150)
    soft = np.full((150, 3), smoothing / 3)
    soft[np.arange(150), y] += 1 - smoothing
    scaled = StandardScaler().fit(np.repeat(X, 3, axis=0))
    reference = LogisticRegression(max_iter=2000).fit(
        scaled.transform(np.repeat(X, 3, axis=0)),
        np.tile([0, 1, 2], 150),
        sample_weight=soft.ravel() * np.repeat(weights, 3),
    )
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))

    model = LabelSmoothingClassifier(pipeline, smoothing=smoothing)
    model.fit(X, y, sample_weight=weights)

    np.testing.assert_allclose(
        model.predict_proba(X),
        reference.predict_proba(scaled.transform(X)),
        atol=1e-6,
    )


def test_pipeline_zero_smoothing_passes_weights():
    X, y = _data(2)
    weights = np.where(y == 1, 3.0, 1.0)
    expected = make_pipeline(StandardScaler(), LogisticRegression())
    expected.fit(X, y, logisticregression__sample_weight=weights)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression())

    model = LabelSmoothingClassifier(pipeline, smoothing=0)
    model.fit(X, y, sample_weight=weights)

    np.testing.assert_allclose(model.predict_proba(X), expected.predict_proba(X))


def test_pipeline_last_step_without_weights_rejected():
    X, y = _data(2)
    pipeline = make_pipeline(StandardScaler(), KNeighborsClassifier())
    model = LabelSmoothingClassifier(pipeline, smoothing=0.1)

    with pytest.raises(
        TypeError, match=r"KNeighborsClassifier\.fit does not take sample_weight"
    ):
        model.fit(X, y)


@pytest.mark.parametrize("base", ["lightgbm", "xgboost"])
@pytest.mark.parametrize("smoothing", [0, 0.1])
def test_boosting_text_column_rejected(base, smoothing):
    X, y = _data(2)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    frame["colour"] = np.array(["red", "blue"])[y]
    model = LabelSmoothingClassifier(_BASES[base](), smoothing=smoothing)

    with pytest.raises(TypeError, match=r"'colour' \((object|str)\)"):
        model.fit(frame, y)
