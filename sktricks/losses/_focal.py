"""Focal loss objectives for LightGBM and XGBoost, and a classifier wrapper."""

from __future__ import annotations

import numbers
from typing import Any, ClassVar, Literal

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from sktricks.losses._focal_math import boosting_grad_hess, focal_loss
from sktricks.sampling._validation import encode_classification_target
from sktricks.utils._validation import check_text_columns

__all__ = [
    "FocalLossClassifier",
    "make_lightgbm_focal_metric",
    "make_lightgbm_focal_objective",
    "make_xgboost_focal_metric",
    "make_xgboost_focal_objective",
]

# A tiny positive floor for the Hessian of rows with a positive weight, whose
# focal Hessian can underflow to 0 when the model is very sure of them.
_HESS_FLOOR = 1e-16


def _floored(hess: np.ndarray, weight: Any) -> np.ndarray:
    """Return ``hess`` raised to ``_HESS_FLOOR`` on rows of positive weight.

    Rows of weight 0 keep a Hessian of exactly 0, as in the libraries' own
    objectives: LightGBM estimates the row count of a histogram bin from
    its Hessian sum (for min_child_samples), so a floor on those rows alone
    changed which splits it made.
    """
    floored = np.maximum(hess, _HESS_FLOOR)
    if weight is None or np.size(weight) == 0:
        return floored
    positive = np.asarray(weight, dtype=float) > 0
    if hess.ndim == 2:
        positive = positive[:, None]
    return np.where(positive, floored, hess)


def _as_score_matrix(preds: Any, n_rows: int, order: Literal["C", "F"]):
    """Return ``preds`` with one column per class, and the class count if flat.

    Current LightGBM and XGBoost pass multiclass margins as an
    ``(n_samples, n_classes)`` array, but older releases and hand-made
    calls pass them flat: class-major (``order="F"``) in LightGBM and
    row-major (``order="C"``) in XGBoost. A flat array whose length is a
    multiple of ``n_rows`` is reshaped in the layout of its library.
    """
    preds = np.asarray(preds, dtype=float)
    if preds.ndim != 1 or preds.size == n_rows:
        return preds, None
    if n_rows == 0 or preds.size % n_rows:
        raise ValueError(
            f"Got {preds.size} margins for {n_rows} labelled rows, which is not "
            "a whole number of classes. Set num_class to the number of classes "
            "in the labels, or leave it unset for binary targets."
        )
    n_classes = preds.size // n_rows
    return preds.reshape((n_rows, n_classes), order=order), n_classes


def _flatten_like_input(
    values: np.ndarray, n_classes, order: Literal["C", "F"]
) -> np.ndarray:
    """Return ``values`` in the flat layout the margins came in, if they were flat."""
    if n_classes is None:
        return values
    return values.ravel(order=order)


def _metric_margins(scores: np.ndarray, is_margin: bool, flag: str) -> np.ndarray:
    """Return margins for a metric, converting probabilities if ``is_margin`` is False.

    A booster with a built-in objective hands custom metrics probabilities,
    and one with a custom objective hands them raw margins.
    """
    if not is_margin:
        proba = np.clip(scores, 1e-15, 1.0 - 1e-15)
        if proba.ndim == 1:
            return np.log(proba) - np.log1p(-proba)
        return np.log(proba)
    # NOTE: binary probabilities cannot be distinguished from small margins, so
    # only multiclass input is checked here.
    if (
        scores.ndim == 2
        and scores.size
        and np.all((scores >= 0) & (scores <= 1))
        and np.allclose(scores.sum(axis=1), 1.0, atol=1e-6)
    ):
        raise ValueError(
            "The metric received rows of probabilities that sum to 1, but it "
            f"expects raw margins. With a built-in objective, pass {flag}=False."
        )
    return scores


