"""Both cores for elementwise work: a kernel run on slices of its batch, one per thread.

BLAS already spreads a matrix product over every core, but everything else NumPy does
(ReLU, pooling, GELU's polynomial, a spiking layer's time loop) runs on one. NumPy
releases the GIL inside its loops, so the same NumPy code run on two halves of the batch
by two threads does run on two cores. Splitting changes no number: every element is
computed by the same operations as in one piece, only by another thread, so the results
are bit-equal to the one-thread path (tested).

When it pays: handing a slice to a pool thread and waiting for it cost 30-60 us on the
2-core machine (measured, 2026-12-03; a thread's wake-up on a virtual machine), the time of
about 300,000 float32 additions. So a kernel is split only when its work, counted in
element operations (elements times passes over them), is at least ``MIN_WORK`` per thread,
about 150 us; below that it runs in one piece on the calling thread. The calling thread
always takes the last slice itself.

How many threads: :func:`abinitio.set_num_threads` (as ``torch.set_num_threads``), else
``OMP_NUM_THREADS`` or ``OPENBLAS_NUM_THREADS`` if set, else the CPUs this process may
run on (:func:`abinitio.threads.intra_op_threads`). With one thread nothing is split.

A forked child (a DataLoader worker, a federated ClientApp) does not inherit the parent's
pool threads, so the pool is dropped at fork and the child makes its own when it needs one.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from abinitio.threads import blas_libraries, intra_op_threads, one_blas_thread

MIN_WORK = 1 << 20  # element operations per thread: about 150 us, 3-5 hand-offs' worth

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_lock = threading.Lock()


def _executor(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size != workers:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(workers, thread_name_prefix="abinitio-intra-op")
            _pool_size = workers
        return _pool


def _forget_pool() -> None:
    global _pool, _pool_size
    _pool, _pool_size = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def batch_slices(n: int, work: int) -> list[slice]:
    """Consecutive slices covering ``range(n)``, one per thread that pays: ``work`` is the
    whole kernel's, in element operations, shared evenly by the n items."""
    threads = min(intra_op_threads(), n, work // MIN_WORK)
    if threads <= 1:
        return [slice(0, n)]
    bounds = [n * i // threads for i in range(threads + 1)]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]


def over_batch(kernel, n: int, work: int) -> None:
    """Call ``kernel(s)`` for the slices of :func:`batch_slices`, concurrently; ``kernel``
    must write its results into arrays it was given (it returns nothing), and slices must
    not share outputs. An exception in any slice is raised here, after all have finished."""
    slices = batch_slices(n, work)
    if len(slices) == 1:
        kernel(slices[0])
        return
    pool = _executor(len(slices) - 1)
    futures = [pool.submit(kernel, s) for s in slices[:-1]]
    try:
        kernel(slices[-1])
    finally:
        for future in futures:
            future.result()


def over_outer_axis(kernel, a, axes, work: int) -> None:
    """:func:`over_batch` for a kernel on an array ``a`` that is independent along each of
    ``axes`` (the batch and channel axes of an image, every axis but a softmax's):
    ``kernel(index)`` with ``index`` a tuple that cuts the one of ``axes`` outermost in
    memory (so each part is few long runs) and keeps the others whole."""
    axes = [k for k in axes if a.shape[k] > 1]
    if not axes:
        kernel((Ellipsis,))
        return
    axis = max(axes, key=lambda k: abs(a.strides[k]))
    head = (slice(None),) * axis
    over_batch(lambda s: kernel((*head, s)), a.shape[axis], work)


def elementwise(kernel, passes: int, out, *inputs) -> None:
    """``kernel(out_part, *input_parts)`` on matching parts of C-contiguous arrays of one
    shape, cut along their flattened order (each part a contiguous run of memory); the
    kernel makes about ``passes`` passes over its part. Arrays
    that are not all C-contiguous go to ``kernel`` whole (a reshape would copy them)."""
    if not all(a.flags.c_contiguous for a in (out, *inputs)):
        kernel(out, *inputs)
        return
    flat_out = out.reshape(-1)
    flat_inputs = [a.reshape(-1) for a in inputs]

    def part(s):
        kernel(flat_out[s], *(a[s] for a in flat_inputs))

    over_batch(part, flat_out.size, flat_out.size * passes)


def split_reduction(partial, items: list, work: int, min_work: int) -> list:
    """``partial(part)`` on consecutive parts of ``items``, one part per thread, each with
    BLAS on one thread; the partial results in order, for the caller to add up.

    For sums that BLAS cannot spread over cores: BLAS splits a product over the rows and
    columns of its output, never over the summed axis, so a small result summed over a
    long axis (a convolution's weight gradient, summed over every output position) runs on
    one core. Cut the long axis instead. The parts' sums are added in a fixed order, so the
    result is the same on every run, but not bit-equal to the one-thread sum (rounding).
    Below ``min_work`` (multiply-adds, measured per use) BLAS's own threads do better, and
    without threadpoolctl (which sets BLAS's thread count) nothing is split.
    """
    threads = min(intra_op_threads(), len(items))
    if threads <= 1 or work < min_work or not blas_libraries():
        return [partial(items)]
    bounds = [len(items) * i // threads for i in range(threads + 1)]
    parts = [items[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    with one_blas_thread():
        pool = _executor(threads - 1)
        futures = [pool.submit(partial, part) for part in parts[:-1]]
        try:
            last = partial(parts[-1])
        finally:
            results = [future.result() for future in futures]
    return [*results, last]
