"""``torch.utils.data``'s names, for readers coming from PyTorch: the same objects as
:mod:`abinitio.data`.

Example:
    >>> from abinitio.utils.data import DataLoader
    >>> import abinitio.data
    >>> DataLoader is abinitio.data.DataLoader
    True
"""

import sys

from abinitio.data import distributed
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

# ``torch.utils.data.distributed.DistributedSampler`` is where PyTorch programs import it from
sys.modules[__name__ + ".distributed"] = distributed

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