def _native_grad_hess(label, preds, weight, *, gamma, alpha, library):
    """Return the floored focal gradient and Hessian for a native training API."""
    order: Literal["C", "F"] = "F" if library == "lightgbm" else "C"
    scores, flat_classes = _as_score_matrix(preds, len(label), order)
    n_classes = 2 if scores.ndim == 1 else scores.shape[1]
    grad, hess = boosting_grad_hess(
        label,
        scores,
        gamma=gamma,
        alpha=alpha,
        sample_weight=weight,
        factor=_softmax_hessian_factor(library, n_classes),
    )
    hess = _floored(hess, weight)
    return (
        _flatten_like_input(grad, flat_classes, order),
        _flatten_like_input(hess, flat_classes, order),
    )


def _library(estimator) -> str:
    """Return "lightgbm" or "xgboost" for a supported classifier."""
    from lightgbm import LGBMClassifier
    from xgboost import XGBClassifier

    if isinstance(estimator, LGBMClassifier):
        return "lightgbm"
    if isinstance(estimator, XGBClassifier):
        return "xgboost"
    raise TypeError(
        f"estimator must be a lightgbm.LGBMClassifier or xgboost.XGBClassifier, "
        f"got {type(estimator).__name__}."
    )


def _softmax_hessian_factor(library: str, n_classes: int) -> float:
    """Return the constant each library multiplies its softmax Hessian by.

    The diagonal Hessian underestimates the step of a softmax objective, so
    LightGBM (``MulticlassSoftmax``) scales it by ``K / (K - 1)`` and XGBoost
    (``multi:softprob``) by 2, in LightGBM 4 and XGBoost 3. Using the same
    factor makes ``gamma=0`` reproduce each library's built-in trees, which
    the tests check.
    """
    if n_classes <= 2:
        return 1.0
    return n_classes / (n_classes - 1.0) if library == "lightgbm" else 2.0


def _prior_margin(y_codes, n_classes, sample_weight, library) -> np.ndarray:
    """Return the constant starting margin the built-in log loss would use."""
    counts = np.bincount(y_codes, weights=sample_weight, minlength=n_classes)
    prior = np.clip(counts / counts.sum(), 1e-15, 1.0 - 1e-15)
    if n_classes == 2:
        return np.array([np.log(prior[1] / prior[0])])
    log_prior = np.log(prior)
    # XGBoost centres its multiclass intercept; LightGBM starts at log(prior).
    # Both give the same probabilities, and matching each keeps the float32
    # arithmetic of the first round identical to the built-in objective.
    return log_prior - log_prior.mean() if library == "xgboost" else log_prior


class _LightGBMObjective:
    """Focal loss in the ``(y_true, y_pred, weight)`` form of ``LGBMClassifier``.

    A class rather than a closure so that fitted models can be pickled.
    """

    def __init__(self, gamma, alpha, n_classes):
        self.gamma = gamma
        self.alpha = alpha
        self.factor = _softmax_hessian_factor("lightgbm", n_classes)

    def __call__(self, y_true, y_pred, weight):
        grad, hess = boosting_grad_hess(
            y_true,
            y_pred,
            gamma=self.gamma,
            alpha=self.alpha,
            sample_weight=weight,
            factor=self.factor,
        )
        return grad, _floored(hess, weight)


class _XGBoostObjective:
    """Focal loss in the ``(y_true, y_pred, *, sample_weight)`` form of XGBoost."""

    def __init__(self, gamma, alpha, n_classes):
        self.gamma = gamma
        self.alpha = alpha
        self.factor = _softmax_hessian_factor("xgboost", n_classes)

    def __call__(self, y_true, y_pred, *, sample_weight=None):
        grad, hess = boosting_grad_hess(
            y_true,
            y_pred,
            gamma=self.gamma,
            alpha=self.alpha,
            sample_weight=sample_weight,
            factor=self.factor,
        )
        return grad, _floored(hess, sample_weight)


class _LightGBMEvalMetric:
    """Focal loss as an ``LGBMClassifier`` ``eval_metric`` on raw margins."""

    def __init__(self, gamma, alpha):
        self.gamma = gamma
        self.alpha = alpha

    def __call__(self, y_true, y_pred, weight):
        value = focal_loss(
            y_true, y_pred, gamma=self.gamma, alpha=self.alpha, sample_weight=weight
        )
        return "focal_loss", value, False


