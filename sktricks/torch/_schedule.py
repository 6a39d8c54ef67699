"""Linear warm-up followed by a decay, as a torch LambdaLR scheduler."""

from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LambdaLR

__all__ = ["linear_warmup"]

_DECAYS = ("linear", "cosine", "constant")


class _WarmupFactor:
    # A class rather than a closure so that the scheduler, and any skorch
    # net holding it, can be pickled.
    def __init__(self, warmup_steps: int, total_steps: int, decay: str) -> None:
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.decay = decay

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        if self.decay == "constant":
            return 1.0
        decay_steps = max(self.total_steps - self.warmup_steps, 1)
        progress = min((step - self.warmup_steps) / decay_steps, 1.0)
        if self.decay == "linear":
            return 1.0 - progress
        return 0.5 * (1.0 + math.cos(math.pi * progress))


def linear_warmup(
    optimizer: torch.optim.Optimizer,
    warmup_steps: int,
    total_steps: int,
    decay: str = "linear",
) -> LambdaLR:
    """Build a scheduler with linear warm-up, then linear or cosine decay.

    At step ``t`` (counted from 0, one :meth:`step` call per batch) the
    learning rate is the optimizer's base rate times

    - ``(t + 1) / warmup_steps`` while ``t < warmup_steps``;
    - then ``1 - p`` (``decay="linear"``), ``(1 + cos(pi * p)) / 2``
      (``decay="cosine"``) or ``1`` (``decay="constant"``), where
      ``p = (t - warmup_steps) / (total_steps - warmup_steps)``, capped at 1.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        Optimizer whose learning rates are scheduled.
    warmup_steps : int
        Number of warm-up steps, at least 0.
    total_steps : int
        Total number of steps, larger than ``warmup_steps``.
    decay : {"linear", "cosine", "constant"}, default="linear"
        Shape of the schedule after the warm-up.

    Returns
    -------
    scheduler : torch.optim.lr_scheduler.LambdaLR
        Call ``scheduler.step()`` after each ``optimizer.step()``.

    Examples
    --------
    >>> import torch
    >>> from sktricks.torch import linear_warmup
    >>> optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> scheduler = linear_warmup(optimizer, warmup_steps=2, total_steps=4)
    >>> rates = []
    >>> for _ in range(4):
    ...     rates.append(optimizer.param_groups[0]["lr"])
    ...     optimizer.step()
    ...     scheduler.step()
    >>> rates
    [0.5, 1.0, 1.0, 0.5]
    """
    if decay not in _DECAYS:
        raise ValueError(f"decay={decay!r} is invalid; use one of {_DECAYS}.")
    if warmup_steps < 0 or total_steps <= warmup_steps:
        raise ValueError(
            f"warmup_steps={warmup_steps!r} and total_steps={total_steps!r} are "
            "invalid; use 0 <= warmup_steps < total_steps."
        )
    return LambdaLR(optimizer, _WarmupFactor(warmup_steps, total_steps, decay))
