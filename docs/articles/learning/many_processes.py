r"""
.. _article-many_processes:

Training on many processes
==========================

One process trains on one batch at a time. **Data parallelism** runs :math:`N` copies of
the same program, the *ranks*, each with the same weights and its own slice of every
batch. Each rank computes the gradient of its slice; the ranks average their gradients;
each takes the same optimiser step. The weights stay identical on every rank without
ever being sent again, and one step processes :math:`N` slices in the time of one.

Three pieces make it work, under PyTorch's names:

* :func:`abinitio.distributed.init_process_group` joins the ranks that ``mpiexec``
  started (MPI, through mpi4py) and gives the **collectives**: ``all_reduce`` (every rank
  ends with the sum of all ranks' arrays), ``broadcast`` (every rank gets one rank's
  array) and ``barrier``;
* :class:`~abinitio.data.DistributedSampler` gives each rank its share of each epoch, all
  shares equal in size (a rank with one batch more would wait for ever in its extra
  all-reduce);
* :class:`~abinitio.nn.parallel.DistributedDataParallel` broadcasts rank 0's weights at
  the start and averages the gradients during every backward pass.

The maths
---------

**Averaging gradients is the big-batch gradient.** Split a batch of :math:`B` samples
into :math:`N` equal slices :math:`S_1, \dots, S_N` of :math:`B/N` samples. The mean loss
of the batch is the mean of the slices' mean losses, and the gradient is linear, so

.. math::

   \nabla_w \frac{1}{B}\sum_{i=1}^{B} \ell_i(w)
   = \frac{1}{N}\sum_{r=1}^{N} \underbrace{\nabla_w \frac{N}{B}
     \sum_{i \in S_r} \ell_i(w)}_{g_r \text{, computed by rank } r} .

Every rank that starts from the same :math:`w` and applies the same optimiser to
:math:`\bar g = \frac1N \sum_r g_r` stays on the same :math:`w`: :math:`N` ranks with
:math:`B/N` samples each take exactly the steps of one process with :math:`B` (up to the
rounding of floating-point sums). Two things break the equality: slices of unequal size
(the mean of means is then not the mean), and layers that look across the batch, such as
BatchNorm, whose statistics each rank computes over its own slice only.
:class:`~abinitio.nn.SyncBatchNorm` restores it: one all-reduce of the per-channel count
:math:`n`, sum and sum of squares gives every rank the global
:math:`\mu = \frac1n \sum x` and :math:`\sigma^2 = \frac1n \sum x^2 - \mu^2`; since each
rank's output depends on all ranks' inputs, its backward is an all-reduce too.

**The cost of an all-reduce.** Each rank holds :math:`M` numbers (the gradient). Sending
them all to one rank, adding, and sending the sum back makes that rank receive and send
:math:`(N-1)M` numbers: it grows with :math:`N`. The **ring all-reduce** puts the ranks in
a ring and cuts each array into :math:`N` chunks. In :math:`N-1` *reduce-scatter* steps
each rank passes one chunk to its neighbour, which adds it to its own; afterwards rank
:math:`r` holds the full sum of one chunk. :math:`N-1` *all-gather* steps pass the
summed chunks around the ring. Each rank sends

.. math::

   2\,(N-1)\,\frac{M}{N} \;<\; 2M

numbers, whatever :math:`N` is: with a link of bandwidth :math:`\beta` and a latency
:math:`\alpha` per message, the time is about :math:`2(N-1)\alpha + 2\frac{N-1}{N}
\frac{M}{\beta}`. Latency grows with the number of messages, which is why gradients are
sent in a few large **buckets** (25 MB by default) rather than one message per parameter.
MPI libraries choose between a ring and other algorithms by message size.

Where it lives in abinitio
--------------------------

.. implementation::

``DistributedDataParallel`` registers a post-accumulate-grad hook on each parameter
(``Tensor.register_post_accumulate_grad_hook``, PyTorch's name): the engine runs it as
soon as that parameter's gradient is final, while the backward walk goes on to earlier
layers. The hook copies the gradient into its bucket and, when the bucket is full, starts
a non-blocking all-reduce (``Iallreduce``), so the last layers' messages travel while the
first layers' gradients are computed; the last hook waits for all buckets and writes the
averages into ``.grad``. ``abinitio train --distributed`` is the Trainer on every rank: rank 0 alone
prints, writes the checkpoint (atomically) and the report; ``--batch-size`` is the
global batch.
"""

# %%
# Averaging the ranks' gradients gives the big-batch gradient
# -----------------------------------------------------------
# No MPI yet: four "ranks" in one process, each with a quarter of a batch of 64.
import subprocess
import sys
import tempfile
import textwrap

import numpy as np

import abinitio as ab
from abinitio import nn
from abinitio.data import DistributedSampler

ab.manual_seed(0)
model = nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 3))
x, y = ab.randn(64, 10), ab.randint(0, 3, (64,))


def gradient(rows):
    model.zero_grad()
    nn.functional.cross_entropy(model(x[rows]), y[rows]).backward()
    return np.concatenate([p.grad.numpy().ravel() for p in model.parameters()])


