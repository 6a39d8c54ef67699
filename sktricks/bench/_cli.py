"""The ``sktricks`` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

__all__ = ["main"]

# Exit status a shell reports for a process that SIGPIPE ended: 128 + 13.
_EXIT_STDOUT_CLOSED = 141

_DESCRIPTION = """\
Run registered recipes (pipelines of tricks) on OpenML datasets over
repeated cross-validation, store every finished cell, and print a
leaderboard. Rerunning with the same --output resumes: finished cells are
skipped and failed ones retried. Resuming goes by dataset and recipe name,
so after changing a recipe's code use a new --output.

'sktricks bench report DIR' renders the report of an earlier run again
from its results store, without running any cell."""


def _comma_list(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"{text!r} is empty: give at least one name")
    return items


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 0 <= value <= 2**32 - 1:
        raise argparse.ArgumentTypeError(
            f"{value} is outside the range 0 to 4294967295 (2**32 - 1)"
        )
    return value


def _directory(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty name is not a directory")
    return text


def _positive_int(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below the minimum {minimum}")
        return value

    return parse


def _n_jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value == 0:
        raise argparse.ArgumentTypeError("0 is invalid: use a positive count or -1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``sktricks`` command."""
    from sktricks._version import __version__

    parser = argparse.ArgumentParser(
        prog="sktricks",
        description="sktricks: tabular machine-learning competition tricks "
        "behind the scikit-learn API. 'sktricks bench' compares recipes "
        "(pipelines of tricks) on OpenML datasets; see 'sktricks bench --help'.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    bench = commands.add_parser(
        "bench",
        help="benchmark recipes on OpenML datasets",
        description=_DESCRIPTION,
    )
    bench.add_argument(
        "--suite",
        default="quick",
        help="named dataset suite: 'quick' (8 small bundled datasets, a few "
        "minutes on 2 cores), 'bundled' (every bundled dataset) or 'cc18' (the "
        "72 OpenML-CC18 classification datasets, downloaded from OpenML), or "
        "the path of a TOML suite file (*.toml) with the keys datasets, "
        "recipes, folds and repeats; ignored when --datasets is given "
        "(default: %(default)s)",
    )
    bench.add_argument(
        "--datasets",
        type=_comma_list,
        default=None,
        metavar="NAMES",
        help="comma-separated dataset names or OpenML ids, e.g. "
        "'credit-g,37'; ids that are not bundled are downloaded from OpenML "
        "(default: the datasets of --suite)",
    )
    bench.add_argument(
        "--recipes",
        type=_comma_list,
        default=None,
        metavar="NAMES",
        help="comma-separated recipe names; 'all' (alone or among names) "
        "runs every registered recipe (default: the baseline recipes "
        "linear, random_forest, lightgbm and xgboost; see --list)",
    )
    bench.add_argument(
        "--cv",
        type=_positive_int(2),
        default=None,
        metavar="FOLDS",
        help="number of folds per repeat: stratified k-fold for classification, "
        "k-fold for regression; a suite file's 'folds' applies when this is "
        "not given (default: 5)",
    )
    bench.add_argument(
        "--repeats",
        type=_positive_int(1),
        default=None,
        metavar="N",
        help="number of cross-validation repeats, each with another shuffle; "
        "a suite file's 'repeats' applies when this is not given (default: 1)",
    )
    bench.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=-1,
        metavar="N",
        help="number of worker processes running cells; -1 uses every core; "
        "with --backend dask and no --scheduler, the number of workers of the "
        "local cluster; scores do not depend on it (default: %(default)s)",
    )
    bench.add_argument(
        "--backend",
        choices=["local", "dask"],
        default="local",
        help="where cells run: 'local' (joblib processes on this machine) or "
        "'dask' (a dask.distributed cluster, needs the sktricks[dask] extra; "
        "a lost worker costs only its unfinished cells) (default: %(default)s)",
    )
    bench.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="address of a running Dask scheduler to join, e.g. "
        "tcp://10.0.0.5:8786; without it --backend dask starts a local cluster "
        "on 127.0.0.1 and shuts it down after the run",
    )
    _add_baseline(bench)
    bench.add_argument(
        "--output",
        type=_directory,
        default="sktricks-bench",
        metavar="DIR",
        help="directory for results.sqlite, report.md, ranks.png and "
        "results.csv; an existing one is resumed, keyed by dataset and recipe "
        "name, so after changing a recipe's code use a new directory "
        "(default: %(default)s)",
    )
    bench.add_argument(
        "--seed",
        type=_seed,
        default=0,
        help="integer seed of the fold shuffles and the models, from 0 to "
        "4294967295 (2**32 - 1) (default: %(default)s)",
    )
    bench.add_argument("--quiet", action="store_true", help="show no progress bar")
    bench.add_argument(
        "--list",
        action="store_true",
        help="list the suites, datasets and recipes, then exit",
    )

    actions = bench.add_subparsers(dest="bench_command", metavar="ACTION")
    report = actions.add_parser(
        "report",
        help="render the report of an earlier run again, without running cells",
        description="Render report.md, report.html, ranks.png, cd_diagram.png "
        "and results.csv again from the results store in DIR, without running "
        "any cell; for instance to compare against another --baseline.",
    )
    report.add_argument(
        "directory", type=_directory, metavar="DIR", help="output directory of a run"
    )
    _add_baseline(report)
    return parser


def _add_baseline(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--baseline",
        default=None,
        metavar="RECIPE",
        help="recipe the report compares every other recipe with (win/tie/loss, "
        "Wilcoxon test) (default: the first recipe of the run)",
    )


class _StdoutClosedError(Exception):
    """Raised when standard output is a pipe whose reader has exited."""


