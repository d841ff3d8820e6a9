"""Layers that change the spatial resolution: PixelShuffle, PixelUnshuffle, Upsample."""

from __future__ import annotations

from abinitio.nn import functional as F
from abinitio.nn.modules.module import Module


class PixelShuffle(Module):
    """(N, C r², H, W) -> (N, C, H r, W r): sub-pixel upsampling (Shi et al. 2016), see
    :func:`abinitio.nn.functional.pixel_shuffle`.

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = int(upscale_factor)

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(N, C, H r, W r) -> (N, C r², H, W), the inverse of :class:`PixelShuffle`.

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = int(downscale_factor)

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)


class Upsample(Module):
    """Resize by size or scale_factor with :func:`abinitio.nn.functional.interpolate`
    (mode nearest, linear, bilinear or trilinear).

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners=None) -> None:  # fmt: skip
        super().__init__()
        self.size, self.scale_factor = size, scale_factor
        self.mode, self.align_corners = mode, align_corners

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self) -> str:
        return f"size={self.size}, scale_factor={self.scale_factor}, mode={self.mode!r}"
