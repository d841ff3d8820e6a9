"""Pooling: summarising each window of an image by its maximum or its average.

Pooling shrinks feature maps (a 2x2 window with stride 2 halves each side) and makes a
network less sensitive to small shifts. Both poolings loop over the kH*kW kernel offsets,
never over pixels: for one offset (i, j), the pixels it reads in all windows form one
strided slice of the padded input (see :mod:`abinitio.ops.im2col`), so each step is one
whole-array NumPy operation. ``_reference_max_pool2d`` and ``_reference_avg_pool2d``
compose the same results from slices, ``stack`` and ``max``/``mean``.

Adaptive average pooling, which picks the windows from the output size you ask for, is
composed from two matrix products (:mod:`abinitio.ops.adaptive_pooling`).
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.backend import get_array_module
from abinitio.ops.im2col import (
    crop2d,
    int_tuple,
    pad2d,
    span,
    window_slices,
    windows_are_disjoint,
)
from abinitio.ops.parallel import over_outer_axis
from abinitio.ops.shape import in_memory_order, memory_order, pad, squeeze, stack, unsqueeze
from abinitio.tensor import Tensor


class MaxPool2d(Function):
    """y[..., u, v] = max_{i, j} xp[..., u*sh + i*dh, v*sw + j*dw], xp padded with -inf.

    VJP: each window passes g[..., u, v] to the pixel that held its maximum (the first
    one in row-major window order on ties, as PyTorch does); other pixels get nothing.
    A pixel in several overlapping windows collects from each.

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out_size):
        xp = pad2d(x, padding, value=-np.inf)
        first = next(window_slices(kernel, stride, dilation, out_size))[2]
        y = np.empty_like(xp[first])  # keeps a batch-innermost layout (see ops.im2col)

        def maxima(part):  # y[part] from xp[part]; parts of the batch run on their own threads
            xs, out = xp[part], y[part]
            slices = window_slices(kernel, stride, dilation, out_size)
            np.copyto(out, xs[next(slices)[2]])
            for _, _, index in slices:
                np.maximum(out, xs[index], out=out)

        over_outer_axis(maxima, xp, range(xp.ndim - 2), y.size * kernel[0] * kernel[1])
        ctx.save_for_backward(xp, y)
        ctx.geometry = (x.shape[-2:], kernel, stride, padding, dilation, out_size)
        return y

    @staticmethod
    def backward(ctx, g):
        xp, y = ctx.saved_tensors
        size, kernel, stride, padding, dilation, out_size = ctx.geometry
        disjoint = windows_are_disjoint(kernel, stride, dilation)
        # windows that tile xp exactly write every pixel once below: no zeros needed
        tiled = disjoint and kernel == stride and xp.shape[-2:] == tuple(
            k * m for k, m in zip(kernel, out_size)
        )
        grad = np.empty_like(xp) if tiled else np.zeros_like(xp)
        g = np.broadcast_to(g, y.shape)
        if g.strides != y.strides and 0 not in g.strides:
            # every pass below reads g beside y and xp: in another memory order (g from a
            # flatten's backward is (N, C, H, W) while a convolution's y lies batch
            # innermost) each is a slow transposing loop; one copy into y's order is faster
            g = in_memory_order(g, memory_order(y))

        def route(part):  # grad[part] from g[part]; parts of the batch on their own threads
            out, gs = grad[part], g[part]
            slices = window_slices(kernel, stride, dilation, out_size)
            for _, _, index, is_max in first_maxima(xp[part], y[part], slices):
                if disjoint:  # every pixel is in one window at most: write, no need to add
                    np.multiply(gs, is_max, out=out[index])
                else:
                    out[index] += gs * is_max

        over_outer_axis(route, xp, range(xp.ndim - 2), 4 * y.size * kernel[0] * kernel[1])
        return crop2d(grad, padding, size)


def first_maxima(xp, y, slices):
    """For each kernel offset, a mask of the windows whose (first) maximum sits at that
    offset: the offset's pixel equals the window's max and no earlier offset claimed it."""
    unclaimed = np.ones_like(y, dtype=bool)
    for i, j, index in slices:
        is_max = (xp[index] == y) & unclaimed
        unclaimed ^= is_max
        yield i, j, index, is_max


