"""Errors of the base and final estimators, re-raised with the model's name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from sktricks.utils._validation import describe_columns, non_numeric_columns

FINAL_ESTIMATOR = "final_estimator"


@contextmanager
def naming_errors(name: str, estimator: Any, X: Any) -> Iterator[None]:
    """Re-raise an error of ``estimator`` with its ``name`` and a hint.

    Errors from inside a model, such as "could not convert string to float:
    'red'", do not say which model of the ensemble failed. The new error
    has the type of the original where that type takes a single message, so
    ``except ValueError`` still catches it, and the original error is its
    ``__cause__``. In a joblib worker process that cause becomes joblib's
    text copy of the original traceback.
    """
    try:
        yield
    except Exception as error:
        label = name if name == FINAL_ESTIMATOR else f"Base model {name!r}"
        reason = str(error).rstrip()
        if not reason.endswith((".", "!", "?")):
            reason += "."
        message = f"{label} ({type(estimator).__name__}) failed: {reason}"
        raise _same_kind(error, message + _hint(name, X)) from error


def _hint(name: str, X: Any) -> str:
    """Suggest encoding when ``X`` has columns that many models cannot take."""
    if isinstance(X, np.ndarray) and X.dtype.kind in "OSU":
        found = f"X has dtype {X.dtype}"
    else:
        columns = non_numeric_columns(X)
        if not columns:
            return ""
        found = f"X has the non-numeric columns {describe_columns(X, columns)}"
    return (
        f" {found}. If {name!r} needs numbers, put it in a Pipeline after a "
        "ColumnTransformer that encodes them, for example with OneHotEncoder."
    )


def _same_kind(error: Exception, message: str) -> Exception:
    """Build an exception of ``error``'s type, or of its nearest base class,
    whose constructor takes ``message`` alone."""
    for kind in type(error).__mro__:
        if not issubclass(kind, Exception):
            continue
        try:
            return kind(message)
        except Exception:
            # Some constructors need more than a message, such as
            # UnicodeDecodeError's five arguments; try the parent class.
            continue
    return RuntimeError(message)
