"""Label tricks: label smoothing, classification with alternating
normalization (CAN) and distillation of a model into a faster one."""

from sktricks.label._can import (
    CANClassifier,
    alternating_normalization,
    top_k_entropy,
)
from sktricks.label._distill import DistilledClassifier, DistilledRegressor
from sktricks.label._smoothing import (
    LabelSmoothingClassifier,
    soft_target_softmax_grad_hess,
)

__all__ = [
    "CANClassifier",
    "DistilledClassifier",
    "DistilledRegressor",
    "LabelSmoothingClassifier",
    "alternating_normalization",
    "soft_target_softmax_grad_hess",
    "top_k_entropy",
]