big_batch = gradient(np.arange(64))
samplers = [DistributedSampler(range(64), 4, rank, shuffle=False) for rank in range(4)]
shares = [list(sampler) for sampler in samplers]
averaged = np.mean([gradient(np.array(rows)) for rows in shares], axis=0)
difference = np.abs(averaged - big_batch).max()
print(f"largest difference from the big-batch gradient: {difference:.1e}")

# %%
# The ring all-reduce, step by step
# ---------------------------------
# Each rank's array is cut into N chunks. In reduce-scatter step s, rank r sends chunk
# (r - s) mod N to rank r + 1, which adds it to its own; in all-gather step s it sends
# the summed chunk (r + 1 - s) mod N on. Count what each rank sends.


def ring_all_reduce(arrays):
    n = len(arrays)
    chunks = [np.array_split(a.astype(np.float64), n) for a in arrays]
    sent = [0] * n
    for step in range(n - 1):  # reduce-scatter
        outgoing = [chunks[r][(r - step) % n].copy() for r in range(n)]
        for r in range(n):
            chunks[(r + 1) % n][(r - step) % n] += outgoing[r]
            sent[r] += outgoing[r].size
    for step in range(n - 1):  # all-gather
        outgoing = [chunks[r][(r + 1 - step) % n].copy() for r in range(n)]
        for r in range(n):
            chunks[(r + 1) % n][(r + 1 - step) % n] = outgoing[r]
            sent[r] += outgoing[r].size
    return [np.concatenate(c) for c in chunks], sent


arrays = list(np.random.default_rng(0).standard_normal((6, 1200)))
results, sent = ring_all_reduce(arrays)
print("every rank holds the sum:", all(np.allclose(r, sum(arrays)) for r in results))
print(f"numbers sent per rank: {sent[0]} = 2 (N-1) M / N = {2 * 5 * 1200 // 6}")

# %%
# Two real ranks
# --------------
# ``python -m abinitio.distributed.launch -n 2 ...`` starts two processes with MPI
# (``mpiexec`` on this machine, loopback only). Each trains the same model on its half
# of every batch through DistributedDataParallel; the weights end identical on both.
script = textwrap.dedent(
    """
    import numpy as np
    import abinitio as ab
    import abinitio.distributed as dist
    from abinitio import nn
    from abinitio.data import DataLoader, DistributedSampler, TensorDataset

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    ab.manual_seed(rank)  # different starts on purpose: DDP broadcasts rank 0's weights
    model = nn.parallel.DistributedDataParallel(nn.Linear(4, 2))
    optimizer = ab.optim.SGD(model.parameters(), lr=0.5)
    rng = np.random.default_rng(0)
    data = TensorDataset(rng.standard_normal((64, 4)), rng.integers(0, 2, 64))
    sampler = DistributedSampler(data, seed=0)
    loader = DataLoader(data, batch_size=32 // world, sampler=sampler)
    for epoch in range(3):
        sampler.set_epoch(epoch)  # a new order each epoch, the same on every rank
        for inputs, targets in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(inputs), targets).backward()
            optimizer.step()
    print(f"rank {rank} of {world}: {len(loader)} steps of {32 // world} samples an epoch,"
          f" weight sum {model.module.weight.sum().item():.6f}")
    dist.destroy_process_group()
    """
)
launcher = [sys.executable, "-m", "abinitio.distributed.launch"]
with tempfile.TemporaryDirectory() as folder:
    path = f"{folder}/ddp.py"
    with open(path, "w") as handle:
        handle.write(script)
    job = subprocess.run(
        [*launcher, "-n", "2", sys.executable, path],
        capture_output=True,
        text=True,
        timeout=120,
    )
print("".join(sorted(job.stdout.splitlines(keepends=True))) or job.stderr[-2000:])

# %%
# Many machines
# -------------
# The same command with a host file. Install the same environment on every machine
# (``pip install 'abinitio[distributed]'`` brings MPICH and its ``mpiexec``), let the
# first reach the others by ssh without a password, and keep the run directory on a
# shared file system (every rank reads the checkpoint when it resumes)::
#
#     # hosts: one machine per line, with the number of ranks it runs
#     node1:2
#     node2:2
#
#     mpiexec -f hosts -n 4 abinitio train --distributed --dataset mnist:/shared/mnist \
#         --batch-size 256 --out /shared/runs/mnist-4
#     mpiexec -f hosts -n 4 abinitio train --distributed --resume /shared/runs/mnist-4
#
# ``-iface eth0`` chooses the network between the machines. Set
# ``OPENBLAS_NUM_THREADS`` to the cores per rank, so that the ranks on one machine do not
# fight over its cores.

# %%
# Related topics
# --------------
# * :ref:`article-training_loop`: the loop every rank runs, and its checkpoints
# * :ref:`article-gradient_descent`: the step every rank takes with the averaged gradient
# * :ref:`article-backpropagation`: where the gradient hooks sit
