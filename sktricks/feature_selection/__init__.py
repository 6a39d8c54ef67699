"""Feature selectors: correlation groups, adversarial drift and column filters."""

from sktricks.feature_selection._adversarial import AdversarialSelector
from sktricks.feature_selection._correlation import CorrelationSelector
from sktricks.feature_selection._filters import (
    MissingRateSelector,
    QuasiConstantSelector,
)

__all__ = [
    "AdversarialSelector",
    "CorrelationSelector",
    "MissingRateSelector",
    "QuasiConstantSelector",
]
