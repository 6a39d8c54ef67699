"""Drop the columns that let a model tell training rows from test rows."""

from __future__ import annotations

import logging
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_array, check_is_fitted

from sktricks.feature_selection._selector_input import column_names, validate_frame
from sktricks.model_selection import AdversarialValidator
from sktricks.utils import progress_bar
from sktricks.utils._validation import N_JOBS_CONSTRAINT, text_as_category

logger = logging.getLogger(__name__)

__all__ = ["AdversarialSelector"]


class AdversarialSelector(SelectorMixin, BaseEstimator):
    """Drop drifting columns until train and test rows look alike.

    Each round runs adversarial validation with
    :class:`~sktricks.model_selection.AdversarialValidator`: a classifier
    learns out of fold to tell the rows of ``X`` (label 0) from the rows of
    ``X_test`` (label 1). While its ROC AUC is at least ``threshold``, the
    column with the largest importance for that task is dropped and the
    next round starts on the remaining columns. It stops when the AUC falls
    below ``threshold``, when ``max_features_to_drop`` columns are gone, or
    when one column is left, which is always kept.

    ``X_test`` is fit metadata. In a ``Pipeline`` route it with
    ``sklearn.set_config(enable_metadata_routing=True)`` and
    ``AdversarialSelector().set_fit_request(X_test=True)``, then call
    ``pipeline.fit(X, y, X_test=X_test)``. The pipeline does not transform
    ``X_test`` on its way, so ``X_test`` must already have the columns this
    step receives: put the selector before steps that change the columns,
    or pass ``X_test`` through those steps first.

    Parameters
    ----------
    threshold : float in (0.5, 1], default=0.6
        Stop once the out-of-fold ROC AUC of telling ``X_test`` from ``X``
        falls below this value.
    max_features_to_drop : int, default=None
        Maximum number of columns to drop. ``None`` allows all but one.
    estimator : classifier, default=None
        Train-versus-test classifier with ``predict_proba`` and
        ``feature_importances_`` or ``coef_``. ``None`` uses LightGBM with
        gain importance, which takes ``category`` columns and NaN natively
        (see :class:`~sktricks.model_selection.AdversarialValidator`).
    cv : int, default=5
        Number of stratified, shuffled folds per round.
    random_state : int or None, default=None
        Seed for the folds and the default estimator.
    n_jobs : int, default=None
        Number of folds fitted in parallel with joblib.
    verbose : int, default=0
        If positive, show a progress bar over the rounds.

    Attributes
    ----------
    dropped_ : list of str
        Feature names of the dropped columns, in the order they were
        dropped.
    auc_history_ : list of float
        Out-of-fold ROC AUC of each round: the first entry is with all
        columns, entry ``i`` with the first ``i`` columns of ``dropped_``
        removed.
    importances_ : Series
        Importances of the first round, with all columns, by feature name
        and sorted from most to least important.
    support_ : ndarray of bool of shape (`n_features_in_`,)
        True for the kept columns.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Column names seen during fit, when ``X`` has string column names.

    See Also
    --------
    sktricks.model_selection.AdversarialValidator : One round, with the
        training rows that look most like test rows.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sktricks.feature_selection import AdversarialSelector
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    >>> test = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    >>> test["b"] += 3.0
    >>> selector = AdversarialSelector(random_state=0).fit(train, X_test=test)
    >>> selector.dropped_
    ['b']
    >>> selector.get_feature_names_out().tolist()
    ['a', 'c']
    >>> selector.auc_history_[0] > 0.9, selector.auc_history_[-1] < 0.6
    (True, True)
    """

    _parameter_constraints: ClassVar[dict] = {
        "threshold": [Interval(Real, 0.5, 1, closed="right")],
        "max_features_to_drop": [Interval(Integral, 0, None, closed="left"), None],
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        threshold: float = 0.6,
        max_features_to_drop: int | None = None,
        estimator: Any = None,
        cv: int = 5,
        random_state: Any = None,
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.threshold = threshold
        self.max_features_to_drop = max_features_to_drop
        self.estimator = estimator
        self.cv = cv
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ``prefer_skip_nested_validation=False`` because the user's estimator is
    # fitted inside and should validate its own parameters.
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any = None, X_test: Any = None) -> AdversarialSelector:
        """Drop the most drifting column, one per round, until the AUC is low.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Training rows.
        y : None
            Ignored; accepted for ``Pipeline`` compatibility.
        X_test : DataFrame or array-like of shape (n_test_samples, n_features)
            Test rows with the same columns as ``X``; a DataFrame may list
            them in another order.

        Returns
        -------
        self : AdversarialSelector
        """
        frame = validate_frame(self, X, reset=True, numeric_arrays=False)
        names = column_names(self, frame)
        test = _validate_test(frame, X_test, isinstance(X, pd.DataFrame))
        _check_test_kinds(frame, test)
        renamed = dict(zip(frame.columns, names, strict=True))
        train, test = frame.rename(columns=renamed), test.rename(columns=renamed)
        self._check_sizes(train, test)
        if self.estimator is None:
            train, test = text_as_category(train, test)

        limit = len(names) - 1
        if self.max_features_to_drop is not None:
            limit = min(limit, self.max_features_to_drop)

        remaining = list(names)
        self.dropped_: list[str] = []
        self.auc_history_: list[float] = []
        rounds = progress_bar(
            range(limit + 1), verbose=self.verbose, desc="adversarial rounds"
        )
        for _ in rounds:
            # Typed Any: AdversarialValidator sets its fitted attributes in
            # fit without annotations, which mypy cannot follow.
            validator: Any = self._validator().fit(train[remaining], test[remaining])
            self.auc_history_.append(validator.auc_)
            if len(self.auc_history_) == 1:
                self.importances_ = validator.feature_importances_
            if validator.auc_ < self.threshold or len(self.dropped_) >= limit:
                break
            self._drop(validator, remaining)

        self.support_ = np.isin(names, remaining)
        logger.info(
            "AdversarialSelector dropped %s; AUC %s",
            self.dropped_,
            [round(auc, 3) for auc in self.auc_history_],
        )
        return self

    def _check_sizes(self, train: pd.DataFrame, test: pd.DataFrame) -> None:
        # Stratified folds need at least cv rows of each set.
        if min(train.shape[0], test.shape[0]) < self.cv:
            raise ValueError(
                f"X has {train.shape[0]} sample(s) and X_test {test.shape[0]}, but "
                f"AdversarialSelector needs at least cv={self.cv} rows in each "
                "for its stratified folds. Pass more rows or lower cv."
            )

    def _validator(self) -> AdversarialValidator:
        return AdversarialValidator(
            estimator=self.estimator,
            cv=self.cv,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        )

    def _drop(self, validator: Any, remaining: list[str]) -> None:
        # Importances are sorted from most to least important; ties keep
        # the column order of X, which AdversarialValidator uses.
        column = str(validator.feature_importances_.index[0])
        remaining.remove(column)
        self.dropped_.append(column)
        logger.debug(
            "AdversarialSelector dropped %r at AUC %.4f",
            column,
            validator.auc_,
        )

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.non_deterministic = self.random_state is None
        return tags


