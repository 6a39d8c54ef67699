"""OpenML datasets: copies bundled with sktricks first, then OpenML itself."""

from sktricks.datasets._openml import (
    DatasetNotFoundError,
    list_datasets,
    load_openml,
)

__all__ = ["DatasetNotFoundError", "list_datasets", "load_openml"]
