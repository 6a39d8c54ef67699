import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from lightgbm import LGBMClassifier
from scipy.special import expit
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from xgboost import XGBClassifier

from sktricks.losses import (
    FocalLossClassifier,
    focal_loss,
    focal_loss_grad_hess,
    make_lightgbm_focal_metric,
    make_lightgbm_focal_objective,
    make_xgboost_focal_metric,
    make_xgboost_focal_objective,
)


def _brute_force_loss(y, margin, gamma, alpha_weights):
    """Per-row focal loss written out from the definition, one row at a time."""
    losses = []
    for label, row in zip(y, np.atleast_1d(margin), strict=True):
        if np.ndim(row) == 0:
            proba = np.array([1.0 / (1.0 + np.exp(row)), 1.0 / (1.0 + np.exp(-row))])
        else:
            exp = np.exp(row - row.max())
            proba = exp / exp.sum()
        q = proba[label]
        losses.append(-alpha_weights[label] * (1.0 - q) ** gamma * np.log(q))
    return np.array(losses)


def _finite_differences(y, margin, gamma, alpha_weights, alpha):
    """Central differences: gradient of the brute-force loss, Hessian of our grad."""
    step = 1e-5
    grad = np.zeros_like(margin)
    hess = np.zeros_like(margin)
    columns = [None] if margin.ndim == 1 else range(margin.shape[1])
    for k in columns:
        shift = np.zeros_like(margin)
        if k is None:
            shift[:] = step
        else:
            shift[:, k] = step
        up = _brute_force_loss(y, margin + shift, gamma, alpha_weights)
        down = _brute_force_loss(y, margin - shift, gamma, alpha_weights)
        grad_up, _ = focal_loss_grad_hess(y, margin + shift, gamma=gamma, alpha=alpha)
        grad_down, _ = focal_loss_grad_hess(y, margin - shift, gamma=gamma, alpha=alpha)
        if k is None:
            grad = (up - down) / (2 * step)
            hess = (grad_up - grad_down) / (2 * step)
        else:
            grad[:, k] = (up - down) / (2 * step)
            hess[:, k] = (grad_up[:, k] - grad_down[:, k]) / (2 * step)
    return grad, hess


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 3.5])
@pytest.mark.parametrize(
    "n_classes, alpha", [(2, None), (2, 0.25), (4, None), (4, [0.1, 0.2, 0.3, 0.4])]
)
def test_focal_grad_hess_match_finite_differences(gamma, n_classes, alpha):
    rng = np.random.default_rng(0)
    y = rng.integers(0, n_classes, size=60)
    shape = (60,) if n_classes == 2 else (60, n_classes)
    margin = rng.normal(0.0, 2.0, size=shape)
    if alpha is None:
        alpha_weights = np.ones(n_classes)
    elif np.ndim(alpha) == 0:
        alpha_weights = np.array([1 - alpha, alpha])
    else:
        alpha_weights = np.asarray(alpha)

    grad, hess = focal_loss_grad_hess(y, margin, gamma=gamma, alpha=alpha)
    grad_fd, hess_fd = _finite_differences(y, margin, gamma, alpha_weights, alpha)

    np.testing.assert_allclose(grad, grad_fd, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(hess, hess_fd, rtol=1e-5, atol=1e-9)


def test_focal_loss_gamma_zero_is_log_loss():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=50)
    margin = rng.normal(size=(50, 3))
    proba = np.exp(margin) / np.exp(margin).sum(axis=1, keepdims=True)
    assert focal_loss(y, margin, gamma=0.0) == pytest.approx(log_loss(y, proba))

    y_bin = rng.integers(0, 2, size=50)
    assert focal_loss(y_bin, margin[:, 0], gamma=0.0) == pytest.approx(
        log_loss(y_bin, expit(margin[:, 0]))
    )


def test_focal_loss_alpha_errors():
    with pytest.raises(ValueError, match="only defined for binary targets"):
        focal_loss([0, 1, 2], np.zeros((3, 3)), alpha=0.5)
    with pytest.raises(ValueError, match="alpha has 2 values but the target has 3"):
        focal_loss([0, 1, 2], np.zeros((3, 3)), alpha=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"outside 0 \.\. 2"):
        focal_loss([0, 1, 5], np.zeros((3, 3)))


