"""Label statistics of each row's nearest training rows, out of fold."""

from __future__ import annotations

import logging
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.model_selection import check_cv
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from sktricks.model_selection import cross_val_oof
from sktricks.sampling._validation import convert_nullable_target
from sktricks.utils._validation import check_numeric_columns

logger = logging.getLogger(__name__)

__all__ = ["NeighborLabelFeatures"]


class NeighborLabelFeatures(TransformerMixin, BaseEstimator):
    """Add the label statistics of each row's nearest training neighbours.

    For a continuous target the feature is the mean target of the
    ``n_neighbors`` nearest training rows; for classes it is the share of
    each class among them (one column for a binary target, the share of the
    second class). ``fit_transform`` computes the training rows' features
    out of fold with :func:`~sktricks.model_selection.cross_val_oof`: a row's
    neighbours come only from the other folds, so no row sees its own label.
    ``transform`` on new rows searches all training rows. Inside a
    ``Pipeline`` the training rows go through ``fit_transform`` and new rows
    through ``transform``, so the model never trains on leaked features.
    Calling ``fit`` and then ``transform`` on the training rows themselves
    does leak, because each row is then its own nearest neighbour.

    scikit-learn's ``KNeighborsRegressor`` and ``KNeighborsClassifier`` find
    the neighbours; this class adds the out-of-fold training features.

    Parameters
    ----------
    n_neighbors : int, default=10
        Number of neighbours. It is capped at the size of the smallest
        training fold, and at the number of training rows for ``transform``.
    metric : str or callable, default="euclidean"
        Distance metric, as in :class:`~sklearn.neighbors.NearestNeighbors`.
    weights : {"uniform", "distance"} or callable, default="uniform"
        Weighting of the neighbours' labels, as in ``KNeighborsRegressor``.
    cv : int, cross-validation generator or iterable, default=5
        Folds for the training rows' features. An int gives ``KFold`` for a
        continuous target and ``StratifiedKFold`` for classes, unshuffled.
    target_type : {"auto", "continuous", "binary", "multiclass"}, \
            default="auto"
        Type of the target; ``"auto"`` infers it with
        :func:`~sklearn.utils.multiclass.type_of_target`.
    passthrough : bool, default=False
        Put the input columns before the neighbour features in the output,
        so the transformer can precede a model in a ``Pipeline`` without
        dropping the original features.

    Attributes
    ----------
    target_type_ : str
        The target type used.
    classes_ : ndarray or None
        Class labels for class targets, ``None`` for a continuous target.
    neighbors_ : estimator
        The nearest-neighbour model fitted on all training rows.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Column names seen during fit, when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sktricks.features import NeighborLabelFeatures
    >>> X = np.array([[0.0], [5.0], [0.1], [5.1], [0.2], [5.2]])
    >>> y = np.array([1.5, 10.5, 2.5, 20.5, 3.5, 30.5])
    >>> features = NeighborLabelFeatures(n_neighbors=2, cv=3)
    >>> features.fit_transform(X, y).ravel()
    array([ 3. , 25.5,  2.5, 20.5,  2. , 15.5])
    >>> features.transform([[0.05]]).ravel()
    array([2.])
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "metric": [str, callable],
        "weights": [StrOptions({"uniform", "distance"}), callable],
        "cv": ["cv_object"],
        "target_type": [StrOptions({"auto", "continuous", "binary", "multiclass"})],
        "passthrough": ["boolean"],
    }

    def __init__(
        self,
        n_neighbors: int = 10,
        metric: Any = "euclidean",
        weights: Any = "uniform",
        cv: Any = 5,
        target_type: str = "auto",
        passthrough: bool = False,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.weights = weights
        self.cv = cv
        self.target_type = target_type
        self.passthrough = passthrough

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> NeighborLabelFeatures:
        """Fit the neighbour search on all training rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training data without missing values.
        y : array-like of shape (n_samples,)
            Target.

        Returns
        -------
        self : NeighborLabelFeatures
        """
        self._fit(X, y)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit, then return out-of-fold neighbour features of the training rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training data without missing values.
        y : array-like of shape (n_samples,)
            Target.
        **fit_params : dict
            Unused; accepted for ``Pipeline`` compatibility.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out)
        """
        X_checked, y_checked = self._fit(X, y)
        folds = list(
            check_cv(self.cv, y_checked, classifier=self.classes_ is not None).split(
                X_checked, y_checked
            )
        )
        smallest_train = min(train.shape[0] for train, _ in folds)
        model = self._neighbor_model(smallest_train)
        oof = cross_val_oof(model, X_checked, y_checked, cv=folds).oof_
        features = np.asarray(oof, dtype=float).reshape(X_checked.shape[0], -1)
        return self._with_passthrough(X_checked, features)

    def _fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        if y is None:
            raise ValueError(
                "NeighborLabelFeatures requires y to be passed, but the target y "
                "is None: pass the target to fit or fit_transform."
            )
        check_numeric_columns(X, type(self).__name__)
        # validate_data converts Int64 and boolean targets to float64, which
        # would make classes_ and the column names 0.0/1.0.
        y = convert_nullable_target(y)
        X, y = validate_data(self, X, y, y_numeric=False)
        y = column_or_1d(y)
        self.target_type_ = self._resolve_target_type(y)
        if self.target_type_ == "continuous":
            self.classes_ = None
            y = y.astype(float)
        else:
            self.classes_ = np.unique(y)
        self.neighbors_ = self._neighbor_model(X.shape[0]).fit(X, y)
        logger.info("NeighborLabelFeatures fitted on %d rows", X.shape[0])
        return X, y

    def _resolve_target_type(self, y: np.ndarray) -> str:
        if self.target_type != "auto":
            return self.target_type
        inferred = type_of_target(y, input_name="y")
        if inferred not in ("continuous", "binary", "multiclass"):
            raise ValueError(
                f"Unknown label type {inferred!r}: NeighborLabelFeatures takes a "
                "continuous, binary or multiclass target. Set target_type to say "
                "which."
            )
        return inferred

    def _neighbor_model(self, n_rows: int) -> Any:
        params = {
            "n_neighbors": min(self.n_neighbors, n_rows),
            "metric": self.metric,
            "weights": self.weights,
        }
        if self.classes_ is None:
            return KNeighborsRegressor(**params)
        return KNeighborsClassifier(**params)

    def transform(self, X: Any) -> Any:
        """Return the neighbour features of new rows, searched in all training rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out)
        """
        check_is_fitted(self)
        check_numeric_columns(X, type(self).__name__)
        X = validate_data(self, X, reset=False)
        if self.classes_ is None:
            features = self.neighbors_.predict(X).reshape(-1, 1)
        else:
            features = self.neighbors_.predict_proba(X)
            if self.classes_.shape[0] == 2:
                features = features[:, 1:]
        return self._with_passthrough(X, features)

    def _with_passthrough(self, X: np.ndarray, features: np.ndarray) -> np.ndarray:
        if self.passthrough:
            return np.hstack([X, features])
        return features

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Return the output column names.

        ``neighbor_mean`` for a continuous target, ``neighbor_share_<class>``
        for classes, after the input names when ``passthrough=True``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input names; defaults to ``feature_names_in_`` or ``x0, x1, ...``.

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self)
        if self.classes_ is None:
            names = ["neighbor_mean"]
        else:
            shown = self.classes_[1:] if self.classes_.shape[0] == 2 else self.classes_
            names = [f"neighbor_share_{label}" for label in shown]
        if self.passthrough:
            from sklearn.utils.validation import _check_feature_names_in

            names = [*_check_feature_names_in(self, input_features), *names]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
