"""``torch.utils.data``'s names, for readers coming from PyTorch: the same objects as
:mod:`abinitio.data`.

Example:
    >>> from abinitio.utils.data import DataLoader
    >>> import abinitio.data
    >>> DataLoader is abinitio.data.DataLoader
    True
"""

import sys

from abinitio.data import distributed, sampler
from abinitio.data import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
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
sys.modules[__name__ + ".sampler"] = sampler  # torch.utils.data.sampler.SubsetRandomSampler

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "sampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
]
