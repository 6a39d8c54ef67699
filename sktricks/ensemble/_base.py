"""Shared pieces of the fusion estimators: base models fitted out of fold."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._metadata_requests import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_method_params,
    _num_samples,
    check_array,
    check_is_fitted,
    column_or_1d,
    has_fit_parameter,
    validate_data,
)

from sktricks.ensemble._checks import (
    check_class_counts,
    check_class_labels,
    check_target_missing,
    check_target_shape,
    numeric_target,
    warn_missing_classes,
)
from sktricks.ensemble._errors import naming_errors
from sktricks.model_selection._early_stopping import (
    boosting_family,
    encode_class_weight,
    needs_contiguous_labels,
)
from sktricks.model_selection._oof import (
    _METHODS,
    _fit_fold,
    _FoldOutput,
    _FoldSettings,
    _plan_oof,
    _PrecomputedPredictions,
    _predict,
    _resolve_method,
    _validate_target,
    run_oof_plans,
)
from sktricks.utils._validation import plain_value

# The placeholder that leaves a model out of an ensemble, as in scikit-learn.
DROP = "drop"


@dataclass
class FittedBase:
    """One base model: its fitted copies and how to turn them into features.

    ``models`` contains one model per fold (their predictions are averaged) or a
    single model refitted on all rows.
    """

    name: str
    method: str
    classes: np.ndarray | None
    models: list[Any]
    model_classes: list[np.ndarray | None] = field(default_factory=list)
    encoded: bool = False

    def raw(self, X: Any) -> np.ndarray:
        """Average the models' outputs; classifiers keep one column per class."""
        settings = _settings(self.method, self.classes)
        predictions = []
        for model, classes in zip(self.models, self.model_classes, strict=False):
            with naming_errors(self.name, model, X):
                predictions.append(_predict(model, X, classes, settings, self.encoded))
        outputs = np.stack(predictions)
        if self.method == "predict" and self.classes is not None:
            # Labels cannot be averaged: the most frequent label wins.
            codes = np.searchsorted(self.classes, outputs)
            votes = np.apply_along_axis(
                np.bincount, 0, codes, minlength=len(self.classes)
            )
            return self.classes[votes.argmax(axis=0)]
        return outputs.mean(axis=0)

    def features(self, X: Any) -> np.ndarray:
        """The model's stacking features for ``X``, in :func:`to_features` layout."""
        return to_features(self.raw(X), self.method, self.classes)

    def proba(self, X: Any) -> np.ndarray:
        """Averaged class probabilities, one column per class."""
        return self.raw(X)


def _settings(method: str, classes: np.ndarray | None) -> _FoldSettings:
    return _FoldSettings(
        method=method,
        classes=classes,
        early_stopping=False,
        family=None,
        rounds=1,
        validation_fraction=0.1,
    )


def to_features(raw: np.ndarray, method: str, classes: np.ndarray | None) -> Any:
    """Stacking layout: 2-D float, one column per binary model.

    A binary probability model contributes only the probability of
    ``classes[1]``, because the other column is one minus it and a second,
    perfectly collinear feature only hurts linear final estimators. Labels
    become their position in ``classes`` so that string labels are usable.
    """
    raw = np.asarray(raw)
    if classes is not None and method == "predict":
        raw = np.searchsorted(classes, raw).astype(float)
    elif classes is not None and raw.ndim == 2 and classes.shape[0] == 2:
        raw = raw[:, 1]
    raw = raw.astype(float)
    return raw.reshape(raw.shape[0], -1)


def feature_names(name: str, n_columns: int, classes: np.ndarray | None) -> list[str]:
    """Column names of one model's features: ``name`` or ``name_<class>``."""
    if n_columns == 1:
        return [name]
    labels = classes if classes is not None else range(n_columns)
    return [f"{name}_{label}" for label in labels]


