import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sktricks.torch import FocalLoss, RDropLoss  # noqa: E402


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.5])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_focal_loss_matches_numpy(gamma, smoothing):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 3))
    target = np.array([0, 1, 2, 2, 1, 0])
    p = _softmax(logits)
    q = np.eye(3)[target] * (1 - smoothing) + smoothing / 3
    expected = -(q * (1 - p) ** gamma * np.log(p)).sum(axis=1).mean()

    loss = FocalLoss(gamma, smoothing)(torch.tensor(logits), torch.tensor(target))
    assert float(loss) == pytest.approx(expected, rel=1e-10)


def test_focal_loss_gamma_zero_equals_cross_entropy():
    logits = torch.randn(10, 4, generator=torch.Generator().manual_seed(0))
    target = torch.arange(10) % 4
    expected = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(logits, target)
    assert torch.isclose(FocalLoss(0.0, 0.1)(logits, target), expected)


def test_rdrop_loss_is_task_loss_with_dropout_zero():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 8), torch.nn.Dropout(0.0), torch.nn.Linear(8, 2)
    ).train()
    x = torch.randn(5, 3)
    target = torch.tensor([0, 1, 1, 0, 1])
    loss = RDropLoss(torch.nn.CrossEntropyLoss(), alpha=4.0)
    with torch.no_grad():
        first, second = model(x), model(x)
    assert float(loss.consistency(first, second)) == 0.0
    assert float(loss(first, second, target)) == pytest.approx(
        float(torch.nn.functional.cross_entropy(first, target))
    )


def test_rdrop_consistency_matches_symmetric_kl():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    p, q = _softmax(a), _softmax(b)
    expected = ((p * np.log(p / q)).sum(1) + (q * np.log(q / p)).sum(1)).mean() / 2
    loss = RDropLoss(torch.nn.CrossEntropyLoss())
    assert float(loss.consistency(torch.tensor(a), torch.tensor(b))) == pytest.approx(
        expected
    )


def test_rdrop_regression_uses_squared_difference():
    loss = RDropLoss(torch.nn.MSELoss(), alpha=1.0, task="regression")
    a, b = torch.tensor([[1.0], [2.0]]), torch.tensor([[0.0], [4.0]])
    assert float(loss.consistency(a, b)) == pytest.approx((1 + 4) / 2)
    with pytest.raises(ValueError, match="task='ranking' is invalid"):
        RDropLoss(torch.nn.MSELoss(), task="ranking")
