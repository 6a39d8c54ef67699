"""Distillation: train a fast student on a teacher's out-of-fold predictions."""

from __future__ import annotations

import logging
from numbers import Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    _fit_context,
    clone,
    is_regressor,
)
from sklearn.metrics import accuracy_score, r2_score
from sklearn.multioutput import MultiOutputRegressor
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    has_fit_parameter,
)

from sktricks.label._base import (
    check_class_counts,
    check_not_empty,
    delegate_input_tags,
    encode_classes,
    softmax,
    validate_features,
)
from sktricks.model_selection import cross_val_oof
from sktricks.utils._validation import check_text_columns, is_lightgbm_or_xgboost

logger = logging.getLogger(__name__)

__all__ = ["DistilledClassifier", "DistilledRegressor"]

# Teacher probabilities are clipped before the logarithm so that a teacher
# answering exactly 0 or 1 (a random forest, for example) gives finite logits.
_PROBABILITY_FLOOR = 1e-6
_SWAP_PROBABILITY = 0.15
_MIXUP_BETA = 0.4


class _BaseDistilled(MetaEstimatorMixin, BaseEstimator):
    _parameter_constraints: ClassVar[dict] = {
        "teacher": [HasMethods("fit")],
        "student": [HasMethods(["fit", "predict"])],
        "cv": ["cv_object"],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "augment": [StrOptions({"mixup", "swap_noise"}), None],
        "n_augment": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        teacher: Any,
        student: Any,
        cv: Any = 5,
        temperature: float = 1.0,
        augment: str | None = None,
        n_augment: float = 1.0,
        random_state: Any = None,
    ) -> None:
        self.teacher = teacher
        self.student = student
        self.cv = cv
        self.temperature = temperature
        self.augment = augment
        self.n_augment = n_augment
        self.random_state = random_state

    # Steps shared by both tasks ----------------------------------------------

    def _check_weights(self, sample_weight: Any, n_samples: int) -> Any:
        """Validate ``sample_weight`` and check both models can take it."""
        if sample_weight is None:
            return None
        for role, model in (("teacher", self.teacher), ("student", self.student)):
            if not has_fit_parameter(model, "sample_weight"):
                raise TypeError(
                    f"The {role} {type(model).__name__}.fit does not take "
                    "sample_weight; use a model that does, or fit without weights."
                )
        return _check_sample_weight(sample_weight, np.empty(n_samples))

    def _distill(self, X: Any, y: np.ndarray, sample_weight: Any = None) -> None:
        if not is_regressor(self.student):
            raise TypeError(
                f"student must be a regressor because it learns the teacher's "
                f"predictions (logits for classes); got "
                f"{type(self.student).__name__}. Use for example LGBMRegressor."
            )
        # Checked before the teacher's folds, which may take long to fit.
        if is_lightgbm_or_xgboost(self.student):
            check_text_columns(X, type(self).__name__)
        rng = check_random_state(self.random_state)
        teacher = _explicit_final_estimator(clone(self.teacher))
        weight_params = (
            {} if sample_weight is None else {"sample_weight": sample_weight}
        )
        result = cross_val_oof(
            teacher, X, y, cv=self.cv, method=self._method, params=weight_params
        )
        teacher_oof = self._teacher_targets(np.asarray(result.oof_, dtype=float))

        # Students trained per fold on the other folds' targets measure how
        # well the student imitates the teacher on rows it has not seen.
        # NOTE: the targets of a fold's training rows come from teacher models
        # that saw the held-out rows' labels, so student_score_ may be
        # slightly optimistic; fidelity_ compares predictions only.
        student_oof = np.empty_like(teacher_oof)
        for (train, test), teacher_fold in zip(
            result.folds_, result.estimators_, strict=True
        ):
            student = self._fit_student(
                _safe_indexing(X, train),
                teacher_oof[train],
                teacher_fold,
                rng,
                None if sample_weight is None else sample_weight[train],
            )
            student_oof[test] = _as_2d(student.predict(_safe_indexing(X, test)))

        self.teacher_ = clone(teacher).fit(X, y, **weight_params)
        self.student_ = self._fit_student(
            X, teacher_oof, self.teacher_, rng, sample_weight
        )
        self.teacher_oof_ = teacher_oof
        self.student_oof_ = student_oof
        self._score(y, teacher_oof, student_oof)
        logger.info(
            "Distilled %s into %s: fidelity %.4f",
            type(self.teacher).__name__,
            type(self.student).__name__,
            self.fidelity_,
        )

    def _fit_student(
        self,
        X: Any,
        targets: np.ndarray,
        teacher: Any,
        rng: np.random.RandomState,
        sample_weight: Any = None,
    ) -> Any:
        student = clone(self.student)
        if (
            targets.shape[1] > 1
            and not student.__sklearn_tags__().target_tags.multi_output
        ):
            student = MultiOutputRegressor(student)
        if self.augment is not None:
            synthetic = _augment(X, self.augment, self.n_augment, rng)
            if synthetic is not None:
                synthetic_targets = self._teacher_targets(
                    self._teacher_predict(teacher, synthetic)
                )
                X = _concat_rows(X, synthetic)
                targets = np.vstack([targets, synthetic_targets])
                if sample_weight is not None:
                    # A synthetic row mixes random rows, so it gets the
                    # average weight.
                    n_synthetic = targets.shape[0] - sample_weight.shape[0]
                    sample_weight = np.r_[
                        sample_weight, np.full(n_synthetic, sample_weight.mean())
                    ]
        y_student = targets[:, 0] if targets.shape[1] == 1 else targets
        if sample_weight is None:
            return student.fit(X, y_student)
        return student.fit(X, y_student, sample_weight=sample_weight)


