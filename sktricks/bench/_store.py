"""The results store: one SQLite row per finished benchmark cell.

SQLite commits each row in its own transaction, so a process killed at any
moment leaves every committed cell intact and the file consistent. A
half-written row is discarded from the write-ahead log on the next open. Only the
main process writes, as results arrive from the workers.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pandas as pd

__all__ = ["ResultsStore"]

STORE_NAME = "results.sqlite"
_RUN_KEY = "run"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cells (
    dataset TEXT NOT NULL,
    recipe TEXT NOT NULL,
    repeat INTEGER NOT NULL,
    fold INTEGER NOT NULL,
    task TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    metrics TEXT NOT NULL,
    fit_seconds REAL,
    predict_seconds REAL,
    n_train INTEGER,
    n_test INTEGER,
    finished_at TEXT NOT NULL,
    PRIMARY KEY (dataset, recipe, repeat, fold)
);
"""


class ResultsStore:
    """Benchmark cells stored in ``DIR/results.sqlite``.

    Parameters
    ----------
    directory : str or Path
        Output directory; created when missing.

    Raises
    ------
    PermissionError
        When the directory or the store inside it cannot be written.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / STORE_NAME
        self._pending_settings: dict[str, Any] | None = None
        _check_writable(self.directory)
        try:
            self._connection = sqlite3.connect(self.path, timeout=60)
        except sqlite3.Error as error:
            raise _not_a_store(self.path, error) from error
        try:
            # Write-ahead logging with synchronous=NORMAL skips the fsync on
            # each commit: a killed process still loses no committed cell
            # (only an operating-system crash or power loss can drop the
            # latest ones), and a commit costs well under a millisecond.
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.executescript(_SCHEMA)
            self._connection.commit()
            self._check_schema()
        except (sqlite3.Error, ValueError) as error:
            self._connection.close()
            raise _not_a_store(self.path, error) from error

    def _check_schema(self) -> None:
        expected = {
            "settings": {"key", "value"},
            "cells": {
                "dataset",
                "recipe",
                "repeat",
                "fold",
                "task",
                "status",
                "error",
                "metrics",
                "fit_seconds",
                "predict_seconds",
                "n_train",
                "n_test",
                "finished_at",
            },
        }
        for table, columns in expected.items():
            found = {
                row[1]
                for row in self._connection.execute(f"PRAGMA table_info({table})")
            }
            if found != columns:
                raise ValueError(f"its table {table!r} has the columns {sorted(found)}")

    def close(self) -> None:
        """Close the database connection."""
        self._connection.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def check_settings(self, settings: dict[str, Any]) -> None:
        """Check run settings against the stored ones and keep them for the first cell.

        Cells from runs with other folds or seeds are not comparable, so a
        store containing cells rejects other settings. The settings are written
        in the transaction of the first cell :meth:`add` stores, so a run
        that fails before its first cell (an unreachable scheduler, an
        interrupt) leaves no settings that would reject the next run. A
        store with settings but no cell, as earlier versions left after such
        a failure, takes the new settings in place of the stored ones.

        Raises
        ------
        ValueError
            When the store contains cells and a stored setting differs. The
            message names the setting.
        """
        self._raise_on_other_settings(settings)
        self._pending_settings = dict(settings)

    def _raise_on_other_settings(self, settings: dict[str, Any]) -> None:
        (n_cells,) = self._connection.execute("SELECT COUNT(*) FROM cells").fetchone()
        if not n_cells:
            return
        stored = dict(self._connection.execute("SELECT key, value FROM settings"))
        mismatched = [
            f"{key}={json.loads(stored[key])!r} (stored) vs {value!r} (requested)"
            for key, value in settings.items()
            if key in stored and key != _RUN_KEY and json.loads(stored[key]) != value
        ]
        if mismatched:
            raise ValueError(
                f"The results store {self.path} was written with other settings: "
                f"{'; '.join(mismatched)}. Use the same settings to resume, or "
                "choose another output directory."
            )

    def _write_pending_settings(self) -> None:
        # Called inside the write transaction of a cell: another run into the
        # same directory may have stored its first cell since check_settings.
        settings = self._pending_settings
        if settings is None:
            return
        self._raise_on_other_settings(settings)
        self._connection.executemany(
            "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
            [(key, json.dumps(value)) for key, value in settings.items()],
        )

    def record_run(self, details: dict[str, Any]) -> None:
        """Store the details of the latest run (recipe order, backend, jobs).

        Unlike :meth:`check_settings`, the details are replaced by each run
        and never compared: ``sktricks bench report`` only shows them.
        """
        with self._connection:
            self._connection.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                (_RUN_KEY, json.dumps(details)),
            )

    def settings(self) -> dict[str, Any]:
        """Return the stored settings, with the latest run's details under ``run``."""
        return {
            key: json.loads(value)
            for key, value in self._connection.execute(
                "SELECT key, value FROM settings"
            )
        }

    def finished_keys(self) -> set[tuple[str, str, int, int]]:
        """Return the (dataset, recipe, repeat, fold) keys of successful cells."""
        rows = self._connection.execute(
            "SELECT dataset, recipe, repeat, fold FROM cells WHERE status = 'ok'"
        )
        return {(d, r, int(rep), int(f)) for d, r, rep, f in rows}

    def add(self, record: dict[str, Any]) -> None:
        """Store one cell in its own transaction, replacing an earlier error.

        The first cell after :meth:`check_settings` also stores the settings.

        Raises
        ------
        ValueError
            When another run stored cells with other settings since
            :meth:`check_settings`. The cell is not written then.
        """
        row = dict(record)
        row["metrics"] = json.dumps(row.get("metrics", {}))
        columns = ", ".join(row)
        placeholders = ", ".join("?" for _ in row)
        with self._connection:
            # IMMEDIATE takes the write lock before the settings are read, so
            # no other run can store its first cell between check and insert.
            self._connection.execute("BEGIN IMMEDIATE")
            self._write_pending_settings()
            self._connection.execute(
                f"INSERT OR REPLACE INTO cells ({columns}) VALUES ({placeholders})",
                list(row.values()),
            )
        self._pending_settings = None

    def to_frame(self) -> pd.DataFrame:
        """Return every stored cell, one column per metric, sorted by key."""
        frame = pd.read_sql_query("SELECT * FROM cells", self._connection)
        return expand_metrics(frame)


