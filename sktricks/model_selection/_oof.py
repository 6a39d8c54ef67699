"""The out-of-fold engine: one fitted clone per fold, predictions for every row."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import (
    ShuffleSplit,
    StratifiedShuffleSplit,
    check_cv,
)
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._metadata_requests import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_method_params, _num_samples

from sktricks.model_selection._early_stopping import (
    boosting_family,
    check_moved_fit_params,
    check_no_eval_set,
    check_stopping_has_eval_set,
    encode_class_weight,
    fit_with_early_stopping,
    fresh_callbacks,
    needs_contiguous_labels,
    weights_from,
)
from sktricks.model_selection._multioutput import (
    flatten_scores,
    output_classes,
    output_columns,
    validate_multioutput_target,
    vote_labels,
)
from sktricks.utils import progress_bar
from sktricks.utils._validation import N_JOBS_CONSTRAINT, plain_value

logger = logging.getLogger(__name__)

_METHODS = ("predict_proba", "decision_function", "predict")


@dataclass
class OOFResult:
    """Out-of-fold predictions and the fold models that made them.

    Returned by :func:`cross_val_oof`; every attribute is set once, there.

    Attributes
    ----------
    oof_ : ndarray, Series or DataFrame
        Out-of-fold prediction for every training row, in the row order of
        ``X``. Binary classifiers: probability (or decision value) of
        ``classes_[1]``, shape (n_samples,). Multiclass: shape
        (n_samples, n_classes), columns in ``classes_`` order. Regressors and
        ``method="predict"``: shape (n_samples,). A 2-D ``y`` gives one column
        per output (for classifiers, the score of the second class of a
        two-class output, or one column per class of a larger output). A
        pandas ``X`` gives pandas output with ``X``'s index.
    test_ : ndarray, Series, DataFrame or None
        The fold models' predictions on ``X_test``, averaged (``None`` when no
        ``X_test`` was given). Same layout as ``oof_``.
    estimators_ : list of estimators
        The fitted clone of each fold. XGBoost classifiers, and LightGBM
        classifiers fitted with early stopping, are fitted on the codes
        ``0..k-1`` of the classes in their training fold, so their own
        ``classes_`` are those codes.
    folds_ : list of (ndarray, ndarray)
        Positional train and test indices of each fold.
    scores_ : dict or None
        ``{"folds": ndarray, "overall": float}`` for ``scoring``: the score
        of each fold's held-out rows and of all out-of-fold predictions at
        once. ``None`` when ``scoring`` is ``None``.
    classes_ : ndarray, list of ndarray or None
        Sorted class labels of ``y`` for classifiers (a list with one array
        per column for a 2-D ``y``), ``None`` for regressors.
    method_ : str
        The prediction method used: ``"predict_proba"``,
        ``"decision_function"`` or ``"predict"``.
    best_iterations_ : ndarray of int or None
        Boosting rounds each fold model predicts with after early stopping
        (LightGBM ``best_iteration_``, XGBoost ``best_iteration + 1``,
        HistGradientBoosting ``n_iter_``); ``None`` without early stopping.
    """

    oof_: Any
    test_: Any
    estimators_: list[Any]
    folds_: list[tuple[np.ndarray, np.ndarray]]
    scores_: dict[str, Any] | None
    classes_: np.ndarray | list[np.ndarray] | None
    method_: str
    best_iterations_: np.ndarray | None

    def __repr__(self) -> str:
        score = "" if self.scores_ is None else f", score={self.scores_['overall']:.6g}"
        return (
            f"OOFResult(method_={self.method_!r}, n_folds={len(self.folds_)}, "
            f"n_samples={_num_samples(self.oof_)}{score})"
        )


@validate_params(
    {
        "estimator": [HasMethods("fit")],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like", None],
        "groups": ["array-like", None],
        "cv": ["cv_object"],
        "X_test": ["array-like", "sparse matrix", None],
        "method": [StrOptions({"auto", *_METHODS})],
        "average": [StrOptions({"mean", "rank"})],
        "scoring": [str, callable, None],
        "params": [dict, None],
        "early_stopping": ["boolean", StrOptions({"inner"})],
        "early_stopping_rounds": [Interval(Integral, 1, None, closed="left"), None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=False,
)
def cross_val_oof(
    estimator: Any,
    X: Any,
    y: Any = None,
    *,
    groups: Any = None,
    cv: Any = 5,
    X_test: Any = None,
    method: str = "auto",
    average: str = "mean",
    scoring: Any = None,
    params: dict[str, Any] | None = None,
    early_stopping: bool | str = False,
    early_stopping_rounds: int | None = None,
    validation_fraction: float = 0.1,
    random_state: Any = None,
    n_jobs: int | None = None,
    verbose: int = 0,
) -> OOFResult:
    """Fit one clone per fold and collect out-of-fold and test predictions.

    The same folds and models as :func:`sklearn.model_selection.cross_val_predict`
    give the same out-of-fold predictions. On top of it, this function keeps
    the fold models, averages their predictions on ``X_test``, scores the
    folds, returns pandas for pandas input, re-encodes labels per fold for
    XGBoost, and runs early stopping per fold for LightGBM, XGBoost and
    HistGradientBoosting.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Any scikit-learn compatible estimator; it is cloned once per fold.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Training data. Rows are selected by position (``iloc``), never by
        index label, so any index works; ``category`` and nullable columns
        are passed to the estimator unchanged.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
        Target. Nullable pandas dtypes (``Int64``, ``boolean``) are accepted
        when they hold no missing value. A 2-D ``y`` (a multilabel indicator
        matrix or several targets) needs a multi-output estimator and works
        with ``MultilabelStratifiedKFold``. Early stopping does not support
        it, and ``scoring`` supports it only with ``method="predict"``.
    groups : array-like of shape (n_samples,), default=None
        Group labels for a group-aware ``cv``. With metadata routing enabled
        they are routed like any other metadata in ``params``.
    cv : int, cross-validation generator or iterable, default=5
        As in scikit-learn; an int means ``StratifiedKFold`` for classifiers
        and ``KFold`` otherwise. The test folds must partition the rows.
    X_test : array-like or DataFrame, default=None
        Rows to predict with every fold model, at least one; must have
        ``X``'s columns (or number of columns) in the same order.
    method : {"auto", "predict_proba", "decision_function", "predict"}, \
            default="auto"
        ``"auto"`` uses ``predict_proba``, else ``decision_function``, else
        ``predict``. Regressors always use ``predict``.
    average : {"mean", "rank"}, default="mean"
        How ``test_`` combines the fold models: the mean of the predictions,
        or the mean of their ranks scaled to (0, 1]. A classifier with
        ``method="predict"`` takes the most frequent label instead.
    scoring : str or callable, default=None
        A scikit-learn scorer name or a ``scorer(estimator, X, y)`` callable,
        evaluated on the out-of-fold predictions without predicting again.
    params : dict, default=None
        Parameters for the estimator's ``fit`` (and, with metadata routing
        enabled, for the splitter's ``split``). Per-sample values are
        indexed per fold; callback lists are deep-copied per fold.
    early_stopping : bool or "inner", default=False
        ``True`` evaluates each fold model on that fold's held-out rows and
        stops once ``early_stopping_rounds`` rounds bring no improvement.
        ``"inner"`` evaluates on a ``validation_fraction`` slice carved out of
        the training part instead, so the out-of-fold score stays unbiased.
        Supported for LightGBM, XGBoost and scikit-learn's
        HistGradientBoosting, also as the last step of a Pipeline. The
        evaluation set is always built here, so ``params`` must not contain
        one (``eval_set``, ``eval_X``, ``X_val``, ...).
    early_stopping_rounds : int or None, default=None
        Rounds without improvement before a fold model stops; sets
        ``n_iter_no_change`` for HistGradientBoosting. ``None`` takes the
        model's own setting (XGBoost ``early_stopping_rounds``, LightGBM
        ``early_stopping_round`` or an alias of it) when it has one, else 50.
        The value used replaces the model's own setting.
    validation_fraction : float, default=0.1
        Share of each training part kept out for ``early_stopping="inner"``.
    random_state : int, RandomState instance or None, default=None
        Seeds the inner validation split of ``early_stopping="inner"``.
        Seeds are drawn before the folds are dispatched, so the result does
        not depend on ``n_jobs``.
    n_jobs : int, default=None
        Number of folds fitted in parallel with joblib.
    verbose : int, default=0
        Shows a progress bar over the folds when positive.

    Returns
    -------
    result : OOFResult
        The out-of-fold predictions, test predictions, fold models, folds and
        scores.

    See Also
    --------
    sklearn.model_selection.cross_val_predict : out-of-fold predictions only.

    Notes
    -----
    When a class is missing from a training fold, that fold's models give it
    probability 0 (``predict_proba``) or the lowest finite float
    (``decision_function``), as ``cross_val_predict`` does.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktricks.model_selection import cross_val_oof
    >>> X, y = make_classification(n_samples=100, random_state=0)
    >>> result = cross_val_oof(LogisticRegression(), X, y, cv=3, scoring="roc_auc")
    >>> result.oof_.shape
    (100,)
    >>> result.method_
    'predict_proba'
    >>> len(result.estimators_)
    3
    """
    plan = _plan_oof(
        estimator,
        X,
        y,
        groups=groups,
        cv=cv,
        X_test=X_test,
        method=method,
        average=average,
        scoring=scoring,
        params=params,
        early_stopping=early_stopping,
        early_stopping_rounds=early_stopping_rounds,
        validation_fraction=validation_fraction,
        random_state=random_state,
    )
    return run_oof_plans([plan], n_jobs=n_jobs, verbose=verbose)[0]


@dataclass
class _OOFPlan:
    """Everything :func:`cross_val_oof` needs to fit its folds and collect them."""

    estimator: Any
    X: Any
    y: Any
    y_array: np.ndarray | None
    X_test: Any
    folds: list
    fit_params: dict[str, Any]
    settings: _FoldSettings
    seeds: np.ndarray
    average: str
    scoring: Any
    # A replacement for _fit_fold that takes the same arguments. The
    # ensembles set it to name the failing model, so it must be picklable
    # for joblib's worker processes.
    fold_step: Callable[..., _FoldOutput] | None = None

    def tasks(self) -> list:
        fold_step = _fit_fold if self.fold_step is None else self.fold_step
        return [
            delayed(fold_step)(
                clone(self.estimator),
                self.X,
                self.y_array,
                train,
                test,
                self.fit_params,
                self.X_test,
                self.settings,
                seed,
            )
            for (train, test), seed in zip(self.folds, self.seeds, strict=True)
        ]

    def finish(self, outputs: list[_FoldOutput]) -> OOFResult:
        settings = self.settings
        oof = _assemble_oof(outputs, self.folds, _num_samples(self.X))
        test = None
        if self.X_test is not None:
            test = _average_test(outputs, self.average, settings)
        best = None
        if settings.family is not None:
            best = np.array([out.best_iteration for out in outputs])
        scores = _score(
            self.estimator, self.scoring, oof, self.y_array, self.folds, settings
        )
        logger.info(
            "cross_val_oof fitted %d folds with %s", len(self.folds), settings.method
        )
        classes, method = settings.classes, settings.method
        per_output = settings.output_classes
        return OOFResult(
            oof_=_to_output(oof, self.X, classes, self.y, method, per_output),
            test_=None
            if test is None
            else _to_output(test, self.X_test, classes, self.y, method, per_output),
            estimators_=[out.estimator for out in outputs],
            folds_=self.folds,
            scores_=scores,
            classes_=classes if per_output is None else per_output,
            method_=method,
            best_iterations_=best,
        )


def _plan_oof(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    groups: Any,
    cv: Any,
    X_test: Any,
    method: str,
    average: str,
    scoring: Any,
    params: dict[str, Any] | None,
    early_stopping: bool | str,
    early_stopping_rounds: int | None,
    validation_fraction: float,
    random_state: Any,
) -> _OOFPlan:
    """Check the inputs of :func:`cross_val_oof` and draw its folds and seeds."""
    n_samples = _num_samples(X)
    if n_samples == 0:
        raise ValueError("X is empty: cross_val_oof needs at least one row per fold.")
    y_array = _validate_plan_target(y, n_samples)
    classifier = is_classifier(estimator)
    multioutput = y_array is not None and y_array.ndim == 2
    classes = None if multioutput else _validate_classes(y_array, classifier)
    per_output = None
    if multioutput and classifier:
        assert y_array is not None  # multioutput implies a target
        per_output = output_classes(y_array)
    method_ = _resolve_method(estimator, method, classifier)
    _check_X_test(X, X_test)
    _check_groups(groups, n_samples)
    family = _check_early_stopping(estimator, early_stopping)
    if multioutput and family is not None:
        assert y_array is not None  # multioutput implies a target
        raise ValueError(
            f"early_stopping={early_stopping!r} needs a 1-D target, but y has "
            f"{y_array.shape[1]} columns; run cross_val_oof once per column."
        )

    cv = check_cv(cv, y_array, classifier=classifier)
    split_params, fit_params = _route_params(estimator, cv, groups, params)
    check_moved_fit_params(estimator, fit_params)
    if family is None:
        check_stopping_has_eval_set(estimator, fit_params)
    else:
        check_no_eval_set(fit_params, early_stopping)
    folds = [
        (np.asarray(train), np.asarray(test))
        for train, test in cv.split(X, y_array, **split_params)
    ]
    _check_partition(folds, n_samples, cv)

    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=len(folds))
    settings = _FoldSettings(
        method=method_,
        classes=classes,
        early_stopping=early_stopping,
        family=family,
        rounds=early_stopping_rounds,
        validation_fraction=validation_fraction,
        output_classes=per_output,
    )
    return _OOFPlan(
        estimator=estimator,
        X=X,
        y=y,
        y_array=y_array,
        X_test=X_test,
        folds=folds,
        fit_params=fit_params,
        settings=settings,
        seeds=seeds,
        average=average,
        scoring=scoring,
    )


def run_oof_plans(
    plans: list[_OOFPlan], n_jobs: int | None, verbose: int
) -> list[OOFResult]:
    """Fit the folds of several plans in one joblib pool; one result per plan.

    One pool over every (model, fold) pair keeps all workers busy where a
    pool per model would leave some idle at the end of each model's folds
    (five folds on two workers take three rounds). The results do not
    depend on ``n_jobs``: the seeds were drawn when the plans were made.
    """
    tasks = [task for plan in plans for task in plan.tasks()]
    # A generator lets the progress bar advance per fold; without a bar the
    # plain list return avoids its small dispatch overhead.
    parallel = Parallel(n_jobs=n_jobs, return_as="generator" if verbose > 0 else "list")
    outputs = list(
        progress_bar(
            parallel(tasks),
            verbose=verbose,
            total=len(tasks),
            desc="folds",
            unit="fold",
        )
    )
    results = []
    start = 0
    for plan in plans:
        stop = start + len(plan.folds)
        results.append(plan.finish(outputs[start:stop]))
        start = stop
    return results


@dataclass(frozen=True)
class _FoldSettings:
    method: str
    classes: np.ndarray | None
    early_stopping: bool | str
    family: str | None
    rounds: int | None
    validation_fraction: float
    # The classes of each column of a 2-D classification target, else None.
    output_classes: list[np.ndarray] | None = None


@dataclass
class _FoldOutput:
    estimator: Any
    oof: np.ndarray
    test: np.ndarray | None
    best_iteration: int | None


# Input checks ---------------------------------------------------------------


def _validate_plan_target(y: Any, n_samples: int) -> np.ndarray | None:
    """Return ``y`` as an array: 1-D, or 2-D for a target with several columns."""
    if y is None or np.ndim(y) != 2 or np.shape(y)[1] < 2:
        return _validate_target(y, n_samples)
    y_array = validate_multioutput_target(y)
    if y_array.shape[0] != n_samples:
        raise ValueError(
            f"X has {n_samples} rows but y has {y_array.shape[0]}; they must match."
        )
    _check_target_values(y_array)
    return y_array


def _validate_target(y: Any, n_samples: int) -> np.ndarray | None:
    if y is None:
        return None
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(
                f"y has {y.shape[1]} columns; cross_val_oof takes a 1-D target. "
                "Pass one column, for example y.iloc[:, 0]."
            )
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        if y.isna().any():
            raise ValueError(
                f"y contains {int(y.isna().sum())} missing values; drop those rows "
                "or impute the target before cross_val_oof."
            )
        # Nullable extension dtypes (Int64, boolean, string) become plain
        # NumPy arrays so every estimator and splitter accepts them.
        if isinstance(y.dtype, pd.api.extensions.ExtensionDtype) and not isinstance(
            y.dtype, pd.CategoricalDtype
        ):
            numpy_dtype = getattr(y.dtype, "numpy_dtype", object)
            y_array = y.to_numpy(dtype=numpy_dtype)
        else:
            y_array = np.asarray(y)
    else:
        y_array = np.asarray(y)
    if y_array.ndim != 1:
        raise ValueError(
            f"y has shape {y_array.shape}; cross_val_oof takes a 1-D target."
        )
    if y_array.shape[0] != n_samples:
        raise ValueError(
            f"X has {n_samples} rows but y has {y_array.shape[0]}; they must match."
        )
    _check_target_values(y_array)
    if y_array.dtype == object and pd.api.types.infer_dtype(y_array) == "string":
        # Fixed-width strings sort, compare and pickle much faster than Python
        # string objects, which matters once per fold and per worker.
        y_array = y_array.astype(str)
    return y_array


def _check_target_values(y: np.ndarray) -> None:
    """Reject missing or infinite targets and labels of mixed types.

    Otherwise NaN or None would become a class of its own or fail inside a
    fold, and mixed labels would fail in sorting with a bare ``TypeError``.
    """
    missing = pd.isna(y)
    if missing.any():
        first = _first_row(missing)
        raise ValueError(
            f"y contains {int(missing.sum())} missing values (NaN, None or NA; "
            f"the first at position {first}); drop those rows or impute the "
            "target before cross_val_oof."
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        first = _first_row(~np.isfinite(y))
        raise ValueError(
            f"y contains {int((~np.isfinite(y)).sum())} infinite values (the "
            f"first in row {first}: {y[first]}); drop or clip those rows."
        )
    if y.dtype != object:
        return
    # Each column of a 2-D target may have its own type, but not two.
    for values in [y] if y.ndim == 1 else y.T:
        if pd.api.types.infer_dtype(values) in ("mixed", "mixed-integer"):
            types = sorted({type(value).__name__ for value in values})
            raise ValueError(
                f"y mixes label types {types}; convert it to one type first, "
                "for example with y.astype(str)."
            )


def _validate_classes(y: np.ndarray | None, classifier: bool) -> np.ndarray | None:
    if not classifier:
        return None
    if y is None:
        raise ValueError("y is None, but a classifier needs a target to fit.")
    classes = np.unique(y)
    if classes.shape[0] < 2:
        raise ValueError(
            f"y has one class ({plain_value(classes[0])!r}); a classifier needs "
            "at least two."
        )
    return classes


def _first_row(flags: np.ndarray) -> int:
    return int(np.flatnonzero(flags.reshape(flags.shape[0], -1).any(axis=1))[0])


def _resolve_method(estimator: Any, method: str, classifier: bool) -> str:
    if method == "auto":
        if not classifier:
            return "predict"
        for candidate in _METHODS:
            if hasattr(estimator, candidate):
                return candidate
        raise ValueError(f"{type(estimator).__name__} has no predict method.")
    if not hasattr(estimator, method):
        raise ValueError(
            f"method={method!r} is not available on {type(estimator).__name__}; "
            "use method='auto' or an estimator that implements it."
        )
    return method


def _check_X_test(X: Any, X_test: Any) -> None:
    if X_test is None:
        return
    if _num_samples(X_test) == 0:
        raise ValueError(
            "X_test has no rows; pass at least one row, or X_test=None to skip "
            "test predictions."
        )
    if not (isinstance(X, pd.DataFrame) and isinstance(X_test, pd.DataFrame)):
        n_train, n_test = _num_features(X), _num_features(X_test)
        if n_train is not None and n_test is not None and n_train != n_test:
            raise ValueError(
                f"X_test has {n_test} columns but X has {n_train}; pass the "
                "same features, in the same order, as X."
            )
        return
    train_columns = list(X.columns)
    test_columns = list(X_test.columns)
    if train_columns == test_columns:
        _check_category_columns(X, X_test)
        return
    missing = [c for c in train_columns if c not in set(test_columns)]
    extra = [c for c in test_columns if c not in set(train_columns)]
    if missing or extra:
        raise ValueError(
            f"X_test columns differ from X: missing {missing}, unexpected {extra}."
        )
    raise ValueError(
        "X_test has X's columns in another order; reorder it with X_test[X.columns]."
    )


def _check_category_columns(X: pd.DataFrame, X_test: pd.DataFrame) -> None:
    """Reject columns that are ``category`` in only one of X and X_test.

    LightGBM and XGBoost treat such a column as categorical in training and
    as numeric or text at prediction, and fail only after every fold is
    fitted, LightGBM with "train and valid dataset categorical_feature do
    not match".
    """
    mismatched = [
        column
        for column in X.columns
        if isinstance(X[column].dtype, pd.CategoricalDtype)
        != isinstance(X_test[column].dtype, pd.CategoricalDtype)
    ]
    if mismatched:
        dtypes = ", ".join(
            f"{column!r} ({X[column].dtype} in X, {X_test[column].dtype} in X_test)"
            for column in mismatched[:5]
        )
        raise ValueError(
            f"These columns are category in only one of X and X_test: {dtypes}. "
            "Convert X_test first, for example with "
            "X_test.astype(X.dtypes.to_dict())."
        )


def _num_features(X: Any) -> int | None:
    shape = getattr(X, "shape", None)
    if shape is None:
        shape = np.shape(X)
    return int(shape[1]) if len(shape) == 2 else None


def _check_groups(groups: Any, n_samples: int) -> None:
    if groups is None:
        return
    n_groups = _num_samples(groups)
    if n_groups != n_samples:
        raise ValueError(
            f"X has {n_samples} rows but groups has {n_groups}; pass one group "
            "label per row."
        )
    missing = pd.isna(np.asarray(groups, dtype=object))
    if missing.any():
        raise ValueError(
            f"groups contains {int(missing.sum())} missing values (NaN, None or "
            "NA); give those rows a group, or drop them."
        )


def _check_early_stopping(estimator: Any, early_stopping: bool | str) -> str | None:
    if early_stopping is False:
        return None
    family = boosting_family(estimator)
    if family is None:
        raise ValueError(
            f"early_stopping={early_stopping!r} needs a LightGBM, XGBoost or "
            "HistGradientBoosting model (alone or last in a Pipeline); got "
            f"{type(estimator).__name__}."
        )
    return family


def _route_params(
    estimator: Any, cv: Any, groups: Any, params: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``params`` into the splitter's and the estimator's share."""
    params = {} if params is None else dict(params)
    if not _routing_enabled():
        return {"groups": groups}, params
    if groups is not None:
        params["groups"] = groups
    router = (
        MetadataRouter(owner="cross_val_oof")
        .add(
            splitter=cv,
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )
        .add(
            estimator=estimator,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )
    )
    routed = process_routing(router, "fit", **params)
    return dict(routed.splitter.split), dict(routed.estimator.fit)