class DistilledClassifier(ClassifierMixin, _BaseDistilled):
    """Distil a slow classifier (for example a stack) into a fast regressor.

    The teacher's out-of-fold probabilities, collected with
    :func:`~sktricks.model_selection.cross_val_oof`, become regression
    targets: the logit of the positive class for a binary target, the
    centred log-probabilities of every class otherwise, divided by
    ``temperature``. The student, a regressor, learns them on all training
    rows, and optionally on synthetic rows labelled by the teacher.
    ``predict_proba`` turns the student's output back into probabilities
    with the sigmoid or softmax. Out-of-fold targets keep the student from
    copying a teacher that overfits its own training rows.

    Parameters
    ----------
    teacher : classifier
        The model to imitate; needs ``predict_proba``.
    student : regressor
        The fast model, for example ``LGBMRegressor``. A student that does
        not support several outputs is wrapped in ``MultiOutputRegressor``
        for three or more classes.
    cv : int, cross-validation generator or iterable, default=5
        Folds for the teacher's out-of-fold predictions.
    temperature : float, default=1.0
        Divides the teacher's logits; values above 1 give the student softer
        targets and softer ``predict_proba``. The predicted class does not
        change with it.
    augment : {"mixup", "swap_noise"} or None, default=None
        Synthetic rows added to the student's training data, labelled by
        the teacher fitted on the same rows. ``"mixup"`` mixes two random
        rows with a Beta(0.4, 0.4) weight (a non-numeric column takes the
        value of the row with the larger weight); ``"swap_noise"`` copies a
        row and replaces each value with probability 0.15 by the same
        column's value in another random row.
    n_augment : float, default=1.0
        Number of synthetic rows as a multiple of the training rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the augmentation.

    Attributes
    ----------
    teacher_ : estimator
        The teacher fitted on all rows, used to label synthetic rows.
    student_ : estimator
        The fitted student.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    teacher_oof_ : ndarray of shape (n_samples, n_targets)
        The student's targets: the teacher's out-of-fold logits.
    student_oof_ : ndarray of shape (n_samples, n_targets)
        Out-of-fold output of students fitted per fold.
    fidelity_ : float
        Share of held-out rows where the per-fold student predicts the same
        class as the teacher's out-of-fold prediction.
    teacher_score_ : float
        Accuracy of the teacher's out-of-fold predictions.
    student_score_ : float
        Accuracy of the per-fold students on their held-out rows.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Column names seen during fit, when ``X`` has string column names.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.linear_model import Ridge
    >>> from sktricks.label import DistilledClassifier
    >>> X, y = make_classification(n_samples=300, random_state=0)
    >>> model = DistilledClassifier(
    ...     RandomForestClassifier(n_estimators=50, random_state=0), Ridge(), cv=3
    ... ).fit(X, y)
    >>> bool(model.fidelity_ > 0.8)
    True
    """

    _method = "predict_proba"

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> DistilledClassifier:
        """Fit the teacher out of fold, then the student on its predictions.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data, passed to both models as given.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights for every teacher and student fit; synthetic rows
            from ``augment`` get the mean weight. Both models' ``fit`` must
            take ``sample_weight``.

        Returns
        -------
        self : DistilledClassifier
        """
        X = validate_features(self, X, reset=True)
        n_samples = check_not_empty(X)
        self.classes_, y_encoded = encode_classes(y, n_samples)
        check_class_counts(y_encoded, self.classes_, self.cv)
        self._distill(X, y_encoded, self._check_weights(sample_weight, n_samples))
        return self

    def _teacher_predict(self, teacher: Any, X: Any) -> np.ndarray:
        proba = np.asarray(teacher.predict_proba(X), dtype=float)
        return proba[:, 1] if self.classes_.shape[0] == 2 else proba

    def _teacher_targets(self, proba: np.ndarray) -> np.ndarray:
        proba = np.clip(proba, _PROBABILITY_FLOOR, 1.0 - _PROBABILITY_FLOOR)
        if proba.ndim == 1:
            return (np.log(proba) - np.log1p(-proba))[:, None] / self.temperature
        log_proba = np.log(proba)
        centred = log_proba - log_proba.mean(axis=1, keepdims=True)
        return centred / self.temperature

    def _score(
        self, y: np.ndarray, teacher_oof: np.ndarray, student_oof: np.ndarray
    ) -> None:
        teacher_labels = _labels_from_logits(teacher_oof)
        student_labels = _labels_from_logits(student_oof)
        self.fidelity_ = float(np.mean(teacher_labels == student_labels))
        self.teacher_score_ = float(accuracy_score(y, teacher_labels))
        self.student_score_ = float(accuracy_score(y, student_labels))

    def decision_function(self, X: Any) -> np.ndarray:
        """Return the student's raw output (logits).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        logits : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = validate_features(self, X, reset=False)
        return np.asarray(self.student_.predict(X), dtype=float)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return class probabilities from the student's logits.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        logits = self.decision_function(X)
        if logits.ndim == 1:
            positive = expit(logits)
            return np.column_stack([1.0 - positive, positive])
        return softmax(logits)

    def predict(self, X: Any) -> np.ndarray:
        """Return the most probable class of each row.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        logits = self.decision_function(X)
        return self.classes_[_labels_from_logits(_as_2d(logits))]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        return delegate_input_tags(tags, self.student)


