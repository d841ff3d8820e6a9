"""Which array library holds a tensor's numbers: NumPy by default, CuPy when asked.

Every primitive in :mod:`abinitio.ops` is written against NumPy's API, and stays correct
for any array library that implements NumPy's dispatch protocols (``__array_ufunc__`` and
``__array_function__``): ``np.exp(x)`` on a CuPy array runs CuPy's kernel and returns a
CuPy array. Two rules keep that true, and every op follows them:

* allocate from an existing array (``np.zeros_like(x, shape=...)``), never ``np.zeros(shape)``;
* where NumPy's spelling does not dispatch (``ascontiguousarray``, ``as_strided``,
  ``np.add.at``), go through :func:`contiguous`, :func:`as_strided` and
  :func:`scatter_add`, the places where the libraries differ.

``tests/ops/test_array_module.py`` holds every primitive to these rules, with a stand-in
array type that, like CuPy's, refuses to be mixed with NumPy arrays.
"""

from __future__ import annotations

import ctypes
import os
import sys

import numpy as np


def _is_cupy(array) -> bool:
    return type(array).__module__.startswith("cupy")


def get_array_module(array):
    """Return the module (``numpy`` or ``cupy``) whose array type ``array`` is.

    Example:
        >>> get_array_module(np.ones(3)) is np
        True
    """
    if _is_cupy(array):
        import cupy

        return cupy
    return np


def to_numpy(array) -> np.ndarray:
    """Return ``array`` as a NumPy array (a copy from the GPU for CuPy arrays)."""
    if _is_cupy(array):
        return array.get()
    return np.asarray(array)


def device_of(array) -> str:
    """``"cuda"`` for CuPy arrays, ``"cpu"`` for everything else."""
    return "cuda" if _is_cupy(array) else "cpu"


def to_device(array, device: str):
    """Move ``array`` to ``device`` (``"cpu"`` or ``"cuda"``); a no-op when it is there."""
    device = str(device).split(":")[0]
    if device == "cpu":
        return to_numpy(array)
    if device == "cuda":
        try:
            import cupy
        except ImportError as error:
            raise RuntimeError(
                "device 'cuda' needs CuPy: pip install cupy-cuda12x (and an NVIDIA GPU)"
            ) from error
        return cupy.asarray(array)
    raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")


def contiguous(array):
    """``array`` itself when it is C-contiguous, else a C-contiguous copy, in its own library
    (``np.ascontiguousarray`` would turn a CuPy array into a NumPy one, or fail)."""
    return array if array.flags.c_contiguous else array.copy(order="C")


def as_strided(array, shape, strides):
    """A read-only view of ``array``'s memory with the given shape and byte strides."""
    if _is_cupy(array):
        import cupy

        return cupy.lib.stride_tricks.as_strided(array, shape, strides)
    return np.lib.stride_tricks.as_strided(array, shape, strides, subok=True, writeable=False)


def scatter_add(target, index, values) -> None:
    """``target[index] += values`` where repeated indices accumulate (unlike ``+=``)."""
    if _is_cupy(target):
        import cupyx

        cupyx.scatter_add(target, index, values)
    else:
        np.add.at(target, index, values)


def keep_freed_memory() -> bool:
    """Ask glibc to keep large freed blocks for reuse instead of returning them to the OS.

    By default glibc serves blocks above 128 KiB with ``mmap`` and gives them back on
    ``free``; the next block of that size then costs one page fault per 4 KiB as the
    kernel zeroes fresh pages. A training step frees and reallocates the same large
    activations and gradients every iteration, so that cost recurs every step (measured
    here: ~2,700 page faults per LeNet step, about 40% of its time). Raising the mmap and
    trim thresholds keeps those blocks in the heap, which is what PyTorch's caching
    allocators achieve too. Memory is not leaked: freed blocks are reused, only not
    returned to the OS while the process runs.

    Called once when abinitio is imported; a no-op (returning False) where the C library
    is not glibc, or when the environment sets ``ABINITIO_SYSTEM_MALLOC=1``.
    """
    if not sys.platform.startswith("linux") or os.environ.get("ABINITIO_SYSTEM_MALLOC") == "1":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    largest_heap_block = 32 * 1024 * 1024  # glibc's ceiling for the mmap threshold
    return bool(mallopt(m_mmap_threshold, largest_heap_block)) and bool(
        mallopt(m_trim_threshold, 1 << 30)
    )
