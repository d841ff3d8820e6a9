"""``torchvision.transforms``' basics: the names, arguments and semantics of torchvision.

The Pillow work is :mod:`abinitio.data.transforms`' (the image pipeline of
``abinitio train --dataset images:DIR``); the classes here extend it to torchvision's
exact contract:

==========================  ===========================================================
transform                   what it does to one sample (PIL image or (C, H, W) Tensor)
==========================  ===========================================================
Compose([f, g])              g(f(x))
ToTensor()                   (H, W, C) 0..255 -> float32 (C, H, W) = value / 255
Normalize(mean, std)         x[c] = (x[c] - mean[c]) / std[c], on (..., C, H, W)
Resize(size)                 an int: the shorter side becomes ``size``, the aspect kept;
                             (h, w): exactly that. Bilinear, antialiased (Pillow's)
CenterCrop(size)             cut the central ``size`` window (zero-padded if too small)
RandomCrop(size, padding)    pad (``fill``), cut a uniformly placed ``size`` window
RandomHorizontalFlip(p)      mirror left-right with probability p
Lambda(f)                    f(x)
==========================  ===========================================================

Random transforms draw from abinitio's generator (``ab.manual_seed`` repeats them), not
from torch's: the same seed gives other crops than torchvision does.

Example:
    >>> import numpy as np
    >>> from PIL import Image
    >>> image = Image.fromarray(np.full((4, 6), 51, dtype=np.uint8))  # 6 wide, 4 high
    >>> pipeline = Compose([Resize(2), ToTensor(), Normalize([0.5], [0.5])])
    >>> x = pipeline(image)
    >>> x.shape, round(float(x[0, 0, 0]), 3)  # (51 / 255 - 0.5) / 0.5
    ((1, 2, 3), -0.6)
"""

from __future__ import annotations

import numpy as np

from abinitio.data import transforms as _base
from abinitio.random import numpy_generator
from abinitio.tensor import Tensor

Compose = _base.Compose


def _is_image(x) -> bool:
    return hasattr(x, "getbands")  # a Pillow image, without importing Pillow


def _size(x) -> tuple[int, int]:
    """(height, width) of a PIL image or a (..., H, W) Tensor / array."""
    if _is_image(x):
        return x.height, x.width
    return tuple(np.shape(x.array if isinstance(x, Tensor) else x)[-2:])


def _array(x) -> np.ndarray:
    return x.array if isinstance(x, Tensor) else np.asarray(x)


class ToTensor(_base.ToTensor):
    """A PIL image or a NumPy (H, W, C) array -> a (C, H, W) Tensor; 8-bit values (a PIL
    image of mode L, RGB, ... or a uint8 array) are divided by 255, others are kept
    (torchvision's rule).

    See the article docs/articles/data/vision_datasets.py.
    """

    def __call__(self, pic) -> Tensor:
        if _is_image(pic) and pic.mode not in ("I", "I;16", "F"):
            return super().__call__(pic)
        array = np.asarray(pic)
        if array.ndim not in (2, 3):
            raise ValueError(f"ToTensor: expected an (H, W) or (H, W, C) image, got shape "
                             f"{array.shape}")  # fmt: skip
        array = array[:, :, None] if array.ndim == 2 else array
        array = np.ascontiguousarray(array.transpose(2, 0, 1))
        if array.dtype == np.uint8:
            array = array.astype(np.float32) / 255
        return Tensor._make(array, False, None)


class Normalize(_base.Normalize):
    """x[..., c, :, :] = (x[..., c, :, :] - mean[c]) / std[c] on a float Tensor
    (C, H, W) or a batch (N, C, H, W); ``inplace=True`` writes into x's array.

    See the article docs/articles/data/vision_datasets.py.
    """

    def __init__(self, mean, std, inplace: bool = False) -> None:
        super().__init__(mean, std)
        self.inplace = inplace

    def __call__(self, tensor) -> Tensor:
        if not isinstance(tensor, Tensor) or tensor.ndim < 3 or tensor.dtype.kind != "f":
            got = (f"a {tensor.dtype} Tensor of shape {tensor.shape}"
                   if isinstance(tensor, Tensor) else type(tensor).__name__)  # fmt: skip
            raise TypeError(f"Normalize: expected a float Tensor (..., C, H, W) (use ToTensor "
                            f"first), got {got}")  # fmt: skip
        array = tensor.array
        channels = array.shape[-3]
        if self.mean.size not in (1, channels):
            raise ValueError(f"Normalize: {self.mean.size} channel statistics for an image "
                             f"with {channels} channels")  # fmt: skip
        mean, std = self.mean.astype(array.dtype), self.std.astype(array.dtype)
        if self.inplace:
            array -= mean
            array /= std
            return tensor
        return Tensor._make((array - mean) / std, False, None)


