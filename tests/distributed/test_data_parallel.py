"""Data parallelism on MPI: ranks started by mpiexec on this machine (loopback only).

Each test starts a small job (tests/distributed/ddp_worker.py) through
``abinitio.distributed.launch`` and reads what rank 0 wrote.
"""

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn
from abinitio.data import DistributedSampler
from helpers import require

require("mpi4py")
from abinitio.distributed import launch  # noqa: E402

WORKER = Path(__file__).with_name("ddp_worker.py")
QUIET = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def _worker_module():
    spec = importlib.util.spec_from_file_location("ddp_worker", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_job(ranks: int, mode: str, out_dir, timeout: float = 90):
    """Run the job; returns its result, its seconds, and the addresses its processes
    listened on (TCP, looked up in /proc every 0.1 s while it ran)."""
    started = time.monotonic()
    argv = launch.command(ranks, [sys.executable, str(WORKER), mode, str(out_dir)])
    job = subprocess.Popen(argv, env=launch.environment(QUIET), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)  # fmt: skip
    listening = set()
    while job.poll() is None and time.monotonic() - started < timeout:
        listening |= listening_addresses(descendants(job.pid))
        time.sleep(0.1)
    if job.poll() is None:
        job.kill()
    stdout, stderr = job.communicate()
    result = subprocess.CompletedProcess(argv, job.returncode, stdout, stderr)
    return result, time.monotonic() - started, listening


def descendants(pid: int) -> set:
    """``pid`` and every process below it, from /proc/*/stat."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError, ValueError):
            continue
        parents[int(entry)] = int(fields[1])
    found, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in found} - found
        found |= more
        grew = bool(more)
    return found


def listening_addresses(pids: set) -> set:
    """The local addresses (hex, as /proc/net/tcp writes them) of TCP sockets in LISTEN
    state that these processes hold."""
    inodes = set()
    for pid in pids:
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        inodes |= {link[8:-1] for link in links if link.startswith("socket:[")}
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                addresses.add(fields[1].split(":")[0])
    return addresses


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1


def one_process_reference(worker):
    """The same steps in this process, without MPI: the global batch of 16 at each step."""
    net = worker.model()
    optimizer = ab.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    x, y = worker.data()
    sampler = DistributedSampler(range(len(x)), 1, 0, shuffle=True, seed=3)
    step, epoch = 0, 0
    while step < worker.STEPS:
        sampler.set_epoch(epoch)
        order = np.array(list(sampler))
        for start in range(0, len(order), worker.GLOBAL_BATCH):
            rows = order[start : start + worker.GLOBAL_BATCH]
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(ab.tensor(x[rows])), ab.tensor(y[rows])).backward()
            optimizer.step()
            step += 1
            if step == worker.STEPS:
                break
        epoch += 1
    return {name: value.numpy() for name, value in net.state_dict().items()}


def test_two_ranks_take_the_steps_of_one_process_on_the_global_batch(tmp_path):
    weights = {}
    for ranks in (1, 2):
        out = tmp_path / str(ranks)
        out.mkdir()
        result, _, listening = run_job(ranks, "train", out)
        assert result.returncode == 0, result.stderr[-3000:]
        assert listening <= LOOPBACK, f"the job listened beyond loopback: {listening}"
        loaded = ab.load(str(out / "weights.safetensors"))
        weights[ranks] = {name: value.numpy() for name, value in loaded.items()}
    reference = one_process_reference(_worker_module())
    start = _worker_module().model().state_dict()
    assert set(weights[1]) == set(weights[2]) == set(reference)
    for name in reference:
        if name.endswith("weight"):  # (a bias before BatchNorm has no gradient)
            assert not np.allclose(reference[name], start[name].numpy()), "the weights moved"
        np.testing.assert_allclose(weights[2][name], weights[1][name], atol=1e-5, rtol=0)
        np.testing.assert_allclose(weights[2][name], reference[name], atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "mode, message",
    [
        ("raise", "rank 1 of 2 failed with ValueError: rank 1 breaks on purpose; aborting"),
        ("exit", "rank 0 of 2 was interrupted"),  # rank 1 vanished: the launcher stops rank 0
        ("hang", "rank 0 of 2 waited 3 s for the other ranks; one of them has died or hangs"),
    ],
)
def test_a_rank_that_dies_or_hangs_fails_the_job_with_a_message(tmp_path, mode, message):
    result, seconds, listening = run_job(2, mode, tmp_path, timeout=60)
    assert result.returncode != 0
    if mode == "hang":  # three seconds of two live ranks: their sockets must be loopback's
        assert listening and listening <= LOOPBACK, listening
    assert message in result.stderr, result.stderr[-3000:]
    assert seconds < 45, f"the job took {seconds:.0f} s to fail"
    assert not (tmp_path / "weights.safetensors").exists()


def test_collectives_and_ddp_options_on_two_ranks(tmp_path):
    result, _, _ = run_job(2, "collectives", tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads((tmp_path / "collectives.json").read_text())
    assert seen["env"] == ["0", "2", "0"], "torchrun's variables, as PyTorch programs read them"
    assert seen["SUM"] == [3.0, 4.0] and seen["AVG"] == [1.5, 2.0]
    assert seen["PRODUCT"] == [2.0, 4.0] and seen["MIN"] == [1.0, 2.0]
    assert seen["MAX"] == [2.0, 2.0]
    assert seen["strided"] == (np.arange(6.0).reshape(2, 3).T * 3).tolist()
    assert seen["broadcast"] == [1.0, 1.0, 1.0]
    assert seen["all_gather"] == [[0.0, 0.0], [1.0, 10.0]]
    assert seen["object"] == "from rank 0"
    assert seen["no_sync_error"] < 1e-6
    assert seen["spare_grad"] == [[0.0, 0.0, 0.0]]
    assert "gave gradients to only 2 of 4 parameters" in seen["strict"]
    # buckets last layer first, one parameter each: [b2, w2, b1, w1]; when w1's gradient
    # is final, b2's and w2's all-reduces have started (during the backward pass)
    assert seen["buckets_started_before_first_layer"] == [[True, True, False, False]]
