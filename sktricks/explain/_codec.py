"""Encode a mixed-type DataFrame as a float matrix and decode it back."""

from __future__ import annotations

import numpy as np
import pandas as pd


def is_categorical(series: pd.Series) -> bool:
    """Return whether a column contains labels rather than numbers."""
    return bool(
        isinstance(series.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(series.dtype)
        or pd.api.types.is_string_dtype(series.dtype)
        or pd.api.types.is_bool_dtype(series.dtype)
    )


class TabularCodec:
    """Float encoding of a DataFrame whose columns may hold labels.

    Label columns (``category``, ``object``, string and boolean dtypes, or
    those named in ``categorical``) become integer codes into the sorted
    labels seen in ``frame``; numeric columns are kept as floats. `decode`
    rebuilds a DataFrame with the original columns and dtypes, so a model
    that selects columns by name or relies on ``category`` dtype receives
    what it was trained on.
    """

    def __init__(self, frame: pd.DataFrame, categorical: list[str] | None = None):
        self.columns = list(frame.columns)
        self.dtypes = frame.dtypes.copy()
        names = set(categorical) if categorical is not None else None
        self.categorical = [
            c
            for c in self.columns
            if (names is not None and c in names)
            or (names is None and is_categorical(frame[c]))
        ]
        self.labels: dict[str, list[object]] = {}
        for column in self.categorical:
            series = frame[column]
            if isinstance(series.dtype, pd.CategoricalDtype):
                self.labels[column] = list(series.cat.categories)
            else:
                values = series.dropna().unique().tolist()
                self.labels[column] = sorted(values, key=lambda v: (str(type(v)), v))

    @property
    def categorical_indices(self) -> list[int]:
        return [self.columns.index(c) for c in self.categorical]

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """Return ``frame`` as floats; labels become codes, NaN stays NaN.

        Raises ValueError naming the column and label when a label was not
        seen when the codec was built.
        """
        if not self.labels and all(
            pd.api.types.is_float_dtype(dtype) for dtype in self.dtypes
        ):
            return frame[self.columns].to_numpy(dtype=float)
        out = np.empty((len(frame), len(self.columns)), dtype=float)
        for j, column in enumerate(self.columns):
            series = frame[column]
            if column in self.labels:
                labels = self.labels[column]
                codes = pd.Categorical(series, categories=labels).codes.astype(float)
                unseen = (codes < 0) & series.notna().to_numpy()
                if unseen.any():
                    value = series[unseen].iloc[0]
                    raise ValueError(
                        f"Column {column!r} has the value {value!r}, which is not "
                        "in the training data; LIME can only perturb values it "
                        f"has seen. Known values: {labels[:10]}."
                    )
                codes[codes < 0] = np.nan
                out[:, j] = codes
            else:
                out[:, j] = pd.to_numeric(series, errors="raise").to_numpy(
                    dtype=float, na_value=np.nan
                )
        return out

    def decode(self, matrix: np.ndarray, index: pd.Index | None = None) -> pd.DataFrame:
        """Rebuild a DataFrame with the original columns and dtypes."""
        # One float block first, as a plain DataFrame constructor would build
        # it; only label and non-float columns are then replaced.
        frame = pd.DataFrame(matrix, columns=self.columns, index=index, copy=False)
        for j, column in enumerate(self.columns):
            dtype = self.dtypes[column]
            if column in self.labels:
                frame[column] = self._decode_labels(column, matrix[:, j], frame.index)
            elif pd.api.types.is_integer_dtype(dtype):
                # Perturbed integer columns come back as floats; round them so
                # the model sees values of the kind it was trained on.
                frame[column] = np.rint(matrix[:, j])
                frame[column] = frame[column].astype(dtype)
            elif dtype != np.float64:
                frame[column] = frame[column].astype(dtype)
        return frame

    def _decode_labels(
        self, column: str, values: np.ndarray, index: pd.Index
    ) -> pd.Series:
        labels = self.labels[column]
        dtype = self.dtypes[column]
        codes = np.where(np.isnan(values), -1, np.rint(values)).astype(int)
        series = pd.Series(
            pd.Categorical.from_codes(codes, categories=labels), index=index
        )
        if isinstance(dtype, pd.CategoricalDtype):
            return series.astype(dtype)
        return series.astype(object).astype(dtype)
