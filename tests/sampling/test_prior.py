import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline
from lightgbm import LGBMClassifier
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline as sk_make_pipeline
from sklearn.preprocessing import StandardScaler

from sktricks.sampling import PriorCorrectedClassifier


def _imbalanced(n=4000, seed=0):
    return make_classification(
        n, n_features=8, n_informative=4, weights=[0.9], flip_y=0.02, random_state=seed
    )


def test_prior_correction_restores_positive_rate_and_log_loss():
    X, y = _imbalanced()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=0
    )
    sampler = RandomOverSampler(random_state=0)
    uncorrected = make_pipeline(sampler, LogisticRegression()).fit(X_train, y_train)
    corrected = PriorCorrectedClassifier(LogisticRegression(), sampler=sampler).fit(
        X_train, y_train
    )

    proba_raw = uncorrected.predict_proba(X_test)[:, 1]
    proba = corrected.predict_proba(X_test)[:, 1]
    assert abs(proba.mean() - y_train.mean()) < 0.01
    assert abs(proba_raw.mean() - y_train.mean()) > 0.1
    assert log_loss(y_test, proba) < log_loss(y_test, proba_raw)


def test_prior_correction_equals_bayes_formula():
    X, y = _imbalanced(n=600)
    model = PriorCorrectedClassifier(
        LogisticRegression(), sampler=RandomOverSampler(random_state=0)
    ).fit(X, y)
    inner = model.estimator_.predict_proba(X)
    pi_true = np.bincount(y) / len(y)
    pi_resampled = np.array([0.5, 0.5])

    expected = inner * pi_true / pi_resampled
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-12)
    np.testing.assert_allclose(model.resampled_prior_, pi_resampled)
    np.testing.assert_array_equal(model.predict(X), expected.argmax(axis=1))


def test_prior_correction_of_prior_model_is_training_prior():
    # A model that predicts the (balanced) prior is mapped exactly onto the
    # original prior, for three classes.
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [70, 20, 10])
    X = rng.normal(size=(100, 2))
    model = PriorCorrectedClassifier(
        DummyClassifier(strategy="prior"), sampler=RandomOverSampler(random_state=0)
    ).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X[:3]), [[0.7, 0.2, 0.1]] * 3)


def test_prior_correction_for_balanced_class_weight():
    X, y = _imbalanced(n=800)
    model = PriorCorrectedClassifier(LogisticRegression(class_weight="balanced")).fit(
        X, y
    )
    np.testing.assert_allclose(model.resampled_prior_, [0.5, 0.5])
    inner = model.estimator_.predict_proba(X)
    expected = inner * (np.bincount(y) / len(y)) / 0.5
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected)


@pytest.mark.parametrize(
    "estimator",
    [
        LogisticRegression(class_weight={"no": 1.0, "yes": 9.0}),
        sk_make_pipeline(
            StandardScaler(), LogisticRegression(class_weight={"no": 1, "yes": 9})
        ),
    ],
    ids=["dict", "pipeline"],
)
def test_prior_correction_reads_class_weights_of_the_model(estimator):
    # The model weights "yes" 9 times. A model that can only learn the prior
    # (one constant column) then predicts the weighted prior, and the
    # correction must give back the true one.
    y = np.repeat(np.array(["no", "yes"]), [180, 20])
    X = np.zeros((200, 1))
    model = PriorCorrectedClassifier(estimator).fit(X, y)

    weighted = np.array([180 * 1.0, 20 * 9.0]) / (180 + 180)
    np.testing.assert_allclose(model.resampled_prior_, weighted)
    np.testing.assert_allclose(
        model.estimator_.predict_proba(X[:1]), [weighted], atol=1e-3
    )
    np.testing.assert_allclose(model.predict_proba(X[:1]), [[0.9, 0.1]], atol=1e-3)


@pytest.mark.parametrize(
    "estimator",
    [
        sk_make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced")),
        LGBMClassifier(is_unbalance=True, n_estimators=5, verbose=-1),
    ],
    ids=["balanced-in-pipeline", "lightgbm-is_unbalance"],
)
def test_prior_correction_balanced_settings_give_uniform_prior(estimator):
    X, y = _imbalanced(n=800)
    model = PriorCorrectedClassifier(estimator).fit(X, y)
    np.testing.assert_allclose(model.resampled_prior_, [0.5, 0.5])


def test_prior_correction_reads_scale_pos_weight():
    # LightGBM and XGBoost weight the second class by scale_pos_weight.
    from xgboost import XGBClassifier

    X, y = _imbalanced(n=800)
    n_negative, n_positive = np.bincount(y)
    expected = np.array([n_negative, 4.0 * n_positive])
    expected /= expected.sum()
    for booster in (
        LGBMClassifier(scale_pos_weight=4.0, n_estimators=5, verbose=-1),
        XGBClassifier(scale_pos_weight=4.0, n_estimators=5),
    ):
        model = PriorCorrectedClassifier(booster).fit(X, y)
        np.testing.assert_allclose(model.resampled_prior_, expected)


