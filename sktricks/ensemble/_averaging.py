"""Mean, rank and geometric averaging, with weights fitted out of fold."""

from __future__ import annotations

from numbers import Real
from typing import Any, ClassVar

import numpy as np
from scipy.optimize import minimize
from scipy.stats import rankdata
from sklearn.base import (
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
)
from sklearn.utils._metadata_requests import MetadataRouter
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from sktricks.ensemble._base import (
    FittedBase,
    check_named_estimators,
    fit_full,
    fit_out_of_fold,
    is_dropped,
    make_folds,
    metadata_router,
    prepare_target,
    resolve_method,
    route_params,
    validate_input,
)
from sktricks.ensemble._checks import check_probability_model, check_sample_weight
from sktricks.ensemble._composition import NamedEstimatorsMixin

_EPS = 1e-15


def combine(
    outputs: list[np.ndarray], weights: np.ndarray, method: str, classifier: bool
) -> np.ndarray:
    """Weighted mean, rank mean or geometric mean of the models' outputs.

    Classifier outputs are probability matrices; rank and geometric results
    are renormalised so each row sums to one. Ranks are taken over the rows
    passed in, scaled to (0, 1].
    """
    if method == "rank":
        n_rows = outputs[0].shape[0]
        outputs = [rankdata(o, axis=0) / n_rows for o in outputs]
        if classifier and outputs[0].shape[1] == 2:
            # A binary rank is a score for classes_[1]; its complement is
            # the score of classes_[0].
            outputs = [np.column_stack([1 - o[:, 1], o[:, 1]]) for o in outputs]
    if method == "geometric":
        logs = [np.log(np.clip(o, _EPS, None)) for o in outputs]
        blended = np.exp(sum(w * lo for w, lo in zip(weights, logs, strict=False)))
    else:
        blended = sum(w * o for w, o in zip(weights, outputs, strict=False))
    if classifier and method != "mean":
        blended = blended / blended.sum(axis=1, keepdims=True)
    return np.asarray(blended)


def _check_positive(values: np.ndarray, source: str) -> None:
    """Reject values <= 0 for a geometric mean of regressors, naming the first."""
    bad = np.flatnonzero(np.asarray(values) <= 0)
    if bad.shape[0]:
        raise ValueError(
            f"method='geometric' needs positive values, but {source} "
            f"{bad.shape[0]} values <= 0 (the first in row {bad[0]}: "
            f"{float(np.asarray(values)[bad[0]]):g}). Use method='mean', or "
            "fit on a positive target."
        )


