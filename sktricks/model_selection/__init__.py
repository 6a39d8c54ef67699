"""Out-of-fold predictions, competition cross-validation splitters and
adversarial validation."""

from sktricks.model_selection._adversarial import AdversarialValidator
from sktricks.model_selection._oof import OOFResult, cross_val_oof
from sktricks.model_selection._split import (
    BinnedStratifiedKFold,
    MultilabelStratifiedKFold,
    PurgedGroupTimeSeriesSplit,
    RepeatedStratifiedGroupKFold,
)

__all__ = [
    "AdversarialValidator",
    "BinnedStratifiedKFold",
    "MultilabelStratifiedKFold",
    "OOFResult",
    "PurgedGroupTimeSeriesSplit",
    "RepeatedStratifiedGroupKFold",
    "cross_val_oof",
]