def _check_partition(folds: list, n_samples: int, cv: Any) -> None:
    test_rows = np.concatenate([test for _, test in folds])
    if test_rows.size and (test_rows.min() < 0 or test_rows.max() >= n_samples):
        raise ValueError(
            f"cv={cv!r} gave test indices outside 0..{n_samples - 1}; the folds "
            "must index the rows of X by position."
        )
    counts = np.bincount(test_rows, minlength=n_samples)
    never, repeated = int(np.sum(counts == 0)), int(np.sum(counts > 1))
    if never or repeated:
        raise ValueError(
            f"cv={cv!r} does not put every row in exactly one test fold: "
            f"{never} rows are in no test fold and {repeated} in more than one. "
            "cross_val_oof needs a partition such as KFold, StratifiedKFold or "
            "GroupKFold. For splitters that leave rows out or repeat them "
            "(TimeSeriesSplit, ShuffleSplit, RepeatedKFold) use "
            "sklearn.model_selection.cross_validate, or call cross_val_oof "
            "once per repeat."
        )
    for fold, (_, test) in enumerate(folds):
        if test.shape[0] == 0:
            raise ValueError(f"cv={cv!r} produced an empty test fold ({fold}).")


# One fold --------------------------------------------------------------------


def _fit_fold(
    estimator: Any,
    X: Any,
    y: np.ndarray | None,
    train: np.ndarray,
    test: np.ndarray,
    fit_params: dict[str, Any],
    X_test: Any,
    settings: _FoldSettings,
    seed: int,
) -> _FoldOutput:
    train_params = fresh_callbacks(_check_method_params(X, fit_params, indices=train))
    X_train = _safe_indexing(X, train)
    y_train = None if y is None else y[train]

    # XGBoost (and LightGBM with an evaluation set) is fitted on the fold's
    # own contiguous label codes, decoded again when predicting.
    fold_classes = None
    encode = settings.classes is not None and needs_contiguous_labels(
        estimator, settings.early_stopping
    )
    if encode and y_train is not None:
        fold_classes = np.unique(y_train)

    best_iteration = None
    if settings.family is None:
        if fold_classes is not None:
            encode_class_weight(estimator, fold_classes)
        y_fit = _encode(y_train, fold_classes)
        if y_fit is None:
            estimator.fit(X_train, **train_params)
        else:
            estimator.fit(X_train, y_fit, **train_params)
    else:
        best_iteration, fold_classes = _fit_early_stopped(
            estimator,
            X,
            y,
            train,
            test,
            fit_params,
            train_params,
            fold_classes,
            settings,
            seed,
        )

    if fold_classes is None and settings.classes is not None:
        fold_classes = np.asarray(estimator.classes_)
    oof = _predict(estimator, _safe_indexing(X, test), fold_classes, settings, encode)
    test_pred = None
    if X_test is not None:
        test_pred = _predict(estimator, X_test, fold_classes, settings, encode)
    return _FoldOutput(estimator, oof, test_pred, best_iteration)


