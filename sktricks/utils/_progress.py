"""The one place where sktricks draws progress bars."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress_bar(
    iterable: Iterable[T],
    *,
    verbose: int = 0,
    total: int | None = None,
    desc: str | None = None,
    unit: str = "it",
) -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm bar when ``verbose`` is positive.

    With ``verbose=0`` the iterable is returned as it is, so library code can
    wrap every long loop without paying for a bar nobody asked for.

    Examples
    --------
    >>> from sktricks.utils import progress_bar
    >>> list(progress_bar(range(3), verbose=0))
    [0, 1, 2]
    """
    if verbose <= 0:
        return iter(iterable)
    return iter(tqdm(iterable, total=total, desc=desc, unit=unit, leave=True))