def _echo(text: str = "") -> None:
    try:
        print(text)
    except BrokenPipeError as error:
        raise _StdoutClosedError from error


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError as error:
        raise _StdoutClosedError from error


def _discard_stdout() -> None:
    # Python flushes sys.stdout again at exit, and that write to the closed
    # pipe would print "Exception ignored ... BrokenPipeError". Pointed at
    # os.devnull, the descriptor takes the rest of the buffer silently.
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        # A replaced sys.stdout without a descriptor, such as a test's
        # capture, is not flushed to the pipe at exit.
        pass
    finally:
        os.close(devnull)


def _print_catalogue() -> None:
    from sktricks.bench import SUITES, list_recipes
    from sktricks.datasets import list_datasets

    _echo("Suites:")
    suite_width = max(map(len, SUITES))
    for name, description in SUITES.items():
        _echo(f"  {name:<{suite_width}}  {description}")

    _echo("\nRecipes:")
    recipes = list_recipes()
    recipe_width = max((len(recipe.name) for recipe in recipes), default=0)
    for recipe in recipes:
        marker = "*" if recipe.default else " "
        _echo(f"  {marker} {recipe.name:<{recipe_width}}  {recipe.description}")
    _echo("  (* runs when --recipes is not given)")
    _echo("\nDatasets (bundled ones load offline):")
    _echo(list_datasets().to_string(index=False))


class _UsageError(Exception):
    """Raised when a file or directory named by an argument cannot be used."""


def _check_suite_file(suite: str) -> None:
    from sktricks.bench._suites import is_suite_file, load_suite_file

    if not is_suite_file(suite):
        return
    try:
        load_suite_file(suite)
    except OSError as error:
        raise _UsageError(str(error)) from error


def _run_bench(args: argparse.Namespace) -> int:
    from sktricks.bench import format_leaderboard, run_benchmark

    _check_suite_file(args.suite)
    result = run_benchmark(
        args.datasets,
        args.recipes,
        suite=args.suite,
        cv=args.cv,
        repeats=args.repeats,
        n_jobs=args.n_jobs,
        output=args.output,
        seed=args.seed,
        verbose=0 if args.quiet else 1,
        backend=args.backend,
        scheduler=args.scheduler,
        baseline=args.baseline,
    )
    table = format_leaderboard(result.leaderboard())
    _echo("\nLeaderboard: mean ± std over folds (rank within the dataset)")
    _echo("Primary metric: ROC AUC for classification, RMSE for regression\n")
    _echo(table.to_string(index=False) if not table.empty else "No cell succeeded.")

    failed = result.results[result.results["status"] != "ok"]
    if not failed.empty:
        _echo(f"\n{len(failed)} cells failed; their errors are in the report.")
    already = len(result.results) - result.n_run
    _echo(
        f"\nRan {result.n_run} cells ({already} already stored). "
        f"Results store: {result.files['store']}"
    )
    _print_files(result.files)
    if len(result.results) and len(failed) == len(result.results):
        print("sktricks bench: error: every cell failed", file=sys.stderr)
        return 1
    return 0


def _print_files(files: dict) -> None:
    _echo(f"Report: {files['report']} and {files['html']}")
    for key, label in [("plot", "Plot"), ("cd_plot", "Critical-difference diagram")]:
        if files[key].exists():
            _echo(f"{label}: {files[key]}")


def _render_report(args: argparse.Namespace) -> int:
    from sktricks.bench import render_report

    try:
        files = render_report(args.directory, baseline=args.baseline)
    except FileNotFoundError as error:
        # render_report raises FileNotFoundError only when DIR contains no
        # results store.
        raise _UsageError(str(error)) from error
    _print_files(files)
    return 0


def _count_stored(output: str) -> int:
    import sqlite3
    from pathlib import Path

    path = Path(output) / "results.sqlite"
    if not path.is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            (count,) = connection.execute(
                "SELECT COUNT(*) FROM cells WHERE status = 'ok'"
            ).fetchone()
    except sqlite3.Error:
        return 0
    return int(count)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sktricks`` command; return the process exit code.

    When standard output is a pipe whose reader has exited, as in
    ``sktricks bench --list | head -3``, the command stops writing and
    returns 141, the status of a process ended by SIGPIPE, without a
    traceback. Cells finished before that are stored.
    """
    try:
        code = _main(argv)
        _flush_stdout()
    except _StdoutClosedError:
        _discard_stdout()
        return _EXIT_STDOUT_CLOSED
    return code


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")

    if args.list:
        _print_catalogue()
        return 0
    from sktricks.bench import WorkerDiedError

    try:
        if args.bench_command == "report":
            return _render_report(args)
        return _run_bench(args)
    except KeyboardInterrupt:
        print(
            f"\nsktricks bench: interrupted; {_count_stored(args.output)} "
            f"finished cells are stored in {args.output}. Rerun the same "
            "command to resume.",
            file=sys.stderr,
        )
        return 130
    except WorkerDiedError as error:
        print(f"sktricks bench: error: {error}", file=sys.stderr)
        return 1
    except (
        LookupError,
        ValueError,
        PermissionError,
        ImportError,
        _UsageError,
    ) as error:
        # Unknown names, unusable settings and unusable files named by an
        # argument are the user's to fix: show the message, which lists the
        # valid choices, without a traceback.
        message = error.args[0] if isinstance(error, KeyError) else str(error)
        print(f"sktricks bench: error: {message}", file=sys.stderr)
        return 2
    except OSError as error:
        # A damaged installation, an unusable disk or an unreachable
        # scheduler: no traceback helps.
        print(f"sktricks bench: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
