"""Boruta: keep the features that beat shuffled copies of themselves."""

from __future__ import annotations

import logging
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.stats import binom, false_discovery_control
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

__all__ = ["BorutaSelector"]

_ACCEPTED, _TENTATIVE, _REJECTED = 1, 0, -1

# Iterations fitted together on the same active features (in parallel with
# n_jobs > 1). Up to this many minus one iterations of the last round may be
# unused once every feature is decided.
ITERATIONS_PER_ROUND = 4


class BorutaSelector(ModelBasedSelector):
    """Select the features that beat shuffled copies of all features (Boruta).

    Each iteration appends a shadow copy of every undecided and accepted
    feature, with its rows shuffled independently, and fits the model on
    the real and shadow columns. Every real feature whose importance beats
    the ``perc`` percentile of the shadow importances scores a hit. A
    binomial test on the hit counts then accepts or rejects features;
    rejected ones leave the model. The loop stops once every feature is
    decided or after ``max_iter`` iterations.

    Compared with BorutaPy, the default model is a LightGBM booster (fast,
    handles NaN and ``category`` columns), shadows are drawn in one
    vectorised call, and ``importance`` may be SHAP or permutation on
    held-out rows.

    Parameters
    ----------
    estimator : estimator, default=None
        Model refitted every iteration. ``None`` uses a LightGBM classifier
        or regressor (chosen from ``y``) with 50 trees of 15 leaves, half
        the columns and 80% of the rows per tree.
    importance : {"auto", "gain", "split", "shap", "permutation"}, \
            default="auto"
        How the fitted model scores features: ``"auto"`` reads
        ``feature_importances_`` (gain for the default model) or ``coef_``;
        ``"shap"`` and ``"permutation"`` score on a held-out quarter of the
        rows, redrawn every iteration.
    max_iter : int, default=100
        Maximum number of iterations.
    alpha : float, default=0.05
        Significance level of the binomial tests, after correction.
    perc : float, default=100
        Percentile of the shadow importances a feature must beat; 100 means
        the best shadow, lower values accept more features.
    two_step : bool, default=True
        Correct the tests with Benjamini-Hochberg over the undecided features
        and Bonferroni over the iterations. ``False`` uses Bonferroni over
        all features, as the original Boruta does.
    random_state : int, RandomState instance or None, default=None
        Seeds the shadows, the held-out rows and the model (a
        ``random_state`` already set on ``estimator`` is kept).
    n_jobs : int, default=None
        Iterations fitted in parallel threads, up to four at a time. The
        default LightGBM model then uses one thread each, because LightGBM
        releases the GIL while it trains. The result does not depend on
        ``n_jobs``.
    verbose : int, default=0
        Logs the decision counts of every iteration and shows a progress bar
        when positive.

    Attributes
    ----------
    support_ : ndarray of shape (`n_features_in_`,)
        Mask of the accepted features.
    support_weak_ : ndarray of shape (`n_features_in_`,)
        Mask of the features still tentative after the last iteration whose
        median importance beats the median of the best shadow.
    ranking_ : ndarray of shape (`n_features_in_`,)
        1 for accepted, 2 for tentative, and 3 upwards for rejected features
        ordered by their share of hits.
    history_ : DataFrame of shape (`n_iter_`, `n_features_in_`)
        Importance of every feature at every iteration (NaN once rejected).
    shadow_history_ : DataFrame of shape (`n_iter_`, 3)
        Minimum, mean and maximum shadow importance of every iteration.
    hits_ : ndarray of shape (`n_features_in_`,)
        Number of iterations each feature beat the shadows.
    n_iter_ : int
        Iterations run.
    stability_ : float
        Mean pairwise Jaccard index of the per-iteration sets of features
        that beat the shadows.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame with string column names.

    See Also
    --------
    NullImportanceSelector : compare each feature with its own importance on
        shuffled targets.

    References
    ----------
    Kursa, M. B. and Rudnicki, W. R. (2010). Feature Selection with the
    Boruta Package. Journal of Statistical Software, 36(11).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sktricks.feature_selection import BorutaSelector
    >>> X, y = make_classification(
    ...     n_samples=500, n_features=10, n_informative=3, n_redundant=0,
    ...     shuffle=False, random_state=0)
    >>> selector = BorutaSelector(random_state=0).fit(X, y)
    >>> selector.get_support(indices=True)
    array([0, 1, 2])
    """

    _default_num_leaves = 15

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods("fit"), None],
        "importance": [StrOptions(set(IMPORTANCE_OPTIONS))],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "perc": [Interval(Real, 0, 100, closed="both")],
        "two_step": ["boolean"],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator: Any = None,
        *,
        importance: str = "auto",
        max_iter: int = 100,
        alpha: float = 0.05,
        perc: float = 100,
        two_step: bool = True,
        random_state: Any = None,
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.importance = importance
        self.max_iter = max_iter
        self.alpha = alpha
        self.perc = perc
        self.two_step = two_step
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any, **fit_params: Any) -> BorutaSelector:
        """Run Boruta on ``X`` and ``y``.

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
        self : BorutaSelector
            The fitted selector.
        """
        X_model, y_array = self._validate_input(X, y)
        params = self._fit_params(fit_params)
        with self._naming_model_errors(X_model):
            self._fit(_plain_array(X_model), y_array, params)
        return self

    def _fit(self, X: Any, y: np.ndarray, params: dict[str, Any]) -> None:
        rng = check_random_state(self.random_state)
        n_features = X.shape[1]
        decision = np.full(n_features, _TENTATIVE)
        hits = np.zeros(n_features, dtype=np.int64)
        rounds = np.zeros(n_features, dtype=np.int64)
        history = np.full((self.max_iter, n_features), np.nan)
        shadow_stats = np.full((self.max_iter, 3), np.nan)
        hit_masks: list[np.ndarray] = []
        bar = progress_bar(
            range(self.max_iter), verbose=self.verbose, desc="Boruta", unit="iter"
        )

        n_iter = 0
        while n_iter < self.max_iter and np.any(decision == _TENTATIVE):
            # A round of iterations shares one set of active features, so its
            # models can be fitted at once. The round size does not depend on
            # n_jobs, so neither does the result.
            active = np.flatnonzero(decision != _REJECTED)
            n_round = min(ITERATIONS_PER_ROUND, self.max_iter - n_iter)
            seeds = rng.randint(np.iinfo(np.int32).max, size=n_round)
            round_scores = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(self._score_with_shadows)(X, y, active, params, int(seed))
                for seed in seeds
            )

            for scores in round_scores:
                if not np.any(decision == _TENTATIVE):
                    break
                # Features rejected earlier in the round no longer count.
                in_model = decision[active] != _REJECTED
                kept = active[in_model]
                real = scores[: active.size][in_model]
                shadow = scores[active.size :]

                history[n_iter, kept] = real
                shadow_stats[n_iter] = shadow.min(), shadow.mean(), shadow.max()
                beaten = np.zeros(n_features, dtype=bool)
                beaten[kept] = real > np.percentile(shadow, self.perc)
                hits += beaten
                rounds[kept] += 1
                hit_masks.append(beaten)
                n_iter += 1
                next(bar, None)

                self._decide(decision, hits, n_iter)
                logger.info(
                    "Boruta iteration %d: %d accepted, %d tentative, %d rejected",
                    n_iter,
                    np.count_nonzero(decision == _ACCEPTED),
                    np.count_nonzero(decision == _TENTATIVE),
                    np.count_nonzero(decision == _REJECTED),
                )

        self._store_results(
            decision,
            hits,
            rounds,
            history[:n_iter],
            shadow_stats[:n_iter],
            hit_masks,
        )

    def _score_with_shadows(
        self,
        X: Any,
        y: np.ndarray,
        active: np.ndarray,
        params: dict[str, Any],
        seed: int,
    ) -> np.ndarray:
        """Fit the model on the active features plus their shadows; score both."""
        combined = _with_shadows(X, active, np.random.default_rng(seed))
        # Iterations run in parallel threads, so the default model uses one.
        model = self._make_estimator(y, n_jobs=1)
        return fit_and_score(model, combined, y, self.importance, params, seed)

    def _decide(self, decision: np.ndarray, hits: np.ndarray, n_iter: int) -> None:
        """Accept or reject tentative features by binomial tests on their hits."""
        tentative = np.flatnonzero(decision == _TENTATIVE)
        if tentative.size == 0:
            return
        # Under the null a feature beats the shadows with probability 1/2.
        p_accept = binom.sf(hits[tentative] - 1, n_iter, 0.5)
        p_reject = binom.cdf(hits[tentative], n_iter, 0.5)

        if self.two_step:
            accept = (false_discovery_control(p_accept) <= self.alpha) & (
                p_accept <= self.alpha / n_iter
            )
            reject = (false_discovery_control(p_reject) <= self.alpha) & (
                p_reject <= self.alpha / n_iter
            )
        else:
            limit = self.alpha / decision.shape[0]
            accept = p_accept <= limit
            reject = p_reject <= limit
        decision[tentative[accept]] = _ACCEPTED
        decision[tentative[reject]] = _REJECTED

    def _store_results(
        self,
        decision: np.ndarray,
        hits: np.ndarray,
        rounds: np.ndarray,
        history: np.ndarray,
        shadow_stats: np.ndarray,
        hit_masks: list[np.ndarray],
    ) -> None:
        self.support_ = decision == _ACCEPTED
        tentative = decision == _TENTATIVE
        median_importance = np.full(decision.shape[0], -np.inf)
        if tentative.any():
            median_importance[tentative] = np.nanmedian(history[:, tentative], axis=0)
        self.support_weak_ = tentative & (
            median_importance > np.median(shadow_stats[:, 2])
        )

        # Rejected features rank after the tentative ones, best hit rate first.
        ranking = np.where(self.support_, 1, 2)
        rejected = np.flatnonzero(decision == _REJECTED)
        if rejected.size:
            rate = hits[rejected] / np.maximum(rounds[rejected], 1)
            _, dense = np.unique(-rate, return_inverse=True)
            ranking[rejected] = 3 + dense
        self.ranking_ = ranking

        columns = getattr(self, "feature_names_in_", None)
        if columns is None:
            columns = [f"x{i}" for i in range(decision.shape[0])]
        index = pd.RangeIndex(1, history.shape[0] + 1, name="iteration")
        self.history_ = pd.DataFrame(history, index=index, columns=list(columns))
        self.shadow_history_ = pd.DataFrame(
            shadow_stats, index=index, columns=["min", "mean", "max"]
        )
        self.hits_ = hits
        self.n_iter_ = history.shape[0]
        self.stability_ = selection_stability(np.vstack(hit_masks))


