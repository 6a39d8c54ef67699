"""Split a fitted model into its preprocessing and its final estimator.

The explainers run the preprocessing themselves so that the final estimator
can be explained with the fastest method for its family, then map the
transformed columns back to the input columns they were made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.impute import KNNImputer, MissingIndicator, SimpleImputer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils import get_tags


@dataclass
class ModelParts:
    """The preprocessing steps and the final estimator of a fitted model."""

    steps: list[Any]
    estimator: Any


def split_model(model: Any) -> ModelParts:
    """Split a fitted model into preprocessing steps and final estimator.

    Works for scikit-learn and imbalanced-learn pipelines (they share the
    ``steps`` interface); nested pipelines are flattened. Samplers (steps
    with ``fit_resample``) and ``"passthrough"`` steps are dropped because
    they do not change the rows seen at prediction time.
    """
    if not isinstance(model, Pipeline) and not _is_pipeline(model):
        return ModelParts(steps=[], estimator=model)

    steps: list[Any] = []
    for _, step in model.steps[:-1]:
        if step is None or step == "passthrough" or hasattr(step, "fit_resample"):
            continue
        if _is_pipeline(step):
            inner = split_model(step)
            steps.extend(inner.steps)
            if inner.estimator is not None:
                steps.append(inner.estimator)
        else:
            steps.append(step)

    final = model.steps[-1][1]
    if _is_pipeline(final):
        inner = split_model(final)
        steps.extend(inner.steps)
        final = inner.estimator
    return ModelParts(steps=steps, estimator=final)


def _is_pipeline(obj: Any) -> bool:
    # imbalanced-learn's Pipeline subclasses scikit-learn's, but a duck test
    # also accepts other libraries' pipelines with the same `steps` list.
    return isinstance(obj, Pipeline) or (
        hasattr(obj, "steps") and isinstance(getattr(obj, "steps", None), list)
    )


def transform(steps: list[Any], X: Any) -> Any:
    """Apply the preprocessing steps in order, as the pipeline would."""
    for step in steps:
        X = step.transform(X)
    return X


def to_frame(Xt: Any, names: list[str], index: pd.Index) -> pd.DataFrame:
    """Return the transformed data as a dense DataFrame with ``names``."""
    if isinstance(Xt, pd.DataFrame):
        frame = Xt.copy()
        frame.columns = names
        frame.index = index
        return frame
    if sp.issparse(Xt):
        # NOTE: a wide one-hot encoding is densified here, which needs
        # n_rows * n_columns floats of memory.
        Xt = Xt.toarray()
    return pd.DataFrame(np.asarray(Xt), columns=names, index=index)


def feature_names_out(steps: list[Any], input_names: list[str]) -> list[str] | None:
    """Return the column names after the steps, or None when unknown."""
    names = np.asarray(input_names, dtype=object)
    for step in steps:
        if not hasattr(step, "get_feature_names_out"):
            return None
        try:
            names = step.get_feature_names_out(names)
        except (ValueError, TypeError, AttributeError):
            return None
    return [str(name) for name in names]


def source_columns(steps: list[Any], input_names: list[str]) -> list[list[str]] | None:
    """Map each transformed column to the input columns it was made from.

    Returns one list of input names per output column, or None when a step
    is not understood. The mapping follows the structure of `Pipeline`,
    `ColumnTransformer` and `FeatureUnion`; inside a leaf transformer an
    output belongs to the input whose name it equals or starts with followed
    by ``_`` (the rule `OneHotEncoder.get_feature_names_out` follows), a
    missing-value indicator belongs to the input it flags, and an output
    that matches no input (PCA, polynomial features, ...) makes
    the whole mapping unknown.
    """
    sources: list[list[str]] | None = [[name] for name in input_names]
    names = list(input_names)
    for step in steps:
        step_sources = _step_sources(step, names)
        if step_sources is None or sources is None:
            return None
        lookup = dict(zip(names, sources, strict=True))
        sources = [
            sorted({s for n in group for s in lookup[n]}) for group in step_sources
        ]
        out = feature_names_out([step], names)
        if out is None:
            return None
        names = out
    return sources


def _step_sources(step: Any, names: list[str]) -> list[list[str]] | None:
    if _is_pipeline(step):
        parts = split_model(step)
        inner = [*parts.steps, parts.estimator]
        return source_columns(inner, names)
    if isinstance(step, ColumnTransformer):
        return _column_transformer_sources(step, names)
    if isinstance(step, FeatureUnion):
        sources: list[list[str]] = []
        for _, transformer in step.transformer_list:
            if transformer == "drop" or transformer is None:
                continue
            if transformer == "passthrough":
                part: list[list[str]] | None = [[n] for n in names]
            else:
                part = _step_sources(transformer, names)
            if part is None:
                return None
            sources.extend(part)
        return sources
    return _leaf_sources(step, names)


def _column_transformer_sources(
    ct: ColumnTransformer, names: list[str]
) -> list[list[str]] | None:
    n_out = sum(s.stop - s.start for s in ct.output_indices_.values())
    sources: list[list[str]] = [[] for _ in range(n_out)]
    # `_transformer_to_input_indices` is private but the only fitted record of
    # which input columns each transformer received once callables and
    # `remainder` are resolved (scikit-learn 1.1 and later).
    input_indices = ct._transformer_to_input_indices
    fitted = dict((name, trans) for name, trans, _ in ct.transformers_)
    for name, out_slice in ct.output_indices_.items():
        if out_slice.stop == out_slice.start:
            continue
        sub_names = [names[i] for i in input_indices[name]]
        trans = fitted[name]
        if trans == "passthrough":
            part: list[list[str]] | None = [[n] for n in sub_names]
        else:
            part = _step_sources(trans, sub_names)
        if part is None or len(part) != out_slice.stop - out_slice.start:
            return None
        sources[out_slice] = part
    return sources


def _leaf_sources(step: Any, names: list[str]) -> list[list[str]] | None:
    out = feature_names_out([step], names)
    if out is None:
        return None

    # A one-hot encoder records how many outputs each input made, which is right
    # even when names collide ("a" with category "b_x" against an input
    # "a_b") or a custom `feature_name_combiner` drops the "<input>_" prefix.
    # `_n_features_outs` is private (scikit-learn 1.1 and later), so the name
    # rule below remains the fallback.
    counts = getattr(step, "_n_features_outs", None)
    if isinstance(step, OneHotEncoder) and counts is not None:
        if sum(counts) == len(out) and len(counts) == len(names):
            pairs = zip(names, counts, strict=True)
            return [[name] for name, count in pairs for _ in range(count)]

    # Missing-value indicators are named "missingindicator_<input>", which the
    # name rule below cannot match, so they are mapped by the fitted indices
    # of the columns they flag. They are the last outputs of an imputer with
    # add_indicator=True and all outputs of a MissingIndicator.
    if isinstance(step, MissingIndicator):
        indicator = step
    else:
        indicator = getattr(step, "indicator_", None)
    indicator_sources: list[list[str]] = []
    if isinstance(indicator, MissingIndicator):
        indicator_sources = [[names[i]] for i in indicator.features_]
        out = out[: len(out) - len(indicator_sources)]

    known = set(names)
    # Longest names first, so "age_group_x" is matched to "age_group" and not
    # to "age" when both are inputs.
    by_length = sorted(names, key=len, reverse=True)
    sources = []
    for name in out:
        if name in known:
            sources.append([name])
            continue
        match = next((n for n in by_length if name.startswith(n + "_")), None)
        if match is None:
            return None
        sources.append([match])
    return sources + indicator_sources


def accepts_missing(parts: ModelParts) -> bool:
    """Return whether the model handles NaN in its input by itself.

    True when a preprocessing step imputes, or when the model has no
    preprocessing and its scikit-learn tags say it allows NaN.
    """
    if any(_contains_imputer(step) for step in parts.steps):
        return True
    if parts.steps:
        return False
    try:
        return bool(get_tags(parts.estimator).input_tags.allow_nan)
    except (AttributeError, TypeError):
        return False


def _contains_imputer(step: Any) -> bool:
    if isinstance(step, SimpleImputer | KNNImputer) or type(step).__name__ in {
        "IterativeImputer"
    }:
        return True
    if _is_pipeline(step):
        return any(_contains_imputer(s) for _, s in step.steps)
    if isinstance(step, ColumnTransformer):
        return any(_contains_imputer(t) for _, t, _ in step.transformers_)
    if isinstance(step, FeatureUnion):
        return any(_contains_imputer(t) for _, t in step.transformer_list)
    return False
