"""SHAP values for fitted estimators and pipelines, in one shape for all."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from sktricks.exceptions import SktricksWarning
from sktricks.explain._codec import TabularCodec, is_categorical
from sktricks.explain._explanation import Explanation
from sktricks.explain._models import model_family, model_output, output_space
from sktricks.explain._pipeline import (
    feature_names_out,
    source_columns,
    split_model,
    to_frame,
    transform,
)

logger = logging.getLogger(__name__)

_ALGORITHMS = ("auto", "tree", "linear", "permutation")
_GROUPINGS = ("original", "transformed")


class ShapExplainer:
    """SHAP values for a fitted estimator or pipeline, one row per input row.

    The preprocessing steps of a scikit-learn or imbalanced-learn `Pipeline`
    transform the data (samplers are skipped) and the final estimator is
    explained with the fastest exact method that shap offers for it:

    - ``"tree"``: `shap.TreeExplainer` with path-dependent perturbation for
      LightGBM, XGBoost, CatBoost and scikit-learn trees, forests, gradient
      boosting and HistGradientBoosting. It needs no background data.
    - ``"linear"``: `shap.LinearExplainer` for scikit-learn linear models,
      with features assumed independent over the background.
    - ``"permutation"``: the model-agnostic `shap.PermutationExplainer` over
      a background of at most ``background_size`` rows sampled with
      ``random_state``. Its values add up exactly to the model output.

    With ``algorithm="auto"`` a model that shap's tree explainer rejects
    (for example HistGradientBoosting with native categorical features)
    falls back to ``"permutation"`` with a `SktricksWarning`.

    What the values add up to is stated in `Explanation.output`:

    - ``"margin"``: the raw score before the link function, for
      gradient-boosted models and linear classifiers. It is the log-odds for
      binary classifiers, the per-class logits for multiclass ones, the
      prediction for squared-error regression and the log of the prediction
      for Poisson, gamma and Tweedie losses.
    - ``"probability"``: ``predict_proba``, for scikit-learn tree and forest
      classifiers and for classifiers explained by permutation.
    - ``"prediction"``: ``predict``, for other regressors.

    A binary classifier gives the values of the positive class
    (``classes_[1]``) only, shape ``(n_rows, n_features)``, for every model
    family, and ``Explanation.frame(classes_[0])`` derives the other class
    from them. A multiclass classifier gives one DataFrame per class.

    Unlike calling shap directly, this class accepts whole pipelines, sums
    one-hot and other derived columns back into the input column they came
    from, normalises the output shapes that differ between model families
    and shap versions, and checks additivity against the model itself.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted estimator, scikit-learn `Pipeline` or imbalanced-learn
        `Pipeline`.
    background : DataFrame or array-like, default=None
        Rows in the model's input space used by the linear and permutation
        explainers as the reference distribution. When None, the rows passed
        to `explain` are used. Tree explainers ignore it.
    algorithm : {"auto", "tree", "linear", "permutation"}, default="auto"
        Explainer to use; ``"auto"`` picks by model family as above.
    grouping : {"original", "transformed"}, default="original"
        ``"original"`` sums the columns that the preprocessing made from one
        input column (found with ``get_feature_names_out``) back into that
        column; sums keep additivity. ``"transformed"`` keeps the columns
        the final estimator sees.
    random_state : int, RandomState instance or None, default=None
        Seeds the background sample and the permutations of the
        model-agnostic explainer.
    background_size : int, default=100
        Maximum number of background rows for the linear and permutation
        explainers.
    check_additivity : bool, default=True
        Check that base value plus row sum equals the model's own output in
        the stated space, and raise ValueError if it does not.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktricks.explain import ShapExplainer
    >>> X = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5], "b": [1.0, 0, 1, 0, 1, 0]})
    >>> model = LogisticRegression().fit(X, [0, 0, 0, 1, 1, 1])
    >>> explanation = ShapExplainer(model).explain(X)
    >>> explanation.output
    'margin'
    >>> explanation.values.shape
    (6, 2)
    >>> total = explanation.values.sum(axis=1) + explanation.base_values
    >>> bool(np.allclose(total, model.decision_function(X)))
    True
    """

    def __init__(
        self,
        model: Any,
        background: Any = None,
        algorithm: str = "auto",
        grouping: str = "original",
        random_state: Any = None,
        background_size: int = 100,
        check_additivity: bool = True,
    ) -> None:
        self.model = model
        self.background = background
        self.algorithm = algorithm
        self.grouping = grouping
        self.random_state = random_state
        self.background_size = background_size
        self.check_additivity = check_additivity

    # Validation and preparation

    def _validate(self) -> None:
        if self.algorithm not in _ALGORITHMS:
            raise ValueError(
                f"algorithm={self.algorithm!r} is invalid; use one of {_ALGORITHMS}."
            )
        if self.grouping not in _GROUPINGS:
            raise ValueError(
                f"grouping={self.grouping!r} is invalid; use one of {_GROUPINGS}."
            )
        if (
            not isinstance(self.background_size, int | np.integer)
            or self.background_size < 1
        ):
            raise ValueError(
                f"background_size={self.background_size!r} is invalid; use a "
                "positive integer."
            )
        check_is_fitted(self.model)

    def _input_frame(self, X: Any) -> pd.DataFrame:
        if isinstance(X, pd.Series):
            X = self._series_row(X)
        if isinstance(X, pd.DataFrame):
            frame = X
        else:
            array = np.asarray(X)
            if array.ndim == 1:
                array = array.reshape(1, -1)
            names = getattr(self.model, "feature_names_in_", None)
            if names is None or len(names) != array.shape[1]:
                names = [f"x{i}" for i in range(array.shape[1])]
            frame = pd.DataFrame(array, columns=list(names))
        if len(frame) == 0:
            raise ValueError("X has no rows; pass at least one row to explain.")
        expected = getattr(self.model, "feature_names_in_", None)
        if expected is not None:
            missing = [c for c in expected if c not in frame.columns]
            if missing:
                raise ValueError(
                    f"X is missing the columns {missing} that the model was "
                    "fitted on; pass a DataFrame with every training column."
                )
            # Reordered columns are put back in training order, as the
            # model's own column check would otherwise reject them.
            frame = frame[list(expected)]
        return frame

    def _series_row(self, row: pd.Series) -> pd.DataFrame:
        """Turn one row such as ``X.iloc[0]`` into a one-row DataFrame.

        A row taken from a mixed-type frame has ``object`` dtype, which
        LightGBM and XGBoost reject, so numbers are converted back and, when
        ``background`` is a DataFrame, its column dtypes (``category`` too)
        are restored.
        """
        frame = row.to_frame().T.infer_objects()
        if isinstance(self.background, pd.DataFrame):
            dtypes = {
                column: dtype
                for column, dtype in self.background.dtypes.items()
                if column in frame.columns
            }
            frame = frame.astype(dtypes)
        return frame

    # Public API

    def explain(self, X: Any) -> Explanation:
        """Compute SHAP values for the rows of ``X``.

        Parameters
        ----------
        X : DataFrame, Series or array-like of shape (n_rows, n_features)
            Rows in the model's input space (before any preprocessing). A
            Series or 1-D array is one row; it needs ``background`` for the
            linear and permutation explainers, and a DataFrame
            ``background`` restores its ``category`` dtypes.

        Returns
        -------
        Explanation
            Values, base values, data and output space; see `Explanation`.
        """
        self._validate()
        frame = self._input_frame(X)
        parts = split_model(self.model)
        estimator = parts.estimator

        transformed = self._transformed_frame(parts.steps, frame)
        model_input = _model_input(estimator, transformed)
        family = self._family(estimator)

        values, base, output, fallback = self._raw_values(
            estimator, family, model_input, parts.steps
        )
        if fallback is not None:
            warnings.warn(
                f"shap's TreeExplainer rejected {type(estimator).__name__} "
                f"({fallback}); used the model-agnostic permutation explainer "
                "instead, whose values add up to probabilities or predictions.",
                SktricksWarning,
                stacklevel=2,
            )
        classes = list(estimator.classes_) if is_classifier(estimator) else None
        values, base, classes = _select_outputs(values, base, classes)
        _check_finite(values, base, list(transformed.columns), family)

        if self.check_additivity:
            expected = model_output(estimator, model_input, output)
            if is_classifier(estimator) and len(classes or []) == 2:
                expected = expected[:, -1:]
            _check_additivity(values, base, expected, output)

        if self.grouping == "original":
            values, names, data = self._group(values, parts.steps, frame, transformed)
        else:
            names, data = list(transformed.columns), transformed
        return Explanation.from_arrays(values, base, data, names, output, classes)

    def global_importance(self, X: Any, label: Any = None) -> pd.Series:
        """Return the mean absolute SHAP value of each column, largest first.

        For a multiclass model the mean absolute values of all classes are
        summed unless ``label`` names one class.
        """
        return self.explain(X).global_importance(label=label)

    def plot(self, X: Any, kind: str = "bar", **kwargs: Any) -> Any:
        """Plot the explanation of ``X`` and return the matplotlib Figure.

        ``kind`` is ``"bar"``, ``"beeswarm"``, ``"waterfall"`` or
        ``"dependence"``; the keyword arguments are those of
        `Explanation.plot`. No global pyplot state is touched.
        """
        return self.explain(X).plot(kind=kind, **kwargs)

    # Steps of `explain`

    def _transformed_frame(self, steps: list[Any], frame: pd.DataFrame) -> pd.DataFrame:
        Xt = transform(steps, frame)
        names = feature_names_out(steps, list(frame.columns))
        n_columns = Xt.shape[1]
        if names is None or len(names) != n_columns:
            names = [f"x{i}" for i in range(n_columns)]
        return to_frame(Xt, names, frame.index)

    def _family(self, estimator: Any) -> str:
        if self.algorithm != "auto":
            return self.algorithm
        return model_family(estimator)

    def _raw_values(
        self, estimator: Any, family: str, model_input: Any, steps: list[Any]
    ) -> tuple[np.ndarray, np.ndarray, str, str | None]:
        """Return values, base values, output space and any fallback reason."""
        if family == "tree":
            try:
                return (*self._tree_values(estimator, model_input), None)
            # shap raises its own exception types, which vary by version.
            except Exception as exc:
                if self.algorithm == "tree":
                    raise
                reason = str(exc)
            values = self._permutation_values(estimator, model_input, steps)
            return (*values, reason)
        if family == "linear":
            return (*self._linear_values(estimator, model_input, steps), None)
        return (*self._permutation_values(estimator, model_input, steps), None)

    def _tree_values(self, estimator: Any, model_input: Any) -> tuple[Any, Any, str]:
        import shap

        explainer = shap.TreeExplainer(estimator)
        with warnings.catch_warnings():
            # shap 0.45+ warns on every call that LightGBM's binary output
            # changed shape; `_normalise` handles both shapes.
            warnings.filterwarnings(
                "ignore", message="LightGBM binary classifier", category=UserWarning
            )
            values = explainer.shap_values(model_input, check_additivity=False)
        values, base = _normalise(values, explainer.expected_value, len(model_input))
        return values, base, output_space(estimator, "tree")

    def _background(self, model_input: Any, steps: list[Any]) -> Any:
        if self.background is None:
            if len(model_input) < 2:
                # The explained row would be its own background, so every
                # value would be 0 and the base value the model output.
                raise ValueError(
                    f"X has {len(model_input)} row and background is None, so "
                    "the row would be explained against itself and every SHAP "
                    "value would be 0; pass background=<training rows>."
                )
            background = model_input
        else:
            frame = self._input_frame(self.background)
            background = _model_input(
                split_model(self.model).estimator,
                self._transformed_frame(steps, frame),
            )
        n_rows = len(background)
        if n_rows > self.background_size:
            rng = check_random_state(self.random_state)
            rows = np.sort(rng.choice(n_rows, self.background_size, replace=False))
            if isinstance(background, pd.DataFrame):
                background = background.iloc[rows]
            else:
                background = background[rows]
        return background

    def _linear_values(
        self, estimator: Any, model_input: Any, steps: list[Any]
    ) -> tuple[Any, Any, str]:
        import shap

        background = np.asarray(self._background(model_input, steps), dtype=float)
        masker = shap.maskers.Independent(background, max_samples=len(background))
        explainer = shap.LinearExplainer(estimator, masker)
        values = explainer.shap_values(np.asarray(model_input, dtype=float))
        values, base = _normalise(values, explainer.expected_value, len(model_input))
        return values, base, output_space(estimator, "linear")

    def _permutation_values(
        self, estimator: Any, model_input: Any, steps: list[Any]
    ) -> tuple[Any, Any, str]:
        import shap

        output = output_space(estimator, "permutation")
        background = self._background(model_input, steps)
        if isinstance(model_input, pd.DataFrame):
            codec = TabularCodec(pd.concat([model_input, background]))
            encoded = codec.encode(model_input)
            encoded_background = codec.encode(background)

            def predict(matrix: np.ndarray) -> np.ndarray:
                return model_output(estimator, codec.decode(matrix), output)

        else:
            encoded = np.asarray(model_input, dtype=float)
            encoded_background = np.asarray(background, dtype=float)

            def predict(matrix: np.ndarray) -> np.ndarray:
                return model_output(estimator, matrix, output)

        masker = shap.maskers.Independent(
            encoded_background, max_samples=len(encoded_background)
        )
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        # PermutationExplainer seeds numpy's global generator; restore it so
        # that explaining does not change the caller's random stream.
        state = np.random.get_state()  # noqa: NPY002
        try:
            explainer = shap.PermutationExplainer(predict, masker, seed=seed)
            result = explainer(encoded, silent=True)
        finally:
            np.random.set_state(state)  # noqa: NPY002
        values = np.asarray(result.values, dtype=float)
        base = np.asarray(result.base_values, dtype=float)
        if values.ndim == 2:
            values = values[:, :, np.newaxis]
        return values, base.reshape(len(encoded), -1), output

    def _group(
        self,
        values: np.ndarray,
        steps: list[Any],
        frame: pd.DataFrame,
        transformed: pd.DataFrame,
    ) -> tuple[np.ndarray, list[str], pd.DataFrame]:
        names = list(frame.columns)
        if not steps:
            return values, names, frame
        sources = source_columns(steps, names)
        if sources is None or len(sources) != transformed.shape[1]:
            raise ValueError(
                "grouping='original' needs every preprocessing step to "
                "implement get_feature_names_out with outputs named after "
                "their input columns; use grouping='transformed' for this "
                "pipeline."
            )
        membership = np.zeros((len(sources), len(names)))
        for j, group in enumerate(sources):
            if len(group) != 1:
                raise ValueError(
                    f"The transformed column {transformed.columns[j]!r} is made "
                    f"from several input columns {group}, so its SHAP value "
                    "cannot be given to one of them; use grouping='transformed'."
                )
            membership[j, names.index(group[0])] = 1.0
        grouped = np.einsum("nfk,fg->ngk", values, membership)
        return grouped, names, frame


def _model_input(estimator: Any, transformed: pd.DataFrame) -> Any:
    """Return the data in the container the estimator was fitted on."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and len(names) == transformed.shape[1]:
        frame = transformed.copy()
        frame.columns = list(names)
        return frame
    # Positions, not names: a one-hot encoder can give two outputs one name.
    columns = range(transformed.shape[1])
    if any(is_categorical(transformed.iloc[:, j]) for j in columns):
        return transformed
    return transformed.to_numpy(dtype=float)


