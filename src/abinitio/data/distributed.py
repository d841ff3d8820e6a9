"""``DistributedSampler``: each rank its own share of a data set, all shares the same size.

With ``N`` ranks, every epoch draws one order of the data set (the same on every rank:
the generator is seeded with ``seed + epoch``), pads it by repeating its start until its
length is a multiple of ``N`` (or cuts the tail, with ``drop_last``), and gives rank
``r`` the positions ``r, r + N, r + 2N, ...``. The ranks' shares are disjoint, cover the
data set, and have equal lengths, so every rank runs the same number of steps (a rank
with one step more would wait for ever in its extra all-reduce).

Interleaving keeps the global batches of a single process: with a per-rank batch of
``B/N``, batch ``k`` of all ranks together is positions ``kB .. (k+1)B - 1`` of the order.
"""

from __future__ import annotations

import math

import numpy as np


class DistributedSampler:
    """Indices of rank ``rank``'s share of ``dataset`` (``torch.utils.data.DistributedSampler``).

    Args:
        dataset: any object with ``__len__``.
        num_replicas: the number of ranks (default: the process group's world size).
        rank: this rank (default: the process group's rank).
        shuffle: a new order every epoch (call :meth:`set_epoch` before each one).
        seed: the order of epoch ``e`` comes from a generator seeded with ``seed + e``;
            it must be the same on every rank.
        drop_last: cut the tail so that the shares divide evenly, instead of padding with
            repeated samples.

    Shape:
        ``len(sampler)`` is :math:`\\lceil n/N \\rceil`, or with ``drop_last``
        :math:`\\lfloor n/N \\rfloor`.

    Example:
        >>> sampler = DistributedSampler(range(10), num_replicas=4, rank=1, shuffle=False)
        >>> list(sampler), len(sampler)
        ([1, 5, 9], 3)

    See the article docs/articles/learning/many_processes.py.
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:  # fmt: skip
        if num_replicas is None or rank is None:
            from abinitio import distributed as dist

            if not dist.is_initialized():
                raise RuntimeError(
                    "DistributedSampler: give num_replicas and rank, or call "
                    "abinitio.distributed.init_process_group('mpi') first"
                )
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, (int, np.integer)) \
                or num_replicas < 1:  # fmt: skip
            raise ValueError(f"DistributedSampler: num_replicas must be an int >= 1, got "
                             f"{num_replicas!r}")  # fmt: skip
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) \
                or not 0 <= rank < num_replicas:  # fmt: skip
            raise ValueError(
                f"Invalid rank {rank!r}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last = bool(shuffle), int(seed), bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.drop_last:
            order = order[: self.total_size]
        elif self.total_size > n:  # repeat the start (as often as needed) to pad
            repeats = math.ceil(self.total_size / max(n, 1))
            order = np.tile(order, repeats)[: self.total_size]
        share = order[self.rank : self.total_size : self.num_replicas]
        return iter(share.tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass use epoch ``epoch``'s order (the same on every rank)."""
        self.epoch = int(epoch)

    def __repr__(self) -> str:
        return (
            f"DistributedSampler(num_replicas={self.num_replicas}, rank={self.rank}, "
            f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last})"
        )
