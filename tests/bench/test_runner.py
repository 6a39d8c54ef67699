import sqlite3

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score, root_mean_squared_error

from sktricks.bench import (
    format_leaderboard,
    get_recipe,
    leaderboard,
    list_recipes,
    make_splitter,
    register_recipe,
    run_benchmark,
    unregister_recipe,
)
from sktricks.bench._runner import cell_random_state
from sktricks.datasets import load_openml


def _scores(result):
    frame = result.results
    columns = [c for c in frame.columns if c in {"roc_auc", "log_loss", "rmse", "r2"}]
    return frame[["dataset", "recipe", "repeat", "fold", *columns]]


def test_runner_scores_match_manual_loop(tmp_path):
    # Recompute every cell by hand with the documented splitter and seeds.
    result = run_benchmark(
        ["diabetes", "bodyfat"],
        ["linear", "lightgbm"],
        cv=3,
        output=tmp_path,
        verbose=0,
    )
    for dataset in ["diabetes", "bodyfat"]:
        bunch = load_openml(dataset)
        X = bunch.data
        if bunch.task == "regression":
            y = bunch.target.to_numpy()
        else:
            y = bunch.target.cat.codes.to_numpy()
        splits = make_splitter(bunch.task, 3, 1, 0).split(X, y)
        for fold, (train, test) in enumerate(splits):
            for recipe in ["linear", "lightgbm"]:
                seed = cell_random_state(0, 0, fold)
                model = clone(get_recipe(recipe).build(bunch.task, seed))
                model.fit(X.iloc[train], y[train])
                row = result.results.query(
                    "dataset == @dataset and recipe == @recipe and fold == @fold"
                ).iloc[0]
                if bunch.task == "regression":
                    expected = root_mean_squared_error(
                        y[test], model.predict(X.iloc[test])
                    )
                    assert row["rmse"] == pytest.approx(expected, rel=1e-9)
                else:
                    expected = roc_auc_score(
                        y[test], model.predict_proba(X.iloc[test])[:, 1]
                    )
                    assert row["roc_auc"] == pytest.approx(expected, rel=1e-9)


def test_runner_same_scores_for_n_jobs_1_and_2(tmp_path):
    kwargs = dict(
        datasets=["diabetes", "vehicle"],
        recipes=["random_forest", "xgboost"],
        cv=3,
        repeats=2,
        seed=7,
        verbose=0,
    )
    serial = run_benchmark(**kwargs, n_jobs=1, output=tmp_path / "serial")
    parallel = run_benchmark(**kwargs, n_jobs=2, output=tmp_path / "parallel")

    assert len(serial.results) == 2 * 2 * 3 * 2
    pd.testing.assert_frame_equal(_scores(serial), _scores(parallel))


def test_runner_resume_skips_finished_cells(tmp_path):
    first = run_benchmark(["diabetes"], ["linear"], cv=3, output=tmp_path, verbose=0)
    second = run_benchmark(["diabetes"], ["linear"], cv=3, output=tmp_path, verbose=0)

    assert first.n_run == 3
    assert second.n_run == 0
    pd.testing.assert_frame_equal(_scores(first), _scores(second))


def test_runner_records_failing_cell_and_goes_on(tmp_path):
    state = {"fail": True}

    @register_recipe("flaky", description="fails until told otherwise")
    def build(task, random_state):
        if state["fail"]:
            raise RuntimeError("boom")
        return get_recipe("linear").build(task, random_state)

    try:
        result = run_benchmark(
            ["diabetes"],
            ["linear", "flaky"],
            cv=3,
            output=tmp_path,
            verbose=0,
            n_jobs=1,
        )
        failed = result.results.query("recipe == 'flaky'")
        assert (failed["status"] == "error").all()
        assert failed["error"].str.contains("RuntimeError: boom").all()
        assert (result.results.query("recipe == 'linear'")["status"] == "ok").all()
        assert "RuntimeError: boom" in result.files["report"].read_text()

        # A rerun retries failed cells and keeps one row per cell.
        state["fail"] = False
        rerun = run_benchmark(
            ["diabetes"],
            ["linear", "flaky"],
            cv=3,
            output=tmp_path,
            verbose=0,
            n_jobs=1,
        )
        assert rerun.n_run == 3
        assert (rerun.results["status"] == "ok").all()
        assert len(rerun.results) == 6
    finally:
        unregister_recipe("flaky")


