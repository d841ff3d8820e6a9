"""A PyTorch DDP program, unchanged, on two ranks: ``python -m abinitio.torch`` maps its
torch imports to abinitio, and the launcher gives it torchrun's RANK."""

import os
import re
import sys

from helpers import require

require("mpi4py")
from abinitio.distributed import launch  # noqa: E402

PROGRAM = """
import os
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

dist.init_process_group(backend="gloo")
rank = int(os.environ["RANK"])
torch.manual_seed(0)
model = DDP(nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2)))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
data = TensorDataset(torch.randn(64, 4), torch.randint(0, 2, (64,)))
sampler = DistributedSampler(data)
loader = DataLoader(data, batch_size=16, sampler=sampler)
for epoch in range(2):
    sampler.set_epoch(epoch)
    for x, y in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
total = torch.tensor([float(model.module[0].weight.sum())])
dist.all_reduce(total, op=dist.ReduceOp.SUM)
print(f"rank {rank} of {dist.get_world_size()}: {total.item():.6f}", flush=True)
dist.destroy_process_group()
"""


def test_a_pytorch_ddp_program_runs_unchanged_on_two_ranks(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(PROGRAM)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    result = launch.run(2, [sys.executable, "-m", "abinitio.torch", str(script)], timeout=120,
                        env=env, capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    # Two ranks print to one stream; unbuffered (PYTHONUNBUFFERED, as CI has it) a line's text
    # and its newline are two writes, so the lines may interleave: match, do not split.
    found = sorted(re.findall(r"rank (\d) of (\d): (-?\d+\.\d+)", result.stdout))
    assert [(rank, size) for rank, size, _ in found] == [("0", "2"), ("1", "2")], result.stdout
    assert found[0][2] == found[1][2], "the same weights on both ranks"
