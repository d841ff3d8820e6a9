"""``DataLoader``: a dataset read in (shuffled) mini-batches, each collated into Tensors.

One epoch is one pass of ``for batch in loader``. With ``shuffle=True`` every epoch draws a
fresh permutation from the loader's ``ab.Generator`` (default: abinitio's global one), so
the order changes from epoch to epoch and repeats from run to run after ``ab.manual_seed``.

Fast path: when the dataset exposes whole arrays (a ``TensorDataset``, or a ``Subset`` of
one) and the collate function is the default, each batch is one fancy-index per array,
``x[batch_indices]``, instead of a Python loop over samples followed by a stack.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from abinitio.data.dataset import Dataset, whole_arrays
from abinitio.ops import stack
from abinitio.random import Generator, numpy_generator
from abinitio.tensor import Tensor, as_array


def _wrap(array) -> Tensor:
    """A Tensor around a freshly made array (float64 becomes float32, as ``ab.tensor`` does)."""
    return Tensor._make(as_array(array), False, None)


def default_collate(batch: list):
    """Merge a list of samples into one batch, recursively, the way PyTorch does.

    Tensors are stacked along a new first dim, (*) -> (B, *). NumPy arrays and numbers
    become one Tensor: Python ints give int64, Python floats and float64 arrays float32
    (abinitio's default), other dtypes stay. dicts give a dict of batches, named tuples the
    same named tuple, other tuples and lists a **list** (as in PyTorch), strings a list.

    Args:
        batch: a non-empty list of samples of the same structure.

    Returns:
        the same structure with Tensors of batch size B = len(batch) at the leaves.

    Example:
        >>> import numpy as np
        >>> x, y = default_collate([(np.zeros(3), 1), (np.ones(3), 0)])
        >>> x.shape, x.dtype, y.tolist(), y.dtype
        ((2, 3), dtype('float32'), [1, 0], dtype('int64'))
        >>> default_collate([{"id": 7}, {"id": 8}])
        {'id': tensor([7, 8])}
    """
    if not isinstance(batch, Sequence) or len(batch) == 0:
        raise ValueError(f"default_collate: expected a non-empty list of samples, got {batch!r}")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch)
    if isinstance(elem, (np.ndarray, np.generic, bool, int, float)):
        return _collate_arrays(batch)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, Sequence):
        return _collate_sequences(batch)
    raise TypeError(
        "default_collate: samples must hold Tensors, NumPy arrays, numbers, strings, dicts, "
        f"tuples or lists, found {type(elem).__name__}"
    )


def _collate_arrays(batch: list) -> Tensor:
    array = np.stack([np.asarray(sample) for sample in batch])
    if array.dtype.kind not in "biufc":
        raise TypeError(f"default_collate: arrays of dtype {array.dtype} cannot be batched")
    return _wrap(array)


def _collate_sequences(batch: list):
    sizes = {len(sample) for sample in batch}
    if len(sizes) != 1:
        raise RuntimeError(
            f"default_collate: each sample in the batch needs the same length, got {sorted(sizes)}"
        )
    columns = [default_collate(list(column)) for column in zip(*batch)]
    elem = batch[0]
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple keeps its type
        return type(elem)(*columns)
    return columns


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples, optionally shuffled.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``).
        batch_size: samples per batch (the last batch may be smaller).
        shuffle: draw a new random order at the start of every epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate_fn: merges a list of samples into a batch; default :func:`default_collate`.
        generator: the ``ab.Generator`` that shuffles; default: abinitio's global one.
        sampler: an iterable of dataset indices that sets the order instead (e.g. a
            :class:`~abinitio.data.DistributedSampler`); excludes ``shuffle``.

    Returns:
        an iterable; ``len(loader)`` is the number of batches per epoch:
        ``N // batch_size`` with ``drop_last``, else ``ceil(N / batch_size)``, where
        N is ``len(sampler)`` when a sampler is given.

    Example:
        >>> import numpy as np
        >>> import abinitio as ab
        >>> from abinitio.data import TensorDataset
        >>> data = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
        >>> loader = DataLoader(data, batch_size=2, shuffle=True, generator=ab.Generator(0))
        >>> len(loader)
        3
        >>> [tuple(y.shape) for x, y in loader]
        [(2,), (2,), (1,)]

    See the article docs/articles/architectures/feedforward_networks.py.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn=None,
        generator: Generator | None = None,
        sampler=None,
        num_workers: int = 0,
        pin_memory: bool = False,
        worker_init_fn=None,
        persistent_workers: bool = False,
        prefetch_factor=None,
        timeout: float = 0,
    ) -> None:
        # PyTorch's worker options are accepted so that its programs run unchanged; batches
        # are always made in this process (num_workers only says how many PyTorch would use)
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
        self.num_workers, self.pin_memory = num_workers, bool(pin_memory)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(
                "DataLoader: the dataset needs __getitem__ and __len__, "
                f"got {type(dataset).__name__}"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.generator = generator
        if sampler is not None and self.shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        self.sampler = sampler

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        if self.drop_last:
            return n // self.batch_size
        return math.ceil(n / self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        if self.sampler is not None:
            order = np.fromiter(iter(self.sampler), np.int64)
            n = len(order)
        elif self.shuffle:
            order = numpy_generator(self.generator).permutation(n)  # drawn now, once per epoch
        else:
            order = np.arange(n)
        batches = [order[start : start + self.batch_size] for start in range(0, n, self.batch_size)]
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        fast = whole_arrays(self.dataset) if self.collate_fn is default_collate else None
        if fast is not None:
            return self._iter_arrays(batches, *fast)
        return self._iter_samples(batches)

    def _iter_samples(self, batches):
        for indices in batches:
            yield self.collate_fn([self.dataset[int(i)] for i in indices])

    def _iter_arrays(self, batches, arrays, rows):
        # the same batches default_collate would build, one fancy-index per array
        for indices in batches:
            chosen = indices if rows is None else rows[indices]
            yield [_wrap(array[chosen]) for array in arrays]

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