def test_runner_rejects_changed_settings(tmp_path):
    run_benchmark(["diabetes"], ["linear"], cv=3, output=tmp_path, verbose=0)
    with pytest.raises(ValueError, match=r"cv=3 \(stored\) vs 4 \(requested\)"):
        run_benchmark(["diabetes"], ["linear"], cv=4, output=tmp_path, verbose=0)


@pytest.mark.parametrize("error", [ConnectionError, KeyboardInterrupt])
def test_runner_early_failure_keeps_output_reusable(tmp_path, monkeypatch, error):
    import sktricks.bench._runner as runner

    def fails_before_first_cell(*args, **kwargs):
        raise error("stopped before the first cell")
        yield  # a generator, as the real one

    with monkeypatch.context() as patch:
        patch.setattr(runner, "_stream_records", fails_before_first_cell)
        with pytest.raises(error):
            run_benchmark(["diabetes"], ["linear"], cv=2, output=tmp_path, verbose=0)

    result = run_benchmark(["diabetes"], ["linear"], cv=3, output=tmp_path, verbose=0)
    assert result.results["fold"].tolist() == [0, 1, 2]
    assert result.results["status"].eq("ok").all()


def test_runner_missing_dask_fails_before_writing(tmp_path, monkeypatch):
    import sys

    # None in sys.modules makes "import distributed" raise ImportError.
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'sktricks\[dask\]'"):
        run_benchmark(
            ["diabetes"], ["linear"], cv=2, backend="dask", output=tmp_path, verbose=0
        )
    assert not (tmp_path / "results.sqlite").exists()


