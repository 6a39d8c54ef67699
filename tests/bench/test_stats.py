import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import stats

from sktricks.bench import (
    average_ranks,
    compare_recipes,
    compare_to_baseline,
    friedman_test,
    nemenyi_critical_difference,
    plot_critical_difference,
)

# Hand-made score tables: rows are datasets, columns recipes. The second
# has ties inside rows and between recipes.
TABLE = pd.DataFrame(
    {
        "base": [0.80, 0.71, 0.90, 0.65, 0.77, 0.88, 0.93],
        "a": [0.82, 0.70, 0.91, 0.69, 0.80, 0.87, 0.95],
        "b": [0.79, 0.73, 0.85, 0.60, 0.77, 0.86, 0.90],
        "c": [0.81, 0.72, 0.92, 0.66, 0.78, 0.89, 0.94],
    },
    index=[f"d{i}" for i in range(7)],
)
TIED = pd.DataFrame(
    {
        "base": [0.5, 0.6, 0.7, 0.8, 0.9, 0.5],
        "a": [0.5, 0.7, 0.7, 0.7, 0.9, 0.6],
        "b": [0.4, 0.6, 0.8, 0.8, 0.9, 0.6],
    },
    index=[f"t{i}" for i in range(6)],
)


def _brute_force_counts(theirs, base, tolerance, greater_is_better):
    wins = ties = losses = 0
    for mine, other in zip(theirs, base, strict=True):
        if np.isnan(mine) or np.isnan(other):
            continue
        if abs(mine - other) <= tolerance * max(abs(mine), abs(other)):
            ties += 1
        elif (mine > other) == greater_is_better:
            wins += 1
        else:
            losses += 1
    return wins, ties, losses


@pytest.mark.parametrize("greater_is_better", [True, False])
@pytest.mark.parametrize("tolerance", [0.0, 1e-3, 0.02])
def test_compare_to_baseline_counts_match_brute_force(greater_is_better, tolerance):
    rng = np.random.default_rng(0)
    scores = pd.DataFrame(
        rng.choice([0.70, 0.701, 0.71, 0.75, 0.80, np.nan], size=(40, 4)),
        columns=["base", "x", "y", "z"],
    )
    table = compare_to_baseline(
        scores, "base", greater_is_better=greater_is_better, tie_tolerance=tolerance
    ).set_index("recipe")
    for recipe in ["x", "y", "z"]:
        expected = _brute_force_counts(
            scores[recipe], scores["base"], tolerance, greater_is_better
        )
        row = table.loc[recipe]
        assert (row["wins"], row["ties"], row["losses"]) == expected
        paired = scores[[recipe, "base"]].dropna()
        assert row["n_datasets"] == len(paired)
        assert row["n_missing"] == len(scores) - len(paired)


def test_compare_to_baseline_differences_and_wilcoxon_match_scipy():
    table = compare_to_baseline(TABLE, "base").set_index("recipe")
    for recipe in ["a", "b", "c"]:
        differences = TABLE[recipe] - TABLE["base"]
        row = table.loc[recipe]
        assert row["mean_difference"] == pytest.approx(differences.mean(), abs=1e-12)
        assert row["median_difference"] == pytest.approx(
            differences.median(), abs=1e-12
        )
        assert row["wilcoxon_pvalue"] == pytest.approx(
            stats.wilcoxon(TABLE[recipe], TABLE["base"]).pvalue, rel=1e-12
        )


def test_compare_to_baseline_wilcoxon_with_zero_differences():
    # Each recipe ties the baseline exactly on three datasets; scipy drops them.
    table = compare_to_baseline(TIED, "base").set_index("recipe")
    for recipe in ["a", "b"]:
        expected = stats.wilcoxon(TIED[recipe], TIED["base"]).pvalue
        assert table.loc[recipe, "wilcoxon_pvalue"] == pytest.approx(expected)
        assert table.loc[recipe, "ties"] == 3


def test_compare_to_baseline_wilcoxon_undefined_is_nan():
    scores = pd.DataFrame({"base": [0.5, 0.6, 0.7], "same": [0.5, 0.6, 0.71]})
    row = compare_to_baseline(scores, "base").iloc[0]
    assert np.isnan(row["wilcoxon_pvalue"])
    one = compare_to_baseline(scores.iloc[:1], "base").iloc[0]
    assert one["n_datasets"] == 1
    assert np.isnan(one["wilcoxon_pvalue"])


def test_compare_to_baseline_direction_for_lower_is_better():
    scores = pd.DataFrame({"base": [2.0, 3.0, 4.0], "lower": [1.0, 2.0, 5.0]})
    row = compare_to_baseline(scores, "base", greater_is_better=False).iloc[0]
    assert (row["wins"], row["ties"], row["losses"]) == (2, 0, 1)
    assert row["mean_difference"] == pytest.approx(-1 / 3)


