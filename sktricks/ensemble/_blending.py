"""Blending: the final estimator learns on a held-out slice."""

from __future__ import annotations

from numbers import Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import (
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
    clone,
)
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.utils._metadata_requests import MetadataRouter
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from sktricks.ensemble._base import (
    check_named_estimators,
    default_final,
    fit_full,
    metadata_router,
    prepare_target,
    resolve_method,
    route_params,
    take_params,
    take_rows,
    validate_input,
)
from sktricks.ensemble._checks import check_holdout_classes, check_sample_weight
from sktricks.ensemble._composition import NamedEstimatorsMixin
from sktricks.ensemble._errors import FINAL_ESTIMATOR, naming_errors


class _BaseBlending(NamedEstimatorsMixin):
    _parameter_constraints: ClassVar[dict] = {
        "estimators": [list],
        "final_estimator": [HasMethods("fit"), None],
        "holdout": [Interval(Real, 0, 1, closed="neither")],
        "refit_base": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimators: list,
        final_estimator: Any = None,
        *,
        holdout: float = 0.2,
        refit_base: bool = True,
        random_state: Any = None,
    ) -> None:
        self.estimators = estimators
        self.final_estimator = final_estimator
        self.holdout = holdout
        self.refit_base = refit_base
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _final_or_default(self) -> Any:
        if self.final_estimator is not None:
            return self.final_estimator
        if isinstance(self, ClassifierMixin):
            return default_final(LogisticRegression())
        return default_final(RidgeCV())

    def get_metadata_routing(self) -> MetadataRouter:
        """Get the routing of ``fit`` metadata to the base and final estimators.

        Returns
        -------
        routing : MetadataRouter
            Each base model by name, and ``final_estimator``.
        """
        pairs = check_named_estimators(self.estimators, self)
        return metadata_router(self, pairs, self._final_or_default())

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, **fit_params: Any
    ) -> _BaseBlending:
        """Fit base models on one slice and the final estimator on the other.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the base models and the final estimator (with metadata
            routing enabled, to those that request it).
        **fit_params : dict
            Other parameters for the base models' or the final estimator's
            ``fit``; they need ``sklearn.set_config(enable_metadata_routing=True)``
            and go to the models that request them with ``set_fit_request``.

        Returns
        -------
        self : object
            The fitted blend.
        """
        X = validate_input(self, X, y)
        pairs = check_named_estimators(self.estimators, self)
        classifier = isinstance(self, ClassifierMixin)
        y_array, classes = prepare_target(
            y, X.shape[0], classifier, type(self).__name__
        )
        if classes is not None:
            self.classes_ = classes
        final = self._final_or_default()
        sample_weight = check_sample_weight(sample_weight, X)
        routed = route_params(
            self, pairs, final, sample_weight, None, fit_params, splits=False
        )

        if classifier:
            check_holdout_classes(y_array, classes, type(self).__name__)
        rows = np.arange(X.shape[0])
        stratify = y_array if classifier else None
        train, held = train_test_split(
            rows,
            test_size=self.holdout,
            random_state=self.random_state,
            stratify=stratify,
        )
        method = "auto" if classifier else "predict"
        self.estimators_ = []
        for name, estimator in pairs:
            base_method = resolve_method(name, estimator, method, classifier)
            params = take_params(X, routed.base[name], train)
            self.estimators_.append(
                fit_full(
                    name,
                    estimator,
                    take_rows(X, train),
                    y_array[train],
                    classes,
                    base_method,
                    params,
                )
            )
        features = self._features(take_rows(X, held))

        self.final_estimator_ = clone(final)
        with naming_errors(FINAL_ESTIMATOR, final, features):
            self.final_estimator_.fit(
                features, y_array[held], **take_params(X, routed.final, held)
            )

        if self.refit_base:
            # The final estimator keeps what it learned on the held-out
            # predictions; the base models now use every row.
            self.estimators_ = [
                fit_full(
                    base.name,
                    estimator,
                    X,
                    y_array,
                    classes,
                    base.method,
                    routed.base[base.name],
                )
                for base, (_, estimator) in zip(self.estimators_, pairs, strict=False)
            ]
        return self

    def _features(self, X: Any) -> np.ndarray:
        return np.hstack([base.features(X) for base in self.estimators_])

    def _final_input(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return self._features(validate_input(self, X, reset=False))


class BlendingClassifier(ClassifierMixin, _BaseBlending):
    """Blend classifiers with a final estimator fitted on a held-out slice.

    The base models are fitted on ``1 - holdout`` of the rows; the final
    estimator learns from their predictions on the rest (one column per
    binary model, as in :class:`StackingClassifier`). With
    ``refit_base=True`` the base models are then refitted on all rows.
    Cheaper than stacking (one fit per model) at the cost of a smaller
    training set for the final estimator.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Base models; each uses ``predict_proba``, else ``decision_function``,
        else ``predict``.
        Unique names address the models in ``set_params`` and
        ``GridSearchCV`` as ``<name>__<parameter>``, for example ``lr__C``.
        An estimator given as ``"drop"`` is left out.
    final_estimator : estimator, default=None
        ``LogisticRegression()`` when ``None``, which with metadata routing
        enabled requests ``sample_weight``. ``set_params`` reaches its
        parameters as ``final_estimator__<parameter>``.
    holdout : float, default=0.2
        Share of rows held out (stratified) for the final estimator.
    refit_base : bool, default=True
        Refit the base models on all rows after the final estimator is fitted.
    random_state : int, RandomState instance or None, default=None
        Seeds the held-out split.

    Attributes
    ----------
    estimators_ : list of FittedBase
        The fitted base models.
    final_estimator_ : estimator
        The fitted final estimator.
    classes_ : ndarray
        Sorted class labels.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sktricks.ensemble import BlendingClassifier
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> blend = BlendingClassifier(
    ...     [("lr", LogisticRegression()), ("nb", GaussianNB())], random_state=0
    ... ).fit(X, y)
    >>> blend.predict(X[:3]).shape
    (3,)
    """

    def predict(self, X: Any) -> np.ndarray:
        """Class labels from the final estimator."""
        features = self._final_input(X)
        return self.final_estimator_.predict(features)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities from the final estimator, one column per class.

        A class with no row in the held-out slice is unknown to the final
        estimator; its column is 0, so the columns always match ``classes_``.
        """
        features = self._final_input(X)
        proba = self.final_estimator_.predict_proba(features)
        aligned = np.zeros((proba.shape[0], len(self.classes_)))
        positions = np.searchsorted(self.classes_, self.final_estimator_.classes_)
        aligned[:, positions] = proba
        return aligned


class BlendingRegressor(RegressorMixin, _BaseBlending):
    """Blend regressors with a final estimator fitted on a held-out slice.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Base models.
        Unique names address the models in ``set_params`` and
        ``GridSearchCV`` as ``<name>__<parameter>``, for example
        ``ridge__alpha``.
        An estimator given as ``"drop"`` is left out.
    final_estimator : estimator, default=None
        ``RidgeCV()`` when ``None``, which with metadata routing enabled
        requests ``sample_weight``. ``set_params`` reaches its
        parameters as ``final_estimator__<parameter>``.
    holdout : float, default=0.2
        Share of rows held out for the final estimator.
    refit_base : bool, default=True
        Refit the base models on all rows afterwards.
    random_state : int, RandomState instance or None, default=None
        Seeds the held-out split.

    Attributes
    ----------
    estimators_ : list of FittedBase
        The fitted base models.
    final_estimator_ : estimator
        The fitted final estimator.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.linear_model import Ridge
    >>> from sktricks.ensemble import BlendingRegressor
    >>> X, y = make_regression(n_samples=100, random_state=0)
    >>> BlendingRegressor([("ridge", Ridge())], random_state=0).fit(X, y).predict(
    ...     X[:2]
    ... ).shape
    (2,)
    """

    def predict(self, X: Any) -> np.ndarray:
        """Predictions of the final estimator."""
        features = self._final_input(X)
        return self.final_estimator_.predict(features)