def test_runner_unknown_names(tmp_path, monkeypatch):
    import sktricks.datasets._openml as openml_module

    def offline(**kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(openml_module, "fetch_openml", offline)
    with pytest.raises(KeyError, match=r"Unknown suite 'nope'.*quick, bundled"):
        run_benchmark(suite="nope", output=tmp_path, verbose=0)
    with pytest.raises(KeyError, match=r"Unknown recipe 'nope'.*linear"):
        run_benchmark(["diabetes"], ["nope"], output=tmp_path, verbose=0)
    with pytest.raises(LookupError, match=r"not bundled.*diabetes"):
        run_benchmark(["no-such-dataset"], ["linear"], output=tmp_path, verbose=0)


@pytest.mark.parametrize("cv", [1, 0, 2.5])
def test_runner_rejects_bad_cv(tmp_path, cv):
    with pytest.raises(ValueError, match="at least 2 folds"):
        run_benchmark(["diabetes"], ["linear"], cv=cv, output=tmp_path, verbose=0)


def test_runner_unwritable_output(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(PermissionError, match="Cannot write to the output directory"):
        run_benchmark(["diabetes"], ["linear"], output=blocker / "out", verbose=0)


def test_runner_writes_report_plot_and_store(tmp_path):
    result = run_benchmark(
        ["diabetes", "bodyfat"],
        ["linear", "random_forest"],
        cv=2,
        output=tmp_path,
        verbose=0,
    )
    report = result.files["report"].read_text()
    assert "| dataset | metric | linear | random_forest |" in report
    assert "average rank" in report
    assert result.files["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv = pd.read_csv(result.files["csv"])
    assert len(csv) == 8

    with sqlite3.connect(result.files["store"]) as connection:
        (count,) = connection.execute("SELECT COUNT(*) FROM cells").fetchone()
    assert count == 8


def test_leaderboard_ranks_by_metric_direction(tmp_path):
    result = run_benchmark(
        ["bodyfat", "diabetes"],
        ["linear", "random_forest"],
        cv=2,
        output=tmp_path,
        verbose=0,
    )
    board = result.leaderboard()
    for dataset, group in board.groupby("dataset"):
        ascending = group["metric"].iloc[0] == "rmse"
        best = group.sort_values("mean", ascending=ascending)["recipe"].iloc[0]
        assert group.set_index("recipe").loc[best, "rank"] == 1.0
        rows = result.results[result.results["dataset"] == dataset]
        means = rows.groupby("recipe")[group["metric"].iloc[0]].mean()
        np.testing.assert_allclose(
            group.set_index("recipe")["mean"].sort_index(), means.sort_index()
        )


def test_runner_default_recipes_are_baselines():
    from sktricks.bench._runner import _resolve_recipes

    @register_recipe("extra", description="not a default")
    def build(task, random_state):
        return get_recipe("linear").build(task, random_state)

    try:
        baselines = ["linear", "random_forest", "lightgbm", "xgboost"]
        assert _resolve_recipes(None) == baselines
        # "all" is every registered recipe (trick recipes included) in
        # registration order.
        registered = [recipe.name for recipe in list_recipes()]
        assert _resolve_recipes(["all"]) == registered
        assert registered[:4] == baselines
        assert registered[-1] == "extra"
        assert _resolve_recipes(["extra"]) == ["extra"]
    finally:
        unregister_recipe("extra")


def test_leaderboard_ranks_partial_failure_last_and_unsupported_na(tmp_path):
    failing_seed = cell_random_state(0, 0, 1)

    @register_recipe("fold1_fails", description="fails on fold 1 of diabetes")
    def build(task, random_state):
        if task == "binary" and random_state == failing_seed:
            raise RuntimeError("fold 1")
        return get_recipe("linear").build(task, random_state)

    @register_recipe(
        "regression_only", description="regression only", tasks=("regression",)
    )
    def build_regression(task, random_state):
        return get_recipe("linear").build(task, random_state)

    recipes = ["linear", "random_forest", "fold1_fails", "regression_only"]
    try:
        result = run_benchmark(
            ["diabetes", "bodyfat"], recipes, cv=3, output=tmp_path, verbose=0
        )
    finally:
        unregister_recipe("fold1_fails")
        unregister_recipe("regression_only")

    board = result.leaderboard().set_index(["dataset", "recipe"])
    diabetes = board.loc["diabetes"]
    assert diabetes.loc["fold1_fails", "status"] == "failed"
    assert diabetes.loc["fold1_fails", "n_cells"] == 2
    assert diabetes.loc["fold1_fails", "n_planned"] == 3
    # Two complete recipes rank 1 and 2 by their mean; the failed one is 3,
    # even though its two surviving folds might score better.
    means = (
        result.results.query(
            "dataset == 'diabetes' and recipe in ['linear', 'random_forest']"
        )
        .groupby("recipe")["roc_auc"]
        .mean()
    )
    best = means.idxmax()
    assert diabetes.loc[best, "rank"] == 1.0
    assert diabetes.loc["fold1_fails", "rank"] == 3.0
    assert diabetes.loc["regression_only", "status"] == "n/a"
    assert np.isnan(diabetes.loc["regression_only", "rank"])

    table = format_leaderboard(result.leaderboard()).set_index("dataset")
    assert table.loc["diabetes", "fold1_fails"] == "failed (2/3 folds) (3)"
    assert table.loc["diabetes", "regression_only"] == "n/a"
    # regression_only is ranked on bodyfat alone, so each task gets its own
    # average-rank row, and the failure counts as a last place in its row.
    assert "average rank" not in table.index
    binary = table.loc["average rank (binary)"]
    regression = table.loc["average rank (regression)"]
    assert binary["fold1_fails"] == "3.00"
    assert binary["regression_only"] == "n/a"
    for recipe in ["linear", "random_forest", "fold1_fails", "regression_only"]:
        assert float(regression[recipe]) == pytest.approx(
            board.loc[("bodyfat", recipe), "rank"], abs=0.005
        )
    report = result.files["report"].read_text()
    assert "failed (2/3 folds)" in report
    assert "| average rank (regression) |" in report
    assert "each group gets its own average-rank row" in report


def test_leaderboard_failed_recipes_share_last_rank():
    rows = []
    for recipe, n_ok in [("a", 2), ("b", 1), ("c", 0), ("d", 2)]:
        for fold in range(2):
            ok = fold < n_ok
            rows.append(
                {
                    "dataset": "data",
                    "recipe": recipe,
                    "task": "regression",
                    "repeat": 0,
                    "fold": fold,
                    "status": "ok" if ok else "error",
                    "rmse": {"a": 2.0, "b": 0.1, "c": 0.1, "d": 1.0}[recipe]
                    if ok
                    else np.nan,
                }
            )
    board = leaderboard(pd.DataFrame(rows)).set_index("recipe")
    # d (rmse 1) beats a (rmse 2); b and c failed and share ranks 3 and 4.
    assert board["rank"].to_dict() == {"a": 2.0, "b": 3.5, "c": 3.5, "d": 1.0}
    assert board.loc["b", "status"] == "failed"
    assert board.loc["c", "n_cells"] == 0


def test_runner_rejects_cv_above_smallest_class_before_writing(tmp_path):
    labels = load_openml("kc2").target
    smallest = labels.value_counts().idxmin()
    size = int(labels.value_counts().min())
    with pytest.raises(
        ValueError,
        match=rf"cv={size + 1}.*{size} rows of class '{smallest}'.*kc2",
    ) as info:
        run_benchmark(["kc2"], ["linear"], cv=size + 1, output=tmp_path, verbose=0)
    assert str(info.value).endswith(
        f"Lower cv (--cv on the command line) from {size + 1} to {size} or fewer folds."
    )
    assert not (tmp_path / "results.sqlite").exists()


def test_runner_rejects_cv_above_rows_for_regression(tmp_path):
    n_rows = len(load_openml("bodyfat").target)
    with pytest.raises(
        ValueError, match=rf"{n_rows} rows of dataset 'bodyfat'"
    ) as info:
        run_benchmark(
            ["bodyfat"], ["linear"], cv=n_rows + 1, output=tmp_path, verbose=0
        )
    assert str(info.value).endswith(
        f"Lower cv (--cv on the command line) from {n_rows + 1} to {n_rows} or "
        "fewer folds."
    )
    assert not (tmp_path / "results.sqlite").exists()


def test_runner_nan_metric_makes_cell_an_error(tmp_path, monkeypatch):
    import sktricks.bench._runner as runner

    def undefined(y_true, proba):
        return {"roc_auc": float("nan"), "log_loss": 0.5}

    monkeypatch.setattr(runner, "classification_metrics", undefined)
    result = run_benchmark(
        ["diabetes"], ["linear"], cv=2, output=tmp_path, verbose=0, n_jobs=1
    )
    assert (result.results["status"] == "error").all()
    assert result.results["error"].str.contains("roc_auc are NaN").all()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"seed": -1}, r"seed=-1 is invalid.*2\*\*32 - 1"),
        ({"seed": 2**32}, r"seed=4294967296 is invalid"),
        ({"seed": 1.0}, r"seed=1.0 is invalid"),
        ({"seed": True}, r"seed=True is invalid"),
        ({"cv": True}, r"cv=True is invalid"),
        ({"cv": 3.0}, r"cv=3.0 is invalid"),
        ({"repeats": 1.0}, r"repeats=1.0 is invalid"),
        ({"repeats": True}, r"repeats=True is invalid"),
        ({"datasets": []}, r"datasets=\[\] is empty"),
        ({"recipes": []}, r"recipes=\[\] is empty"),
        ({"output": ""}, r"output='' is empty"),
    ],
)
def test_runner_rejects_bad_settings_before_writing(
    tmp_path, monkeypatch, setting, message
):
    # An accepted output="" would write into the working directory.
    monkeypatch.chdir(tmp_path)
    kwargs = {"datasets": ["diabetes"], "recipes": ["linear"], "cv": 2}
    kwargs.update(output=tmp_path / "out", verbose=0)
    kwargs.update(setting)
    with pytest.raises(ValueError, match=message):
        run_benchmark(**kwargs)
    assert list(tmp_path.iterdir()) == []


