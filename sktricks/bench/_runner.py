"""The benchmark runner: every (dataset, recipe, repeat, fold) cell, in parallel.

Workers fit and score cells. The main process stores each result as soon as
it arrives, so an interrupted run keeps every finished cell. A rerun with the
same output directory runs only the cells that are missing.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import platform
import sys
import time
import traceback
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from joblib.externals.loky.process_executor import TerminatedWorkerError
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

from sktricks._version import __version__
from sktricks.bench._metrics import classification_metrics, regression_metrics
from sktricks.bench._recipes import Recipe, get_recipe, list_recipes
from sktricks.bench._report import write_report
from sktricks.bench._store import ResultsStore
from sktricks.bench._suites import CC18, get_suite, is_suite_file, load_suite_file
from sktricks.datasets import DatasetNotFoundError, load_openml
from sktricks.utils import progress_bar

__all__ = ["BenchmarkResult", "WorkerDiedError", "make_splitter", "run_benchmark"]

logger = logging.getLogger(__name__)


class WorkerDiedError(RuntimeError):
    """Raised when a worker process died (``os._exit``, a crash, out of memory).

    The cells finished before are stored and the report covers them.
    """


@dataclass(frozen=True)
class Cell:
    """One unit of work: a recipe fitted on one training fold of a dataset."""

    dataset: str
    recipe: str
    repeat: int
    fold: int


@dataclass
class BenchmarkResult:
    """Outcome of :func:`run_benchmark`: the stored cells and the files written.

    Attributes
    ----------
    results : DataFrame
        One row per cell with its status, error, timings and one column per
        metric.
    output : Path
        Directory holding the results store, report and plot.
    n_run : int
        Cells run by this call; the others were already in the store.
    files : dict
        Paths of the files written: ``store``, ``report``, ``plot``, ``csv``.
    planned : DataFrame or None
        The run's plan: one row per (dataset, recipe) with ``dataset``,
        ``task``, ``recipe`` and ``n_planned``, the number of cells planned
        (0 when the recipe does not support the dataset's task).
    """

    results: pd.DataFrame
    output: Path
    n_run: int
    files: dict[str, Path] = field(default_factory=dict)
    planned: pd.DataFrame | None = None

    def leaderboard(self) -> pd.DataFrame:
        """Return mean and std of the primary metric, with ranks per dataset.

        A recipe with fewer successful cells than planned on a dataset is
        marked failed and ranked last there; see
        :func:`sktricks.bench.leaderboard`.
        """
        from sktricks.bench._report import leaderboard

        return leaderboard(self.results, self.planned)


def cpu_model() -> str:
    """Return the CPU model, from /proc/cpuinfo where platform has none."""
    name = platform.processor()
    if name:
        return name
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    return "unknown CPU"


def make_splitter(task: str, cv: int, repeats: int, seed: int):
    """Return the cross-validation splitter the runner uses for ``task``.

    Repeated stratified k-fold for classification, repeated k-fold for
    regression, both shuffled with ``seed``.
    """
    if task == "regression":
        return RepeatedKFold(n_splits=cv, n_repeats=repeats, random_state=seed)
    return RepeatedStratifiedKFold(n_splits=cv, n_repeats=repeats, random_state=seed)


def cell_random_state(seed: int, repeat: int, fold: int) -> int:
    """Return the model seed of a cell; every recipe gets the same one."""
    return int(np.random.SeedSequence([seed, repeat, fold]).generate_state(1)[0])


@functools.lru_cache(maxsize=4)
def _load(dataset: str) -> tuple[pd.DataFrame, np.ndarray, str, int]:
    bunch = load_openml(dataset)
    X, y, task = bunch.data, bunch.target, bunch.task

    observed = y.notna().to_numpy()
    if not observed.all():
        logger.warning(
            "Dataset %s: dropping %d rows with a missing target.",
            dataset,
            int((~observed).sum()),
        )
        X, y = X.loc[observed], y.loc[observed]

    if task == "regression":
        return X, y.to_numpy(dtype=float), task, 0
    codes = y.cat.remove_unused_categories().cat.codes.to_numpy()
    return X, codes, task, int(codes.max()) + 1


@functools.lru_cache(maxsize=4)
def _splits(dataset: str, cv: int, repeats: int, seed: int) -> list:
    X, y, task, _ = _load(dataset)
    return list(make_splitter(task, cv, repeats, seed).split(X, y))


def _predict(estimator, X: pd.DataFrame, task: str, n_classes: int) -> np.ndarray:
    if task == "regression":
        return np.asarray(estimator.predict(X), dtype=float)

    # A class missing from the training fold has no column in predict_proba;
    # its probability is 0, in the dataset's class order.
    proba = np.zeros((len(X), n_classes))
    proba[:, np.asarray(estimator.classes_, dtype=int)] = estimator.predict_proba(X)

    # LightGBM and XGBoost return float32 rows that, cast to float64, miss a
    # sum of 1 by more than scikit-learn's log-loss check tolerates.
    return proba / proba.sum(axis=1, keepdims=True)


def _check_estimator_kind(estimator: Any, task: str, recipe: str) -> None:
    kind = type(estimator).__name__
    if task == "regression":
        if is_classifier(estimator):
            raise TypeError(
                f"Recipe {recipe!r} returned {kind}, a classifier, for a "
                "regression task; the runner needs a regressor with predict."
            )
        return
    if is_regressor(estimator) or not hasattr(estimator, "predict_proba"):
        raise TypeError(
            f"Recipe {recipe!r} returned {kind} for a classification task "
            f"({task}); the runner needs a classifier with predict_proba."
        )


def run_cell(
    cell: Cell, recipe: Recipe, cv: int, repeats: int, seed: int
) -> dict[str, Any]:
    """Fit and score one cell; an exception is recorded, not raised.

    The recipe travels with the cell, so recipes registered in the caller's
    script also exist in the worker processes.
    """
    record: dict[str, Any] = {
        "dataset": cell.dataset,
        "recipe": cell.recipe,
        "repeat": cell.repeat,
        "fold": cell.fold,
        "metrics": {},
        "error": None,
        "fit_seconds": None,
        "predict_seconds": None,
    }
    try:
        X, y, task, n_classes = _load(cell.dataset)
        record["task"] = task
        train, test = _splits(cell.dataset, cv, repeats, seed)[
            cell.repeat * cv + cell.fold
        ]
        record["n_train"], record["n_test"] = len(train), len(test)
        estimator = recipe.build(task, cell_random_state(seed, cell.repeat, cell.fold))
        _check_estimator_kind(estimator, task, recipe.name)

        start = time.perf_counter()
        estimator = clone(estimator).fit(X.iloc[train], y[train])
        record["fit_seconds"] = time.perf_counter() - start

        start = time.perf_counter()
        predictions = _predict(estimator, X.iloc[test], task, n_classes)
        record["predict_seconds"] = time.perf_counter() - start

        record["metrics"] = (
            regression_metrics(y[test], predictions)
            if task == "regression"
            else classification_metrics(y[test], predictions)
        )
        undefined = sorted(
            name for name, value in record["metrics"].items() if np.isnan(value)
        )
        if undefined:
            raise ValueError(
                f"The metrics {', '.join(undefined)} are NaN on this fold "
                f"({len(test)} test rows, {np.unique(y[test]).size} distinct "
                "targets), so the cell has no score. Check the predictions "
                "for NaN, or use fewer folds."
            )
        record["status"] = "ok"
    except (Exception, SystemExit) as error:
        # SystemExit too: a recipe calling sys.exit() is a failed cell, not
        # the end of the run. KeyboardInterrupt still stops the run.
        record.setdefault("task", "unknown")
        record["status"] = "error"
        record["error"] = f"{type(error).__name__}: {error}"
        record["traceback"] = traceback.format_exc()
    record["finished_at"] = datetime.now(timezone.utc).isoformat()
    return record


def _as_name_list(names, kind: str) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str | int) and not isinstance(names, bool):
        names = [names]
    names = [str(name).strip() for name in names]
    if not names or not all(names):
        raise ValueError(
            f"{kind}={names!r} is empty: give at least one name, or None for "
            "the default."
        )
    return names


_CC18_NAMES = {str(openml_id): name for openml_id, name in CC18}


def _work_estimate(bunch: Any) -> int:
    """Return rows x columns x models per boosting round of a loaded dataset.

    Only the order of these numbers is used: the runner hands out the cells
    of the largest datasets first. A multiclass problem counts once per
    class, since gradient boosting fits one tree per class each round.
    """
    n_rows, n_columns = bunch.data.shape
    n_classes = bunch.target.nunique() if bunch.task == "multiclass" else 1
    return n_rows * max(n_columns, 1) * max(n_classes, 1)


def _resolve_datasets(
    names: list[str], source: str, work: dict[str, int] | None = None
) -> list[tuple[str, str]]:
    """Return ``(name, task)`` per distinct dataset; fill ``work`` with estimates."""
    resolved: dict[str, str] = {}
    missing: list[tuple[str, DatasetNotFoundError]] = []
    for name in names:
        try:
            bunch = load_openml(name)
        except DatasetNotFoundError as error:
            missing.append((name, error))
            continue
        # "31", "credit-g" and "CREDIT-G" are one dataset: keep it once.
        resolved.setdefault(bunch.name, bunch.task)
        if work is not None:
            work[bunch.name] = _work_estimate(bunch)
    if len(missing) == 1 and len(names) == 1:
        raise missing[0][1]
    if missing:
        labels = [
            f"{name} ({_CC18_NAMES[name]})" if name in _CC18_NAMES else name
            for name, _ in missing
        ]
        raise DatasetNotFoundError(
            f"{len(missing)} of the {len(names)} datasets of {source} could not "
            f"be loaded: {', '.join(labels)}. They are not bundled with "
            "sktricks and OpenML could not provide them; check the network "
            "and the names. The first error was: "
            f"{missing[0][1]}"
        )
    return list(resolved.items())


def check_folds(dataset: str, cv: int) -> None:
    """Raise when ``dataset`` cannot be split into ``cv`` usable folds.

    Stratified k-fold needs every class in every fold, otherwise ROC AUC
    is undefined on the folds that miss one; k-fold needs a row per fold.
    Missing targets are dropped first, as the cells do.

    Raises
    ------
    ValueError
        Naming the dataset, the smallest class and its size, and the fix.
    """
    _, y, task, n_classes = _load(dataset)
    if task == "regression":
        if cv > len(y):
            raise ValueError(
                f"cv={cv} is larger than the {len(y)} rows of dataset "
                f"{dataset!r}: every fold needs at least one row. "
                + _lower_cv(cv, len(y))
            )
        return
    counts = np.bincount(y, minlength=n_classes)
    smallest = int(np.argmin(counts))
    if cv > counts[smallest]:
        label = _class_labels(dataset)[smallest]
        raise ValueError(
            f"cv={cv} is larger than the {counts[smallest]} rows of class "
            f"{label!r} in dataset {dataset!r}: stratified folds would miss that "
            "class and its ROC AUC would be undefined. "
            + _lower_cv(cv, int(counts[smallest]))
        )


def _lower_cv(cv: int, maximum: int) -> str:
    return f"Lower cv (--cv on the command line) from {cv} to {maximum} or fewer folds."


def _class_labels(dataset: str) -> list[str]:
    target = load_openml(dataset).target.dropna()
    return [str(c) for c in target.cat.remove_unused_categories().cat.categories]


def _resolve_recipes(recipes) -> list[str]:
    names = _as_name_list(recipes, "recipes")
    if names is None:
        return [recipe.name for recipe in list_recipes() if recipe.default]
    if "all" in names:
        for name in names:
            if name != "all":
                get_recipe(name)
        return [recipe.name for recipe in list_recipes()]
    return list(dict.fromkeys(get_recipe(name).name for name in names))


def _check_int(name: str, value: Any, low: int, high: int | None, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name}={value!r} is invalid: {fix}")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name}={value!r} is invalid: {fix}")
    return int(value)


def plan_cells(
    datasets: list[tuple[str, str]], recipes: list[str], cv: int, repeats: int
) -> list[Cell]:
    """Return every cell of the run, skipping recipes that do not support a task."""
    return [
        Cell(dataset, recipe, repeat, fold)
        for dataset, task in datasets
        for recipe in recipes
        if task in get_recipe(recipe).tasks
        for repeat in range(repeats)
        for fold in range(cv)
    ]


def plan_table(
    datasets: list[tuple[str, str]], recipes: list[str], cv: int, repeats: int
) -> pd.DataFrame:
    """Return the cells planned per (dataset, recipe); 0 for unsupported tasks."""
    return pd.DataFrame(
        [
            {
                "dataset": dataset,
                "task": task,
                "recipe": recipe,
                "n_planned": cv * repeats if task in get_recipe(recipe).tasks else 0,
            }
            for dataset, task in datasets
            for recipe in recipes
        ],
        columns=["dataset", "task", "recipe", "n_planned"],
    )


def run_benchmark(
    datasets: list[str] | str | None = None,
    recipes: list[str] | str | None = None,
    *,
    suite: str | Path = "quick",
    cv: int | None = None,
    repeats: int | None = None,
    n_jobs: int | None = None,
    output: str | Path = "sktricks-bench",
    seed: int = 0,
    verbose: int = 1,
    backend: str = "local",
    scheduler: str | None = None,
    baseline: str | None = None,
) -> BenchmarkResult:
    """Run recipes on datasets over repeated cross-validation and report.

    Every recipe is fitted and scored on exactly the same folds. Each
    finished cell is stored in ``output/results.sqlite`` at once, so an
    interrupted run loses no finished cell. Rerunning with the same
    ``output`` skips successful cells and retries failed ones. A cell that
    raises is recorded with its error and the run goes on.

    Resuming is keyed by dataset and recipe name (with repeat and fold):
    the store cannot tell that a recipe's code changed, so after changing a
    recipe, use a new ``output`` directory, or its old cells are reused.

    All settings are checked before anything is written: ``cv`` must not
    exceed the smallest class of a classification dataset, nor the rows of
    a regression dataset.

    Parameters
    ----------
    datasets : list of str or str, default=None
        Dataset names or OpenML ids; a single string is one dataset. ``None``
        uses the datasets of ``suite``. Names of one dataset (``31``,
        ``"credit-g"``, ``"CREDIT-G"``) count once.
    recipes : list of str or str, default=None
        Registered recipe names; a single string is one recipe. ``None``
        runs the default recipes (the four baselines); a list holding
        ``"all"`` runs every registered recipe. Duplicates count once.
    suite : {"quick", "bundled", "cc18"} or path, default="quick"
        Named dataset suite, used when ``datasets`` is None, or the path of a
        TOML suite file (a ``.toml`` name or a ``Path``; see
        :func:`load_suite_file`) whose recipes, folds and repeats apply
        where ``recipes``, ``cv`` and ``repeats`` are None. ``"cc18"``
        downloads the OpenML-CC18 datasets that are not bundled.
    cv : int, default=None
        Folds per repeat: stratified k-fold for classification, k-fold for
        regression. ``None`` means the suite file's ``folds``, else 5.
    repeats : int, default=None
        Repeats of the cross-validation, each with another shuffle. ``None``
        means the suite file's ``repeats``, else 1.
    n_jobs : int, default=None
        Cells run in parallel; ``None`` means 1, ``-1`` all cores. With
        ``backend="dask"`` and no ``scheduler``, the number of workers of
        the local cluster; ignored when joining a scheduler. Scores do not
        depend on it.
    output : str or Path, default="sktricks-bench"
        Directory for the results store, report and plot. An existing one
        is resumed, keyed by dataset and recipe name: after changing a
        recipe's code, use a new directory.
    seed : int, default=0
        Seed of the fold shuffles and of the models, from 0 to 2**32 - 1.
    verbose : int, default=1
        0 is silent; 1 shows a progress bar over cells. With
        ``backend="dask"``, 0 also raises the loggers of ``distributed`` to
        WARNING until the run ends, so its INFO messages do not show.
    backend : {"local", "dask"}, default="local"
        ``"local"`` runs cells in joblib worker processes on this machine.
        ``"dask"`` runs them on a ``dask.distributed`` cluster (the
        ``sktricks[dask]`` extra): a worker lost mid-run costs only its
        unfinished cells, which the scheduler runs again elsewhere. Scores
        are the same with either backend.
    scheduler : str, default=None
        Address of a running Dask scheduler to join, such as
        ``"tcp://10.0.0.5:8786"``. ``None`` starts a local cluster on
        127.0.0.1 for the run and shuts it down afterwards. Only with
        ``backend="dask"``.
    baseline : str, default=None
        Recipe the report compares every other recipe with (win/tie/loss,
        Wilcoxon test); ``None`` takes the first recipe.

    Returns
    -------
    result : BenchmarkResult
        All stored cells of ``output`` and the paths written.

    Raises
    ------
    ValueError
        For invalid settings, before anything is written.
    DatasetNotFoundError
        When datasets can be neither read from the bundle nor downloaded;
        the message names every missing one.
    OSError
        When ``suite`` names a TOML file that is missing
        (:class:`FileNotFoundError`) or cannot be read.
    WorkerDiedError
        When a worker process of the local backend died; the finished cells
        are stored and reported.
    ImportError
        With ``backend="dask"`` when dask.distributed is not installed,
        before anything is written.
    ConnectionError
        When the Dask scheduler at ``scheduler`` cannot be reached.

    Examples
    --------
    >>> import tempfile
    >>> from sktricks.bench import run_benchmark
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     result = run_benchmark(
    ...         ["diabetes"], ["linear"], cv=3, output=tmp, verbose=0
    ...     )
    ...     print(result.results[["dataset", "recipe", "fold", "status"]])
        dataset  recipe  fold status
    0  diabetes  linear     0     ok
    1  diabetes  linear     1     ok
    2  diabetes  linear     2     ok
    """
    # Everything is checked before the results store records any setting.
    suite_file = load_suite_file(suite) if is_suite_file(suite) else None
    if suite_file is not None:
        recipes = suite_file.recipes if recipes is None else recipes
        cv = suite_file.folds if cv is None else cv
        repeats = suite_file.repeats if repeats is None else repeats
    cv = 5 if cv is None else cv
    repeats = 1 if repeats is None else repeats
    cv = _check_int("cv", cv, 2, None, "use an integer of at least 2 folds.")
    repeats = _check_int("repeats", repeats, 1, None, "use an integer >= 1.")
    seed = _check_int(
        "seed", seed, 0, 2**32 - 1, "use an integer from 0 to 2**32 - 1 (4294967295)."
    )
    if n_jobs is not None and (
        _check_int("n_jobs", n_jobs, -(2**31), None, "use None, -1 or a count >= 1.")
        == 0
    ):
        raise ValueError("n_jobs=0 is invalid: use None, -1 or a count >= 1.")
    if not str(output).strip():
        raise ValueError(
            f"output={output!r} is empty: name a directory for the results."
        )

    _check_backend(backend, scheduler)

    names = _as_name_list(datasets, "datasets")
    if names is not None:
        source = "the run"
    elif suite_file is not None:
        names, source = suite_file.datasets, f"suite file {str(suite_file.path)!r}"
    else:
        names, source = get_suite(str(suite)), f"suite {suite!r}"
    recipe_names = _resolve_recipes(recipes)
    if baseline is not None and baseline not in recipe_names:
        raise ValueError(
            f"baseline={baseline!r} is not among the recipes of the run: "
            f"{', '.join(recipe_names)}. Choose one of them."
        )
    work: dict[str, int] = {}
    dataset_tasks = _resolve_datasets(names, source, work)
    output = Path(output)
    for dataset, _ in dataset_tasks:
        check_folds(dataset, cv)

    with ResultsStore(output) as store:
        store.check_settings(
            {"cv": int(cv), "repeats": int(repeats), "seed": int(seed)}
        )
        done = store.finished_keys()
        cells = [
            cell
            for cell in plan_cells(dataset_tasks, recipe_names, cv, repeats)
            if (cell.dataset, cell.recipe, cell.repeat, cell.fold) not in done
        ]
        planned_keys = {
            (cell.dataset, cell.recipe, cell.repeat, cell.fold)
            for cell in plan_cells(dataset_tasks, recipe_names, cv, repeats)
        }
        n_stored_before = len(planned_keys & done)
        # Largest datasets first (a stable sort keeps the plan's order
        # otherwise): a long cell started last would leave the other
        # workers idle at the end of the run. The stored results are
        # sorted by key, so the order changes no output.
        cells.sort(key=lambda cell: -work[cell.dataset])
        logger.info("%d cells to run, %d already stored.", len(cells), n_stored_before)

        # More workers than cells would only start idle processes.
        workers = max(1, min(effective_n_jobs(n_jobs), len(cells)))
        died: TerminatedWorkerError | None = None
        try:
            # closing() shuts a Dask cluster down even when the loop stops
            # early on an error or an interrupt.
            stream = contextlib.closing(
                _stream_records(
                    cells,
                    (cv, repeats, seed),
                    dict(dataset_tasks),
                    backend,
                    scheduler,
                    workers,
                    quiet=verbose == 0,
                )
            )
            with stream as records:
                for record in progress_bar(
                    records,
                    verbose=verbose,
                    total=len(cells),
                    desc="cells",
                    unit="cell",
                ):
                    trace = record.pop("traceback", None)
                    if record["status"] == "error":
                        # One line per failure; the traceback only when asked.
                        logger.warning(
                            "Cell %s / %s repeat %d fold %d failed: %s",
                            record["dataset"],
                            record["recipe"],
                            record["repeat"],
                            record["fold"],
                            " ".join(str(record["error"]).split()),
                        )
                        logger.debug("Traceback of the failed cell:\n%s", trace)
                    store.add(record)
        except TerminatedWorkerError as error:
            died = error
        results = store.to_frame()
        store.record_run(
            {"recipes": recipe_names, "backend": backend, "n_jobs": n_jobs}
        )

    settings = {
        "datasets": [name for name, _ in dataset_tasks],
        "recipes": recipe_names,
        "cv": cv,
        "repeats": repeats,
        "seed": seed,
        "n_jobs": n_jobs,
        "backend": backend if scheduler is None else f"{backend} ({scheduler})",
        "sktricks": __version__,
        "python": sys.version.split()[0],
        "machine": f"{platform.platform()}, {cpu_model()}",
        "n_run": len(cells),
        "n_stored_before": n_stored_before,
    }
    selected = results[
        results["dataset"].isin(settings["datasets"])
        & results["recipe"].isin(recipe_names)
    ].reset_index(drop=True)
    planned = plan_table(dataset_tasks, recipe_names, cv, repeats)
    files = write_report(selected, output, settings, planned, baseline)
    files["store"] = store.path
    if died is not None:
        n_stored = int(selected["status"].eq("ok").sum()) if len(selected) else 0
        raise WorkerDiedError(
            "A worker process died while running cells (a recipe called "
            "os._exit, crashed the interpreter or ran out of memory). The "
            f"{n_stored} finished cells are stored in {store.path} and the "
            f"report {files['report']} covers them. Rerun with --n-jobs 1 "
            "(n_jobs=1) to see which recipe and cell kill the process; a "
            "rerun resumes from the stored cells."
        ) from died
    return BenchmarkResult(selected, output, len(cells), files, planned)


def _check_backend(backend: Any, scheduler: Any) -> None:
    if backend not in ("local", "dask"):
        raise ValueError(
            f"backend={backend!r} is invalid: use 'local' (joblib processes on "
            "this machine) or 'dask' (a dask.distributed cluster)."
        )
    if scheduler is not None:
        if backend != "dask":
            raise ValueError(
                f"scheduler={scheduler!r} needs backend='dask' (--backend dask)."
            )
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise ValueError(
                f"scheduler={scheduler!r} is invalid: give the address of a Dask "
                "scheduler, such as 'tcp://10.0.0.5:8786'."
            )
    if backend == "dask":
        from sktricks.bench._dask import check_dask_backend

        check_dask_backend(scheduler)


def _stream_records(
    cells: list[Cell],
    settings: tuple[int, int, int],
    tasks: dict[str, str],
    backend: str,
    scheduler: str | None,
    workers: int,
    *,
    quiet: bool,
) -> Generator[dict[str, Any], None, None]:
    """Yield the record of each cell as its worker finishes, in any order.

    Records are yielded as soon as they arrive, so that the caller stores
    each cell before the slower ones end. ``quiet`` silences the INFO
    messages of a Dask cluster.
    """
    cv, repeats, seed = settings
    if not cells:
        return
    if backend == "local":
        jobs = (
            delayed(run_cell)(cell, get_recipe(cell.recipe), cv, repeats, seed)
            for cell in cells
        )
        yield from Parallel(n_jobs=workers, return_as="generator_unordered")(jobs)
        return

    from sktricks.bench._dask import dask_client, stream_dask

    with dask_client(scheduler, workers, quiet=quiet) as client:
        yield from stream_dask(
            client,
            run_cell,
            cells,
            [get_recipe(cell.recipe) for cell in cells],
            tasks,
            cv=cv,
            repeats=repeats,
            seed=seed,
        )
