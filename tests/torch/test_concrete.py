import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from sktricks.torch import ConcreteFeatureSelector  # noqa: E402
from sktricks.torch._concrete import gumbel_softmax  # noqa: E402


def test_gumbel_softmax_rows_are_distributions():
    logits = torch.randn(5, 7, generator=torch.Generator().manual_seed(0))
    sample = gumbel_softmax(logits, 0.5, torch.Generator().manual_seed(1))
    assert bool((sample >= 0).all())
    torch.testing.assert_close(sample.sum(dim=1), torch.ones(5))


def test_gumbel_softmax_argmax_follows_softmax():
    # Gumbel-max: the argmax of logits + Gumbel noise is distributed as
    # softmax(logits), whatever the temperature.
    logits = torch.tensor([1.0, 0.0, -1.0, 0.5])
    generator = torch.Generator().manual_seed(0)
    n_draws = 20000
    draws = gumbel_softmax(logits.expand(n_draws, 4), 2.0, generator).argmax(dim=1)
    frequencies = np.bincount(draws.numpy(), minlength=4) / n_draws
    expected = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum()
    # Three standard errors of a binomial proportion.
    tolerance = 3 * np.sqrt(expected * (1 - expected) / n_draws)
    assert np.all(np.abs(frequencies - expected) < tolerance)


def test_gumbel_softmax_low_temperature_is_one_hot():
    logits = torch.randn(200, 5, generator=torch.Generator().manual_seed(2))
    sample = gumbel_softmax(logits, 0.01, torch.Generator().manual_seed(3))
    # Near-ties between two noisy logits leave a few rows split.
    assert float(sample.amax(dim=1).mean()) > 0.98
    hot = gumbel_softmax(logits, 100.0, torch.Generator().manual_seed(3))
    assert float(hot.amax(dim=1).max()) < 0.3


def _informative_data(seed, n_rows=400):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 8))
    y = X[:, 1] + X[:, 4] + X[:, 6] + 0.1 * rng.normal(size=n_rows)
    return X, y


@pytest.mark.parametrize("seed", [0, 1])
def test_concrete_selector_recovers_informative_columns(seed):
    X, y = _informative_data(seed)
    selector = ConcreteFeatureSelector(n_features=3, max_epochs=40, random_state=seed)
    selector.fit(X, y)
    assert sorted(selector.selected_features_.tolist()) == [1, 4, 6]
    assert selector.get_support().tolist() == [
        False,
        True,
        False,
        False,
        True,
        False,
        True,
        False,
    ]


def test_concrete_selector_classification_target():
    X, _ = _informative_data(0)
    labels = np.where(X[:, 2] + X[:, 5] > 0, "yes", "no")
    selector = ConcreteFeatureSelector(n_features=2, max_epochs=40, random_state=0)
    assert sorted(selector.fit(X, labels).selected_features_.tolist()) == [2, 5]


def test_concrete_selector_keeps_pandas_columns():
    X, y = _informative_data(0)
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(8)], index=range(10, 410))
    selector = ConcreteFeatureSelector(n_features=3, max_epochs=40, random_state=0)
    out = selector.set_output(transform="pandas").fit(frame, y).transform(frame)
    assert list(out.columns) == ["c1", "c4", "c6"]
    assert out.index.equals(frame.index)


def test_concrete_selector_too_many_features_raises():
    X = np.zeros((10, 3))
    with pytest.raises(ValueError, match="n_features=4 is larger than the number"):
        ConcreteFeatureSelector(n_features=4).fit(X)


def test_concrete_selector_same_seed_same_selection():
    X, _ = _informative_data(3, n_rows=100)
    first = ConcreteFeatureSelector(n_features=2, max_epochs=5, random_state=4)
    second = ConcreteFeatureSelector(n_features=2, max_epochs=5, random_state=4)
    np.testing.assert_array_equal(
        first.fit(X).selection_probabilities_, second.fit(X).selection_probabilities_
    )
