"""Transposed convolution (``conv_transpose2d``): the upsampling layer of decoders and GANs.

Where a convolution gathers a window of pixels into one output, a transposed convolution
scatters each input pixel, weighted by the kernel, into a window of the output; windows
``stride`` apart overlap and add up. It is the adjoint (the transpose, as a matrix) of a
convolution with respect to its input, which is also how it is computed here: its
forward is a convolution's input-gradient (a GEMM, then col2im) and its input-gradient
is a convolution's forward (im2col, then a GEMM).
"""

from __future__ import annotations

import numbers

import numpy as np

from abinitio.autograd.function import Function
from abinitio.ops.im2col import (
    batch_last,
    col2im,
    crop2d,
    im2col,
    int_tuple,
    pad_batch_last,
    span,
)
from abinitio.ops.shape import reshape


class ConvTranspose2d(Function):
    """2-D transposed convolution in G groups, weight (C_in, C_out/G, kH, kW).

    Forward, per group g: x_g = the group's input channels as (C_in/G, H*W*N) (for col2im
    in (y, x, n) order, batch innermost) and W_g = the group's weight flattened to
    (C_in/G, C_out/G*kH*kW):

        X_g = W_g^T @ x_g              every pixel's weighted copy of the kernel
        yp = col2im(X)                 (N, C_out, Hp, Wp), Hp = (H-1) sh + dH (kH-1) + 1 + op
        y = yp without `padding` on each side, + b[o]

    so y[n, o, u*sh + i*dh - ph, v*sw + j*dw - pw] += sum_c w[c, o, i, j] * x[n, c, u, v].

    VJP, with G = im2col(g zero-padded by `padding`), shape (G, C_out/G*kH*kW, H*W*N):

        dL/dx_g = W_g @ G_g,    dL/dW_g = x_g @ G_g^T,    dL/db[o] = sum_{n, u, v} g[n, o, u, v]
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, output_padding, dilation, groups):
        n, c, h, w = x.shape
        kernel = weight.shape[2:]
        weights = weight.reshape(groups, c // groups, -1)
        rows = batch_last(x, groups)  # (G, C_in/G, H*W*N)
        columns = np.matmul(weights.transpose(0, 2, 1), rows)
        extent = [
            (size - 1) * s + span(k, d) + extra
            for size, s, k, d, extra in zip((h, w), stride, kernel, dilation, output_padding)
        ]
        padded_shape = (n, weight.shape[1] * groups, extent[0], extent[1])
        yp = col2im(columns, padded_shape, kernel, stride, dilation, (h, w))
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
        y = crop2d(yp, pads, (extent[0] - 2 * padding[0], extent[1] - 2 * padding[1]))
        if bias is not None:
            y += bias.reshape(-1, 1, 1)
        # for dL/dW: x in the (y, x, n) column order of im2col, which the backward uses
        ctx.save_for_backward(rows if ctx.needs_input_grad[1] else None, weight)
        ctx.geometry = (x.shape, stride, pads, dilation, groups)
        return y

    @staticmethod
    def backward(ctx, g):
        rows, weight = ctx.saved_tensors
        x_shape, stride, pads, dilation, groups = ctx.geometry
        n, c, h, w = x_shape
        kernel = weight.shape[2:]
        columns = im2col(pad_batch_last(g, pads), kernel, stride, dilation, (h, w), groups)
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            weights = weight.reshape(groups, c // groups, -1)
            gx = np.matmul(weights, columns).reshape(c, h, w, n).transpose(3, 0, 1, 2)
        if ctx.needs_input_grad[1]:
            gw = np.matmul(rows, columns.transpose(0, 2, 1)).reshape(weight.shape)
        if ctx.needs_input_grad[2]:
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """2-D transposed convolution ("deconvolution"): each input pixel adds a weighted copy
    of the kernel into the output, windows ``stride`` apart, so the image grows.

    It is the gradient of :func:`conv2d` with respect to its input, for a convolution with
    the same weight, stride, padding and dilation: it maps that convolution's output shape
    back to its input shape (``output_padding`` picks among the sizes a strided convolution
    maps to the same output size).

    Args:
        input: a batch (N, C_in, H, W), or one image (C_in, H, W).
        weight: (C_in, C_out/groups, kH, kW) (note: C_in first, unlike conv2d).
        bias: optional, (C_out,).
        stride: spacing of the scattered windows, an int or (sH, sW).
        padding: rows and columns removed from each side of the result, int or (pH, pW).
        output_padding: extra rows/columns added on the bottom and right, each smaller
            than the stride or the dilation.
        groups: independent groups of channels.
        dilation: spacing between kernel taps.

    Shape:
        output (N, C_out, H_out, W_out) with
        H_out = (H - 1) sH - 2 pH + dH (kH - 1) + output_padding + 1, and likewise W_out.

    Example:
        >>> import abinitio as ab
        >>> import abinitio.nn.functional as F
        >>> x = ab.randn(2, 16, 7, 7)
        >>> F.conv_transpose2d(x, ab.randn(16, 8, 4, 4), stride=2, padding=1).shape
        (2, 8, 14, 14)
    """
    _check_shapes(input, weight, bias, groups)
    options = _options(stride, padding, output_padding, dilation)
    _check_output_size(input, weight, **options)
    batched = input.ndim == 4
    x = input if batched else reshape(input, (1,) + tuple(input.shape))
    y = ConvTranspose2d.apply(x, weight, bias, groups=groups, **options)
    return y if batched else reshape(y, y.shape[1:])


def _options(stride, padding, output_padding, dilation) -> dict:
    op = "conv_transpose2d"
    stride = int_tuple(stride, 2, "stride", op, minimum=1)
    padding = int_tuple(padding, 2, "padding", op)
    output_padding = int_tuple(output_padding, 2, "output_padding", op)
    dilation = int_tuple(dilation, 2, "dilation", op, minimum=1)
    for extra, s, d in zip(output_padding, stride, dilation):
        if extra >= s and extra >= d:
            raise ValueError(
                f"{op}: output_padding {output_padding} must be smaller than either the "
                f"stride {stride} or the dilation {dilation}"
            )
    return dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)


def _check_shapes(input, weight, bias, groups) -> None:
    op = "conv_transpose2d"
    if input.ndim not in (3, 4):
        raise ValueError(
            f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
            f"got shape {tuple(input.shape)}"
        )
    if weight.ndim != 4:
        raise ValueError(
            f"{op}: expected a 4-D weight (C_in, C_out/groups, kH, kW), "
            f"got shape {tuple(weight.shape)}"
        )
    if not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    channels = input.shape[-3]
    if channels != weight.shape[0]:
        raise ValueError(
            f"{op}: input has {channels} channels but weight expects {weight.shape[0]} "
            f"(input shape {tuple(input.shape)}; weight shape {tuple(weight.shape)}, "
            "whose first dim is C_in)"
        )
    if channels % groups:
        raise ValueError(f"{op}: groups={groups} must divide the {channels} input channels")
    c_out = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(
            f"{op}: expected a bias of shape ({c_out},), one per output channel, "
            f"got shape {tuple(bias.shape)}"
        )


def _check_output_size(input, weight, stride, padding, output_padding, dilation) -> None:
    size = tuple(
        (n - 1) * s - 2 * p + span(k, d) + extra
        for n, s, p, k, d, extra in zip(
            input.shape[-2:], stride, padding, weight.shape[2:], dilation, output_padding
        )
    )
    if min(size) < 1:
        raise ValueError(
            f"conv_transpose2d: the output size {size} is not positive: padding {padding} "
            f"removes more than the input {tuple(input.shape[-2:])} spreads to"
        )
