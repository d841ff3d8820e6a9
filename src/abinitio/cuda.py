"""``torch.cuda``'s set-up functions, telling the truth about abinitio's GPU support.

abinitio runs on an NVIDIA GPU through CuPy (``pip install cupy-cuda12x``); without it,
``is_available()`` is False, ``device_count()`` is 0, and ``tensor.cuda()`` raises an error
that says how to get CuPy. The seeding and synchronising calls that programs make
unconditionally are harmless no-ops where there is nothing to do.

Example:
    >>> import abinitio as ab
    >>> ab.cuda.is_available() == (ab.cuda.device_count() > 0)
    True
"""

from __future__ import annotations

from abinitio.devices import gpu_available


def is_available() -> bool:
    """True when CuPy is installed and sees a GPU."""
    return gpu_available()


def device_count() -> int:
    if not gpu_available():
        return 0
    import cupy

    return int(cupy.cuda.runtime.getDeviceCount())


def current_device() -> int:
    _require("current_device")
    import cupy

    return int(cupy.cuda.runtime.getDevice())


def get_device_name(device=None) -> str:
    _require("get_device_name")
    import cupy

    index = 0 if device is None else int(str(device).rpartition(":")[2] or 0)
    return cupy.cuda.runtime.getDeviceProperties(index)["name"].decode()


def synchronize(device=None) -> None:
    """Wait for the GPU to finish its queued work (nothing to wait for on the CPU)."""
    if gpu_available():
        import cupy

        cupy.cuda.Device().synchronize()


def empty_cache() -> None:
    if gpu_available():
        import cupy

        cupy.get_default_memory_pool().free_all_blocks()


def manual_seed(seed: int) -> None:
    """Seeds abinitio's one generator (it serves the CPU and the GPU)."""
    from abinitio.random import manual_seed as seed_all

    seed_all(seed)


manual_seed_all = manual_seed


def is_bf16_supported() -> bool:
    return False


def _require(what: str) -> None:
    if not gpu_available():
        raise RuntimeError(
            f"cuda.{what}(): no GPU is available to abinitio (it needs CuPy and an NVIDIA GPU: "
            "pip install cupy-cuda12x); check ab.cuda.is_available() first"
        )
