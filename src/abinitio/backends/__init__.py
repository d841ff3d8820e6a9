"""``torch.backends``: the flags programs set and the availability checks they make.

abinitio has one CPU backend (NumPy with its BLAS) and one GPU backend (CuPy), so the
switches here change nothing: ``cudnn.benchmark = True`` is accepted and has no effect,
and ``mps.is_available()`` is False (abinitio has no Apple-GPU backend).

Example:
    >>> import abinitio as ab
    >>> ab.backends.mps.is_available(), ab.backends.cudnn.is_available() == ab.cuda.is_available()
    (False, True)
"""

from abinitio.backends import cuda, cudnn, mkldnn, mps

__all__ = ["cuda", "cudnn", "mkldnn", "mps"]