def test_compare_to_baseline_rejects_bad_input():
    with pytest.raises(KeyError, match=r"Baseline 'nope' is not among.*base, a"):
        compare_to_baseline(TABLE[["base", "a"]], "nope")
    with pytest.raises(ValueError, match="needs at least one other recipe"):
        compare_to_baseline(TABLE[["base"]], "base")
    with pytest.raises(ValueError, match="tie_tolerance=-1 is invalid"):
        compare_to_baseline(TABLE, "base", tie_tolerance=-1)
    with pytest.raises(TypeError, match="must be a DataFrame"):
        compare_to_baseline(TABLE.to_numpy(), "base")


@pytest.mark.parametrize("table", [TABLE, TIED], ids=["distinct", "tied"])
def test_friedman_matches_scipy(table):
    result = friedman_test(table)
    expected = stats.friedmanchisquare(*(table[c] for c in table.columns))
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.pvalue == pytest.approx(expected.pvalue, rel=1e-12)
    assert (result.n_datasets, result.n_recipes) == table.shape


def test_friedman_lower_is_better_gives_same_statistic():
    # Reversing the direction mirrors the ranks: the statistic is unchanged.
    upward = friedman_test(TABLE)
    downward = friedman_test(-TABLE, greater_is_better=False)
    assert downward.statistic == pytest.approx(upward.statistic)
    assert downward.average_ranks.to_dict() == pytest.approx(
        upward.average_ranks.to_dict()
    )


def test_friedman_two_recipes_is_sign_test_statistic():
    # With k = 2 and no ties the statistic reduces to (W - L)**2 / N.
    scores = TABLE[["base", "a"]]
    wins = int((scores["a"] > scores["base"]).sum())
    losses = int((scores["a"] < scores["base"]).sum())
    result = friedman_test(scores)
    assert result.statistic == pytest.approx((wins - losses) ** 2 / len(scores))
    assert result.pvalue == pytest.approx(stats.chi2.sf(result.statistic, 1))


def test_friedman_drops_datasets_with_missing_scores():
    scores = TABLE.copy()
    scores.loc["d2", "b"] = np.nan
    result = friedman_test(scores)
    complete = TABLE.drop(index="d2")
    expected = stats.friedmanchisquare(*(complete[c] for c in complete.columns))
    assert result.dropped == ["d2"]
    assert result.n_datasets == 6
    assert result.statistic == pytest.approx(expected.statistic)


def test_friedman_all_ties_is_nan():
    scores = pd.DataFrame({"a": [0.5, 0.6], "b": [0.5, 0.6]})
    result = friedman_test(scores)
    assert np.isnan(result.statistic)
    assert np.isnan(result.pvalue)


def test_friedman_rejects_too_few_datasets_or_recipes():
    with pytest.raises(ValueError, match="at least 2 recipes, got 1"):
        friedman_test(TABLE[["base"]])
    missing = TABLE.iloc[:3].copy()
    missing.loc[["d0", "d1"], "a"] = np.nan
    with pytest.raises(ValueError, match=r"got 1 \(2 left out.*: d0, d1\)"):
        friedman_test(missing)


def test_average_ranks_match_brute_force():
    expected = {name: 0.0 for name in TIED.columns}
    for _, row in TIED.iterrows():
        for name, value in row.items():
            better = sum(other > value for other in row)
            equal = sum(other == value for other in row)
            # Rank of a group of tied scores: the mean of the ranks it spans.
            expected[name] += better + (equal + 1) / 2
    ranks = average_ranks(TIED)
    for name, total in expected.items():
        assert ranks[name] == pytest.approx(total / len(TIED))
    assert list(ranks) == sorted(ranks)


# Demšar (2006), Table 5(a): q_0.05 of the Nemenyi test for k = 2 .. 10.
_DEMSAR_Q005 = {
    2: 1.960,
    3: 2.343,
    4: 2.569,
    5: 2.728,
    6: 2.850,
    7: 2.949,
    8: 3.031,
    9: 3.102,
    10: 3.164,
}


@pytest.mark.parametrize("k", sorted(_DEMSAR_Q005))
def test_nemenyi_critical_difference_matches_published_table(k):
    n = 14
    expected = _DEMSAR_Q005[k] * np.sqrt(k * (k + 1) / (6 * n))
    assert nemenyi_critical_difference(k, n) == pytest.approx(expected, abs=2e-3)


def test_nemenyi_critical_difference_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n_datasets=1 is too small"):
        nemenyi_critical_difference(3, 1)
    with pytest.raises(ValueError, match="n_recipes=1 is too small"):
        nemenyi_critical_difference(1, 5)
    with pytest.raises(ValueError, match=r"alpha=1\.5 is invalid"):
        nemenyi_critical_difference(3, 5, alpha=1.5)