def test_runner_strings_dedupe_and_all(tmp_path):
    result = run_benchmark("diabetes", "linear", cv=2, output=tmp_path, verbose=0)
    assert len(result.results) == 2

    other = tmp_path / "dedupe"
    result = run_benchmark(
        ["37", "diabetes", "DIABETES"],
        ["linear", "linear"],
        cv=2,
        output=other,
        verbose=0,
    )
    assert len(result.results) == 2
    assert result.planned["dataset"].tolist() == ["diabetes"]

    from sktricks.bench._runner import _resolve_recipes

    registered = [recipe.name for recipe in list_recipes()]
    assert _resolve_recipes(["linear", "all"]) == registered
    assert _resolve_recipes("linear") == ["linear"]


def test_runner_worker_death_keeps_cells_and_reports(tmp_path):
    import os

    from sktricks.bench import WorkerDiedError

    main_pid = os.getpid()

    @register_recipe("dies", description="kills its worker process")
    def build(task, random_state):
        if os.getpid() != main_pid:
            os._exit(1)
        return get_recipe("linear").build(task, random_state)

    try:
        run_benchmark(["diabetes"], ["linear"], cv=2, output=tmp_path, verbose=0)
        with pytest.raises(WorkerDiedError, match=r"worker process died.*--n-jobs 1"):
            run_benchmark(
                ["diabetes"],
                ["linear", "dies"],
                cv=2,
                output=tmp_path,
                verbose=0,
                n_jobs=2,
            )
    finally:
        unregister_recipe("dies")
    with sqlite3.connect(tmp_path / "results.sqlite") as connection:
        (count,) = connection.execute(
            "SELECT COUNT(*) FROM cells WHERE recipe = 'linear'"
        ).fetchone()
    assert count == 2
    assert "dies" in (tmp_path / "report.md").read_text()


