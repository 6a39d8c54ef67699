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
        (["--datasets", ""], "names nothing"),
        (["--recipes", " , "], "names nothing"),
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
