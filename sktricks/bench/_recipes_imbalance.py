"""Benchmark recipes for class imbalance: weights, SMOTE, focal loss, mixup, prior.

Each recipe is the ``lightgbm`` baseline recipe (200 rounds at learning rate
0.05, one thread) with one imbalance trick added, so a run that names them
next to ``lightgbm`` compares the tricks on the same folds. None of them is
a default recipe.
"""

from __future__ import annotations

import numbers
import warnings
from collections import Counter
from typing import Any, ClassVar

from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.pipeline import make_pipeline as make_imblearn_pipeline
from lightgbm import LGBMClassifier
from sklearn.base import BaseEstimator
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OrdinalEncoder
from sklearn.utils._param_validation import Interval

from sktricks.bench._recipes import register_recipe
from sktricks.exceptions import SktricksWarning
from sktricks.losses import FocalLossClassifier
from sktricks.sampling import MixupSampler, PriorCorrectedClassifier

_CLASSIFICATION = ("binary", "multiclass")


def _lightgbm(random_state: int, **params: Any) -> LGBMClassifier:
    return LGBMClassifier(
        n_estimators=200,
        learning_rate=0.05,
        n_jobs=1,
        random_state=random_state,
        verbose=-1,
        **params,
    )


class FoldSafeSMOTE(BaseOverSampler):
    """SMOTE whose ``k_neighbors`` shrinks to fit the smallest class.

    imbalanced-learn's SMOTE raises "Expected n_neighbors <= n_samples" when
    a class to over-sample has ``k_neighbors`` rows or fewer, which happens
    in small cross-validation folds. This wrapper lowers ``k_neighbors`` to
    the smallest such class size minus one, with a warning, and falls back
    to random over-sampling (also with a warning) when that class has a
    single row. Numeric input only: encode and impute first.

    Parameters
    ----------
    k_neighbors : int, default=5
        Neighbours used by SMOTE when every class is large enough.
    sampling_strategy : float, str, dict or callable, default="auto"
        As in imbalanced-learn's over-samplers.
    random_state : int, RandomState instance or None, default=None
        Seed passed to SMOTE or RandomOverSampler.

    Attributes
    ----------
    k_neighbors_ : int
        Neighbours actually used (0 when random over-sampling was used).
    sampler_ : SMOTE or RandomOverSampler
        The fitted sampler.
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseOverSampler._parameter_constraints,
        "k_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, k_neighbors=5, sampling_strategy="auto", random_state=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.k_neighbors = k_neighbors
        self.random_state = random_state

    def _fit_resample(self, X, y):
        counts = Counter(y)
        grown = [label for label, n_new in self.sampling_strategy_.items() if n_new > 0]
        if not grown:
            self.k_neighbors_ = self.k_neighbors
            return X, y
        smallest = min(grown, key=lambda label: counts[label])
        n_smallest = counts[smallest]
        # sampling_strategy_ contains rows to add, but the inner samplers take a dict
        # of class counts to reach.
        targets = {
            label: counts[label] + n_new
            for label, n_new in self.sampling_strategy_.items()
        }

        if n_smallest < 2:
            warnings.warn(
                f"Class {smallest!r} has 1 row in this training set; SMOTE needs "
                "at least 2, so it is over-sampled by copying rows "
                "(RandomOverSampler) instead.",
                SktricksWarning,
                stacklevel=2,
            )
            self.k_neighbors_ = 0
            self.sampler_ = RandomOverSampler(
                sampling_strategy=targets,
                random_state=self.random_state,
            )
            return self.sampler_.fit_resample(X, y)

        self.k_neighbors_ = min(self.k_neighbors, n_smallest - 1)
        if self.k_neighbors_ < self.k_neighbors:
            warnings.warn(
                f"Class {smallest!r} has {n_smallest} rows in this training set, "
                f"too few for k_neighbors={self.k_neighbors}; SMOTE uses "
                f"k_neighbors={self.k_neighbors_} instead.",
                SktricksWarning,
                stacklevel=2,
            )
        self.sampler_ = SMOTE(
            sampling_strategy=targets,
            k_neighbors=self.k_neighbors_,
            random_state=self.random_state,
        )
        return self.sampler_.fit_resample(X, y)


def _encode_and_impute():
    # SMOTE interpolates numbers only: categories become their ordinal codes
    # and missing values the column median.
    return make_column_transformer(
        (
            OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=-1,
                encoded_missing_value=-1,
            ),
            make_column_selector(dtype_include="category"),
        ),
        (
            SimpleImputer(strategy="median"),
            make_column_selector(dtype_exclude="category"),
        ),
    )


@register_recipe(
    "lightgbm_class_weight",
    tasks=_CLASSIFICATION,
    description="LightGBM with class_weight='balanced'",
)
def _build_class_weight(task: str, random_state: int) -> BaseEstimator:
    return _lightgbm(random_state, class_weight="balanced")


@register_recipe(
    "lightgbm_smote",
    tasks=_CLASSIFICATION,
    description="SMOTE to balance (k_neighbors lowered for tiny classes), "
    "then LightGBM; ordinal-encoded categories, median imputation",
)
def _build_smote(task: str, random_state: int) -> BaseEstimator:
    return make_imblearn_pipeline(
        _encode_and_impute(),
        FoldSafeSMOTE(random_state=random_state),
        _lightgbm(random_state),
    )


@register_recipe(
    "lightgbm_focal",
    tasks=_CLASSIFICATION,
    description="LightGBM trained on the focal loss, gamma=2",
)
def _build_focal(task: str, random_state: int) -> BaseEstimator:
    return FocalLossClassifier(_lightgbm(random_state), gamma=2.0)


@register_recipe(
    "lightgbm_mixup",
    tasks=_CLASSIFICATION,
    description="Mixup over-sampling to balance (alpha=0.2), then LightGBM",
)
def _build_mixup(task: str, random_state: int) -> BaseEstimator:
    return make_imblearn_pipeline(
        MixupSampler(alpha=0.2, random_state=random_state),
        _lightgbm(random_state),
    )


@register_recipe(
    "lightgbm_prior",
    tasks=_CLASSIFICATION,
    description="Random over-sampling to balance, then LightGBM, with "
    "probabilities corrected back to the training prior",
)
def _build_prior(task: str, random_state: int) -> BaseEstimator:
    return PriorCorrectedClassifier(
        _lightgbm(random_state),
        sampler=RandomOverSampler(random_state=random_state),
    )
