"""Caruana's greedy ensemble selection over out-of-fold predictions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.base import (
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
)
from sklearn.metrics import check_scoring
from sklearn.utils import check_random_state
from sklearn.utils._metadata_requests import MetadataRouter
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sktricks.ensemble._base import (
    FittedBase,
    check_named_estimators,
    fit_out_of_fold,
    make_folds,
    metadata_router,
    prepare_target,
    resolve_method,
    route_params,
    validate_input,
)
from sktricks.ensemble._checks import check_probability_model, check_sample_weight
from sktricks.ensemble._composition import NamedEstimatorsMixin
from sktricks.model_selection._oof import _PrecomputedPredictions

logger = logging.getLogger(__name__)


def greedy_selection(
    predictions: list[np.ndarray],
    score: Callable[[np.ndarray], float],
    n_iter: int,
    with_replacement: bool = True,
    n_init: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy forward selection; return per-model counts and the trajectory.

    The running sum of the selected predictions is kept, so trying a
    candidate costs one pass over the rows (add it, divide, score). After
    ``n_init`` models chosen by their own score, each iteration adds the
    candidate whose inclusion scores best (the first one on ties). The
    returned counts are those of the best-scoring prefix of the selection.
    """
    n_models = len(predictions)
    total = np.zeros_like(predictions[0], dtype=float)
    chosen: list[int] = []
    trajectory: list[float] = []

    alone = np.array([score(p) for p in predictions])
    for model in np.argsort(-alone, kind="stable")[:n_init]:
        total += predictions[model]
        chosen.append(int(model))
        trajectory.append(score(total / len(chosen)))

    for _ in range(n_iter):
        candidates = [m for m in range(n_models) if with_replacement or m not in chosen]
        if not candidates:
            break
        size = len(chosen) + 1
        scores = [score((total + predictions[m]) / size) for m in candidates]
        best = candidates[int(np.argmax(scores))]
        total += predictions[best]
        chosen.append(best)
        trajectory.append(float(np.max(scores)))

    stop = int(np.argmax(trajectory)) + 1
    counts = np.bincount(chosen[:stop], minlength=n_models).astype(float)
    return counts, np.asarray(trajectory)