def validate_input(estimator: Any, X: Any, y: Any = None, reset: bool = True) -> Any:
    """Check ``X`` (and that ``y`` is given) without converting a DataFrame.

    DataFrames and sparse matrices reach the base models unchanged, so
    category and nullable columns keep their dtypes; other containers become
    arrays. NaN is left to the base models, which know whether they take it.
    """
    if reset and y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target "
            "y is None."
        )
    if isinstance(X, pd.DataFrame):
        # check_array would turn the frame into one array, which fails for
        # mixed dtypes such as category next to Int64; only the shape
        # matters here.
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(
                f"Found a DataFrame of shape {X.shape}, but "
                f"{type(estimator).__name__} needs at least one row and one "
                "column."
            )
        validate_data(estimator, X, skip_check_array=True, reset=reset)
        return X
    checked = check_array(
        X, accept_sparse=["csr", "csc"], dtype=None, ensure_all_finite=False
    )
    if not isinstance(X, np.ndarray):
        # Lists and array-likes become arrays; sparse formats without row
        # indexing (dia, coo) become CSR.
        X = checked
    validate_data(estimator, X, skip_check_array=True, reset=reset)
    return X


def is_dropped(estimator: Any) -> bool:
    """Return whether ``estimator`` is the ``"drop"`` placeholder."""
    return isinstance(estimator, str) and estimator == DROP


def check_named_estimators(estimators: Any, owner: Any) -> list[tuple[str, Any]]:
    """Validate a list of ``(name, estimator)`` pairs of the ensemble ``owner``.

    Names address the models in ``set_params`` as ``<name>__<parameter>``,
    so a name may not contain ``__`` or equal a parameter of ``owner``. As in
    scikit-learn's ensembles, an estimator may be ``"drop"`` (for example
    through ``set_params`` in a grid search), and the returned pairs leave it
    out.
    """
    owner_name = type(owner).__name__
    if not isinstance(estimators, (list, tuple)) or len(estimators) == 0:
        raise ValueError(
            f"{owner_name} needs a non-empty list of (name, estimator) pairs; got "
            f"{estimators!r}."
        )
    pairs = []
    for item in estimators:
        if (
            not isinstance(item, tuple)
            or len(item) != 2
            or not isinstance(item[0], str)
            or not (is_dropped(item[1]) or hasattr(item[1], "fit"))
        ):
            raise ValueError(
                f"{owner_name} takes (name, estimator) pairs, where the estimator "
                f"may be 'drop'; {item!r} is not one."
            )
        pairs.append(item)
    names = [name for name, _ in pairs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"Estimator names must be unique; {duplicates} repeat.")
    with_separator = [name for name in names if "__" in name]
    if with_separator:
        raise ValueError(
            f"Estimator names must not contain '__', which set_params reads as "
            f"<name>__<parameter>; rename {with_separator}."
        )
    clashes = sorted(set(names) & set(owner.get_params(deep=False)))
    if clashes:
        raise ValueError(
            f"Estimator names {clashes} are also parameters of {owner_name}, so "
            "set_params could not tell them apart; rename those estimators."
        )
    kept_pairs = [
        (name, estimator) for name, estimator in pairs if not is_dropped(estimator)
    ]
    if not kept_pairs:
        raise ValueError(
            f"Every estimator of {owner_name} is 'drop'; keep at least one model."
        )
    return kept_pairs


def default_final(estimator: Any) -> Any:
    """Return the built-in final estimator, requesting ``sample_weight``.

    The user cannot reach a final estimator the ensemble builds, so with
    metadata routing enabled it requests ``sample_weight`` itself, as it
    receives the weights without routing. scikit-learn's stacking raises
    an error there instead.
    """
    if _routing_enabled():
        estimator.set_fit_request(sample_weight=True)
    return estimator


def resolve_method(name: str, estimator: Any, method: str, classifier: bool) -> str:
    """Return the prediction method of one base model, naming it on error.

    A regressor in a classifier ensemble always uses ``predict``; see
    :func:`base_target`.
    """
    if classifier and is_regressor(estimator):
        if method in ("auto", "predict"):
            return "predict"
        raise ValueError(
            f"Base model {name!r} ({type(estimator).__name__}) is a regressor, "
            f"so it has no {method}; it learns the class codes and stacks its "
            "predict output. Pass stack_method='auto' or 'predict', or use a "
            "classifier."
        )
    try:
        return _resolve_method(estimator, method, classifier)
    except ValueError as error:
        raise ValueError(f"Base model {name!r}: {error}") from None


