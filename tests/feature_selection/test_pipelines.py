"""The selectors inside a Pipeline after a ColumnTransformer with pandas output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sktricks.feature_selection import (
    BorutaSelector,
    NullImportanceSelector,
    PermutationSelector,
    ShapRFECV,
)

SELECTORS = [
    BorutaSelector(max_iter=30, random_state=0),
    NullImportanceSelector(n_runs=10, random_state=0),
    ShapRFECV(cv=3, random_state=0),
    PermutationSelector(cv=3, random_state=0),
]


@pytest.mark.parametrize("selector", SELECTORS, ids=lambda s: type(s).__name__)
def test_selector_in_pipeline_after_column_transformer(selector):
    rng = np.random.default_rng(0)
    n_samples = 500
    frame = pd.DataFrame(
        {
            "signal": rng.normal(size=n_samples),
            "noise": rng.normal(size=n_samples),
            "colour": rng.choice(["red", "blue"], size=n_samples),
        },
        index=pd.RangeIndex(1000, 1000 + n_samples),
    )
    y = (frame["signal"] + 0.2 * rng.normal(size=n_samples) > 0).astype(int)
    preprocess = ColumnTransformer(
        [
            ("num", StandardScaler(), ["signal", "noise"]),
            ("cat", OneHotEncoder(sparse_output=False), ["colour"]),
        ],
        verbose_feature_names_out=False,
    )
    pipeline = Pipeline(
        [
            ("preprocess", preprocess),
            ("select", selector),
            ("model", LogisticRegression()),
        ]
    ).set_output(transform="pandas")

    pipeline.fit(frame, y)
    selected = pipeline[:-1].transform(frame)

    assert list(selected.columns) == ["signal"]
    pd.testing.assert_index_equal(selected.index, frame.index)
    assert list(pipeline[:-1].get_feature_names_out()) == ["signal"]
    assert pipeline.score(frame, y) > 0.8


@pytest.mark.parametrize(
    "selector_class",
    [BorutaSelector, NullImportanceSelector, ShapRFECV, PermutationSelector],
    ids=lambda cls: cls.__name__,
)
def test_model_without_categories_names_model_and_column(selector_class):
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "signal": rng.normal(size=120),
            "colour": pd.Categorical(rng.choice(["red", "blue"], size=120)),
        }
    )
    y = (frame["signal"] > 0).astype(int)
    selector = selector_class(RandomForestClassifier(n_estimators=5))

    with pytest.raises(
        ValueError, match=r"RandomForestClassifier.*non-numeric columns \['colour'\]"
    ) as caught:
        selector.fit(frame, y)
    assert "could not convert string to float" in str(caught.value.__cause__)
