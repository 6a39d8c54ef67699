"""Batch sampler that groups rows of similar length."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler

__all__ = ["BlockShuffleSampler"]


class BlockShuffleSampler(Sampler[list[int]]):
    """Yield batches of similar-length rows in a shuffled order.

    Each epoch shuffles all indices, cuts them into blocks of
    ``block_size * batch_size`` rows, sorts each block by length, cuts the
    sorted blocks into batches and shuffles the batches. Every index appears
    exactly once per epoch, batches need little padding, and the order still
    changes between epochs. torch's samplers do not sort by length, hence
    this class. Pass it as ``batch_sampler=`` to a
    :class:`torch.utils.data.DataLoader`.

    Parameters
    ----------
    lengths : sequence of int
        Length of each row (for example the number of tokens or events).
    batch_size : int
        Rows per batch; the last batch of a block may be smaller.
    block_size : int, default=50
        Number of batches per sorted block. Larger blocks give more uniform
        lengths within a batch and less randomness.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the shuffling; the same seed gives the same batches epoch
        after epoch.

    Examples
    --------
    >>> from sktricks.torch import BlockShuffleSampler
    >>> sampler = BlockShuffleSampler([3, 1, 2, 5, 4, 6], batch_size=2,
    ...                               block_size=3, random_state=0)
    >>> sorted(i for batch in sampler for i in batch)
    [0, 1, 2, 3, 4, 5]
    >>> len(sampler)
    3
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        block_size: int = 50,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        if batch_size < 1 or block_size < 1:
            raise ValueError(
                f"batch_size={batch_size!r} and block_size={block_size!r} are "
                "invalid; both must be positive integers."
            )
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.block_size = block_size
        self.random_state = random_state
        self._rng = np.random.default_rng(random_state)

    def __iter__(self) -> Iterator[list[int]]:
        order = self._rng.permutation(len(self.lengths))
        rows_per_block = self.batch_size * self.block_size
        batches = []
        for start in range(0, len(order), rows_per_block):
            block = order[start : start + rows_per_block]
            block = block[np.argsort(self.lengths[block], kind="stable")]
            for batch_start in range(0, len(block), self.batch_size):
                batches.append(block[batch_start : batch_start + self.batch_size])
        for position in self._rng.permutation(len(batches)):
            yield batches[position].tolist()

    def __len__(self) -> int:
        n_rows = len(self.lengths)
        rows_per_block = self.batch_size * self.block_size
        n_full_blocks, remainder = divmod(n_rows, rows_per_block)
        return n_full_blocks * self.block_size + -(-remainder // self.batch_size)
