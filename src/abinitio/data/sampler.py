"""Samplers: the order in which a :class:`~abinitio.data.DataLoader` visits a dataset
(``torch.utils.data.sampler``'s names). A sampler is an iterable of indices with a length;
``DataLoader(dataset, sampler=...)`` batches the indices it yields.

* :class:`SequentialSampler`: 0, 1, …, N-1.
* :class:`RandomSampler`: a random permutation (or ``num_samples`` draws with replacement).
* :class:`SubsetRandomSampler`: the given indices in random order (a validation split).
* :class:`WeightedRandomSampler`: index :math:`i` drawn with probability
  :math:`w_i / \\sum_j w_j` (re-balancing classes).
* :class:`BatchSampler`: groups another sampler's indices into lists.

Example:
    >>> import abinitio as ab
    >>> from abinitio.data import BatchSampler, SequentialSampler
    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

import numpy as np

from abinitio.random import numpy_generator



class Sampler:
    """The base class: subclasses define ``__iter__`` (and usually ``__len__``).

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """The indices 0 … len(data_source) - 1, in order.

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the dataset: a permutation, or with ``replacement`` ``num_samples``
    independent draws.

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, data_source, replacement: bool = False, num_samples=None,
                 generator=None) -> None:  # fmt: skip
        self.data_source, self.replacement, self.generator = data_source, replacement, generator
        self._num_samples = num_samples
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples must be a positive int, got {num_samples!r}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, rng = len(self.data_source), numpy_generator(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        rounds = -(-self.num_samples // n)
        order = np.concatenate([rng.permutation(n) for _ in range(rounds)])
        return iter(order[: self.num_samples].tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices``, in a new random order each epoch.

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, indices, generator=None) -> None:
        self.indices, self.generator = list(indices), generator

    def __iter__(self):
        order = numpy_generator(self.generator).permutation(len(self.indices))
        return iter([self.indices[i] for i in order])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``.

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, weights, num_samples: int, replacement: bool = True,
                 generator=None) -> None:  # fmt: skip
        self.weights = np.asarray(weights, dtype=np.float64).reshape(-1)
        if (self.weights < 0).any() or self.weights.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be >= 0 with a positive sum")
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def __iter__(self):
        p = self.weights / self.weights.sum()
        rng = numpy_generator(self.generator)
        return iter(rng.choice(p.size, self.num_samples, replace=self.replacement, p=p).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler`` (the last one shorter unless
    ``drop_last``).

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"BatchSampler: batch_size must be a positive int, got {batch_size!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