def _normalise(values: Any, expected_value: Any, n_rows: int) -> tuple[Any, Any]:
    """Bring shap's output into shape (n, features, outputs) and (n, outputs).

    shap returns a 2-D array, a 3-D array or a list of 2-D arrays, and a
    scalar, a one-element array or one value per output as expected value,
    depending on the model family and the shap version.
    """
    if isinstance(values, list):
        array = np.stack([np.asarray(v, dtype=float) for v in values], axis=-1)
    else:
        array = np.asarray(values, dtype=float)
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    base = np.atleast_1d(np.asarray(expected_value, dtype=float)).ravel()
    if base.size != array.shape[2]:
        raise ValueError(
            f"shap returned {base.size} expected values for {array.shape[2]} "
            "outputs; this shap version is not supported."
        )
    return array, np.tile(base, (n_rows, 1))


def _select_outputs(
    values: np.ndarray, base: np.ndarray, classes: list[Any] | None
) -> tuple[np.ndarray, np.ndarray, list[Any] | None]:
    """Keep only the positive class of a binary classifier."""
    if classes is not None and len(classes) == 2 and values.shape[2] == 2:
        return values[:, :, 1:], base[:, 1:], classes
    return values, base, classes


def _check_finite(
    values: np.ndarray, base: np.ndarray, names: list[str], family: str
) -> None:
    """Raise ValueError naming the rows and columns where shap returned NaN.

    Linear SHAP turns NaN in the input into NaN values, which would
    otherwise pass silently into sums and plots.
    """
    if np.isfinite(values).all() and np.isfinite(base).all():
        return
    bad = ~np.isfinite(values).all(axis=2)
    rows = np.flatnonzero(bad.any(axis=1) | ~np.isfinite(base).all(axis=1))
    columns = [names[j] for j in np.flatnonzero(bad.any(axis=0))]
    raise ValueError(
        f"The {family} explainer returned NaN SHAP values for the rows at "
        f"positions {rows[:10].tolist()} in the columns {columns[:10]}, usually "
        "because the input has NaN there. Impute missing values in a pipeline "
        "step before the estimator, or drop those rows."
    )


def _check_additivity(
    values: np.ndarray, base: np.ndarray, expected: np.ndarray, output: str
) -> None:
    total = values.sum(axis=1) + base
    error = np.abs(total - expected)
    tolerance = 1e-4 * (1.0 + np.abs(expected))
    # Written as "not within" so that a NaN total or model output fails too.
    excess = np.where(error <= tolerance, -np.inf, np.nan_to_num(error, nan=np.inf))
    if np.any(np.isfinite(excess) | (excess == np.inf)):
        row, column = np.unravel_index(np.argmax(excess), error.shape)
        raise ValueError(
            f"SHAP values do not add up to the model's {output}: for row {row} "
            f"(output {column}) base value plus values is {total[row, column]:.6g} "
            f"but the model returns {expected[row, column]:.6g}. Check that the "
            "model was not refitted after the explainer was built, or pass "
            "check_additivity=False to accept the difference."
        )
    logger.debug("additivity check passed; largest error %.3g", float(error.max()))