def _data(n_classes, seed=0):
    weights = [0.7] if n_classes == 2 else [0.6, 0.3, 0.1]
    return make_classification(
        400,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        weights=weights,
        random_state=seed,
    )


def _tree_splits(model):
    """The split features and thresholds of every tree, leaf values left out."""
    if isinstance(model, LGBMClassifier):
        trees = model.booster_.trees_to_dataframe()
        return trees[["tree_index", "node_depth", "split_feature", "threshold"]]
    trees = model.get_booster().trees_to_dataframe()
    return trees[["Tree", "Node", "Feature", "Split"]]


def _booster(library, **params):
    params = {"n_estimators": 30, "n_jobs": 1, **params}
    if library == "lightgbm":
        return LGBMClassifier(verbose=-1, **params)
    return XGBClassifier(**params)


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_focal_gamma_zero_reproduces_builtin_log_loss(library, n_classes):
    X, y = _data(n_classes)
    builtin = _booster(library).fit(X, y)
    focal = FocalLossClassifier(_booster(library), gamma=0.0).fit(X, y)

    np.testing.assert_allclose(
        focal.predict_proba(X), builtin.predict_proba(X), rtol=0, atol=1e-6
    )
    pd.testing.assert_frame_equal(
        _tree_splits(focal.estimator_).reset_index(drop=True),
        _tree_splits(builtin).reset_index(drop=True),
    )
    np.testing.assert_array_equal(focal.predict(X), builtin.predict(X))


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
@pytest.mark.parametrize("zero_share", [0.0, 0.2], ids=["positive", "some-zero"])
def test_focal_gamma_zero_with_sample_weight_matches_builtin(library, zero_share):
    # Rows of weight 0 must keep a Hessian of exactly 0: a floor on them
    # alone changed LightGBM's splits from the 10th tree on.
    X, y = _data(3, seed=3)
    rng = np.random.default_rng(0)
    weight = rng.uniform(0.2, 3.0, size=len(y))
    weight[rng.random(len(y)) < zero_share] = 0.0
    builtin = _booster(library).fit(X, y, sample_weight=weight)
    focal = FocalLossClassifier(_booster(library), gamma=0.0).fit(
        X, y, sample_weight=weight
    )
    np.testing.assert_allclose(
        focal.predict_proba(X), builtin.predict_proba(X), rtol=0, atol=1e-6
    )


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_focal_predict_proba_is_margin_plus_init_score(library):
    # The boosters return raw margins for a custom objective and leave out the
    # starting score; the probabilities must be computed from their sum.
    X, y = _data(2)
    focal = FocalLossClassifier(_booster(library), gamma=2.0).fit(X, y)
    if library == "lightgbm":
        raw = focal.estimator_.predict(X, raw_score=True)
    else:
        base = np.full(len(y), focal.init_score_[0])
        raw = focal.estimator_.predict(X, output_margin=True, base_margin=base) - base
    expected = expit(raw + focal.init_score_[0])
    np.testing.assert_allclose(focal.predict_proba(X)[:, 1], expected, rtol=1e-12)
    prior = y.mean()
    assert focal.init_score_[0] == pytest.approx(np.log(prior / (1 - prior)))


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_focal_first_tree_is_newton_step_on_focal_loss(library):
    # One stump, no L2 penalty: each leaf must hold
    # -learning_rate * sum(grad) / sum(hess), with grad and hess of the focal
    # loss at the prior margin taken by finite differences of the definition.
    X, y = _data(2, seed=5)
    params = {"n_estimators": 1, "learning_rate": 0.3, "reg_lambda": 0.0}
    if library == "lightgbm":
        params.update(num_leaves=2, min_child_samples=1)
    else:
        params.update(max_depth=1, min_child_weight=0.0)
    focal = FocalLossClassifier(_booster(library, **params), gamma=2.0).fit(X, y)

    margin = np.full(len(y), focal.init_score_[0])
    grad, hess = _finite_differences(y, margin, 2.0, np.ones(2), None)
    if library == "lightgbm":
        leaves = focal.estimator_.predict(X, pred_leaf=True).ravel()
        raw = focal.estimator_.predict(X, raw_score=True)
    else:
        booster = focal.estimator_.get_booster()
        leaves = booster.predict(xgb.DMatrix(X), pred_leaf=True).ravel()
        raw = focal.decision_function(X) - focal.init_score_[0]
    for leaf in np.unique(leaves):
        rows = leaves == leaf
        expected = -0.3 * grad[rows].sum() / hess[rows].sum()
        np.testing.assert_allclose(raw[rows], expected, rtol=1e-4)


