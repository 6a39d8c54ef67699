"""The result of `ShapExplainer.explain`: tidy frames and their plots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from sktricks.explain import _plot

_KINDS = ("bar", "beeswarm", "waterfall", "dependence")


@dataclass
class Explanation:
    """SHAP values of some rows, with what they add up to.

    Attributes
    ----------
    values : DataFrame or dict of DataFrame
        One row per explained row and one column per feature. A multiclass
        model gives a dict that maps each class label to such a frame.
    base_values : Series or dict of Series
        The value each row's SHAP values start from, indexed like `data`;
        ``base_values + values.sum(axis=1)`` equals the model output.
    data : DataFrame
        The explained rows: the input columns for ``grouping="original"``,
        the transformed columns for ``grouping="transformed"``.
    output : str
        What the values add up to: ``"margin"`` (raw score before the link
        function, the log-odds for binary classifiers), ``"probability"``
        or ``"prediction"``.
    classes : list or None
        The classifier's classes; for a binary classifier the values are
        those of ``classes[1]``, and `frame` derives those of ``classes[0]``.
    """

    values: pd.DataFrame | dict[Any, pd.DataFrame]
    base_values: pd.Series | dict[Any, pd.Series]
    data: pd.DataFrame
    output: str
    classes: list[Any] | None = None

    @classmethod
    def from_arrays(
        cls,
        values: np.ndarray,
        base: np.ndarray,
        data: pd.DataFrame,
        names: list[str],
        output: str,
        classes: list[Any] | None,
    ) -> Explanation:
        """Build from values of shape (n, features, k) and base of (n, k)."""
        index = data.index
        if values.shape[2] == 1:
            return cls(
                values=pd.DataFrame(values[:, :, 0], columns=names, index=index),
                base_values=pd.Series(base[:, 0], index=index, name="base_value"),
                data=data,
                output=output,
                classes=classes,
            )
        labels = classes if classes is not None else list(range(values.shape[2]))
        return cls(
            values={
                label: pd.DataFrame(values[:, :, k], columns=names, index=index)
                for k, label in enumerate(labels)
            },
            base_values={
                label: pd.Series(base[:, k], index=index, name="base_value")
                for k, label in enumerate(labels)
            },
            data=data,
            output=output,
            classes=classes,
        )

    @property
    def is_multiclass(self) -> bool:
        return isinstance(self.values, dict)

    def frame(self, label: Any = None) -> tuple[pd.DataFrame, pd.Series]:
        """Return the values and base values of one output.

        For a binary classifier, ``label=classes[0]`` gives the negated values
        with base value ``-base`` (margin) or ``1 - base`` (probability).
        """
        if not isinstance(self.values, dict):
            base_values = cast(pd.Series, self.base_values)
            if label is None or not self.classes or label == self.classes[-1]:
                return self.values, base_values
            if len(self.classes) == 2 and label == self.classes[0]:
                return self._negative_class(base_values)
            raise ValueError(
                f"label={label!r} is invalid; use one of the classes {self.classes}."
            )
        if label is None or label not in self.values:
            raise ValueError(
                f"label={label!r} is invalid for a multiclass explanation; use "
                f"one of {list(self.values)}."
            )
        base_values = cast(dict[Any, pd.Series], self.base_values)
        return self.values[label], base_values[label]

    def _negative_class(self, base_values: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
        # The margin of classes[0] is minus the log-odds of classes[1], and its
        # probability is one minus that of classes[1], so negated values still
        # add up to the model output.
        values = cast(pd.DataFrame, self.values)
        if self.output == "margin":
            return -values, -base_values
        if self.output == "probability":
            return -values, 1.0 - base_values
        classes = cast(list[Any], self.classes)
        raise ValueError(
            f"An explanation in {self.output!r} space has no negative class; "
            f"use label={classes[-1]!r} or None."
        )

    def global_importance(self, label: Any = None) -> pd.Series:
        """Return the mean absolute value of each feature, largest first.

        A multiclass explanation sums the classes unless ``label`` is given.
        """
        if isinstance(self.values, dict) and label is None:
            importance = sum(v.abs().mean() for v in self.values.values())
        else:
            importance = self.frame(label)[0].abs().mean()
        importance = pd.Series(importance, name="mean_abs_shap")
        return importance.sort_values(ascending=False, kind="stable")

    def to_shap(self) -> Any:
        """Return a `shap.Explanation` for shap's own plots.

        Multiclass values have shape (n, features, classes).
        """
        import shap

        if isinstance(self.values, dict):
            base_values = cast(dict[Any, pd.Series], self.base_values)
            values = np.stack([v.to_numpy() for v in self.values.values()], axis=-1)
            base = np.stack([b.to_numpy() for b in base_values.values()], axis=-1)
            columns = list(next(iter(self.values.values())).columns)
        else:
            values = self.values.to_numpy()
            base = cast(pd.Series, self.base_values).to_numpy()
            columns = list(self.values.columns)
        return shap.Explanation(
            values=values,
            base_values=base,
            data=self.data.to_numpy(),
            feature_names=columns,
            output_names=self.classes,
        )

    def plot(
        self,
        kind: str = "bar",
        *,
        label: Any = None,
        row: int = 0,
        feature: str | None = None,
        max_display: int = 10,
        ax: Any = None,
    ) -> Any:
        """Draw a SHAP plot and return its matplotlib Figure.

        Parameters
        ----------
        kind : {"bar", "beeswarm", "waterfall", "dependence"}, default="bar"
            Global importance bars, one dot per row and feature, one row's
            contributions from base value to output, or one feature's value
            against its SHAP value.
        label : object, default=None
            Class to plot for a multiclass explanation; ``"bar"`` sums the
            classes when it is None, the other kinds require it.
        row : int, default=0
            Position of the row for ``"waterfall"``.
        feature : str, default=None
            Column for ``"dependence"``; the most important one when None.
        max_display : int, default=10
            Number of features shown; the rest are summed into one bar.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new Figure is made when None, without pyplot.
        """
        if kind not in _KINDS:
            raise ValueError(f"kind={kind!r} is invalid; use one of {_KINDS}.")
        if kind == "bar":
            importance = self.global_importance(label)
            return _plot.bar(importance, self.output, max_display, ax)
        values, base = self.frame(label)
        if kind == "beeswarm":
            return _plot.beeswarm(values, self.data, self.output, max_display, ax)
        if kind == "waterfall":
            if not 0 <= row < len(values):
                raise ValueError(
                    f"row={row} is invalid; use a position from 0 to {len(values) - 1}."
                )
            return _plot.waterfall(
                values.iloc[row],
                float(base.iloc[row]),
                self.data.iloc[row],
                self.output,
                max_display,
                ax,
            )
        if feature is None:
            feature = str(values.abs().mean().idxmax())
        if feature not in values.columns:
            raise ValueError(
                f"feature={feature!r} is not an explained column; use one of "
                f"{list(values.columns)[:20]}."
            )
        return _plot.dependence(values[feature], self.data, feature, self.output, ax)
