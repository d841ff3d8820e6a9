"""Image transforms with torchvision's names: resize, augment, convert, normalise.

A transform is a callable applied to one sample as it is loaded; :class:`Compose` chains
them. The geometric ones work on Pillow images (as torchvision's do); :class:`ToTensor`
turns an image into a float32 (C, H, W) Tensor in [0, 1]; :class:`Normalize` then
standardises each channel.

*Augmentation* shows the network a slightly different picture of each sample every epoch
(shifted, mirrored, turned by a few degrees), so that it learns what does not change under
those moves instead of memorising pixels. The random transforms draw from an
``ab.Generator`` (the ``generator`` argument, abinitio's global one by default), so
``ab.manual_seed`` repeats the same augmented epochs; torchvision draws from torch's global
generator instead.

==========================  ====================================================
transform                   what it does to one sample
==========================  ====================================================
Resize(size)                 resample to (h, w) (bilinear)
RandomCrop(size, padding)    pad by ``padding`` (zeros), cut a random size window
RandomHorizontalFlip(p)      mirror left-right with probability p
RandomRotation(degrees)      turn by an angle drawn uniformly from [-d, d]
ToTensor()                   x[c, i, j] = pixel / 255, float32 (C, H, W)
Normalize(mean, std)         x[c] = (x[c] - mean[c]) / std[c]
==========================  ====================================================

Example:
    >>> import numpy as np
    >>> from PIL import Image
    >>> import abinitio as ab
    >>> image = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8))
    >>> pipeline = Compose([RandomCrop(8, padding=2, generator=ab.Generator(0)), ToTensor()])
    >>> x = pipeline(image)
    >>> x.shape, x.dtype
    ((1, 8, 8), dtype('float32'))
"""

from __future__ import annotations

import numpy as np

from abinitio.random import Generator, numpy_generator
from abinitio.tensor import Tensor


def _pair(size) -> tuple[int, int]:
    size = (size, size) if isinstance(size, int) else tuple(size)
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f"expected a positive size or (height, width), got {size}")
    return int(size[0]), int(size[1])


class Compose:
    """Apply ``transforms`` one after the other: Compose([f, g])(x) = g(f(x)).

    See the article docs/articles/data/feature_engineering.py.
    """

    def __init__(self, transforms) -> None:
        self.transforms = list(transforms)

    def __call__(self, x):
        for transform in self.transforms:
            x = transform(x)
        return x

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(map(repr, self.transforms)) + "])"


class Resize:
    """Resample a Pillow image to ``size`` = (height, width) (an int: square), bilinear.

    Unlike torchvision, an int gives a square (torchvision matches the shorter side).

    See the article docs/articles/data/feature_engineering.py.
    """

    def __init__(self, size) -> None:
        self.size = _pair(size)

    def __call__(self, image):
        from PIL import Image

        height, width = self.size
        return image.resize((width, height), Image.BILINEAR)

    def __repr__(self) -> str:
        return f"Resize(size={self.size})"


class RandomCrop:
    """Pad by ``padding`` pixels of zeros on every side, then cut a ``size`` window at a
    random position (uniform over the valid offsets).

    See the article docs/articles/data/feature_engineering.py.
    """

    def __init__(self, size, padding: int = 0, generator: Generator | None = None) -> None:
        self.size, self.padding, self.generator = _pair(size), int(padding), generator

    def __call__(self, image):
        from PIL import ImageOps

        if self.padding:
            image = ImageOps.expand(image, border=self.padding, fill=0)
        height, width = self.size
        if image.height < height or image.width < width:
            raise ValueError(
                f"RandomCrop: the image is {image.height}x{image.width} after padding, "
                f"smaller than the crop {height}x{width}"
            )
        rng = numpy_generator(self.generator)
        top = int(rng.integers(0, image.height - height + 1))
        left = int(rng.integers(0, image.width - width + 1))
        return image.crop((left, top, left + width, top + height))

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror the image left-right with probability ``p``.

    See the article docs/articles/data/feature_engineering.py.
    """

    def __init__(self, p: float = 0.5, generator: Generator | None = None) -> None:
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p, self.generator = p, generator

    def __call__(self, image):
        from PIL import Image

        if numpy_generator(self.generator).random() < self.p:
            return image.transpose(Image.FLIP_LEFT_RIGHT)
        return image

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class RandomRotation:
    """Turn the image about its centre by an angle drawn uniformly from [-degrees,
    degrees] (bilinear; the corners that come into view are black).

    See the article docs/articles/data/feature_engineering.py.
    """

    def __init__(self, degrees: float, generator: Generator | None = None) -> None:
        if degrees < 0:
            raise ValueError(f"RandomRotation: degrees must be >= 0, got {degrees}")
        self.degrees, self.generator = float(degrees), generator

    def __call__(self, image):
        from PIL import Image

        angle = numpy_generator(self.generator).uniform(-self.degrees, self.degrees)
        return image.rotate(float(angle), resample=Image.BILINEAR)

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={self.degrees})"


class ToTensor:
    """A Pillow image (H, W) or (H, W, C) of 0..255 -> a float32 Tensor (C, H, W) in [0, 1].

    See the article docs/articles/data/feature_engineering.py.
    """

    def __call__(self, image) -> Tensor:
        array = np.asarray(image, dtype=np.float32) / 255.0
        array = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
        return Tensor._make(np.ascontiguousarray(array), False, None)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """Standardise each channel: x[c] = (x[c] - mean[c]) / std[c] (a Tensor (C, H, W)).

    See the article docs/articles/data/feature_engineering.py.
    """

    def __init__(self, mean, std) -> None:
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1, 1, 1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1, 1, 1)
        if (self.std <= 0).any() or self.mean.size != self.std.size:
            raise ValueError(
                f"Normalize: expected as many means as positive stds, got mean "
                f"{self.mean.ravel().tolist()}, std {self.std.ravel().tolist()}"
            )

    def __call__(self, x) -> Tensor:
        array = x.array if isinstance(x, Tensor) else np.asarray(x, dtype=np.float32)
        if self.mean.size not in (1, array.shape[0]):
            raise ValueError(
                f"Normalize: {self.mean.size} channel statistics for an image with "
                f"{array.shape[0]} channels"
            )
        return Tensor._make((array - self.mean) / self.std, False, None)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.ravel().tolist()}, std={self.std.ravel().tolist()})"


__all__ = [
    "Compose",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomRotation",
    "Resize",
    "ToTensor",
]
