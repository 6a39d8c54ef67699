"""Focal loss and the R-Drop consistency loss for torch models."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["FocalLoss", "RDropLoss"]


class FocalLoss(nn.Module):
    """Multi-class focal loss on logits, with label smoothing.

    For predicted probabilities ``p`` and a target distribution ``q`` (one-hot,
    or smoothed by ``label_smoothing`` as in
    :class:`torch.nn.CrossEntropyLoss`), each row's loss is
    ``-sum_k q_k * (1 - p_k) ** gamma * log(p_k)``, averaged over the rows.
    ``gamma=0`` gives the cross-entropy. torch ships only the binary
    ``torchvision.ops.sigmoid_focal_loss``, hence this class.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing exponent; larger values down-weight well-classified rows.
    label_smoothing : float, default=0.0
        Mass in [0, 1) spread evenly over all classes.

    Examples
    --------
    >>> import torch
    >>> from sktricks.torch import FocalLoss
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    >>> target = torch.tensor([0, 1])
    >>> ce = torch.nn.functional.cross_entropy(logits, target)
    >>> bool(torch.isclose(FocalLoss(gamma=0.0)(logits, target), ce))
    True
    """

    def __init__(self, gamma: float = 2.0, label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.gamma = gamma
        self.label_smoothing = label_smoothing

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Return the mean focal loss of ``logits`` against class indices."""
        n_classes = logits.shape[-1]
        log_p = F.log_softmax(logits, dim=-1)
        q = F.one_hot(target.long(), n_classes).to(log_p.dtype)
        q = q * (1 - self.label_smoothing) + self.label_smoothing / n_classes
        weight = (1 - log_p.exp()).pow(self.gamma)
        return -(q * weight * log_p).sum(dim=-1).mean()


class RDropLoss(nn.Module):
    """R-Drop: task loss on two dropout passes plus their disagreement.

    Given the outputs of two forward passes of the same batch (with
    different dropout masks), returns the mean of the task loss on both plus
    ``alpha`` times a consistency term: the symmetric KL divergence between
    the two softmax distributions for classification (``task="classification"``,
    summed over classes and averaged over rows, halved), or the mean squared
    difference of the two outputs for regression. With dropout 0 the two
    passes agree and the consistency term is exactly 0. No maintained
    package provides R-Drop as a loss module.

    Parameters
    ----------
    base_loss : torch.nn.Module
        Task loss called as ``base_loss(output, target)``.
    alpha : float, default=1.0
        Weight of the consistency term.
    task : {"classification", "regression"}, default="classification"
        Whether the outputs are logits or regression values.

    Examples
    --------
    >>> import torch
    >>> from sktricks.torch import RDropLoss
    >>> loss = RDropLoss(torch.nn.CrossEntropyLoss(), alpha=1.0)
    >>> logits = torch.tensor([[1.0, -1.0], [0.5, 0.2]])
    >>> target = torch.tensor([0, 1])
    >>> float(loss.consistency(logits, logits))
    0.0
    """

    def __init__(
        self,
        base_loss: nn.Module,
        alpha: float = 1.0,
        task: str = "classification",
    ) -> None:
        super().__init__()
        if task not in ("classification", "regression"):
            raise ValueError(
                f"task={task!r} is invalid; use 'classification' or 'regression'."
            )
        self.base_loss = base_loss
        self.alpha = alpha
        self.task = task

    def consistency(self, output1: torch.Tensor, output2: torch.Tensor) -> torch.Tensor:
        """Return the disagreement between the two passes (0 when equal)."""
        if self.task == "regression":
            return (output1 - output2).pow(2).mean()
        log_p1 = F.log_softmax(output1, dim=-1)
        log_p2 = F.log_softmax(output2, dim=-1)
        kl_12 = (log_p1.exp() * (log_p1 - log_p2)).sum(dim=-1)
        kl_21 = (log_p2.exp() * (log_p2 - log_p1)).sum(dim=-1)
        return ((kl_12 + kl_21) / 2).mean()

    def forward(
        self, output1: torch.Tensor, output2: torch.Tensor, target: torch.Tensor
    ) -> torch.Tensor:
        """Return the mean task loss of both passes plus ``alpha`` times their gap."""
        task_loss = (
            self.base_loss(output1, target) + self.base_loss(output2, target)
        ) / 2
        return task_loss + self.alpha * self.consistency(output1, output2)
