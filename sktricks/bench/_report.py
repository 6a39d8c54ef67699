"""Leaderboard, Markdown report and plot of a benchmark run."""

from __future__ import annotations

import html
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sktricks.bench._metrics import GREATER_IS_BETTER, PRIMARY_METRIC
from sktricks.bench._stats import RecipeComparison, compare_recipes
from sktricks.bench._store import write_atomic

__all__ = [
    "format_leaderboard",
    "leaderboard",
    "plot_ranks",
    "render_html",
    "render_markdown",
    "render_report",
    "write_report",
]


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
    an unsupported one ``n/a``. The last rows hold average ranks. Each
    averages over one group of datasets on which the same recipes were
    ranked, a failed recipe counting with its last place, so every average
    in a row runs over the same datasets. When every recipe was ranked on
    every dataset, one row ``average rank`` covers them all. Otherwise, as
    when a recipe does not support regression, each group gets its own row
    named after its tasks, such as ``average rank (regression)``, or after
    its datasets when two groups have the same tasks. A recipe not ranked
    in a group reads ``n/a`` in its row.
    """
    if board.empty:
        return pd.DataFrame()
    text = board.assign(cell=[_leaderboard_cell(row) for row in board.itertuples()])
    wide = text.pivot(index=["dataset", "metric"], columns="recipe", values="cell")
    wide = wide.fillna("n/a")
    order = sorted(wide.index, key=lambda key: (key[0].lower(), key[0]))
    wide = wide.loc[order, sorted(wide.columns, key=lambda name: (name.lower(), name))]
    for label, average in _average_ranks_by_group(board):
        wide.loc[(label, ""), :] = [
            f"{average[name]:.2f}" if name in average.index else "n/a"
            for name in wide.columns
        ]
    wide.columns.name = None
    return wide.reset_index()


def _average_ranks_by_group(board: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    """Return a label and the average rank per recipe for each group of datasets.

    Datasets on which the same set of recipes has a rank form a group. The
    averages of a group cover only the recipes ranked there.
    """
    ranked = board[board["rank"].notna()]
    groups: dict[frozenset[str], list[str]] = {}
    for dataset, recipes in ranked.groupby("dataset")["recipe"]:
        groups.setdefault(frozenset(recipes), []).append(str(dataset))
    if len(groups) <= 1:
        return [("average rank", ranked.groupby("recipe")["rank"].mean())]

    labels = {}
    for key, datasets in groups.items():
        tasks = board.loc[board["dataset"].isin(datasets), "task"].unique()
        labels[key] = ", ".join(sorted(tasks))
    rows = []
    for key, datasets in groups.items():
        # Two groups share their tasks when a report is rendered again after
        # a recipe with cells on only some datasets of a task was
        # unregistered. Their labels name the datasets instead.
        shared = list(labels.values()).count(labels[key]) > 1
        names = ", ".join(sorted(datasets, key=str.lower)) if shared else labels[key]
        in_group = ranked[ranked["dataset"].isin(datasets)]
        rows.append(
            (f"average rank ({names})", in_group.groupby("recipe")["rank"].mean())
        )
    return sorted(rows, key=lambda row: row[0].lower())


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
    baseline: str | None = None,
) -> dict[str, Path]:
    """Write the report, plots and CSV of a benchmark into ``output``.

    Files: ``report.md`` and ``report.html`` (the same content),
    ``ranks.png`` (rank per dataset), ``cd_diagram.png`` (critical-difference
    diagram, when the Friedman test can run) and ``results.csv``. Each file is
    written to a temporary name and renamed, so a reader never sees half a
    file. ``planned`` is passed to :func:`leaderboard`; ``baseline`` is the
    recipe of the paired comparison, by default the first of
    ``settings["recipes"]`` that has results.
    """
    board = leaderboard(results, planned)
    files = {
        "report": output / "report.md",
        "html": output / "report.html",
        "plot": output / "ranks.png",
        "cd_plot": output / "cd_diagram.png",
        "csv": output / "results.csv",
    }
    write_atomic(files["csv"], results.to_csv(index=False))

    if not board.empty:
        _save_png(plot_ranks(board), files["plot"])

    comparison = None
    if not board.empty:
        baseline = _default_baseline(board, settings, baseline)
        comparison = compare_recipes(results, baseline, planned=planned)
        figure = comparison.plot()
        if figure is not None:
            _save_png(figure, files["cd_plot"])
        else:
            # A diagram left from an earlier run would no longer match.
            files["cd_plot"].unlink(missing_ok=True)

    blocks = _report_blocks(results, board, settings, comparison)
    write_atomic(files["report"], render_markdown(blocks))
    write_atomic(files["html"], render_html(blocks))
    return files


def _save_png(figure: Figure, path: Path) -> None:
    write_atomic(
        path,
        lambda handle: figure.savefig(
            handle, format="png", dpi=110, bbox_inches="tight"
        ),
    )


def _default_baseline(
    board: pd.DataFrame, settings: dict[str, Any], baseline: str | None
) -> str:
    recipes = list(board["recipe"].unique())
    if baseline is not None:
        if baseline not in recipes:
            raise KeyError(
                f"Baseline {baseline!r} has no stored cells. Recipes with "
                f"results: {', '.join(recipes)}. Choose one of them (--baseline)."
            )
        return baseline
    ordered = [name for name in settings.get("recipes", []) if name in recipes]
    return (ordered or sorted(recipes, key=str.lower))[0]


# A report is a list of blocks that render to Markdown and to HTML:
# ("heading", level, text), ("text", paragraph), ("bullets", items),
# ("table", DataFrame) and ("image", file name, alternative text).
Block = tuple[Any, ...]


def _report_blocks(
    results: pd.DataFrame,
    board: pd.DataFrame,
    settings: dict[str, Any],
    comparison: RecipeComparison | None,
) -> list[Block]:
    repeats = settings.get("repeats", 1)
    cells = (
        f"cells: {settings.get('n_run', 0)} run by this call, "
        f"{settings.get('n_stored_before', 0)} already stored"
        if "n_run" in settings
        else f"cells: {len(results)} stored (report rendered from the results store)"
    )
    details = [
        f"datasets: {', '.join(settings['datasets'])}",
        f"recipes: {', '.join(settings['recipes'])}",
        f"cross-validation: {settings.get('cv')} folds x {repeats} "
        f"repeat{'' if repeats == 1 else 's'}, seed {settings.get('seed')}",
        cells,
    ]
    if "n_jobs" in settings:
        details.append(f"n_jobs: {settings['n_jobs']}")
    if "backend" in settings:
        details.append(f"backend: {settings['backend']}")
    details.append(
        f"sktricks {settings['sktricks']}, Python {settings['python']}, "
        f"{settings['machine']}"
    )
    blocks: list[Block] = [
        ("heading", 1, "sktricks bench report"),
        ("bullets", details),
        ("heading", 2, "Leaderboard"),
        (
            "text",
            "Primary metric per dataset: ROC AUC (one-vs-rest macro for "
            "multiclass) for classification, RMSE for regression. Cells read "
            "mean ± std over folds (rank within the dataset). An average rank "
            "covers the datasets on which the same recipes were ranked, a "
            "failed recipe counting as last. When some recipe does not support "
            "a task (n/a), the datasets are grouped by the recipes ranked on "
            "them, and each group gets its own average-rank row, named after "
            "its tasks.",
        ),
    ]
    if board.empty:
        blocks.append(("text", "No cell succeeded."))
    else:
        blocks.append(("table", format_leaderboard(board)))
        blocks.append(("image", "ranks.png", "Rank per dataset"))
    if comparison is not None:
        blocks += _comparison_blocks(comparison)
    blocks += _metric_blocks(results)
    return blocks


def _format_pvalue(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.3g}"


def _comparison_blocks(comparison: RecipeComparison) -> list[Block]:
    blocks: list[Block] = [
        ("heading", 2, f"Paired comparison with the baseline {comparison.baseline}"),
        (
            "text",
            "Each recipe against the baseline, over the datasets where both "
            "finished every planned fold; all recipes ran on the same splits. "
            "A dataset's score is the mean of its primary metric over folds. "
            "Win/tie/loss counts better/equal/worse scores, a tie being a "
            "relative difference of at most 0.1%. Differences are recipe minus "
            "baseline in metric units (for RMSE, negative is better). The "
            "p-value is the two-sided Wilcoxon signed-rank test across "
            "datasets (n/a with fewer than 2 non-tied datasets).",
        ),
    ]
    paired = comparison.paired
    if not paired.empty:
        table = pd.DataFrame(
            {
                "metric": paired["metric"],
                "recipe": paired["recipe"],
                "datasets": paired["n_datasets"],
                "win/tie/loss": [
                    f"{row.wins}/{row.ties}/{row.losses}" for row in paired.itertuples()
                ],
                "mean difference": paired["mean_difference"].map("{:+.4f}".format),
                "median difference": paired["median_difference"].map("{:+.4f}".format),
                "Wilcoxon p": paired["wilcoxon_pvalue"].map(_format_pvalue),
            }
        )
        blocks.append(("table", table))

    blocks.append(("heading", 2, "Average ranks and critical difference"))
    friedman = comparison.friedman
    if friedman is not None and comparison.critical_difference is not None:
        blocks.append(
            (
                "text",
                f"Ranks within each of {friedman.n_datasets} datasets (1 is "
                f"best), averaged. Friedman test over {friedman.n_recipes} "
                f"recipes: chi-square = {friedman.statistic:.3f}, p = "
                f"{_format_pvalue(friedman.pvalue)}. Nemenyi critical "
                f"difference at alpha = {comparison.alpha:g}: "
                f"{comparison.critical_difference:.3f}; recipes joined by a "
                "bar in the diagram are not significantly different.",
            )
        )
        ranks = friedman.average_ranks
        blocks.append(
            (
                "table",
                pd.DataFrame(
                    {"recipe": ranks.index, "average rank": ranks.map("{:.3f}".format)}
                ),
            )
        )
        blocks.append(("image", "cd_diagram.png", "Critical-difference diagram"))
    for note in comparison.notes:
        blocks.append(("text", f"Note: {note}"))
    return blocks


def _metric_blocks(results: pd.DataFrame) -> list[Block]:
    blocks: list[Block] = [("heading", 2, "All metrics (mean over folds)")]
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
        blocks.append(("table", means))
    blocks.append(("heading", 2, "Failed cells"))
    failed = results[results["status"] != "ok"]
    if failed.empty:
        blocks.append(("text", "None."))
    else:
        failed = failed.sort_values(
            ["dataset", "recipe"], key=lambda column: column.str.lower(), kind="stable"
        )
        blocks.append(
            ("table", failed[["dataset", "recipe", "repeat", "fold", "error"]])
        )
    return blocks


def render_markdown(blocks: list[Block]) -> str:
    """Render report blocks as Markdown."""
    parts = []
    for kind, *content in blocks:
        if kind == "heading":
            parts.append(f"{'#' * content[0]} {content[1]}")
        elif kind == "bullets":
            parts.append("\n".join(f"- {item}" for item in content[0]))
        elif kind == "table":
            parts.append(_markdown_table(content[0]))
        elif kind == "image":
            parts.append(f"![{content[1]}]({content[0]})")
        else:
            parts.append(content[0])
    return "\n\n".join(parts) + "\n"


def _html_cell(value: Any, tag: str) -> str:
    text = "<br>".join(html.escape(line) for line in str(value).splitlines())
    return f"<{tag}>{text}</{tag}>"


def _html_table(frame: pd.DataFrame) -> str:
    header = "".join(_html_cell(column, "th") for column in frame.columns)
    rows = [
        "<tr>" + "".join(_html_cell(value, "td") for value in row) + "</tr>"
        for row in frame.itertuples(index=False)
    ]
    return (
        f"<table>\n<thead><tr>{header}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


_HTML_STYLE = """\
body { font-family: sans-serif; max-width: 72em; margin: 2em auto; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f2f2f2; }
img { max-width: 100%; }"""


def render_html(blocks: list[Block]) -> str:
    """Render report blocks as a standalone HTML page; images stay linked files."""
    body = []
    for kind, *content in blocks:
        if kind == "heading":
            level = content[0]
            body.append(f"<h{level}>{html.escape(content[1])}</h{level}>")
        elif kind == "bullets":
            items = "".join(f"<li>{html.escape(item)}</li>" for item in content[0])
            body.append(f"<ul>{items}</ul>")
        elif kind == "table":
            body.append(_html_table(content[0]))
        elif kind == "image":
            source, alt = html.escape(content[0]), html.escape(content[1])
            body.append(f'<p><img src="{source}" alt="{alt}"></p>')
        else:
            body.append(f"<p>{html.escape(content[0])}</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>sktricks bench report</title>\n<style>\n{_HTML_STYLE}\n</style>\n"
        "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def render_report(
    output: str | Path, *, baseline: str | None = None
) -> dict[str, Path]:
    """Render the report of a results store again, without running any cell.

    Reads ``output/results.sqlite`` and rewrites ``report.md``,
    ``report.html``, ``ranks.png``, ``cd_diagram.png`` and ``results.csv``
    from every stored cell, for instance with another ``baseline``. A
    (dataset, recipe) counts ``cv * repeats`` planned cells when it has a
    stored cell or its registered recipe supports the task. An unregistered
    recipe with no cell on a dataset is ``n/a`` there.

    Parameters
    ----------
    output : str or Path
        Directory of a ``sktricks bench`` run.
    baseline : str, default=None
        Recipe of the paired comparison; by default the first recipe of the
        latest run.

    Returns
    -------
    files : dict
        Paths of the files written, as in ``BenchmarkResult.files``.

    Raises
    ------
    FileNotFoundError
        When ``output`` contains no results store.
    KeyError
        When ``baseline`` has no stored cell.
    """
    from sktricks._version import __version__
    from sktricks.bench._runner import cpu_model
    from sktricks.bench._store import STORE_NAME, ResultsStore

    output = Path(output)
    if not (output / STORE_NAME).is_file():
        raise FileNotFoundError(
            f"No results store {STORE_NAME} in {str(output)!r}. Run "
            f"'sktricks bench --output {output}' first, or give the directory "
            "of an earlier run."
        )
    with ResultsStore(output) as store:
        settings = store.settings()
        results = store.to_frame()

    run = settings.get("run", {})
    stored_recipes = sorted(results["recipe"].unique(), key=str.lower)
    recipes = [name for name in run.get("recipes", []) if name in stored_recipes]
    recipes += [name for name in stored_recipes if name not in recipes]
    report_settings = {
        "datasets": sorted(results["dataset"].unique(), key=str.lower),
        "recipes": recipes,
        "cv": settings.get("cv"),
        "repeats": settings.get("repeats", 1),
        "seed": settings.get("seed"),
        "sktricks": __version__,
        "python": sys.version.split()[0],
        "machine": f"{platform.platform()}, {cpu_model()}",
    }
    planned = _stored_plan(results, recipes, settings)
    return write_report(results, output, report_settings, planned, baseline)


def _stored_plan(
    results: pd.DataFrame, recipes: list[str], settings: dict[str, Any]
) -> pd.DataFrame:
    from sktricks.bench._recipes import get_recipe

    n_cells = int(settings.get("cv", 0)) * int(settings.get("repeats", 1))
    known = results[results["task"].isin(list(PRIMARY_METRIC))]
    tasks = known.groupby("dataset")["task"].first()
    has_cells = set(zip(results["dataset"], results["recipe"], strict=True))
    rows = []
    for dataset, task in tasks.items():
        for recipe in recipes:
            if (dataset, recipe) in has_cells:
                n_planned = n_cells
            else:
                try:
                    supported = task in get_recipe(recipe).tasks
                except KeyError:
                    supported = False
                n_planned = n_cells if supported else 0
            rows.append(
                {
                    "dataset": dataset,
                    "task": task,
                    "recipe": recipe,
                    "n_planned": n_planned,
                }
            )
    return pd.DataFrame(rows, columns=["dataset", "task", "recipe", "n_planned"])
