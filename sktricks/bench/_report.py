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


def leaderboard(
    results: pd.DataFrame, planned: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Summarise cells: one row per (dataset, recipe).

    Each dataset is scored by its task's primary metric (ROC AUC for
    classification, RMSE for regression). Columns: ``dataset``, ``task``,
    ``metric``, ``recipe``, ``mean``, ``std`` (sample standard deviation
    over the successful folds and repeats), ``n_cells`` (successful cells),
    ``n_planned`` (cells the run planned), ``status`` and ``rank``.

    A (dataset, recipe) with every planned cell successful has status
    ``"ok"`` and is ranked by its mean (1 is best; ties share the average
    rank). One with fewer successful cells than planned has status
    ``"failed"`` and is ranked after every ``"ok"`` recipe of the dataset,
    failed recipes sharing the average of the last ranks: a mean over the
    surviving folds only is not comparable. A recipe that does not support
    the dataset's task has status ``"n/a"`` and no rank.

    Parameters
    ----------
    results : DataFrame
        Cells as in :attr:`BenchmarkResult.results`.
    planned : DataFrame, default=None
        The run's plan, as in :attr:`BenchmarkResult.planned`: columns
        ``dataset``, ``task``, ``recipe`` and ``n_planned`` (0 when the
        recipe does not support the task). ``None`` takes every stored
        cell of a (dataset, recipe) as planned.
    """
    columns = [
        "dataset",
        "task",
        "metric",
        "recipe",
        "mean",
        "std",
        "n_cells",
        "n_planned",
        "status",
        "rank",
    ]
    if planned is None:
        known = results[results["task"].isin(list(PRIMARY_METRIC))]
        tasks = known.groupby("dataset")["task"].first()
        planned = (
            results.groupby(["dataset", "recipe"])
            .size()
            .rename("n_planned")
            .reset_index()
        )
        planned = planned[planned["dataset"].isin(tasks.index)]
        planned.insert(1, "task", planned["dataset"].map(tasks))
    ok = results[results["status"] == "ok"]
    rows = []
    for plan in planned.itertuples(index=False):
        metric = PRIMARY_METRIC[plan.task]
        group = ok[(ok["dataset"] == plan.dataset) & (ok["recipe"] == plan.recipe)]
        values = group[metric].astype(float) if metric in group else pd.Series()
        n_planned = int(plan.n_planned)
        if n_planned == 0:
            status = "n/a"
        elif len(values) < n_planned:
            status = "failed"
        else:
            status = "ok"
        rows.append(
            {
                "dataset": plan.dataset,
                "task": plan.task,
                "metric": metric,
                "recipe": plan.recipe,
                "mean": values.mean() if len(values) else np.nan,
                "std": values.std(ddof=1) if len(values) > 1 else np.nan,
                "n_cells": len(values),
                "n_planned": n_planned,
                "status": status,
            }
        )
    table = pd.DataFrame(rows, columns=columns[:-1])
    if table.empty:
        return table.assign(rank=pd.Series(dtype=float))

    table = table.sort_values(
        ["dataset", "recipe"], key=lambda column: column.str.lower(), ignore_index=True
    )
    ascending = ~table["metric"].map(GREATER_IS_BETTER).astype(bool)
    signed = table["mean"].where(ascending, -table["mean"])
    is_ok = table["status"] == "ok"
    is_failed = table["status"] == "failed"
    rank = signed.where(is_ok).groupby(table["dataset"]).rank(method="average")
    n_ok = is_ok.groupby(table["dataset"]).transform("sum")
    n_failed = is_failed.groupby(table["dataset"]).transform("sum")
    # Failed recipes share the average of the ranks after the last "ok" one.
    rank = rank.where(~is_failed, n_ok + (n_failed + 1) / 2)
    table["rank"] = rank.astype(float)
    return table[columns]


def _leaderboard_cell(row: Any) -> str:
    if row.status == "n/a":
        return "n/a"
    if row.status == "failed":
        return f"failed ({row.n_cells}/{row.n_planned} folds) ({row.rank:g})"
    if np.isfinite(row.std):
        return f"{row.mean:.4f} ± {row.std:.4f} ({row.rank:g})"
    return f"{row.mean:.4f} ({row.rank:g})"


def format_leaderboard(board: pd.DataFrame) -> pd.DataFrame:
    """Pivot a leaderboard into ``mean ± std (rank)`` text, one row per dataset.

    A failed (dataset, recipe) reads ``failed (k/n folds)`` with its rank,
    an unsupported one ``n/a``. The last row holds each recipe's average
    rank over the datasets where it was ranked, failures included.
    """
    if board.empty:
        return pd.DataFrame()
    text = board.assign(cell=[_leaderboard_cell(row) for row in board.itertuples()])
    wide = text.pivot(index=["dataset", "metric"], columns="recipe", values="cell")
    wide = wide.fillna("n/a")
    order = sorted(wide.index, key=lambda key: (key[0].lower(), key[0]))
    wide = wide.loc[order, sorted(wide.columns, key=lambda name: (name.lower(), name))]
    average = board.groupby("recipe")["rank"].mean()
    wide.loc[("average rank", ""), :] = [
        f"{average[r]:.2f}" if np.isfinite(average[r]) else "n/a" for r in wide.columns
    ]
    wide.columns.name = None
    return wide.reset_index()


def _markdown_cell(value: Any) -> str:
    # A "|" would end the cell and a newline the row.
    text = str(value).replace("\\", "\\\\").replace("|", "\\|")
    return "<br>".join(text.splitlines())


def _markdown_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(_markdown_cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in frame.columns) + "|"
    body = [
        "| " + " | ".join(_markdown_cell(v) for v in row) + " |"
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
    results: pd.DataFrame,
    output: Path,
    settings: dict[str, Any],
    planned: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Write ``report.md``, ``ranks.png`` and ``results.csv`` into ``output``.

    Each file is written to a temporary name and renamed, so a reader never
    sees half a file. ``planned`` is passed to :func:`leaderboard`.
    """
    board = leaderboard(results, planned)
    files = {
        "report": output / "report.md",
        "plot": output / "ranks.png",
        "csv": output / "results.csv",
    }
    write_atomic(files["csv"], results.to_csv(index=False))

    if not board.empty:
        figure = plot_ranks(board)
        write_atomic(
            files["plot"], lambda handle: figure.savefig(handle, format="png", dpi=110)
        )

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
        f"repeat{'' if settings['repeats'] == 1 else 's'}, seed {settings['seed']}",
        f"- cells: {settings.get('n_run', 0)} run by this call, "
        f"{settings.get('n_stored_before', 0)} already stored",
        f"- n_jobs: {settings.get('n_jobs')}",
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
        means = means.sort_values(
            ["dataset", "recipe"], key=lambda column: column.str.lower(), kind="stable"
        )
        means = means.round(4).astype(object).where(means.notna(), "")
        lines.append(_markdown_table(means))
    failed = results[results["status"] != "ok"]
    lines += ["", "## Failed cells", ""]
    if failed.empty:
        lines.append("None.")
    else:
        failed = failed.sort_values(
            ["dataset", "recipe"], key=lambda column: column.str.lower(), kind="stable"
        )
        lines.append(
            _markdown_table(failed[["dataset", "recipe", "repeat", "fold", "error"]])
        )
    return "\n".join(lines) + "\n"