class DistilledRegressor(RegressorMixin, _BaseDistilled):
    """Distil a slow regressor (for example a stack) into a fast one.

    The student learns the teacher's out-of-fold predictions, collected
    with :func:`~sktricks.model_selection.cross_val_oof`, instead of the
    raw target, optionally with synthetic rows labelled by the teacher.
    ``temperature`` has no effect on regression.

    Parameters
    ----------
    teacher : regressor
        The model to imitate.
    student : regressor
        The fast model, for example ``LGBMRegressor``.
    cv : int, cross-validation generator or iterable, default=5
        Folds for the teacher's out-of-fold predictions.
    temperature : float, default=1.0
        Unused for regression; kept so both distillers share parameters.
    augment : {"mixup", "swap_noise"} or None, default=None
        Synthetic rows, as in :class:`DistilledClassifier`.
    n_augment : float, default=1.0
        Number of synthetic rows as a multiple of the training rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the augmentation.

    Attributes
    ----------
    teacher_ : estimator
        The teacher fitted on all rows.
    student_ : estimator
        The fitted student.
    teacher_oof_ : ndarray of shape (n_samples, 1)
        The student's targets: the teacher's out-of-fold predictions.
    student_oof_ : ndarray of shape (n_samples, 1)
        Out-of-fold predictions of students fitted per fold.
    fidelity_ : float
        R² of the per-fold students' held-out predictions against the
        teacher's out-of-fold predictions.
    teacher_score_ : float
        R² of the teacher's out-of-fold predictions against ``y``.
    student_score_ : float
        R² of the per-fold students' held-out predictions against ``y``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Column names seen during fit, when ``X`` has string column names.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from sklearn.linear_model import Ridge
    >>> from sktricks.label import DistilledRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    >>> model = DistilledRegressor(
    ...     RandomForestRegressor(n_estimators=30, random_state=0), Ridge(), cv=3
    ... ).fit(X, y)
    >>> model.predict(X[:3]).shape
    (3,)
    """

    _method = "predict"

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> DistilledRegressor:
        """Fit the teacher out of fold, then the student on its predictions.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data, passed to both models as given.
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights for every teacher and student fit; synthetic rows
            from ``augment`` get the mean weight. Both models' ``fit`` must
            take ``sample_weight``.

        Returns
        -------
        self : DistilledRegressor
        """
        X = validate_features(self, X, reset=True)
        n_samples = check_not_empty(X)
        y = column_or_1d(np.asarray(y), warn=True).astype(float)
        if y.shape[0] != n_samples:
            raise ValueError(
                f"X has {n_samples} rows but y has {y.shape[0]}; they must match."
            )
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinity; drop or impute those rows.")
        self._distill(X, y, self._check_weights(sample_weight, n_samples))
        return self

    def _teacher_predict(self, teacher: Any, X: Any) -> np.ndarray:
        return np.asarray(teacher.predict(X), dtype=float)

    def _teacher_targets(self, predictions: np.ndarray) -> np.ndarray:
        return predictions.reshape(-1, 1)

    def _score(
        self, y: np.ndarray, teacher_oof: np.ndarray, student_oof: np.ndarray
    ) -> None:
        self.fidelity_ = float(r2_score(teacher_oof[:, 0], student_oof[:, 0]))
        self.teacher_score_ = float(r2_score(y, teacher_oof[:, 0]))
        self.student_score_ = float(r2_score(y, student_oof[:, 0]))

    def predict(self, X: Any) -> np.ndarray:
        """Return the student's predictions.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_features(self, X, reset=False)
        return np.asarray(self.student_.predict(X), dtype=float)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        return delegate_input_tags(tags, self.student)


def _explicit_final_estimator(teacher: Any) -> Any:
    """Name the default final estimator of an unfitted scikit-learn stack.

    In scikit-learn 1.9, an unfitted ``StackingClassifier`` or
    ``StackingRegressor`` with ``final_estimator=None`` reports no
    ``predict`` or ``predict_proba`` (its ``available_if`` check looks at the
    ``None``), so ``cross_val_oof`` would reject it. Setting the default the
    stack itself uses (``LogisticRegression()`` or ``RidgeCV()``) changes
    nothing else.
    """
    from sklearn.ensemble import StackingClassifier, StackingRegressor
    from sklearn.linear_model import LogisticRegression, RidgeCV

    if getattr(teacher, "final_estimator", "") is not None:
        return teacher
    if isinstance(teacher, StackingClassifier):
        return teacher.set_params(final_estimator=LogisticRegression())
    if isinstance(teacher, StackingRegressor):
        return teacher.set_params(final_estimator=RidgeCV())
    return teacher


# Augmentation -----------------------------------------------------------------


def _augment(X: Any, kind: str, n_augment: float, rng: np.random.RandomState) -> Any:
    """Return ``round(n_augment * n_rows)`` synthetic rows, or None for zero."""
    if hasattr(X, "tocsr"):
        raise TypeError(
            f"augment={kind!r} does not support sparse X; pass a dense array or "
            "DataFrame, or augment=None."
        )
    n_rows = X.shape[0]
    n_synthetic = round(n_augment * n_rows)
    if n_synthetic == 0:
        return None
    first = rng.randint(n_rows, size=n_synthetic)
    second = rng.randint(n_rows, size=n_synthetic)
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)

    columns = {}
    if kind == "mixup":
        weight = rng.beta(_MIXUP_BETA, _MIXUP_BETA, size=n_synthetic)
        for name in frame.columns:
            a = frame[name].to_numpy()[first]
            b = frame[name].to_numpy()[second]
            if pd.api.types.is_numeric_dtype(
                frame[name]
            ) and not pd.api.types.is_bool_dtype(frame[name]):
                columns[name] = weight * a + (1.0 - weight) * b
            else:
                columns[name] = np.where(weight >= 0.5, a, b)
    else:
        for name in frame.columns:
            values = frame[name].to_numpy()
            donors = rng.randint(n_rows, size=n_synthetic)
            swap = rng.random_sample(n_synthetic) < _SWAP_PROBABILITY
            columns[name] = np.where(swap, values[donors], values[first])
    synthetic = pd.DataFrame(columns, columns=frame.columns)
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            synthetic[name] = pd.Categorical(
                synthetic[name], categories=frame[name].cat.categories
            )
    if isinstance(X, pd.DataFrame):
        return synthetic
    return synthetic.to_numpy(dtype=X.dtype if X.dtype.kind in "fc" else float)


def _concat_rows(X: Any, synthetic: Any) -> Any:
    if isinstance(X, pd.DataFrame):
        return pd.concat([X, synthetic], ignore_index=True)
    return np.vstack([X, synthetic])


def _as_2d(values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array.reshape(-1, 1) if array.ndim == 1 else array


def _labels_from_logits(logits: np.ndarray) -> np.ndarray:
    """Class indices from binary logits (one column) or class scores."""
    if logits.shape[1] == 1:
        return (logits[:, 0] > 0).astype(int)
    return np.argmax(logits, axis=1)
