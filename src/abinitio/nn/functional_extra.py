"""More of ``torch.nn.functional``, composed of differentiable primitives (issue 13).

* ``elu(x)``: :math:`x` for :math:`x > 0`, else :math:`\\alpha (e^x - 1)`.
* ``pixel_shuffle(x, r)``: (N, C r², H, W) -> (N, C, H r, W r), each group of r² channels
  spread over an r x r block (sub-pixel convolution, Shi et al. 2016).
* ``instance_norm(x)``: each (sample, channel) map normalised by its own mean and variance,
  :math:`y = (x - \\mu_{nc}) / \\sqrt{\\sigma^2_{nc} + \\epsilon}` (style transfer's norm).
* ``interpolate(x, size | scale_factor, mode)``: ``"nearest"`` copies the nearest source
  pixel (PyTorch's floor rule); ``"bilinear"``/``"linear"`` blend the two nearest along each
  axis, :math:`y = (1 - w) x_{i} + w x_{i+1}`, with PyTorch's ``align_corners`` rules.

Example:
    >>> import abinitio as ab
    >>> ab.nn.functional.elu(ab.tensor([-1.0, 2.0]))       # alpha (e^-1 - 1), and 2
    tensor([-0.6321,  2.    ])
"""

from __future__ import annotations

import warnings

import numpy as np

from abinitio.tensor import Tensor


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """The exponential linear unit: x where x > 0, else alpha (exp(x) - 1)."""
    negative = (input.clamp(max=0.0).exp() - 1) * alpha  # clamp: no overflow for large x
    return input.relu() + negative


def selu(input, inplace: bool = False):
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017)."""
    return elu(input, 1.6732632423543772) * 1.0507009873554805


def pixel_shuffle(input, upscale_factor: int):
    """(*, C r², H, W) -> (*, C, H r, W r)."""
    r = int(upscale_factor)
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise ValueError(
            f"pixel_shuffle: channels {c} must be divisible by upscale_factor² = {r * r}"
        )
    n = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    order = tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2)
    return x.permute(*order).reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor: int):
    """The inverse of :func:`pixel_shuffle`: (*, C, H r, W r) -> (*, C r², H, W)."""
    r = int(downscale_factor)
    *batch, c, h, w = input.shape
    if h % r or w % r:
        raise ValueError(f"pixel_unshuffle: H={h} and W={w} must be divisible by {r}")
    n = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    order = tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3)
    return x.permute(*order).reshape(*batch, c * r * r, h // r, w // r)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):  # fmt: skip
    """Normalise each (sample, channel) over its spatial positions; ``weight``/``bias``
    (C,) scale and shift each channel. Running statistics are not kept (PyTorch's
    default, ``track_running_stats=False``)."""
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected (N, C, ...) input, got shape {input.shape}")
    if running_mean is not None or not use_input_stats:
        raise NotImplementedError("instance_norm: abinitio keeps no running statistics yet")
    axes = tuple(range(2, input.ndim))
    mean = input.mean(dim=axes, keepdim=True)
    centred = input - mean
    var = (centred * centred).mean(dim=axes, keepdim=True)
    out = centred / (var + eps).sqrt()
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _source_positions(out_size: int, in_size: int, scale, mode: str, align_corners):
    if mode == "nearest":
        ratio = in_size / out_size if scale is None else 1.0 / scale
        return np.minimum(np.floor(np.arange(out_size) * ratio).astype(np.int64), in_size - 1)
    if align_corners:
        ratio = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        return np.arange(out_size) * ratio
    ratio = in_size / out_size if scale is None else 1.0 / scale
    return np.clip((np.arange(out_size) + 0.5) * ratio - 0.5, 0, None)


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):  # fmt: skip
    """Resize the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) input.

    Args:
        size: the output spatial size (int or tuple), or
        scale_factor: a multiplier per spatial dim (float or tuple).
        mode: ``"nearest"``, ``"linear"``, ``"bilinear"`` or ``"trilinear"``.
        align_corners: for the linear modes, whether the corner pixels' centres line up.
    """
    spatial = input.ndim - 2
    if spatial < 1:
        raise ValueError(f"interpolate: expected (N, C, ...) input, got shape {input.shape}")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if mode not in ("nearest", "linear", "bilinear", "trilinear"):
        raise NotImplementedError(f"interpolate: mode {mode!r} is not implemented in abinitio yet")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented in abinitio yet")
    in_sizes = input.shape[2:]
    scales = [None] * spatial
    if size is not None:
        sizes = (size,) * spatial if isinstance(size, int) else tuple(size)
    else:
        factors = (scale_factor,) * spatial if np.isscalar(scale_factor) else tuple(scale_factor)
        sizes = tuple(int(np.floor(n * f)) for n, f in zip(in_sizes, factors))
        if not recompute_scale_factor:
            scales = list(factors)
    out = input
    for axis, (n_out, n_in, scale) in enumerate(zip(sizes, in_sizes, scales)):
        dim = axis + 2
        position = _source_positions(n_out, n_in, scale, mode, align_corners)
        if mode == "nearest":
            out = out.index_select(dim, Tensor._make(position, False, None))
            continue
        low = np.minimum(np.floor(position).astype(np.int64), n_in - 1)
        high = np.minimum(low + 1, n_in - 1)
        shape = [1] * input.ndim
        shape[dim] = n_out
        weight = Tensor._make((position - low).astype(input.dtype).reshape(shape), False, None)
        below = out.index_select(dim, Tensor._make(low, False, None))
        above = out.index_select(dim, Tensor._make(high, False, None))
        out = below + (above - below) * weight
    return out


def upsample(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None):
    warnings.warn("upsample is deprecated in PyTorch: use interpolate", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)
