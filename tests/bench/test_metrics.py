import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from sktricks.bench._metrics import classification_metrics, regression_metrics


def test_multiclass_auc_equals_sklearn_ovr():
    rng = np.random.default_rng(0)
    y = np.tile(np.arange(3), 20)
    proba = rng.dirichlet(np.ones(3), size=len(y))

    metrics = classification_metrics(y, proba)

    expected = roc_auc_score(y, proba, multi_class="ovr", average="macro")
    assert metrics["roc_auc"] == pytest.approx(expected, abs=1e-12)


def test_log_loss_and_balanced_accuracy_by_hand():
    y = np.array([0, 0, 1, 2])
    proba = np.array(
        [[0.7, 0.2, 0.1], [0.4, 0.5, 0.1], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]]
    )

    metrics = classification_metrics(y, proba)

    expected_log_loss = -np.mean(np.log([0.7, 0.4, 0.6, 0.8]))
    assert metrics["log_loss"] == pytest.approx(expected_log_loss)
    # Class 0 has one of two rows right, classes 1 and 2 all of theirs.
    assert metrics["balanced_accuracy"] == pytest.approx((0.5 + 1 + 1) / 3)


def test_multiclass_auc_skips_absent_class():
    y = np.array([0, 0, 1, 1])
    proba = np.array(
        [[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.3, 0.6, 0.1], [0.1, 0.8, 0.1]]
    )
    # Class 2 is absent from the fold: its one-vs-rest AUC is undefined.
    assert classification_metrics(y, proba)["roc_auc"] == pytest.approx(1.0)


def test_regression_metrics_closed_form():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    pred = np.array([1.5, 2.0, 2.0, 4.0])

    metrics = regression_metrics(y, pred)

    residual = np.sum((y - pred) ** 2)
    assert metrics["rmse"] == pytest.approx(np.sqrt(residual / 4))
    assert metrics["r2"] == pytest.approx(1 - residual / np.sum((y - y.mean()) ** 2))
