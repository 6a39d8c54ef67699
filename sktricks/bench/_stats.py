"""Paired statistics of a benchmark: recipes against a baseline on the same splits.

The runner fits every recipe on exactly the same folds of every dataset, so
the per-dataset scores of two recipes form paired samples. This module
compares them the way Demšar recommends for classifiers over many datasets
(J. Demšar, "Statistical Comparisons of Classifiers over Multiple Data
Sets", JMLR 7, 2006): win/tie/loss counts and the Wilcoxon signed-rank test
for one recipe against a baseline, the Friedman test over all recipes, and
the Nemenyi critical difference drawn as a critical-difference diagram.

scipy provides the Wilcoxon test and the studentized range distribution.
The Friedman statistic is computed here because
:func:`scipy.stats.friedmanchisquare` rejects fewer than three recipes; the
tests check it against scipy wherever scipy accepts the input.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from sktricks.bench._metrics import GREATER_IS_BETTER

__all__ = [
    "FriedmanResult",
    "RecipeComparison",
    "average_ranks",
    "compare_recipes",
    "compare_to_baseline",
    "friedman_test",
    "nemenyi_critical_difference",
    "paired_scores",
    "plot_critical_difference",
]

_COMPARISON_COLUMNS = [
    "recipe",
    "baseline",
    "n_datasets",
    "n_missing",
    "wins",
    "ties",
    "losses",
    "mean_difference",
    "median_difference",
    "wilcoxon_pvalue",
]


@dataclass(frozen=True)
class FriedmanResult:
    """Outcome of :func:`friedman_test`.

    Attributes
    ----------
    statistic : float
        Friedman chi-square statistic, corrected for tied ranks.
    pvalue : float
        Its p-value from the chi-square distribution with ``n_recipes - 1``
        degrees of freedom; NaN when every recipe ties on every dataset.
    n_datasets, n_recipes : int
        Size of the complete table the test used.
    average_ranks : Series
        Mean rank of each recipe over those datasets, 1 being best, sorted
        from best to worst.
    dropped : list of str
        Datasets left out because a recipe has no score on them.
    """

    statistic: float
    pvalue: float
    n_datasets: int
    n_recipes: int
    average_ranks: pd.Series
    dropped: list[str] = field(default_factory=list)


@dataclass
class RecipeComparison:
    """Outcome of :func:`compare_recipes`.

    Attributes
    ----------
    baseline : str
        The recipe the others are compared with.
    scores : DataFrame
        Per-dataset primary-metric means, as from :func:`paired_scores`.
    paired : DataFrame
        One row per (metric, recipe) from :func:`compare_to_baseline`.
    friedman : FriedmanResult or None
        None when the test cannot run; ``notes`` gives the reason.
    critical_difference : float or None
        Nemenyi critical difference of average ranks at ``alpha``.
    alpha : float
        Significance level of the critical difference.
    notes : list of str
        Why a statistic is missing, in words a report can show.
    """

    baseline: str
    scores: pd.DataFrame
    paired: pd.DataFrame
    friedman: FriedmanResult | None
    critical_difference: float | None
    alpha: float
    notes: list[str] = field(default_factory=list)

    def plot(self) -> Figure | None:
        """Draw the critical-difference diagram, or return None without a test."""
        if self.friedman is None or self.critical_difference is None:
            return None
        return plot_critical_difference(
            self.friedman.average_ranks,
            self.critical_difference,
            title=(
                f"Average rank over {self.friedman.n_datasets} datasets "
                f"(Friedman p = {self.friedman.pvalue:.3g}, Nemenyi "
                f"CD = {self.critical_difference:.3g} at alpha = {self.alpha:g})"
            ),
        )


def _check_table(scores: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(
            f"scores must be a DataFrame with one row per dataset and one column "
            f"per recipe, got {type(scores).__name__}."
        )
    try:
        return scores.astype(float)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"scores must hold numbers (NaN for a missing score): {error}"
        ) from error


def paired_scores(
    results: pd.DataFrame, planned: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return each recipe's primary-metric mean per dataset, for paired tests.

    The mean runs over the folds and repeats of the dataset, which are the
    same splits for every recipe. A (dataset, recipe) whose planned cells
    did not all succeed, or whose recipe does not support the task, is NaN:
    a mean over the surviving folds is not paired with the baseline's.

    Parameters
    ----------
    results : DataFrame
        Cells as in :attr:`BenchmarkResult.results`.
    planned : DataFrame, default=None
        The run's plan, as in :func:`sktricks.bench.leaderboard`.

    Returns
    -------
    scores : DataFrame
        Index levels ``metric`` (ROC AUC or RMSE) and ``dataset``; one
        column per recipe.
    """
    from sktricks.bench._report import leaderboard

    return _score_table(leaderboard(results, planned))