def test_focal_classifier_pandas_categories_and_string_labels():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "colour": pd.Categorical(rng.choice(["red", "green", "blue"], 300)),
            "x": rng.normal(size=300),
        }
    )
    y = np.where((X["colour"] == "red") & (X["x"] > 0), "yes", "no")
    for booster in (
        LGBMClassifier(n_estimators=20, verbose=-1, n_jobs=1),
        XGBClassifier(n_estimators=20, enable_categorical=True, n_jobs=1),
    ):
        model = FocalLossClassifier(booster, gamma=1.0).fit(X, y)
        assert list(model.classes_) == ["no", "yes"]
        assert (model.predict(X) == y).mean() > 0.9


@pytest.mark.parametrize("dtype", ["Int64", "boolean"])
def test_focal_classifier_nullable_target_matches_numpy(dtype):
    X, y = _data(2)
    numpy_y = y.astype(bool) if dtype == "boolean" else y
    expected = FocalLossClassifier(_booster("lightgbm")).fit(X, numpy_y)
    model = FocalLossClassifier(_booster("lightgbm")).fit(X, pd.Series(y, dtype=dtype))
    np.testing.assert_array_equal(model.predict_proba(X), expected.predict_proba(X))

    with_missing = pd.Series(y, dtype=dtype)
    with_missing.iloc[0] = pd.NA
    with pytest.raises(ValueError, match="1 missing values"):
        FocalLossClassifier(_booster("lightgbm")).fit(X, with_missing)


def test_focal_classifier_rejects_other_estimators():
    X, y = _data(2)
    with pytest.raises(TypeError, match="got LogisticRegression"):
        FocalLossClassifier(LogisticRegression()).fit(X, y)


def test_focal_classifier_lightgbm_without_usable_feature():
    X = np.arange(6, dtype=float).reshape(-1, 1)
    with pytest.raises(ValueError, match="no feature it can split on"):
        FocalLossClassifier(LGBMClassifier(verbose=-1)).fit(X, [0, 1, 0, 1, 0, 1])


def test_lightgbm_native_objective_matches_builtin_binary():
    X, y = _data(2)
    prior = y.mean()
    init = np.full(len(y), np.log(prior / (1 - prior)))
    params = {"verbose": -1, "num_threads": 1, "seed": 0}

    builtin = lgb.train(
        {**params, "objective": "binary"}, lgb.Dataset(X, y), num_boost_round=20
    )
    custom = lgb.train(
        {**params, "objective": make_lightgbm_focal_objective(gamma=0.0)},
        lgb.Dataset(X, y, init_score=init),
        num_boost_round=20,
    )
    custom_proba = expit(custom.predict(X, raw_score=True) + init)
    np.testing.assert_allclose(custom_proba, builtin.predict(X), atol=1e-6)


def test_lightgbm_native_objective_multiclass_layout():
    # LightGBM 4 passes (n_samples, n_classes) margins and expects gradients in
    # the same layout.
    X, y = _data(3)
    counts = np.bincount(y) / len(y)
    init = np.tile(np.log(counts), (len(y), 1))
    params = {"verbose": -1, "num_threads": 1, "num_class": 3}
    builtin = lgb.train(
        {**params, "objective": "multiclass"}, lgb.Dataset(X, y), num_boost_round=20
    )
    custom = lgb.train(
        {**params, "objective": make_lightgbm_focal_objective(gamma=0.0)},
        lgb.Dataset(X, y, init_score=init),
        num_boost_round=20,
    )
    margin = custom.predict(X, raw_score=True) + init
    proba = np.exp(margin) / np.exp(margin).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(proba, builtin.predict(X), atol=1e-6)


