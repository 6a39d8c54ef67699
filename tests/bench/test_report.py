import sqlite3

import numpy as np
import pandas as pd
import pytest

from sktricks.bench import register_recipe, render_report, run_benchmark
from sktricks.bench._cli import main

DATASETS = ["diabetes", "kc2", "bodyfat"]
RECIPES = ["linear", "lightgbm"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    output = tmp_path_factory.mktemp("run")
    run_benchmark(DATASETS, RECIPES, cv=2, output=output, verbose=0, n_jobs=1)
    return output


def _section(text, title):
    return text.split(f"## {title}")[1].split("\n## ")[0]


def _table_rows(section):
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|")
    ][2:]


def test_report_paired_table_matches_hand_count(run_dir):
    frame = pd.read_csv(run_dir / "results.csv")
    report = (run_dir / "report.md").read_text()
    rows = _table_rows(_section(report, "Paired comparison with the baseline linear"))
    by_metric = {row[0]: row for row in rows}
    assert set(by_metric) == {"roc_auc", "rmse"}

    for metric, higher_is_better in [("roc_auc", True), ("rmse", False)]:
        means = frame.dropna(subset=[metric]).groupby(["dataset", "recipe"])[metric]
        table = means.mean().unstack()
        wins = ties = losses = 0
        for dataset in table.index:
            mine, base = table.loc[dataset, "lightgbm"], table.loc[dataset, "linear"]
            if abs(mine - base) <= 1e-3 * max(abs(mine), abs(base)):
                ties += 1
            elif (mine > base) == higher_is_better:
                wins += 1
            else:
                losses += 1
        row = by_metric[metric]
        assert row[1] == "lightgbm"
        assert row[2] == str(len(table))
        assert row[3] == f"{wins}/{ties}/{losses}"
        difference = (table["lightgbm"] - table["linear"]).mean()
        assert float(row[4]) == pytest.approx(difference, abs=1e-4)


def test_report_ranks_friedman_and_diagram(run_dir):
    report = (run_dir / "report.md").read_text()
    section = _section(report, "Average ranks and critical difference")
    assert "Friedman test over 2 recipes" in section
    assert "![Critical-difference diagram](cd_diagram.png)" in section
    assert (run_dir / "cd_diagram.png").read_bytes()[:4] == b"\x89PNG"
    # The failed-cells section stays last, after the new sections.
    assert report.rstrip().endswith("None.")


