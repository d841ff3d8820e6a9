"""Training on many processes: ``torch.distributed``'s names on MPI (mpi4py).

Start ``N`` copies of one program with ``mpiexec -n N python train.py`` (on one machine,
``python -m abinitio.distributed.launch -n N ...`` keeps everything on loopback); in it::

    import abinitio.distributed as dist
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    model = nn.parallel.DistributedDataParallel(model)   # same weights on every rank
    sampler = DistributedSampler(dataset)                # each rank its share of the data

``import abinitio.distributed`` stays light: mpi4py is imported by ``init_process_group``.

Example:
    >>> import abinitio.distributed as dist
    >>> dist.ReduceOp.SUM, dist.is_initialized()
    (<ReduceOp.SUM: 'sum'>, False)
"""

from abinitio.distributed.process_group import (
    DistributedError,
    ReduceOp,
    Work,
    all_gather,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
)

__all__ = [
    "DistributedError",
    "ReduceOp",
    "Work",
    "all_gather",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
]