def expand_metrics(frame: pd.DataFrame) -> pd.DataFrame:
    """Expand the JSON ``metrics`` column into one float column per metric."""
    if frame.empty:
        return frame.drop(columns="metrics")
    metrics = pd.DataFrame(
        [json.loads(text) for text in frame["metrics"]], index=frame.index
    )
    frame = pd.concat([frame.drop(columns="metrics"), metrics], axis=1)
    return frame.sort_values(["dataset", "recipe", "repeat", "fold"], ignore_index=True)


class NotAStoreError(ValueError):
    """Raised when the results file exists but is not a sktricks store."""


def _not_a_store(path: Path, error: Exception) -> NotAStoreError:
    return NotAStoreError(
        f"{str(path)!r} is not a sktricks results store ({error}). Choose "
        "another output directory (--output), or move that file away."
    )


def _check_writable(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".sktricks-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise PermissionError(
            f"Cannot write to the output directory {str(directory)!r}: "
            f"{error.strerror or error}. Choose a writable directory with --output."
        ) from error


def write_atomic(path: Path, data: str | Callable[[IO[bytes]], None]) -> None:
    """Write ``path`` through a temporary file and a rename.

    ``data`` is text (written as UTF-8) or a function writing bytes to an
    open binary file. The temporary file gets a unique name in the same
    directory, so concurrent runs into one directory do not collide and the
    rename stays on one file system.
    """
    handle = tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    temporary = Path(handle.name)
    try:
        with handle:
            if isinstance(data, str):
                handle.write(data.encode("utf-8"))
            else:
                data(handle)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