class _BaseAveraging(NamedEstimatorsMixin):
    _parameter_constraints: ClassVar[dict] = {
        "estimators": [list],
        "method": [StrOptions({"mean", "rank", "geometric"})],
        "weights": ["array-like", StrOptions({"optimize"}), None],
        "cv": ["cv_object"],
    }

    def __init__(
        self,
        estimators: list,
        *,
        method: str = "mean",
        weights: Any = None,
        cv: Any = 5,
    ) -> None:
        self.estimators = estimators
        self.method = method
        self.weights = weights
        self.cv = cv

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def get_metadata_routing(self) -> MetadataRouter:
        """Get the routing of ``fit`` metadata to the models and the cv.

        Returns
        -------
        routing : MetadataRouter
            Each model by name, and the splitter (``splitter``), which only
            ``weights="optimize"`` uses.
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
    ) -> _BaseAveraging:
        """Fit the models; with ``weights="optimize"``, out of fold.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to every model's ``fit`` (with metadata routing enabled, to
            the models that request it), and weights the rows in the loss
            that ``weights="optimize"`` minimises.
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
        user_weights = self._kept_weights(self._validate_weights(len(self.estimators)))
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
        method = "predict_proba" if classifier else "predict"
        methods = [resolve_method(name, est, method, classifier) for name, est in pairs]

        if self.method == "geometric" and not classifier:
            _check_positive(y_array, "y contains")
        if isinstance(self.weights, str):
            folds, partition = make_folds(self.cv, X, y_array, classifier, routed.split)
            self.estimators_: list[FittedBase] = []
            oofs = []
            for (name, estimator), base_method in zip(pairs, methods, strict=False):
                oof, base = fit_out_of_fold(
                    name,
                    estimator,
                    X,
                    y_array,
                    classes,
                    folds,
                    partition,
                    base_method,
                    routed.base[name],
                    False,
                    0,
                    None,
                    0,
                )
                self.estimators_.append(base)
                oofs.append(self._layout(oof))
                if self.method == "geometric" and not classifier:
                    _check_positive(oofs[-1], f"model {name!r} predicted out of fold")
            self.weights_ = self._optimize(oofs, y_array, classes, sample_weight)
        else:
            self.estimators_ = [
                fit_full(
                    name,
                    est,
                    X,
                    y_array,
                    classes,
                    m,
                    routed.base[name],
                )
                for (name, est), m in zip(pairs, methods, strict=False)
            ]
            weights = np.ones(len(pairs)) if user_weights is None else user_weights
            # Dividing by the maximum first keeps the sum finite for weights
            # near the float maximum.
            scaled = weights / weights.max()
            self.weights_ = scaled / scaled.sum()
        return self

    def _validate_weights(self, n_models: int) -> np.ndarray | None:
        """Return ``weights`` as floats, or None when it is ``"optimize"`` or None.

        The parameter constraint accepts any array-like, so NaN, infinity and
        strings would otherwise reach the arithmetic and give NaN predictions
        or a numpy TypeError.
        """
        if isinstance(self.weights, str):
            if self.method == "rank":
                raise ValueError(
                    "weights='optimize' fits the weights by log loss or squared "
                    "error, which ranks do not have; use method='mean' or "
                    "'geometric', or give the weights."
                )
            return None
        if self.weights is None:
            return None
        items = np.asarray(self.weights, dtype=object)
        numeric = items.shape == (n_models,) and all(
            isinstance(item, Real) for item in items
        )
        if numeric:
            weights = items.astype(float)
            finite = np.all(np.isfinite(weights))
            if finite and np.all(weights >= 0) and np.any(weights > 0):
                return weights
        raise ValueError(
            f"weights={self.weights!r} must be {n_models} finite, non-negative "
            "numbers with a positive sum (one per estimator), None for equal "
            "weights, or 'optimize'."
        )

    def _kept_weights(self, weights: np.ndarray | None) -> np.ndarray | None:
        """Leave out the weights of ``"drop"`` models, as VotingClassifier does."""
        if weights is None:
            return None
        kept_mask = np.array([not is_dropped(model) for _, model in self.estimators])
        if not np.any(weights[kept_mask] > 0):
            raise ValueError(
                f"weights={self.weights!r} give weight 0 to every model that is "
                "not 'drop'; give a kept model a positive weight."
            )
        return weights[kept_mask]

    def _layout(self, oof: np.ndarray) -> np.ndarray:
        if not hasattr(self, "classes_"):
            return oof[:, 0]
        if oof.shape[1] == 1:
            return np.column_stack([1 - oof[:, 0], oof[:, 0]])
        return oof

    def _optimize(
        self,
        oofs: list[np.ndarray],
        y: np.ndarray,
        classes: Any,
        sample_weight: np.ndarray | None = None,
    ):
        """Fit non-negative weights summing to one by weighted out-of-fold loss."""
        rows = np.flatnonzero(
            ~np.isnan(np.column_stack([o.reshape(len(y), -1) for o in oofs])).any(
                axis=1
            )
        )
        oofs = [o[rows] for o in oofs]
        y = y[rows]
        row_weights = None if sample_weight is None else sample_weight[rows]
        classifier = classes is not None
        if classifier:
            target = np.searchsorted(classes, y)

        def loss(w: np.ndarray) -> float:
            blended = combine(oofs, w, self.method, classifier)
            if classifier:
                picked = blended[np.arange(len(target)), target]
                losses = -np.log(np.clip(picked, _EPS, None))
            else:
                losses = (y - blended) ** 2
            return float(np.average(losses, weights=row_weights))

        n_models = len(oofs)
        start = np.full(n_models, 1.0 / n_models)
        result = minimize(
            loss,
            start,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * n_models,
            constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0}],
            options={"ftol": 1e-12, "maxiter": 500},
        )
        weights = np.clip(result.x, 0.0, None)
        return weights / weights.sum()

    def _outputs(self, X: Any) -> list[np.ndarray]:
        check_is_fitted(self)
        X = validate_input(self, X, reset=False)
        return [base.raw(X) for base in self.estimators_]

    def _combined(self, X: Any) -> np.ndarray:
        return self._combine(self._outputs(X))

    def _combine(self, outputs: list[np.ndarray]) -> np.ndarray:
        if self.method == "rank" and outputs[0].shape[0] < 2:
            # A rank over one row carries no information: every model gives
            # it the top rank, whatever its prediction.
            raise ValueError(
                f"method='rank' ranks the rows of one predict call, so it needs "
                f"at least 2 rows; got {outputs[0].shape[0]}. Predict rows "
                "together, or use method='mean'."
            )
        return combine(
            outputs, self.weights_, self.method, isinstance(self, ClassifierMixin)
        )