def base_target(
    estimator: Any, y: np.ndarray, classes: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return the target and classes that one base model learns.

    As in scikit-learn's ``StackingClassifier``, a regressor in a classifier
    ensemble learns each label's position in ``classes``, and its prediction
    becomes one numeric feature. Other models learn ``y`` itself.
    """
    if classes is not None and is_regressor(estimator):
        return np.searchsorted(classes, y), None
    return y, classes


def fit_params_for(
    name: str, estimator: Any, sample_weight: np.ndarray | None
) -> dict[str, Any]:
    """Map ``sample_weight`` to a fit parameter the estimator accepts (no routing).

    A Pipeline does not take ``sample_weight`` itself, so it goes to the last
    step (``<step>__sample_weight``), which scikit-learn's stacking does not
    do without metadata routing.
    """
    if sample_weight is None:
        return {}
    if isinstance(estimator, Pipeline):
        step_name, step = estimator.steps[-1]
        if step != "passthrough" and has_fit_parameter(step, "sample_weight"):
            return {f"{step_name}__sample_weight": sample_weight}
    elif has_fit_parameter(estimator, "sample_weight"):
        return {"sample_weight": sample_weight}
    raise ValueError(
        f"Model {name!r} ({type(estimator).__name__}) does not accept "
        "sample_weight; remove it or fit without sample_weight."
    )


@dataclass
class RoutedParams:
    """Fit parameters per base model, for the final estimator and the splitter.

    Every per-sample value covers all rows of ``X``; :func:`take_params`
    selects the rows one step trains on.
    """

    base: dict[str, dict[str, Any]]
    final: dict[str, Any]
    split: dict[str, Any]


def metadata_router(
    owner: Any,
    pairs: list[tuple[str, Any]],
    final_estimator: Any = None,
    cv: Any = None,
) -> MetadataRouter:
    """Build the routing of a fusion estimator's ``fit`` to its parts.

    Each base model's ``fit`` and the final estimator's ``fit`` get what they
    request, and the splitter's ``split`` gets ``groups`` when it requests
    them (``GroupKFold`` does by default).
    """
    router = MetadataRouter(owner=owner)
    fit_to_fit = MethodMapping().add(caller="fit", callee="fit")
    for name, estimator in pairs:
        router.add(**{name: estimator}, method_mapping=fit_to_fit)
    if final_estimator is not None:
        router.add(final_estimator=final_estimator, method_mapping=fit_to_fit)
    if cv is not None:
        router.add(
            splitter=check_cv(cv),
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )
    return router


def route_params(
    owner: Any,
    pairs: list[tuple[str, Any]],
    final_estimator: Any,
    sample_weight: Any,
    groups: Any,
    fit_params: dict[str, Any],
    splits: bool = True,
) -> RoutedParams:
    """Route ``fit``'s metadata to the base models, final estimator and splitter.

    With metadata routing enabled, every part gets what it requested through
    ``set_fit_request`` (``owner`` must define ``get_metadata_routing``).
    Without it, ``sample_weight`` goes to every model that accepts it and
    ``groups`` to the splitter, as scikit-learn's meta-estimators do. Other
    fit parameters raise, because no request names the model that expects them.
    ``splits=False`` is for an owner without a splitter in its router.
    """
    weights = None if sample_weight is None else np.asarray(sample_weight, float)
    if _routing_enabled():
        metadata = dict(fit_params)
        if weights is not None:
            metadata["sample_weight"] = weights
        if groups is not None:
            metadata["groups"] = groups
        routed = process_routing(owner, "fit", **metadata)
        return RoutedParams(
            base={name: dict(routed[name].fit) for name, _ in pairs},
            final=dict(routed.final_estimator.fit)
            if final_estimator is not None
            else {},
            split=dict(routed.splitter.split) if splits else {},
        )
    if fit_params:
        raise ValueError(
            f"{type(owner).__name__}.fit received the parameters "
            f"{sorted(fit_params)}, which only metadata routing can send to a "
            "base model. Call "
            "sklearn.set_config(enable_metadata_routing=True) and request them "
            "with set_fit_request on the models that take them."
        )
    return RoutedParams(
        base={name: fit_params_for(name, est, weights) for name, est in pairs},
        final={}
        if final_estimator is None
        else fit_params_for("final_estimator", final_estimator, weights),
        split={"groups": groups},
    )


def take_params(X: Any, params: dict[str, Any], rows: np.ndarray | None) -> Any:
    """Select the per-sample values of ``params`` at positions ``rows``.

    ``rows=None`` keeps every row.
    """
    if rows is None or not params:
        return dict(params)
    return _check_method_params(X, params, indices=rows)


def prepare_target(
    y: Any, n_samples: int, classifier: bool, owner: str = "The ensemble"
) -> tuple[Any, Any]:
    """Validate ``y``; return it as an array and the sorted classes.

    ``owner`` names the ensemble in error messages.
    """
    if y is None:
        raise ValueError(f"y is None, but {owner} needs a target to fit.")
    if isinstance(y, np.ndarray) and y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    check_target_shape(y, classifier, owner)
    check_target_missing(y, owner)
    y_array = _validate_target(y, n_samples)
    assert y_array is not None  # y is None raised above
    if not classifier:
        return numeric_target(y_array, owner), None
    check_class_labels(y_array, owner)
    check_classification_targets(y_array)
    classes = np.unique(y_array)
    if classes.shape[0] < 2:
        raise ValueError(
            f"y has one class ({plain_value(classes[0])!r}); a classifier needs "
            "at least two."
        )
    return y_array, classes


def make_folds(
    cv: Any,
    X: Any,
    y: np.ndarray,
    classifier: bool,
    split_params: dict[str, Any],
    check_classes: bool = True,
):
    """Folds of ``cv`` as positional arrays, and whether they partition the rows.

    For a classifier with ``check_classes``, a class smaller than the number
    of stratified folds raises, and a training fold without some class warns.
    """
    splitter = check_cv(cv, y, classifier=classifier)
    classes = np.unique(y) if classifier and check_classes else None
    if classes is not None:
        check_class_counts(splitter, y, classes, cv)
    folds = [
        (np.asarray(train), np.asarray(test))
        for train, test in splitter.split(X, y, **split_params)
    ]
    if classes is not None:
        warn_missing_classes(folds, y, classes)
    n_samples = _num_samples(X)
    counts = np.bincount(
        np.concatenate([test for _, test in folds]), minlength=n_samples
    )
    return folds, bool(np.all(counts == 1))


@dataclass
class BaseSpec:
    """One base model of a layer, with the method and fit parameters it uses."""

    name: str
    estimator: Any
    method: str
    params: dict[str, Any]


def fit_out_of_fold(
    name: str,
    estimator: Any,
    X: Any,
    y: np.ndarray,
    classes: np.ndarray | None,
    folds: list[tuple[np.ndarray, np.ndarray]],
    partition: bool,
    method: str,
    params: dict[str, Any],
    early_stopping: bool | str,
    random_state: Any,
    n_jobs: int | None,
    verbose: int,
) -> tuple[np.ndarray, FittedBase]:
    """Out-of-fold features of one model and its fold models."""
    return fit_layer_out_of_fold(
        [BaseSpec(name, estimator, method, params)],
        X,
        y,
        classes,
        folds,
        partition,
        early_stopping,
        random_state,
        n_jobs,
        verbose,
    )[0]


def fit_layer_out_of_fold(
    specs: list[BaseSpec],
    X: Any,
    y: np.ndarray,
    classes: np.ndarray | None,
    folds: list[tuple[np.ndarray, np.ndarray]],
    partition: bool,
    early_stopping: bool | str,
    random_state: Any,
    n_jobs: int | None,
    verbose: int,
) -> list[tuple[np.ndarray, FittedBase]]:
    """Out-of-fold features and fold models of every model of a layer.

    The folds of all models share one joblib pool, so ``n_jobs`` workers
    stay busy across models. Each model gets the fold seeds it would get
    alone, so the result does not depend on ``n_jobs``. Rows that no test
    fold holds (a ``TimeSeriesSplit`` leaves out the first block) get NaN
    features.
    """
    stops = [
        early_stopping if boosting_family(spec.estimator) is not None else False
        for spec in specs
    ]
    targets = [base_target(spec.estimator, y, classes) for spec in specs]
    if partition:
        plans = []
        for spec, stop, (target, _) in zip(specs, stops, targets, strict=True):
            plan = _plan_oof(
                spec.estimator,
                X,
                target,
                groups=None,
                cv=folds,
                X_test=None,
                method=spec.method,
                average="mean",
                scoring=None,
                params=spec.params,
                early_stopping=stop,
                early_stopping_rounds=None,
                validation_fraction=0.1,
                random_state=random_state,
            )
            plan.fold_step = partial(_fit_named_fold, spec.name)
            plans.append(plan)
        results = run_oof_plans(plans, n_jobs=n_jobs, verbose=verbose)
        fitted = [
            (
                to_features(np.asarray(result.oof_), spec.method, spec_classes),
                result.estimators_,
            )
            for spec, result, (_, spec_classes) in zip(
                specs, results, targets, strict=True
            )
        ]
    else:
        fitted = [
            _fit_any_folds(
                spec.name,
                spec.estimator,
                X,
                target,
                spec_classes,
                folds,
                spec.method,
                spec.params,
                stop,
                random_state,
            )
            for spec, stop, (target, spec_classes) in zip(
                specs, stops, targets, strict=True
            )
        ]

    layer = []
    for spec, stop, (oof, models), (target, spec_classes) in zip(
        specs, stops, fitted, targets, strict=True
    ):
        classifier = spec_classes is not None
        # NOTE: with early_stopping="inner" a fold whose inner fit rows miss
        # a class is decoded by cross_val_oof with fewer classes than
        # y[train] holds; this reconstruction assumes they match.
        encoded = classifier and needs_contiguous_labels(spec.estimator, stop)
        model_classes = [
            (np.unique(target[train]) if encoded else np.asarray(model.classes_))
            if classifier
            else None
            for model, (train, _) in zip(models, folds, strict=False)
        ]
        base = FittedBase(
            spec.name, spec.method, spec_classes, models, model_classes, encoded
        )
        layer.append((oof, base))
    return layer


def _fit_named_fold(name: str, estimator: Any, X: Any, *args: Any) -> _FoldOutput:
    """Fit and predict one fold as ``_fit_fold`` does, naming the model on error."""
    with naming_errors(name, estimator, X):
        return _fit_fold(estimator, X, *args)


def _fit_any_folds(
    name: str,
    estimator: Any,
    X: Any,
    y: np.ndarray,
    classes: np.ndarray | None,
    folds: list[tuple[np.ndarray, np.ndarray]],
    method: str,
    params: dict[str, Any],
    early_stopping: bool | str,
    random_state: Any,
) -> tuple[np.ndarray, list[Any]]:
    # cross_val_oof insists on a partition, so splitters whose test folds
    # leave rows out (TimeSeriesSplit) or overlap use the engine's fold step
    # directly; rows held out several times get the mean of their features.
    settings = _FoldSettings(
        method=method,
        classes=classes,
        early_stopping=early_stopping,
        family=boosting_family(estimator) if early_stopping else None,
        rounds=None,
        validation_fraction=0.1,
    )
    seeds = check_random_state(random_state).randint(
        np.iinfo(np.int32).max, size=len(folds)
    )
    n_samples = _num_samples(X)
    total = None
    counts = np.zeros(n_samples)
    models = []
    for (train, test), seed in zip(folds, seeds, strict=False):
        output = _fit_named_fold(
            name, clone(estimator), X, y, train, test, params, None, settings, seed
        )
        features = to_features(output.oof, method, classes)
        if total is None:
            total = np.zeros((n_samples, features.shape[1]))
        total[test] += features
        counts[test] += 1
        models.append(output.estimator)
    assert total is not None  # folds is never empty
    with np.errstate(invalid="ignore", divide="ignore"):
        oof = total / counts[:, None]
    return oof, models


def fit_full(
    name: str,
    estimator: Any,
    X: Any,
    y: np.ndarray,
    classes: np.ndarray | None,
    method: str,
    params: dict[str, Any],
) -> FittedBase:
    """Fit one clone on every row (``refit=True``)."""
    y, classes = base_target(estimator, y, classes)
    model = clone(estimator)
    encoded = classes is not None and needs_contiguous_labels(estimator, False)
    target = y
    if classes is not None and encoded:
        target = np.searchsorted(classes, y)
        encode_class_weight(model, classes)
    with naming_errors(name, estimator, X):
        model.fit(X, target, **params)
    model_classes = [None if classes is None else classes]
    return FittedBase(name, method, classes, [model], model_classes, encoded)


def prefit_base(
    name: str, estimator: Any, method: str, classes: np.ndarray | None
) -> FittedBase:
    """Wrap a model fitted by the user (``cv="prefit"``) without refitting it."""
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        raise NotFittedError(
            f"cv='prefit' takes the base models as fitted, but model {name!r} "
            f"({type(estimator).__name__}) is not fitted. Fit it first, and wrap "
            "it in sklearn.frozen.FrozenEstimator if the stack is cloned (as "
            "GridSearchCV and cross_validate do), or pass an int or a splitter "
            "as cv."
        ) from None
    _, classes = base_target(estimator, np.empty(0), classes)
    if classes is None:
        return FittedBase(name, method, None, [estimator], [None])
    model_classes = np.asarray(estimator.classes_)
    foreign_classes = np.setdiff1d(model_classes, classes)
    if foreign_classes.shape[0]:
        raise ValueError(
            f"The prefit model {name!r} was fitted on the classes "
            f"{foreign_classes.tolist()}, which y does not contain "
            f"({classes.tolist()}). Fit it on the same labels as y."
        )
    return FittedBase(name, method, classes, [estimator], [model_classes])


def take_rows(data: Any, rows: np.ndarray | None) -> Any:
    """Rows by position; ``None`` means all rows."""
    if rows is None or data is None:
        return data
    return _safe_indexing(data, rows)


def score_predictions(
    scoring: Any,
    estimator: Any,
    predictions: np.ndarray,
    y: np.ndarray,
    method: str,
    classes: np.ndarray | None,
) -> float:
    """Score stored predictions with a scikit-learn scorer, without predicting."""
    scorer = check_scoring(estimator, scoring=scoring)
    cached = _PrecomputedPredictions(predictions, method, classes)
    rows = np.arange(predictions.shape[0]).reshape(-1, 1)
    return float(scorer(cached, rows, y))


def as_frame_like(features: np.ndarray, names: list[str], X: Any) -> Any:
    """Features as a DataFrame with ``X``'s index when ``X`` is a DataFrame."""
    if isinstance(X, pd.DataFrame):
        return pd.DataFrame(features, index=X.index, columns=names)
    return features


def is_classifier_task(estimator: Any) -> bool:
    return bool(is_classifier(estimator))


__all__ = [
    "DROP",
    "_METHODS",
    "BaseSpec",
    "FittedBase",
    "RoutedParams",
    "as_frame_like",
    "base_target",
    "check_named_estimators",
    "default_final",
    "feature_names",
    "fit_full",
    "fit_layer_out_of_fold",
    "fit_out_of_fold",
    "fit_params_for",
    "is_classifier_task",
    "is_dropped",
    "make_folds",
    "metadata_router",
    "prefit_base",
    "prepare_target",
    "resolve_method",
    "route_params",
    "score_predictions",
    "take_params",
    "take_rows",
    "to_features",
    "validate_input",
]
