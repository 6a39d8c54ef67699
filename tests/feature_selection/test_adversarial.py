"""Tests for AdversarialSelector."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sktricks.feature_selection import AdversarialSelector


def _drifting_sets(n_rows: int = 300, seed: int = 0):
    """Train and test rows where "strong" drifts a lot and "mild" a little."""
    rng = np.random.default_rng(seed)
    columns = ["a", "strong", "b", "mild", "c"]
    train = pd.DataFrame(rng.normal(size=(n_rows, 5)), columns=columns)
    test = pd.DataFrame(rng.normal(size=(n_rows, 5)), columns=columns)
    test["strong"] += 3.0
    test["mild"] += 1.0
    return train, test


def test_adversarial_drops_drifting_columns_strongest_first():
    train, test = _drifting_sets()

    selector = AdversarialSelector(random_state=0).fit(train, X_test=test)

    assert selector.dropped_ == ["strong", "mild"]
    assert selector.get_feature_names_out().tolist() == ["a", "b", "c"]
    assert len(selector.auc_history_) == 3
    assert selector.auc_history_[0] > 0.95
    assert 0.6 <= selector.auc_history_[1] < selector.auc_history_[0]
    assert selector.auc_history_[2] < 0.6
    assert selector.importances_.index[0] == "strong"


def test_adversarial_auc_matches_independent_cross_validation():
    # The first round's AUC, recomputed with scikit-learn alone: stack the
    # rows, label test rows 1, and score out-of-fold probabilities.
    train, test = _drifting_sets(seed=1)
    estimator = LogisticRegression()
    selector = AdversarialSelector(
        estimator=estimator, threshold=0.99, max_features_to_drop=1, random_state=3
    ).fit(train, X_test=test)

    stacked = pd.concat([train, test], ignore_index=True)
    is_test = np.r_[np.zeros(len(train)), np.ones(len(test))].astype(int)
    folds = StratifiedKFold(5, shuffle=True, random_state=3)
    proba = cross_val_predict(
        clone(estimator), stacked, is_test, cv=folds, method="predict_proba"
    )[:, 1]

    assert selector.auc_history_[0] == pytest.approx(roc_auc_score(is_test, proba))
    assert selector.dropped_ == ["strong"]


def test_adversarial_max_features_to_drop_stops_early():
    train, test = _drifting_sets()

    selector = AdversarialSelector(max_features_to_drop=1, random_state=0)
    selector.fit(train, X_test=test)

    assert selector.dropped_ == ["strong"]
    assert len(selector.auc_history_) == 2
    assert selector.auc_history_[-1] >= 0.6

    nothing = AdversarialSelector(max_features_to_drop=0, random_state=0)
    assert nothing.fit(train, X_test=test).dropped_ == []


def test_adversarial_keeps_last_column_when_all_drift():
    rng = np.random.default_rng(4)
    train = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    test = pd.DataFrame(rng.normal(5.0, 1.0, size=(200, 3)), columns=["a", "b", "c"])

    selector = AdversarialSelector(random_state=0).fit(train, X_test=test)

    assert len(selector.dropped_) == 2
    assert selector.get_support().sum() == 1
    assert selector.auc_history_[-1] > 0.9


def test_adversarial_category_and_missing_values_with_default_model():
    rng = np.random.default_rng(5)
    n_rows = 300
    train = pd.DataFrame(
        {
            "shop": pd.Categorical(rng.choice(["a", "b", None], size=n_rows)),
            "price": np.where(
                rng.random(n_rows) < 0.2, np.nan, rng.normal(size=n_rows)
            ),
            "count": pd.array(rng.integers(0, 5, size=n_rows), dtype="Int64"),
            "text": rng.choice(["u", "v", None], size=n_rows).astype(object),
        }
    )
    test = train.sample(frac=1.0, random_state=0).reset_index(drop=True)
    # Only the shop mix drifts: in the test rows nearly every shop is "c",
    # a category the training rows never saw.
    test["shop"] = pd.Categorical(
        np.where(rng.random(n_rows) < 0.9, "c", test["shop"].astype(object))
    )

    selector = AdversarialSelector(random_state=0).fit(train, X_test=test)

    assert selector.dropped_ == ["shop"]
    assert selector.auc_history_[-1] < 0.6


def test_adversarial_numpy_input_uses_positional_names():
    train, test = _drifting_sets()

    selector = AdversarialSelector(random_state=0).fit(
        train.to_numpy(), X_test=test.to_numpy()
    )

    assert selector.dropped_ == ["x1", "x3"]
    np.testing.assert_array_equal(
        selector.get_support(), [True, False, True, False, True]
    )


def test_adversarial_test_columns_may_come_in_another_order():
    train, test = _drifting_sets()

    reordered = AdversarialSelector(random_state=0).fit(
        train, X_test=test[test.columns[::-1]]
    )
    aligned = AdversarialSelector(random_state=0).fit(train, X_test=test)

    assert reordered.dropped_ == aligned.dropped_
    assert reordered.auc_history_ == aligned.auc_history_


def test_adversarial_rejects_bad_test_rows():
    train, test = _drifting_sets(n_rows=40)
    selector = AdversarialSelector()

    with pytest.raises(ValueError, match="requires X_test"):
        selector.fit(train)
    with pytest.raises(ValueError, match="X_test has 0 rows"):
        selector.fit(train, X_test=test.iloc[:0])
    with pytest.raises(ValueError, match=r"Missing from X_test: \['c'\]"):
        selector.fit(train, X_test=test.drop(columns="c"))
    with pytest.raises(ValueError, match=r"not in X: \['extra'\]"):
        selector.fit(train, X_test=test.assign(extra=1.0))
    with pytest.raises(TypeError, match="X_test must be a DataFrame"):
        selector.fit(train, X_test=test.to_numpy())
    with pytest.raises(ValueError, match="X_test has 4 columns but X has 5"):
        selector.fit(train.to_numpy(), X_test=test.to_numpy()[:, :4])
    with pytest.raises(ValueError, match="at least cv=5 rows"):
        selector.fit(train, X_test=test.iloc[:3])


def test_adversarial_rejects_mismatched_column_kinds():
    # A number column read as text in X_test used to become categories that
    # never match X's, and the selector scored the column as harmless.
    train, test = _drifting_sets(n_rows=60)
    with pytest.raises(ValueError, match=r"'strong' \(float64 in X, (object|str)"):
        AdversarialSelector().fit(train, X_test=test.astype({"strong": str}))
    category = test.assign(b=pd.Categorical(np.where(test["b"] > 0, "hi", "lo")))
    with pytest.raises(ValueError, match=r"'b' \(float64 in X, category in X_test\)"):
        AdversarialSelector().fit(train, X_test=category)

    # Numbers stored as objects, nullable integers and booleans are numbers.
    train = train.assign(count=np.arange(60) % 7, flag=np.arange(60) % 2 == 0)
    test = test.assign(
        strong=test["strong"].astype(object),
        count=pd.array(np.arange(60) % 5, dtype="Int64"),
        flag=pd.array(np.arange(60) % 3 == 0, dtype="boolean"),
    )
    selector = AdversarialSelector(cv=3, random_state=0).fit(train, X_test=test)
    assert "strong" in selector.dropped_


def test_adversarial_rejects_estimator_without_importances():
    from sklearn.neighbors import KNeighborsClassifier

    train, test = _drifting_sets(n_rows=60)
    selector = AdversarialSelector(estimator=KNeighborsClassifier())

    with pytest.raises(TypeError, match="KNeighborsClassifier has neither"):
        selector.fit(train, X_test=test)


def test_adversarial_pandas_output_keeps_index_and_dtypes():
    train, test = _drifting_sets()
    train.index = pd.RangeIndex(500, 500 + len(train))
    train["city"] = pd.Categorical(["a", "b"] * (len(train) // 2))
    test["city"] = pd.Categorical(["a", "b"] * (len(test) // 2))

    selector = AdversarialSelector(random_state=0).set_output(transform="pandas")
    out = selector.fit(train, X_test=test).transform(train)

    assert out.columns.tolist() == ["a", "b", "c", "city"]
    assert out.index.equals(train.index)
    pd.testing.assert_frame_equal(out, train[out.columns])


def test_adversarial_rejects_reordered_columns_at_transform():
    train, test = _drifting_sets(n_rows=60)
    selector = AdversarialSelector(max_features_to_drop=0).fit(train, X_test=test)

    with pytest.raises(ValueError, match="same order"):
        selector.transform(train[train.columns[::-1]])


def test_adversarial_in_pipeline_with_metadata_routing():
    train, test = _drifting_sets()
    y = (train["a"] > 0).astype(int)

    with sklearn.config_context(enable_metadata_routing=True):
        pipeline = Pipeline(
            [
                (
                    "select",
                    AdversarialSelector(random_state=0).set_fit_request(X_test=True),
                ),
                ("model", LogisticRegression()),
            ]
        )
        pipeline.fit(train, y, X_test=test)

    assert pipeline["select"].dropped_ == ["strong", "mild"]
    assert pipeline["model"].n_features_in_ == 3


def test_adversarial_in_pipeline_after_column_transformer():
    train, test = _drifting_sets()
    rng = np.random.default_rng(6)
    train["city"] = rng.choice(["x", "y"], size=len(train))
    test["city"] = rng.choice(["x", "y"], size=len(test))
    y = (train["a"] > 0).astype(int)
    preprocess = ColumnTransformer(
        [
            ("scale", StandardScaler(), ["a", "strong", "b", "mild", "c"]),
            ("onehot", OneHotEncoder(sparse_output=False), ["city"]),
        ],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    # The pipeline does not transform X_test, so it gets the same
    # preprocessing up front, fitted on the training rows.
    test_features = clone(preprocess).fit(train).transform(test)

    with sklearn.config_context(enable_metadata_routing=True):
        pipeline = Pipeline(
            [
                ("preprocess", preprocess),
                (
                    "select",
                    AdversarialSelector(random_state=0).set_fit_request(X_test=True),
                ),
                ("model", LogisticRegression()),
            ]
        ).set_output(transform="pandas")
        pipeline.fit(train, y, X_test=test_features)

        assert pipeline["select"].dropped_ == ["strong", "mild"]
        assert pipeline["model"].feature_names_in_.tolist() == [
            "a",
            "b",
            "c",
            "city_x",
            "city_y",
        ]
        assert pipeline.score(train, y) > 0.9
