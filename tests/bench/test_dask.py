import os
import sqlite3
import sys
import time

import pandas as pd
import pytest

from sktricks.bench import get_recipe, register_recipe, run_benchmark, unregister_recipe
from sktricks.bench._runner import cell_random_state

distributed = pytest.importorskip("distributed")

SCORES = ["roc_auc", "log_loss", "balanced_accuracy", "rmse", "r2"]


def _scores(result):
    frame = result.results
    columns = [c for c in SCORES if c in frame.columns]
    return frame[["dataset", "recipe", "repeat", "fold", "status", *columns]]


@pytest.fixture
def cluster():
    # Loopback only, the HTTP endpoint too: nothing listens beyond this machine.
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=50,
    ) as local_cluster:
        yield local_cluster


def test_dask_backend_scores_match_local_backend(tmp_path, cluster):
    kwargs = dict(
        datasets=["diabetes", "bodyfat"],
        recipes=["linear", "lightgbm"],
        cv=3,
        repeats=2,
        seed=11,
        verbose=0,
    )
    local = run_benchmark(**kwargs, n_jobs=1, output=tmp_path / "local")
    joined = run_benchmark(
        **kwargs,
        backend="dask",
        scheduler=cluster.scheduler_address,
        output=tmp_path / "joined",
    )
    assert len(local.results) == 2 * 2 * 3 * 2
    pd.testing.assert_frame_equal(_scores(local), _scores(joined), check_exact=True)
    assert "- backend: dask (tcp://127.0.0.1:" in joined.files["report"].read_text()


def test_dask_backend_starts_and_stops_local_cluster(tmp_path):
    kwargs = dict(datasets=["diabetes"], recipes=["linear"], cv=3, seed=5, verbose=0)
    local = run_benchmark(**kwargs, n_jobs=1, output=tmp_path / "local")
    started = run_benchmark(
        **kwargs, backend="dask", n_jobs=2, output=tmp_path / "dask"
    )
    pd.testing.assert_frame_equal(_scores(local), _scores(started), check_exact=True)
    # The cluster the run started is closed again: no client stays open.
    assert distributed.client._get_global_client() is None


def _attempts(path):
    rows = [line.split() for line in path.read_text().splitlines()]
    return pd.DataFrame(rows, columns=["task", "seed", "pid"])


def test_dask_backend_lost_worker_reruns_only_unfinished_cells(tmp_path, cluster):
    log = tmp_path / "attempts.log"
    marker = tmp_path / "killed"
    store = tmp_path / "dask" / "results.sqlite"
    main_pid = os.getpid()
    task_of = {"diabetes": "binary", "bodyfat": "regression"}

    def stored_cells():
        uri = f"file:{store}?mode=ro"
        with sqlite3.connect(uri, uri=True, timeout=5) as connection:
            rows = connection.execute("SELECT dataset, repeat, fold FROM cells")
            return {
                f"{task_of[dataset]} {cell_random_state(0, repeat, fold)}"
                for dataset, repeat, fold in rows.fetchall()
            }

    def kill_worker_once(task, random_state):
        # Only the fourth attempt or later, and only one attempt (O_EXCL).
        if len(log.read_text().splitlines()) < 4:
            return
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return
        # Wait until the earlier cells of this worker are stored, so that
        # any rerun of them would be the fault under test.
        mine = [
            line.rsplit(" ", 1)[0]
            for line in log.read_text().splitlines()
            if line.endswith(f" {os.getpid()}")
        ]
        earlier = set(mine) - {f"{task} {random_state}"}
        deadline = time.monotonic() + 60
        while not earlier <= stored_cells() and time.monotonic() < deadline:
            time.sleep(0.05)
        # The client releases a stored cell's future by a message; give the
        # scheduler time to process it.
        time.sleep(0.5)
        marker.write_text(str(os.getpid()))
        os._exit(1)

    @register_recipe("slow_linear", description="linear, logged, kills a worker")
    def build(task, random_state):
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{task} {random_state} {os.getpid()}\n")
        if os.getpid() != main_pid:
            kill_worker_once(task, random_state)
        time.sleep(0.3)
        return get_recipe("linear").build(task, random_state)

    kwargs = dict(
        datasets=["diabetes", "bodyfat"], recipes=["slow_linear"], cv=4, verbose=0
    )
    try:
        result = run_benchmark(
            **kwargs,
            backend="dask",
            scheduler=cluster.scheduler_address,
            output=tmp_path / "dask",
        )
        reference = run_benchmark(**kwargs, n_jobs=1, output=tmp_path / "local")
    finally:
        unregister_recipe("slow_linear")

    killed_pid = marker.read_text()
    assert killed_pid
    assert killed_pid != str(main_pid)

    # The run completed: every planned cell is stored once and succeeded.
    with sqlite3.connect(store) as connection:
        keys = connection.execute(
            "SELECT dataset, recipe, repeat, fold, status FROM cells"
        ).fetchall()
    assert len(keys) == 2 * 4
    assert len({key[:4] for key in keys}) == 2 * 4
    assert {key[4] for key in keys} == {"ok"}
    pd.testing.assert_frame_equal(_scores(result), _scores(reference))

    # Only the cell the worker died in ran twice: the cells it had finished
    # were stored and released, so the scheduler did not recompute them.
    attempts = _attempts(log)
    dask_attempts = attempts[attempts["pid"] != str(main_pid)]
    runs = dask_attempts.groupby(["task", "seed"])["pid"].agg(list)
    assert len(runs) == 2 * 4
    rerun = runs[runs.map(len) > 1]
    assert len(rerun) == 1
    assert rerun.iloc[0][0] == killed_pid
    assert len(rerun.iloc[0]) == 2