def test_runner_records_sys_exit_as_failed_cell(tmp_path):
    import sys

    @register_recipe("exits", description="calls sys.exit")
    def build(task, random_state):
        sys.exit(3)

    try:
        result = run_benchmark(
            ["diabetes"], ["exits"], cv=2, output=tmp_path, verbose=0, n_jobs=1
        )
    finally:
        unregister_recipe("exits")
    assert (result.results["status"] == "error").all()
    assert result.results["error"].eq("SystemExit: 3").all()


def test_runner_wrong_estimator_kind_is_a_cell_error(tmp_path):
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LinearRegression
    from sklearn.svm import SVC

    @register_recipe("regressor", description="always a regressor")
    def build_regressor(task, random_state):
        return LinearRegression()

    @register_recipe("classifier", description="always a classifier")
    def build_classifier(task, random_state):
        return DummyClassifier()

    @register_recipe("no_proba", description="a classifier without predict_proba")
    def build_no_proba(task, random_state):
        return SVC()

    try:
        result = run_benchmark(
            ["diabetes", "bodyfat"],
            ["regressor", "classifier", "no_proba"],
            cv=2,
            output=tmp_path,
            verbose=0,
            n_jobs=1,
        )
    finally:
        for name in ["regressor", "classifier", "no_proba"]:
            unregister_recipe(name)
    errors = result.results.set_index(["dataset", "recipe"])["error"]
    assert (
        errors.loc[("diabetes", "regressor")]
        .str.contains(
            "returned LinearRegression for a classification task.*needs a "
            "classifier with predict_proba"
        )
        .all()
    )
    assert (
        errors.loc[("diabetes", "no_proba")]
        .str.contains("returned SVC for a classification task")
        .all()
    )
    assert (
        errors.loc[("bodyfat", "classifier")]
        .str.contains("returned DummyClassifier, a classifier, for a regression task")
        .all()
    )
    assert errors.loc[("bodyfat", "no_proba")].str.contains("returned SVC").all()
    assert errors.loc[("bodyfat", "regressor")].isna().all()


