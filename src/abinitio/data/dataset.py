"""Datasets: anything with ``__getitem__`` and ``__len__`` (PyTorch's map-style datasets).

* :class:`Dataset` is the base class; subclass it and define ``__getitem__`` and ``__len__``.
* :class:`TensorDataset` wraps equally long tensors (or arrays); sample ``i`` is the tuple
  of their rows ``i``. The :class:`~abinitio.data.DataLoader` batches it by fancy-indexing
  the whole arrays once per batch.
* :class:`Subset` is a view through a list of indices; :func:`random_split` makes disjoint
  random subsets (train/validation); :class:`ConcatDataset` chains datasets end to end.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from abinitio.creation import as_tensor
from abinitio.random import Generator, numpy_generator


class Dataset:
    """The base class of map-style datasets: ``dataset[i]`` is sample ``i`` of ``len(dataset)``.

    Subclasses define ``__getitem__`` and ``__len__``. ``a + b`` chains two datasets.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i, i * i
        >>> Squares()[3]
        (3, 9)

    See the article docs/articles/learning/training_loop.py.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Equally long tensors seen as one dataset: sample ``i`` is ``(t[i] for t in tensors)``.

    Arrays and lists are accepted and converted as :func:`abinitio.as_tensor` does
    (float64 becomes float32, integers stay integers).

    Args:
        *tensors: tensors or arrays that share their first dimension N.

    Attributes:
        tensors: the tuple of Tensors. The DataLoader fancy-indexes their arrays directly.

    Shape:
        each tensor (N, *); each sample is a tuple of (*) tensors.

    Example:
        >>> import numpy as np
        >>> ds = TensorDataset(np.zeros((5, 2)), np.arange(5))
        >>> len(ds), ds[4][1].item(), ds[0][0].dtype
        (5, 4, dtype('float32'))

    See the article docs/articles/learning/training_loop.py.
    """

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, got none")
        tensors = tuple(as_tensor(t) for t in tensors)
        lengths = [t.shape[0] if t.ndim else None for t in tensors]
        if None in lengths or len(set(lengths)) != 1:
            shapes = [tuple(t.shape) for t in tensors]
            raise ValueError(
                f"TensorDataset: all tensors need the same first dimension, got shapes {shapes}"
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in order: ``subset[i] = dataset[indices[i]]``.

    Args:
        dataset: the dataset to look into.
        indices: a sequence of integer indices into it.

    Example:
        >>> import numpy as np
        >>> sub = Subset(TensorDataset(np.arange(10)), [7, 2])
        >>> len(sub), sub[0][0].item()
        (2, 7)

    See the article docs/articles/learning/training_loop.py.
    """

    def __init__(self, dataset: Dataset, indices) -> None:
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index: int):
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Datasets chained end to end: the samples of the first, then the second, ...

    Args:
        datasets: a non-empty sequence of datasets.

    Example:
        >>> import numpy as np
        >>> both = ConcatDataset([TensorDataset(np.arange(3)), TensorDataset(np.arange(5))])
        >>> len(both), both[4][0].item()
        (8, 1)

    See the article docs/articles/learning/training_loop.py.
    """

    def __init__(self, datasets) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: expected at least one dataset, got none")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"ConcatDataset: index out of range for length {len(self)}")
        k = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return self.datasets[k][index - start]


def _split_lengths(n: int, lengths) -> list[int]:
    """Absolute lengths; fractions summing to 1 become floor(n * f), the remainder given
    one by one to the first subsets (PyTorch's rule)."""
    lengths = list(lengths)
    fractional = any(isinstance(x, float) for x in lengths)
    if fractional and math.isclose(sum(lengths), 1) and all(0 <= x <= 1 for x in lengths):
        sizes = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        return sizes
    if any(int(x) != x or x < 0 for x in lengths):
        raise ValueError(
            "random_split: lengths must be non-negative integers or fractions that sum to 1, "
            f"got {lengths}"
        )
    if sum(lengths) != n:
        raise ValueError(
            f"random_split: the lengths {lengths} sum to {sum(lengths)}, "
            f"but the dataset has {n} samples"
        )
    return [int(x) for x in lengths]


def random_split(dataset: Dataset, lengths, generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into disjoint random :class:`Subset` s of the given lengths.

    ``lengths`` are sample counts that sum to ``len(dataset)``, or fractions that sum to 1
    (``[0.8, 0.2]``): each gets ``floor(N * f)`` samples and the few left over go one each
    to the first subsets, as in PyTorch. The permutation comes from ``generator`` (default:
    abinitio's default generator), so ``ab.manual_seed`` makes the split repeatable.

    Args:
        dataset: the dataset to split.
        lengths: a sequence of ints, or of floats summing to 1.
        generator: an ``ab.Generator``; default: the global one.

    Returns:
        a list of ``Subset`` s, one per length.

    Example:
        >>> import numpy as np
        >>> import abinitio as ab
        >>> train, val = random_split(TensorDataset(np.arange(10)), [0.7, 0.3], ab.Generator(0))
        >>> len(train), len(val)
        (7, 3)

    See the article docs/articles/learning/training_loop.py.
    """
    sizes = _split_lengths(len(dataset), lengths)
    permutation = numpy_generator(generator).permutation(len(dataset))
    ends = np.cumsum(sizes)
    return [Subset(dataset, permutation[end - size : end]) for size, end in zip(sizes, ends)]


def whole_arrays(dataset):
    """The arrays behind ``dataset`` and the rows it reads, or ``None``.

    A :class:`TensorDataset` (or a subclass that keeps its ``__getitem__``) exposes its whole
    arrays, and so does a :class:`Subset` of one; the DataLoader then batches them by
    fancy-indexing. A dataset that overrides ``__getitem__`` (to transform samples, say)
    returns ``None`` here and is read sample by sample.

    Returns:
        ``(arrays, rows)``: the tuple of arrays, and the int64 row indices the dataset's
        samples 0..N-1 map to (``None`` meaning all rows, in order).
    """
    if type(dataset).__getitem__ is Subset.__getitem__:
        inner = whole_arrays(dataset.dataset)
        if inner is None:
            return None
        arrays, rows = inner
        chosen = np.asarray(dataset.indices, dtype=np.int64)
        return arrays, (chosen if rows is None else rows[chosen])
    if type(dataset).__getitem__ is TensorDataset.__getitem__:
        return tuple(t.array for t in dataset.tensors), None
    return None
