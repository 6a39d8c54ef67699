"""LIME explanations for fitted estimators and pipelines on mixed-type data."""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import is_classifier
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from sktricks.explain import _plot
from sktricks.explain._codec import TabularCodec, is_categorical
from sktricks.explain._pipeline import accepts_missing, split_model

logger = logging.getLogger(__name__)

_MODES = ("auto", "classification", "regression")


class LimeExplanation(pd.DataFrame):
    """One LIME explanation: a DataFrame of ``feature`` and ``weight``.

    Rows are sorted by absolute weight, largest first. Besides the columns
    it carries ``label`` (the explained class, or None for regression),
    ``score`` (R² of the local linear model on the perturbed samples),
    ``local_prediction`` (that model's prediction for the row) and
    ``intercept``.
    """

    _metadata: ClassVar[list[str]] = ["label", "score", "local_prediction", "intercept"]

    @property
    def _constructor(self) -> type[LimeExplanation]:
        return LimeExplanation

    def plot(self, ax: Any = None) -> Any:
        """Draw the weights as horizontal bars and return the Figure."""
        shown = self.iloc[::-1]
        figure, ax = _plot.new_axes(ax, 0.35 * len(shown) + 1)
        colours = [
            _plot._POSITIVE if w >= 0 else _plot._NEGATIVE for w in shown["weight"]
        ]
        ax.barh(shown["feature"].astype(str), shown["weight"], color=colours)
        ax.axvline(0.0, color="black", linewidth=0.8)
        target = "prediction" if self.label is None else f"class {self.label!r}"
        ax.set_xlabel(f"LIME weight for {target} (local R² {self.score:.2f})")
        return figure