def _score_table(board: pd.DataFrame) -> pd.DataFrame:
    if board.empty:
        return pd.DataFrame(
            index=pd.MultiIndex.from_arrays([[], []], names=["metric", "dataset"])
        )
    board = board.assign(score=board["mean"].where(board["status"] == "ok"))
    table = board.pivot(index=["metric", "dataset"], columns="recipe", values="score")
    table.columns.name = None
    return table.reindex(columns=sorted(board["recipe"].unique(), key=str.lower))


def _is_tie(recipe: np.ndarray, baseline: np.ndarray, tolerance: float) -> np.ndarray:
    scale = np.maximum(np.abs(recipe), np.abs(baseline))
    return np.abs(recipe - baseline) <= tolerance * scale


def _wilcoxon_pvalue(differences: np.ndarray) -> float:
    # The test drops zero differences ("wilcox" zero method); with fewer
    # than two left it has no distribution to speak of.
    if np.count_nonzero(differences) < 2:
        return float("nan")
    with warnings.catch_warnings():
        # Small samples with ties get scipy's normal approximation and a
        # warning saying so; the report states the sample size instead.
        warnings.simplefilter("ignore", UserWarning)
        return float(stats.wilcoxon(differences).pvalue)


def compare_to_baseline(
    scores: pd.DataFrame,
    baseline: str,
    *,
    greater_is_better: bool = True,
    tie_tolerance: float = 1e-3,
) -> pd.DataFrame:
    """Count wins, ties and losses of each recipe against ``baseline``.

    For each recipe, only the datasets where both it and the baseline have a
    score are compared. A difference is a tie when
    ``|recipe - baseline| <= tie_tolerance * max(|recipe|, |baseline|)``: a
    relative tolerance, because RMSE has the scale of each dataset's target.

    Parameters
    ----------
    scores : DataFrame
        One row per dataset, one column per recipe; NaN for a missing score.
    baseline : str
        Column the other recipes are compared with.
    greater_is_better : bool, default=True
        Direction of the metric; a win is a better score, not a larger one.
    tie_tolerance : float, default=1e-3
        Relative tolerance under which two scores tie; 0 ties only equal
        scores.

    Returns
    -------
    comparison : DataFrame
        One row per other recipe, with the columns ``recipe``, ``baseline``,
        ``n_datasets`` (datasets compared), ``n_missing`` (datasets skipped
        for a missing score), ``wins``, ``ties`` and ``losses``. The columns
        ``mean_difference`` and ``median_difference`` are recipe minus
        baseline, in metric units. ``wilcoxon_pvalue`` is the two-sided
        Wilcoxon signed-rank test of the differences, zero differences
        dropped, and NaN with fewer than two non-zero differences.

    Raises
    ------
    KeyError
        When ``baseline`` is not a column; the message lists the recipes.
    ValueError
        When the table has no recipe besides the baseline, or a negative
        tolerance.

    Examples
    --------
    >>> import pandas as pd
    >>> from sktricks.bench import compare_to_baseline
    >>> scores = pd.DataFrame(
    ...     {"linear": [0.80, 0.70, 0.90], "lightgbm": [0.85, 0.70, 0.88]},
    ...     index=["a", "b", "c"],
    ... )
    >>> compare_to_baseline(scores, "linear")[["recipe", "wins", "ties", "losses"]]
         recipe  wins  ties  losses
    0  lightgbm     1     1       1
    """
    scores = _check_table(scores)
    if baseline not in scores.columns:
        raise KeyError(
            f"Baseline {baseline!r} is not among the recipes: "
            f"{', '.join(map(str, scores.columns))}. Choose one of them."
        )
    others = [name for name in scores.columns if name != baseline]
    if not others:
        raise ValueError(
            f"Only the baseline {baseline!r} has scores: a paired comparison "
            "needs at least one other recipe."
        )
    if not np.isfinite(tie_tolerance) or tie_tolerance < 0:
        raise ValueError(
            f"tie_tolerance={tie_tolerance!r} is invalid: use a relative "
            "tolerance of 0 or more."
        )

    rows = []
    for recipe in others:
        pair = scores[[recipe, baseline]].dropna()
        theirs = pair[recipe].to_numpy()
        base = pair[baseline].to_numpy()
        differences = theirs - base
        tie = _is_tie(theirs, base, tie_tolerance)
        better = differences > 0 if greater_is_better else differences < 0
        rows.append(
            {
                "recipe": recipe,
                "baseline": baseline,
                "n_datasets": len(pair),
                "n_missing": len(scores) - len(pair),
                "wins": int(np.sum(better & ~tie)),
                "ties": int(np.sum(tie)),
                "losses": int(np.sum(~better & ~tie)),
                "mean_difference": float(np.mean(differences)) if len(pair) else np.nan,
                "median_difference": (
                    float(np.median(differences)) if len(pair) else np.nan
                ),
                "wilcoxon_pvalue": _wilcoxon_pvalue(differences),
            }
        )
    return pd.DataFrame(rows, columns=_COMPARISON_COLUMNS)


