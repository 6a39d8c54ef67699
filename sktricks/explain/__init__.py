"""SHAP and LIME explainers that understand scikit-learn pipelines."""

from sktricks.explain._explanation import Explanation
from sktricks.explain._lime import LimeExplainer, LimeExplanation
from sktricks.explain._shap import ShapExplainer

__all__ = ["Explanation", "LimeExplainer", "LimeExplanation", "ShapExplainer"]