class _XGBoostEvalMetric:
    """Focal loss as an ``XGBClassifier`` ``eval_metric`` on raw margins.

    XGBoost names the metric after ``__name__``. Because that name is not in
    its list of maximised metrics, early stopping minimises it.
    """

    __name__ = "focal_loss"

    def __init__(self, gamma, alpha):
        self.gamma = gamma
        self.alpha = alpha

    def __call__(self, y_true, y_pred, sample_weight=None):
        return focal_loss(
            y_true,
            y_pred,
            gamma=self.gamma,
            alpha=self.alpha,
            sample_weight=sample_weight,
        )


def make_lightgbm_focal_objective(gamma: float = 2.0, alpha: Any = None):
    """Build a focal loss objective for ``lightgbm.train``.

    The returned function takes ``(preds, train_data)``, as LightGBM 4's
    native API passes them, and returns the gradient and Hessian. Set
    ``num_class`` in the parameters for multiclass targets, and give the
    training ``Dataset`` an ``init_score`` (for example the log-odds of the
    class prior): LightGBM ignores ``boost_from_average`` for custom
    objectives, and its predictions then exclude that score.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter; ``0`` gives the log loss.
    alpha : float, array-like of shape (n_classes,) or None, default=None
        Class weights, as in :func:`sktricks.losses.focal_loss`.

    Returns
    -------
    objective : callable
        ``objective(preds, train_data) -> (grad, hess)``.

    Examples
    --------
    >>> import numpy as np
    >>> import lightgbm as lgb
    >>> from sktricks.losses import make_lightgbm_focal_objective
    >>> X = np.arange(40, dtype=float).reshape(-1, 1)
    >>> y = (X[:, 0] > 25).astype(float)
    >>> train = lgb.Dataset(X, y, init_score=np.zeros(40))
    >>> params = {"objective": make_lightgbm_focal_objective(2.0), "verbose": -1,
    ...           "min_data_in_leaf": 5}
    >>> booster = lgb.train(params, train, num_boost_round=5)
    >>> booster.predict(X[:1], raw_score=True)[0] < 0
    np.True_
    """

    def objective(preds, train_data):
        return _native_grad_hess(
            train_data.get_label(),
            preds,
            train_data.get_weight(),
            gamma=gamma,
            alpha=alpha,
            library="lightgbm",
        )

    return objective


def make_lightgbm_focal_metric(
    gamma: float = 2.0, alpha: Any = None, *, raw_score: bool = True
):
    """Build a focal loss evaluation metric for ``lightgbm.train``.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter; ``0`` gives the log loss.
    alpha : float, array-like of shape (n_classes,) or None, default=None
        Class weights, as in :func:`sktricks.losses.focal_loss`.
    raw_score : bool, default=True
        Whether ``preds`` are raw margins, as LightGBM passes them with a
        custom objective. Set it to False with a built-in objective such as
        ``"binary"`` or ``"multiclass"``, which passes probabilities.

    Returns
    -------
    metric : callable
        ``metric(preds, eval_data) -> ("focal_loss", value, False)``, with
        ``preds`` the raw margins. With a custom objective, LightGBM 4
        already adds the dataset's ``init_score`` to ``preds``, unlike
        ``Booster.predict``, so do not add it again.

    Examples
    --------
    >>> import numpy as np
    >>> import lightgbm as lgb
    >>> from sktricks.losses import make_lightgbm_focal_metric
    >>> data = lgb.Dataset(np.zeros((2, 1)), np.array([0.0, 1.0])).construct()
    >>> name, value, higher_better = make_lightgbm_focal_metric(0.0)(np.zeros(2), data)
    >>> name, round(value, 6), higher_better
    ('focal_loss', 0.693147, False)
    """

    def metric(preds, eval_data):
        label = eval_data.get_label()
        value = focal_loss(
            label,
            _metric_margins(
                _as_score_matrix(preds, len(label), "F")[0], raw_score, "raw_score"
            ),
            gamma=gamma,
            alpha=alpha,
            sample_weight=eval_data.get_weight(),
        )
        return "focal_loss", value, False

    return metric


