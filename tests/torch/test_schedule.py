import math

import pytest

torch = pytest.importorskip("torch")

from pytorch_optimizer import Lookahead  # noqa: E402

from sktricks.torch import linear_warmup  # noqa: E402


def _expected(step, warmup, total, decay):
    if step < warmup:
        return (step + 1) / warmup
    progress = min((step - warmup) / (total - warmup), 1.0)
    return {
        "linear": 1 - progress,
        "cosine": 0.5 * (1 + math.cos(math.pi * progress)),
        "constant": 1.0,
    }[decay]


@pytest.mark.parametrize("decay", ["linear", "cosine", "constant"])
@pytest.mark.parametrize("lookahead", [False, True])
def test_linear_warmup_matches_closed_form(decay, lookahead):
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.AdamW([param], lr=0.5)
    if lookahead:
        optimizer = Lookahead(optimizer, k=5, alpha=0.5)
    scheduler = linear_warmup(optimizer, warmup_steps=4, total_steps=13, decay=decay)
    for step in range(13):
        expected = 0.5 * _expected(step, 4, 13, decay)
        assert optimizer.param_groups[0]["lr"] == pytest.approx(expected, abs=1e-12)
        param.grad = torch.ones(1)
        optimizer.step()
        scheduler.step()


def test_linear_warmup_rejects_bad_steps():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match="use 0 <= warmup_steps < total_steps"):
        linear_warmup(optimizer, warmup_steps=5, total_steps=5)
    with pytest.raises(ValueError, match="decay='step' is invalid"):
        linear_warmup(optimizer, warmup_steps=1, total_steps=5, decay="step")
