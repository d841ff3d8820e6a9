"""Data: datasets, the DataLoader that batches them, offline data sets, preprocessing.

``abinitio.data`` mirrors ``torch.utils.data`` (also importable as
``abinitio.utils.data``). Its submodules ``datasets`` (digits, MNIST-1D, MNIST from IDX
files, toy 2-D sets, a text corpus) and ``preprocessing`` (scikit-learn's scalers and
encoders, wrapped to return float32) import scikit-learn and mnist1d only inside the
functions that need them, so ``import abinitio.data`` stays light.

Example:
    >>> import numpy as np
    >>> from abinitio.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(np.ones((6, 3)), np.arange(6)), batch_size=4)
    >>> [len(y) for x, y in loader]
    [4, 2]
"""

from abinitio.data import datasets, preprocessing, tabular, transforms
from abinitio.data.dataloader import DataLoader, default_collate
from abinitio.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from abinitio.data.distributed import DistributedSampler
from abinitio.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "Subset",
    "TensorDataset",
    "datasets",
    "default_collate",
    "preprocessing",
    "random_split",
    "tabular",
    "transforms",
]
