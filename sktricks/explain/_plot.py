"""Matplotlib figures for explanations, drawn without pyplot.

Figures are built with `matplotlib.figure.Figure` so that plotting changes
no global pyplot state; Jupyter displays a returned Figure as an image.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

_POSITIVE = "#d62728"
_NEGATIVE = "#1f77b4"


def new_axes(ax: Any, height: float) -> tuple[Any, Any]:
    """Return (figure, axes): the given axes, or a new pyplot-free figure."""
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, max(2.5, height)), layout="constrained")
    return figure, figure.add_subplot()


def _top(importance: pd.Series, max_display: int) -> pd.Series:
    if len(importance) <= max_display:
        return importance
    head = importance.iloc[: max_display - 1]
    rest = pd.Series(
        {
            f"{len(importance) - len(head)} other features": importance.iloc[
                len(head) :
            ].sum()
        }
    )
    return pd.concat([head, rest])


def bar(importance: pd.Series, output: str, max_display: int, ax: Any) -> Any:
    shown = _top(importance, max_display).iloc[::-1]
    figure, ax = new_axes(ax, 0.35 * len(shown) + 1)
    ax.barh([str(name) for name in shown.index], shown.to_numpy(), color=_POSITIVE)
    ax.set_xlabel(f"mean |SHAP value| ({output})")
    return figure


def beeswarm(
    values: pd.DataFrame, data: pd.DataFrame, output: str, max_display: int, ax: Any
) -> Any:
    order = values.abs().mean().sort_values(ascending=False).index[:max_display]
    figure, ax = new_axes(ax, 0.4 * len(order) + 1)
    rng = np.random.default_rng(0)
    scatter = None
    for position, name in enumerate(order[::-1]):
        shap_values = values[name].to_numpy()
        jitter = rng.uniform(-0.3, 0.3, size=len(shap_values))
        colour = _colour_values(data[name]) if name in data.columns else None
        if colour is None:
            ax.scatter(shap_values, position + jitter, s=8, color="grey")
        else:
            scatter = ax.scatter(
                shap_values, position + jitter, s=8, c=colour, cmap="coolwarm"
            )
    ax.set_yticks(range(len(order)), [str(name) for name in order[::-1]])
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel(f"SHAP value ({output})")
    if scatter is not None:
        figure.colorbar(scatter, ax=ax, label="feature value (rank)")
    return figure


def _colour_values(series: pd.Series) -> np.ndarray | None:
    # Colour by rank so that one outlier does not wash out the scale; label
    # columns get no colour because their codes have no order.
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    ranks = series.rank(pct=True).to_numpy(dtype=float)
    return np.nan_to_num(ranks, nan=0.5)


def waterfall(
    values: pd.Series,
    base: float,
    data_row: pd.Series,
    output: str,
    max_display: int,
    ax: Any,
) -> Any:
    order = values.abs().sort_values(ascending=False).index
    shown = (
        values[order[: max_display - 1]] if len(order) > max_display else values[order]
    )
    rest = values.drop(shown.index).sum()
    labels = [
        f"{name} = {data_row[name]}" if name in data_row.index else str(name)
        for name in shown.index
    ]
    contributions = list(shown.to_numpy())
    if len(shown) < len(values):
        labels.append(f"{len(values) - len(shown)} other features")
        contributions.append(rest)

    figure, ax = new_axes(ax, 0.4 * len(labels) + 1.5)
    start = base
    for position, value in enumerate(contributions):
        colour = _POSITIVE if value >= 0 else _NEGATIVE
        ax.barh(len(labels) - 1 - position, value, left=start, color=colour)
        start += value
    ax.set_yticks(range(len(labels)), labels[::-1])
    ax.axvline(base, color="grey", linestyle="--", linewidth=0.8)
    ax.axvline(start, color="black", linewidth=0.8)
    ax.set_xlabel(f"{output}: base value {base:.4g}, row total {start:.4g}")
    return figure


def dependence(
    shap_values: pd.Series, data: pd.DataFrame, feature: str, output: str, ax: Any
) -> Any:
    figure, ax = new_axes(ax, 4.0)
    x = data[feature] if feature in data.columns else pd.Series(np.arange(len(data)))
    if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
        ax.scatter(x.to_numpy(dtype=float), shap_values.to_numpy(), s=10)
    else:
        labels = x.astype(str)
        categories = sorted(labels.unique())
        positions = labels.map({c: i for i, c in enumerate(categories)})
        jitter = np.random.default_rng(0).uniform(-0.2, 0.2, size=len(labels))
        ax.scatter(positions.to_numpy() + jitter, shap_values.to_numpy(), s=10)
        ax.set_xticks(range(len(categories)), categories, rotation=45, ha="right")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel(str(feature))
    ax.set_ylabel(f"SHAP value ({output})")
    return figure