def _fit_early_stopped(
    estimator: Any,
    X: Any,
    y: np.ndarray | None,
    train: np.ndarray,
    test: np.ndarray,
    fit_params: dict[str, Any],
    train_params: dict[str, Any],
    fold_classes: np.ndarray | None,
    settings: _FoldSettings,
    seed: int,
) -> tuple[int, np.ndarray | None]:
    """Fit with early stopping; return the best iteration and the label
    codes' classes, which shrink when the inner split leaves a class out."""
    weights = weights_from(fit_params, estimator)
    if settings.early_stopping == "inner":
        fit_rows, val_rows = _inner_split(y, train, settings, seed)
        train_params = fresh_callbacks(
            _check_method_params(X, fit_params, indices=fit_rows)
        )
    else:
        fit_rows, val_rows = train, test

    # Held-out rows of a class the training part never saw cannot be scored
    # by the fold model, so they are left out of the evaluation set.
    y_fit = None if y is None else y[fit_rows]
    if settings.classes is not None and y is not None and y_fit is not None:
        val_rows = val_rows[np.isin(y[val_rows], np.unique(y_fit))]
        if fold_classes is not None:
            fold_classes = np.unique(y_fit)

    if fold_classes is not None:
        encode_class_weight(estimator, fold_classes)
    best_iteration = fit_with_early_stopping(
        estimator,
        settings.family or "",
        _safe_indexing(X, fit_rows),
        _encode(y_fit, fold_classes),
        _safe_indexing(X, val_rows),
        _encode(None if y is None else y[val_rows], fold_classes),
        train_params,
        None if weights is None else _safe_indexing(weights, val_rows),
        settings.rounds,
    )
    return best_iteration, fold_classes