def test_xgboost_native_objective_matches_builtin_multiclass():
    X, y = _data(3)
    log_prior = np.log(np.bincount(y) / len(y))
    margin0 = np.tile(log_prior - log_prior.mean(), (len(y), 1))
    params = {"nthread": 1, "num_class": 3}
    builtin = xgb.train(
        {**params, "objective": "multi:softprob"},
        xgb.DMatrix(X, label=y),
        num_boost_round=20,
    )
    dtrain = xgb.DMatrix(X, label=y, base_margin=margin0)
    custom = xgb.train(
        {**params, "objective": "multi:softprob"},
        dtrain,
        num_boost_round=20,
        obj=make_xgboost_focal_objective(gamma=0.0),
    )
    margin = custom.predict(dtrain, output_margin=True)
    proba = np.exp(margin) / np.exp(margin).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(proba, builtin.predict(xgb.DMatrix(X)), atol=1e-6)


def test_native_metrics_equal_log_loss_at_gamma_zero():
    X, y = _data(2)
    margin = np.random.default_rng(0).normal(size=len(y))
    expected = log_loss(y, expit(margin))

    lgb_data = lgb.Dataset(X, y).construct()
    name, value, higher_better = make_lightgbm_focal_metric(0.0)(margin, lgb_data)
    assert (name, higher_better) == ("focal_loss", False)
    assert value == pytest.approx(expected)

    name, value = make_xgboost_focal_metric(0.0)(margin, xgb.DMatrix(X, label=y))
    assert value == pytest.approx(expected, rel=1e-6)


def test_boosting_hessian_stays_positive_on_misclassified_rows():
    # Confidently wrong rows make the exact focal Hessian negative; the
    # objectives raise it to alpha_y * (1 - q)**gamma * q * (1 - q).
    y = np.array([1, 1, 0, 0])
    margin = np.array([-6.0, 0.5, 6.0, -2.0])
    _, exact = focal_loss_grad_hess(y, margin, gamma=2.0)
    assert exact[0] < 0

    q = expit(np.where(y == 1, margin, -margin))
    bound = (1 - q) ** 2 * q * (1 - q)
    data = lgb.Dataset(np.zeros((4, 1)), y.astype(float)).construct()
    _, hess = make_lightgbm_focal_objective(gamma=2.0)(margin, data)
    np.testing.assert_allclose(hess, np.maximum(exact, bound), rtol=1e-12)
    assert (hess > 0).all()


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_focal_text_column_rejected(library):
    X, y = make_classification(
        n_samples=60, n_features=3, n_informative=2, n_redundant=0, random_state=0
    )
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(
        d=np.where(y == 1, "p", "q")
    )
    estimator = (
        LGBMClassifier(verbose=-1)
        if library == "lightgbm"
        else XGBClassifier(enable_categorical=True)
    )
    model = FocalLossClassifier(estimator)

    with pytest.raises(TypeError, match=r"but got 'd' \((object|str)\)"):
        model.fit(frame, y)
    with pytest.raises(TypeError, match=r"X.astype\(\{'d': 'category'\}\)"):
        model.fit(frame, y)

    categorical = frame.astype({"d": "category"})
    assert model.fit(categorical, y).predict(categorical).shape == (60,)


@pytest.mark.parametrize("library, order", [("lightgbm", "F"), ("xgboost", "C")])
def test_native_objective_flat_multiclass_layout(library, order):
    # Older LightGBM passes flat class-major margins and older XGBoost flat
    # row-major ones; both must give the (n, k) gradient in that same layout.
    X, y = _data(3)
    margin = np.random.default_rng(1).normal(size=(len(y), 3))
    if library == "lightgbm":
        objective = make_lightgbm_focal_objective(gamma=2.0)
        data = lgb.Dataset(X, y).construct()
    else:
        objective = make_xgboost_focal_objective(gamma=2.0)
        data = xgb.DMatrix(X, label=y)
    grad_2d, hess_2d = objective(margin, data)
    grad_flat, hess_flat = objective(margin.ravel(order=order), data)

    expected_grad, _ = focal_loss_grad_hess(y, margin, gamma=2.0)
    np.testing.assert_allclose(grad_2d, expected_grad)
    np.testing.assert_allclose(grad_flat, expected_grad.ravel(order=order))
    np.testing.assert_allclose(hess_flat, hess_2d.ravel(order=order))


