"""``device``: where a tensor's memory lives, named as PyTorch names it.

abinitio computes with NumPy on the CPU, or with CuPy on an NVIDIA GPU when CuPy is
installed (see :mod:`abinitio.backend`). ``ab.device("cuda" if ab.cuda.is_available() else
"cpu")`` is the set-up line of most PyTorch programs, and it works here unchanged: without
CuPy, ``ab.cuda.is_available()`` is False and the program picks the CPU.
"""

from __future__ import annotations


class device(str):
    """A device name, ``"cpu"`` or ``"cuda"`` (with an optional index, ``"cuda:0"``).

    It *is* the string (a ``str`` subclass), so it compares equal to ``"cpu"`` and goes
    wherever abinitio takes a device string; ``.type`` and ``.index`` are PyTorch's.

    Args:
        type: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, or another ``device``.
        index: the device number, if not in ``type``.

    Example:
        >>> import abinitio as ab
        >>> d = ab.device("cuda" if ab.cuda.is_available() else "cpu")
        >>> d.type, ab.zeros(2, device=d).device == d
        ('cpu', True)

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __new__(cls, type="cpu", index: int | None = None):
        if isinstance(type, device):
            return type
        if isinstance(type, int) and not isinstance(type, bool):  # torch.device(0)
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a name such as 'cpu' or 'cuda:0', got {type!r}")
        kind, _, number = type.partition(":")
        if kind not in ("cpu", "cuda", "mps", "meta", "xpu"):
            raise RuntimeError(
                f"device: expected one of cpu, cuda, mps, meta, xpu (optionally ':N'), got {type!r}"
            )
        if number:
            index = int(number)
        name = kind if index is None else f"{kind}:{index}"
        self = super().__new__(cls, name)
        self._type, self._index = kind, index
        return self

    @property
    def type(self) -> str:
        return self._type

    @property
    def index(self) -> int | None:
        return self._index

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            mine, theirs = str(self), str(other)
            return mine == theirs or mine.split(":")[0] == theirs == "cuda" and self._index in (0, None)
        return NotImplemented

    __hash__ = str.__hash__

    def __repr__(self) -> str:
        index = "" if self._index is None else f", index={self._index}"
        return f"device(type='{self._type}'{index})"


def gpu_available() -> bool:
    """True when CuPy imports and sees at least one GPU (abinitio's only accelerator)."""
    try:
        import cupy
    except ImportError:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # CuPy installed but no driver or no GPU
        return False