class AveragingClassifier(ClassifierMixin, _BaseAveraging):
    """Average classifiers' probabilities: mean, rank mean or geometric mean.

    ``weights="optimize"`` fits non-negative weights that sum to one by
    minimising the log loss of the blended out-of-fold probabilities with
    scipy's SLSQP; the models then predict as the mean of their fold models.
    Otherwise each model is fitted once on all rows. scikit-learn's
    ``VotingClassifier`` has no rank or geometric mean and no fitted weights.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Models with ``predict_proba``.
        Unique names address the models in ``set_params`` and
        ``GridSearchCV`` as ``<name>__<parameter>``, for example ``lr__C``.
        An estimator given as ``"drop"`` is left out.
    method : {"mean", "rank", "geometric"}, default="mean"
        ``"rank"`` averages each model's ranks over the rows being predicted,
        so it depends on the batch: use it to order rows, for ROC AUC.
    weights : array-like of shape (n_estimators,), "optimize" or None, \
            default=None
        Finite, non-negative model weights with a positive sum, normalised
        to sum to one; ``None`` weighs equally.
    cv : int, cross-validation generator or iterable, default=5
        Folds for ``weights="optimize"``.

    Attributes
    ----------
    estimators_ : list of FittedBase
        The fitted models.
    weights_ : ndarray of shape (n_estimators,)
        Weights used, summing to one.
    classes_ : ndarray
        Sorted class labels.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sktricks.ensemble import AveragingClassifier
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> averaging = AveragingClassifier(
    ...     [("lr", LogisticRegression()), ("nb", GaussianNB())], method="geometric"
    ... ).fit(X, y)
    >>> averaging.weights_
    array([0.5, 0.5])
    """

    def predict_proba(self, X: Any) -> np.ndarray:
        """Combined class probabilities, columns in ``classes_`` order."""
        return self._combined(X)

    def predict(self, X: Any) -> np.ndarray:
        """Predict the class with the highest combined probability."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]


class AveragingRegressor(RegressorMixin, _BaseAveraging):
    """Average regressors: mean, rank mean or geometric mean.

    ``weights="optimize"`` fits non-negative weights summing to one that
    minimise the squared error of the blended out-of-fold predictions.

    Parameters
    ----------
    estimators : list of (str, estimator)
        The models.
        Unique names address the models in ``set_params`` and
        ``GridSearchCV`` as ``<name>__<parameter>``, for example
        ``ridge__alpha``.
        An estimator given as ``"drop"`` is left out.
    method : {"mean", "rank", "geometric"}, default="mean"
        ``"geometric"`` needs positive predictions; ``"rank"`` returns mean
        ranks in (0, 1] over the rows being predicted.
    weights : array-like of shape (n_estimators,), "optimize" or None, \
            default=None
        Finite, non-negative model weights with a positive sum; ``None``
        weighs equally.
    cv : int, cross-validation generator or iterable, default=5
        Folds for ``weights="optimize"``.

    Attributes
    ----------
    estimators_ : list of FittedBase
        The fitted models.
    weights_ : ndarray of shape (n_estimators,)
        Weights used, summing to one.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from sktricks.ensemble import AveragingRegressor
    >>> X, y = make_regression(n_samples=100, random_state=0)
    >>> averaging = AveragingRegressor(
    ...     [("ridge", Ridge()), ("tree", DecisionTreeRegressor(random_state=0))],
    ...     weights="optimize", cv=3,
    ... ).fit(X, y)
    >>> round(float(averaging.weights_.sum()), 6)
    1.0
    """

    def predict(self, X: Any) -> np.ndarray:
        """Combined predictions."""
        outputs = self._outputs(X)
        if self.method == "geometric" and any(np.any(o <= 0) for o in outputs):
            raise ValueError(
                "method='geometric' needs positive predictions; a model "
                "predicted a value <= 0. Use method='mean'."
            )
        return self._combine(outputs)
