"""Feature selection by permutation importance on held-out folds."""

from __future__ import annotations

import logging
import warnings
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from scipy.stats import false_discovery_control, ttest_1samp
from sklearn.base import _fit_context
from sklearn.inspection import permutation_importance
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval

from sktricks.feature_selection._importance import selection_stability
from sktricks.feature_selection._model_based import (
    ModelBasedSelector,
    set_model_seed,
    take_rows,
)
from sktricks.model_selection import cross_val_oof
from sktricks.utils._validation import N_JOBS_CONSTRAINT

logger = logging.getLogger(__name__)

__all__ = ["PermutationSelector"]


class PermutationSelector(ModelBasedSelector):
    """Keep the features whose shuffling lowers the held-out score.

    The model is fitted on each fold's training part. On the fold's held-out
    part every column is shuffled ``n_repeats`` times, and the drop of the
    score is recorded. A feature is kept when its mean drop over repeats and
    folds exceeds ``threshold`` and, unless ``alpha`` is ``None``, a
    one-sided t-test over its drops is significant at level ``alpha``
    after Benjamini-Hochberg correction over the features. Without the test, about
    half of the useless features pass a threshold of 0 by chance.

    Scoring on held-out rows, unlike ``permutation_importance`` on the
    training rows, does not reward features that the model only overfits.

    Parameters
    ----------
    estimator : estimator, default=None
        Model fitted on every fold; any scikit-learn estimator works.
        ``None`` uses a LightGBM classifier or regressor (chosen from ``y``)
        with 50 trees of 7 leaves, half the columns and 80% of the rows
        per tree.
    cv : int, cross-validation generator or iterable, default=5
        Folds, as in scikit-learn; an int means ``StratifiedKFold`` for
        classification and ``KFold`` otherwise.
    scoring : str or callable, default=None
        Score whose drop is measured; ``None`` uses the model's ``score``
        (accuracy for classifiers, R² for regressors).
    n_repeats : int, default=5
        Shuffles of each column per fold.
    threshold : float, default=0.0
        Minimum mean drop of the score for a feature to be kept.
    alpha : float or None, default=0.05
        Significance level of the test that the mean drop exceeds
        ``threshold``; ``None`` keeps every feature above ``threshold``.
    random_state : int, RandomState instance or None, default=None
        Seeds the model and the shuffles.
    n_jobs : int, default=None
        Folds fitted in parallel with joblib.
    verbose : int, default=0
        Shows a progress bar over the folds when positive.

    Attributes
    ----------
    support_ : ndarray of shape (`n_features_in_`,)
        Mask of the selected features.
    scores_ : ndarray of shape (`n_features_in_`,)
        Mean drop of the score over repeats and folds.
    fold_scores_ : ndarray of shape (n_folds, `n_features_in_`)
        Mean drop of the score per fold.
    p_values_ : ndarray of shape (`n_features_in_`,)
        Benjamini-Hochberg adjusted p-values of the one-sided t-tests over
        the per-fold mean drops of each feature (NaN where they are all
        equal).
    stability_ : float
        Mean pairwise Jaccard index of the folds' own selections
        (``fold_scores_ > threshold``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame with string column names.

    See Also
    --------
    sklearn.inspection.permutation_importance : the drop on one data set.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sktricks.feature_selection import PermutationSelector
    >>> X, y = make_classification(
    ...     n_samples=600, n_features=6, n_informative=2, n_redundant=0,
    ...     shuffle=False, random_state=2)
    >>> selector = PermutationSelector(random_state=0).fit(X, y)
    >>> selector.get_support(indices=True)
    array([0, 1])
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods("fit"), None],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "threshold": [Real],
        "alpha": [Interval(Real, 0, 1, closed="neither"), None],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator: Any = None,
        *,
        cv: Any = 5,
        scoring: Any = None,
        n_repeats: int = 5,
        threshold: float = 0.0,
        alpha: float | None = 0.05,
        random_state: Any = None,
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.cv = cv
        self.scoring = scoring
        self.n_repeats = n_repeats
        self.threshold = threshold
        self.alpha = alpha
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(
        self, X: Any, y: Any, *, groups: Any = None, **fit_params: Any
    ) -> PermutationSelector:
        """Fit the model per fold and measure each feature's held-out drop.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data. NaN is allowed when the model handles it;
            ``category`` columns go to LightGBM as categories.
        y : array-like of shape (n_samples,)
            Target.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group-aware ``cv``.
        **fit_params : dict
            Parameters for the model's ``fit``, such as ``sample_weight``
            (also used to weight the held-out score). With metadata routing
            enabled, they are routed to the model and the splitter as each
            requests.

        Returns
        -------
        self : PermutationSelector
            The fitted selector.
        """
        X_model, y_array = self._validate_input(X, y)
        if self._is_classification(y_array):
            # cross_val_oof fits XGBoost on the class codes 0..k-1, so the
            # held-out score must compare codes with codes.
            y_array = np.unique(y_array, return_inverse=True)[1]
        rng = check_random_state(self.random_state)
        model = self._make_estimator(y_array, n_jobs=None)
        set_model_seed(model, int(rng.randint(np.iinfo(np.int32).max)))
        cv = check_cv(self.cv, y_array, classifier=self._is_classification(y_array))

        with self._naming_model_errors(X_model):
            result = cross_val_oof(
                model,
                X_model,
                y_array,
                groups=groups,
                cv=cv,
                params=fit_params,
                n_jobs=self.n_jobs,
                verbose=self.verbose,
            )
            weights = fit_params.get("sample_weight")
            drops = []
            for fold_model, (_, test) in zip(
                result.estimators_, result.folds_, strict=True
            ):
                fold = permutation_importance(
                    fold_model,
                    take_rows(X_model, test),
                    y_array[test],
                    scoring=self.scoring,
                    n_repeats=self.n_repeats,
                    random_state=int(rng.randint(np.iinfo(np.int32).max)),
                    n_jobs=self.n_jobs,
                    sample_weight=None
                    if weights is None
                    else np.asarray(weights)[test],
                )
                drops.append(fold.importances)
        self._store_results(np.stack(drops))
        return self

    def _store_results(self, drops: np.ndarray) -> None:
        """Select from the drops, shaped (n_folds, n_features, n_repeats)."""
        self.fold_scores_ = drops.mean(axis=2)
        self.scores_ = self.fold_scores_.mean(axis=0)
        above = self.scores_ > self.threshold
        self.p_values_ = _adjusted_p_values(drops, self.threshold)
        if self.alpha is None:
            self.support_ = above
        else:
            self.support_ = above & (
                np.nan_to_num(self.p_values_, nan=1.0) <= self.alpha
            )
        self.stability_ = selection_stability(self.fold_scores_ > self.threshold)
        failed_test = above & ~self.support_
        if self.alpha is not None and failed_test.any():
            # With few folds the t-test has few degrees of freedom, so a
            # clear drop can still miss alpha. The message names the cause,
            # because the columns would otherwise be dropped silently.
            best = int(
                np.flatnonzero(failed_test)[np.argmax(self.scores_[failed_test])]
            )
            names = getattr(self, "feature_names_in_", None)
            label = repr(str(names[best])) if names is not None else str(best)
            message = (
                f"PermutationSelector dropped {np.count_nonzero(failed_test)} "
                f"feature(s) whose mean drop in score exceeds "
                f"threshold={self.threshold} but whose adjusted p-value exceeds "
                f"alpha={self.alpha}, such as feature {label} (mean drop "
                f"{self.scores_[best]:.4g}, p-value {self.p_values_[best]:.3g}). "
                f"The t-test runs over the {drops.shape[0]} folds; raise cv for "
                "more power, or set alpha=None to keep every feature above "
                "the threshold."
            )
            if not self.support_.any():
                warnings.warn(message, UserWarning, stacklevel=4)
            else:
                logger.info(message)
        logger.info(
            "PermutationSelector kept %d of %d features",
            np.count_nonzero(self.support_),
            self.support_.shape[0],
        )


def _adjusted_p_values(drops: np.ndarray, threshold: float) -> np.ndarray:
    """One-sided t-test p-values of mean drop > threshold, BH-adjusted.

    The samples are the per-fold mean drops: the repeats of one fold share
    its model and rows, so treating them as independent would understate
    the variance and pass useless features.
    """
    # NOTE: with 5 folds the t-test has 4 degrees of freedom, so a weakly
    # informative feature is often missed; precision is favoured over recall.
    samples = drops.mean(axis=2).T
    with np.errstate(divide="ignore", invalid="ignore"):
        p_values = ttest_1samp(samples, threshold, axis=1, alternative="greater").pvalue
    # A constant sample (for example a column the model never uses) has no
    # variance and no p-value; it stays NaN and is not selected.
    adjusted = np.full(p_values.shape, np.nan)
    finite = np.isfinite(p_values)
    if finite.any():
        adjusted[finite] = false_discovery_control(p_values[finite])
    return adjusted
