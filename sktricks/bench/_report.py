"""Leaderboard, Markdown report and plot of a benchmark run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sktricks.bench._metrics import GREATER_IS_BETTER, PRIMARY_METRIC
from sktricks.bench._store import write_atomic

__all__ = ["format_leaderboard", "leaderboard", "plot_ranks", "write_report"]


def leaderboard(results: pd.DataFrame) -> pd.DataFrame:
    """Summarise successful cells: one row per (dataset, recipe).

    Each dataset is scored by its task's primary metric (ROC AUC for
    classification, RMSE for regression). Columns: ``dataset``, ``task``,
    ``metric``, ``recipe``, ``mean``, ``std`` (sample standard deviation
    over folds and repeats), ``n_cells`` and ``rank`` (1 is best within the
    dataset; ties share the average rank).
    """
    columns = ["dataset", "task", "metric", "recipe", "mean", "std", "n_cells", "rank"]
    ok = results[results["status"] == "ok"]
    rows = []
    for (dataset, task, recipe), group in ok.groupby(
        ["dataset", "task", "recipe"], sort=True
    ):
        metric = PRIMARY_METRIC[task]
        values = group[metric].astype(float)
        rows.append(
            {
                "dataset": dataset,
                "task": task,
                "metric": metric,
                "recipe": recipe,
                "mean": values.mean(),
                "std": values.std(ddof=1) if len(values) > 1 else np.nan,
                "n_cells": len(values),
            }
        )
    table = pd.DataFrame(rows, columns=columns[:-1])
    if table.empty:
        return table.assign(rank=pd.Series(dtype=float))

    ascending = ~table["metric"].map(GREATER_IS_BETTER)
    signed = table["mean"].where(ascending, -table["mean"])
    table["rank"] = signed.groupby(table["dataset"]).rank(method="average")
    return table[columns]


def format_leaderboard(board: pd.DataFrame) -> pd.DataFrame:
    """Pivot a leaderboard into ``mean ± std (rank)`` text, one row per dataset.

    The last row holds each recipe's average rank over the datasets.
    """
    if board.empty:
        return pd.DataFrame()
    text = board.assign(
        cell=[
            f"{m:.4f} ± {s:.4f} ({r:g})" if np.isfinite(s) else f"{m:.4f} ({r:g})"
            for m, s, r in zip(board["mean"], board["std"], board["rank"], strict=True)
        ]
    )
    wide = text.pivot(index=["dataset", "metric"], columns="recipe", values="cell")
    wide = wide.fillna("failed")
    average = board.groupby("recipe")["rank"].mean()
    wide.loc[("average rank", ""), :] = [f"{average[r]:.2f}" for r in wide.columns]
    wide.columns.name = None
    return wide.reset_index()


def _markdown_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in frame.columns) + "|"
    body = [
        "| " + " | ".join(str(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])


def plot_ranks(board: pd.DataFrame) -> Figure:
    """Draw each recipe's rank per dataset as a heat map, best in green.

    The figure is built without pyplot, so drawing it changes no global
    matplotlib state and works under any backend.

    Returns
    -------
    figure : matplotlib.figure.Figure
        A figure a notebook shows as it is; save it with ``savefig``.
    """
    ranks = board.pivot(index="dataset", columns="recipe", values="rank")
    figure = Figure(
        figsize=(1.6 + 1.3 * max(len(ranks.columns), 1), 1.2 + 0.45 * len(ranks))
    )
    axes = figure.add_subplot()
    image = axes.imshow(ranks.to_numpy(dtype=float), cmap="RdYlGn_r", aspect="auto")
    axes.set_xticks(range(len(ranks.columns)), ranks.columns, rotation=30, ha="right")
    axes.set_yticks(range(len(ranks.index)), ranks.index)
    for (row, column), value in np.ndenumerate(ranks.to_numpy(dtype=float)):
        if np.isfinite(value):
            axes.text(column, row, f"{value:g}", ha="center", va="center")
    axes.set_title("Rank per dataset (1 = best primary metric)")
    figure.colorbar(image, ax=axes, label="rank")
    figure.tight_layout()
    return figure


def write_report(
    results: pd.DataFrame, output: Path, settings: dict[str, Any]
) -> dict[str, Path]:
    """Write ``report.md``, ``ranks.png`` and ``results.csv`` into ``output``.

    Each file is written to a temporary name and renamed, so a reader never
    sees half a file.
    """
    board = leaderboard(results)
    files = {
        "report": output / "report.md",
        "plot": output / "ranks.png",
        "csv": output / "results.csv",
    }
    write_atomic(files["csv"], results.to_csv(index=False))

    if not board.empty:
        figure = plot_ranks(board)
        temporary = output / ".ranks.png.tmp"
        figure.savefig(temporary, format="png", dpi=110)
        temporary.replace(files["plot"])

    write_atomic(files["report"], _report_text(results, board, settings))
    return files


def _report_text(
    results: pd.DataFrame, board: pd.DataFrame, settings: dict[str, Any]
) -> str:
    lines = [
        "# sktricks bench report",
        "",
        f"- datasets: {', '.join(settings['datasets'])}",
        f"- recipes: {', '.join(settings['recipes'])}",
        f"- cross-validation: {settings['cv']} folds x {settings['repeats']} "
        f"repeats, seed {settings['seed']}",
        f"- sktricks {settings['sktricks']}, Python {settings['python']}, "
        f"{settings['machine']}",
        "",
        "## Leaderboard",
        "",
        "Primary metric per dataset: ROC AUC (one-vs-rest macro for multiclass) "
        "for classification, RMSE for regression. Cells read mean ± std over "
        "folds (rank within the dataset).",
        "",
        _markdown_table(format_leaderboard(board))
        if not board.empty
        else "No cell succeeded.",
        "",
        "![Rank per dataset](ranks.png)" if not board.empty else "",
        "",
        "## All metrics (mean over folds)",
        "",
    ]
    ok = results[results["status"] == "ok"]
    metric_columns = [c for c in GREATER_IS_BETTER if c in ok.columns] + [
        "fit_seconds",
        "predict_seconds",
    ]
    if not ok.empty:
        means = ok.groupby(["dataset", "recipe"])[metric_columns].mean().reset_index()
        means = means.round(4).astype(object).where(means.notna(), "")
        lines.append(_markdown_table(means))
    failed = results[results["status"] != "ok"]
    lines += ["", "## Failed cells", ""]
    if failed.empty:
        lines.append("None.")
    else:
        lines.append(
            _markdown_table(failed[["dataset", "recipe", "repeat", "fold", "error"]])
        )
    return "\n".join(lines) + "\n"