class LimeExplainer:
    """LIME for a fitted estimator or pipeline on mixed-type tabular data.

    Wraps `lime.lime_tabular.LimeTabularExplainer`. Label columns (string,
    ``object``, ``category`` and boolean dtypes) are encoded as codes for
    LIME and decoded back to a DataFrame with the training columns and
    dtypes before the model is called, so pipelines that select columns by
    name or rely on ``category`` dtype work. Labels read like ``color=red``
    and ``age <= 41.00``.

    Unlike LIME used directly, constant numeric columns are treated as
    categorical, so they get weight 0 instead of degenerate bins. Each
    explanation reseeds LIME's random generator, so the same
    ``random_state`` gives the same explanation for a row whether it is
    explained alone, in `explain_many`, or with any ``n_jobs``.

    NaN in the training data or in a row raises ValueError naming the
    column unless the model handles missing values: a pipeline with an
    imputer, or an estimator without preprocessing whose scikit-learn tags
    allow NaN. In that case LIME's statistics and the row's own bins use
    the column median (numbers) or the most frequent label.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted estimator, scikit-learn `Pipeline` or imbalanced-learn
        `Pipeline` taking rows like ``training_data``.
    training_data : DataFrame
        Rows in the model's input space; LIME samples around a row using
        their statistics.
    mode : {"auto", "classification", "regression"}, default="auto"
        ``"auto"`` uses classification for models with ``predict_proba``.
    categorical_features : "auto", str or list, default="auto"
        Columns LIME treats as categorical. ``"auto"`` takes label columns
        and constant columns. A list of column names or positions must
        include every non-numeric column; a single string other than
        ``"auto"`` names one column.
    discretize_continuous : bool, default=True
        Whether numeric columns are binned into quartiles.
    kernel_width : float > 0, default=None
        Width of LIME's exponential kernel; ``0.75 * sqrt(n_features)`` when
        None, as in LIME.
    random_state : int, RandomState instance or None, default=None
        Seed of each explanation's perturbations.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from sktricks.explain import LimeExplainer
    >>> X = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5, 6, 7], "b": [1.0] * 8})
    >>> model = LinearRegression().fit(X, 2 * X["a"])
    >>> explainer = LimeExplainer(model, X, random_state=0)
    >>> explanation = explainer.explain(X.iloc[0], num_features=2)
    >>> list(explanation["feature"])
    ['a <= 1.75', 'b=1.0']
    >>> float(explanation["weight"].iloc[1])
    0.0
    """

    def __init__(
        self,
        model: Any,
        training_data: Any,
        mode: str = "auto",
        categorical_features: Any = "auto",
        discretize_continuous: bool = True,
        kernel_width: float | None = None,
        random_state: Any = None,
    ) -> None:
        self.model = model
        self.training_data = training_data
        self.mode = mode
        self.categorical_features = categorical_features
        self.discretize_continuous = discretize_continuous
        self.kernel_width = kernel_width
        self.random_state = random_state
        # The explainer is not a scikit-learn estimator, so it prepares LIME
        # here: the statistics depend only on the constructor arguments.
        self._prepare()

    # Preparation

    def _prepare(self) -> None:
        from lime.lime_tabular import LimeTabularExplainer

        if self.mode not in _MODES:
            raise ValueError(f"mode={self.mode!r} is invalid; use one of {_MODES}.")
        _check_kernel_width(self.kernel_width)
        check_is_fitted(self.model)
        training = self._training_frame()
        self._allow_missing = accepts_missing(split_model(self.model))
        _check_missing(training, self._allow_missing, "training_data")

        self._mode = self._resolve_mode()
        self._codec = TabularCodec(training, self._categorical_columns(training))
        encoded = self._codec.encode(training)
        self._fill = _fill_values(encoded, self._codec.categorical_indices)
        encoded = _fill_missing(encoded, self._fill)

        # An int seed is kept as is; otherwise one is drawn once here, so every
        # explanation of this explainer uses the same seed.
        if self.random_state is None:
            self._seed: int | None = None
        else:
            rng = check_random_state(self.random_state)
            self._seed = (
                int(self.random_state)
                if isinstance(self.random_state, int | np.integer)
                else int(rng.randint(np.iinfo(np.int32).max))
            )

        classes = getattr(self.model, "classes_", None)
        if self._mode == "classification" and classes is None:
            raise ValueError(
                f"{type(self.model).__name__} has no classes_, so LIME cannot "
                "name the classes it explains; pass mode='regression' for a "
                "model without predict_proba."
            )
        self._classes = list(classes) if classes is not None else None
        if self._mode == "regression":
            self._classes = None
        self._lime = LimeTabularExplainer(
            encoded,
            mode=self._mode,
            feature_names=[str(c) for c in self._codec.columns],
            categorical_features=self._codec.categorical_indices,
            categorical_names={
                self._codec.columns.index(c): [str(v) for v in labels]
                for c, labels in self._codec.labels.items()
            },
            class_names=[str(c) for c in self._classes] if self._classes else None,
            discretize_continuous=self.discretize_continuous,
            kernel_width=self.kernel_width,
            random_state=self._seed,
        )

    def _training_frame(self) -> pd.DataFrame:
        data = self.training_data
        if not isinstance(data, pd.DataFrame):
            array = np.asarray(data)
            if array.ndim != 2:
                raise ValueError(
                    f"training_data must be 2-D; got an array of shape {array.shape}."
                )
            names = getattr(self.model, "feature_names_in_", None)
            if names is None or len(names) != array.shape[1]:
                names = [f"x{i}" for i in range(array.shape[1])]
            # A mixed array has object dtype throughout, so numbers are
            # converted back. Otherwise every number would become a category.
            data = pd.DataFrame(array, columns=list(names)).infer_objects()
        if len(data) < 2:
            raise ValueError(
                f"training_data has {len(data)} rows; LIME needs at least 2 to "
                "estimate the spread of each column."
            )
        return data.reset_index(drop=True)

    def _resolve_mode(self) -> str:
        if self.mode != "auto":
            return self.mode
        if is_classifier(self.model) or hasattr(self.model, "predict_proba"):
            return "classification"
        return "regression"

    def _categorical_columns(self, training: pd.DataFrame) -> list[str] | None:
        if not (
            isinstance(self.categorical_features, str)
            and self.categorical_features == "auto"
        ):
            return _listed_categorical_columns(self.categorical_features, training)
        detected = TabularCodec(training).categorical
        # A constant column has zero spread, which gives LIME empty quartile
        # bins; as a category it is sampled as its single value.
        constant = [
            c
            for c in training.columns
            if c not in detected and _is_constant(training[c])
        ]
        return detected + constant

    # Public API

    def explain(
        self,
        row: Any,
        num_features: int = 10,
        label: Any = None,
        num_samples: int = 5000,
    ) -> LimeExplanation:
        """Explain one row.

        Parameters
        ----------
        row : Series, dict or one-row DataFrame
            The row, with the training columns.
        num_features : int >= 1, default=10
            Maximum number of features in the explanation.
        label : object, default=None
            Class to explain; the class with the highest predicted
            probability for the row when None. Ignored for regression.
        num_samples : int >= 1, default=5000
            Number of perturbed samples LIME draws around the row.

        Returns
        -------
        LimeExplanation
            DataFrame with ``feature`` and ``weight`` columns and the
            ``label``, ``score``, ``local_prediction`` and ``intercept``
            attributes.
        """
        _check_positive_int(num_features, "num_features")
        _check_positive_int(num_samples, "num_samples")
        frame = self._row_frame(row)
        _check_missing(frame, self._allow_missing, "row")
        encoded = _fill_missing(self._codec.encode(frame), self._fill)[0]

        label_index = self._label_index(label)
        if self._seed is not None:
            # LIME's explainer, discretizer and local model share this one
            # generator, so reseeding it makes every draw repeatable.
            self._lime.random_state.seed(self._seed)
        # Without a label, LIME's top_labels=1 explains the class with the
        # highest probability for the row, which saves one model call.
        top_labels = 1 if self._classes is not None and label_index is None else None
        result = self._lime.explain_instance(
            encoded,
            self._predict,
            labels=(label_index,) if label_index is not None else (1,),
            top_labels=top_labels,
            num_features=num_features,
            num_samples=num_samples,
        )
        if top_labels is not None:
            label_index = int(result.top_labels[0])
        return self._to_frame(result, label_index)

    def explain_many(
        self,
        X: pd.DataFrame,
        num_features: int = 10,
        label: Any = None,
        num_samples: int = 5000,
        n_jobs: int | None = None,
    ) -> list[LimeExplanation]:
        """Explain every row of ``X``, in row order, optionally in parallel.

        Each row gets the explanation `explain` would give it, whatever
        ``n_jobs`` is. ``n_jobs`` follows joblib: None means one job, -1
        all cores; jobs are processes, so the model must be picklable.
        """
        # Checked here too, so a bad value fails before any worker starts.
        _check_positive_int(num_features, "num_features")
        _check_positive_int(num_samples, "num_samples")
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(np.asarray(X), columns=self._codec.columns)
        if n_jobs is None or n_jobs == 1:
            return self._explain_rows(X, num_features, label, num_samples)

        # One contiguous chunk per job, so the explainer and model are sent to
        # each worker process once rather than once per row.
        n_chunks = min(len(X), effective_n_jobs(n_jobs))
        chunks = np.array_split(np.arange(len(X)), n_chunks)
        results = Parallel(n_jobs=n_jobs)(
            delayed(self._explain_rows)(X.iloc[chunk], num_features, label, num_samples)
            for chunk in chunks
        )
        return [explanation for chunk in results for explanation in chunk]

    def _explain_rows(
        self, X: pd.DataFrame, num_features: int, label: Any, num_samples: int
    ) -> list[LimeExplanation]:
        return [
            self.explain(X.iloc[[i]], num_features, label, num_samples)
            for i in range(len(X))
        ]

    def plot(
        self, row: Any, num_features: int = 10, label: Any = None, ax: Any = None
    ) -> Any:
        """Explain ``row`` (or take a `LimeExplanation`) and return its Figure."""
        explanation = (
            row
            if isinstance(row, LimeExplanation)
            else self.explain(row, num_features=num_features, label=label)
        )
        return explanation.plot(ax=ax)

    # Steps of `explain`

    def _row_frame(self, row: Any) -> pd.DataFrame:
        if isinstance(row, dict):
            row = pd.DataFrame([row])
        elif isinstance(row, pd.Series):
            row = row.to_frame().T
        elif not isinstance(row, pd.DataFrame):
            values = np.asarray(row, dtype=object).reshape(1, -1)
            row = pd.DataFrame(values, columns=self._codec.columns)
        if len(row) != 1:
            raise ValueError(
                f"row has {len(row)} rows; pass one row, or use explain_many."
            )
        missing = [c for c in self._codec.columns if c not in row.columns]
        if missing:
            raise ValueError(
                f"row is missing the training columns {missing}; pass a row with "
                "every column of training_data."
            )
        row = row[self._codec.columns]
        if row.dtypes.equals(self._codec.dtypes):
            return row
        # A Series turned into a one-row frame has object dtype, so the
        # training dtypes are restored. A NaN in an integer column stays a
        # float, so that the missing-value check or the fill value handles it.
        dtypes = self._codec.dtypes.to_dict()
        for column, has_missing in row.isna().any().items():
            if has_missing and pd.api.types.is_integer_dtype(dtypes[column]):
                dtypes[column] = np.float64
        return row.astype(dtypes)

    def _label_index(self, label: Any) -> int | None:
        if self._classes is None or label is None:
            return None
        if label not in self._classes:
            raise ValueError(
                f"label={label!r} is not a class of the model; use one of "
                f"{self._classes}."
            )
        return self._classes.index(label)

    def _predict(self, matrix: np.ndarray) -> np.ndarray:
        frame = self._codec.decode(matrix)
        if self._mode == "classification":
            return np.asarray(self.model.predict_proba(frame))
        return np.asarray(self.model.predict(frame), dtype=float).ravel()

    def _to_frame(self, result: Any, label_index: int | None) -> LimeExplanation:
        key = label_index if label_index is not None else 1
        pairs = result.as_list(label=key)
        explanation = LimeExplanation(
            {
                "feature": [p[0] for p in pairs],
                "weight": [float(p[1]) for p in pairs],
            }
        )
        explanation.label = self._classes[key] if self._classes is not None else None
        explanation.score = float(result.score)
        explanation.local_prediction = float(np.ravel(result.local_pred)[0])
        explanation.intercept = float(result.intercept[key])
        return explanation


