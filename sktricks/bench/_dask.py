"""The Dask backend of the runner: cells as futures on a ``dask.distributed`` cluster.

dask is an optional dependency (the ``sktricks[dask]`` extra) and is imported
only when this backend runs. The main process keeps writing the results
store, one cell at a time as futures finish, exactly as with joblib.

When a worker dies, the scheduler reruns only the tasks that worker was
running or whose results it still held. The main process releases each
cell's future as soon as the cell is stored, so a stored cell is never
computed again. A cell
that kills a worker every time ends as ``KilledWorker`` after the
scheduler's ``distributed.scheduler.allowed-failures`` attempts (3 by
default) and is stored as a failed cell.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

__all__ = ["check_dask_backend", "dask_client", "stream_dask"]

logger = logging.getLogger(__name__)

# Schemes whose addresses are host:port. distributed.Client checks the
# others (inproc, ucx) when it connects.
_HOST_PORT_SCHEMES = ("tcp", "tls", "ws", "wss")


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as error:
        raise ImportError(
            "The dask backend needs dask.distributed, which is not installed. "
            "Install it with: pip install 'sktricks[dask]'"
        ) from error
    return distributed


def _invalid_address(scheduler: str, reason: object) -> ValueError:
    return ValueError(
        f"Invalid Dask scheduler address {scheduler!r}: {reason}. Give an "
        "address such as tcp://10.0.0.5:8786, or drop --scheduler to start a "
        "local cluster."
    )


def check_dask_backend(scheduler: str | None) -> None:
    """Import dask.distributed and check the form of ``scheduler``, offline.

    The runner calls this before it opens the results store, so that a
    missing extra or a malformed address fails before anything is written.
    Nothing is resolved or contacted: an address of the right form that no
    scheduler listens on fails later, in :func:`dask_client`.

    Raises
    ------
    ImportError
        When dask.distributed is not installed; the message names the extra.
    ValueError
        When ``scheduler`` has an unknown scheme, or a host:port scheme with
        a missing or invalid port.
    """
    distributed = _import_distributed()
    if scheduler is None:
        return
    try:
        scheme, location = distributed.comm.parse_address(scheduler)
        distributed.comm.registry.get_backend(scheme)
        if scheme in _HOST_PORT_SCHEMES:
            _check_port(distributed, location)
    except ValueError as error:
        raise _invalid_address(scheduler, error) from error


def _check_port(distributed: Any, location: str) -> None:
    # parse_host_port reports a port that is not a number only as int()'s
    # "invalid literal" message, and accepts any integer.
    if ":" in location and not location.endswith("]"):
        text = location.rpartition(":")[2]
        if not text.isdigit():
            raise ValueError(f"port {text!r} is not a number")
    _, port = distributed.comm.parse_host_port(location)
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is outside the range 1 to 65535")


@contextlib.contextmanager
def _quiet_distributed_logs() -> Iterator[None]:
    """Raise distributed's loggers in this process to WARNING while the block runs."""
    # distributed sets its loggers to INFO when it is imported. LocalCluster's
    # silence_logs lowers only the handler that distributed adds itself, and
    # distributed 2026.8 adds none when the root logger already has handlers
    # (as after logging.basicConfig in the sktricks command). Its INFO records
    # then reach the root handlers unless the loggers themselves are raised.
    loggers = [logging.getLogger("distributed")]
    loggers += [
        item
        for name, item in list(logging.Logger.manager.loggerDict.items())
        if name.startswith("distributed.")
        and isinstance(item, logging.Logger)
        and logging.NOTSET < item.level < logging.WARNING
    ]
    levels = [item.level for item in loggers]
    for item in loggers:
        item.setLevel(max(item.level, logging.WARNING))
    try:
        yield
    finally:
        for item, level in zip(loggers, levels, strict=True):
            item.setLevel(level)


@contextlib.contextmanager
def dask_client(
    scheduler: str | None, n_workers: int, *, quiet: bool = False
) -> Iterator[Any]:
    """Yield a ``distributed.Client``: joined to ``scheduler``, or to a new cluster.

    Without ``scheduler``, a ``LocalCluster`` of ``n_workers`` single-thread
    worker processes is started and shut down on exit. It listens on
    127.0.0.1 only, its HTTP endpoint (the dashboard when bokeh is
    installed) included, on free ports. Its workers log only errors. With
    ``quiet``, distributed logs only warnings and errors in this process
    until the client closes.

    Raises
    ------
    ImportError
        When dask.distributed is not installed; the message names the extra.
    ValueError
        When distributed rejects the form of ``scheduler``.
    ConnectionError
        When the scheduler at ``scheduler`` cannot be reached.
    """
    distributed = _import_distributed()
    with _quiet_distributed_logs() if quiet else contextlib.nullcontext():
        if scheduler is not None:
            with _join_scheduler(distributed, scheduler) as client:
                yield client
            return

        logger.info("Starting a local Dask cluster with %d workers.", n_workers)
        cluster = distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        )
        try:
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
            logger.info("Local Dask cluster shut down.")


def _join_scheduler(distributed: Any, scheduler: str) -> Any:
    logger.info("Connecting to the Dask scheduler at %s.", scheduler)
    try:
        # The connection timeout is dask's distributed.comm.timeouts.connect
        # setting (30 s by default).
        return distributed.Client(scheduler)
    except ValueError as error:
        raise _invalid_address(scheduler, error) from error
    except (OSError, TimeoutError) as error:
        raise ConnectionError(
            f"Could not connect to the Dask scheduler at {scheduler!r}: "
            f"{error}. Check the address (for example "
            "tcp://10.0.0.5:8786) and that the scheduler is running, or "
            "drop --scheduler to start a local cluster."
        ) from error


def _killed_record(cell: Any, task: str, error: BaseException) -> dict[str, Any]:
    return {
        "dataset": cell.dataset,
        "recipe": cell.recipe,
        "repeat": cell.repeat,
        "fold": cell.fold,
        "task": task,
        "metrics": {},
        "status": "error",
        "error": (
            f"{type(error).__name__}: the cell killed every worker that ran it "
            f"({error})"
        ),
        "fit_seconds": None,
        "predict_seconds": None,
        "finished_at": datetime.now(timezone.utc).isoformat(),
    }


def stream_dask(
    client: Any,
    run: Callable[..., dict[str, Any]],
    cells: list[Any],
    recipes: list[Any],
    tasks: dict[str, str],
    **kwargs: Any,
) -> Iterator[dict[str, Any]]:
    """Submit ``run(cell, recipe, **kwargs)`` per cell; yield records as they finish.

    ``tasks`` maps each dataset to its task, for the record of a cell that
    ended as ``KilledWorker``.
    """
    distributed = _import_distributed()
    # Keys are fresh for each call (pure=False), so two runs sharing a
    # cluster never reuse each other's results.
    futures = client.map(run, cells, recipes, pure=False, **kwargs)
    cell_of = {future.key: cell for future, cell in zip(futures, cells, strict=True)}
    pending = distributed.as_completed(futures)
    del futures

    for future in pending:
        cell = cell_of.pop(future.key)
        try:
            record = future.result()
        except distributed.KilledWorker as error:
            record = _killed_record(cell, tasks[cell.dataset], error)
        # Released, a finished cell is forgotten by the scheduler and is not
        # recomputed if the worker holding its result dies later.
        future.release()
        yield record