def make_xgboost_focal_objective(gamma: float = 2.0, alpha: Any = None):
    """Build a focal loss objective for ``xgboost.train``.

    The returned function takes ``(predt, dtrain)`` and returns the gradient
    and Hessian in the shape of ``predt``: ``(n_samples,)`` for binary and
    ``(n_samples, n_classes)`` for multiclass targets (set ``num_class``).
    ``predt`` contains raw margins; pass ``output_margin=True`` to ``predict``
    and apply the sigmoid or softmax yourself.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter; ``0`` gives the log loss.
    alpha : float, array-like of shape (n_classes,) or None, default=None
        Class weights, as in :func:`sktricks.losses.focal_loss`.

    Returns
    -------
    objective : callable
        ``objective(predt, dtrain) -> (grad, hess)``.

    Examples
    --------
    >>> import numpy as np
    >>> import xgboost as xgb
    >>> from sktricks.losses import make_xgboost_focal_objective
    >>> X = np.arange(40, dtype=float).reshape(-1, 1)
    >>> dtrain = xgb.DMatrix(X, label=(X[:, 0] > 25).astype(float))
    >>> booster = xgb.train({"base_score": 0.5}, dtrain, num_boost_round=5,
    ...                     obj=make_xgboost_focal_objective(2.0))
    >>> booster.predict(dtrain, output_margin=True)[0] < 0
    np.True_
    """

    def objective(predt, dtrain):
        weight = dtrain.get_weight()
        return _native_grad_hess(
            dtrain.get_label(),
            predt,
            weight if weight.size else None,
            gamma=gamma,
            alpha=alpha,
            library="xgboost",
        )

    return objective


def make_xgboost_focal_metric(
    gamma: float = 2.0, alpha: Any = None, *, output_margin: bool = True
):
    """Build a focal loss evaluation metric for ``xgboost.train``.

    Pass it as ``custom_metric``. XGBoost hands it raw margins when the
    objective is custom and probabilities when it is built in.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter; ``0`` gives the log loss.
    alpha : float, array-like of shape (n_classes,) or None, default=None
        Class weights, as in :func:`sktricks.losses.focal_loss`.
    output_margin : bool, default=True
        Whether ``predt`` are raw margins. Set it to False with a built-in
        objective such as ``"binary:logistic"`` or ``"multi:softprob"``.

    Returns
    -------
    metric : callable
        ``metric(predt, dmatrix) -> ("focal_loss", value)``.

    Examples
    --------
    >>> import numpy as np
    >>> import xgboost as xgb
    >>> from sktricks.losses import make_xgboost_focal_metric
    >>> dmatrix = xgb.DMatrix(np.zeros((2, 1)), label=[0.0, 1.0])
    >>> name, value = make_xgboost_focal_metric(0.0)(np.zeros(2), dmatrix)
    >>> name, round(value, 6)
    ('focal_loss', 0.693147)
    """

    def metric(predt, dmatrix):
        weight = dmatrix.get_weight()
        label = dmatrix.get_label()
        value = focal_loss(
            label,
            _metric_margins(
                _as_score_matrix(predt, len(label), "C")[0],
                output_margin,
                "output_margin",
            ),
            gamma=gamma,
            alpha=alpha,
            sample_weight=weight if weight.size else None,
        )
        return "focal_loss", value

    return metric