def test_report_html_has_tables_and_images(run_dir):
    page = (run_dir / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<table>") == 4
    assert '<img src="cd_diagram.png"' in page
    assert '<img src="ranks.png"' in page
    assert "Paired comparison with the baseline linear" in page


def test_report_command_rerenders_without_running(run_dir, monkeypatch, capsys):
    def reject(*args, **kwargs):
        raise AssertionError("the report command ran a cell")

    monkeypatch.setattr("sktricks.bench._runner.run_cell", reject)
    monkeypatch.setattr("sktricks.bench.run_benchmark", reject)
    before = (run_dir / "report.md").read_text()
    with sqlite3.connect(run_dir / "results.sqlite") as connection:
        count = connection.execute("SELECT COUNT(*) FROM cells").fetchone()

    assert main(["bench", "report", str(run_dir), "--baseline", "lightgbm"]) == 0
    out = capsys.readouterr().out
    assert "report.html" in out
    assert "cd_diagram.png" in out

    after = (run_dir / "report.md").read_text()
    assert "## Paired comparison with the baseline lightgbm" in after
    assert "12 stored (report rendered from the results store)" in after
    # The leaderboard is the same table as the run's own report.
    assert _section(after, "Leaderboard") == _section(before, "Leaderboard")
    rows = _table_rows(_section(after, "Paired comparison with the baseline lightgbm"))
    assert [row[1] for row in rows] == ["linear", "linear"]
    with sqlite3.connect(run_dir / "results.sqlite") as connection:
        assert connection.execute("SELECT COUNT(*) FROM cells").fetchone() == count

    # The default baseline is again the run's first recipe.
    render_report(run_dir)
    assert "baseline linear" in (run_dir / "report.md").read_text()


def test_report_command_errors(tmp_path, run_dir, capsys):
    assert main(["bench", "report", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "No results store results.sqlite in" in error
    assert not (tmp_path / "results.sqlite").exists()

    assert main(["bench", "report", str(run_dir), "--baseline", "xgb"]) == 2
    error = capsys.readouterr().err
    assert "Baseline 'xgb' has no stored cells" in error
    assert "Recipes with results: lightgbm, linear." in error


def test_report_run_rejects_unknown_baseline(tmp_path):
    with pytest.raises(ValueError, match="baseline='lightgbm' is not among"):
        run_benchmark("diabetes", "linear", cv=2, baseline="lightgbm", output=tmp_path)
    assert not (tmp_path / "results.sqlite").exists()


def test_report_one_recipe_and_failures_explained(tmp_path):
    @register_recipe("broken", description="raises <b>markup</b>")
    def build(task, random_state):
        raise RuntimeError("<b>bad</b> & worse")

    from sktricks.bench import unregister_recipe

    try:
        result = run_benchmark(
            ["diabetes"], ["linear", "broken"], cv=2, output=tmp_path, verbose=0
        )
    finally:
        unregister_recipe("broken")
    report = result.files["report"].read_text()
    section = _section(report, "Average ranks and critical difference")
    assert "Note: Ranking needs at least 2 recipes" in section or (
        "Note: The Friedman test needs at least 2 datasets" in section
    )
    assert not (tmp_path / "cd_diagram.png").exists()
    rows = _table_rows(_section(report, "Paired comparison with the baseline linear"))
    assert rows[0][1:4] == ["broken", "0", "0/0/0"]
    assert rows[0][-1] == "n/a"
    page = result.files["html"].read_text()
    assert "&lt;b&gt;bad&lt;/b&gt; &amp; worse" in page
    assert "<b>bad</b>" not in page


def test_report_cli_help_lists_new_options(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option in [
        "--backend {local,dask}",
        "--scheduler ADDRESS",
        "--baseline RECIPE",
    ]:
        assert option in text
    assert "report render the report of an earlier run again" in text
    assert "'cc18'" in text
    assert "TOML suite file" in text


def test_format_leaderboard_average_rank_per_recipe_set(mixed_support_cells):
    from sktricks.bench import format_leaderboard, leaderboard

    results, planned, ranks = mixed_support_cells
    table = format_leaderboard(leaderboard(results, planned)).set_index("dataset")

    groups = {"binary": ["b1", "b2"], "multiclass": ["m1"], "regression": ["r1", "r2"]}
    labels = [label for label in table.index if label.startswith("average rank")]
    assert labels == [f"average rank ({task})" for task in groups]
    for task, datasets in groups.items():
        row = table.loc[f"average rank ({task})"]
        ranked = {recipe for dataset, recipe in ranks if dataset in datasets}
        for recipe in row.index.drop("metric"):
            if recipe not in ranked:
                assert row[recipe] == "n/a"
                continue
            # Every average in the row covers every dataset of the group.
            values = [ranks[(dataset, recipe)] for dataset in datasets]
            assert float(row[recipe]) == pytest.approx(np.mean(values), abs=0.005)


def test_format_leaderboard_same_task_groups_labels():
    from sktricks.bench import format_leaderboard, leaderboard

    rows = [
        {
            "dataset": dataset,
            "recipe": recipe,
            "task": "binary",
            "repeat": 0,
            "fold": 0,
            "status": "ok",
            "roc_auc": score,
        }
        for dataset, recipe, score in [
            ("b1", "A", 0.9),
            ("b1", "X", 0.8),
            ("b2", "A", 0.7),
            ("b2", "X", 0.75),
            ("b3", "A", 0.6),
        ]
    ]
    # X was not planned on b3, as in a report rendered again after an
    # unregistered recipe with cells on b1 and b2 only.
    planned = pd.DataFrame(
        [
            {"dataset": d, "task": "binary", "recipe": r, "n_planned": n}
            for d, r, n in [
                ("b1", "A", 1),
                ("b1", "X", 1),
                ("b2", "A", 1),
                ("b2", "X", 1),
                ("b3", "A", 1),
                ("b3", "X", 0),
            ]
        ]
    )
    table = format_leaderboard(leaderboard(pd.DataFrame(rows), planned))
    table = table.set_index("dataset")
    assert table.loc["average rank (b1, b2)", "A"] == "1.50"
    assert table.loc["average rank (b1, b2)", "X"] == "1.50"
    assert table.loc["average rank (b3)", "A"] == "1.00"
    assert table.loc["average rank (b3)", "X"] == "n/a"
