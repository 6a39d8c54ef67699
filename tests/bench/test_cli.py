import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest

from sktricks.bench._cli import build_parser, main

ARGS = [
    "--datasets",
    "diabetes,blood-transfusion-service-center,bodyfat",
    "--recipes",
    "linear,random_forest,lightgbm",
    "--cv",
    "4",
    "--n-jobs",
    "1",
    "--seed",
    "3",
    "--quiet",
]
N_CELLS = 3 * 3 * 4


def _command(output):
    return [
        sys.executable,
        "-m",
        "sktricks.bench._cli",
        "bench",
        *ARGS,
        "--output",
        str(output),
    ]


def _stored_cells(output):
    path = output / "results.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=1) as connection:
            return connection.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _score_table(output):
    frame = pd.read_csv(output / "results.csv")
    keep = [
        "dataset",
        "recipe",
        "repeat",
        "fold",
        "status",
        "roc_auc",
        "log_loss",
        "balanced_accuracy",
        "rmse",
        "r2",
    ]
    return frame[keep].sort_values(["dataset", "recipe", "fold"], ignore_index=True)


def test_cli_resumes_after_sigkill(tmp_path):
    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen(
        _command(interrupted), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while _stored_cells(interrupted) < 5 and time.monotonic() < deadline:
        if process.poll() is not None:
            break
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before the kill"
    stored_before = _stored_cells(interrupted)
    assert 5 <= stored_before < N_CELLS

    resumed = subprocess.run(
        _command(interrupted), capture_output=True, text=True, check=True
    )
    assert f"Ran {N_CELLS - stored_before} cells" in resumed.stdout

    with sqlite3.connect(interrupted / "results.sqlite") as connection:
        keys = connection.execute(
            "SELECT dataset, recipe, repeat, fold FROM cells"
        ).fetchall()
    assert len(keys) == N_CELLS
    assert len(set(keys)) == N_CELLS

    uninterrupted = tmp_path / "uninterrupted"
    fresh = subprocess.run(
        _command(uninterrupted), capture_output=True, text=True, check=True
    )
    pd.testing.assert_frame_equal(
        _score_table(interrupted), _score_table(uninterrupted)
    )
    # The printed leaderboards agree line for line, apart from the cell count.
    table = [line for line in fresh.stdout.splitlines() if "±" in line]
    assert table
    assert table == [line for line in resumed.stdout.splitlines() if "±" in line]


def test_cli_help_documents_options_and_defaults(capsys):
    with pytest.raises(SystemExit) as info:
        main(["bench", "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for option, default in [
        ("--suite", "(default: quick)"),
        ("--cv", "(default: 5)"),
        ("--repeats", "(default: 1)"),
        ("--n-jobs", "(default: -1)"),
        ("--output", "(default: sktricks-bench)"),
        ("--seed", "(default: 0)"),
    ]:
        assert option in text
        assert default in text
    for option in ["--datasets", "--recipes", "--quiet", "--list"]:
        assert option in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--suite", "huge"], "Unknown suite 'huge'. Available suites: quick, bundled"),
        (["--recipes", "magic"], "Unknown recipe 'magic'. Registered recipes: linear"),
    ],
)
def test_cli_unknown_names_exit_2(tmp_path, capsys, argv, message):
    code = main(["bench", *argv, "--output", str(tmp_path)])
    assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", " not found. Give the path of a TOML file, or a named suite"),
        ("directory", " cannot be read: Is a directory. Give the path of a readable"),
    ],
)
def test_cli_unusable_suite_file_exits_2(tmp_path, capsys, kind, message):
    suite = tmp_path / "suite.toml"
    if kind == "directory":
        suite.mkdir()
    output = tmp_path / "out"
    code = main(["bench", "--suite", str(suite), "--output", str(output)])
    assert code == 2
    error = capsys.readouterr().err
    assert f"sktricks bench: error: Suite file {str(suite)!r}{message}" in error
    assert "quick, bundled, cc18" in error
    assert not output.exists()


def test_cli_unknown_dataset_lists_bundled(tmp_path, capsys, monkeypatch):
    import sktricks.datasets._openml as openml_module

    def offline(**kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(openml_module, "fetch_openml", offline)
    code = main(["bench", "--datasets", "nope", "--output", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Dataset 'nope' is not bundled" in err
    assert "credit-g" in err


def test_cli_unwritable_output(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(["bench", "--datasets", "diabetes", "--output", str(blocker / "x")])
    assert code == 2
    assert "Cannot write to the output directory" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cv", "1"], "below the minimum 2"),
        (["--n-jobs", "0"], "0 is invalid"),
        (["--seed", "-1"], "outside the range 0 to 4294967295"),
        (["--seed", str(2**32)], "outside the range 0 to 4294967295"),
        (["--datasets", ""], "is empty: give at least one name"),
        (["--recipes", " , "], "is empty: give at least one name"),
        (["--output", ""], "empty name"),
    ],
)
def test_cli_rejects_bad_numbers(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["bench", *argv])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_list_shows_recipes_and_datasets(capsys):
    assert main(["bench", "--list"]) == 0
    out = capsys.readouterr().out
    assert "xgboost" in out
    assert "credit-g" in out
    assert "quick" in out


def test_cli_help_states_seed_range(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "--help"])
    assert "4294967295" in " ".join(capsys.readouterr().out.split())


def test_cli_top_level_help_and_version(capsys):
    from sktricks._version import __version__

    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"sktricks {__version__}"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "competition tricks behind the scikit-learn API" in out
    assert "None" not in out


def test_cli_keyboard_interrupt_exits_130(tmp_path, capsys, monkeypatch):
    import sktricks.bench

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sktricks.bench, "run_benchmark", interrupted)
    code = main(["bench", "--datasets", "diabetes", "--output", str(tmp_path)])
    assert code == 130
    err = capsys.readouterr().err
    assert "0 finished cells are stored" in err
    assert "Rerun the same command to resume" in err


