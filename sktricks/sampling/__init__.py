"""Imbalance and augmentation samplers with imbalanced-learn's ``fit_resample``.

The samplers subclass imbalanced-learn's base sampler, so they run in
:class:`imblearn.pipeline.Pipeline`; unlike imbalanced-learn's own samplers
they keep pandas dtypes (``category``, nullable integers) and also augment
regression data. :class:`PriorCorrectedClassifier` maps the probabilities of
a model trained on resampled data back to the true class prior.
"""

from sktricks.sampling._augment import (
    GaussianNoiseSampler,
    MixupSampler,
    SwapNoiseSampler,
)
from sktricks.sampling._prior import PriorCorrectedClassifier

__all__ = [
    "GaussianNoiseSampler",
    "MixupSampler",
    "PriorCorrectedClassifier",
    "SwapNoiseSampler",
]
