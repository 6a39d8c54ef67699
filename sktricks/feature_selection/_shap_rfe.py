"""Recursive feature elimination by SHAP importance on held-out folds."""

from __future__ import annotations

import logging
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import _fit_context
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils._metadata_requests import (
    _routing_enabled,
    process_routing,
)
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sktricks.feature_selection._importance import (
    IMPORTANCE_OPTIONS,
    feature_importance,
    selection_stability,
)
from sktricks.feature_selection._model_based import (
    ModelBasedSelector,
    set_model_seed,
    take_columns,
    take_rows,
)
from sktricks.model_selection import cross_val_oof
from sktricks.utils._validation import N_JOBS_CONSTRAINT

logger = logging.getLogger(__name__)

__all__ = ["ShapRFECV"]


class ShapRFECV(ModelBasedSelector):
    """Recursive feature elimination scored by cross-validation, using SHAP.

    At every step the model is fitted on each fold's training part with the
    remaining features and scored on the fold's held-out part. The mean
    absolute TreeSHAP value on those held-out rows ranks the features, and
    the ``step`` least important ones are dropped. The selected set is the
    smallest whose mean held-out score is within ``n_standard_errors``
    standard errors (over the folds) of the best mean score, so noise in the
    scores does not keep extra features.

    Unlike scikit-learn's ``RFECV``, features are ranked by SHAP values on
    held-out rows instead of the model's training-set importances, and
    LightGBM ``category`` columns and NaN pass through unchanged. Folds are
    fitted by :func:`sktricks.model_selection.cross_val_oof`, which also runs
    early stopping per fold.

    Parameters
    ----------
    estimator : estimator, default=None
        Model refitted on every fold of every step. ``None`` uses a LightGBM
        classifier or regressor (chosen from ``y``) with 50 trees of 7
        leaves, half the columns and 80% of the rows per tree.
    step : int or float, default=1
        Features dropped per step: a count (int >= 1), or a share of the
        remaining features (float in (0, 1), at least one).
    cv : int, cross-validation generator or iterable, default=5
        Folds, as in scikit-learn; an int means ``StratifiedKFold`` for
        classification and ``KFold`` otherwise.
    scoring : str or callable, default=None
        Held-out score to maximise; ``None`` uses accuracy for classifiers
        and R² for regressors.
    min_features_to_select : int, default=1
        Elimination stops at this many features.
    n_standard_errors : float, default=1.0
        Tolerance of the selection rule above; 0 selects the set with the
        best mean score (the smaller set on ties).
    early_stopping : bool or "inner", default=False
        Stop boosting per fold when the held-out score stops improving
        (``True``), or on a slice of the training part (``"inner"``).
        LightGBM, XGBoost and HistGradientBoosting only.
    importance : {"auto", "gain", "split", "shap", "permutation"}, \
            default="shap"
        How each fold model ranks the features; ``"shap"`` and
        ``"permutation"`` use the fold's held-out rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the model of every fold and step.
    n_jobs : int, default=None
        Folds fitted in parallel with joblib.
    verbose : int, default=0
        Logs every step when positive.

    Attributes
    ----------
    support_ : ndarray of shape (`n_features_in_`,)
        Mask of the selected features.
    n_features_ : int
        Number of selected features.
    ranking_ : ndarray of shape (`n_features_in_`,)
        1 for the selected features; larger for features eliminated earlier.
    cv_results_ : dict of ndarray
        One entry per step: ``n_features``, ``mean_test_score``,
        ``std_test_score`` and ``split{k}_test_score``; load it with
        ``pandas.DataFrame(cv_results_)``.
    importances_ : list of ndarray
        Mean importance over the folds of the features of each step, in the
        order of ``cv_results_``.
    stability_ : float
        Mean pairwise Jaccard index of each fold's own best
        ``n_features_`` features at the first step (all features).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame with string column names.

    See Also
    --------
    sklearn.feature_selection.RFECV : elimination by training-set importance.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sktricks.feature_selection import ShapRFECV
    >>> X, y = make_classification(
    ...     n_samples=300, n_features=8, n_informative=3, n_redundant=0,
    ...     shuffle=False, random_state=0)
    >>> selector = ShapRFECV(step=2, cv=3, random_state=0).fit(X, y)
    >>> selector.cv_results_["n_features"]
    array([8, 6, 4, 2, 1])
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods("fit"), None],
        "step": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "min_features_to_select": [Interval(Integral, 1, None, closed="left")],
        "n_standard_errors": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"inner"})],
        "importance": [StrOptions(set(IMPORTANCE_OPTIONS))],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator: Any = None,
        *,
        step: int | float = 1,
        cv: Any = 5,
        scoring: Any = None,
        min_features_to_select: int = 1,
        n_standard_errors: float = 1.0,
        early_stopping: bool | str = False,
        importance: str = "shap",
        random_state: Any = None,
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.step = step
        self.cv = cv
        self.scoring = scoring
        self.min_features_to_select = min_features_to_select
        self.n_standard_errors = n_standard_errors
        self.early_stopping = early_stopping
        self.importance = importance
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(
        self, X: Any, y: Any, *, groups: Any = None, **fit_params: Any
    ) -> ShapRFECV:
        """Eliminate features step by step and keep the best-scoring set.

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
            Parameters for the model's ``fit``, such as ``sample_weight``.
            With metadata routing enabled, they are routed to the model and
            the splitter as each requests.

        Returns
        -------
        self : ShapRFECV
            The fitted selector.
        """
        X_model, y_array = self._validate_input(X, y)
        if self._is_classification(y_array):
            # cross_val_oof fits XGBoost on the class codes 0..k-1, so held-out
            # permutation scores must compare codes with codes.
            y_array = np.unique(y_array, return_inverse=True)[1]
        with self._naming_model_errors(X_model):
            self._fit(X_model, y_array, groups, fit_params)
        return self

    def _fit(self, X: Any, y: np.ndarray, groups: Any, params: dict[str, Any]) -> None:
        rng = check_random_state(self.random_state)
        n_features = X.shape[1]
        classification = self._is_classification(y)
        scoring = self.scoring
        if scoring is None:
            scoring = "accuracy" if classification else "r2"
        # Fixed folds make the scores of different steps comparable.
        cv = check_cv(self.cv, y, classifier=classification)
        split_params, fit_params = self._route(groups, params)
        folds = list(cv.split(X, y, **split_params))

        remaining = np.arange(n_features)
        eliminated_at = np.zeros(n_features, dtype=np.int64)
        steps: list[dict[str, Any]] = []
        while True:
            step_result = self._fit_step(
                take_columns(X, remaining), y, folds, scoring, fit_params, rng
            )
            steps.append({"features": remaining, **step_result})
            logger.info(
                "ShapRFECV: %d features, mean held-out %s %.5g",
                remaining.size,
                scoring,
                step_result["scores"].mean(),
            )
            if remaining.size <= self.min_features_to_select:
                break
            n_drop = self._n_to_drop(remaining.size)
            order = np.argsort(step_result["importance"], kind="stable")
            eliminated_at[remaining[order[:n_drop]]] = len(steps)
            remaining = np.sort(remaining[order[n_drop:]])

        self._store_results(steps, eliminated_at, n_features)

    def _route(
        self, groups: Any, params: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Split the fit parameters into the splitter's and the model's share."""
        if not _routing_enabled():
            return {"groups": groups}, params
        if groups is not None:
            params = {**params, "groups": groups}
        routed = process_routing(self, "fit", **params)
        return dict(routed.splitter.split), dict(routed.estimator.fit)

    def _n_to_drop(self, n_remaining: int) -> int:
        if isinstance(self.step, Integral):
            n_drop = int(self.step)
        else:
            n_drop = max(1, int(self.step * n_remaining))
        return min(n_drop, n_remaining - self.min_features_to_select)

    def _fit_step(
        self,
        X: Any,
        y: np.ndarray,
        folds: list,
        scoring: Any,
        params: dict[str, Any],
        rng: np.random.RandomState,
    ) -> dict[str, Any]:
        """Fit every fold on the given columns; score and rank them."""
        model = self._make_estimator(y, n_jobs=None)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        set_model_seed(model, seed)
        result = cross_val_oof(
            model,
            X,
            y,
            cv=folds,
            scoring=scoring,
            params=params,
            early_stopping=self.early_stopping,
            random_state=rng.randint(np.iinfo(np.int32).max),
            n_jobs=self.n_jobs,
        )
        per_fold = np.vstack(
            [
                feature_importance(
                    fold_model,
                    self.importance,
                    X.shape[1],
                    X_eval=take_rows(X, test),
                    y_eval=y[test],
                    scoring=scoring,
                    random_state=seed,
                )
                for fold_model, (_, test) in zip(
                    result.estimators_, result.folds_, strict=True
                )
            ]
        )
        fold_scores = result.scores_["folds"] if result.scores_ is not None else []
        return {
            "scores": np.asarray(fold_scores, dtype=np.float64),
            "importance": per_fold.mean(axis=0),
            "per_fold": per_fold,
        }

    def _store_results(
        self, steps: list[dict[str, Any]], eliminated_at: np.ndarray, n_features: int
    ) -> None:
        scores = np.vstack([step["scores"] for step in steps])
        counts = np.array([step["features"].size for step in steps])
        mean = scores.mean(axis=1)
        best_score = mean.max()
        standard_error = scores[mean.argmax()].std(ddof=0) / np.sqrt(scores.shape[1])
        within = mean >= best_score - self.n_standard_errors * standard_error
        # Steps go from many features to few, so the last one within reach
        # of the best score has the fewest features.
        best = int(np.flatnonzero(within)[-1])

        self.cv_results_ = {
            "n_features": counts,
            "mean_test_score": mean,
            "std_test_score": scores.std(axis=1),
            **{f"split{k}_test_score": scores[:, k] for k in range(scores.shape[1])},
        }
        self.importances_ = [step["importance"] for step in steps]
        self.n_features_ = int(counts[best])
        self.support_ = np.zeros(n_features, dtype=bool)
        self.support_[steps[best]["features"]] = True

        # Selected features rank 1; the later a feature was eliminated, the
        # better its rank.
        self.ranking_ = np.where(self.support_, 1, best + 2 - eliminated_at)

        first = steps[0]["per_fold"]
        top = np.argsort(-first, axis=1, kind="stable")[:, : self.n_features_]
        masks = np.zeros_like(first, dtype=bool)
        np.put_along_axis(masks, top, True, axis=1)
        self.stability_ = selection_stability(masks)

    def plot(self, ax: Any = None) -> Any:
        """Plot the mean held-out score (± one standard deviation) per step.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` creates a new figure.

        Returns
        -------
        figure : matplotlib Figure
            The figure holding the plot.
        """
        from matplotlib.figure import Figure

        check_is_fitted(self, "cv_results_")
        if ax is None:
            # A Figure outside pyplot leaves no open window or global state.
            figure = Figure(figsize=(6, 4))
            ax = figure.subplots()
        else:
            figure = ax.figure
        counts = self.cv_results_["n_features"]
        mean = self.cv_results_["mean_test_score"]
        std = self.cv_results_["std_test_score"]
        ax.plot(counts, mean, marker="o")
        ax.fill_between(counts, mean - std, mean + std, alpha=0.2)
        ax.axvline(self.n_features_, linestyle="--", color="grey")
        ax.set_xlabel("number of features")
        ax.set_ylabel("mean held-out score")
        ax.set_title(f"{type(self).__name__}: {self.n_features_} features selected")
        return figure
