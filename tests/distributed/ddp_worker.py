"""One rank of the distributed tests (run under mpiexec by test_distributed.py).

    python ddp_worker.py MODE OUT_DIR

MODE ``train``: a few SGD steps of a small MLP with a SyncBatchNorm through
DistributedDataParallel and a DistributedSampler; rank 0 writes the final weights to OUT_DIR/weights.safetensors.
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


def main(mode: str, out_dir: str) -> None:
    import abinitio as ab
    import abinitio.distributed as dist
    from abinitio import nn
    from abinitio.data import DataLoader, DistributedSampler, TensorDataset

    dist.init_process_group("mpi", timeout=3 if mode == "hang" else 60)
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
