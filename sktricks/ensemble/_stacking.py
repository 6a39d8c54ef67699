"""Out-of-fold stacking with fold-model averaging, several layers and a guard."""

from __future__ import annotations

import logging
import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import (
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import accuracy_score, log_loss, r2_score, roc_auc_score
from sklearn.utils._metadata_requests import MetadataRouter
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from sktricks.ensemble._base import (
    _METHODS,
    BaseSpec,
    FittedBase,
    RoutedParams,
    check_named_estimators,
    default_final,
    feature_names,
    fit_full,
    fit_layer_out_of_fold,
    fit_out_of_fold,
    make_folds,
    metadata_router,
    prefit_base,
    prepare_target,
    resolve_method,
    route_params,
    take_params,
    take_rows,
    validate_input,
)
from sktricks.ensemble._checks import check_sample_weight
from sktricks.ensemble._composition import NamedEstimatorsMixin, is_layered
from sktricks.ensemble._errors import FINAL_ESTIMATOR, naming_errors
from sktricks.exceptions import SktricksWarning
from sktricks.utils._validation import N_JOBS_CONSTRAINT

logger = logging.getLogger(__name__)

STACK = "stack"
# The cv value that takes the base models as already fitted, as in scikit-learn.
PREFIT = "prefit"
# Smallest probability that the fallback decision function takes the log of.
_TINY = np.finfo(float).tiny


def _final_has(name: str, fallback: bool = False):
    """Check for ``name`` on the final estimator, or on the guard's choice.

    ``fallback=True`` marks a method that works with any guard choice.
    """

    def check(self: Any) -> bool:
        if hasattr(self, "selected_") and self.selected_ != STACK:
            return fallback or self._selected_base().method == name
        final = self.final_estimator_ if hasattr(self, "final_estimator_") else None
        if final is None:
            final = (
                self._default_final()
                if self.final_estimator is None
                else (self.final_estimator)
            )
        return hasattr(final, name)

    return check


def _full_length(
    features: dict[str, np.ndarray], rows: np.ndarray | None, n_samples: int
) -> dict[str, np.ndarray]:
    """Features indexed by original row position, NaN where a row has none."""
    if rows is None:
        return features
    full = {}
    for name, values in features.items():
        padded = np.full((n_samples, values.shape[1]), np.nan)
        padded[rows] = values
        full[name] = padded
    return full


def guard_score(
    metric: str,
    y: np.ndarray,
    predictions: np.ndarray,
    classes: np.ndarray | None,
    sample_weight: np.ndarray | None,
) -> float:
    """Score out-of-fold predictions for the guard, where higher is better.

    ``predictions`` are probabilities with one column per class, binary
    decision values, labels or regression values, as ``metric`` needs.
    Probabilities are turned into labels for accuracy.
    """
    if metric == "r2":
        return float(r2_score(y, predictions, sample_weight=sample_weight))
    assert classes is not None  # the other metrics are for classifiers
    if metric == "log_loss":
        return -float(
            log_loss(y, predictions, labels=classes, sample_weight=sample_weight)
        )
    if metric == "roc_auc":
        scores = predictions[:, 1] if predictions.ndim == 2 else predictions
        positive = y == classes[1]
        return float(roc_auc_score(positive, scores, sample_weight=sample_weight))
    labels = (
        classes[predictions.argmax(axis=1)] if predictions.ndim == 2 else predictions
    )
    return float(accuracy_score(y, labels, sample_weight=sample_weight))


class _BaseStacking(TransformerMixin, NamedEstimatorsMixin):
    """Fit the layers out of fold, then the final estimator on their output."""

    _parameter_constraints: ClassVar[dict] = {
        "estimators": [list],
        "final_estimator": [HasMethods("fit"), None],
        "cv": ["cv_object", StrOptions({PREFIT})],
        "stack_method": [StrOptions({"auto", *_METHODS})],
        "passthrough": ["boolean"],
        "refit": ["boolean"],
        "guard": ["boolean"],
        "early_stopping": ["boolean", StrOptions({"inner"})],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimators: list,
        final_estimator: Any = None,
        *,
        cv: Any = 5,
        stack_method: str = "auto",
        passthrough: bool = False,
        refit: bool = False,
        guard: bool = True,
        early_stopping: bool | str = False,
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.estimators = estimators
        self.final_estimator = final_estimator
        self.cv = cv
        self.stack_method = stack_method
        self.passthrough = passthrough
        self.refit = refit
        self.guard = guard
        self.early_stopping = early_stopping
        self.n_jobs = n_jobs
        self.verbose = verbose

    # Fitting -------------------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _layers(self) -> list[list[tuple[str, Any]]]:
        """``estimators`` as a list of layers of (name, estimator) pairs."""
        estimators = self.estimators
        if is_layered(estimators):
            layers = [check_named_estimators(layer, self) for layer in estimators]
        else:
            layers = [check_named_estimators(estimators, self)]
        names = [name for layer in layers for name, _ in layer]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                "Estimator names must be unique across layers, because "
                f"set_params reaches each model by its name, but {repeated} "
                "occur more than once. Rename the models of one layer."
            )
        return layers

    def _final_or_default(self) -> Any:
        if self.final_estimator is None:
            return default_final(self._default_final())
        return self.final_estimator

    def get_metadata_routing(self) -> MetadataRouter:
        """Get the routing of ``fit`` metadata to the parts of the stack.

        Returns
        -------
        routing : MetadataRouter
            Each base model (by name, all layers), ``final_estimator`` and the
            splitter (``splitter``, for ``groups``).
        """
        pairs = [pair for layer in self._layers() for pair in layer]
        cv = None if self.cv == PREFIT else self.cv
        return metadata_router(self, pairs, self._final_or_default(), cv)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        groups: Any = None,
        **fit_params: Any,
    ) -> _BaseStacking:
        """Fit every layer out of fold, then the final estimator.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data; DataFrame rows are taken by position, so any
            index works.
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Without metadata routing, passed to every base model and to the
            final estimator (to the last step of a Pipeline). With routing
            enabled, passed to the models that request it.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group-aware ``cv``.
        **fit_params : dict
            Other parameters for the base models' or the final estimator's
            ``fit``, such as ``callbacks``; they need
            ``sklearn.set_config(enable_metadata_routing=True)`` and go to the
            models that request them with ``set_fit_request``.

        Returns
        -------
        self : object
            The fitted ensemble.
        """
        X = validate_input(self, X, y)
        n_samples = X.shape[0]
        classifier = isinstance(self, ClassifierMixin)
        y_array, classes = prepare_target(y, n_samples, classifier, type(self).__name__)
        if classes is not None:
            self.classes_ = classes
        layers = self._layers()
        self._check_passthrough_names(X, layers, classes)
        final = self._final_or_default()
        sample_weight = check_sample_weight(sample_weight, X)
        routed = route_params(
            self,
            [pair for layer in layers for pair in layer],
            final,
            sample_weight,
            groups,
            fit_params,
            splits=self.cv != PREFIT,
        )

        # Each layer sees the rows that received an out-of-fold prediction
        # from the layer below; with a partition that is every row.
        rows: np.ndarray | None = None
        layer_input = X
        self.layers_: list[list[FittedBase]] = []
        first_oof: dict[str, np.ndarray] = {}
        for depth, layer in enumerate(layers):
            features, fitted, rows = self._fit_layer(
                layer, layer_input, X, y_array, classes, routed, rows
            )
            self.layers_.append(fitted)
            if depth == 0:
                first_oof = _full_length(features, rows, n_samples)
            layer_input = self._next_input(features, fitted, X, rows)

        self.oof_predictions_ = self._oof_frame(features, fitted, X, rows)
        self._stacked_names = [
            name for base in fitted for name in self._names(base, features[base.name])
        ]
        covered = np.arange(n_samples) if rows is None else rows
        y_cov = y_array[covered]
        final_params = take_params(X, routed.final, rows)

        self.final_estimator_ = clone(final)
        with naming_errors(FINAL_ESTIMATOR, final, layer_input):
            self.final_estimator_.fit(layer_input, y_cov, **final_params)

        self.base_scores_, self.stack_score_ = self._scores(
            {name: values[covered] for name, values in first_oof.items()},
            layer_input,
            y_cov,
            take_params(X, routed.split, rows),
            classes,
            final_params,
            None if sample_weight is None else sample_weight[covered],
        )
        self.selected_ = self._select()
        return self

    def _fit_layer(self, layer, layer_input, X, y, classes, routed: RoutedParams, rows):
        if self.cv == PREFIT:
            return self._prefit_layer(layer, layer_input, classes)
        y_rows = y if rows is None else y[rows]
        classifier = classes is not None
        folds, partition = make_folds(
            self.cv, layer_input, y_rows, classifier, take_params(X, routed.split, rows)
        )
        specs = [
            BaseSpec(
                name,
                estimator,
                resolve_method(name, estimator, self.stack_method, classifier),
                take_params(X, routed.base[name], rows),
            )
            for name, estimator in layer
        ]
        outputs = fit_layer_out_of_fold(
            specs,
            layer_input,
            y_rows,
            classes,
            folds,
            partition,
            self.early_stopping,
            0,
            self.n_jobs,
            self.verbose,
        )
        features: dict[str, np.ndarray] = {}
        fitted = []
        for spec, (oof, base) in zip(specs, outputs, strict=True):
            if self.refit:
                base = fit_full(
                    spec.name,
                    spec.estimator,
                    layer_input,
                    y_rows,
                    classes,
                    spec.method,
                    spec.params,
                )
            features[spec.name] = oof
            fitted.append(base)
            logger.info("stacking: fitted %s with %s", spec.name, spec.method)

        covered = np.flatnonzero(
            ~np.isnan(np.hstack(list(features.values()))).any(axis=1)
        )
        if covered.shape[0] == 0:
            raise ValueError(f"cv={self.cv!r} gives no row an out-of-fold prediction.")
        if covered.shape[0] < y_rows.shape[0]:
            features = {name: value[covered] for name, value in features.items()}
            rows = covered if rows is None else rows[covered]
        return features, fitted, rows

    def _prefit_layer(self, layer, layer_input, classes):
        """Take a layer's fitted models as they are; they predict every row."""
        features: dict[str, np.ndarray] = {}
        fitted = []
        for name, estimator in layer:
            method = resolve_method(
                name, estimator, self.stack_method, classes is not None
            )
            base = prefit_base(name, estimator, method, classes)
            features[name] = base.features(layer_input)
            fitted.append(base)
        return features, fitted, None

    def _check_passthrough_names(self, X, layers, classes) -> None:
        """Reject input columns named like a model's stacked column.

        With ``passthrough=True`` the stacked columns and the original ones
        meet in one DataFrame, where a shared name would be ambiguous.
        """
        if not self.passthrough or not isinstance(X, pd.DataFrame):
            return
        suffixes = [""] if classes is None else ["", *(f"_{c}" for c in classes)]
        stacked = {
            f"{name}{suffix}": name
            for layer in layers
            for name, _ in layer
            for suffix in suffixes
        }
        clashes = [column for column in X.columns if column in stacked]
        if clashes:
            models = sorted({stacked[column] for column in clashes})
            raise ValueError(
                f"With passthrough=True the input columns {clashes} would share "
                f"their names with the stacked predictions of {models}. Rename "
                "those models in estimators, or the columns."
            )

    def _next_input(self, features, fitted, X, rows):
        """Stack one layer's features, with the original columns if asked."""
        names = [n for base in fitted for n in self._names(base, features[base.name])]
        stacked = np.hstack([features[base.name] for base in fitted])
        X_rows = take_rows(X, rows)
        if isinstance(X, pd.DataFrame):
            index = X_rows.index
            frame = pd.DataFrame(stacked, index=index, columns=names)
            if not self.passthrough:
                return frame
            # Concatenate on the same index so mixed dtypes (category,
            # nullable) reach the next layer unchanged and no row misaligns.
            return pd.concat([frame, X_rows], axis=1)
        if not self.passthrough:
            return stacked
        if sparse.issparse(X_rows):
            return sparse.hstack([sparse.csr_matrix(stacked), X_rows]).tocsr()
        X_rows = np.asarray(X_rows)
        if X_rows.dtype.kind not in "biuf":
            # Text columns go on as objects, so the final estimator's own
            # error, with the encoding hint, reports them.
            return np.hstack([stacked.astype(object), X_rows.astype(object)])
        return np.hstack([stacked, X_rows.astype(float)])

    def _names(self, base: FittedBase, values: np.ndarray) -> list[str]:
        return feature_names(base.name, values.shape[1], base.classes)

    def _oof_frame(self, features, fitted, X, rows):
        """Stack the last layer's features, labelled with ``X``'s index if it has one.

        ``rows`` are the positions of the rows that received a prediction
        (``None`` for all), so a frame keeps the labels of exactly those rows.
        """
        names = [n for base in fitted for n in self._names(base, features[base.name])]
        stacked = np.hstack([features[base.name] for base in fitted])
        if isinstance(X, pd.DataFrame):
            index = X.index if rows is None else X.index[rows]
            return pd.DataFrame(stacked, index=index, columns=names)
        return stacked

    # The guard ---------------------------------------------------------------

    def _scores(
        self,
        first_oof,
        layer_input,
        y,
        split_params,
        classes,
        final_params,
        sample_weight,
    ):
        """Score the stack and each first-layer model out of fold for the guard.

        Both sides are scored on the same rows, with ``sample_weight`` when
        given. A final classifier without ``predict_proba`` is scored on
        its ``decision_function`` (ROC AUC, binary) or on its labels
        (accuracy), and the base models with the same metric.
        """
        # NOTE: with cv="prefit" there are no folds to score the stack on, so
        # the guard is skipped rather than scored on in-sample predictions.
        if not self.guard or self.cv == PREFIT:
            return {}, None
        # The layers already checked the classes of these folds.
        folds, _ = make_folds(
            self.cv,
            layer_input,
            y,
            classes is not None,
            split_params,
            check_classes=False,
        )
        final = clone(self.final_estimator_)
        method = self._guard_method(self.final_estimator_)
        result_rows, stack_oof = self._final_oof(
            final, layer_input, y, folds, final_params, method
        )
        y_scored = y[result_rows]
        weights = None if sample_weight is None else sample_weight[result_rows]
        metric = self._guard_metric(classes, method)
        stack_score = guard_score(metric, y_scored, stack_oof, classes, weights)
        base_scores = {}
        for base in self.layers_[0]:
            if classes is not None and base.method != "predict_proba":
                continue
            predictions = self._full_proba(first_oof[base.name][result_rows])
            base_scores[base.name] = guard_score(
                metric, y_scored, predictions, classes, weights
            )
        return base_scores, stack_score

    def _guard_method(self, final: Any) -> str:
        return "predict"

    def _final_oof(self, final, layer_input, y, folds, params, method):
        """Out-of-fold predictions of the final estimator on the stacked features.

        Probabilities come back with one column per class, decision values
        of a binary problem as one column, and labels as labels.
        """
        classes = getattr(self, "classes_", None)
        counts = np.bincount(np.concatenate([t for _, t in folds]), minlength=len(y))
        oof, _ = fit_out_of_fold(
            FINAL_ESTIMATOR,
            final,
            layer_input,
            y,
            classes,
            folds,
            bool(np.all(counts == 1)),
            method,
            params,
            False,
            0,
            self.n_jobs,
            0,
        )
        rows = np.flatnonzero(~np.isnan(oof).any(axis=1))
        oof = oof[rows]
        if method == "predict_proba":
            return rows, self._full_proba(oof)
        if classes is not None and method == "predict":
            # to_features stored each label's position in classes.
            return rows, classes[oof[:, 0].astype(int)]
        if oof.shape[1] == 1:
            return rows, oof[:, 0]
        return rows, oof

    def _full_proba(self, features: np.ndarray) -> np.ndarray:
        if features.shape[1] == 1:
            return np.column_stack([1 - features[:, 0], features[:, 0]])
        return features

    def _select(self) -> str:
        if not self.guard or not self.base_scores_:
            return STACK
        best = max(self.base_scores_, key=self.base_scores_.get)
        if self.stack_score_ > self.base_scores_[best]:
            return STACK
        warnings.warn(
            f"Stacking scored {self.stack_score_:.6g} out of fold, no better than "
            f"the base model {best!r} ({self.base_scores_[best]:.6g}); predicting "
            f"with {best!r} alone. Pass guard=False to keep the stack.",
            SktricksWarning,
            # _select <- fit <- scikit-learn's _fit_context wrapper <- caller.
            stacklevel=4,
        )
        return best

    def _selected_base(self) -> FittedBase:
        return next(b for b in self.layers_[0] if b.name == self.selected_)

    # Prediction ----------------------------------------------------------------

    def _transform_layers(self, X: Any) -> Any:
        layer_input = X
        for fitted in self.layers_:
            features = {base.name: base.features(layer_input) for base in fitted}
            layer_input = self._next_input(features, fitted, X, None)
        return layer_input

    def _check_predict_input(self, X: Any) -> Any:
        check_is_fitted(self)
        return validate_input(self, X, reset=False)

    def transform(self, X: Any) -> Any:
        """Stack the last layer's predictions for ``X``: the final estimator's input.

        The base models predict as they do in ``predict``; the out-of-fold
        features of the training rows are ``oof_predictions_``. As in
        scikit-learn, ``fit_transform`` is ``fit`` followed by ``transform``.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        features : ndarray, sparse matrix or DataFrame
            One column per binary or regression model, or per class, named as
            in ``get_feature_names_out``, followed by the columns of ``X``
            when ``passthrough=True``. A DataFrame ``X`` gives a DataFrame
            with its index.
        """
        X = self._check_predict_input(X)
        return self._transform_layers(X)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Get the names of the columns of ``transform``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Names of the input columns, used with ``passthrough=True``;
            ``feature_names_in_`` or ``x0, x1, ...`` when ``None``.

        Returns
        -------
        feature_names_out : ndarray of str
            ``<name>`` per binary or regression model, ``<name>_<class>`` per
            class of a multiclass model, then the input names when
            ``passthrough=True``.
        """
        check_is_fitted(self)
        names = list(self._stacked_names)
        if self.passthrough:
            names += list(_check_feature_names_in(self, input_features))
        return np.asarray(names, dtype=object)


class StackingClassifier(ClassifierMixin, _BaseStacking):
    """Stack classifiers on their out-of-fold predictions.

    Each base model is fitted once per fold of ``cv`` through
    :func:`sktricks.model_selection.cross_val_oof`; the final estimator
    learns from their out-of-fold predictions. Unlike
    :class:`sklearn.ensemble.StackingClassifier`, the default
    ``refit=False`` predicts with the mean of the fold models, so no base
    model is fitted on all rows (k fits instead of k + 1). Layers can be
    stacked, splitters whose test folds do not cover every row
    (``TimeSeriesSplit``) work, and a guard falls back to the best base model
    when stacking does not beat it out of fold.

    Parameters
    ----------
    estimators : list of (str, estimator) or list of such lists
        The base models. A list of lists is a multi-layer stack: each layer
        is fitted out of fold on the output of the layer below. Names must
        be unique across all layers. ``set_params`` and ``GridSearchCV``
        address a model's parameters as ``<name>__<parameter>``, for example
        ``lr__C``, and the final estimator's as
        ``final_estimator__<parameter>``.
        An estimator given as ``"drop"`` is left out.
    final_estimator : estimator, default=None
        Learns from the last layer's output; ``LogisticRegression()`` when
        ``None``, which with metadata routing enabled requests
        ``sample_weight``.
    cv : int, cross-validation generator, iterable or "prefit", default=5
        Folds for every layer and for the guard. An int means
        ``StratifiedKFold``. Test folds may leave rows out: the next layer
        and the final estimator then train only on the rows that received an
        out-of-fold prediction.
        ``"prefit"`` takes the base models as already fitted: they are
        neither cloned nor refitted, the final estimator learns from their
        predictions on ``X`` (in sample, so fit them on other rows), and
        the guard is skipped.
    stack_method : {"auto", "predict_proba", "decision_function", "predict"}, \
            default="auto"
        ``"auto"`` takes, per model, ``predict_proba``, else
        ``decision_function``, else ``predict``. A forced method that a model
        lacks raises at fit time naming the model. A binary model gives one
        column (the probability or score of ``classes_[1]``).
    passthrough : bool, default=False
        Feed the original features to every upper layer and to the final
        estimator, next to the predictions. DataFrame columns keep their
        dtypes.
    refit : bool, default=False
        ``True`` refits every base model on all rows for prediction, as
        scikit-learn does; ``False`` averages the fold models.
    guard : bool, default=True
        Cross-validate the final estimator on the out-of-fold features with
        the same folds and compare its ROC AUC (binary) or log loss
        (multiclass) with each ``predict_proba`` base model's. When the stack
        is not better, warn and predict with the best base model.
    early_stopping : bool or "inner", default=False
        Early stopping per fold for LightGBM, XGBoost and HistGradientBoosting
        base models, as in :func:`~sktricks.model_selection.cross_val_oof`;
        other models ignore it.
    n_jobs : int, default=None
        Number of folds fitted in parallel. ``None`` means 1 unless in a
        ``joblib.parallel_config`` context, and ``-1`` means all
        processors. 0 is invalid.
    verbose : int, default=0
        Progress bars over the folds when positive.

    Attributes
    ----------
    layers_ : list of list of FittedBase
        The fitted base models of each layer.
    final_estimator_ : estimator
        The fitted final estimator.
    oof_predictions_ : ndarray or DataFrame
        Out-of-fold features of the last layer, one column per binary model
        or per class, for the rows the final estimator was trained on. A
        DataFrame ``X`` gives a DataFrame with the index labels of those rows.
    base_scores_ : dict
        Out-of-fold score of each first-layer ``predict_proba`` model
        (empty when ``guard=False``).
    stack_score_ : float or None
        Out-of-fold score of the final estimator.
    selected_ : str
        ``"stack"``, or the name of the base model the guard chose.
    classes_ : ndarray
        Sorted class labels.

    See Also
    --------
    sklearn.ensemble.StackingClassifier : refits every base model on all rows.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sktricks.ensemble import StackingClassifier
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> stack = StackingClassifier(
    ...     [("lr", LogisticRegression()), ("nb", GaussianNB())], cv=3, guard=False
    ... ).fit(X, y)
    >>> stack.oof_predictions_.shape
    (200, 2)
    >>> stack.predict_proba(X[:2]).shape
    (2, 2)
    """

    def _default_final(self) -> Any:
        return LogisticRegression()

    def _guard_method(self, final: Any) -> str:
        for method in ("predict_proba", "decision_function"):
            if hasattr(final, method):
                return method
        return "predict"

    def _guard_metric(self, classes: np.ndarray, method: str) -> str:
        binary = classes.shape[0] == 2
        if method == "predict_proba":
            return "roc_auc" if binary else "log_loss"
        if method == "decision_function" and binary:
            return "roc_auc"
        return "accuracy"

    def predict(self, X: Any) -> np.ndarray:
        """Predict class labels for ``X``."""
        X = self._check_predict_input(X)
        if self.selected_ != STACK:
            proba = self._selected_base().proba(X)
            return self.classes_[proba.argmax(axis=1)]
        return self.final_estimator_.predict(self._transform_layers(X))

    @available_if(_final_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities for ``X``, columns in ``classes_`` order."""
        X = self._check_predict_input(X)
        if self.selected_ != STACK:
            return self._selected_base().proba(X)
        return self.final_estimator_.predict_proba(self._transform_layers(X))

    @available_if(_final_has("decision_function", fallback=True))
    def decision_function(self, X: Any) -> np.ndarray:
        """Compute the final estimator's decision function for ``X``.

        When the guard predicts with a base model alone, the scores are
        that model's log-odds of ``classes_[1]`` (binary) or its
        log-probabilities (multiclass), so they order rows as its
        ``predict_proba`` does and ``predict`` is their argmax.
        """
        X = self._check_predict_input(X)
        if self.selected_ == STACK:
            return self.final_estimator_.decision_function(self._transform_layers(X))
        log_proba = np.log(np.clip(self._selected_base().proba(X), _TINY, None))
        if log_proba.shape[1] == 2:
            return log_proba[:, 1] - log_proba[:, 0]
        return log_proba


