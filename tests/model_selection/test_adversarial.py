"""AdversarialValidator on synthetic drift and on one shared distribution."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktricks.model_selection import AdversarialValidator


def _frames(shift, n=1000, seed=0):
    rng = np.random.default_rng(seed)

    def frame(mean_of_drift, size):
        return pd.DataFrame(
            {
                "age": rng.normal(40, 10, size),
                "income": rng.lognormal(10, 1, size),
                "drift": rng.normal(mean_of_drift, 1, size),
                "city": pd.Categorical(rng.choice(["a", "b", "c"], size)),
            }
        )

    train = frame(0.0, n)
    test = frame(shift, n)
    train.index = np.arange(n) * 2 + 7  # any index must work
    return train, test


def test_adversarial_validator_finds_shifted_column():
    train, test = _frames(shift=3.0, n=500)

    validator = AdversarialValidator(random_state=0).fit(train, test)

    assert validator.auc_ >= 0.9
    assert validator.feature_importances_.index[0] == "drift"
    assert validator.feature_importances_.is_monotonic_decreasing
    # The AUC is the one of the stored out-of-fold predictions.
    is_test = np.r_[np.zeros(len(train)), np.ones(len(test))]
    assert validator.auc_ == pytest.approx(
        roc_auc_score(is_test, validator.oof_result_.oof_)
    )


def test_adversarial_validator_same_distribution_near_half():
    train, test = _frames(shift=0.0, seed=1)

    validator = AdversarialValidator(random_state=0).fit(train, test)

    assert abs(validator.auc_ - 0.5) <= 0.05


def test_adversarial_validator_validation_indices_most_test_like():
    train, test = _frames(shift=3.0, n=500)
    validator = AdversarialValidator(random_state=0).fit(train, test)

    indices = validator.validation_indices(0.1)

    assert indices.shape == (50,)
    assert validator.train_similarity_.index.equals(train.index)
    chosen = validator.train_similarity_.iloc[indices]
    rest = validator.train_similarity_.drop(chosen.index)
    assert chosen.min() >= rest.max()
    # The chosen rows look like test rows because their drift column is high.
    assert train["drift"].iloc[indices].mean() > train["drift"].mean() + 0.5


def test_adversarial_validator_custom_pipeline_and_arrays():
    rng = np.random.default_rng(2)
    train = rng.normal(size=(300, 3))
    test = rng.normal(size=(300, 3))
    test[:, 1] += 1.5
    model = make_pipeline(StandardScaler(), LogisticRegression())

    validator = AdversarialValidator(model, cv=3, random_state=0).fit(train, test)

    assert validator.feature_importances_.index[0] == "x1"
    assert isinstance(validator.train_similarity_, np.ndarray)
    assert validator.auc_ > 0.8


def test_adversarial_validator_column_mismatch_raises():
    train, test = _frames(shift=0.0, n=50)
    with pytest.raises(
        ValueError, match=r"only in X_train \['city'\], only in X_test \['town'\]"
    ):
        AdversarialValidator().fit(train, test.rename(columns={"city": "town"}))


def test_adversarial_validator_bad_input_raises():
    train, test = _frames(shift=0.0, n=50)
    with pytest.raises(TypeError, match="both be DataFrames or both arrays"):
        AdversarialValidator().fit(train, test.to_numpy())
    with pytest.raises(ValueError, match="cv must be an int >= 2"):
        AdversarialValidator(cv=1).fit(train, test)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        AdversarialValidator().validation_indices(0.2)
    with pytest.raises(ValueError, match="not a parameter of AdversarialValidator"):
        AdversarialValidator().set_params(folds=3)


def test_adversarial_validator_clone_keeps_params():
    validator = AdversarialValidator(cv=4, random_state=3)
    cloned = clone(validator)
    assert cloned.get_params() == validator.get_params()
    assert cloned is not validator


@pytest.mark.parametrize("empty", ["X_train", "X_test"])
def test_adversarial_validator_too_few_rows_raises(empty):
    train, test = _frames(shift=0.0, n=50)
    parts = {"X_train": train, "X_test": test}
    parts[empty] = parts[empty].iloc[:2]
    with pytest.raises(ValueError, match=f"{empty} has 2 rows.*cv=5"):
        AdversarialValidator(cv=5).fit(parts["X_train"], parts["X_test"])


def test_default_model_text_column_matches_category():
    train, test = _frames(shift=1.0, n=300)
    train_text = train.assign(colour=np.where(train["drift"] > 0, "red", "blue"))
    test_text = test.assign(colour=np.where(test["drift"] > 0, "red", "blue"))
    # Expected: the same column converted by hand to one shared category dtype.
    colours = pd.CategoricalDtype(["blue", "red"])
    train_category = train_text.astype({"colour": colours})
    test_category = test_text.astype({"colour": colours})

    from_text = AdversarialValidator(random_state=0).fit(train_text, test_text)
    from_category = AdversarialValidator(random_state=0).fit(
        train_category, test_category
    )

    assert from_text.auc_ == from_category.auc_
    pd.testing.assert_series_equal(
        from_text.feature_importances_, from_category.feature_importances_
    )
    assert train_text["colour"].dtype != colours


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_boosting_estimator_text_column_rejected(library):
    from lightgbm import LGBMClassifier
    from xgboost import XGBClassifier

    train, test = _frames(shift=1.0, n=100)
    estimator = LGBMClassifier(verbose=-1) if library == "lightgbm" else XGBClassifier()
    validator = AdversarialValidator(estimator)

    with pytest.raises(TypeError, match=r"got 'c' \((object|str)\)"):
        validator.fit(train.assign(c="x"), test.assign(c="y"))
    with pytest.raises(TypeError, match=r"X.astype\(\{'c': 'category'\}\)"):
        validator.fit(train.assign(c="x"), test.assign(c="y"))
