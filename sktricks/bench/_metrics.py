"""Per-fold metrics of the benchmark runner."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    balanced_accuracy_score,
    log_loss,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

# The metric that ranks recipes on a dataset, and whether larger is better.
PRIMARY_METRIC = {"binary": "roc_auc", "multiclass": "roc_auc", "regression": "rmse"}
GREATER_IS_BETTER = {
    "roc_auc": True,
    "log_loss": False,
    "balanced_accuracy": True,
    "rmse": False,
    "r2": True,
}


def classification_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Score class probabilities against integer labels ``0 .. n_classes - 1``.

    ``proba`` has one column per class of the whole dataset, so a class that
    is absent from a test fold still has its column. ROC AUC is one-vs-rest
    and macro-averaged over the classes present in the fold; with every
    class present it equals ``roc_auc_score(..., multi_class="ovr")``.
    """
    n_classes = proba.shape[1]
    labels = np.arange(n_classes)
    if n_classes == 2:
        auc = roc_auc_score(y_true, proba[:, 1])
    else:
        present = np.unique(y_true)
        auc = float(np.mean([roc_auc_score(y_true == c, proba[:, c]) for c in present]))
    return {
        "roc_auc": float(auc),
        "log_loss": float(log_loss(y_true, proba, labels=labels)),
        "balanced_accuracy": float(
            balanced_accuracy_score(y_true, labels[np.argmax(proba, axis=1)])
        ),
    }


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Score regression predictions with RMSE and R²."""
    return {
        "rmse": float(root_mean_squared_error(y_true, y_pred)),
        "r2": float(r2_score(y_true, y_pred)),
    }