class AvgPool2d(Function):
    """y[..., u, v] = sum_{i, j} xp[..., u*sh + i, v*sw + j] / divisor[u, v], xp padded with
    zeros; the divisor counts the window's pixels (padding included or not).

    VJP: every pixel of window (u, v) receives g[..., u, v] / divisor[u, v], summed over
    the windows that contain it.
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, out_size, divisor):
        xp = pad2d(x, padding)
        slices = window_slices(kernel, stride, (1, 1), out_size)
        _, _, first = next(slices)
        total = xp[first].copy(order="K")
        for _, _, index in slices:
            total += xp[index]
        total /= divisor
        ctx.save_for_backward(divisor)
        ctx.geometry = (x.shape[-2:], xp.shape, kernel, stride, padding, out_size)
        return total

    @staticmethod
    def backward(ctx, g):
        (divisor,) = ctx.saved_tensors
        size, padded_shape, kernel, stride, padding, out_size = ctx.geometry
        share = g / divisor
        grad = np.zeros_like(share, shape=padded_shape)
        disjoint = windows_are_disjoint(kernel, stride, (1, 1))
        for _, _, index in window_slices(kernel, stride, (1, 1), out_size):
            if disjoint:  # every pixel is in one window at most: write, no need to add
                grad[index] = share
            else:
                grad[index] += share
        return crop2d(grad, padding, size)


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation: int = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """The maximum of each (kH, kW) window, windows ``stride`` apart.

    out[..., y, x] = max_{i < kH, j < kW} xp[..., y*sH + i*dH, x*sW + j*dW], where xp is
    the input padded with -inf (padding never wins).

    Args:
        input: (N, C, H, W) or (C, H, W), floating point.
        kernel_size: the window, an int or (kH, kW).
        stride: step between windows; defaults to ``kernel_size``.
        padding: -inf added on each side, at most half the kernel.
        dilation: spacing between the pixels of a window.
        ceil_mode: round the output size up (a last, partial window) instead of down.
        return_indices: also return each maximum's flat index h*W + w in its input plane.

    Shape:
        output (N, C, H_out, W_out), H_out = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1
        (ceil with ``ceil_mode``), and likewise W_out.

    Example:
        >>> import abinitio as ab
        >>> import abinitio.nn.functional as F
        >>> x = ab.tensor([[[[1.0, 2.0, 5.0, 0.0], [3.0, 4.0, 1.0, 1.0]]]])
        >>> F.max_pool2d(x, 2)
        tensor([[[[4., 5.]]]])
    """
    geometry = _pool_geometry(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode
    )
    y = MaxPool2d.apply(input, **geometry)
    return (y, _argmax_indices(input, y, **geometry)) if return_indices else y


def max_pool1d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation: int = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """The maximum of each window of a sequence: :func:`max_pool2d` on height-1 images.

    Args:
        input: (N, C, L) or (C, L), floating point.
        kernel_size, stride, padding, dilation, ceil_mode, return_indices: as in
            :func:`max_pool2d`, one number each.

    Shape:
        output (N, C, L_out), L_out = floor((L + 2 p - d (k - 1) - 1) / s) + 1.

    Example:
        >>> import abinitio as ab
        >>> import abinitio.nn.functional as F
        >>> F.max_pool1d(ab.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]]), 2)
        tensor([[[3., 2.]]])
    """
    geometry = _pool_geometry(
        "max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode
    )
    x = unsqueeze(input, -2)
    y = MaxPool2d.apply(x, **geometry)
    if return_indices:
        return squeeze(y, -2), squeeze(_argmax_indices(x, y, **geometry), -2)
    return squeeze(y, -2)


def _argmax_indices(x, y, kernel, stride, padding, dilation, out_size):
    """What ``return_indices`` returns: the flat index h*W + w of each window's first
    maximum in its unpadded input plane."""
    data = x.array if isinstance(x, Tensor) else x
    xp = pad2d(data, padding, value=-np.inf)
    width = data.shape[-1]
    (top, _), (left, _) = padding
    xpm = get_array_module(data)
    rows = xpm.arange(out_size[0])[:, None] * stride[0] - top
    cols = xpm.arange(out_size[1]) * stride[1] - left
    indices = xpm.zeros(y.shape, dtype=np.int64)
    slices = window_slices(kernel, stride, dilation, out_size)
    for i, j, _, is_max in first_maxima(xp, y.array, slices):
        flat = (rows + i * dilation[0]) * width + cols + j * dilation[1]
        np.copyto(indices, flat, where=is_max)
    return Tensor._make(indices, False, None)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override=None,
):
    """The average of each (kH, kW) window, windows ``stride`` apart.

    out[..., y, x] = sum_{i < kH, j < kW} xp[..., y*sH + i, x*sW + j] / divisor, where xp
    is the input padded with zeros and the divisor is kH*kW, or, where a window hangs over
    the edge, the number of its pixels inside the padded input (inside the input itself
    when ``count_include_pad=False``), as in PyTorch.

    Args:
        input: (N, C, H, W) or (C, H, W), floating point.
        kernel_size: the window, an int or (kH, kW).
        stride: step between windows; defaults to ``kernel_size``.
        padding: zeros added on each side, at most half the kernel.
        ceil_mode: round the output size up (a last, partial window) instead of down.
        count_include_pad: whether the padding zeros count in the divisor.
        divisor_override: divide every window's sum by this number instead.

    Shape:
        output (N, C, H_out, W_out), H_out = floor((H + 2 pH - kH) / sH) + 1 (ceil with
        ``ceil_mode``), and likewise W_out.

    Example:
        >>> import abinitio as ab
        >>> import abinitio.nn.functional as F
        >>> x = ab.tensor([[[[1.0, 2.0, 5.0, 1.0], [3.0, 6.0, 1.0, 1.0]]]])
        >>> F.avg_pool2d(x, 2)
        tensor([[[[3., 2.]]]])
    """
    geometry = _pool_geometry("avg_pool2d", 2, input, kernel_size, stride, padding, 1, ceil_mode)
    divisor = _divisor(input, geometry, count_include_pad, divisor_override, "avg_pool2d")
    return _avg_pool(input, geometry, divisor)


def avg_pool1d(
    input, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad=True
):
    """The average of each window of a sequence: :func:`avg_pool2d` on height-1 images.

    Args:
        input: (N, C, L) or (C, L), floating point.
        kernel_size, stride, padding, ceil_mode, count_include_pad: as in
            :func:`avg_pool2d`, one number each.

    Shape:
        output (N, C, L_out), L_out = floor((L + 2 p - k) / s) + 1.

    Example:
        >>> import abinitio as ab
        >>> import abinitio.nn.functional as F
        >>> F.avg_pool1d(ab.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]]), 2)
        tensor([[[2., 1.]]])
    """
    geometry = _pool_geometry("avg_pool1d", 1, input, kernel_size, stride, padding, 1, ceil_mode)
    x = unsqueeze(input, -2)
    divisor = _divisor(x, geometry, count_include_pad, None, "avg_pool1d")
    return squeeze(_avg_pool(x, geometry, divisor), -2)


def _avg_pool(x, geometry, divisor):
    kernel, stride, padding = geometry["kernel"], geometry["stride"], geometry["padding"]
    return AvgPool2d.apply(x, kernel, stride, padding, geometry["out_size"], divisor)


def _divisor(x, geometry, count_include_pad, divisor_override, op):
    """What each window's sum is divided by, per output position (PyTorch's rule): the
    window clipped to the padded input, or to the input when padding does not count."""
    if divisor_override is not None:
        if not isinstance(divisor_override, int) or divisor_override == 0:
            raise ValueError(
                f"{op}: divisor_override must be a nonzero int, got {divisor_override!r}"
            )
        return divisor_override
    counts = []
    for n, k, s, (p, _), length in zip(
        x.shape[-2:],
        geometry["kernel"],
        geometry["stride"],
        geometry["padding"],
        geometry["out_size"],
    ):
        start = np.arange(length) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        counts.append(end - start)
    divisor = np.outer(counts[0], counts[1])
    return get_array_module(x.array).asarray(divisor, dtype=x.dtype)


_POOL_LAYOUTS = {1: "2-D (C, L) or 3-D (N, C, L)", 2: "3-D (C, H, W) or 4-D (N, C, H, W)"}


def _pool_geometry(op, dims, input, kernel_size, stride, padding, dilation, ceil_mode):
    """Check the arguments of a pooling; return its kernel, stride, padding ((before,
    after) per dim, grown at the end for ceil_mode), dilation and output size, in 2-D form
    (a 1-D pooling is a 2-D one on height-1 images)."""
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(
            f"{op}: expected a {_POOL_LAYOUTS[dims]} input, got shape {tuple(input.shape)}"
        )
    if not np.issubdtype(input.dtype, np.floating):
        raise TypeError(f"{op}: expected a floating-point input, got dtype {input.dtype}")
    kernel = int_tuple(kernel_size, dims, "kernel_size", op, minimum=1)
    stride = kernel if stride is None or stride == () or stride == [] else stride
    stride = int_tuple(stride, dims, "stride", op, minimum=1)
    padding = int_tuple(padding, dims, "padding", op)
    dilation = int_tuple(dilation, dims, "dilation", op, minimum=1)
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel {kernel}")
    size = tuple(input.shape[-dims:])
    out_size = tuple(map(_pooled_length, size, kernel, stride, padding, dilation, [ceil_mode] * 2))
    if min(out_size) < 1:
        dilated = tuple(span(k, d) for k, d in zip(kernel, dilation))
        padded = tuple(n + 2 * p for n, p in zip(size, padding))
        raise ValueError(
            f"{op}: kernel {kernel} (dilated {dilated}) is larger than the padded input {padded}"
        )
    pads = tuple(
        (p, max((m - 1) * s + span(k, d) - n - p, 0))
        for n, k, s, p, d, m in zip(size, kernel, stride, padding, dilation, out_size)
    )
    if dims == 1:
        kernel, stride, dilation, out_size = (
            (1,) + kernel,
            (1,) + stride,
            (1,) + dilation,
            (1,) + out_size,
        )
        pads = ((0, 0),) + pads
    return dict(kernel=kernel, stride=stride, padding=pads, dilation=dilation, out_size=out_size)


def _pooled_length(size, kernel, stride, padding, dilation, ceil_mode) -> int:
    """floor((size + 2 p - span) / s) + 1, or ceil in ceil_mode, where a last window that
    would start inside the right padding is dropped (PyTorch's rule)."""
    room = size + 2 * padding - span(kernel, dilation)
    if room < 0:
        return 0
    length = -(-room // stride) + 1 if ceil_mode else room // stride + 1
    if ceil_mode and (length - 1) * stride >= size + padding:
        length -= 1
    return length


def _reference_max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1):
    """Composed max pooling (floor mode): the max over the stacked kernel-offset slices of
    the input padded with -inf; ``max(dim)`` sends the gradient to the first maximum."""
    geometry = _pool_geometry("max_pool2d", 2, input, kernel_size, stride, padding, dilation, False)
    (top, bottom), (left, right) = geometry["padding"]
    xp = pad(input, (left, right, top, bottom), value=-np.inf)
    slices = window_slices(
        geometry["kernel"], geometry["stride"], geometry["dilation"], geometry["out_size"]
    )
    return stack([xp[index] for _, _, index in slices]).max(0)[0]


def _reference_avg_pool2d(input, kernel_size, stride=None, padding=0):
    """Composed average pooling (floor mode, padding counted): the mean of the stacked
    kernel-offset slices of the zero-padded input."""
    geometry = _pool_geometry("avg_pool2d", 2, input, kernel_size, stride, padding, 1, False)
    (top, bottom), (left, right) = geometry["padding"]
    xp = pad(input, (left, right, top, bottom))
    slices = window_slices(geometry["kernel"], geometry["stride"], (1, 1), geometry["out_size"])
    return stack([xp[index] for _, _, index in slices]).mean(0)
