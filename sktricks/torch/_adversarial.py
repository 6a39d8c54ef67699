"""Adversarial training by perturbing parameters along the gradient.

No maintained package offers FGM, PGD and FreeLB as building blocks for an
arbitrary torch model, so they are written here. Each perturbs the named
parameters (embedding tables by default), and :meth:`restore` puts back the
exact original values.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["FGM", "PGD", "FreeLB"]

# Guards the division by a gradient norm that may be zero.
_TINY = 1e-12


def _normalized(grad: torch.Tensor) -> torch.Tensor:
    return grad / (torch.linalg.vector_norm(grad) + _TINY)


def _project(delta: torch.Tensor, epsilon: float) -> torch.Tensor:
    # Scale ``delta`` back onto the L2 ball of radius ``epsilon`` if it left it.
    norm = torch.linalg.vector_norm(delta)
    if norm > epsilon:
        return delta * (epsilon / norm)
    return delta


class _ParameterAttack:
    def __init__(self, model: nn.Module, epsilon: float, param_name: str) -> None:
        self.model = model
        self.epsilon = epsilon
        self.param_name = param_name
        self._backup: dict[str, torch.Tensor] = {}

    def _targets(self) -> list[tuple[str, nn.Parameter]]:
        targets = [
            (name, param)
            for name, param in self.model.named_parameters()
            if param.requires_grad and self.param_name in name
        ]
        if not targets:
            raise ValueError(
                f"No trainable parameter name contains {self.param_name!r}; "
                "pass param_name= matching one of "
                f"{[name for name, _ in self.model.named_parameters()]}."
            )
        return targets

    def restore(self) -> None:
        """Put back the parameter values saved before the first attack."""
        with torch.no_grad():
            for name, param in self.model.named_parameters():
                if name in self._backup:
                    param.copy_(self._backup[name])
        self._backup = {}


class FGM(_ParameterAttack):
    """Fast gradient method (FGM) on named parameters.

    :meth:`attack` adds ``epsilon * g / ||g||`` to each matched parameter,
    where ``g`` is that parameter's current gradient and the norm is the L2
    norm of the whole tensor; :meth:`restore` puts the original values back.

    Parameters
    ----------
    model : torch.nn.Module
        Model whose parameters are perturbed.
    epsilon : float, default=1.0
        L2 norm of the perturbation of each parameter tensor.
    param_name : str, default="embedding"
        Parameters whose name contains this string are perturbed.

    Examples
    --------
    >>> import torch
    >>> from sktricks.torch import FGM
    >>> model = torch.nn.Sequential(torch.nn.Embedding(5, 2), torch.nn.Flatten())
    >>> fgm = FGM(model, epsilon=0.5, param_name="0.weight")
    >>> before = model[0].weight.detach().clone()
    >>> model(torch.tensor([[1, 2]])).sum().backward()  # clean loss
    >>> fgm.attack()
    >>> model(torch.tensor([[1, 2]])).sum().backward()  # adversarial loss
    >>> fgm.restore()
    >>> torch.equal(model[0].weight, before)
    True
    """

    def __init__(
        self, model: nn.Module, epsilon: float = 1.0, param_name: str = "embedding"
    ) -> None:
        super().__init__(model, epsilon, param_name)

    @torch.no_grad()
    def attack(self) -> None:
        """Move each matched parameter by ``epsilon`` along its gradient."""
        for name, param in self._targets():
            if param.grad is None:
                continue
            self._backup.setdefault(name, param.detach().clone())
            param.add_(self.epsilon * _normalized(param.grad))


class PGD(_ParameterAttack):
    """Projected gradient descent (PGD) on named parameters.

    Each :meth:`attack` moves the matched parameters by ``alpha * g / ||g||``
    and projects the total perturbation back onto the L2 ball of radius
    ``epsilon`` around the values saved at the first attack. Between attack
    steps the model's gradients are those of the perturbed loss, so the
    clean gradients are kept with :meth:`backup_grad` and put back with
    :meth:`restore_grad` before the last adversarial backward pass.

    Parameters
    ----------
    model : torch.nn.Module
        Model whose parameters are perturbed.
    epsilon : float, default=1.0
        Radius of the L2 ball the perturbation of each tensor stays in.
    alpha : float, default=0.3
        L2 norm of each ascent step.
    param_name : str, default="embedding"
        Parameters whose name contains this string are perturbed.

    Examples
    --------
    >>> import torch
    >>> from sktricks.torch import PGD
    >>> model = torch.nn.Sequential(torch.nn.Embedding(5, 2), torch.nn.Flatten())
    >>> pgd = PGD(model, epsilon=0.1, alpha=0.05, param_name="0.weight")
    >>> x = torch.tensor([[1, 2]])
    >>> model(x).pow(2).sum().backward()
    >>> pgd.backup_grad()
    >>> for step in range(3):
    ...     pgd.attack(first=step == 0)
    ...     if step < 2:
    ...         model.zero_grad()
    ...     else:
    ...         pgd.restore_grad()
    ...     model(x).pow(2).sum().backward()
    >>> pgd.restore()
    """

    def __init__(
        self,
        model: nn.Module,
        epsilon: float = 1.0,
        alpha: float = 0.3,
        param_name: str = "embedding",
    ) -> None:
        super().__init__(model, epsilon, param_name)
        self.alpha = alpha
        self._grad_backup: dict[str, torch.Tensor] = {}

    @torch.no_grad()
    def attack(self, first: bool = False) -> None:
        """Take one ascent step and project back into the epsilon ball.

        Parameters
        ----------
        first : bool, default=False
            Save the current values as the centre of the ball. Pass ``True``
            on the first step of each batch.
        """
        for name, param in self._targets():
            if param.grad is None:
                continue
            if first or name not in self._backup:
                self._backup[name] = param.detach().clone()
            param.add_(self.alpha * _normalized(param.grad))
            delta = _project(param - self._backup[name], self.epsilon)
            param.copy_(self._backup[name] + delta)

    def backup_grad(self) -> None:
        """Save the gradients of all parameters (the clean-loss gradients)."""
        self._grad_backup = {
            name: param.grad.detach().clone()
            for name, param in self.model.named_parameters()
            if param.grad is not None
        }

    def restore_grad(self) -> None:
        """Put back the gradients saved by :meth:`backup_grad`."""
        for name, param in self.model.named_parameters():
            if name in self._grad_backup:
                param.grad = self._grad_backup[name].clone()


class FreeLB(_ParameterAttack):
    """Free large-batch adversarial training (FreeLB) on named parameters.

    FreeLB runs ``steps`` ascent steps per batch and lets the parameter
    gradients of every step accumulate, so the update follows the average
    gradient over the path of perturbations. The perturbation starts
    uniformly inside the epsilon ball, each step moves it by
    ``alpha * g / ||g||`` (``g`` being the gradient of that step alone) and
    projects it back onto the ball. Call :meth:`attack` before each of the
    ``steps`` forward passes, divide each loss by ``steps`` before its
    backward pass, then call :meth:`restore`.

    Parameters
    ----------
    model : torch.nn.Module
        Model whose parameters are perturbed.
    epsilon : float, default=1.0
        Radius of the L2 ball the perturbation of each tensor stays in.
    alpha : float, default=0.3
        L2 norm of each ascent step.
    param_name : str, default="embedding"
        Parameters whose name contains this string are perturbed.
    generator : torch.Generator, default=None
        Source of the random start; ``None`` uses torch's global generator.

    Examples
    --------
    >>> import torch
    >>> from sktricks.torch import FreeLB
    >>> model = torch.nn.Sequential(torch.nn.Embedding(5, 2), torch.nn.Flatten())
    >>> freelb = FreeLB(model, epsilon=0.1, alpha=0.05, param_name="0.weight")
    >>> x = torch.tensor([[1, 2]])
    >>> for step in range(3):
    ...     freelb.attack()
    ...     (model(x).pow(2).sum() / 3).backward()
    >>> freelb.restore()
    """

    def __init__(
        self,
        model: nn.Module,
        epsilon: float = 1.0,
        alpha: float = 0.3,
        param_name: str = "embedding",
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(model, epsilon, param_name)
        self.alpha = alpha
        self.generator = generator
        self._grad_seen: dict[str, torch.Tensor] = {}

    @torch.no_grad()
    def attack(self) -> None:
        """Start a random perturbation, or take one ascent step from the last."""
        for name, param in self._targets():
            if name not in self._backup:
                self._backup[name] = param.detach().clone()
                start = torch.rand(
                    param.shape, generator=self.generator, dtype=param.dtype
                )
                start = (2 * start - 1) * self.epsilon / max(param.numel(), 1) ** 0.5
                param.add_(_project(start, self.epsilon))
                self._grad_seen[name] = torch.zeros_like(param)
                continue
            if param.grad is None:
                continue

            # The model's gradient has accumulated over the earlier steps;
            # only the part added since the previous attack drives this step.
            step_grad = param.grad - self._grad_seen[name]
            self._grad_seen[name] = param.grad.detach().clone()
            param.add_(self.alpha * _normalized(step_grad))
            delta = _project(param - self._backup[name], self.epsilon)
            param.copy_(self._backup[name] + delta)

    def restore(self) -> None:
        """Put back the parameter values saved before the first attack."""
        super().restore()
        self._grad_seen = {}
