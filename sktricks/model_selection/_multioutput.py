"""Multi-output targets in the out-of-fold engine.

A 2-D ``y`` (a multilabel indicator matrix, several class columns, or
several regression targets) gives one column of predictions per output.
For classifiers, an output with two classes gives the score of its second
class, as a binary 1-D target does, and an output with more classes gives
one column per class.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def validate_multioutput_target(y: Any) -> np.ndarray:
    """Return a 2-D ``y`` as an array, numeric when every column is numeric.

    A DataFrame of nullable columns (``Int64``, ``boolean``) would otherwise
    become an ``object`` array, which some estimators reject.
    """
    if isinstance(y, pd.DataFrame):
        numeric = all(
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
            for dtype in y.dtypes
        )
        if numeric and not y.isna().any().any():
            dtypes = [getattr(dtype, "numpy_dtype", dtype) for dtype in y.dtypes]
            return y.to_numpy(dtype=np.result_type(*dtypes))
        return y.to_numpy()
    return np.asarray(y)


def output_classes(y: np.ndarray) -> list[np.ndarray]:
    """Return the sorted classes of each column of ``y``."""
    return [np.unique(y[:, column]) for column in range(y.shape[1])]


def output_columns(y: Any, classes: list[np.ndarray] | None) -> pd.Index:
    """Name the prediction columns: the outputs, and their classes where an
    output has more than two."""
    n_outputs = len(classes) if classes is not None else y.shape[1]
    names = list(y.columns) if isinstance(y, pd.DataFrame) else list(range(n_outputs))
    if classes is None or all(len(labels) <= 2 for labels in classes):
        return pd.Index(names)
    pairs = []
    for name, labels in zip(names, classes, strict=True):
        if len(labels) <= 2:
            pairs.append((name, labels[-1]))
        else:
            pairs.extend((name, label) for label in labels)
    return pd.MultiIndex.from_tuples(pairs)


def flatten_scores(
    predictions: Any, estimator: Any, classes: list[np.ndarray], method: str
) -> np.ndarray:
    """Turn one fold's per-output scores into a 2-D array of global columns.

    ``predict_proba`` of most multi-output classifiers returns one array per
    output, with columns for the classes that output had in the training
    fold. A class missing there gets probability 0, or the lowest finite
    float for decision values, as for a 1-D target. A single array with one
    column per output (``OneVsRestClassifier``, ``MLPClassifier``) already
    scores the second class of each binary output.
    """
    if not isinstance(predictions, list):
        scores = np.asarray(predictions)
        if scores.ndim == 2 and scores.shape[1] == len(classes):
            if all(len(labels) <= 2 for labels in classes):
                return scores
        raise ValueError(
            f"{type(estimator).__name__}.{method} returned an array of shape "
            f"{scores.shape} for {len(classes)} outputs, which cannot be matched "
            "to the outputs' classes. Use method='predict', or wrap the model "
            "in sklearn.multioutput.MultiOutputClassifier."
        )

    fold_classes = _fold_output_classes(estimator, len(classes))
    columns = []
    for scores, seen, labels in zip(predictions, fold_classes, classes, strict=True):
        scores = np.asarray(scores)
        if scores.ndim == 1:
            scores = scores.reshape(-1, 1)
        fill = 0.0 if method == "predict_proba" else np.finfo(float).min
        aligned = np.full((scores.shape[0], len(labels)), fill)
        aligned[:, np.searchsorted(labels, seen)] = scores
        # NOTE: an output with a single class in all of y (a label column of
        # zeros) gives that class's score, 1, where OneVsRestClassifier's
        # array output would give 0 for the missing positive label.
        columns.append(aligned[:, -1:] if len(labels) <= 2 else aligned)
    return np.hstack(columns)


def _fold_output_classes(estimator: Any, n_outputs: int) -> list[np.ndarray]:
    fold_classes = getattr(estimator, "classes_", None)
    if isinstance(fold_classes, list) and len(fold_classes) == n_outputs:
        return [np.asarray(labels) for labels in fold_classes]
    raise ValueError(
        f"{type(estimator).__name__} returned one score array per output but no "
        "classes_ list to place their columns; use method='predict'."
    )


def vote_labels(stacked: np.ndarray) -> np.ndarray:
    """Return the label most fold models predict, per row and output.

    ``stacked`` has shape (n_folds, n_samples, n_outputs).
    """
    voted = np.empty(stacked.shape[1:], dtype=stacked.dtype)
    for column in range(stacked.shape[2]):
        labels, codes = np.unique(stacked[:, :, column], return_inverse=True)
        codes = codes.reshape(stacked.shape[:2])
        votes = np.apply_along_axis(np.bincount, 0, codes, minlength=len(labels))
        voted[:, column] = labels[votes.argmax(axis=0)]
    return voted
