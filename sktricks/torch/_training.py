"""The torch module, skorch net and callbacks behind the tabular estimators."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pytorch_optimizer
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.dataset import unpack_data
from skorch.utils import to_tensor
from torch import nn

from sktricks.torch._ema import EMA
from sktricks.torch._losses import RDropLoss
from sktricks.torch._schedule import linear_warmup

# Optimizer names taken from torch itself; any other name is looked up in
# pytorch-optimizer (for example "adan", "lamb", "ranger").
_TORCH_OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

# Guards the division by a gradient norm that may be zero.
_TINY = 1e-12


def optimizer_class(name: str) -> type[torch.optim.Optimizer]:
    """Return the optimizer class for a torch or pytorch-optimizer name."""
    key = name.lower()
    if key in _TORCH_OPTIMIZERS:
        return _TORCH_OPTIMIZERS[key]
    try:
        return pytorch_optimizer.load_optimizer(key)
    except (NotImplementedError, KeyError, ValueError):
        raise ValueError(
            f"optimizer={name!r} is not a known optimizer; use a torch name "
            f"({', '.join(_TORCH_OPTIMIZERS)}) or a pytorch-optimizer name "
            "such as 'adan' (see pytorch_optimizer.get_supported_optimizers())."
        ) from None


def build_optimizer(
    params,
    lr: float,
    name: str = "adamw",
    weight_decay: float = 0.0,
    lookahead: bool = False,
) -> torch.optim.Optimizer:
    """Build the named optimizer, wrapped in pytorch-optimizer's Lookahead if asked."""
    factory: Callable[..., torch.optim.Optimizer] = optimizer_class(name)
    optimizer = factory(params, lr=lr, weight_decay=weight_decay)
    if lookahead:
        return pytorch_optimizer.Lookahead(optimizer, k=5, alpha=0.5)
    return optimizer


def row_normalized(grad: torch.Tensor) -> torch.Tensor:
    """Divide each row of ``grad`` by its L2 norm."""
    norm = torch.linalg.vector_norm(grad, dim=1, keepdim=True)
    return grad / (norm + _TINY)


def row_projected(delta: torch.Tensor, epsilon: float) -> torch.Tensor:
    """Scale the rows of ``delta`` whose L2 norm exceeds ``epsilon`` down to it."""
    norm = torch.linalg.vector_norm(delta, dim=1, keepdim=True)
    return delta * torch.clamp(epsilon / (norm + _TINY), max=1.0)


@contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Set torch's intra-op thread count inside the block (``None`` keeps it)."""
    # torch's thread count is process-wide, so it is put back afterwards.
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class TabularModule(nn.Module):
    """MLP over standardised numeric columns and one embedding per category column.

    Index 0 of each embedding table stands for a missing or unseen category.
    """

    def __init__(
        self,
        n_numeric: int,
        cardinalities: Sequence[int],
        embedding_dims: Sequence[int],
        hidden_sizes: Sequence[int],
        dropout: float,
        n_outputs: int,
    ) -> None:
        super().__init__()
        self.embeddings = nn.ModuleList(
            nn.Embedding(cardinality + 1, dim)
            for cardinality, dim in zip(cardinalities, embedding_dims, strict=True)
        )
        self.input_size = n_numeric + sum(embedding_dims)

        layers: list[nn.Module] = []
        width = self.input_size
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, n_outputs))
        self.mlp = nn.Sequential(*layers)

    def embed(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        """Return the input layer: numeric columns then the category embeddings."""
        parts = [x_num] + [
            embedding(x_cat[:, j]) for j, embedding in enumerate(self.embeddings)
        ]
        return torch.cat(parts, dim=1)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        """Return the network output for an input layer ``h``."""
        return self.mlp(h)

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x_num, x_cat))


@dataclass
class TrainingTricks:
    """The per-batch tricks that :class:`TrickNet` applies."""

    task: str = "classification"
    adversarial: str | None = None
    adv_epsilon: float = 0.1
    adv_steps: int = 3
    adv_alpha: float = 0.03
    rdrop_alpha: float = 0.0
    mixup_alpha: float = 0.0