def _plain_array(X: Any) -> Any:
    """Turn a DataFrame of plain numeric columns into one float array.

    Shuffling a NumPy array is much faster than shuffling frame columns.
    Frames with ``category`` or nullable columns stay frames, so LightGBM
    keeps their categories and missing values.
    """
    if isinstance(X, pd.DataFrame) and all(
        isinstance(dtype, np.dtype) and dtype.kind in "biuf" for dtype in X.dtypes
    ):
        return X.to_numpy(dtype=np.float64)
    return X


def _with_shadows(X: Any, active: np.ndarray, rng: np.random.Generator) -> Any:
    """Return the active columns followed by a row-shuffled copy of each."""
    if not isinstance(X, pd.DataFrame):
        real = X[:, active]
        return np.hstack([real, rng.permuted(real, axis=0)])

    # Positional names avoid clashes with the shadows and the characters
    # LightGBM rejects in feature names.
    n_rows = X.shape[0]
    real = X.iloc[:, active].reset_index(drop=True)
    real.columns = [f"f{i}" for i in active]
    orders = np.argsort(rng.random((n_rows, active.size)), axis=0)
    shadows = {
        f"shadow{i}": real.iloc[:, k].array.take(orders[:, k])
        for k, i in enumerate(active)
    }
    return pd.concat([real, pd.DataFrame(shadows)], axis=1)
