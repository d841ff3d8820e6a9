"""``torch.accelerator``: the device-neutral way to ask for a GPU.

abinitio's one accelerator is an NVIDIA GPU through CuPy; without CuPy there is none.

Example:
    >>> import abinitio as ab
    >>> device = ab.accelerator.current_accelerator() if ab.accelerator.is_available() else "cpu"
    >>> ab.ones(1, device=device).device
    'cpu'
"""

from __future__ import annotations

from abinitio.devices import device, gpu_available


def is_available() -> bool:
    return gpu_available()


def current_accelerator(check_available: bool = False):
    """``device("cuda")`` when a GPU is usable, otherwise ``None`` (as PyTorch on a CPU-only
    machine)."""
    return device("cuda") if gpu_available() else None


def device_count() -> int:
    from abinitio import cuda

    return cuda.device_count()


def synchronize(device=None) -> None:
    from abinitio import cuda

    cuda.synchronize()
