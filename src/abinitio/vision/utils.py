"""``torchvision.utils``: ``make_grid`` tiles a batch of images, ``save_image`` writes it.

make_grid lays B images (C, H, W) out in rows of ``nrow``, ``padding`` pixels of
``pad_value`` around each: the grid is (C', p + rows (H + p), p + nrow' (W + p)) with
nrow' = min(nrow, B), rows = ceil(B / nrow'). One-channel images become three (the grid is
always RGB, as torchvision's), and a batch of one is returned without padding. With
``normalize=True`` values are first mapped from [low, high] (``value_range``, default the
batch's min and max) onto [0, 1]. save_image then writes round-half-up(255 x), clamped to
0..255, with Pillow.
"""

from __future__ import annotations

import math
import os
import tempfile

import numpy as np

from abinitio.tensor import Tensor


def _batch(tensor) -> np.ndarray:
    if isinstance(tensor, (list, tuple)):
        arrays = [t.array if isinstance(t, Tensor) else np.asarray(t) for t in tensor]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(f"make_grid: images of different shapes {sorted(shapes)}")
        array = np.stack(arrays)
    else:
        array = tensor.array if isinstance(tensor, Tensor) else np.asarray(tensor)
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4:
        raise ValueError(f"make_grid: expected (H, W), (C, H, W) or (B, C, H, W), got "
                         f"{array.shape}")  # fmt: skip
    if array.shape[1] == 1:
        array = np.concatenate([array] * 3, axis=1)
    return array


def _normalise(array, value_range, scale_each: bool) -> np.ndarray:
    def scaled(a):
        low, high = (float(a.min()), float(a.max())) if value_range is None else value_range
        return (np.clip(a, low, high) - low) / max(high - low, 1e-5)

    if scale_each:
        return np.stack([scaled(image) for image in array])
    return scaled(array)


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range=None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:  # fmt: skip
    """Tile images into one (C, H', W') Tensor (torchvision's layout; module docstring).

    Example:
        >>> import abinitio as ab
        >>> make_grid(ab.zeros(5, 1, 4, 4), nrow=4, padding=1).shape
        (3, 11, 21)

    See the article docs/articles/data/vision_datasets.py.
    """
    array = _batch(tensor)
    if normalize:
        array = _normalise(array, value_range, scale_each)
    if len(array) == 1:
        return Tensor._make(array[0], False, None)
    count, channels, height, width = array.shape
    across = min(nrow, count)
    down = math.ceil(count / across)
    cell_h, cell_w = height + padding, width + padding
    grid = np.full((channels, cell_h * down + padding, cell_w * across + padding), pad_value,
                   dtype=np.float32)  # fmt: skip
    for k in range(count):
        y, x = divmod(k, across)
        top, left = y * cell_h + padding, x * cell_w + padding
        grid[:, top : top + height, left : left + width] = array[k]
    return Tensor._make(grid, False, None)


def save_image(tensor, fp, format: str | None = None, **grid_options) -> None:
    """``make_grid(tensor, **grid_options)`` written as an image file (PNG, JPEG, ... from
    the extension or ``format``), atomically for a path; ``fp`` may be a file object.

    See the article docs/articles/data/vision_datasets.py.
    """
    from PIL import Image

    grid = make_grid(tensor, **grid_options).array
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    image = Image.fromarray(np.ascontiguousarray(pixels))
    if hasattr(fp, "write"):
        image.save(fp, format=format)
        return
    path = os.fspath(fp)
    extension = os.path.splitext(path)[1].lower()
    format = format or Image.registered_extensions().get(extension)
    if format is None:
        raise ValueError(f"save_image: cannot tell the image format of {path!r}; pass format=")
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                                         prefix=".image-")  # fmt: skip
    try:
        with os.fdopen(handle, "wb") as file:
            image.save(file, format=format)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


__all__ = ["make_grid", "save_image"]