def test_native_metric_flat_multiclass_is_log_loss():
    X, y = _data(3)
    margin = np.random.default_rng(2).normal(size=(len(y), 3))
    proba = np.exp(margin) / np.exp(margin).sum(axis=1, keepdims=True)
    expected = log_loss(y, proba)

    lgb_data = lgb.Dataset(X, y).construct()
    _, value, _ = make_lightgbm_focal_metric(0.0)(margin.ravel(order="F"), lgb_data)
    assert value == pytest.approx(expected)
    _, value = make_xgboost_focal_metric(0.0)(margin.ravel(), xgb.DMatrix(X, label=y))
    assert value == pytest.approx(expected)


def test_native_objective_num_class_mismatch_message():
    X, y = _data(3)
    objective = make_xgboost_focal_objective(gamma=2.0)
    with pytest.raises(ValueError, match="Got 500 margins for 200 labelled rows"):
        objective(np.zeros(500), xgb.DMatrix(X[:200], label=y[:200]))


def test_lightgbm_metric_margins_include_init_score():
    # With a custom objective LightGBM hands the metric init_score plus the
    # trees' output, so the metric must equal the loss of predict + init_score.
    X, y = _data(2)
    init = np.full(len(y), 1.5)
    recorded = {}
    booster = lgb.train(
        {"objective": make_lightgbm_focal_objective(1.0), "verbose": -1},
        lgb.Dataset(X, y, init_score=init),
        num_boost_round=3,
        valid_sets=[lgb.Dataset(X, y, init_score=init)],
        valid_names=["valid"],
        feval=make_lightgbm_focal_metric(1.0),
        callbacks=[lgb.record_evaluation(recorded)],
    )
    margin = booster.predict(X, raw_score=True) + init
    expected = _brute_force_loss(y, margin, 1.0, np.ones(2)).mean()
    assert recorded["valid"]["focal_loss"][-1] == pytest.approx(expected)


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_focal_classifier_eval_set_scores_focal_loss(library):
    # The recorded validation metric must be the focal loss of the final
    # margins, init score included, computed here from the definition.
    X, y = _data(3)
    labels = np.array(["a", "b", "c"])[y]
    X_train, y_train, X_val, y_val = X[:300], labels[:300], X[300:], labels[300:]
    if library == "lightgbm":
        booster = LGBMClassifier(n_estimators=5, verbose=-1)
    else:
        booster = XGBClassifier(n_estimators=5)
    model = FocalLossClassifier(booster, gamma=2.0).fit(
        X_train, y_train, eval_set=[(X_val, y_val)]
    )

    history = model.estimator_.evals_result_
    scores = history.get("valid_0", history.get("validation_0"))
    assert list(scores) == ["focal_loss"]
    codes = np.searchsorted(["a", "b", "c"], y_val)
    expected = _brute_force_loss(
        codes, model.decision_function(X_val), 2.0, np.ones(3)
    ).mean()
    assert scores["focal_loss"][-1] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_focal_classifier_early_stopping_on_focal_loss(library):
    X, y = _data(2)
    X_train, y_train, X_val, y_val = X[:300], y[:300], X[300:], y[300:]
    if library == "lightgbm":
        booster = LGBMClassifier(
            n_estimators=500, learning_rate=0.5, early_stopping_round=3, verbose=-1
        )
    else:
        booster = XGBClassifier(
            n_estimators=500, learning_rate=0.5, early_stopping_rounds=3
        )
    model = FocalLossClassifier(booster, gamma=1.0).fit(
        X_train, y_train, eval_set=[(X_val, y_val)]
    )

    history = model.estimator_.evals_result_
    scores = np.array(history.get("valid_0", history.get("validation_0"))["focal_loss"])
    assert len(scores) < 500
    best = int(np.argmin(scores))
    assert len(scores) == best + 1 + 3
    expected = _brute_force_loss(
        y_val, model.decision_function(X_val), 1.0, np.ones(2)
    ).mean()
    assert scores[best] == pytest.approx(expected, rel=1e-5)


