import json
import sqlite3

import pytest

from sktricks.bench._store import ResultsStore

SETTINGS = {"cv": 2, "repeats": 1, "seed": 0}


def _cell(fold=0):
    return {
        "dataset": "diabetes",
        "recipe": "linear",
        "repeat": 0,
        "fold": fold,
        "task": "binary",
        "status": "ok",
        "metrics": {"roc_auc": 0.8},
        "finished_at": "2024-01-01T00:00:00+00:00",
    }


def _stored_settings(directory):
    with sqlite3.connect(directory / "results.sqlite") as connection:
        rows = connection.execute("SELECT key, value FROM settings").fetchall()
    return {key: json.loads(value) for key, value in rows}


def test_store_writes_settings_with_first_cell(tmp_path):
    with ResultsStore(tmp_path) as store:
        store.check_settings(SETTINGS)
    assert _stored_settings(tmp_path) == {}

    with ResultsStore(tmp_path) as store:
        store.check_settings({**SETTINGS, "cv": 3})
        store.add(_cell())
    assert _stored_settings(tmp_path) == {**SETTINGS, "cv": 3}

    with ResultsStore(tmp_path) as store:
        with pytest.raises(ValueError, match=r"cv=3 \(stored\) vs 2 \(requested\)"):
            store.check_settings(SETTINGS)


def test_store_without_cells_takes_new_settings(tmp_path):
    # Earlier versions stored the settings before the first cell, so a run
    # that failed before it left settings and no cell.
    ResultsStore(tmp_path).close()
    with sqlite3.connect(tmp_path / "results.sqlite") as connection:
        connection.executemany(
            "INSERT INTO settings (key, value) VALUES (?, ?)",
            [(key, json.dumps(value)) for key, value in SETTINGS.items()],
        )

    with ResultsStore(tmp_path) as store:
        store.check_settings({**SETTINGS, "cv": 3, "seed": 7})
        store.add(_cell())
    assert _stored_settings(tmp_path) == {"cv": 3, "repeats": 1, "seed": 7}


def test_store_error_cells_keep_settings(tmp_path):
    with ResultsStore(tmp_path) as store:
        store.check_settings(SETTINGS)
        store.add({**_cell(), "status": "error", "metrics": {}, "error": "boom"})
    with ResultsStore(tmp_path) as store:
        with pytest.raises(ValueError, match=r"cv=2 \(stored\) vs 3 \(requested\)"):
            store.check_settings({**SETTINGS, "cv": 3})


def test_store_concurrent_run_other_settings(tmp_path):
    first, second = ResultsStore(tmp_path), ResultsStore(tmp_path)
    try:
        first.check_settings(SETTINGS)
        second.check_settings({**SETTINGS, "cv": 3})
        first.add(_cell())
        with pytest.raises(ValueError, match=r"cv=2 \(stored\) vs 3 \(requested\)"):
            second.add(_cell(fold=1))
    finally:
        first.close()
        second.close()
    with sqlite3.connect(tmp_path / "results.sqlite") as connection:
        folds = connection.execute("SELECT fold FROM cells").fetchall()
    assert folds == [(0,)]
    assert _stored_settings(tmp_path) == SETTINGS