def compare_recipes(
    results: pd.DataFrame,
    baseline: str,
    *,
    planned: pd.DataFrame | None = None,
    alpha: float = 0.05,
    tie_tolerance: float = 1e-3,
) -> RecipeComparison:
    """Compare every recipe of a benchmark with ``baseline``, and rank them all.

    Wins, ties, losses, differences and the Wilcoxon test are computed per
    primary metric (ROC AUC and RMSE are not on one scale). Ranks, the
    Friedman test and the Nemenyi critical difference pool the datasets of
    all tasks, since ranks have no unit, but only those where every recipe
    has a score, so that every average rank covers the same datasets. A
    recipe that does not support a task thus leaves out every dataset of
    that task, and ``notes`` names the datasets left out and why. A
    statistic that cannot be computed (too few datasets or recipes with
    scores) is None and ``notes`` gives the reason.

    Parameters
    ----------
    results : DataFrame
        Cells as in :attr:`BenchmarkResult.results`.
    baseline : str
        Recipe the others are compared with.
    planned : DataFrame, default=None
        The run's plan, as in :func:`sktricks.bench.leaderboard`.
    alpha : float, default=0.05
        Significance level of the critical difference.
    tie_tolerance : float, default=1e-3
        Relative tolerance of a tie, as in :func:`compare_to_baseline`.

    Returns
    -------
    comparison : RecipeComparison

    Raises
    ------
    KeyError
        When ``baseline`` has no cell in ``results``; the message lists the
        recipes.
    """
    from sktricks.bench._report import leaderboard

    board = leaderboard(results, planned)
    scores = _score_table(board)
    if baseline not in scores.columns:
        raise KeyError(
            f"Baseline {baseline!r} is not among the recipes of the results: "
            f"{', '.join(map(str, scores.columns)) or 'none'}. Choose one of them "
            "(--baseline)."
        )
    notes: list[str] = []

    tables = []
    for metric, group in scores.groupby(level="metric", sort=True):
        table = group.droplevel("metric")
        try:
            paired = compare_to_baseline(
                table,
                baseline,
                greater_is_better=GREATER_IS_BETTER[str(metric)],
                tie_tolerance=tie_tolerance,
            )
        except ValueError as error:
            notes.append(str(error))
            continue
        tables.append(paired.assign(metric=metric))
    paired = (
        pd.concat(tables, ignore_index=True)
        if tables
        else pd.DataFrame(columns=[*_COMPARISON_COLUMNS, "metric"])
    )
    paired = paired[["metric", *_COMPARISON_COLUMNS]]

    # Rank on scores where larger is better, so that RMSE rows rank too.
    direction = np.where(
        [GREATER_IS_BETTER[metric] for metric in scores.index.get_level_values(0)],
        1.0,
        -1.0,
    )
    signed = scores.mul(direction, axis=0).droplevel("metric")
    friedman = critical_difference = None
    try:
        friedman = friedman_test(signed, greater_is_better=True)
        critical_difference = nemenyi_critical_difference(
            friedman.n_recipes, friedman.n_datasets, alpha
        )
    except ValueError as error:
        notes.append(str(error))
    _, dropped = _complete_rows(signed)
    if dropped and scores.shape[1] >= 2:
        notes.append(_dropped_note(board, dropped))
    return RecipeComparison(
        baseline=baseline,
        scores=scores,
        paired=paired,
        friedman=friedman,
        critical_difference=critical_difference,
        alpha=alpha,
        notes=notes,
    )


