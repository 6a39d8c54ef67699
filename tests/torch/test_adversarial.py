import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sktricks.torch import FGM, PGD, FreeLB  # noqa: E402
from sktricks.torch._training import row_normalized, row_projected  # noqa: E402


class _Toy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embedding = torch.nn.Embedding(6, 3)
        self.linear = torch.nn.Linear(6, 1)

    def forward(self, x):
        return self.linear(self.embedding(x).flatten(1))


def _loss(model):
    x = torch.tensor([[0, 4], [2, 5], [1, 1]])
    return model(x).pow(2).sum()


def test_fgm_perturbation_equals_normalized_gradient():
    model = _Toy()
    before = model.embedding.weight.detach().numpy().copy()
    linear_before = model.linear.weight.detach().numpy().copy()
    _loss(model).backward()
    grad = model.embedding.weight.grad.numpy().copy()

    FGM(model, epsilon=0.7).attack()

    expected = 0.7 * grad / np.sqrt((grad.astype(np.float64) ** 2).sum())
    np.testing.assert_allclose(
        model.embedding.weight.detach().numpy() - before, expected, atol=1e-6
    )
    np.testing.assert_array_equal(model.linear.weight.detach().numpy(), linear_before)


def test_fgm_restore_is_exact():
    model = _Toy()
    before = model.embedding.weight.detach().clone()
    fgm = FGM(model, epsilon=0.3)
    _loss(model).backward()
    fgm.attack()
    _loss(model).backward()
    fgm.restore()
    assert torch.equal(model.embedding.weight, before)


def test_fgm_unknown_param_name_raises():
    with pytest.raises(ValueError, match="No trainable parameter name contains 'nope'"):
        FGM(_Toy(), param_name="nope").attack()


def test_pgd_stays_in_epsilon_ball_and_restores():
    model = _Toy()
    before = model.embedding.weight.detach().clone()
    pgd = PGD(model, epsilon=0.2, alpha=0.15)
    _loss(model).backward()
    pgd.backup_grad()
    clean_grad = model.linear.weight.grad.clone()
    for step in range(6):
        pgd.attack(first=step == 0)
        delta = model.embedding.weight.detach() - before
        assert float(torch.linalg.vector_norm(delta)) <= 0.2 + 1e-6
        model.zero_grad()
        _loss(model).backward()
    # Six steps of 0.15 along a consistent gradient reach the ball's edge.
    assert float(torch.linalg.vector_norm(delta)) == pytest.approx(0.2, rel=1e-5)
    pgd.restore_grad()
    assert torch.equal(model.linear.weight.grad, clean_grad)
    pgd.restore()
    assert torch.equal(model.embedding.weight, before)


def test_freelb_accumulates_mean_gradient_and_restores():
    model = _Toy()
    before = model.embedding.weight.detach().clone()
    freelb = FreeLB(
        model, epsilon=0.3, alpha=0.1, generator=torch.Generator().manual_seed(0)
    )
    steps = 3
    linear_grads = []
    for _ in range(steps):
        freelb.attack()
        delta = model.embedding.weight.detach() - before
        assert float(torch.linalg.vector_norm(delta)) <= 0.3 + 1e-6
        # Independent gradient at the same perturbed point, on a copy.
        copy = _Toy()
        copy.load_state_dict(model.state_dict())
        (_loss(copy) / steps).backward()
        linear_grads.append(copy.linear.weight.grad.clone())
        (_loss(model) / steps).backward()
    np.testing.assert_allclose(
        model.linear.weight.grad.numpy(),
        sum(linear_grads).numpy(),
        rtol=1e-5,
    )
    freelb.restore()
    assert torch.equal(model.embedding.weight, before)


def test_row_helpers_match_numpy():
    rng = np.random.default_rng(0)
    grad = rng.normal(size=(5, 4)).astype(np.float32)
    norms = np.linalg.norm(grad, axis=1, keepdims=True)
    np.testing.assert_allclose(
        row_normalized(torch.from_numpy(grad)).numpy(), grad / norms, rtol=1e-5
    )
    projected = row_projected(torch.from_numpy(grad), 1.0).numpy()
    expected = np.where(norms > 1.0, grad / norms, grad)
    np.testing.assert_allclose(projected, expected, rtol=1e-5)