def _validate_test(train: pd.DataFrame, X_test: Any, input_is_frame: bool) -> Any:
    """Return ``X_test`` as a DataFrame with the columns of ``train``.

    ``X_test`` must be given and have rows. A DataFrame ``X`` needs a
    DataFrame ``X_test`` with the same column names, in any order. An array
    ``X`` needs an ``X_test`` with the same number of columns.
    """
    if X_test is None:
        raise ValueError(
            "AdversarialSelector.fit requires X_test, the test rows to compare "
            "with X, but X_test is None. Call fit(X, X_test=X_test); in a "
            "Pipeline enable metadata routing and call "
            "set_fit_request(X_test=True) on the selector."
        )
    if input_is_frame:
        if not isinstance(X_test, pd.DataFrame):
            raise TypeError(
                "X is a DataFrame, so X_test must be a DataFrame with the same "
                f"columns, but got {type(X_test).__name__}."
            )
        test = _aligned_test_frame(train, X_test)
    else:
        array = check_array(
            X_test, dtype=None, ensure_all_finite=False, ensure_min_samples=0
        )
        if array.shape[1] != train.shape[1]:
            raise ValueError(
                f"X_test has {array.shape[1]} columns but X has {train.shape[1]}; "
                "X_test needs the same columns as X."
            )
        test = pd.DataFrame(array)
    if test.shape[0] == 0:
        raise ValueError(
            "X_test has 0 rows; AdversarialSelector needs test rows to compare with X."
        )
    return test


def _is_number_column(column: pd.Series) -> bool:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return False
    return bool(pd.api.types.is_numeric_dtype(dtype))


def _check_test_kinds(train: pd.DataFrame, test: pd.DataFrame) -> None:
    """Raise when a column contains numbers in one frame and not in the other.

    Such a column would become text categories that never match between
    the frames, so the model could not use it and the selector would
    report it as harmless. Object columns that contain numbers count as
    numbers.
    """
    train, test = train.infer_objects(), test.infer_objects()
    mismatched = [
        f"{column!r} ({train[column].dtype} in X, {test[column].dtype} in X_test)"
        for column in train.columns
        if _is_number_column(train[column]) != _is_number_column(test[column])
    ]
    if mismatched:
        raise ValueError(
            "X_test must hold the same kind of values as X in every column, "
            f"but these columns hold numbers in one and not in the other: "
            f"{', '.join(mismatched)}. Convert them, for example with "
            "X_test.astype(X.dtypes.to_dict())."
        )


def _aligned_test_frame(train: pd.DataFrame, X_test: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in train.columns if c not in set(X_test.columns)]
    extra = [c for c in X_test.columns if c not in set(train.columns)]
    if missing or extra:
        raise ValueError(
            f"X_test must have the columns of X. Missing from X_test: {missing}; "
            f"not in X: {extra}. In a Pipeline, pass X_test through the steps "
            "before AdversarialSelector first, or put the selector first."
        )
    return X_test[list(train.columns)]
