"""PyTorch's process-wide switches that programs set at start-up.

* ``set_num_threads(n)`` / ``get_num_threads()``: the threads NumPy's BLAS uses (through
  ``threadpoolctl`` when it is installed; otherwise the setting is remembered and BLAS
  keeps its own, set by ``OPENBLAS_NUM_THREADS`` before start-up), and the threads
  abinitio's own elementwise kernels split their work over (``intra_op_threads``).
* ``set_float32_matmul_precision`` and ``use_deterministic_algorithms`` are accepted:
  abinitio's float32 products are always full float32, and its operations are
  deterministic on the CPU.

Example:
    >>> import abinitio as ab
    >>> ab.set_float32_matmul_precision("high")
    >>> ab.get_float32_matmul_precision()
    'high'
"""

from __future__ import annotations

import contextlib
import os

_settings = {"threads": None, "precision": "highest", "deterministic": False, "default": None,
             "blas": None}  # "blas": threadpoolctl's BLAS controllers, once found


def set_num_threads(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    _settings["threads"] = n
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(n, user_api="blas")


def intra_op_threads() -> int:
    """The threads abinitio's own kernels split work over (``ops.parallel``): the count
    given to :func:`set_num_threads`, else ``OMP_NUM_THREADS`` or ``OPENBLAS_NUM_THREADS``
    when set (as PyTorch reads ``OMP_NUM_THREADS``), else the CPUs this process may use.
    Read once and kept: it is asked for by every large elementwise kernel."""
    if _settings["threads"] is not None:
        return _settings["threads"]
    if _settings["default"] is None:
        _settings["default"] = _default_threads()
    return _settings["default"]


def _default_threads() -> int:
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        value = os.environ.get(variable, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def blas_libraries() -> tuple:
    """threadpoolctl's controllers of the BLAS libraries loaded in this process, found once
    and kept (each sets its thread count with one C call); () without threadpoolctl."""
    if _settings.get("blas") is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _settings["blas"] = ()
        else:
            blas = ThreadpoolController().select(user_api="blas")
            _settings["blas"] = tuple(blas.lib_controllers)
    return _settings["blas"]


@contextlib.contextmanager
def one_blas_thread():
    """BLAS on one thread inside the block, as it was after it: for code that runs its own
    products on several threads at once (:func:`abinitio.ops.parallel.split_reduction`)."""
    libraries = blas_libraries()
    before = [library.num_threads for library in libraries]
    for library in libraries:
        library.set_num_threads(1)
    try:
        yield
    finally:
        for library, count in zip(libraries, before):
            library.set_num_threads(count)


def get_num_threads() -> int:
    if _settings["threads"] is not None:
        return _settings["threads"]
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts) if counts else 1


def set_float32_matmul_precision(precision: str) -> None:
    if precision not in ("highest", "high", "medium"):
        raise ValueError(f"set_float32_matmul_precision: expected highest, high or medium, got {precision!r}")
    _settings["precision"] = precision


def get_float32_matmul_precision() -> str:
    return _settings["precision"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    _settings["deterministic"] = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _settings["deterministic"]
