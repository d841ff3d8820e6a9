"""Padding layers under PyTorch's names, each a call to :func:`abinitio.nn.functional.pad`."""

from __future__ import annotations

from abinitio.nn import functional as F
from abinitio.nn.modules.module import Module


class _Pad(Module):
    mode, dims = "constant", 2

    def __init__(self, padding, value: float = 0.0) -> None:
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self.dims)
        if len(padding) != 2 * self.dims:
            raise ValueError(
                f"{type(self).__name__}: expected an int or {2 * self.dims} widths, got {padding}"
            )
        self.padding, self.value = tuple(int(p) for p in padding), value

    def forward(self, input):
        return F.pad(input, self.padding, self.mode, self.value)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_Pad):
    """Pad the last dim with its mirror image (the edge not repeated): (left, right).

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    mode, dims = "reflect", 1


class ReflectionPad2d(_Pad):
    """Pad the last two dims with their mirror image: (left, right, top, bottom). Image
    networks (CycleGAN, style transfer) use it to avoid the dark borders of zero padding.

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    mode, dims = "reflect", 2


class ReplicationPad2d(_Pad):
    """Pad the last two dims by repeating the edge pixels: (left, right, top, bottom).

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    mode, dims = "replicate", 2


class ZeroPad2d(_Pad):
    """Pad the last two dims with zeros: (left, right, top, bottom).

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """


class ConstantPad2d(_Pad):
    """Pad the last two dims with value: (left, right, top, bottom).

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding, value)