def _inner_split(
    y: np.ndarray | None, train: np.ndarray, settings: _FoldSettings, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    splitter: Any = ShuffleSplit(
        n_splits=1, test_size=settings.validation_fraction, random_state=seed
    )
    y_train = None if y is None else y[train]
    if settings.classes is not None and y_train is not None:
        _, counts = np.unique(y_train, return_counts=True)
        if counts.min() >= 2:
            splitter = StratifiedShuffleSplit(
                n_splits=1, test_size=settings.validation_fraction, random_state=seed
            )
    inner_train, inner_val = next(splitter.split(np.zeros(train.shape[0]), y_train))
    return train[inner_train], train[inner_val]


def _encode(y: np.ndarray | None, fold_classes: np.ndarray | None) -> Any:
    if y is None or fold_classes is None:
        return y
    return np.searchsorted(fold_classes, y)


def _predict(
    estimator: Any,
    X: Any,
    fold_classes: np.ndarray | None,
    settings: _FoldSettings,
    encoded: bool,
) -> np.ndarray:
    if settings.output_classes is not None and settings.method != "predict":
        return flatten_scores(
            getattr(estimator, settings.method)(X),
            estimator,
            settings.output_classes,
            settings.method,
        )
    predictions = np.asarray(getattr(estimator, settings.method)(X))
    classes = settings.classes
    if classes is None:
        return predictions
    assert fold_classes is not None  # set for every classifier fold
    if settings.method == "predict":
        return fold_classes[predictions.astype(int)] if encoded else predictions
    return _align_columns(predictions, fold_classes, classes, settings.method)


def _align_columns(
    predictions: np.ndarray,
    fold_classes: np.ndarray,
    classes: np.ndarray,
    method: str,
) -> np.ndarray:
    """Place a fold's per-class columns at the global ``classes`` positions."""
    if predictions.ndim == 1:
        # A 1-D decision function scores classes_[1] against classes_[0]; it
        # only has a global meaning when the fold saw both of two classes.
        if classes.shape[0] == 2 and fold_classes.shape[0] == 2:
            return predictions
        raise ValueError(
            f"A training fold contains only the classes {fold_classes.tolist()} of "
            f"{classes.tolist()}, so its 1-D decision_function cannot be placed; "
            "use stratified folds or method='predict_proba'."
        )
    if fold_classes.shape[0] == classes.shape[0]:
        return predictions
    # Missing classes get probability 0, or the lowest finite float for
    # decision values, matching cross_val_predict.
    fill = 0.0 if method == "predict_proba" else np.finfo(predictions.dtype).min
    aligned = np.full((predictions.shape[0], classes.shape[0]), fill)
    aligned[:, np.searchsorted(classes, fold_classes)] = predictions
    return aligned


# Assembling the folds ----------------------------------------------------------


def _assemble_oof(
    outputs: list[_FoldOutput], folds: list, n_samples: int
) -> np.ndarray:
    first = outputs[0].oof
    oof = np.empty((n_samples, *first.shape[1:]), dtype=first.dtype)
    for output, (_, test) in zip(outputs, folds, strict=True):
        oof[test] = output.oof
    return oof


def _average_test(outputs: list[_FoldOutput], average: str, settings: _FoldSettings):
    stacked = np.stack([out.test for out in outputs if out.test is not None])
    if settings.method == "predict" and settings.classes is not None:
        # Labels cannot be averaged: take the label most fold models predict.
        classes = settings.classes
        codes = np.searchsorted(classes, stacked)
        votes = np.apply_along_axis(np.bincount, 0, codes, minlength=len(classes))
        return classes[votes.argmax(axis=0)]
    if settings.method == "predict" and settings.output_classes is not None:
        return vote_labels(stacked)
    if average == "rank":
        ranks = rankdata(stacked, axis=1) / stacked.shape[1]
        return ranks.mean(axis=0)
    return stacked.mean(axis=0)


def _to_output(
    predictions: np.ndarray,
    X: Any,
    classes: Any,
    y: Any,
    method: str,
    per_output: list[np.ndarray] | None = None,
) -> Any:
    """Give the public layout: binary keeps classes_[1]; pandas keeps the index."""
    scores_positive_class = classes is not None and method != "predict"
    if scores_positive_class and predictions.ndim == 2 and classes.shape[0] == 2:
        predictions = predictions[:, 1]
    if not isinstance(X, (pd.DataFrame, pd.Series)):
        return predictions
    if predictions.ndim == 2 and classes is None:
        scored = None if method == "predict" else per_output
        columns = output_columns(y, scored)
        return pd.DataFrame(predictions, index=X.index, columns=columns)
    if predictions.ndim == 2:
        return pd.DataFrame(predictions, index=X.index, columns=list(classes))
    if scores_positive_class and classes.shape[0] == 2:
        name = classes[1]
    else:
        name = getattr(y, "name", None)
    output = pd.Series(predictions, index=X.index, name=name)
    if classes is not None and method == "predict":
        output = _as_target_dtype(output, y)
    return output


def _as_target_dtype(labels: pd.Series, y: Any) -> pd.Series:
    """Give predicted labels the pandas dtype of ``y``.

    ``category``, nullable (``Int64``, ``boolean``) and ``string`` targets
    are converted to NumPy arrays for fitting, and the predicted labels
    would otherwise come back as plain NumPy dtypes.
    """
    if isinstance(y, pd.DataFrame):
        y = y.iloc[:, 0]
    if not isinstance(y, pd.Series):
        return labels
    if isinstance(y.dtype, pd.api.extensions.ExtensionDtype):
        return labels.astype(y.dtype)
    return labels


# Scoring ---------------------------------------------------------------------


def _score(
    estimator: Any,
    scoring: Any,
    oof: np.ndarray,
    y: np.ndarray | None,
    folds: list,
    settings: _FoldSettings,
) -> dict[str, Any] | None:
    if scoring is None:
        return None
    if settings.output_classes is not None and settings.method != "predict":
        raise ValueError(
            f"scoring={scoring!r} with a multi-output target needs "
            f"method='predict', not {settings.method!r}. Score oof_ directly "
            "instead, for example roc_auc_score(y, result.oof_)."
        )
    scorer = check_scoring(estimator, scoring=scoring)
    cached = _PrecomputedPredictions(oof, settings.method, settings.classes)
    rows = np.arange(oof.shape[0]).reshape(-1, 1)
    try:
        fold_scores = np.array(
            [scorer(cached, rows[test], _subset(y, test)) for _, test in folds]
        )
        overall = float(scorer(cached, rows, y))
    except AttributeError as error:
        raise ValueError(
            f"scoring={scoring!r} needs a prediction method other than "
            f"{settings.method!r}, which produced the out-of-fold predictions; "
            "pass a matching method or scoring."
        ) from error
    return {"folds": fold_scores, "overall": overall}


def _subset(y: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    return None if y is None else y[rows]


def _has_method(name: str):
    return lambda self: self.method == name


class _PrecomputedPredictions(BaseEstimator):
    """An already fitted stand-in that returns stored predictions.

    Its input is a column of row positions into the stored predictions, so a
    scikit-learn scorer can score any subset of the out-of-fold predictions
    without refitting or predicting again.
    """

    def __init__(self, predictions: np.ndarray, method: str, classes: Any) -> None:
        self.predictions = predictions
        self.method = method
        self.classes = classes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor" if self.classes is None else "classifier"
        return tags

    @property
    def classes_(self) -> Any:
        return self.classes

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def _rows(self, X: np.ndarray) -> np.ndarray:
        return self.predictions[np.asarray(X)[:, 0].astype(int)]

    def predict(self, X: np.ndarray) -> np.ndarray:
        values = self._rows(X)
        if self.method == "predict" or self.classes is None:
            return values
        if values.ndim == 1:
            return self.classes[(values > 0).astype(int)]
        return self.classes[values.argmax(axis=1)]

    @available_if(_has_method("predict_proba"))
    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self._rows(X)

    @available_if(_has_method("decision_function"))
    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self._rows(X)
