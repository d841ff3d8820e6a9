"""``torch.backends.cuda``: flags accepted for compatibility (no effect in abinitio)."""

import types

from abinitio.devices import gpu_available

matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=False)


def is_built() -> bool:
    return gpu_available()
