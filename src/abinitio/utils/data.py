"""``torch.utils.data``'s names, for readers coming from PyTorch: the same objects as
:mod:`abinitio.data`.

Example:
    >>> from abinitio.utils.data import DataLoader
    >>> import abinitio.data
    >>> DataLoader is abinitio.data.DataLoader
    True
"""

from abinitio.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    DistributedSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

__all__ = [
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
]