class _BaseEnsembleSelection(NamedEstimatorsMixin):
    _parameter_constraints: ClassVar[dict] = {
        "estimators": [list],
        "scoring": [str, callable, None],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "with_replacement": ["boolean"],
        "n_init": [Interval(Integral, 0, None, closed="left")],
        "bagging": [Interval(Integral, 0, None, closed="left")],
        "cv": ["cv_object"],
        "early_stopping": ["boolean", StrOptions({"inner"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimators: list,
        *,
        scoring: Any = None,
        n_iter: int = 50,
        with_replacement: bool = True,
        n_init: int = 0,
        bagging: int = 0,
        cv: Any = 5,
        early_stopping: bool | str = False,
        random_state: Any = None,
    ) -> None:
        self.estimators = estimators
        self.scoring = scoring
        self.n_iter = n_iter
        self.with_replacement = with_replacement
        self.n_init = n_init
        self.bagging = bagging
        self.cv = cv
        self.early_stopping = early_stopping
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def get_metadata_routing(self) -> MetadataRouter:
        """Get the routing of ``fit`` metadata to the candidate models and the cv.

        Returns
        -------
        routing : MetadataRouter
            Each candidate by name, and the splitter (``splitter``).
        """
        pairs = check_named_estimators(self.estimators, self)
        return metadata_router(self, pairs, cv=self.cv)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        groups: Any = None,
        **fit_params: Any,
    ) -> _BaseEnsembleSelection:
        """Fit the models out of fold and select the ensemble greedily.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to every model's ``fit`` (with metadata routing enabled, to
            the models that request it), and weights the rows in the
            selection's scores.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group-aware ``cv``.
        **fit_params : dict
            Other parameters for the models' ``fit``; they need
            ``sklearn.set_config(enable_metadata_routing=True)`` and go to the
            models that request them with ``set_fit_request``.

        Returns
        -------
        self : object
            The fitted ensemble.
        """
        X = validate_input(self, X, y)
        pairs = check_named_estimators(self.estimators, self)
        classifier = isinstance(self, ClassifierMixin)
        n_samples = X.shape[0]
        y_array, classes = prepare_target(y, n_samples, classifier, type(self).__name__)
        if classes is not None:
            self.classes_ = classes
        sample_weight = check_sample_weight(sample_weight, X)
        routed = route_params(self, pairs, None, sample_weight, groups, fit_params)
        if classifier:
            for name, estimator in pairs:
                check_probability_model(name, estimator, type(self).__name__)
        folds, partition = make_folds(self.cv, X, y_array, classifier, routed.split)

        method = "predict_proba" if classifier else "predict"
        self.estimators_: list[FittedBase] = []
        predictions = []
        for name, estimator in pairs:
            resolve_method(name, estimator, method, classifier)
            oof, base = fit_out_of_fold(
                name,
                estimator,
                X,
                y_array,
                classes,
                folds,
                partition,
                method,
                routed.base[name],
                self.early_stopping,
                self.random_state,
                None,
                0,
            )
            self.estimators_.append(base)
            predictions.append(self._layout(oof))

        # Rows a non-partition splitter leaves out have no prediction to score.
        rows = np.flatnonzero(
            ~np.isnan(
                np.column_stack([p.reshape(n_samples, -1) for p in predictions])
            ).any(axis=1)
        )
        predictions = [p[rows] for p in predictions]
        weights = None if sample_weight is None else sample_weight[rows]
        score = self._scorer(y_array[rows], classes, method, weights)
        self.base_scores_ = {
            name: score(p) for (name, _), p in zip(pairs, predictions, strict=False)
        }
        self.weights_, self.trajectory_ = self._select(predictions, score)
        self.score_ = score(self._blend(predictions))
        logger.info("ensemble selection weights: %s", self.weights_)
        return self

    def _layout(self, oof: np.ndarray) -> np.ndarray:
        if not hasattr(self, "classes_"):
            return oof[:, 0]
        if oof.shape[1] == 1:
            return np.column_stack([1 - oof[:, 0], oof[:, 0]])
        return oof

    def _scorer(
        self, y: np.ndarray, classes: Any, method: str, sample_weight: Any = None
    ):
        """Return a function that scores a blend, rows weighted by sample_weight."""
        scorer = check_scoring(self, scoring=self._scoring(classes))
        rows = np.arange(y.shape[0]).reshape(-1, 1)
        extra = {} if sample_weight is None else {"sample_weight": sample_weight}

        def score(blend: np.ndarray) -> float:
            cached = _PrecomputedPredictions(blend, method, classes)
            return float(scorer(cached, rows, y, **extra))

        return score

    def _select(self, predictions, score):
        if self.bagging == 0:
            counts, trajectory = greedy_selection(
                predictions, score, self.n_iter, self.with_replacement, self.n_init
            )
            return counts / counts.sum(), trajectory

        # Bagging (Caruana et al., section 3.2): run the selection on random
        # halves of the models and average the weights of the runs.
        rng = check_random_state(self.random_state)
        n_models = len(predictions)
        size = max(1, n_models // 2)
        weights = np.zeros(n_models)
        trajectories = []
        for _ in range(self.bagging):
            subset = np.sort(rng.choice(n_models, size=size, replace=False))
            counts, trajectory = greedy_selection(
                [predictions[m] for m in subset],
                score,
                self.n_iter,
                self.with_replacement,
                min(self.n_init, size),
            )
            weights[subset] += counts / counts.sum()
            trajectories.append(trajectory)
        return weights / self.bagging, trajectories

    def _blend(self, outputs: list[np.ndarray]) -> np.ndarray:
        return sum(w * p for w, p in zip(self.weights_, outputs, strict=False) if w > 0)

    def _predict_blend(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_input(self, X, reset=False)
        outputs = [
            base.raw(X) if w > 0 else None
            for w, base in zip(self.weights_, self.estimators_, strict=False)
        ]
        return sum(w * o for w, o in zip(self.weights_, outputs, strict=False) if w > 0)


class EnsembleSelectionClassifier(ClassifierMixin, _BaseEnsembleSelection):
    """Greedy ensemble selection of classifiers (Caruana et al., 2004).

    Every model is fitted once per fold; on their out-of-fold class
    probabilities, models are added one at a time (with replacement) to the
    average that scores best, and the best-scoring ensemble along the way is
    kept. Prediction is the weighted mean of the models' fold-averaged
    probabilities. No scikit-learn or mlxtend estimator offers this
    selection.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Candidate models; each needs ``predict_proba``.
        Unique names address the models in ``set_params`` and
        ``GridSearchCV`` as ``<name>__<parameter>``, for example ``lr__C``.
        An estimator given as ``"drop"`` is left out.
    scoring : str or callable, default=None
        Scorer the selection maximises; ``"neg_log_loss"`` when ``None``.
    n_iter : int, default=50
        Greedy iterations after the initialisation.
    with_replacement : bool, default=True
        Whether a model may be added more than once.
    n_init : int, default=0
        Start from the ``n_init`` best single models (sorted initialisation).
    bagging : int, default=0
        Number of selection runs on random halves of the models whose
        weights are averaged; 0 runs once on all models.
    cv : int, cross-validation generator or iterable, default=5
        Folds for the out-of-fold predictions.
    early_stopping : bool or "inner", default=False
        Early stopping per fold for LightGBM, XGBoost and HistGradientBoosting
        candidates, as in :func:`~sktricks.model_selection.cross_val_oof`;
        other candidates ignore it. ``"inner"`` stops on a slice of each
        training fold, so the out-of-fold predictions the selection scores
        stay unbiased; ``True`` stops on the held-out fold itself.
    random_state : int, RandomState instance or None, default=None
        Seeds the bags and the inner validation slices of
        ``early_stopping="inner"``.

    Attributes
    ----------
    estimators_ : list of FittedBase
        Fold models of each candidate.
    weights_ : ndarray of shape (n_estimators,)
        Weight of each candidate, summing to one.
    trajectory_ : ndarray or list of ndarray
        Out-of-fold score of the ensemble after each step (one array per
        bag when ``bagging > 0``).
    base_scores_ : dict
        Out-of-fold score of each candidate alone.
    score_ : float
        Out-of-fold score of the weighted ensemble.
    classes_ : ndarray
        Sorted class labels.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sktricks.ensemble import EnsembleSelectionClassifier
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> selection = EnsembleSelectionClassifier(
    ...     [("lr", LogisticRegression()), ("nb", GaussianNB())], n_iter=10, cv=3
    ... ).fit(X, y)
    >>> float(selection.weights_.sum())
    1.0
    >>> selection.predict_proba(X[:2]).shape
    (2, 2)
    """

    def _scoring(self, classes: Any) -> Any:
        return "neg_log_loss" if self.scoring is None else self.scoring

    def predict_proba(self, X: Any) -> np.ndarray:
        """Weighted mean of the selected models' class probabilities."""
        return self._predict_blend(X)

    def predict(self, X: Any) -> np.ndarray:
        """Predict the class with the highest blended probability."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]


class EnsembleSelectionRegressor(RegressorMixin, _BaseEnsembleSelection):
    """Greedy ensemble selection of regressors (Caruana et al., 2004).

    The regression counterpart of :class:`EnsembleSelectionClassifier`,
    maximising ``scoring`` (``"neg_mean_squared_error"`` by default) over
    the weighted mean of out-of-fold predictions.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Candidate models.
        Unique names address the models in ``set_params`` and
        ``GridSearchCV`` as ``<name>__<parameter>``, for example
        ``ridge__alpha``.
        An estimator given as ``"drop"`` is left out.
    scoring : str or callable, default=None
        Scorer to maximise; ``"neg_mean_squared_error"`` when ``None``.
    n_iter : int, default=50
        Greedy iterations after the initialisation.
    with_replacement : bool, default=True
        Whether a model may be added more than once.
    n_init : int, default=0
        Sorted initialisation with the ``n_init`` best single models.
    bagging : int, default=0
        Number of bagged selection runs; 0 runs once.
    cv : int, cross-validation generator or iterable, default=5
        Folds for the out-of-fold predictions.
    early_stopping : bool or "inner", default=False
        Early stopping per fold for LightGBM, XGBoost and HistGradientBoosting
        candidates, as in :func:`~sktricks.model_selection.cross_val_oof`;
        other candidates ignore it. ``"inner"`` stops on a slice of each
        training fold, so the out-of-fold predictions the selection scores
        stay unbiased; ``True`` stops on the held-out fold itself.
    random_state : int, RandomState instance or None, default=None
        Seeds the bags and the inner validation slices of
        ``early_stopping="inner"``.

    Attributes
    ----------
    estimators_ : list of FittedBase
        Fold models of each candidate.
    weights_ : ndarray of shape (n_estimators,)
        Weight of each candidate, summing to one.
    trajectory_ : ndarray or list of ndarray
        Out-of-fold score after each step.
    base_scores_ : dict
        Out-of-fold score of each candidate alone.
    score_ : float
        Out-of-fold score of the weighted ensemble.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from sktricks.ensemble import EnsembleSelectionRegressor
    >>> X, y = make_regression(n_samples=100, random_state=0)
    >>> selection = EnsembleSelectionRegressor(
    ...     [("ridge", Ridge()), ("tree", DecisionTreeRegressor(random_state=0))],
    ...     n_iter=5, cv=3,
    ... ).fit(X, y)
    >>> selection.predict(X[:3]).shape
    (3,)
    """

    def _scoring(self, classes: Any) -> Any:
        return "neg_mean_squared_error" if self.scoring is None else self.scoring

    def predict(self, X: Any) -> np.ndarray:
        """Weighted mean of the selected models' predictions."""
        return self._predict_blend(X)
