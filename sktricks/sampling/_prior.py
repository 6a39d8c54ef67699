"""Probabilities corrected back to the true class prior after resampling."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from sktricks.sampling._validation import encode_classification_target

__all__ = ["PriorCorrectedClassifier"]


def _final_step(estimator):
    """Return the last step of a (scikit-learn or imbalanced-learn) Pipeline."""
    steps = getattr(estimator, "steps", None)
    if steps:
        for _, step in steps[:-1]:
            if hasattr(step, "fit_resample"):
                raise ValueError(
                    f"estimator is a Pipeline with the sampler "
                    f"{type(step).__name__}, whose resampled class prior "
                    "PriorCorrectedClassifier cannot see. Pass the sampler "
                    "as PriorCorrectedClassifier(estimator, sampler=...) "
                    "instead."
                )
        return _final_step(steps[-1][1])
    return estimator


def _class_multipliers(estimator, classes, counts) -> np.ndarray:
    """Return the weight each class gets from the model's own settings.

    Reads scikit-learn's ``class_weight`` ("balanced", "balanced_subsample"
    or a dict keyed by label) and, for binary targets, LightGBM's
    ``is_unbalance`` and LightGBM's or XGBoost's ``scale_pos_weight``, which
    weight the second class (``classes[1]``).
    """
    n_classes = len(classes)
    params = estimator.get_params(deep=False)
    multipliers = np.ones(n_classes)
    class_weight = params.get("class_weight")
    if isinstance(class_weight, str) and class_weight.startswith("balanced"):
        # n / (k * n_c) per class, from the unweighted class counts.
        multipliers = counts.sum() / (n_classes * np.maximum(counts, 1))
    elif isinstance(class_weight, dict):
        multipliers = np.array(
            [float(class_weight.get(label, 1.0)) for label in classes.tolist()]
        )
    if n_classes == 2:
        if params.get("is_unbalance"):
            multipliers = multipliers * np.array([1.0, counts[0] / max(counts[1], 1)])
        scale = params.get("scale_pos_weight")
        if scale is not None and float(scale) != 1.0:
            multipliers = multipliers * np.array([1.0, float(scale)])
    return multipliers


def _effective_prior(estimator, classes, y_codes, sample_weight) -> np.ndarray:
    """Return the class prior the estimator was trained under.

    That is the class frequency of its training rows, weighted by
    ``sample_weight`` and by the class weights the model itself applies
    (see :func:`_class_multipliers`), also when the model is the last step
    of a Pipeline.
    """
    n_classes = len(classes)
    counts = np.bincount(y_codes, minlength=n_classes).astype(float)
    weighted = np.bincount(y_codes, weights=sample_weight, minlength=n_classes)
    final = _final_step(estimator)
    mass = weighted * _class_multipliers(final, classes, counts)
    return mass / mass.sum()


class PriorCorrectedClassifier(ClassifierMixin, BaseEstimator):
    """Resample, fit a classifier, and correct its probabilities to the true prior.

    Over- or under-sampling, or balanced class weights, change the class
    prior a model learns, so its probabilities overstate the minority class
    and log loss and calibration suffer. If only the prior changed (a prior
    shift), Bayes' rule gives the correction
    ``p'(c|x) ∝ p(c|x) * pi_true(c) / pi_resampled(c)``, applied here in
    ``predict_proba``; ``predict`` returns the most probable class under
    the corrected probabilities. imbalanced-learn has no such step.

    The correction is exact only when the classifier is calibrated on the
    resampled data. A model that memorises duplicated rows (boosted trees
    after random over-sampling) is not, and the correction can then raise
    the log loss instead of lowering it.

    Parameters
    ----------
    estimator : classifier
        Unfitted classifier with ``predict_proba``, or a Pipeline ending in
        one; cloned in ``fit``. Its own class weights enter the prior it
        learns: ``class_weight`` ("balanced" or a dict), and for binary
        targets LightGBM's ``is_unbalance`` and ``scale_pos_weight`` or
        XGBoost's ``scale_pos_weight``.
    sampler : imbalanced-learn sampler or None, default=None
        Resamples the training data before the classifier is fitted. ``None``
        fits on the data as given.
    prior : "train" or array-like of shape (n_classes,), default="train"
        Class prior to correct to: the class frequencies of the data passed
        to ``fit`` (``"train"``), or given probabilities in the order of
        ``classes_`` (for example a known deployment prior). Given values
        are divided by their sum, so class counts work as well.

    Attributes
    ----------
    estimator_ : classifier
        The fitted classifier.
    sampler_ : sampler or None
        The fitted sampler.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    prior_ : ndarray of shape (n_classes,)
        Target prior ``pi_true``.
    resampled_prior_ : ndarray of shape (n_classes,)
        Prior the classifier was trained under, ``pi_resampled``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame.

    Examples
    --------
    >>> from imblearn.over_sampling import RandomOverSampler
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktricks.sampling import PriorCorrectedClassifier
    >>> X, y = make_classification(500, weights=[0.9], random_state=0)
    >>> model = PriorCorrectedClassifier(
    ...     LogisticRegression(), sampler=RandomOverSampler(random_state=0)
    ... ).fit(X, y)
    >>> model.resampled_prior_.round(2).tolist(), model.prior_.round(2).tolist()
    ([0.5, 0.5], [0.9, 0.1])
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "sampler": [None, HasMethods(["fit_resample"])],
        "prior": [StrOptions({"train"}), "array-like"],
    }

    def __init__(self, estimator, sampler=None, prior="train"):
        self.estimator = estimator
        self.sampler = sampler
        self.prior = prior

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Resample the data, fit the classifier and compute both priors.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data; passed to the sampler and classifier as given.
        y : array-like of shape (n_samples,)
            Class labels; pandas nullable dtypes are accepted.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights. With a sampler, they follow the rows it keeps,
            which needs a sampler with ``sample_indices_`` (random over- and
            under-sampling have it).

        Returns
        -------
        self : PriorCorrectedClassifier
            The fitted classifier.
        """
        X = self._check_features(X, reset=True)
        self.classes_, y_codes = encode_classification_target(y)
        y = self.classes_[y_codes]
        n_classes = len(self.classes_)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, ensure_non_negative=True
            )
            if not sample_weight.sum() > 0:
                raise ValueError(
                    "sample_weight sums to 0; give at least one row a positive weight."
                )

        self.prior_ = self._target_prior(y_codes, n_classes, sample_weight)

        X_fit, y_fit, weight_fit = X, y, sample_weight
        self.sampler_ = None
        if self.sampler is not None:
            self.sampler_ = clone(self.sampler)
            X_fit, y_fit = self.sampler_.fit_resample(X, y)
            weight_fit = self._resampled_weight(sample_weight)

        self.estimator_ = clone(self.estimator)
        if weight_fit is None:
            self.estimator_.fit(X_fit, y_fit)
        else:
            self.estimator_.fit(X_fit, y_fit, sample_weight=weight_fit)

        y_fit_codes = np.searchsorted(self.classes_, np.asarray(y_fit))
        self.resampled_prior_ = _effective_prior(
            self.estimator_, self.classes_, y_fit_codes, weight_fit
        )
        return self

    def _check_features(self, X, *, reset):
        if hasattr(X, "iloc"):
            validate_data(self, X, skip_check_array=True, reset=reset)
            return X
        return validate_data(self, X, reset=reset, ensure_all_finite=False, dtype=None)

    def _target_prior(self, y_codes, n_classes, sample_weight) -> np.ndarray:
        if isinstance(self.prior, str):
            counts = np.bincount(y_codes, weights=sample_weight, minlength=n_classes)
            return counts / counts.sum()
        prior = np.asarray(self.prior, dtype=float)
        if (
            prior.shape != (n_classes,)
            or np.any(prior <= 0)
            or not np.all(np.isfinite(prior))
        ):
            raise ValueError(
                f"prior={self.prior!r} must hold {n_classes} positive "
                f"probabilities, one per class in {self.classes_.tolist()}."
            )
        return prior / prior.sum()

    def _resampled_weight(self, sample_weight):
        if sample_weight is None:
            return None
        indices = getattr(self.sampler_, "sample_indices_", None)
        if indices is None:
            raise ValueError(
                f"sample_weight cannot follow the rows of "
                f"{type(self.sampler_).__name__}, which has no sample_indices_; "
                "use a sampler that keeps or copies rows (RandomOverSampler, "
                "RandomUnderSampler) or drop sample_weight."
            )
        return sample_weight[indices]

    def predict_proba(self, X):
        """Return probabilities corrected to ``prior_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            ``p(c|x) * prior_[c] / resampled_prior_[c]``, normalised per row.
        """
        check_is_fitted(self)
        X = self._check_features(X, reset=False)
        proba = np.asarray(self.estimator_.predict_proba(X), dtype=float)
        ratio = self.prior_ / np.maximum(self.resampled_prior_, 1e-300)
        corrected = proba * ratio
        total = corrected.sum(axis=1, keepdims=True)
        # A row whose probabilities are all zero stays uniform rather than NaN.
        return np.divide(
            corrected,
            total,
            out=np.full_like(corrected, 1.0 / corrected.shape[1]),
            where=total > 0,
        )

    def predict(self, X):
        """Return the most probable class under the corrected probabilities.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to classify.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    @available_if(lambda self: hasattr(self.estimator, "predict_log_proba"))
    def predict_log_proba(self, X):
        """Return the logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Natural logarithm of the corrected probabilities.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = get_tags(self.estimator).input_tags.allow_nan
        return tags