def test_prior_correction_multiclass_dict_weights_with_sample_weight():
    y = np.repeat(np.array(["a", "b", "c"]), [50, 30, 20])
    weights = np.where(y == "a", 2.0, 1.0)
    X = np.zeros((100, 1))
    estimator = LogisticRegression(class_weight={"b": 3.0})  # "a", "c" weigh 1
    model = PriorCorrectedClassifier(estimator).fit(X, y, sample_weight=weights)

    mass = np.array([50 * 2.0, 30 * 3.0, 20 * 1.0])
    np.testing.assert_allclose(model.resampled_prior_, mass / mass.sum())
    np.testing.assert_allclose(model.prior_, [100 / 150, 30 / 150, 20 / 150])


def test_prior_correction_rejects_sampler_inside_the_pipeline():
    X, y = _imbalanced(n=300)
    estimator = make_pipeline(RandomOverSampler(random_state=0), LogisticRegression())
    with pytest.raises(ValueError, match=r"RandomOverSampler.*sampler=\.\.\."):
        PriorCorrectedClassifier(estimator).fit(X, y)


def test_prior_correction_given_prior():
    X, y = _imbalanced(n=600)
    model = PriorCorrectedClassifier(
        LogisticRegression(), sampler=RandomOverSampler(random_state=0), prior=[3, 1]
    ).fit(X, y)
    np.testing.assert_allclose(model.prior_, [0.75, 0.25])
    with pytest.raises(ValueError, match="must hold 2 positive probabilities"):
        PriorCorrectedClassifier(LogisticRegression(), prior=[1, 1, 1]).fit(X, y)


def test_prior_correction_sample_weight_follows_rows():
    X, y = _imbalanced(n=600)
    weight = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    sampler = RandomOverSampler(random_state=0)
    model = PriorCorrectedClassifier(LogisticRegression(), sampler=sampler).fit(
        X, y, sample_weight=weight
    )
    X_res, y_res = RandomOverSampler(random_state=0).fit_resample(X, y)
    reference = LogisticRegression().fit(
        X_res, y_res, sample_weight=weight[model.sampler_.sample_indices_]
    )
    np.testing.assert_allclose(model.estimator_.coef_, reference.coef_)
    expected_prior = np.bincount(y, weights=weight) / weight.sum()
    np.testing.assert_allclose(model.prior_, expected_prior)

    with pytest.raises(ValueError, match="SMOTE, which has no sample_indices_"):
        PriorCorrectedClassifier(LogisticRegression(), sampler=SMOTE()).fit(
            X, y, sample_weight=weight
        )


@pytest.mark.parametrize("dtype", ["Int64", "boolean"])
def test_prior_correction_nullable_target(dtype):
    X, y = _imbalanced(n=600)
    expected = PriorCorrectedClassifier(
        LogisticRegression(), sampler=RandomOverSampler(random_state=0)
    ).fit(X, y.astype(bool) if dtype == "boolean" else y)
    model = PriorCorrectedClassifier(
        LogisticRegression(), sampler=RandomOverSampler(random_state=0)
    ).fit(pd.DataFrame(X), pd.Series(y, dtype=dtype))
    np.testing.assert_allclose(
        model.predict_proba(pd.DataFrame(X)), expected.predict_proba(X)
    )


def test_prior_correction_with_lightgbm_on_categories():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "colour": pd.Categorical(rng.choice(["red", "blue"], 500)),
            "x": rng.normal(size=500),
        }
    )
    y = ((X["colour"] == "red") & (X["x"] > 1.0)).astype(int)
    model = PriorCorrectedClassifier(
        LGBMClassifier(n_estimators=20, verbose=-1),
        sampler=RandomOverSampler(random_state=0),
    ).fit(X, y)
    inner = model.estimator_.predict_proba(X)
    expected = inner * np.bincount(y) / np.bincount(y).sum() / 0.5
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected)


def test_prior_correction_single_class_error():
    with pytest.raises(ValueError, match=r"y has 1 class \(np.int64\(0\)\)"):
        PriorCorrectedClassifier(LogisticRegression()).fit(np.eye(3), [0, 0, 0])


def test_prior_correction_pandas_array_with_na():
    X = np.zeros((6, 1))
    y = pd.array([True, False, pd.NA, True, False, True], dtype="boolean")
    with pytest.raises(ValueError, match=r"dtype boolean with 1 missing"):
        PriorCorrectedClassifier(LogisticRegression()).fit(X, y)
    y = pd.array([True, False, False, True, False, True], dtype="boolean")
    model = PriorCorrectedClassifier(LogisticRegression()).fit(X, y)
    np.testing.assert_array_equal(model.classes_, [False, True])


def test_prior_correction_rejects_negative_sample_weight():
    X, y = np.zeros((6, 1)), np.array([1, 0, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="Negative values"):
        PriorCorrectedClassifier(LogisticRegression()).fit(
            X, y, sample_weight=-np.ones(6)
        )