class Resize(_base.Resize):
    """Resample to ``size``: an int makes the *shorter* side ``size`` and keeps the aspect
    ratio (the longer side becomes int(size * long / short)); (h, w) is exact. PIL images
    use Pillow's antialiased bilinear filter; Tensors (C, H, W) go through it channel by
    channel, as float images.

    Args:
        size: an int or (height, width).
        max_size: with an int ``size``, the longest the longer side may get.

    See the article docs/articles/data/vision_datasets.py.
    """

    def __init__(self, size, interpolation="bilinear", max_size: int | None = None,
                 antialias: bool = True) -> None:  # fmt: skip
        if isinstance(size, (list, tuple)) and len(size) == 1:
            size = size[0]
        self.requested, self.max_size = size, max_size
        if isinstance(size, int):
            if size <= 0:
                raise ValueError(f"Resize: size must be positive, got {size}")
            self.size = None
        else:
            super().__init__(size)
        if str(interpolation).lower().rsplit(".", 1)[-1] != "bilinear":
            raise ValueError(f"Resize: only bilinear interpolation, got {interpolation!r}")

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        if self.size is not None:
            return self.size
        short, long = sorted((height, width))
        new_short, new_long = self.requested, int(self.requested * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if height <= width else (new_long, new_short)

    def __call__(self, image):
        from PIL import Image

        height, width = self.output_size(*_size(image))
        if _is_image(image):
            return image.resize((width, height), Image.BILINEAR)
        array = _array(image)
        planes = array.reshape(-1, *array.shape[-2:]).astype(np.float32)
        resized = [np.asarray(Image.fromarray(p, "F").resize((width, height), Image.BILINEAR))
                   for p in planes]  # fmt: skip
        out = np.stack(resized).reshape(*array.shape[:-2], height, width).astype(array.dtype)
        return Tensor._make(out, False, None)

    def __repr__(self) -> str:
        return f"Resize(size={self.requested}, max_size={self.max_size})"


class RandomCrop(_base.RandomCrop):
    """Pad, then cut a ``size`` window at a uniformly random position.

    Args:
        size: an int (square) or (height, width).
        padding: pixels added first: an int (every side), (left/right, top/bottom) or
            (left, top, right, bottom), torchvision's order.
        pad_if_needed: pad an image smaller than ``size`` up to it.
        fill: the value of padded pixels (``padding_mode="constant"``, the only mode).

    See the article docs/articles/data/vision_datasets.py.
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant", generator=None) -> None:  # fmt: skip
        super().__init__(size, 0, generator)
        if padding_mode != "constant":
            raise ValueError(f"RandomCrop: only padding_mode='constant', got {padding_mode!r}")
        self.padding, self.pad_if_needed, self.fill = padding, pad_if_needed, fill
        self.borders = _borders(padding)

    def __call__(self, image):
        height, width = self.size
        left, top, right, bottom = self.borders
        h, w = _size(image)
        if self.pad_if_needed:
            grow_w, grow_h = max(width - (w + left + right), 0), max(height - (h + top + bottom), 0)
            left, right, top, bottom = left + grow_w, right + grow_w, top + grow_h, bottom + grow_h
        image = _pad(image, (left, top, right, bottom), self.fill)
        h, w = _size(image)
        if h < height or w < width:
            raise ValueError(f"RandomCrop: the image is {h}x{w} after padding, smaller "
                             f"than the crop {height}x{width}")  # fmt: skip
        rng = numpy_generator(self.generator)
        i, j = int(rng.integers(0, h - height + 1)), int(rng.integers(0, w - width + 1))
        if _is_image(image):
            return image.crop((j, i, j + width, i + height))
        return Tensor._make(_array(image)[..., i : i + height, j : j + width].copy(), False, None)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


def _borders(padding) -> tuple[int, int, int, int]:
    """torchvision's padding forms -> (left, top, right, bottom)."""
    if padding is None:
        return 0, 0, 0, 0
    if isinstance(padding, int):
        return (padding,) * 4
    padding = tuple(int(p) for p in padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return padding + padding
    if len(padding) == 4:
        return padding
    raise ValueError(f"RandomCrop: padding must be an int or 1, 2 or 4 ints, got {padding}")


def _pad(image, borders, fill):
    left, top, right, bottom = borders
    if not any(borders):
        return image
    if _is_image(image):
        from PIL import Image

        grown = Image.new(image.mode, (image.width + left + right, image.height + top + bottom),
                          fill)  # fmt: skip
        grown.paste(image, (left, top))
        return grown
    array = _array(image)
    widths = [(0, 0)] * (array.ndim - 2) + [(top, bottom), (left, right)]
    return Tensor._make(np.pad(array, widths, constant_values=fill), False, None)


class CenterCrop:
    """Cut the central ``size`` window: top = round((H - h) / 2), left = round((W - w) / 2);
    an image smaller than ``size`` is first padded with zeros on both sides (torchvision's
    rule). PIL images or Tensors (..., H, W).

    See the article docs/articles/data/vision_datasets.py.
    """

    def __init__(self, size) -> None:
        if isinstance(size, (list, tuple)) and len(size) == 1:
            size = size[0]
        self.size = _base._pair(size)

    def __call__(self, image):
        height, width = self.size
        h, w = _size(image)
        if h < height or w < width:
            grow_h, grow_w = max(height - h, 0), max(width - w, 0)
            image = _pad(image, (grow_w // 2, grow_h // 2, (grow_w + 1) // 2,
                                 (grow_h + 1) // 2), 0)  # fmt: skip
            h, w = _size(image)
        top, left = int(round((h - height) / 2.0)), int(round((w - width) / 2.0))
        if _is_image(image):
            return image.crop((left, top, left + width, top + height))
        window = _array(image)[..., top : top + height, left : left + width]
        return Tensor._make(window.copy(), False, None)

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class RandomHorizontalFlip(_base.RandomHorizontalFlip):
    """Mirror left-right with probability ``p``: a PIL image, or a Tensor's last axis.

    See the article docs/articles/data/vision_datasets.py.
    """

    def __call__(self, image):
        if _is_image(image):
            return super().__call__(image)
        if numpy_generator(self.generator).random() < self.p:
            return Tensor._make(_array(image)[..., ::-1].copy(), False, None)
        return image


class Lambda:
    """A user function as a transform: ``Lambda(lambda x: x * 2)(x) = x * 2``.

    See the article docs/articles/data/vision_datasets.py.
    """

    def __init__(self, lambd) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: expected a callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)

    def __repr__(self) -> str:
        return f"Lambda({getattr(self.lambd, '__name__', repr(self.lambd))})"


__all__ = [
    "CenterCrop",
    "Compose",
    "Lambda",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "Resize",
    "ToTensor",
]
