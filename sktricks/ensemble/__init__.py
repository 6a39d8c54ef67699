"""Model fusion: out-of-fold stacking, ensemble selection and averaging."""

from sktricks.ensemble._averaging import AveragingClassifier, AveragingRegressor
from sktricks.ensemble._selection import (
    EnsembleSelectionClassifier,
    EnsembleSelectionRegressor,
)
from sktricks.ensemble._stacking import StackingClassifier, StackingRegressor

__all__ = [
    "AveragingClassifier",
    "AveragingRegressor",
    "EnsembleSelectionClassifier",
    "EnsembleSelectionRegressor",
    "StackingClassifier",
    "StackingRegressor",
]
