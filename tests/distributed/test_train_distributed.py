"""``abinitio train --distributed`` under mpiexec: rank 0 writes the run directory and its
checkpoint, and a run continues from that checkpoint on another number of ranks."""

import json
import os
import sys

import numpy as np

import abinitio as ab
from helpers import require

require("mpi4py")
from abinitio.distributed import launch  # noqa: E402

QUIET = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
TRAIN = [sys.executable, "-m", "abinitio", "train", "--distributed", "--dataset", "moons",
         "--model", "mlp", "--batch-size", "32", "--no-progress"]  # fmt: skip


def train(ranks: int, *options):
    result = launch.run(ranks, [*TRAIN, *options], timeout=120, env=QUIET,
                        capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def weights(run_dir):
    return {k: v.numpy() for k, v in ab.load(os.path.join(run_dir, "model.safetensors")).items()}


def test_two_ranks_then_resumed_on_one_equals_two_ranks_throughout(tmp_path):
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    output = train(2, "--epochs", "2", "--out", straight)
    assert output.count("epoch 2/2") == 1, "rank 0 alone prints"
    assert "2 ranks, 16 samples each per step" in output
    history = json.loads(open(os.path.join(straight, "metrics.json")).read())["history"]
    assert [record["epoch"] for record in history] == [1, 2]
    train(2, "--epochs", "1", "--out", resumed)
    train(1, "--resume", resumed, "--epochs", "2")
    assert sorted(os.listdir(resumed)) == sorted(os.listdir(straight))  # no temporaries left
    ours, theirs = weights(resumed), weights(straight)
    for name in theirs:
        np.testing.assert_allclose(ours[name], theirs[name], atol=1e-5, rtol=0)