def test_focal_classifier_eval_set_unknown_label():
    X, y = _data(2)
    model = FocalLossClassifier(LGBMClassifier(n_estimators=2, verbose=-1))
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in the"):
        model.fit(X, y, eval_set=[(X[:5], [0, 1, 7, 0, 1])])


@pytest.mark.parametrize(
    "y_true, match",
    [
        (["no", "yes"], "y_true has dtype <U3, but the focal loss needs integer"),
        ([-1, 1], "codes from -1 to 1, outside 0 .. 1.*LabelEncoder"),
        ([0.5, 1.0], "integer class codes 0 .. 1.*LabelEncoder"),
    ],
)
def test_focal_loss_rejects_unencoded_labels(y_true, match):
    with pytest.raises(ValueError, match=match):
        focal_loss(y_true, np.zeros(2))
    with pytest.raises(ValueError, match=match):
        focal_loss_grad_hess(y_true, np.zeros(2))


def test_focal_loss_sample_weight_errors():
    with pytest.raises(ValueError, match=r"shape \(3,\) but there are 2 rows"):
        focal_loss_grad_hess([0, 1], np.zeros(2), sample_weight=[1, 2, 3])
    with pytest.raises(ValueError, match=r"finite weights >= 0, got min=-1\.0"):
        focal_loss([0, 1], np.zeros(2), sample_weight=[-1.0, 2.0])
    with pytest.raises(ValueError, match="sums to 0"):
        focal_loss([0, 1], np.zeros(2), sample_weight=[0.0, 0.0])


def test_focal_loss_sample_weight_is_weighted_mean():
    y = np.array([0, 1, 1])
    margin = np.array([0.3, -1.0, 2.0])
    weight = np.array([1.0, 3.0, 0.0])
    per_row = _brute_force_loss(y, margin, 2.0, np.ones(2))
    expected = (per_row * weight).sum() / weight.sum()
    assert focal_loss(y, margin, sample_weight=weight) == pytest.approx(expected)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_lightgbm_metric_builtin_objective_probabilities(n_classes):
    # A built-in objective hands feval probabilities; at gamma=0 the metric
    # must then equal scikit-learn's log loss of the booster's predictions.
    X, y = _data(n_classes)
    params = {"verbose": -1, "num_threads": 1}
    params["objective"] = "binary" if n_classes == 2 else "multiclass"
    if n_classes > 2:
        params["num_class"] = n_classes
    recorded = {}
    booster = lgb.train(
        params,
        lgb.Dataset(X, y),
        num_boost_round=3,
        valid_sets=[lgb.Dataset(X, y)],
        valid_names=["valid"],
        feval=make_lightgbm_focal_metric(0.0, raw_score=False),
        callbacks=[lgb.record_evaluation(recorded)],
    )
    expected = log_loss(y, booster.predict(X))
    assert recorded["valid"]["focal_loss"][-1] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_xgboost_metric_builtin_objective_probabilities(n_classes):
    X, y = _data(n_classes)
    params = {"nthread": 1, "disable_default_eval_metric": 1}
    if n_classes == 2:
        params["objective"] = "binary:logistic"
    else:
        params.update(objective="multi:softprob", num_class=n_classes)
    dtrain = xgb.DMatrix(X, label=y)
    recorded = {}
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round=3,
        evals=[(dtrain, "valid")],
        custom_metric=make_xgboost_focal_metric(0.0, output_margin=False),
        evals_result=recorded,
        verbose_eval=False,
    )
    expected = log_loss(y, booster.predict(dtrain))
    assert recorded["valid"]["focal_loss"][-1] == pytest.approx(expected, rel=1e-5)


def test_native_metric_rejects_probabilities_as_margins():
    X, y = _data(3)
    proba = np.full((len(y), 3), 1.0 / 3.0)
    lgb_data = lgb.Dataset(X, y).construct()
    with pytest.raises(ValueError, match="pass raw_score=False"):
        make_lightgbm_focal_metric(0.0)(proba, lgb_data)
    with pytest.raises(ValueError, match="pass output_margin=False"):
        make_xgboost_focal_metric(0.0)(proba, xgb.DMatrix(X, label=y))
