"""Null importance: keep the features whose importance drops when the target
is shuffled."""

from __future__ import annotations

import logging
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.parallel import Parallel, delayed

from sktricks.feature_selection._importance import (
    IMPORTANCE_OPTIONS,
    selection_stability,
)
from sktricks.feature_selection._model_based import (
    ModelBasedSelector,
    fit_and_score,
)
from sktricks.utils import progress_bar
from sktricks.utils._validation import N_JOBS_CONSTRAINT

logger = logging.getLogger(__name__)

__all__ = ["NullImportanceSelector"]


class NullImportanceSelector(ModelBasedSelector):
    """Select features whose importance beats their null distribution.

    The model is fitted ``n_real_runs`` times on the real target and
    ``n_runs`` times on randomly shuffled copies of it. The shuffled fits
    give each feature a null distribution of importances: what it scores
    when it cannot be related to the target. A feature is kept when its mean
    importance on the real target exceeds the ``percentile`` of its null
    distribution. Unlike a single importance threshold, this catches
    features that score high only because the model can overfit them (many
    distinct values, many categories).

    Parameters
    ----------
    estimator : estimator, default=None
        Model refitted for every run. ``None`` uses a LightGBM classifier or
        regressor (chosen from ``y``) with 50 trees of 7 leaves, half the
        columns and 80% of the rows per tree.
    n_runs : int, default=50
        Fits on shuffled targets.
    importance : {"auto", "gain", "split", "shap", "permutation"}, \
            default="gain"
        How a fitted model scores features; ``"shap"`` and ``"permutation"``
        score on a held-out quarter of the rows, redrawn every run.
    percentile : float, default=95
        Percentile of a feature's null importances that its real importance
        must exceed.
    n_real_runs : int, default=5
        Fits on the real target, with different seeds; their importances
        are averaged, and their separate selections give ``stability_``.
    random_state : int, RandomState instance or None, default=None
        Seeds the target shuffles, the held-out rows and the model. The
        result does not depend on ``n_jobs``.
    n_jobs : int, default=None
        Runs fitted in parallel with joblib.
    verbose : int, default=0
        Shows a progress bar over the runs when positive.

    Attributes
    ----------
    support_ : ndarray of shape (`n_features_in_`,)
        Mask of the selected features.
    scores_ : ndarray of shape (`n_features_in_`,)
        Mean importance of each feature on the real target.
    real_importances_ : DataFrame of shape (n_real_runs, `n_features_in_`)
        Importance of every feature in every fit on the real target.
    null_importances_ : DataFrame of shape (n_runs, `n_features_in_`)
        Importance of every feature in every fit on a shuffled target.
    thresholds_ : ndarray of shape (`n_features_in_`,)
        The ``percentile`` of each feature's null importances.
    p_values_ : ndarray of shape (`n_features_in_`,)
        Share of null importances at least as large as ``scores_``, with one
        added to the count and to the number of runs so it is never 0.
    stability_ : float
        Mean pairwise Jaccard index of the selections that each fit on the
        real target makes alone.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame with string column names.

    See Also
    --------
    BorutaSelector : compare features with shuffled copies of the features.

    References
    ----------
    Altmann, A., Toloşi, L., Sander, O. and Lengauer, T. (2010). Permutation
    importance: a corrected feature importance measure. Bioinformatics,
    26(10), 1340-1347.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sktricks.feature_selection import NullImportanceSelector
    >>> X, y = make_classification(
    ...     n_samples=500, n_features=10, n_informative=3, n_redundant=0,
    ...     shuffle=False, random_state=0)
    >>> selector = NullImportanceSelector(n_runs=20, random_state=0).fit(X, y)
    >>> selector.get_support(indices=True)
    array([0, 1, 2])
    >>> selector.null_importances_.shape
    (20, 10)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods("fit"), None],
        "n_runs": [Interval(Integral, 1, None, closed="left")],
        "importance": [StrOptions(set(IMPORTANCE_OPTIONS))],
        "percentile": [Interval(Real, 0, 100, closed="both")],
        "n_real_runs": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator: Any = None,
        *,
        n_runs: int = 50,
        importance: str = "gain",
        percentile: float = 95,
        n_real_runs: int = 5,
        random_state: Any = None,
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.n_runs = n_runs
        self.importance = importance
        self.percentile = percentile
        self.n_real_runs = n_real_runs
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any, **fit_params: Any) -> NullImportanceSelector:
        """Fit the model on the real and on shuffled targets; select features.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data. NaN is allowed when the model handles it;
            ``category`` columns go to LightGBM as categories.
        y : array-like of shape (n_samples,)
            Target.
        **fit_params : dict
            Parameters for the model's ``fit``, such as ``sample_weight``.
            With metadata routing enabled, only what the model requests.

        Returns
        -------
        self : NullImportanceSelector
            The fitted selector.
        """
        X_model, y_array = self._validate_input(X, y)
        params = self._fit_params(fit_params)
        with self._naming_model_errors(X_model):
            self._fit(X_model, y_array, params)
        return self

    def _fit(self, X: Any, y: np.ndarray, params: dict[str, Any]) -> None:
        # Draw every seed and shuffle up front so that n_jobs cannot change
        # the result.
        rng = check_random_state(self.random_state)
        n_fits = self.n_real_runs + self.n_runs
        seeds = rng.randint(np.iinfo(np.int32).max, size=n_fits)
        targets = [y] * self.n_real_runs + [
            y[rng.permutation(y.shape[0])] for _ in range(self.n_runs)
        ]
        # Each run gets one thread when runs go in parallel.
        model_jobs = 1 if self.n_jobs not in (None, 1) else None

        runs = progress_bar(
            zip(seeds, targets, strict=True),
            verbose=self.verbose,
            total=n_fits,
            desc="Null importance",
            unit="fit",
        )
        scores = Parallel(n_jobs=self.n_jobs)(
            delayed(fit_and_score)(
                self._make_estimator(y, model_jobs),
                X,
                target,
                self.importance,
                params,
                int(seed),
                n_jobs=model_jobs,
            )
            for seed, target in runs
        )
        scores = np.vstack(scores)
        self._store_results(scores[: self.n_real_runs], scores[self.n_real_runs :])

    def _store_results(self, real: np.ndarray, null: np.ndarray) -> None:
        self.scores_ = real.mean(axis=0)
        self.thresholds_ = np.percentile(null, self.percentile, axis=0)
        self.support_ = self.scores_ > self.thresholds_
        at_least = np.count_nonzero(null >= self.scores_, axis=0)
        self.p_values_ = (at_least + 1) / (null.shape[0] + 1)
        self.stability_ = selection_stability(real > self.thresholds_)

        columns = getattr(self, "feature_names_in_", None)
        if columns is None:
            columns = [f"x{i}" for i in range(real.shape[1])]
        self.real_importances_ = pd.DataFrame(
            real, index=pd.RangeIndex(real.shape[0], name="run"), columns=columns
        )
        self.null_importances_ = pd.DataFrame(
            null, index=pd.RangeIndex(null.shape[0], name="run"), columns=columns
        )
        logger.info(
            "Null importance kept %d of %d features",
            np.count_nonzero(self.support_),
            self.support_.shape[0],
        )
