"""Input checks, the default model and metadata routing shared by the
selectors that fit models (Boruta, null importance, SHAP RFE, permutation)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.feature_selection import SelectorMixin
from sklearn.model_selection import check_cv
from sklearn.utils import get_tags
from sklearn.utils._metadata_requests import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _check_feature_names,
    _check_method_params,
    _check_n_features,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from sktricks.feature_selection._importance import NEEDS_HELD_OUT, feature_importance

__all__ = ["ModelBasedSelector"]

_CLASSIFICATION_TARGETS = ("binary", "multiclass")

# Share of rows held out of each fit for importance="shap"/"permutation".
HELD_OUT_FRACTION = 0.25


class ModelBasedSelector(SelectorMixin, BaseEstimator):
    """Base of the selectors that score features with a fitted model.

    Subclasses set ``support_`` in ``fit`` and may define ``estimator``;
    ``None`` means the default LightGBM model of :meth:`_make_estimator`.
    """

    # Leaves per tree of the default model (see default_estimator).
    _default_num_leaves = 7

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        estimator = getattr(self, "estimator", None)
        # LightGBM handles NaN itself; a given model decides for itself.
        tags.input_tags.allow_nan = (
            True if estimator is None else get_tags(estimator).input_tags.allow_nan
        )
        return tags

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_

    def transform(self, X: Any) -> Any:
        """Keep the selected columns of ``X``.

        A DataFrame keeps its index and column dtypes (``category``,
        ``Int64``) whatever the output configuration, because converting
        category columns to an array would turn them into strings.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, `n_features_in_`)
            Data with the columns seen in ``fit``, in the same order.

        Returns
        -------
        X_selected : ndarray or DataFrame of shape (n_samples, n_selected)
            The selected columns.
        """
        if not isinstance(X, pd.DataFrame):
            return super().transform(X)
        check_is_fitted(self, "support_")
        _check_feature_names(self, X, reset=False)
        _check_n_features(self, X, reset=False)
        if not self.support_.any():
            warnings.warn(
                f"No features were selected by {type(self).__name__}; the "
                "output has no columns.",
                UserWarning,
                stacklevel=2,
            )
        return X.iloc[:, np.flatnonzero(self.support_)]

    # Input checks -----------------------------------------------------------

    def _validate_input(self, X: Any, y: Any) -> tuple[Any, np.ndarray]:
        """Check X and y, keeping a DataFrame's dtypes for LightGBM's categories."""
        owner = type(self).__name__
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=True, skip_check_array=True)
            check_frame(X, owner)
            X_model: Any = X
        else:
            X_model = validate_data(
                self,
                X,
                reset=True,
                dtype=[np.float64, np.float32],
                ensure_all_finite="allow-nan",
                ensure_min_features=1,
            )
        if y is None:
            raise ValueError(
                f"{owner} requires y to be passed, but the target y is None."
            )
        y_array = _validate_target(y, X_model.shape[0], owner)
        return X_model, y_array

    @contextlib.contextmanager
    def _naming_model_errors(self, X: Any) -> Iterator[None]:
        """Name the model and X's text columns when a given model fails on X.

        A model without native categories fails deep inside numpy or pandas
        ("could not convert string to float: 'y'"), which names neither the
        model nor the column.
        """
        try:
            yield
        except ValueError as error:
            estimator = getattr(self, "estimator", None)
            text = []
            if isinstance(X, pd.DataFrame):
                text = [
                    str(column)
                    for column, dtype in X.dtypes.items()
                    if not pd.api.types.is_numeric_dtype(dtype)
                ]
            if estimator is None or not text:
                raise
            raise ValueError(
                f"{type(self).__name__} could not fit "
                f"{type(estimator).__name__} on X: {error}. X has the "
                f"non-numeric columns {text}, which this model may not accept. "
                "Encode them in a Pipeline (for example a ColumnTransformer "
                "with OneHotEncoder before the model), or leave estimator=None "
                "for the default LightGBM model, which splits category "
                "columns natively."
            ) from error

    # The model ---------------------------------------------------------------

    def _make_estimator(self, y: np.ndarray, n_jobs: int | None) -> Any:
        """Return an unfitted clone of ``estimator`` or the default LightGBM."""
        estimator = getattr(self, "estimator", None)
        if estimator is not None:
            return clone(estimator)
        classification = type_of_target(y) in _CLASSIFICATION_TARGETS
        if classification and np.unique(y).shape[0] < 2:
            raise ValueError(
                f"y has one class only ({np.unique(y)[0]!r}); "
                f"{type(self).__name__} needs at least two classes to score "
                "features."
            )
        return default_estimator(
            classification, n_jobs, num_leaves=self._default_num_leaves
        )

    def _is_classification(self, y: np.ndarray) -> bool:
        estimator = getattr(self, "estimator", None)
        if estimator is not None:
            return is_classifier(estimator)
        return type_of_target(y) in _CLASSIFICATION_TARGETS

    # Metadata routing ---------------------------------------------------------

    def _routing_estimator(self) -> Any:
        estimator = getattr(self, "estimator", None)
        if estimator is not None:
            return estimator
        # The default model is built by the selector, so the caller cannot set
        # its request: it always accepts sample_weight.
        return LGBMClassifier().set_fit_request(sample_weight=True)

    def get_metadata_routing(self) -> MetadataRouter:
        """Return how ``fit`` routes metadata to the estimator and the splitter.

        Returns
        -------
        routing : MetadataRouter
            ``fit`` parameters go to the estimator's ``fit`` and, for the
            selectors with a ``cv`` parameter, to the splitter's ``split``
            (``groups``).
        """
        router = MetadataRouter(owner=type(self).__name__).add(
            estimator=self._routing_estimator(),
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )
        if hasattr(self, "cv"):
            router.add(
                splitter=check_cv(self.cv),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        return router

    def _fit_params(self, fit_params: dict[str, Any]) -> dict[str, Any]:
        """Return the parameters for the estimator's ``fit``."""
        if _routing_enabled():
            routed = process_routing(self, "fit", **fit_params)
            return dict(routed.estimator.fit)
        return dict(fit_params)


