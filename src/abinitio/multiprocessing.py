"""``torch.multiprocessing``: Python's :mod:`multiprocessing`, under PyTorch's name.

PyTorch adds shared-memory tensors to it (a tensor sent to another process is moved into
shared memory). abinitio does not: a tensor sent through a ``Queue`` or ``Pipe`` is copied
(pickled in memory, never to a file), so a child process that changes it changes its own
copy. Everything else (``Process``, ``Pool``, ``Queue``, ``get_context``,
``set_start_method``, :func:`spawn`) is the standard library's.

Example:
    >>> import abinitio as ab
    >>> ab.multiprocessing.cpu_count() >= 1
    True
"""

from __future__ import annotations

import multiprocessing as _mp
from multiprocessing import (  # noqa: F401  (re-exported under PyTorch's names)
    Array,
    Barrier,
    Event,
    Lock,
    Manager,
    Pipe,
    Pool,
    Process,
    Queue,
    SimpleQueue,
    Value,
    cpu_count,
    current_process,
    get_all_start_methods,
    get_context,
    get_start_method,
    set_start_method,
)

__all__ = ["Array", "Barrier", "Event", "Lock", "Manager", "Pipe", "Pool", "Process", "Queue",
           "SimpleQueue", "Value", "cpu_count", "current_process", "get_all_start_methods",
           "get_context", "get_start_method", "set_start_method", "spawn"]  # fmt: skip


def spawn(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn"):  # fmt: skip
    """Start ``nprocs`` processes running ``fn(i, *args)`` (``i`` = 0 … nprocs-1), as
    ``torch.multiprocessing.spawn`` does; with ``join``, wait and raise if any failed."""
    context = _mp.get_context(start_method)
    processes = [context.Process(target=fn, args=(i, *args), daemon=daemon) for i in range(nprocs)]
    for process in processes:
        process.start()
    if not join:
        return processes
    for process in processes:
        process.join()
    failed = [(i, p.exitcode) for i, p in enumerate(processes) if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"spawn: process(es) exited with errors (index, exit code): {failed}")
    return None
