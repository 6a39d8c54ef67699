"""Label smoothing for any classifier: soft targets instead of one-hot labels."""

from __future__ import annotations

import logging
from numbers import Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
)

from sktricks.label._base import (
    check_not_empty,
    delegate_input_tags,
    encode_classes,
    repeat_rows,
    softmax,
    validate_features,
)
from sktricks.utils._validation import check_text_columns

logger = logging.getLogger(__name__)

__all__ = ["LabelSmoothingClassifier", "soft_target_softmax_grad_hess"]


def smooth_one_hot(
    y_encoded: np.ndarray, n_classes: int, smoothing: float
) -> np.ndarray:
    """Return ``(1 - smoothing) * onehot(y) + smoothing / n_classes``."""
    targets = np.full((y_encoded.shape[0], n_classes), smoothing / n_classes)
    targets[np.arange(y_encoded.shape[0]), y_encoded] += 1.0 - smoothing
    return targets


def soft_target_softmax_grad_hess(
    targets: np.ndarray,
    raw: np.ndarray,
    hessian_factor: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the gradient and diagonal Hessian of the soft-target softmax loss.

    The loss of a row is the cross-entropy ``-sum_k q_k log softmax(z)_k``
    between soft targets ``q`` (rows summing to 1) and raw scores ``z``. Its
    gradient is ``softmax(z) - q`` and its exact diagonal Hessian is
    ``p (1 - p)``, multiplied here by ``hessian_factor``. LightGBM's built-in
    ``multiclass`` objective uses the factor ``K / (K - 1)`` and XGBoost's
    ``multi:softprob`` the factor 2; passing the same factor makes the custom
    objective take the same Newton steps as the built-in one on hard labels.

    Parameters
    ----------
    targets : ndarray of shape (n_samples, n_classes)
        Soft targets; each row sums to 1.
    raw : ndarray of shape (n_samples, n_classes)
        Raw scores (logits).
    hessian_factor : float, default=1.0
        Multiplier of the exact diagonal Hessian.

    Returns
    -------
    grad, hess : ndarray of shape (n_samples, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.label import soft_target_softmax_grad_hess
    >>> grad, hess = soft_target_softmax_grad_hess(
    ...     np.array([[0.9, 0.1]]), np.array([[0.0, 0.0]]))
    >>> grad
    array([[-0.4,  0.4]])
    >>> hess
    array([[0.25, 0.25]])
    """
    probabilities = softmax(raw)
    grad = probabilities - targets
    # The floor keeps leaf values finite once a class probability saturates.
    hess = np.maximum(hessian_factor * probabilities * (1.0 - probabilities), 1e-16)
    return grad, hess


class _LightGBMSoftmax:
    """LightGBM scikit-learn objective ``(y_true, y_pred, weight)``.

    LightGBM 4.x applies sample weights only for three-argument objectives,
    so weights are multiplied in here.
    """

    def __init__(self, smoothing: float, n_classes: int) -> None:
        self.smoothing = smoothing
        self.n_classes = n_classes

    def __call__(
        self, y_true: np.ndarray, y_pred: np.ndarray, weight: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        targets = smooth_one_hot(y_true.astype(int), self.n_classes, self.smoothing)
        factor = self.n_classes / (self.n_classes - 1.0)
        grad, hess = soft_target_softmax_grad_hess(targets, y_pred, factor)
        if weight is not None:
            grad = grad * weight[:, None]
            hess = hess * weight[:, None]
        return grad, hess


class _XGBoostSoftmax:
    """XGBoost scikit-learn objective ``(y_true, y_pred, *, sample_weight)``."""

    def __init__(self, smoothing: float, n_classes: int) -> None:
        self.smoothing = smoothing
        self.n_classes = n_classes

    def __call__(
        self,
        y_true: np.ndarray,
        y_pred: np.ndarray,
        *,
        sample_weight: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        targets = smooth_one_hot(y_true.astype(int), self.n_classes, self.smoothing)
        raw = np.asarray(y_pred).reshape(-1, self.n_classes)
        grad, hess = soft_target_softmax_grad_hess(targets, raw, 2.0)
        if sample_weight is not None:
            grad = grad * sample_weight[:, None]
            hess = hess * sample_weight[:, None]
        return grad, hess


def _library(estimator: Any) -> str | None:
    module = type(estimator).__module__
    name = type(estimator).__name__
    if module.startswith("lightgbm") and name == "LGBMClassifier":
        return "lightgbm"
    if module.startswith("xgboost") and name == "XGBClassifier":
        return "xgboost"
    return None


def _sample_weight_params(
    estimator: Any, sample_weight: np.ndarray, advice: str
) -> dict[str, np.ndarray]:
    """Return the ``fit`` keyword arguments that pass ``sample_weight``.

    A Pipeline gets them as ``<last step>__sample_weight``, recursing into
    nested pipelines, because ``Pipeline.fit`` has no ``sample_weight``.
    Raises TypeError naming the estimator or step whose ``fit`` does not
    take it; ``advice`` ends that message.
    """
    # NOTE: with scikit-learn's metadata routing enabled, Pipeline.fit raises
    # TypeError on the ``step__param`` form, so weighted fits fail there.
    if isinstance(estimator, Pipeline):
        name, last_step = estimator.steps[-1]
        if last_step is None or last_step == "passthrough":
            raise TypeError(
                f"The last step {name!r} of the Pipeline is {last_step!r} and "
                f"does not take sample_weight, {advice}"
            )
        inner = _sample_weight_params(last_step, sample_weight, advice)
        return {f"{name}__{key}": value for key, value in inner.items()}
    if not has_fit_parameter(estimator, "sample_weight"):
        raise TypeError(
            f"{type(estimator).__name__}.fit does not take sample_weight, {advice}"
        )
    return {"sample_weight": sample_weight}


class LabelSmoothingClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Train a classifier on smoothed labels.

    Each one-hot target becomes ``(1 - smoothing) * onehot + smoothing /
    n_classes``, which keeps the model from pushing its probabilities to 0
    and 1 on noisy labels. How the soft targets reach the model depends on
    the estimator:

    - binary ``LGBMClassifier``: an ``LGBMRegressor`` with LightGBM's
      ``cross_entropy`` objective, which accepts labels in [0, 1] (the
      ``binary`` objective accepts only 0 and 1);
    - binary ``XGBClassifier``: an ``XGBRegressor`` with
      ``binary:logistic``, which accepts labels in [0, 1];
    - multiclass ``LGBMClassifier`` or ``XGBClassifier``: a custom
      soft-target softmax objective (:func:`soft_target_softmax_grad_hess`),
      started from the log of the smoothed class prior as the built-in
      objectives are;
    - any other estimator whose ``fit`` takes ``sample_weight`` (for a
      Pipeline, whose last step's ``fit`` does): every row
      repeated once per class, labelled with that class and weighted by its
      soft target. The weighted log-loss of the copies equals the soft-target
      cross-entropy of the row.

    The boosting models keep all their other parameters. Neither LightGBM
    nor XGBoost offers soft multiclass targets through scikit-learn, and
    scikit-learn's classifiers take only hard labels.

    Parameters
    ----------
    estimator : classifier
        The base classifier; must implement ``predict_proba``.
    smoothing : float, default=0.1
        Share of the probability mass spread uniformly over the classes, in
        [0, 1). ``0`` fits ``estimator`` unchanged on the class codes
        0..K-1, so it predicts exactly as the base estimator fitted on those
        codes does.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model: a clone of ``estimator``, or for binary LightGBM
        and XGBoost the regressor built from its parameters.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    method_ : str
        How the soft targets were used: ``"none"`` (``smoothing=0``),
        ``"cross_entropy"``, ``"softmax_objective"`` or ``"weighted_rows"``.
    init_score_ : ndarray of shape (n_classes,) or None
        Starting raw score of the custom softmax objective (log of the
        smoothed class prior), added back at prediction because neither
        library stores it in the model. ``None`` for the other methods.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Column names seen during fit, when ``X`` has string column names.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktricks.label import LabelSmoothingClassifier
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> model = LabelSmoothingClassifier(LogisticRegression(), smoothing=0.2)
    >>> model.fit(X, y).method_
    'weighted_rows'
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(self, estimator: Any, smoothing: float = 0.1) -> None:
        self.estimator = estimator
        self.smoothing = smoothing

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(
        self, X: Any, y: Any, sample_weight: Any = None
    ) -> LabelSmoothingClassifier:
        """Fit the base estimator on smoothed targets.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data, passed to the base estimator as given.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, multiplied into the soft-target weights.

        Returns
        -------
        self : LabelSmoothingClassifier
        """
        X = validate_features(self, X, reset=True)
        if _library(self.estimator) is not None:
            check_text_columns(X, "LabelSmoothingClassifier")
        n_samples = check_not_empty(X)
        self.classes_, y_encoded = encode_classes(y, n_samples)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, np.empty(n_samples))
        self.init_score_ = None

        # Every method, smoothing=0 included, fits on the codes 0..K-1, so a
        # base model that accepts only such labels (XGBClassifier) works for
        # any smoothing, and classes_ maps its output back to the labels.
        if self.smoothing == 0:
            self.method_ = "none"
            self.estimator_ = self._fit_base(X, y_encoded, sample_weight)
            return self

        library = _library(self.estimator)
        n_classes = self.classes_.shape[0]
        if library is not None and n_classes == 2:
            self.method_ = "cross_entropy"
            self.estimator_ = self._fit_binary_boosting(
                library, X, y_encoded, sample_weight
            )
        elif library is not None:
            self.method_ = "softmax_objective"
            self.estimator_ = self._fit_softmax(library, X, y_encoded, sample_weight)
        else:
            self.method_ = "weighted_rows"
            self.estimator_ = self._fit_weighted_rows(X, y_encoded, sample_weight)
        logger.info("LabelSmoothingClassifier fitted with method %s", self.method_)
        return self

    def _fit_base(self, X: Any, y_encoded: np.ndarray, sample_weight: Any) -> Any:
        estimator = clone(self.estimator)
        if sample_weight is None:
            return estimator.fit(X, y_encoded)
        fit_params = _sample_weight_params(
            estimator,
            sample_weight,
            "so fit cannot pass sample_weight on. Use an estimator that "
            "accepts it, or fit without sample_weight.",
        )
        return estimator.fit(X, y_encoded, **fit_params)

    def _fit_binary_boosting(
        self, library: str, X: Any, y_encoded: np.ndarray, sample_weight: Any
    ) -> Any:
        params = self.estimator.get_params(deep=False)
        if library == "lightgbm":
            from lightgbm import LGBMRegressor

            params["objective"] = "cross_entropy"
            regressor = LGBMRegressor(**params)
        else:
            from xgboost import XGBRegressor

            params["objective"] = "binary:logistic"
            regressor = XGBRegressor(**params)
        targets = smooth_one_hot(y_encoded, 2, self.smoothing)[:, 1]
        return regressor.fit(X, targets, sample_weight=sample_weight)

    def _fit_softmax(
        self, library: str, X: Any, y_encoded: np.ndarray, sample_weight: Any
    ) -> Any:
        n_classes = self.classes_.shape[0]
        weights = (
            np.ones(y_encoded.shape[0]) if sample_weight is None else sample_weight
        )
        prior = np.bincount(y_encoded, weights=weights, minlength=n_classes)
        prior = prior / prior.sum()
        # A custom objective starts every raw score at 0 instead of at the log
        # class prior as the built-in objectives do; without this start the
        # first trees are spent learning the prior and results drift from
        # the built-in objective.
        init_score = np.log((1.0 - self.smoothing) * prior + self.smoothing / n_classes)
        self.init_score_ = init_score
        start = np.tile(init_score, (y_encoded.shape[0], 1))

        estimator = clone(self.estimator)
        if library == "lightgbm":
            estimator.set_params(objective=_LightGBMSoftmax(self.smoothing, n_classes))
            return estimator.fit(
                X, y_encoded, sample_weight=sample_weight, init_score=start
            )
        estimator.set_params(objective=_XGBoostSoftmax(self.smoothing, n_classes))
        return estimator.fit(
            X, y_encoded, sample_weight=sample_weight, base_margin=start
        )

    def _fit_weighted_rows(
        self, X: Any, y_encoded: np.ndarray, sample_weight: Any
    ) -> Any:
        estimator = clone(self.estimator)
        n_samples = y_encoded.shape[0]
        n_classes = self.classes_.shape[0]
        targets = smooth_one_hot(y_encoded, n_classes, self.smoothing)
        weights = targets.ravel()
        if sample_weight is not None:
            weights = weights * np.repeat(sample_weight, n_classes)
        fit_params = _sample_weight_params(
            estimator,
            weights,
            "which label smoothing needs for estimators other than "
            "LGBMClassifier and XGBClassifier. Use an estimator that accepts "
            "sample_weight, or smoothing=0.",
        )
        labels = np.tile(np.arange(n_classes), n_samples)
        return estimator.fit(repeat_rows(X, n_classes), labels, **fit_params)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return class probabilities, columns in ``classes_`` order.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = validate_features(self, X, reset=False)
        if self.method_ == "cross_entropy":
            positive = np.asarray(self.estimator_.predict(X), dtype=float)
            return np.column_stack([1.0 - positive, positive])
        if self.method_ == "softmax_objective":
            return softmax(self._raw_scores(X))
        return np.asarray(self.estimator_.predict_proba(X))

    def _raw_scores(self, X: Any) -> np.ndarray:
        n_rows = check_not_empty(X)
        start = np.tile(np.asarray(self.init_score_), (n_rows, 1))
        if _library(self.estimator_) == "lightgbm":
            return np.asarray(self.estimator_.predict_proba(X, raw_score=True)) + start
        return np.asarray(
            self.estimator_.predict(X, output_margin=True, base_margin=start)
        ).reshape(n_rows, -1)

    def predict(self, X: Any) -> np.ndarray:
        """Return the most probable class of each row.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if self.method_ == "none":
            X = validate_features(self, X, reset=False)
            codes = np.asarray(self.estimator_.predict(X)).astype(int)
            return self.classes_[codes]
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        return delegate_input_tags(tags, self.estimator)