def _join_names(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _missing_score_reason(board: pd.DataFrame, dataset: str) -> str:
    """Return why recipes have no score on ``dataset``: unsupported or failed."""
    rows = board[board["dataset"] == dataset]
    reasons = []
    unsupported = rows.loc[rows["status"] == "n/a", "recipe"].tolist()
    if unsupported:
        verb = "does" if len(unsupported) == 1 else "do"
        task = rows["task"].iloc[0]
        reasons.append(f"{_join_names(unsupported)} {verb} not support {task}")
    failed = rows.loc[rows["status"] == "failed", "recipe"].tolist()
    if failed:
        reasons.append(f"{_join_names(failed)} failed")
    return ", ".join(reasons)


def _dropped_note(board: pd.DataFrame, dropped: list[str]) -> str:
    by_reason: dict[str, list[str]] = {}
    for dataset in dropped:
        by_reason.setdefault(_missing_score_reason(board, dataset), []).append(dataset)
    details = "; ".join(
        f"{_join_names(datasets)} ({reason})" for reason, datasets in by_reason.items()
    )
    noun = "dataset" if len(dropped) == 1 else "datasets"
    return (
        f"Ranks leave out {len(dropped)} {noun} where a recipe has no score: {details}."
    )


def _complete_rows(scores: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    complete = scores.notna().all(axis=1)
    dropped = [str(name) for name in scores.index[~complete]]
    return scores.loc[complete], dropped


def _check_size(n_datasets: int, n_recipes: int, dropped: list[str]) -> None:
    if n_recipes < 2:
        raise ValueError(
            f"Ranking needs at least 2 recipes, got {n_recipes}. Run more recipes."
        )
    if n_datasets < 2:
        skipped = (
            f" ({len(dropped)} left out for a missing score: {', '.join(dropped)})"
            if dropped
            else ""
        )
        raise ValueError(
            f"The Friedman test needs at least 2 datasets where every recipe has "
            f"a score, got {n_datasets}{skipped}. Run more datasets, or fix the "
            "failed cells and rerun. A recipe that does not support a task has "
            "no score on any dataset of that task, so compare it in a run of "
            "the tasks it supports."
        )


def _row_ranks(scores: pd.DataFrame, greater_is_better: bool) -> pd.DataFrame:
    signed = -scores if greater_is_better else scores
    return signed.rank(axis=1, method="average")


def average_ranks(scores: pd.DataFrame, *, greater_is_better: bool = True) -> pd.Series:
    """Return each recipe's mean rank over the datasets, 1 being best.

    Ranks are taken within each dataset, tied scores sharing the average of
    their ranks. Datasets where a recipe has no score are left out, so that
    every mean runs over the same datasets.

    Raises
    ------
    ValueError
        With fewer than 2 recipes, or fewer than 2 complete datasets.

    Examples
    --------
    >>> import pandas as pd
    >>> from sktricks.bench import average_ranks
    >>> scores = pd.DataFrame({"a": [0.9, 0.8], "b": [0.7, 0.8], "c": [0.6, 0.5]})
    >>> average_ranks(scores).to_dict()
    {'a': 1.25, 'b': 1.75, 'c': 3.0}
    """
    scores = _check_table(scores)
    complete, dropped = _complete_rows(scores)
    _check_size(len(complete), scores.shape[1], dropped)
    ranks = _row_ranks(complete, greater_is_better).mean(axis=0)
    return ranks.sort_values(kind="stable")


def friedman_test(
    scores: pd.DataFrame, *, greater_is_better: bool = True
) -> FriedmanResult:
    """Test whether the recipes' ranks differ across the datasets (Friedman).

    The statistic is ``12 / (N k (k + 1)) * sum_j R_j**2 - 3 N (k + 1)``,
    with ``R_j`` the rank sum of recipe j over N datasets and k recipes,
    divided by ``1 - sum(t**3 - t) / (N (k**3 - k))`` to correct for groups
    of t tied scores. It is the statistic of
    :func:`scipy.stats.friedmanchisquare`, which however needs at least 3
    recipes. Datasets where a recipe has no score are left out.

    Parameters
    ----------
    scores : DataFrame
        One row per dataset, one column per recipe; NaN for a missing score.
    greater_is_better : bool, default=True
        Direction of the metric, so that rank 1 is the best score.

    Returns
    -------
    result : FriedmanResult

    Raises
    ------
    ValueError
        With fewer than 2 recipes, or fewer than 2 datasets where every
        recipe has a score; the message names the datasets left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from sktricks.bench import friedman_test
    >>> scores = pd.DataFrame(
    ...     {"a": [0.9, 0.8, 0.7, 0.9], "b": [0.8, 0.7, 0.6, 0.8],
    ...      "c": [0.7, 0.75, 0.5, 0.6]}
    ... )
    >>> result = friedman_test(scores)
    >>> round(result.statistic, 3), round(result.pvalue, 4)
    (6.5, 0.0388)
    """
    scores = _check_table(scores)
    complete, dropped = _complete_rows(scores)
    n, k = complete.shape
    _check_size(n, k, dropped)

    ranks = _row_ranks(complete, greater_is_better)
    rank_sums = ranks.sum(axis=0).to_numpy()
    statistic = 12.0 / (n * k * (k + 1)) * np.sum(rank_sums**2) - 3.0 * n * (k + 1)

    tie_sum = 0.0
    for row in ranks.to_numpy():
        _, counts = np.unique(row, return_counts=True)
        tie_sum += float(np.sum(counts**3 - counts))
    correction = 1.0 - tie_sum / (n * (k**3 - k))

    if correction <= 0:
        # Every recipe ties on every dataset: the ranks carry no information.
        statistic, pvalue = float("nan"), float("nan")
    else:
        statistic = float(statistic / correction)
        pvalue = float(stats.chi2.sf(statistic, k - 1))
    return FriedmanResult(
        statistic=statistic,
        pvalue=pvalue,
        n_datasets=n,
        n_recipes=k,
        average_ranks=(ranks.mean(axis=0)).sort_values(kind="stable"),
        dropped=dropped,
    )


def nemenyi_critical_difference(
    n_recipes: int, n_datasets: int, alpha: float = 0.05
) -> float:
    """Return the Nemenyi critical difference of average ranks.

    Two recipes whose average ranks differ by more than
    ``q_alpha * sqrt(k (k + 1) / (6 N))`` perform differently at level
    ``alpha``. Here ``q_alpha`` is the ``1 - alpha`` quantile of the
    studentized range of k recipes with infinite degrees of freedom, divided
    by ``sqrt(2)``.

    Raises
    ------
    ValueError
        With fewer than 2 recipes or datasets, or ``alpha`` outside (0, 1).

    Examples
    --------
    >>> from sktricks.bench import nemenyi_critical_difference
    >>> round(nemenyi_critical_difference(4, 14), 3)
    1.254
    """
    for name, value in (("n_recipes", n_recipes), ("n_datasets", n_datasets)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name}={value!r} must be an integer.")
        if value < 2:
            raise ValueError(f"{name}={value} is too small: the test needs at least 2.")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha={alpha!r} is invalid: use a level between 0 and 1.")
    q_alpha = stats.studentized_range.ppf(1 - alpha, n_recipes, np.inf) / np.sqrt(2)
    return float(q_alpha * np.sqrt(n_recipes * (n_recipes + 1) / (6.0 * n_datasets)))


def _cliques(ranks: np.ndarray, critical_difference: float) -> list[tuple[int, int]]:
    # Maximal runs of sorted recipes whose ranks lie within the critical
    # difference of each other: no test separates the recipes of a run.
    runs: list[tuple[int, int]] = []
    for start in range(len(ranks)):
        end = start
        while (
            end + 1 < len(ranks)
            and ranks[end + 1] - ranks[start] <= critical_difference
        ):
            end += 1
        if end > start and not any(s <= start and end <= e for s, e in runs):
            runs.append((start, end))
    return runs


def plot_critical_difference(
    ranks: pd.Series, critical_difference: float, *, title: str | None = None
) -> Figure:
    """Draw a critical-difference diagram of average ranks.

    Recipes hang from a rank axis, the best (lowest rank) at the left. A bar
    above the axis shows the critical difference. A thick line joins each
    group of recipes whose ranks differ by no more than it, because no test
    separates them. The figure is built without pyplot.

    Parameters
    ----------
    ranks : Series
        Average rank per recipe, as from :func:`average_ranks`.
    critical_difference : float
        From :func:`nemenyi_critical_difference`.
    title : str, default=None
        Figure title.

    Returns
    -------
    figure : matplotlib.figure.Figure
        Save it with ``figure.savefig("cd.png")``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sktricks.bench import plot_critical_difference
    >>> ranks = pd.Series({"lightgbm": 1.4, "xgboost": 1.8, "linear": 2.8})
    >>> figure = plot_critical_difference(ranks, 0.9)
    >>> [text.get_text().strip() for text in figure.axes[0].texts]
    ['CD = 0.90', 'lightgbm (1.40)', 'xgboost (1.80)', 'linear (2.80)']
    """
    ranks = pd.Series(ranks, dtype=float).sort_values(kind="stable")
    if len(ranks) < 2 or not np.isfinite(ranks.to_numpy()).all():
        raise ValueError(
            f"A critical-difference diagram needs at least 2 finite ranks, got "
            f"{ranks.to_dict()}."
        )
    k = max(int(np.ceil(ranks.max())), len(ranks))
    names, values = list(ranks.index), ranks.to_numpy()
    n_left = (len(names) + 1) // 2
    n_rows = max(n_left, len(names) - n_left)

    # The axes take the middle half of the figure. The names hang outside
    # it, on the left for the better half and on the right for the rest.
    figure = Figure(figsize=(7.0, 1.2 + 0.3 * n_rows))
    axes = figure.add_axes((0.25, 0.02, 0.5, 0.7 if title else 0.8))
    axes.set_xlim(1, k)
    axes.set_ylim(-(n_rows + 0.5) * 0.6, 1.3)
    axes.spines[["left", "right", "bottom"]].set_visible(False)
    axes.spines["top"].set_position(("data", 0))
    axes.xaxis.set_ticks_position("top")
    axes.set_xticks(range(1, k + 1))
    axes.set_yticks([])

    # The critical-difference bar, drawn from the best rank.
    axes.plot([1, 1 + critical_difference], [0.9, 0.9], color="black", lw=1.5)
    axes.text(
        1 + critical_difference / 2,
        1.0,
        f"CD = {critical_difference:.2f}",
        ha="center",
        va="bottom",
        fontsize=9,
    )

    for index, (name, rank) in enumerate(zip(names, values, strict=True)):
        left = index < n_left
        row = index if left else len(names) - 1 - index
        level = -(row + 1) * 0.6
        end = 1 - 0.05 * (k - 1) if left else k + 0.05 * (k - 1)
        axes.plot(
            [rank, rank, end], [0, level, level], color="black", lw=1, clip_on=False
        )
        axes.text(
            end,
            level,
            f" {name} ({rank:.2f}) ",
            ha="right" if left else "left",
            va="center",
            fontsize=9,
        )

    for offset, (first, last) in enumerate(_cliques(values, critical_difference)):
        height = -0.2 - 0.16 * offset
        axes.plot(
            [values[first] - 0.03, values[last] + 0.03],
            [height, height],
            color="tab:red",
            lw=3,
            solid_capstyle="round",
            clip_on=False,
        )
    if title:
        figure.suptitle(title, fontsize=9)
    return figure