def default_estimator(
    classification: bool, n_jobs: int | None, num_leaves: int = 7
) -> Any:
    """Return the LightGBM model the selectors use when none is given.

    Small trees on 63 bins keep the many refits of a selector fast and
    overfit noise columns less. Column and row subsampling spread the
    importance over correlated informative columns instead of letting the
    first one take it all. Boruta requests 15 leaves, because its model also
    fits a shadow copy of every column. With 7 leaves it left one of the 40
    useful columns of the 10,000 x 500 benchmark set undecided after 100
    iterations, and with 15 it decided every column in 29 (see
    ``benchmarks/RESULTS.md``).
    """
    params: dict[str, Any] = {
        "n_estimators": 50,
        "learning_rate": 0.2,
        "num_leaves": num_leaves,
        "max_bin": 63,
        "colsample_bytree": 0.5,
        "subsample": 0.8,
        "subsample_freq": 1,
        "importance_type": "gain",
        "n_jobs": n_jobs if n_jobs is not None else 1,
        "verbose": -1,
    }
    model = LGBMClassifier(**params) if classification else LGBMRegressor(**params)
    if _routing_enabled():
        # Matches the request get_metadata_routing reports for the default.
        model.set_fit_request(sample_weight=True)
    return model


def fit_and_score(
    model: Any,
    X: Any,
    y: np.ndarray,
    importance: str,
    params: dict[str, Any],
    seed: int,
    *,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Fit ``model`` with seed ``seed`` and return its feature importances.

    ``"shap"`` and ``"permutation"`` fit on a random 75% of the rows and
    score the other quarter, drawn from ``seed``.
    """
    set_model_seed(model, seed)
    if importance not in NEEDS_HELD_OUT:
        model.fit(X, y, **params)
        return feature_importance(model, importance, X.shape[1])

    order = np.random.default_rng(seed).permutation(y.shape[0])
    n_held_out = max(1, round(HELD_OUT_FRACTION * y.shape[0]))
    held_out, train = order[:n_held_out], order[n_held_out:]
    model.fit(take_rows(X, train), y[train], **_check_method_params(X, params, train))
    weights = params.get("sample_weight")
    return feature_importance(
        model,
        importance,
        X.shape[1],
        X_eval=take_rows(X, held_out),
        y_eval=y[held_out],
        sample_weight=None if weights is None else np.asarray(weights)[held_out],
        random_state=seed,
        n_jobs=n_jobs,
    )


def take_rows(X: Any, rows: np.ndarray) -> Any:
    """Select rows by position from an array or a DataFrame."""
    if isinstance(X, pd.DataFrame):
        return X.iloc[rows]
    return X[rows]


def take_columns(X: Any, columns: np.ndarray) -> Any:
    """Select columns by position from an array or a DataFrame."""
    if isinstance(X, pd.DataFrame):
        return X.iloc[:, columns]
    return X[:, columns]


def set_model_seed(model: Any, seed: int) -> None:
    """Seed a model (or every step of a pipeline) whose ``random_state`` is None.

    A ``random_state`` the caller set is kept, so a given model behaves as
    configured; the default model gets a new seed for every fit.
    """
    params = model.get_params(deep=True)
    seeds = {
        key: seed
        for key, value in params.items()
        if key.split("__")[-1] == "random_state" and value is None
    }
    if seeds:
        model.set_params(**seeds)


def check_frame(X: pd.DataFrame, owner: str) -> None:
    """Raise for empty frames, text columns and infinite values.

    Numeric, boolean, nullable (``Int64``, ``Float64``, ``boolean``) and
    ``category`` columns pass: LightGBM splits on categories natively and
    treats NaN and NA as missing.
    """
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"{owner} got an empty DataFrame of shape {X.shape}; it needs at "
            "least one row and one column."
        )

    text = [
        column
        for column in X.columns
        if not (
            pd.api.types.is_numeric_dtype(X[column])
            or pd.api.types.is_bool_dtype(X[column])
            or isinstance(X[column].dtype, pd.CategoricalDtype)
        )
    ]
    if text:
        names = ", ".join(f"{c!r} ({X[c].dtype})" for c in text[:5])
        raise TypeError(
            f"{owner} needs numeric, boolean or category columns, but got "
            f"{names}. Convert text columns with .astype('category') or "
            "encode them in a Pipeline step before this one."
        )

    numeric = [
        column
        for column in X.columns
        if pd.api.types.is_float_dtype(X[column])
        and np.isinf(X[column].to_numpy(dtype=np.float64, na_value=np.nan)).any()
    ]
    if numeric:
        raise ValueError(
            f"{owner} got infinite values in columns {numeric[:5]}; replace "
            "them with NaN (missing) or a finite value."
        )


def _validate_target(y: Any, n_samples: int, owner: str) -> np.ndarray:
    if isinstance(y, pd.Series) and isinstance(
        y.dtype, pd.api.extensions.ExtensionDtype
    ):
        if y.isna().any():
            raise ValueError(
                f"{owner} got a target with {int(y.isna().sum())} missing "
                "values; drop those rows or impute the target first."
            )
        y = y.to_numpy(dtype=object if not pd.api.types.is_numeric_dtype(y) else None)
    y_array = column_or_1d(y, warn=True)
    if y_array.shape[0] != n_samples:
        raise ValueError(
            f"X has {n_samples} rows but y has {y_array.shape[0]}; they must "
            "have the same number of rows."
        )
    if y_array.dtype.kind == "f" and not np.isfinite(y_array).all():
        raise ValueError(
            f"{owner} got NaN or infinite values in y; drop those rows or "
            "impute the target first."
        )
    return y_array
