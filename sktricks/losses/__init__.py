"""Focal loss for LightGBM and XGBoost: a classifier wrapper and native objectives.

:class:`FocalLossClassifier` trains a LightGBM or XGBoost classifier on the
focal loss and returns proper probabilities. The ``make_*`` functions build
objectives and evaluation metrics for ``lightgbm.train`` and
``xgboost.train``; :func:`focal_loss` and :func:`focal_loss_grad_hess` are the
plain loss and its derivatives.
"""

from sktricks.losses._focal import (
    FocalLossClassifier,
    make_lightgbm_focal_metric,
    make_lightgbm_focal_objective,
    make_xgboost_focal_metric,
    make_xgboost_focal_objective,
)
from sktricks.losses._focal_math import focal_loss, focal_loss_grad_hess

__all__ = [
    "FocalLossClassifier",
    "focal_loss",
    "focal_loss_grad_hess",
    "make_lightgbm_focal_metric",
    "make_lightgbm_focal_objective",
    "make_xgboost_focal_metric",
    "make_xgboost_focal_objective",
]
