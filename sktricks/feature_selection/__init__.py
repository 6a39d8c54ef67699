"""Feature selectors that drop into scikit-learn pipelines.

The model-based selectors (Boruta, null importance, SHAP recursive
elimination, permutation importance) score features with a fitted model;
:func:`feature_importance` lists the ``importance`` options they share, and
:func:`selection_stability` measures how much repeated selections agree.
The filters (correlation groups, adversarial drift, quasi-constant and
mostly-missing columns) need no target model of their own, or only a
train-versus-test one.
"""

from sktricks.feature_selection._adversarial import AdversarialSelector
from sktricks.feature_selection._boruta import BorutaSelector
from sktricks.feature_selection._correlation import CorrelationSelector
from sktricks.feature_selection._filters import (
    MissingRateSelector,
    QuasiConstantSelector,
)
from sktricks.feature_selection._importance import (
    feature_importance,
    selection_stability,
)
from sktricks.feature_selection._null_importance import NullImportanceSelector
from sktricks.feature_selection._permutation import PermutationSelector
from sktricks.feature_selection._shap_rfe import ShapRFECV

__all__ = [
    "AdversarialSelector",
    "BorutaSelector",
    "CorrelationSelector",
    "MissingRateSelector",
    "NullImportanceSelector",
    "PermutationSelector",
    "QuasiConstantSelector",
    "ShapRFECV",
    "feature_importance",
    "selection_stability",
]