def test_write_atomic_uses_unique_temporary_names(tmp_path, monkeypatch):
    import threading
    from pathlib import Path

    from sktricks.bench._store import write_atomic

    # Hold every writer inside its temporary file until all have opened
    # one: shared temporary names would collide here.
    n_writers = 4
    barrier = threading.Barrier(n_writers, timeout=30)
    seen = []

    def slow_writer(index):
        def write(handle):
            seen.append(Path(handle.name).name)
            barrier.wait()
            handle.write(f"writer {index}".encode())

        write_atomic(tmp_path / "ranks.png", write)

    threads = [
        threading.Thread(target=slow_writer, args=(i,)) for i in range(n_writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == n_writers
    assert (tmp_path / "ranks.png").read_text().startswith("writer ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ranks.png"]


def test_report_plot_has_no_shared_temporary_name(tmp_path):
    # A leftover directory at the old fixed temporary name made savefig fail.
    (tmp_path / ".ranks.png.tmp").mkdir()
    (tmp_path / ".report.md.tmp").mkdir()
    result = run_benchmark(["diabetes"], ["linear"], cv=2, output=tmp_path, verbose=0)
    assert result.files["plot"].read_bytes()[:4] == b"\x89PNG"


def test_report_escapes_errors_and_logs_one_line(tmp_path, caplog):
    import logging

    @register_recipe("pipe_error", description="error text with | and newline")
    def build(task, random_state):
        raise RuntimeError("left | right\nsecond line")

    try:
        with caplog.at_level(logging.WARNING, logger="sktricks.bench._runner"):
            result = run_benchmark(
                ["diabetes"],
                ["linear", "pipe_error"],
                cv=2,
                output=tmp_path,
                verbose=0,
                n_jobs=1,
            )
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 2
        assert all("\n" not in r.getMessage() for r in warnings)
        assert "Traceback" not in caplog.text
        assert "left | right second line" in warnings[0].getMessage()

        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="sktricks.bench._runner"):
            run_benchmark(
                ["diabetes"],
                ["linear", "pipe_error"],
                cv=2,
                output=tmp_path,
                verbose=0,
                n_jobs=1,
            )
        assert "Traceback (most recent call last)" in caplog.text
    finally:
        unregister_recipe("pipe_error")

    report = result.files["report"].read_text()
    failed = report.split("## Failed cells")[1].strip().splitlines()
    assert len(failed) == 2 + 2  # header, rule, one row per failed cell
    assert "RuntimeError: left \\| right<br>second line |" in failed[2]
    # Each row has the five columns' six separators, escaped ones aside.
    assert failed[2].replace("\\|", "").count("|") == 6
    assert "2 folds x 1 repeat," in report
    assert "- n_jobs: 1" in report


def test_report_says_cells_already_stored_on_full_resume(tmp_path):
    run_benchmark("diabetes", "linear", cv=2, repeats=2, output=tmp_path, verbose=0)
    second = run_benchmark(
        "diabetes", "linear", cv=2, repeats=2, output=tmp_path, verbose=0
    )
    report = second.files["report"].read_text()
    assert "- cells: 0 run by this call, 4 already stored" in report
    assert "2 folds x 2 repeats," in report


def test_cpu_model_reads_proc_cpuinfo(monkeypatch):
    import builtins
    import platform

    from sktricks.bench._runner import cpu_model

    monkeypatch.setattr(platform, "processor", lambda: "")
    names = [
        line.split(":", 1)[1].strip()
        for line in open("/proc/cpuinfo", encoding="utf-8")
        if line.startswith("model name")
    ]
    assert cpu_model() == (names[0] if names else "unknown CPU")

    real_open = builtins.open

    def no_proc(path, *args, **kwargs):
        if str(path) == "/proc/cpuinfo":
            raise FileNotFoundError(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", no_proc)
    assert cpu_model() == "unknown CPU"


def test_leaderboard_sorts_datasets_case_insensitively():
    rows = [
        {
            "dataset": dataset,
            "recipe": recipe,
            "task": "regression",
            "repeat": 0,
            "fold": 0,
            "status": "ok",
            "rmse": 1.0,
        }
        for dataset in ["beta", "Gamma", "alpha"]
        for recipe in ["a", "B"]
    ]
    board = leaderboard(pd.DataFrame(rows))
    assert board["dataset"].unique().tolist() == ["alpha", "beta", "Gamma"]
    table = format_leaderboard(board)
    assert table["dataset"].tolist() == ["alpha", "beta", "Gamma", "average rank"]
    assert list(table.columns) == ["dataset", "metric", "a", "B"]


def test_runner_starts_with_the_largest_datasets(tmp_path):
    # A long cell started last leaves the other workers idle, so cells run
    # in decreasing rows x columns (x classes when multiclass). With
    # n_jobs=1 joblib runs them in this process, in that order.
    fitted_shapes = []

    @register_recipe("shape_log", description="records the shape it is fitted on")
    def build(task, random_state):
        from sklearn.dummy import DummyClassifier

        class Logged(DummyClassifier):
            def fit(self, X, y, sample_weight=None):
                fitted_shapes.append(X.shape[1])
                return super().fit(X, y, sample_weight)

        return Logged(strategy="prior")

    names = ["diabetes", "MiceProtein", "spambase"]
    work = {}
    for name in names:
        bunch = load_openml(name)
        n_classes = bunch.target.nunique() if bunch.task == "multiclass" else 1
        work[name] = bunch.data.shape[0] * bunch.data.shape[1] * n_classes
    expected = sorted(names, key=lambda name: -work[name])
    assert expected[0] == "MiceProtein"  # 1,080 x 77 x 8 classes
    try:
        result = run_benchmark(
            names, ["shape_log"], cv=2, output=tmp_path, verbose=0, n_jobs=1
        )
    finally:
        unregister_recipe("shape_log")
    width = {name: load_openml(name).data.shape[1] for name in names}
    assert fitted_shapes == [width[name] for name in expected for _ in range(2)]
    # The stored table keeps its key order whatever the run order.
    assert list(result.results["dataset"].unique()) == sorted(names)
