"""Warnings and errors raised by sktricks."""

__all__ = ["SktricksWarning"]


class SktricksWarning(UserWarning):
    """Warning about a result that may not be what the caller expects.

    Filter it with ``warnings.filterwarnings("ignore", category=SktricksWarning)``.
    """