def test_dask_backend_unreachable_scheduler(tmp_path):
    import dask

    # Port 1 on loopback: nothing listens, so the connection is refused.
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(ConnectionError, match="Could not connect to the Dask"):
            run_benchmark(
                ["diabetes"],
                ["linear"],
                cv=2,
                backend="dask",
                scheduler="tcp://127.0.0.1:1",
                output=tmp_path,
                verbose=0,
            )


def test_dask_backend_missing_dask_names_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'sktricks\[dask\]'"):
        run_benchmark(
            ["diabetes"], ["linear"], cv=2, backend="dask", output=tmp_path, verbose=0
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend": "ray"}, "backend='ray' is invalid: use 'local'"),
        ({"scheduler": "tcp://127.0.0.1:8786"}, "needs backend='dask'"),
        ({"backend": "dask", "scheduler": " "}, "give the address of a Dask"),
    ],
)
def test_dask_backend_rejects_bad_settings_before_writing(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_benchmark(["diabetes"], ["linear"], cv=2, output=tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_dask_not_imported_by_sktricks_bench():
    import subprocess

    code = (
        "import sys, sktricks.bench\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dask', 'distributed')))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_dask_cli_unreachable_scheduler_exits_1(tmp_path, capsys):
    import dask

    from sktricks.bench._cli import main

    argv = ["bench", "--datasets", "diabetes", "--recipes", "linear", "--cv", "2"]
    argv += ["--backend", "dask", "--scheduler", "tcp://127.0.0.1:1"]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main([*argv, "--output", str(tmp_path), "--quiet"])
    assert code == 1
    error = capsys.readouterr().err
    assert "Could not connect to the Dask scheduler at 'tcp://127.0.0.1:1'" in error


def test_dask_unreachable_scheduler_output_reusable(tmp_path, capsys):
    import dask

    from sktricks.bench._cli import main

    argv = ["bench", "--datasets", "diabetes", "--recipes", "linear", "--quiet"]
    argv += ["--output", str(tmp_path)]
    unreachable = ["--backend", "dask", "--scheduler", "tcp://127.0.0.1:1"]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        assert main([*argv, *unreachable, "--cv", "2"]) == 1
    capsys.readouterr()

    assert main([*argv, "--cv", "3", "--n-jobs", "1"]) == 0
    assert "written with other settings" not in capsys.readouterr().err
    with sqlite3.connect(tmp_path / "results.sqlite") as connection:
        query = "SELECT value FROM settings WHERE key = 'cv'"
        assert connection.execute(query).fetchone() == ("3",)
        assert connection.execute("SELECT COUNT(*) FROM cells").fetchone() == (3,)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("notanaddress", "missing port number in address 'notanaddress'"),
        ("tcp://127.0.0.1", "missing port number"),
        ("tcp://127.0.0.1:abc", "port 'abc' is not a number"),
        ("tcp://127.0.0.1:70000", "port 70000 is outside the range 1 to 65535"),
        ("foo://127.0.0.1:8786", "unknown address scheme 'foo'"),
    ],
)
def test_dask_cli_malformed_scheduler_exits_2(tmp_path, capsys, address, reason):
    from sktricks.bench._cli import main

    argv = ["bench", "--datasets", "diabetes", "--recipes", "linear", "--quiet"]
    argv += ["--backend", "dask", "--scheduler", address, "--output", str(tmp_path)]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert f"Invalid Dask scheduler address {address!r}: {reason}" in error
    assert "such as tcp://10.0.0.5:8786" in error
    assert "drop --scheduler to start a local cluster" in error
    assert not (tmp_path / "results.sqlite").exists()


def test_dask_client_invalid_address_message():
    from sktricks.bench._dask import dask_client

    # An in-process address of the wrong form: distributed.Client raises
    # ValueError without opening any connection.
    with pytest.raises(
        ValueError, match=r"Invalid Dask scheduler address 'inproc://x'"
    ):
        with dask_client("inproc://x", 1):
            pass


@pytest.mark.parametrize("verbose", [0, 1])
def test_dask_quiet_run_silences_distributed(tmp_path, verbose):
    import logging

    class Recorder(logging.Handler):
        def __init__(self):
            super().__init__()
            self.levels = []

        def emit(self, record):
            self.levels.append(record.levelno)

    distributed_logger = logging.getLogger("distributed")
    level_before = distributed_logger.level
    recorder = Recorder()
    distributed_logger.addHandler(recorder)
    try:
        run_benchmark(
            "diabetes",
            "linear",
            cv=2,
            backend="dask",
            n_jobs=1,
            output=tmp_path,
            verbose=verbose,
        )
    finally:
        distributed_logger.removeHandler(recorder)
    below_warning = [level for level in recorder.levels if level < logging.WARNING]
    if verbose:
        # The check can fail: a verbose run gets distributed's INFO messages.
        assert below_warning
    else:
        assert below_warning == []
    assert distributed_logger.level == level_before


def test_dask_cli_quiet_writes_no_info_lines(tmp_path):
    import subprocess

    command = [sys.executable, "-m", "sktricks.bench._cli", "bench", "--quiet"]
    command += ["--datasets", "diabetes", "--recipes", "linear", "--cv", "2"]
    command += ["--backend", "dask", "--n-jobs", "1", "--output", str(tmp_path)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert "INFO" not in completed.stderr
    assert "Leaderboard" in completed.stdout
