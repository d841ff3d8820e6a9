"""``torch.nn.parallel``'s name for data-parallel training: :class:`DistributedDataParallel`
(``DDP`` for short), on :mod:`abinitio.distributed`.

Example:
    >>> from abinitio.nn.parallel import DistributedDataParallel, DDP
    >>> DDP is DistributedDataParallel
    True
"""

from abinitio.nn.parallel.distributed import DistributedDataParallel

DDP = DistributedDataParallel

__all__ = ["DDP", "DistributedDataParallel"]
