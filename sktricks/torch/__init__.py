"""Tabular neural nets and the neural-network training tricks (optional extra).

Requires the ``torch`` extra (torch, skorch and pytorch-optimizer)::

    pip install "sktricks[torch]"

The estimators :class:`TabularNetClassifier` and :class:`TabularNetRegressor`
expose each trick as a hyper-parameter. The building blocks (adversarial
perturbations, weight averaging, losses, schedules, samplers and the
feature transformers) also work inside a plain torch training loop.
"""

try:
    import pytorch_optimizer  # noqa: F401
    import skorch  # noqa: F401
    import torch  # noqa: F401
except ImportError as exc:
    raise ImportError(
        f"sktricks.torch needs torch, skorch and pytorch-optimizer, but "
        f"{exc.name!r} is not installed. Install them with "
        'pip install "sktricks[torch]".'
    ) from exc

from sktricks.torch._adversarial import FGM, PGD, FreeLB
from sktricks.torch._concrete import ConcreteFeatureSelector
from sktricks.torch._dae import DAEFeatures
from sktricks.torch._ema import EMA
from sktricks.torch._losses import FocalLoss, RDropLoss
from sktricks.torch._sampler import BlockShuffleSampler
from sktricks.torch._schedule import linear_warmup
from sktricks.torch._tabular import TabularNetClassifier, TabularNetRegressor

__all__ = [
    "EMA",
    "FGM",
    "PGD",
    "BlockShuffleSampler",
    "ConcreteFeatureSelector",
    "DAEFeatures",
    "FocalLoss",
    "FreeLB",
    "RDropLoss",
    "TabularNetClassifier",
    "TabularNetRegressor",
    "linear_warmup",
]
