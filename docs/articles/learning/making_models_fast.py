r"""
.. _article-making_models_fast:

Making models fast: profile first, then fuse
============================================

A training step is a few hundred primitives (matrix products, additions, exponentials,
normalisations), each a ``forward`` going up and a ``backward`` coming down. Before
changing any of them, measure which ones the time goes to: the answer is rarely the one
you expect. ``abinitio.profiler`` times every primitive's forward and backward separately
and prints them like ``torch.profiler``: the same ``profile()`` context, the same
``key_averages().table(sort_by=...)``.

Three things make an eager NumPy framework slow, and a profile tells them apart:

* **Python between primitives**: each primitive costs a few microseconds of bookkeeping
  (recording the graph, wrapping the result). It dominates small tensors; the table's
  last line gives its share. The cure is fewer, larger primitives.
* **Passes over memory**: a NumPy expression like ``a * b + c`` makes one full pass (and
  one fresh temporary) per operator. A kernel that is ten passes where three would do is
  memory-bound for no reason. The cure is fusion: writing a whole formula as one
  primitive whose forward and backward reuse their buffers (``out=``, ``*=``).
* **Slow NumPy paths**: some calls are many times slower than their neighbours.
  ``np.where`` on random signs costs forty multiplications (it branches per element);
  ``x.sum(axis=-1)`` over short rows costs four times a matrix-vector product with a
  vector of ones, which BLAS runs at full speed.

The maths of a profile
----------------------

Every range :math:`r` (a primitive's forward, its backward, or a range you name with
``record_function``) has a *total* time and a *self* time, the total minus the ranges
opened inside it:

.. math::

   \mathrm{self}(r) = \mathrm{total}(r) - \sum_{c \in \mathrm{children}(r)} \mathrm{total}(c).

Self times add up to the time spent inside ranges; the wall time of the profile minus that
sum is the Python between primitives. Sorting by self time finds the kernels worth
rewriting; sorting by total time finds the expensive parts of your own code.

Fusion keeps its reference
--------------------------

A fused kernel computes a formula that a few existing operations already compute: layer
norm is a mean, a subtraction, a variance and a division. abinitio keeps that composed
version beside every fused kernel (``_reference_layer_norm``, ``_reference_normal_cdf``,
``_reference_conv2d``, ...), and the tests compare the two, values and gradients. The
reference is what you read first; the kernel is the same lines rearranged for speed.

Where it lives in abinitio
--------------------------

.. implementation::

The hook is two lines: ``Function.apply`` and the backward engine read one thread-local
slot (``autograd/profiling.py``) and call the primitive directly when no profiler runs.
"""

# %%
# Profile a training step
# -----------------------
# A small Transformer-style block, written with plain operations the way a learner writes
# it: linear layers, layer norm, exact GELU, softmax attention with a causal mask.
import math

import numpy as np

import abinitio as ab
import abinitio.nn.functional as F
from abinitio import nn
from abinitio.profiler import profile, record_function

ab.manual_seed(0)
width, heads, length, batch = 64, 4, 32, 16


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.fc1, self.fc2 = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def forward(self, x, mask):
        b, t, c = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(width, dim=-1)
        q, k, v = (a.reshape(b, t, heads, c // heads).transpose(1, 2) for a in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(c // heads) + mask
        attended = F.softmax(scores, dim=-1) @ v
        x = x + self.proj(attended.transpose(1, 2).reshape(b, t, c))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


block = Block()
optimizer = ab.optim.AdamW(block.parameters(), lr=1e-3)
mask = ab.tensor(np.triu(np.full((length, length), -np.inf, np.float32), 1))
x = ab.randn(batch, length, width)


def train_step():
    optimizer.zero_grad()
    loss = block(x, mask).pow(2).mean()
    loss.backward()
    with record_function("optimizer.step"):
        optimizer.step()


train_step()  # warm up once: the first call allocates
with profile() as prof:
    for _ in range(5):
        train_step()
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))

# %%
# Each primitive appears twice: ``Linear`` is its forward, ``LinearBackward`` its
# backward, as PyTorch names graph nodes (``AddmmBackward0``). ``autograd::backward`` is
# the whole backward pass; its *self* time is the engine's own work (summing broadcast
# gradients, accumulating ``.grad``). ``optimizer.step`` is the range we named.
#
# Group by input shapes to see which call of a primitive is the expensive one:
with profile(record_shapes=True) as prof:
    train_step()
rows = prof.key_averages(group_by_input_shape=True)
linear = sorted((r for r in rows if r.key == "Linear"), key=lambda r: -r.cpu_time_total)
for row in linear:
    shapes = " x ".join(str(list(s)) for s in row.input_shapes[:2])
    print(f"Linear {shapes}: {row.cpu_time_total:8.1f} us")

