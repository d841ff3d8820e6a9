"""``torch.backends.cudnn``: flags accepted for compatibility; CuPy chooses its own kernels."""

from abinitio.devices import gpu_available

benchmark = False
deterministic = False
enabled = True
allow_tf32 = False


def is_available() -> bool:
    return gpu_available()