class FocalLossClassifier(ClassifierMixin, BaseEstimator):
    """Train a LightGBM or XGBoost classifier on the focal loss.

    Focal loss ``-alpha_y (1 - q) ** gamma * log(q)``, with ``q`` the
    probability of the true class, down-weights rows the model already gets
    right, so training concentrates on hard and minority-class rows. The
    wrapper sets the objective with analytic gradient and Hessian, starts
    boosting from the class-prior margin (LightGBM and XGBoost skip their
    own starting score for custom objectives), and turns the raw margins the
    boosters then return into probabilities. Where the exact focal Hessian
    is negative or small (badly misclassified rows) it is raised to the
    focal-weighted log-loss Hessian, so Newton steps stay bounded. With
    ``gamma=0`` and ``alpha=None`` it reproduces the built-in log loss.

    Parameters
    ----------
    estimator : LGBMClassifier or XGBClassifier
        Unfitted booster; its ``objective`` is replaced by the focal loss.
    gamma : float, default=2.0
        Focusing parameter, at least 0.
    alpha : float, array-like of shape (n_classes,) or None, default=None
        Class weights. A float in (0, 1) weights class ``classes_[1]`` of a
        binary target by ``alpha`` and the other class by ``1 - alpha``.

    Attributes
    ----------
    estimator_ : LGBMClassifier or XGBClassifier
        The fitted booster, trained on class codes ``0 .. n_classes - 1``.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    init_score_ : ndarray of shape (1,) or (n_classes,)
        Starting margin added to the booster's raw output.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in ``fit``, when ``X`` is a DataFrame.

    Examples
    --------
    >>> from lightgbm import LGBMClassifier
    >>> from sklearn.datasets import make_classification
    >>> from sktricks.losses import FocalLossClassifier
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> model = FocalLossClassifier(
    ...     LGBMClassifier(n_estimators=20, verbose=-1), gamma=2.0
    ... ).fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha": [None, Interval(numbers.Real, 0, 1, closed="neither"), "array-like"],
    }

    def __init__(self, estimator, gamma=2.0, alpha=None):
        self.estimator = estimator
        self.gamma = gamma
        self.alpha = alpha

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, *, eval_set=None, eval_sample_weight=None):
        """Fit the booster on the focal loss.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data; DataFrames keep their categorical columns.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, applied to the gradient and Hessian.
        eval_set : list of (X, y) tuples, default=None
            Validation sets, scored with the focal loss after each round and
            used for the booster's early stopping (``early_stopping_rounds``
            of ``XGBClassifier``, ``early_stopping_round`` of
            ``LGBMClassifier``). The focal loss replaces the booster's own
            evaluation metrics, because with a custom objective those read
            raw margins as if they were probabilities.
        eval_sample_weight : list of array-like, default=None
            Row weights of each validation set.

        Returns
        -------
        self : FocalLossClassifier
            The fitted classifier.
        """
        library = _library(self.estimator)
        X = _check_features(self, X, reset=True)
        check_text_columns(X, "FocalLossClassifier")
        self.classes_, y_codes = encode_classification_target(y)
        n_classes = len(self.classes_)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, ensure_non_negative=True
            )
            if not sample_weight.any():
                raise ValueError(
                    "Sample weights must contain at least one non-zero number."
                )

        self.init_score_ = _prior_margin(y_codes, n_classes, sample_weight, library)
        objective_cls = (
            _LightGBMObjective if library == "lightgbm" else _XGBoostObjective
        )
        objective = objective_cls(self.gamma, self.alpha, n_classes)
        self.estimator_ = clone(self.estimator).set_params(objective=objective)

        init = self._init_margin(len(y_codes))
        eval_kwargs = self._eval_fit_kwargs(library, eval_set, eval_sample_weight)
        if library == "lightgbm":
            self._fit_lightgbm(X, y_codes, sample_weight, init, eval_kwargs)
        else:
            self.estimator_.fit(
                X, y_codes, sample_weight=sample_weight, base_margin=init, **eval_kwargs
            )
        return self

    def _eval_fit_kwargs(self, library, eval_set, eval_sample_weight) -> dict:
        """Encode the validation sets and set the focal loss as their metric."""
        if eval_set is None:
            return {}
        if isinstance(eval_set, tuple):
            eval_set = [eval_set]
        if eval_sample_weight is not None and len(eval_sample_weight) != len(eval_set):
            raise ValueError(
                f"eval_sample_weight has {len(eval_sample_weight)} entries but "
                f"eval_set has {len(eval_set)}; pass one weight array per set."
            )

        encoded, inits = [], []
        for X_eval, y_eval in eval_set:
            X_eval = _check_features(self, X_eval, reset=False)
            encoded.append((X_eval, self._encode_eval_labels(y_eval)))
            inits.append(self._init_margin(X_eval.shape[0]))

        if library == "lightgbm":
            # metric="None" drops LightGBM's default log loss, which would
            # read the custom objective's raw margins as probabilities.
            self.estimator_.set_params(metric="None")
            return {
                "eval_set": encoded,
                "eval_init_score": inits,
                "eval_sample_weight": eval_sample_weight,
                "eval_metric": _LightGBMEvalMetric(self.gamma, self.alpha),
            }
        # XGBoost adds its default metric for the objective it records, and
        # that metric would also read raw margins as probabilities.
        self.estimator_.set_params(
            eval_metric=_XGBoostEvalMetric(self.gamma, self.alpha),
            disable_default_eval_metric=True,
        )
        return {
            "eval_set": encoded,
            "base_margin_eval_set": inits,
            "sample_weight_eval_set": eval_sample_weight,
            "verbose": False,
        }

    def _encode_eval_labels(self, y_eval) -> np.ndarray:
        """Return the class codes of validation labels, which must be in classes_."""
        y_eval = np.asarray(y_eval, dtype=self.classes_.dtype)
        codes = np.searchsorted(self.classes_, y_eval)
        codes = np.clip(codes, 0, len(self.classes_) - 1)
        unknown = self.classes_[codes] != y_eval
        if np.any(unknown):
            raise ValueError(
                f"eval_set contains labels {np.unique(y_eval[unknown])[:5].tolist()} "
                f"that are not in the training classes {self.classes_.tolist()}; "
                "drop those rows or train on data that includes them."
            )
        return codes

    def _fit_lightgbm(self, X, y_codes, sample_weight, init, eval_kwargs) -> None:
        from lightgbm.basic import LightGBMError

        try:
            self.estimator_.fit(
                X, y_codes, sample_weight=sample_weight, init_score=init, **eval_kwargs
            )
        except LightGBMError as exc:
            # When binning leaves no usable feature, LightGBM's built-in
            # objectives fall back to a constant model. A custom objective
            # fails this internal check instead.
            if "num_features" not in str(exc):
                raise
            raise ValueError(
                f"LightGBM found no feature it can split on in these "
                f"{len(y_codes)} rows, so it cannot train a custom objective. "
                "Lower min_data_in_bin or min_child_samples, or add rows."
            ) from exc

    def _init_margin(self, n_rows: int) -> np.ndarray:
        if self.init_score_.size == 1:
            return np.full(n_rows, self.init_score_[0])
        return np.tile(self.init_score_, (n_rows, 1))

    def decision_function(self, X):
        """Return the raw margins, starting score included.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        margin : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Log-odds of ``classes_[1]`` for binary targets, one column per
            class (before the softmax) otherwise.
        """
        check_is_fitted(self)
        X = _check_features(self, X, reset=False)
        n_rows = X.shape[0]
        init = self._init_margin(n_rows)
        if _library(self.estimator_) == "lightgbm":
            raw = self.estimator_.predict(X, raw_score=True)
            return np.asarray(raw, dtype=float) + init
        # Passing the starting margin as base_margin replaces XGBoost's global
        # base_score, exactly as in fit.
        raw = self.estimator_.predict(X, output_margin=True, base_margin=init)
        return np.asarray(raw, dtype=float)

    def predict_proba(self, X):
        """Return class probabilities.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Sigmoid (binary) or softmax (multiclass) of the margins.
        """
        margin = self.decision_function(X)
        if margin.ndim == 1:
            positive = expit(margin)
            return np.column_stack([1.0 - positive, positive])
        return softmax(margin, axis=1)

    def predict(self, X):
        """Return the most probable class of each row.

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _check_features(estimator, X, *, reset):
    """Validate ``X``; DataFrames pass through so categorical columns stay."""
    if hasattr(X, "iloc"):
        validate_data(estimator, X, skip_check_array=True, reset=reset)
        if X.shape[0] == 0:
            raise ValueError("X has 0 rows; at least 1 is required.")
        return X
    return validate_data(
        estimator, X, reset=reset, ensure_all_finite="allow-nan", dtype=None
    )
