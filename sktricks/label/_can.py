"""Classification with alternating normalization (CAN) as a meta-classifier."""

from __future__ import annotations

import logging
import warnings
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
)

from sktricks.exceptions import SktricksWarning
from sktricks.label._base import (
    check_class_counts,
    check_not_empty,
    delegate_input_tags,
    encode_classes,
    validate_features,
)
from sktricks.model_selection import cross_val_oof

logger = logging.getLogger(__name__)

__all__ = ["CANClassifier", "alternating_normalization", "top_k_entropy"]


def top_k_entropy(proba: np.ndarray, k: int = 3) -> np.ndarray:
    """Return the normalised entropy of each row's ``k`` largest probabilities.

    The ``k`` largest probabilities of a row are rescaled to sum to 1, and
    their entropy is divided by ``log(k)``, so the result lies in [0, 1]:
    0 for a one-hot row, 1 when the top ``k`` classes tie. ``k`` is capped at
    the number of columns.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Class probabilities.
    k : int, default=3
        Number of top classes considered.

    Returns
    -------
    entropy : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.label import top_k_entropy
    >>> top_k_entropy(np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]), k=2)
    array([0., 1.])
    """
    k = min(k, proba.shape[1])
    top = -np.sort(-proba, axis=1)[:, :k]
    top = top / np.maximum(top.sum(axis=1, keepdims=True), np.finfo(float).tiny)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(top > 0, top * np.log(top), 0.0)
    return np.clip(-terms.sum(axis=1) / np.log(k), 0.0, 1.0)


def alternating_normalization(
    confident: np.ndarray,
    uncertain: np.ndarray,
    prior: np.ndarray,
    *,
    alpha: float = 1.0,
    n_iter: int = 1,
) -> np.ndarray:
    """Re-normalise uncertain predictions against confident ones and a prior.

    Implements the alternating normalization of Jia, Reiter, Lim, Artzi and
    Cardie, "When in Doubt: Improving Classification Performance with
    Alternating Normalization" (Findings of EMNLP 2021). Each uncertain row
    ``b`` is stacked under the confident rows ``A`` and, ``n_iter`` times,
    the stack is raised to the power ``alpha``, each column is scaled so
    that it sums to the prior of its class, and each row is scaled to sum
    to 1. The new ``b`` is the last row. Each uncertain row is processed on
    its own, with the original confident rows.

    Parameters
    ----------
    confident : ndarray of shape (n_confident, n_classes)
        Predicted probabilities of rows the model is confident about.
    uncertain : ndarray of shape (n_uncertain, n_classes)
        Predicted probabilities to adjust.
    prior : ndarray of shape (n_classes,)
        Class prior, for example the class frequencies of the training set.
    alpha : float, default=1.0
        Power applied before each column normalisation.
    n_iter : int, default=1
        Number of column-then-row normalisation rounds.

    Returns
    -------
    adjusted : ndarray of shape (n_uncertain, n_classes)
        The adjusted probabilities; rows sum to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.label import alternating_normalization
    >>> confident = np.array([[0.9, 0.1], [0.8, 0.2]])
    >>> adjusted = alternating_normalization(
    ...     confident, np.array([[0.4, 0.6]]), prior=np.array([0.8, 0.2]))
    >>> adjusted.round(3)
    array([[0.533, 0.467]])
    """
    if uncertain.shape[0] == 0:
        return uncertain.copy()
    if n_iter == 1:
        # One round only needs the column sums of the confident rows, so all
        # uncertain rows are adjusted at once.
        powered = uncertain**alpha
        column_sums = (confident**alpha).sum(axis=0)[None, :] + powered
        scaled = powered / column_sums * prior[None, :]
        return scaled / scaled.sum(axis=1, keepdims=True)

    adjusted = np.empty_like(uncertain, dtype=float)
    for row, probabilities in enumerate(uncertain):
        stack = np.vstack([confident, probabilities[None, :]])
        for _ in range(n_iter):
            stack = stack**alpha
            stack = stack / stack.sum(axis=0, keepdims=True) * prior[None, :]
            stack = stack / stack.sum(axis=1, keepdims=True)
        adjusted[row] = stack[-1]
    return adjusted


class CANClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Adjust a classifier's uncertain predictions by alternating normalization.

    ``fit`` collects the base estimator's out-of-fold probabilities on the
    training rows with :func:`~sktricks.model_selection.cross_val_oof`, keeps
    the confident ones (top-k entropy at most ``threshold``) and the class
    frequencies of ``y`` as the prior, then fits the base estimator on all
    rows. At prediction, each row whose top-k entropy exceeds ``threshold``
    is adjusted by :func:`alternating_normalization` against the confident
    out-of-fold rows and the prior; confident rows keep the base
    probabilities. This helps where the model's uncertain predictions
    disagree with the class prior, for example a model trained with class
    weights on a skewed target.

    Parameters
    ----------
    estimator : classifier
        Base classifier with ``predict_proba``.
    threshold : float, default=0.9
        Rows with top-k entropy above this value, in [0, 1], are adjusted.
        ``1.0`` adjusts no row, so the base predictions come back unchanged.
    alpha : float, default=1.0
        Power applied before each column normalisation.
    n_iter : int, default=1
        Number of normalisation rounds.
    top_k : int, default=3
        Number of top classes whose entropy measures uncertainty.
    cv : int, cross-validation generator or iterable, default=5
        Folds for the out-of-fold probabilities, as in scikit-learn.

    Attributes
    ----------
    estimator_ : estimator
        The base estimator fitted on all rows.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    prior_ : ndarray of shape (n_classes,)
        Class frequencies of the training target.
    confident_proba_ : ndarray of shape (n_confident, n_classes)
        Out-of-fold probabilities of the confident training rows.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Column names seen during fit, when ``X`` has string column names.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktricks.label import CANClassifier
    >>> X, y = make_classification(n_samples=300, n_classes=3, n_informative=4,
    ...                            random_state=0)
    >>> model = CANClassifier(LogisticRegression(), threshold=0.8).fit(X, y)
    >>> model.predict_proba(X).shape
    (300, 3)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "threshold": [Interval(Real, 0, 1, closed="both")],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "top_k": [Interval(Integral, 2, None, closed="left")],
        "cv": ["cv_object"],
    }

    def __init__(
        self,
        estimator: Any,
        threshold: float = 0.9,
        alpha: float = 1.0,
        n_iter: int = 1,
        top_k: int = 3,
        cv: Any = 5,
    ) -> None:
        self.estimator = estimator
        self.threshold = threshold
        self.alpha = alpha
        self.n_iter = n_iter
        self.top_k = top_k
        self.cv = cv

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CANClassifier:
        """Collect confident out-of-fold predictions and fit the base estimator.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data, passed to the base estimator as given.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, passed to the base estimator's ``fit`` in every fold
            and on all rows, and used for the class prior. The base
            estimator's ``fit`` must take ``sample_weight``.

        Returns
        -------
        self : CANClassifier
        """
        X = validate_features(self, X, reset=True)
        n_samples = check_not_empty(X)
        self.classes_, y_encoded = encode_classes(y, n_samples)
        check_class_counts(y_encoded, self.classes_, self.cv)
        n_classes = self.classes_.shape[0]
        fit_params = self._fit_params(sample_weight, n_samples)
        weights = fit_params.get("sample_weight", np.ones(n_samples))
        counts = np.bincount(y_encoded, weights=weights, minlength=n_classes)
        self.prior_ = counts / counts.sum()

        oof = cross_val_oof(
            clone(self.estimator),
            X,
            y_encoded,
            cv=self.cv,
            method="predict_proba",
            params=fit_params,
        ).oof_
        oof = _two_columns(np.asarray(oof, dtype=float))
        confident = top_k_entropy(oof, self.top_k) <= self.threshold
        self.confident_proba_ = oof[confident]
        if not confident.any():
            warnings.warn(
                f"No out-of-fold prediction has top-{self.top_k} entropy at most "
                f"threshold={self.threshold}, so uncertain rows are adjusted "
                "towards the prior alone. Raise threshold.",
                SktricksWarning,
                stacklevel=2,
            )

        self.estimator_ = clone(self.estimator).fit(X, y_encoded, **fit_params)
        logger.info(
            "CANClassifier kept %d of %d out-of-fold rows as confident",
            int(confident.sum()),
            n_samples,
        )
        return self

    def _fit_params(self, sample_weight: Any, n_samples: int) -> dict[str, Any]:
        """Return the base estimator's fit parameters for ``sample_weight``."""
        if sample_weight is None:
            return {}
        if not has_fit_parameter(self.estimator, "sample_weight"):
            raise TypeError(
                f"{type(self.estimator).__name__}.fit does not take sample_weight; "
                "use a base estimator that does, or fit without weights."
            )
        return {
            "sample_weight": _check_sample_weight(sample_weight, np.empty(n_samples))
        }

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return class probabilities with uncertain rows re-normalised.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = validate_features(self, X, reset=False)
        proba = np.array(self.estimator_.predict_proba(X), dtype=float)
        uncertain = top_k_entropy(proba, self.top_k) > self.threshold
        proba[uncertain] = alternating_normalization(
            self.confident_proba_,
            proba[uncertain],
            self.prior_,
            alpha=self.alpha,
            n_iter=self.n_iter,
        )
        return proba

    def predict(self, X: Any) -> np.ndarray:
        """Return the most probable class of each row after adjustment.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        return delegate_input_tags(tags, self.estimator)


def _two_columns(oof: np.ndarray) -> np.ndarray:
    """Turn a binary out-of-fold vector into ``(1 - p, p)`` columns."""
    if oof.ndim == 1:
        return np.column_stack([1.0 - oof, oof])
    return oof
