import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sktricks.torch import EMA  # noqa: E402


def _model(dtype=torch.float32):
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 1)
    ).to(dtype)


def _train(model, ema, n_steps, dtype=torch.float32):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    hand = None
    decay = ema.decay
    generator = torch.Generator().manual_seed(1)
    for _ in range(n_steps):
        x = torch.randn(8, 3, generator=generator).to(dtype)
        loss = model(x).float().pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ema.update_parameters(model)
        current = {
            name: value.detach().double().numpy().copy()
            for name, value in model.state_dict().items()
        }
        if hand is None:
            hand = current
        else:
            hand = {
                name: value
                if "num_batches_tracked" in name
                else decay * hand[name] + (1 - decay) * value
                for name, value in current.items()
            }
    return hand


def test_ema_matches_hand_loop_with_batchnorm_buffers():
    model = _model()
    ema = EMA(model, decay=0.8)
    hand = _train(model, ema, n_steps=7)

    averaged = ema.module.state_dict()
    for name, expected in hand.items():
        np.testing.assert_allclose(
            averaged[name].double().numpy(),
            expected,
            rtol=1e-5,
            atol=1e-6,
            err_msg=name,
        )
    # The running statistics are averaged, not copied from the model.
    assert not torch.allclose(averaged["1.running_mean"], model[1].running_mean)


def test_ema_copies_num_batches_tracked():
    model = _model()
    ema = EMA(model, decay=0.99)
    _train(model, ema, n_steps=5)
    counter = ema.module.state_dict()["1.num_batches_tracked"]
    assert counter.dtype == torch.int64
    assert int(counter) == 5


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_ema_runs_in_half_precision(dtype):
    model = _model(dtype)
    ema = EMA(model, decay=0.8)
    hand = _train(model, ema, n_steps=4, dtype=dtype)
    averaged = ema.module.state_dict()
    assert averaged["0.weight"].dtype == dtype
    # Half precision rounds every update, hence the loose tolerance.
    np.testing.assert_allclose(
        averaged["0.weight"].double().numpy(), hand["0.weight"], atol=2e-2
    )
    assert int(averaged["1.num_batches_tracked"]) == 4


def test_ema_rejects_bad_decay():
    with pytest.raises(
        ValueError, match=r"decay=1.5 is invalid; use a value in \[0, 1\]"
    ):
        EMA(torch.nn.Linear(1, 1), decay=1.5)