def test_plot_critical_difference_joins_close_recipes():
    ranks = pd.Series({"c": 3.0, "a": 1.0, "b": 1.4, "d": 3.3})
    figure = plot_critical_difference(ranks, 0.5, title="CD")
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    cliques = [line for line in axes.lines if line.get_color() == "tab:red"]
    # {a, b} and {c, d} each lie within 0.5; a and c do not.
    spans = sorted(tuple(np.round(line.get_xdata(), 2)) for line in cliques)
    assert spans == [(0.97, 1.43), (2.97, 3.33)]
    labels = [text.get_text().strip() for text in axes.texts]
    assert labels[1:] == ["a (1.00)", "b (1.40)", "c (3.00)", "d (3.30)"]


def test_plot_critical_difference_rejects_one_recipe():
    with pytest.raises(ValueError, match="at least 2 finite ranks"):
        plot_critical_difference(pd.Series({"a": 1.0}), 0.5)


def _cells(scores, task, metric):
    rows = []
    for dataset, row in scores.iterrows():
        for recipe, value in row.items():
            for fold, offset in enumerate([-0.01, 0.01]):
                ok = not np.isnan(value)
                rows.append(
                    {
                        "dataset": dataset,
                        "recipe": recipe,
                        "repeat": 0,
                        "fold": fold,
                        "task": task,
                        "status": "ok" if ok else "error",
                        metric: value + offset if ok else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def test_compare_recipes_from_cells_per_metric():
    classification = TABLE.iloc[:4]
    regression = pd.DataFrame(
        {
            "base": [3.0, 5.0, 2.0],
            "a": [2.5, 5.5, 1.0],
            "b": [3.5, 6.0, 2.5],
            "c": [3.1, 4.0, 2.0],
        },
        index=["r0", "r1", "r2"],
    )
    cells = pd.concat(
        [
            _cells(classification, "binary", "roc_auc"),
            _cells(regression, "regression", "rmse"),
        ],
        ignore_index=True,
    )
    # A failed fold removes the (dataset, recipe) from the paired tests.
    failed = (
        (cells["dataset"] == "d0") & (cells["recipe"] == "b") & (cells["fold"] == 1)
    )
    cells.loc[failed, ["status", "roc_auc"]] = ["error", np.nan]

    comparison = compare_recipes(cells, "base")
    paired = comparison.paired.set_index(["metric", "recipe"])
    assert paired.loc[("rmse", "a"), ["wins", "ties", "losses"]].tolist() == [2, 0, 1]
    assert paired.loc[("roc_auc", "b"), "n_datasets"] == 3
    assert paired.loc[("roc_auc", "b"), "n_missing"] == 1

    # Ranks pool both metrics, RMSE ranked with lower as better.
    signed = pd.concat([classification.drop(index="d0"), -regression])
    expected = stats.friedmanchisquare(*(signed[c] for c in signed.columns))
    assert comparison.friedman.statistic == pytest.approx(expected.statistic)
    assert comparison.friedman.dropped == ["d0"]
    assert comparison.critical_difference == pytest.approx(
        nemenyi_critical_difference(4, 6)
    )
    assert any("d0" in note for note in comparison.notes)
    assert isinstance(comparison.plot(), Figure)


def test_compare_recipes_unknown_baseline_and_one_dataset():
    cells = _cells(TABLE.iloc[:1], "binary", "roc_auc")
    with pytest.raises(KeyError, match=r"Baseline 'zzz' is not among.*--baseline"):
        compare_recipes(cells, "zzz")
    comparison = compare_recipes(cells, "base")
    assert comparison.friedman is None
    assert comparison.plot() is None
    assert any("at least 2 datasets" in note for note in comparison.notes)


def test_compare_recipes_ranks_only_complete_datasets(mixed_support_cells):
    results, planned, _ = mixed_support_cells
    comparison = compare_recipes(results, "A", planned=planned)

    # Only b1 and b2 have a score from every recipe: C is binary only, D
    # supports no multiclass and B failed a fold of r2.
    assert comparison.friedman.n_datasets == 2
    assert sorted(comparison.friedman.dropped) == ["m1", "r1", "r2"]
    ok = results[results["status"] == "ok"]
    means = ok.groupby(["dataset", "recipe"])["roc_auc"].mean().unstack()
    complete = means.loc[["b1", "b2"], ["A", "B", "C", "D"]]
    expected = {}
    for recipe in complete.columns:
        ranks = [
            1 + int((complete.loc[dataset] > complete.loc[dataset, recipe]).sum())
            for dataset in complete.index
        ]
        expected[recipe] = np.mean(ranks)
    assert comparison.friedman.average_ranks.to_dict() == pytest.approx(expected)

    assert (
        "Ranks leave out 3 datasets where a recipe has no score: r1 (C does not "
        "support regression); r2 (C does not support regression, B failed); m1 "
        "(C and D do not support multiclass)." in comparison.notes
    )