class TrickNet(NeuralNet):
    """skorch net whose training step applies :class:`TrainingTricks`.

    Mixup, R-Drop and the adversarial perturbations act on the input layer
    (numeric columns and category embeddings, see
    :meth:`TabularModule.embed`). The perturbations are per row:
    ``epsilon * g / ||g||`` with ``g`` the row's gradient, which covers the
    embedding lookup and the numeric input together. skorch's own step only
    runs ``criterion(module(X), y)``, hence this override.
    """

    def __init__(self, *args, tricks: TrainingTricks | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tricks = tricks

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        x_num = to_tensor(Xi["x_num"], device=self.device)
        x_cat = to_tensor(Xi["x_cat"], device=self.device)
        y = to_tensor(yi, device=self.device)
        tricks = self.tricks or TrainingTricks()
        loss_at = self._loss_function(x_num, x_cat, y, tricks)

        if tricks.adversarial == "freelb":
            return self._freelb_step(loss_at, x_num.shape[0], tricks)

        delta = None
        if tricks.adversarial is not None:
            delta = torch.zeros(
                x_num.shape[0], self.module_.input_size, device=x_num.device
            ).requires_grad_(True)
        loss, output = loss_at(delta)
        loss.backward()
        if tricks.adversarial == "fgm":
            assert delta is not None and delta.grad is not None  # set just above
            adversarial = tricks.adv_epsilon * row_normalized(delta.grad)
            loss_at(adversarial)[0].backward()
        elif tricks.adversarial == "pgd":
            self._pgd_backward(loss_at, x_num.shape[0], tricks)
        return {"loss": loss, "y_pred": output}

    def _loss_function(self, x_num, x_cat, y, tricks: TrainingTricks) -> Callable:
        # Returns loss_at(delta) -> (loss, output) for this batch, with one
        # mixup draw shared by every forward pass of the batch.
        mix = None
        if tricks.mixup_alpha > 0 and len(y) > 1:
            beta = torch.distributions.Beta(tricks.mixup_alpha, tricks.mixup_alpha)
            mix = (float(beta.sample()), torch.randperm(len(y), device=y.device))
        rdrop = RDropLoss(self.criterion_, tricks.rdrop_alpha, tricks.task)

        def task_loss(output):
            if mix is None:
                return self.criterion_(output, y)
            lam, perm = mix
            return lam * self.criterion_(output, y) + (1 - lam) * self.criterion_(
                output, y[perm]
            )

        def loss_at(delta):
            h = self.module_.embed(x_num, x_cat)
            if mix is not None:
                lam, perm = mix
                h = lam * h + (1 - lam) * h[perm]
            if delta is not None:
                h = h + delta
            output = self.module_.head(h)
            if tricks.rdrop_alpha <= 0:
                return task_loss(output), output
            second = self.module_.head(h)
            loss = (task_loss(output) + task_loss(second)) / 2
            return loss + tricks.rdrop_alpha * rdrop.consistency(output, second), output

        return loss_at

    def _pgd_backward(self, loss_at, n_rows: int, tricks: TrainingTricks) -> None:
        # Ascent steps move only the perturbation; the parameters receive
        # the gradient of the final adversarial loss on top of the clean one.
        delta = torch.zeros(n_rows, self.module_.input_size, device=self.device)
        for _ in range(tricks.adv_steps):
            delta.requires_grad_(True)
            loss = loss_at(delta)[0]
            (grad,) = torch.autograd.grad(loss, delta)
            step = delta.detach() + tricks.adv_alpha * row_normalized(grad)
            delta = row_projected(step, tricks.adv_epsilon)
        loss_at(delta)[0].backward()

    def _freelb_step(self, loss_at, n_rows: int, tricks: TrainingTricks) -> dict:
        # The parameter gradients of all steps accumulate, each loss divided
        # by the number of steps, so the update follows their average.
        start = torch.rand(n_rows, self.module_.input_size, device=self.device)
        delta = row_projected((2 * start - 1) * tricks.adv_epsilon, tricks.adv_epsilon)
        total = torch.zeros((), device=self.device)
        output = None
        for _ in range(tricks.adv_steps):
            delta.requires_grad_(True)
            loss, step_output = loss_at(delta)
            (loss / tricks.adv_steps).backward()
            total = total + loss.detach() / tricks.adv_steps
            output = step_output if output is None else output
            assert delta.grad is not None  # delta requires grad
            step = delta.detach() + tricks.adv_alpha * row_normalized(delta.grad)
            delta = row_projected(step, tricks.adv_epsilon)
        return {"loss": total, "y_pred": output}


class EMACallback(Callback):
    """Keep an :class:`~sktricks.torch.EMA` of the module; load it at the end."""

    def __init__(self, decay: float) -> None:
        self.decay = decay

    def on_train_begin(self, net, **kwargs) -> None:
        self.ema_ = EMA(net.module_, decay=self.decay)

    def on_batch_end(self, net, training=False, **kwargs) -> None:
        if training:
            self.ema_.update_parameters(net.module_)

    def on_train_end(self, net, **kwargs) -> None:
        net.module_.load_state_dict(self.ema_.module.state_dict())


class WarmupCallback(Callback):
    """Step a :func:`~sktricks.torch.linear_warmup` schedule after every batch."""

    def __init__(self, warmup_steps: int, total_steps: int, decay: str) -> None:
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.decay = decay

    def on_train_begin(self, net, **kwargs) -> None:
        self.scheduler_ = linear_warmup(
            net.optimizer_, self.warmup_steps, self.total_steps, self.decay
        )

    def on_batch_end(self, net, training=False, **kwargs) -> None:
        if training:
            self.scheduler_.step()
