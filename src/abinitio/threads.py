"""PyTorch's process-wide switches that programs set at start-up.

* ``set_num_threads(n)`` / ``get_num_threads()``: the threads NumPy's BLAS uses (through
  ``threadpoolctl`` when it is installed; otherwise the setting is remembered and BLAS
  keeps its own, set by ``OPENBLAS_NUM_THREADS`` before start-up).
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

import os

_settings = {"threads": None, "precision": "highest", "deterministic": False}


def set_num_threads(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    _settings["threads"] = n
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(n, user_api="blas")


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
