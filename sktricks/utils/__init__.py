"""Utilities shared by the sktricks subpackages."""

from sktricks.utils._discovery import all_estimators
from sktricks.utils._progress import progress_bar

__all__ = ["all_estimators", "progress_bar"]
