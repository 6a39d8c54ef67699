"""Model fusion: out-of-fold stacking, blending, ensemble selection and averaging."""

from sktricks.ensemble._averaging import AveragingClassifier, AveragingRegressor
from sktricks.ensemble._blending import BlendingClassifier, BlendingRegressor
from sktricks.ensemble._selection import (
    EnsembleSelectionClassifier,
    EnsembleSelectionRegressor,
)
from sktricks.ensemble._stacking import StackingClassifier, StackingRegressor

__all__ = [
    "AveragingClassifier",
    "AveragingRegressor",
    "BlendingClassifier",
    "BlendingRegressor",
    "EnsembleSelectionClassifier",
    "EnsembleSelectionRegressor",
    "StackingClassifier",
    "StackingRegressor",
]
