import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from sktricks.torch import DAEFeatures  # noqa: E402
from sktricks.torch._dae import corrupt  # noqa: E402


def test_corrupt_swaps_values_from_same_column():
    pool = torch.arange(4000, dtype=torch.float32).reshape(1000, 4) * 10
    pool = pool + torch.arange(4)
    batch = pool[:500]
    noisy = corrupt(batch, pool, 0.3, 0.0, torch.Generator().manual_seed(0))
    changed = noisy != batch
    # 2000 cells: the share's standard error is about 0.01.
    assert 0.26 < float(changed.float().mean()) < 0.34
    # Every value, swapped or not, belongs to its own column of the pool:
    # pool values in column j end in j (mod 10).
    assert bool(((noisy % 10) == torch.arange(4)).all())


def test_corrupt_masks_requested_share():
    batch = torch.ones(200, 10)
    noisy = corrupt(batch, batch, 0.0, 0.25, torch.Generator().manual_seed(0))
    share = float((noisy == 0).float().mean())
    assert share == pytest.approx(0.25, abs=0.03)


def test_dae_features_shape_names_and_pandas_output():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.normal(size=(60, 3)), columns=list("abc"), index=range(5, 65)
    )
    dae = DAEFeatures(hidden_sizes=(6, 2), max_epochs=3, random_state=0)
    out = dae.set_output(transform="pandas").fit_transform(frame)
    assert out.shape == (60, 8)
    assert list(out.columns) == [f"daefeatures{i}" for i in range(8)]
    assert out.index.equals(frame.index)
    assert (out.to_numpy() >= 0).all()  # ReLU activations


def test_dae_learns_to_denoise():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(400, 2))
    X = latent @ rng.normal(size=(2, 6))
    short = DAEFeatures(hidden_sizes=(16,), max_epochs=1, random_state=0).fit(X)
    long = DAEFeatures(hidden_sizes=(16,), max_epochs=40, random_state=0).fit(X)
    assert long.reconstruction_loss_ < 0.7 * short.reconstruction_loss_


def test_dae_same_seed_same_features():
    X = np.random.default_rng(1).normal(size=(50, 4))
    first = DAEFeatures(hidden_sizes=(4,), max_epochs=2, mask_ratio=0.2, random_state=3)
    second = DAEFeatures(
        hidden_sizes=(4,), max_epochs=2, mask_ratio=0.2, random_state=3
    )
    np.testing.assert_array_equal(first.fit_transform(X), second.fit_transform(X))


def test_dae_features_match_float64_forward_and_any_subset():
    X = np.random.default_rng(2).normal(size=(120, 5))
    dae = DAEFeatures(hidden_sizes=(8, 3), max_epochs=2, random_state=0).fit(X)

    # Each encoder layer written out in numpy on the float32-standardised
    # inputs the network was trained on.
    h = ((X - dae.mean_) / dae.scale_).astype(np.float32).astype(np.float64)
    expected = []
    for layer in dae.autoencoder_.encoder:
        linear = layer[0]
        weight = linear.weight.detach().double().numpy()
        bias = linear.bias.detach().double().numpy()
        h = np.maximum(h @ weight.T + bias, 0)
        expected.append(h)
    full = dae.transform(X)
    np.testing.assert_allclose(full, np.hstack(expected), rtol=1e-12, atol=1e-12)
    for rows in (slice(0, 1), slice(10, 30), slice(0, 119)):
        np.testing.assert_allclose(dae.transform(X[rows]), full[rows], rtol=1e-12)


def test_dae_rejects_empty_hidden_sizes():
    with pytest.raises(ValueError, match=r"hidden_sizes=\(\) is invalid"):
        DAEFeatures(hidden_sizes=()).fit(np.zeros((5, 2)))
