"""Exponential moving average of a model's weights and buffers."""

from __future__ import annotations

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

__all__ = ["EMA"]


class _FloatEMAUpdate:
    # torch 2.13's get_ema_multi_avg_fn also averages integer buffers and
    # writes the truncated float back, so ``num_batches_tracked`` drifts away
    # from the model's count. Integer buffers are copied instead.
    def __init__(self, decay: float) -> None:
        self.decay = decay
        self._float_update = get_ema_multi_avg_fn(decay)

    @torch.no_grad()
    def __call__(
        self,
        averaged: list[torch.Tensor] | tuple[torch.Tensor, ...],
        current: list[torch.Tensor] | tuple[torch.Tensor, ...],
        n_averaged: torch.Tensor | int,
    ) -> None:
        # AveragedModel groups the tensors by device and dtype, so one call
        # contains either only floating or only integer tensors.
        if torch.is_floating_point(averaged[0]):
            self._float_update(averaged, current, n_averaged)
        else:
            torch._foreach_copy_(averaged, current)


class EMA(AveragedModel):
    """Exponential moving average of the weights, buffers included.

    A :class:`torch.optim.swa_utils.AveragedModel` with ``use_buffers=True``
    and an EMA update: after each :meth:`update_parameters` call every
    parameter and floating buffer (BatchNorm's ``running_mean`` and
    ``running_var``) becomes ``decay * average + (1 - decay) * current``;
    the first call copies the model. Integer buffers such as
    ``num_batches_tracked`` are copied, because an average of a counter
    means nothing. ema-pytorch leaves BatchNorm statistics out of the
    average, and torch 2.13's own EMA function truncates an averaged
    counter; this class avoids both. Works for float32, float16 and
    bfloat16 models.

    Parameters
    ----------
    model : torch.nn.Module
        The model being trained; it is deep-copied.
    decay : float, default=0.999
        Weight of the running average at each update, in [0, 1].

    Examples
    --------
    >>> import torch
    >>> from sktricks.torch import EMA
    >>> model = torch.nn.Linear(2, 1)
    >>> ema = EMA(model, decay=0.9)
    >>> ema.update_parameters(model)  # first call copies the weights
    >>> with torch.no_grad():
    ...     _ = model.bias.add_(1.0)
    >>> ema.update_parameters(model)
    >>> bool(torch.allclose(ema.module.bias, model.bias - 0.9))
    True
    """

    def __init__(self, model: nn.Module, decay: float = 0.999) -> None:
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"decay={decay!r} is invalid; use a value in [0, 1].")
        super().__init__(model, multi_avg_fn=_FloatEMAUpdate(decay), use_buffers=True)
        self.decay = decay