class StackingRegressor(RegressorMixin, _BaseStacking):
    """Stack regressors on their out-of-fold predictions.

    The regression counterpart of :class:`StackingClassifier`: base models
    are fitted once per fold, prediction averages the fold models
    (``refit=False``), layers stack, non-partition splitters work, and the
    guard compares the final estimator's out-of-fold R² with each base
    model's.

    Parameters
    ----------
    estimators : list of (str, estimator) or list of such lists
        The base models, or a list of layers. Names must be unique across
        all layers; ``<name>__<parameter>`` and
        ``final_estimator__<parameter>`` address the models in
        ``set_params``.
        An estimator given as ``"drop"`` is left out.
    final_estimator : estimator, default=None
        ``RidgeCV()`` when ``None``, which with metadata routing enabled
        requests ``sample_weight``.
    cv : int, cross-validation generator, iterable or "prefit", default=5
        Folds for every layer and the guard; an int means ``KFold``.
        ``"prefit"`` takes the base models as already fitted: they are
        neither cloned nor refitted, the final estimator learns from their
        predictions on ``X`` (in sample, so fit them on other rows), and
        the guard is skipped.
    stack_method : {"auto", "predict"}, default="auto"
        Regressors always use ``predict``.
    passthrough : bool, default=False
        Feed the original features to upper layers and the final estimator.
    refit : bool, default=False
        Refit base models on all rows instead of averaging the fold models.
    guard : bool, default=True
        Fall back to the best base model when stacking does not beat its
        out-of-fold R².
    early_stopping : bool or "inner", default=False
        Early stopping per fold for boosting base models.
    n_jobs : int, default=None
        Number of folds fitted in parallel. ``None`` means 1 unless in a
        ``joblib.parallel_config`` context, and ``-1`` means all
        processors. 0 is invalid.
    verbose : int, default=0
        Progress bars when positive.

    Attributes
    ----------
    layers_ : list of list of FittedBase
        The fitted base models of each layer.
    final_estimator_ : estimator
        The fitted final estimator.
    oof_predictions_ : ndarray or DataFrame
        Out-of-fold features of the last layer, for the rows the final
        estimator was trained on. A DataFrame ``X`` gives a DataFrame with
        the index labels of those rows.
    base_scores_ : dict
        Out-of-fold R² of each first-layer model.
    stack_score_ : float or None
        Out-of-fold R² of the final estimator.
    selected_ : str
        ``"stack"`` or the name of the base model the guard chose.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from sktricks.ensemble import StackingRegressor
    >>> X, y = make_regression(n_samples=100, random_state=0)
    >>> stack = StackingRegressor(
    ...     [("ridge", Ridge()), ("tree", DecisionTreeRegressor(random_state=0))],
    ...     cv=3,
    ... ).fit(X, y)
    >>> stack.predict(X[:3]).shape
    (3,)
    """

    def _default_final(self) -> Any:
        return RidgeCV()

    def _guard_metric(self, classes: Any, method: str) -> str:
        return "r2"

    def _full_proba(self, features: np.ndarray) -> np.ndarray:
        return features[:, 0]

    def predict(self, X: Any) -> np.ndarray:
        """Predict targets for ``X``."""
        X = self._check_predict_input(X)
        if self.selected_ != STACK:
            return self._selected_base().raw(X)
        return self.final_estimator_.predict(self._transform_layers(X))
