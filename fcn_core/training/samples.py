"""What each training iteration sees, as a pure function of (seed, iteration, rank).

The stream of training samples is numbered by *position* ``p = 0, 1, 2, …``. Position ``p``
falls in epoch ``p // N`` (N = dataset size), and each epoch is its own seeded permutation of the
dataset, so position ``p`` always names the same image. Iteration ``t`` of rank ``r`` (of W ranks,
batch B each) takes positions ``t·B·W + r·B … + B - 1``: the ranks share one shuffled stream
without overlap, like ``DistributedSampler`` but with no padding and no state besides ``t``.
Each sample's augmentation generator is seeded from (seed, position) as well.

So resuming at iteration ``t`` needs nothing but ``t``: the data order and every random crop are
the ones an uninterrupted run would have used, whatever the number of loader workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.utils.data

from fcn_core.training.data import SegmentationDataset
from fcn_core.training.transforms import JointTransform, pair_to_tensors

SampleKey = tuple[int, int]
"""(dataset index, stream position) — what the batch sampler hands to ``AugmentedSamples``."""


@dataclass(frozen=True)
class TrainOrder:
    """Batch sampler over iterations ``start … stop - 1`` for one rank."""

    dataset_size: int
    batch_size: int
    seed: int
    start: int
    stop: int
    rank: int = 0
    world_size: int = 1

    def __post_init__(self) -> None:
        if self.dataset_size < 1:
            raise ValueError("the training set is empty")
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f"rank {self.rank} outside world size {self.world_size}")

    def epoch_of(self, iteration: int) -> int:
        """The epoch the first sample of ``iteration`` belongs to (for logs)."""
        return (iteration * self.batch_size * self.world_size) // self.dataset_size

    def _permutation(self, epoch: int) -> np.ndarray:
        return np.random.default_rng([self.seed, epoch]).permutation(self.dataset_size)

    def batch_at(self, iteration: int) -> list[SampleKey]:
        first = (iteration * self.world_size + self.rank) * self.batch_size
        keys = []
        for position in range(first, first + self.batch_size):
            epoch, offset = divmod(position, self.dataset_size)
            keys.append((int(self._permutation(epoch)[offset]), position))
        return keys

    def __iter__(self) -> Iterator[list[SampleKey]]:
        for iteration in range(self.start, self.stop):
            yield self.batch_at(iteration)

    def __len__(self) -> int:
        return max(0, self.stop - self.start)


@dataclass(frozen=True)
class AugmentedSamples(torch.utils.data.Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Dataset view for the loader: key (index, position) → augmented ``(uint8 image, int64 mask)`` tensors."""

    dataset: SegmentationDataset
    transform: JointTransform
    seed: int

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: SampleKey) -> tuple[torch.Tensor, torch.Tensor]:
        index, position = key
        image, mask = self.dataset[index]
        image, mask = self.transform(image, mask, np.random.default_rng([self.seed, position, 1]))
        return pair_to_tensors(image, mask)