def test_cli_os_error_exits_1_without_traceback(tmp_path, capsys, monkeypatch):
    import sktricks.bench

    def damaged(*args, **kwargs):
        raise OSError("The bundled file x.csv.gz has sha256 0")

    monkeypatch.setattr(sktricks.bench, "run_benchmark", damaged)
    code = main(["bench", "--datasets", "diabetes", "--output", str(tmp_path)])
    assert code == 1
    err = capsys.readouterr().err
    assert "error: The bundled file x.csv.gz" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", ["garbage", "directory", "schema"])
def test_cli_rejects_foreign_results_store(tmp_path, capsys, kind):
    store = tmp_path / "results.sqlite"
    if kind == "garbage":
        store.write_bytes(b"this is not a database, just some text" * 100)
    elif kind == "directory":
        store.mkdir()
    else:
        with sqlite3.connect(store) as connection:
            connection.execute("CREATE TABLE cells (x INTEGER)")
    argv = ["bench", "--datasets", "diabetes", "--recipes", "linear", "--cv", "2"]
    code = main([*argv, "--quiet", "--output", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"{str(store)!r} is not a sktricks results store" in err
    assert "--output" in err


def test_cli_exit_1_when_every_cell_failed(tmp_path, capsys):
    from sktricks.bench import register_recipe, unregister_recipe

    @register_recipe("always_fails", description="raises")
    def build(task, random_state):
        raise RuntimeError("no")

    try:
        code = main(
            [
                "bench",
                "--datasets",
                "diabetes",
                "--recipes",
                "always_fails",
                "--cv",
                "2",
                "--n-jobs",
                "1",
                "--quiet",
                "--output",
                str(tmp_path),
            ]
        )
    finally:
        unregister_recipe("always_fails")
    assert code == 1
    assert "every cell failed" in capsys.readouterr().err


def test_runner_caps_workers_at_cell_count(tmp_path, monkeypatch):
    import sktricks.bench._runner as runner
    from sktricks.bench import run_benchmark

    used = []
    real = runner.Parallel

    def recording(n_jobs=None, **kwargs):
        used.append(n_jobs)
        return real(n_jobs=1, **kwargs)

    monkeypatch.setattr(runner, "Parallel", recording)
    run_benchmark("diabetes", "linear", cv=2, n_jobs=8, output=tmp_path, verbose=0)
    assert used == [2]


def test_cli_help_says_resume_is_keyed_by_name(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "keyed by dataset and recipe name, so after changing a recipe's code" in out

    from sktricks.bench import run_benchmark

    doc = " ".join(run_benchmark.__doc__.split())
    assert "keyed by dataset and recipe name" in doc
    assert "after changing a recipe, use a new ``output`` directory" in doc


def _run_into_closed_pipe(argv):
    # The read end is closed before the command starts, so its first write
    # to standard output fails as it does once `head` has exited.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "sktricks.bench._cli", *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    finally:
        os.close(write_end)


def test_cli_closed_stdout_exits_quietly(tmp_path):
    listing = _run_into_closed_pipe(["bench", "--list"])
    assert listing.returncode == 141
    assert listing.stderr == ""

    run = ["bench", "--datasets", "diabetes", "--recipes", "linear", "--cv", "2"]
    run += ["--n-jobs", "1", "--quiet", "--output", str(tmp_path)]
    bench = _run_into_closed_pipe(run)
    assert bench.returncode == 141
    assert "Broken pipe" not in bench.stderr
    assert "Traceback" not in bench.stderr
    assert _stored_cells(tmp_path) == 2

    report = _run_into_closed_pipe(["bench", "report", str(tmp_path)])
    assert report.returncode == 141
    assert report.stderr == ""


def test_cli_list_aligns_descriptions(capsys):
    from sktricks.bench import (
        SUITES,
        get_recipe,
        list_recipes,
        register_recipe,
        unregister_recipe,
    )

    long_name = "recipe_with_a_name_of_40_characters_long"
    assert len(long_name) == 40

    @register_recipe(long_name, description="long name")
    def build(task, random_state):
        return get_recipe("linear").build(task, random_state)

    try:
        assert main(["bench", "--list"]) == 0
        recipes = list_recipes()
    finally:
        unregister_recipe(long_name)
    out = capsys.readouterr().out

    recipe_lines = out.split("Recipes:\n")[1].splitlines()[: len(recipes)]
    starts = set()
    for line, recipe in zip(recipe_lines, recipes, strict=True):
        assert f" {recipe.name} " in line
        assert line.endswith(recipe.description)
        starts.add(len(line) - len(recipe.description))
    assert len(starts) == 1

    suite_lines = out.split("Suites:\n")[1].splitlines()[: len(SUITES)]
    starts = set()
    for line, description in zip(suite_lines, SUITES.values(), strict=True):
        assert line.endswith(description)
        starts.add(len(line) - len(description))
    assert len(starts) == 1
