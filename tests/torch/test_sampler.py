import numpy as np
import pytest

pytest.importorskip("torch")

from sktricks.torch import BlockShuffleSampler


def test_block_shuffle_covers_every_index_once_per_epoch():
    lengths = np.random.default_rng(0).integers(1, 100, size=103)
    sampler = BlockShuffleSampler(lengths, batch_size=8, block_size=4, random_state=0)
    epochs = [list(sampler) for _ in range(3)]
    for batches in epochs:
        indices = [i for batch in batches for i in batch]
        assert sorted(indices) == list(range(103))
        assert len(batches) == len(sampler)
        assert max(len(batch) for batch in batches) == 8
    assert epochs[0] != epochs[1]


def test_block_shuffle_batches_hold_similar_lengths():
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 1000, size=2000)
    sampler = BlockShuffleSampler(lengths, batch_size=16, block_size=10, random_state=1)
    spread = np.mean([np.ptp(lengths[batch]) for batch in sampler])
    random_batches = rng.permutation(2000).reshape(-1, 16)
    random_spread = np.mean([np.ptp(lengths[batch]) for batch in random_batches])
    assert spread < random_spread / 5


def test_block_shuffle_same_seed_same_batches():
    lengths = list(range(50))
    first = list(BlockShuffleSampler(lengths, 4, 3, random_state=7))
    second = list(BlockShuffleSampler(lengths, 4, 3, random_state=7))
    assert first == second


def test_block_shuffle_works_in_dataloader():
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    dataset = TensorDataset(torch.arange(10))
    loader = DataLoader(
        dataset,
        batch_sampler=BlockShuffleSampler(list(range(10)), 3, 2, random_state=0),
    )
    seen = sorted(int(v) for (batch,) in loader for v in batch)
    assert seen == list(range(10))


def test_block_shuffle_rejects_bad_sizes():
    with pytest.raises(ValueError, match="both must be positive integers"):
        BlockShuffleSampler([1, 2], batch_size=0)