def _check_positive_int(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}={value!r} is invalid; use an integer >= 1.")


def _check_kernel_width(kernel_width: Any) -> None:
    if kernel_width is None:
        return
    if (
        isinstance(kernel_width, bool)
        or not isinstance(kernel_width, numbers.Real)
        or not math.isfinite(kernel_width)
        or kernel_width <= 0
    ):
        raise ValueError(
            f"kernel_width={kernel_width!r} is invalid; use a finite number > 0, "
            "or None for 0.75 * sqrt(n_features)."
        )


def _listed_categorical_columns(listed: Any, training: pd.DataFrame) -> list[str]:
    """Check ``categorical_features`` given as column names and return them.

    A bare string is taken as one column name. Every string, ``object`` and
    ``category`` column must be listed, because LIME can only perturb it
    through its label codes. Boolean columns may be left out and stay numbers.
    """
    if isinstance(listed, str):
        columns = [listed]
    elif isinstance(listed, Iterable):
        columns = list(listed)
    else:
        raise TypeError(
            f"categorical_features={listed!r} is invalid; use 'auto' or a list "
            "of column names."
        )

    names = list(training.columns)
    columns = [_column_name(c, names) for c in columns]
    unknown = [c for c in columns if c not in training.columns]
    if unknown:
        raise ValueError(
            f"categorical_features names columns {unknown} that are not "
            f"in training_data; use column names or positions from 0 to "
            f"{len(names) - 1}."
        )

    unlisted = [
        c
        for c in training.columns
        if c not in columns
        and is_categorical(training[c])
        and not pd.api.types.is_bool_dtype(training[c].dtype)
    ]
    if unlisted:
        raise ValueError(
            f"categorical_features={columns!r} leaves out the non-numeric "
            f"columns {unlisted}; add them to categorical_features, or use "
            "'auto'."
        )
    return columns