# %%
# A kernel made faster: exact GELU
# --------------------------------
# Exact GELU needs :math:`\Phi(x)`, the normal CDF, which NumPy does not have. abinitio
# evaluates it with a Chebyshev fit of erfc (ten coefficients, relative error below
# :math:`1.2\times10^{-7}`). Its readable version ends with
# ``np.where(x >= 0, 1 - p, p)``; the fast one writes every step into buffers it already
# holds and replaces that ``where`` by arithmetic, :math:`\Phi(x) = p + [x \ge 0](1 - 2p)`,
# which keeps the lower tail exact (there the result is :math:`p` itself).
import time

from abinitio.ops.activation import _reference_normal_cdf, normal_cdf

values = np.random.default_rng(0).standard_normal((512, 512)).astype(np.float32)


def median_ms(fn, repeat=7):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(values)
        times.append(time.perf_counter() - start)
    return 1e3 * sorted(times)[repeat // 2]


print(f"reference Phi: {median_ms(_reference_normal_cdf):.2f} ms")
print(f"fast Phi:      {median_ms(normal_cdf):.2f} ms")
print("largest difference:", np.abs(normal_cdf(values) - _reference_normal_cdf(values)).max())

# %%
# The same idea, again and again, in the other kernels of this release:
#
# * **layer norm** views its input as rows and sums them with one matrix-vector product
#   (BLAS), four times faster than ``mean(axis=-1)`` on 128-wide rows;
# * **batch norm**'s backward works on (channels, everything else) rows when the input
#   lies batch innermost, as convolutions leave it, and takes the two sums of its
#   three-term formula from the weight and bias gradients it computes anyway;
# * **softmax** exponentiates in place and its backward is
#   :math:`y \odot (g - \langle g, y\rangle)`: two passes instead of four.

# %%
# Both cores for the work BLAS does not do
# ----------------------------------------
# A matrix product runs on every core (BLAS has its own threads), but an elementwise
# kernel runs on one. NumPy releases the GIL inside its loops, so the same NumPy code on
# two halves of the batch, run by two threads, does use two cores. ``abinitio.ops.parallel``
# does this for the kernels where it pays: max pooling, the fused spiking layer's time
# loop, exact and tanh GELU, softmax. Every element gets the same operations as in one
# piece, so the numbers are bit-equal to one thread. Handing work to a thread costs tens
# of microseconds (a thread's wake-up), so a kernel is split only when each thread gets
# enough work to hide it, about 150 us (``MIN_WORK`` element operations). The count
# follows ``abinitio.set_num_threads``, as PyTorch's follows ``torch.set_num_threads``.
from abinitio.ops import parallel

parts = []
wide = np.random.default_rng(1).standard_normal((64, 16384)).astype(np.float32)
small = wide[:2, :64]
for name, x in (("large", wide), ("small", small)):
    slices = parallel.batch_slices(len(x), 20 * x.size)  # GELU makes about 20 passes
    print(f"{name} {x.shape}: {len(slices)} part(s) on {ab.threads.intra_op_threads()} thread(s)")

threads = ab.threads.intra_op_threads()
split = ab.nn.functional.gelu(ab.tensor(wide)).numpy()
ab.set_num_threads(1)
whole = ab.nn.functional.gelu(ab.tensor(wide)).numpy()
ab.set_num_threads(threads)
print("bit-equal to one thread:", np.array_equal(split, whole))

# %%
# Where BLAS's own threads cannot help: a sum over a long axis into a small result. BLAS
# splits a product over the rows and columns of its output, never over the summed axis,
# so a convolution's weight gradient, dL/dW^T = sum over output positions of X_p G_p^T (a
# few hundred by a few dozen, summed over millions of positions), runs on one core.
# ``parallel.split_reduction`` cuts the positions between the threads instead, each
# product on one BLAS thread, and adds the partial sums in a fixed order: the same result
# on every run, equal to the one-thread sum up to rounding. It pays only for large sums
# (the convolution splits above 2^31 multiply-adds): waking a thread and handing over the
# GIL cost tens to hundreds of microseconds, and right after a two-thread product BLAS's
# worker still spins on the other core for a while.

# %%
# Measure the result the honest way: each framework in a process of its own (a program
# runs one; in a shared process PyTorch's idle OpenMP workers keep spinning), one driver
# timing them in interleaved rounds, medians of per-round ratios, at one and at two
# threads, on a named CPU. That is ``benchmarks/bench_train.py``
# (``python benchmarks/bench_train.py --readme README.md`` regenerates the README's table),
# and ``python benchmarks/profile_workload.py resnet8`` prints this table for any of its
# workloads.
#
# Related topics
# --------------
# * :ref:`article-backpropagation`: the forward and backward passes being timed
# * :ref:`article-activation_functions`: GELU and its derivative
# * :ref:`article-training_loop`: the loop a profile usually wraps
