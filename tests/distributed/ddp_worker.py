"""One rank of the distributed tests (run under mpiexec by test_distributed.py).

    python ddp_worker.py MODE OUT_DIR

MODE ``train``: a few SGD steps of a small MLP with a SyncBatchNorm through
DistributedDataParallel and a DistributedSampler; rank 0 writes the final weights to
OUT_DIR/weights.safetensors. MODE ``collectives``: every collective and DDP option once.
MODE ``raise`` / ``exit`` / ``hang``: rank 1 fails in that way after one step.
"""

import os
import sys
import time

import numpy as np

STEPS, GLOBAL_BATCH, SAMPLES = 6, 16, 48


def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((SAMPLES, 5)).astype(np.float32), rng.integers(0, 3, SAMPLES)


def model():
    import abinitio as ab
    from abinitio import nn

    ab.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))
    # statistics of the global batch: without it two ranks would not equal one process
    return nn.SyncBatchNorm.convert_sync_batchnorm(net)


def collectives(out_dir: str) -> None:
    """Every collective and DDP option once; rank 0 writes what it saw to collectives.json."""
    import json

    import abinitio as ab
    import abinitio.distributed as dist
    from abinitio import nn

    rank, world = dist.get_rank(), dist.get_world_size()
    seen = {"env": [os.environ.get(k) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK")]}
    for op in dist.ReduceOp:
        x = ab.tensor([rank + 1.0, 2.0])
        dist.all_reduce(x, op)
        seen[op.name] = x.tolist()
    strided = np.arange(6.0).reshape(2, 3).T * (rank + 1)  # not contiguous
    dist.all_reduce(strided)
    seen["strided"] = strided.tolist()
    x = ab.tensor([float(rank)] * 3)
    dist.broadcast(x, src=1)
    seen["broadcast"] = x.tolist()
    parts = [ab.zeros(2) for _ in range(world)]
    dist.all_gather(parts, ab.tensor([rank, 10.0 * rank]))
    seen["all_gather"] = [p.tolist() for p in parts]
    names = [f"from rank {rank}"]
    dist.broadcast_object_list(names, 0)
    seen["object"] = names[0]
    # no_sync: a local backward, then a synced one, averages the sum of both
    ab.manual_seed(0)
    plain = nn.Linear(3, 2)
    ddp = nn.parallel.DistributedDataParallel(nn.Linear(3, 2))
    ddp.module.load_state_dict(plain.state_dict())
    rng = np.random.default_rng(rank)
    a, b = (ab.tensor(rng.standard_normal((4, 3))) for _ in range(2))
    with ddp.no_sync():
        ddp(a).pow(2).sum().backward()
    ddp(b).pow(2).sum().backward()
    plain(a).pow(2).sum().backward()
    plain(b).pow(2).sum().backward()
    differences = []
    for mine, local in zip(ddp.parameters(), plain.parameters()):
        expected = local.grad.array.copy()
        dist.all_reduce(expected, dist.ReduceOp.AVG)
        differences.append(float(np.abs(mine.grad.array - expected).max()))
    seen["no_sync_error"] = max(differences)

    # find_unused_parameters: a branch that forward does not use
    class Branches(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.spare = nn.Linear(3, 1), nn.Linear(3, 1)

        def forward(self, x):
            return self.used(x)

    tolerant = nn.parallel.DistributedDataParallel(Branches(), find_unused_parameters=True)
    for _ in range(2):
        tolerant.zero_grad()
        tolerant(a).sum().backward()
    seen["spare_grad"] = tolerant.module.spare.weight.grad.tolist()
    strict = nn.parallel.DistributedDataParallel(Branches())
    strict(a).sum().backward()
    try:
        strict(a)
    except RuntimeError as error:
        seen["strict"] = str(error)
    # overlap: when the first layer's weight gets its gradient (the last of the walk), the
    # last layer's bucket is already being reduced
    deep = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    first = deep[0].weight
    started = []
    first.register_post_accumulate_grad_hook(  # before DDP's hook on it: runs first
        lambda t: started.append([b.work is not None for b in overlapped._buckets])
    )
    overlapped = nn.parallel.DistributedDataParallel(deep, bucket_cap_mb=1e-5)
    overlapped(a).pow(2).sum().backward()
    seen["buckets_started_before_first_layer"] = started
    dist.barrier()
    if rank == 0:
        with open(os.path.join(out_dir, "collectives.json"), "w") as handle:
            json.dump(seen, handle)


def main(mode: str, out_dir: str) -> None:
    import abinitio as ab
    import abinitio.distributed as dist
    from abinitio import nn
    from abinitio.data import DataLoader, DistributedSampler, TensorDataset

    dist.init_process_group("mpi", timeout=3 if mode == "hang" else 60)
    if mode == "collectives":
        collectives(out_dir)
        dist.destroy_process_group()
        return
    rank, world = dist.get_rank(), dist.get_world_size()
    net = model()
    if rank > 0:  # other ranks start elsewhere: DDP must broadcast rank 0's weights
        for p in net.parameters():
            p.array[...] = rank
    ddp = nn.parallel.DistributedDataParallel(net, bucket_cap_mb=0.0002)  # several buckets
    optimizer = ab.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    x, y = data()
    sampler = DistributedSampler(TensorDataset(x, y), shuffle=True, seed=3)
    loader = DataLoader(TensorDataset(x, y), batch_size=GLOBAL_BATCH // world, sampler=sampler)
    step, epoch = 0, 0
    while step < STEPS:
        sampler.set_epoch(epoch)
        for inputs, targets in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(ddp(inputs), targets).backward()
            optimizer.step()
            step += 1
            if rank == 1 and mode == "raise":
                raise ValueError("rank 1 breaks on purpose")
            if rank == 1 and mode == "exit":
                os._exit(7)
            if rank == 1 and mode == "hang":
                time.sleep(60)
            if step == STEPS:
                break
        epoch += 1
    if rank == 0:
        ab.save(net.state_dict(), os.path.join(out_dir, "weights.safetensors"))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