def _column_name(column: Any, names: list[Any]) -> Any:
    """Return the name of ``column``, reading an integer that is no name as a position.

    LIME itself takes ``categorical_features`` as column positions.
    """
    if column in names or isinstance(column, bool):
        return column
    if isinstance(column, numbers.Integral) and -len(names) <= int(column) < len(names):
        return names[int(column)]
    return column


def _is_constant(series: pd.Series) -> bool:
    present = series.dropna()
    return present.empty or bool((present == present.iloc[0]).all())


def _check_missing(frame: pd.DataFrame, allowed: bool, name: str) -> None:
    if allowed:
        return
    has_missing = frame.isna().any()
    columns = list(has_missing.index[has_missing.to_numpy()])
    if columns:
        raise ValueError(
            f"{name} has NaN in the columns {columns}, and the model does not "
            "impute them. Fill or drop them, or explain a pipeline whose first "
            "steps impute missing values."
        )


def _fill_values(encoded: np.ndarray, categorical: list[int]) -> np.ndarray:
    """Return a stand-in per column for NaN.

    The median for numeric columns and the most frequent code for label
    columns; 0 for a column that is all NaN.
    """
    fill = np.zeros(encoded.shape[1])
    for j in range(encoded.shape[1]):
        present = encoded[~np.isnan(encoded[:, j]), j]
        if present.size == 0:
            continue
        if j in categorical:
            codes, counts = np.unique(present, return_counts=True)
            fill[j] = codes[np.argmax(counts)]
        else:
            fill[j] = np.median(present)
    return fill


def _fill_missing(encoded: np.ndarray, fill: np.ndarray) -> np.ndarray:
    missing = np.isnan(encoded)
    if not missing.any():
        return encoded
    out = encoded.copy()
    out[missing] = np.take(fill, np.nonzero(missing)[1])
    return out
