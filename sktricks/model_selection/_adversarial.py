"""Adversarial validation: how well can a model tell training from test rows?"""

from __future__ import annotations

import inspect
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from sktricks.model_selection._early_stopping import final_estimator
from sktricks.model_selection._oof import cross_val_oof
from sktricks.utils._validation import (
    check_text_columns,
    is_lightgbm_or_xgboost,
    text_as_category,
)


class AdversarialValidator:
    """Train a train-versus-test classifier out of fold to measure drift.

    The rows of ``X_train`` (label 0) and ``X_test`` (label 1) are stacked,
    and a classifier predicts the label out of fold with
    :func:`cross_val_oof`. An AUC near 0.5 means the two sets look alike; an
    AUC near 1 means they differ, and the top features show where. The
    training rows that look most like test rows make a validation set that
    resembles the test set.

    This is not a scikit-learn estimator: ``fit`` takes two feature matrices
    and no target, which scikit-learn's estimator checks cannot express, so
    it is not a :class:`~sklearn.base.BaseEstimator` subclass. It still has
    ``get_params`` and ``set_params``, so :func:`sklearn.base.clone` works.

    Parameters
    ----------
    estimator : classifier, default=None
        The train-versus-test classifier; it needs ``predict_proba`` and
        ``feature_importances_`` or ``coef_`` (on its last step for a
        Pipeline). ``None`` uses ``LGBMClassifier(n_estimators=200,
        learning_rate=0.05, importance_type="gain", n_jobs=1,
        verbose=-1)``, which handles ``category`` columns
        natively. With it, string and ``object`` columns become
        ``category`` columns with the categories of both sets.
    cv : int, default=5
        Number of stratified, shuffled folds.
    random_state : int or None, default=None
        Seed for the folds and the default estimator.
    n_jobs : int, default=None
        Number of folds fitted in parallel with joblib. The default
        estimator uses one thread per fold, so the folds do not compete for
        cores with LightGBM's own threads.

    Attributes
    ----------
    auc_ : float
        Out-of-fold ROC AUC of telling test rows from training rows.
    feature_importances_ : Series
        Mean importance over the fold models, indexed by feature name and
        sorted from most to least important.
    train_similarity_ : ndarray or Series of shape (n_train,)
        Out-of-fold probability that each training row is a test row; a
        Series with ``X_train``'s index for a DataFrame.
    oof_result_ : OOFResult
        The full out-of-fold result over the stacked rows.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sktricks.model_selection import AdversarialValidator
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    >>> test = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(3, 1, 400)})
    >>> validator = AdversarialValidator(random_state=0).fit(train, test)
    >>> validator.auc_ > 0.9
    True
    >>> validator.feature_importances_.index[0]
    'b'
    >>> validator.validation_indices(0.1).shape
    (40,)
    """

    def __init__(
        self,
        estimator: Any = None,
        cv: int = 5,
        random_state: int | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.cv = cv
        self.random_state = random_state
        self.n_jobs = n_jobs

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Return the constructor parameters, as scikit-learn estimators do."""
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params: Any) -> AdversarialValidator:
        """Set constructor parameters; unknown names raise ``ValueError``."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"{name!r} is not a parameter of AdversarialValidator; "
                    f"valid parameters are {sorted(valid)}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_params().items())
        return f"AdversarialValidator({args})"

    def fit(self, X_train: Any, X_test: Any) -> AdversarialValidator:
        """Fit the train-versus-test classifier out of fold.

        Parameters
        ----------
        X_train, X_test : DataFrame or array-like of shape (n, n_features)
            The two sets to compare. DataFrames must have the same columns;
            ``X_test`` is reordered to ``X_train``'s column order. A LightGBM
            or XGBoost ``estimator`` raises TypeError on string and
            ``object`` columns.

        Returns
        -------
        self : AdversarialValidator
        """
        if not isinstance(self.cv, Integral) or self.cv < 2:
            raise ValueError(f"cv must be an int >= 2, got {self.cv!r}.")
        X_train, X_test = self._align(X_train, X_test)
        if self.estimator is None and isinstance(X_train, pd.DataFrame):
            X_train, X_test = text_as_category(X_train, X_test)
        elif is_lightgbm_or_xgboost(self.estimator):
            check_text_columns(X_train, "AdversarialValidator")
            check_text_columns(X_test, "AdversarialValidator")
        for name, part in (("X_train", X_train), ("X_test", X_test)):
            if _n_rows(part) < self.cv:
                raise ValueError(
                    f"{name} has {_n_rows(part)} rows; the adversarial "
                    f"classifier needs at least cv={self.cv} rows from each set."
                )
        X = _stack(X_train, X_test)
        is_test = np.r_[np.zeros(_n_rows(X_train)), np.ones(_n_rows(X_test))].astype(
            int
        )

        folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
        result = cross_val_oof(
            self._make_estimator(), X, is_test, cv=folds, n_jobs=self.n_jobs
        )
        oof = np.asarray(result.oof_)

        self.oof_result_ = result
        self.auc_ = float(roc_auc_score(is_test, oof))
        self.feature_importances_ = self._importances(result.estimators_, X)
        similarity = oof[: _n_rows(X_train)]
        if isinstance(X_train, pd.DataFrame):
            self.train_similarity_: Any = pd.Series(
                similarity, index=X_train.index, name="test_probability"
            )
        else:
            self.train_similarity_ = similarity
        return self

    def validation_indices(self, fraction: float) -> np.ndarray:
        """Return positions of the training rows that look most like test rows.

        Parameters
        ----------
        fraction : float in (0, 1]
            Share of the training rows to return.

        Returns
        -------
        indices : ndarray of int
            Positional indices into ``X_train`` (use ``iloc``), sorted from
            most to least test-like.
        """
        if not hasattr(self, "train_similarity_"):
            raise NotFittedError(
                "This AdversarialValidator is not fitted yet; call fit first."
            )
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {fraction!r}.")
        similarity = np.asarray(self.train_similarity_)
        n_rows = max(1, round(fraction * similarity.shape[0]))
        return np.argsort(-similarity, kind="stable")[:n_rows]

    def _make_estimator(self) -> Any:
        if self.estimator is not None:
            return clone(self.estimator)
        from lightgbm import LGBMClassifier

        return LGBMClassifier(
            n_estimators=200,
            learning_rate=0.05,
            # Split counts reward noise columns that many small splits fit;
            # total gain ranks the drifting column first.
            importance_type="gain",
            random_state=self.random_state,
            n_jobs=1,
            verbose=-1,
        )

    @staticmethod
    def _align(X_train: Any, X_test: Any) -> tuple[Any, Any]:
        if isinstance(X_train, pd.DataFrame) != isinstance(X_test, pd.DataFrame):
            raise TypeError(
                "X_train and X_test must both be DataFrames or both arrays; got "
                f"{type(X_train).__name__} and {type(X_test).__name__}."
            )
        if isinstance(X_train, pd.DataFrame):
            only_train = [c for c in X_train.columns if c not in set(X_test.columns)]
            only_test = [c for c in X_test.columns if c not in set(X_train.columns)]
            if only_train or only_test:
                raise ValueError(
                    f"X_train and X_test have different columns: only in X_train "
                    f"{only_train}, only in X_test {only_test}."
                )
            return X_train, X_test[list(X_train.columns)]
        X_train, X_test = np.asarray(X_train), np.asarray(X_test)
        if X_train.ndim != 2 or X_test.ndim != 2 or X_train.shape[1] != X_test.shape[1]:
            raise ValueError(
                f"X_train has shape {X_train.shape} and X_test {X_test.shape}; both "
                "must be 2-D with the same number of columns."
            )
        return X_train, X_test

    @staticmethod
    def _importances(estimators: list[Any], X: Any) -> pd.Series:
        per_fold = []
        for fitted in estimators:
            model = final_estimator(fitted)
            if hasattr(model, "feature_importances_"):
                values = np.asarray(model.feature_importances_, dtype=float)
            elif hasattr(model, "coef_"):
                values = np.abs(np.asarray(model.coef_, dtype=float)).reshape(-1)
            else:
                raise TypeError(
                    f"{type(model).__name__} has neither feature_importances_ nor "
                    "coef_; pass an estimator that has one."
                )
            per_fold.append(values)
        names = _feature_names(estimators[0], X, per_fold[0].shape[0])
        importances = pd.Series(np.mean(per_fold, axis=0), index=names)
        return importances.sort_values(ascending=False, kind="stable")


def _feature_names(fitted: Any, X: Any, n_features: int) -> list[Any]:
    if isinstance(fitted, Pipeline) and len(fitted.steps) > 1:
        names = list(fitted[:-1].get_feature_names_out())
    elif isinstance(X, pd.DataFrame):
        names = list(X.columns)
    else:
        names = [f"x{i}" for i in range(n_features)]
    if len(names) != n_features:
        names = [f"x{i}" for i in range(n_features)]
    return names


def _stack(X_train: Any, X_test: Any) -> Any:
    if isinstance(X_train, pd.DataFrame):
        # Categories are unioned so that a category column keeps its dtype.
        stacked = pd.concat([X_train, X_test], axis=0, ignore_index=True)
        for column in X_train.columns:
            if isinstance(X_train[column].dtype, pd.CategoricalDtype):
                categories = X_train[column].cat.categories.union(
                    X_test[column].astype("category").cat.categories
                )
                stacked[column] = pd.Categorical(
                    stacked[column].astype(object), categories=categories
                )
        return stacked
    return np.vstack([X_train, X_test])


def _n_rows(X: Any) -> int:
    return int(X.shape[0])
