"""Data shared by the feature-selection tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.tree import DecisionTreeClassifier


def informative_data(n_samples, n_features, n_informative, random_state=0):
    """make_classification with the informative columns first (the truth)."""
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=0,
        shuffle=False,
        random_state=random_state,
    )
    truth = np.zeros(n_features, dtype=bool)
    truth[:n_informative] = True
    return X, y, truth


def recall_and_precision(mask, truth):
    hits = np.count_nonzero(mask & truth)
    return hits / np.count_nonzero(truth), hits / max(np.count_nonzero(mask), 1)


def awkward_frame(n_samples=600, random_state=0):
    """A frame whose informative columns are category-with-NaN and Int64-with-NA.

    ``cat`` and ``count`` decide the target; ``empty`` is all NaN and
    ``noise`` is random.
    """
    rng = np.random.default_rng(random_state)
    cat = rng.choice(["a", "b", "c"], size=n_samples)
    count = rng.integers(0, 10, size=n_samples)
    y = ((cat == "a") ^ (count > 4)).astype(int)
    frame = pd.DataFrame(
        {
            "noise": rng.normal(size=n_samples),
            "cat": pd.Categorical(cat),
            "count": pd.array(count, dtype="Int64"),
            "empty": np.full(n_samples, np.nan),
        },
        index=pd.RangeIndex(100, 100 + n_samples, name="row"),
    )
    frame.loc[frame.index[::15], "cat"] = np.nan
    frame.loc[frame.index[::17], "count"] = pd.NA
    return frame, y


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """A decision tree that records the keyword arguments of every fit."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        self.tree_model_ = DecisionTreeClassifier(
            max_depth=3, random_state=self.random_state
        ).fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.tree_model_.classes_
        self.feature_importances_ = self.tree_model_.feature_importances_
        self.received_weights_ = sample_weight
        return self

    def predict(self, X):
        return self.tree_model_.predict(X)

    def predict_proba(self, X):
        return self.tree_model_.predict_proba(X)


# Test modules are imported with --import-mode=importlib, so they reach the
# helpers above through fixtures instead of imports.
@pytest.fixture
def make_informative():
    return informative_data


@pytest.fixture
def recall_precision():
    return recall_and_precision


@pytest.fixture
def awkward():
    return awkward_frame()


@pytest.fixture
def recording_classifier():
    return RecordingClassifier
