"""Convolution: ``conv1d`` and ``conv2d`` (the transposed convolution lives in
:mod:`abinitio.ops.conv_transpose`).

A convolution layer slides C_out small filters over the input and, at every position,
takes the dot product of each filter with the pixels under it (what deep learning calls
convolution is cross-correlation: the kernel is not flipped). Written with im2col (see
:mod:`abinitio.ops.im2col`) it is one matrix product per group, so BLAS does the work.
``_reference_conv2d`` composes the same sum from slices and small matmuls: read it first.
A 1-D convolution is a 2-D one on a height-1 image.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from abinitio.autograd.function import Function
from abinitio.backend import contiguous
from abinitio.ops.im2col import (
    batch_last,
    col2im_block,
    column_blocks,
    conv_padding,
    crop2d,
    flat_block,
    im2col_block,
    int_tuple,
    output_size,
    pad_batch_last,
    span,
    window_slices,
)
from abinitio.ops.parallel import split_reduction
from abinitio.ops.shape import cat, pad, reshape

_LAYOUTS = {1: ("(C, L)", "(N, C, L)"), 2: ("(C, H, W)", "(N, C, H, W)")}


class Conv2d(Function):
    """2-D convolution (cross-correlation) in G groups, each seeing C/G input channels.

    Forward, with xp the zero-padded input and c' = group(o)*C/G + c the input channels
    of output channel o's group:

        y[n, o, u, v] = b[o] + sum_{c, i, j} w[o, c, i, j] * xp[n, c', u*sh + i*dh, v*sw + j*dw]

    As matrices: X = im2col(xp), shape (G, C/G*kH*kW, Ho*Wo*N), and W_g = the weight of
    group g flattened to (O/G, C/G*kH*kW); then Y_g = W_g @ X_g, one GEMM per group.

    VJP, with G_g = the incoming gradient g arranged like Y_g, (O/G, Ho*Wo*N):

        dL/dW_g = G_g @ X_g^T,    dL/db[o] = sum_{n, u, v} g[n, o, u, v],
        dL/dX_g = W_g^T @ G_g,    dL/dx = col2im(dL/dX) without the padding

    since every column entry was copied from one pixel of xp, whose gradient collects it.
    With stride 1, dL/dx is computed instead as the convolution of g with the flipped
    weights (see :func:`_input_gradient`), which needs no col2im.

    The GEMMs run on blocks of output positions, so that a block's columns are still in
    the core's cache when the GEMM reads them (:func:`correlate`); only the padded input
    is saved, and dL/dW rebuilds the columns block by block (an im2col costs a tenth of
    its GEMM). Images, outputs and gradients lie batch innermost in memory, (C, H, W, N),
    behind (N, C, H, W) views (see :mod:`abinitio.ops.im2col`): Y_g is written straight
    into the output, and G_g is a free view of g when g lies that way too.

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        kernel = weight.shape[2:]
        out_size = output_size(x.shape[2:], kernel, stride, dilation, padding)
        xp = pad_batch_last(x, padding)  # (C, Hp, Wp, N)
        w = weight.reshape(groups, weight.shape[0] // groups, -1)
        y = correlate(xp, w, kernel, stride, dilation, out_size)  # (O, Ho, Wo, N)
        if bias is not None:
            y += bias.reshape(-1, 1, 1, 1)
        ctx.save_for_backward(xp, weight)
        ctx.geometry = (x.shape, stride, padding, dilation, out_size, groups)
        return y.transpose(3, 0, 1, 2)  # (N, O, Ho, Wo), a view of (O, Ho, Wo, N)

    @staticmethod
    def backward(ctx, g):
        xp, weight = ctx.saved_tensors
        x_shape, stride, padding, dilation, out_size, groups = ctx.geometry
        kernel, n = weight.shape[2:], x_shape[0]
        g_rows = batch_last(g, groups)  # (G, O/G, Ho*Wo*N)
        g_blocks = g_rows.reshape(g_rows.shape[:2] + tuple(out_size) + (n,))
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = _input_gradient(g, g_blocks, xp, weight, x_shape, stride, padding, dilation)
        if ctx.needs_input_grad[1]:
            gw = _weight_gradient(xp, g_blocks, weight.shape, kernel, stride, dilation, groups)
        if ctx.needs_input_grad[2]:
            gb = g_rows.sum(axis=2).reshape(-1)
        return gx, gw, gb


# multiply-adds of a weight gradient above which its sum over output positions is split
# over the threads (ops.parallel.split_reduction). Measured on the 2-core machine (BLAS's
# 2 threads against 2 halves at 1 thread each): the tutorial CSNN's 12->64 5x5 layer on
# 3200 images (3.9e9) 1.42x; every ResNet-8 and LeNet-5 layer (1e7-2e8) 0.56-0.82x.
SPLIT_WEIGHT_GRADIENT = 1 << 31


def _weight_gradient(xp, g_blocks, weight_shape, kernel, stride, dilation, groups):
    """dL/dW^T = sum over blocks of X_block @ G_block^T (the operand order BLAS runs fastest
    here), the columns rebuilt block by block from the saved input; returned as dL/dW.

    The result is small (C/G*kH*kW, O/G) and the sum runs over every output position of
    the batch, so BLAS's threads have little to split; a large one is cut between the
    threads by blocks, each summing its own, and the partial sums added."""
    out_size, n = g_blocks.shape[2:4], g_blocks.shape[4]
    rows = xp.shape[0] * math.prod(kernel)
    blocks = list(column_blocks(out_size, n, rows))

    def partial(part):
        gw = 0
        for block in part:
            columns = im2col_block(xp, kernel, stride, dilation, block, groups)
            gw = gw + np.matmul(columns, flat_block(g_blocks, block).transpose(0, 2, 1))
        return gw

    work = rows * weight_shape[0] * math.prod(out_size) * n // groups
    total = 0
    for gw in split_reduction(partial, blocks, work, SPLIT_WEIGHT_GRADIENT):
        total = total + gw
    return total.transpose(0, 2, 1).reshape(weight_shape)


def correlate(xp, w, kernel, stride, dilation, out_size):
    """y[g*O/G + o, u, v, n] = sum_{c, i, j} w[g, o, (c, i, j)] xp[g*C/G + c, u*sh + i*dh,
    v*sw + j*dw, n]: the convolution of the padded batch-innermost images ``xp`` (C, Hp,
    Wp, N) with the flattened weights ``w`` (G, O/G, C/G*kH*kW), as a (O, Ho, Wo, N) array.

    One GEMM per block of output positions (:func:`~abinitio.ops.im2col.column_blocks`):
    a block's columns stay in the core's cache between im2col writing them and the GEMM
    reading them, which runs the GEMM about twice as fast as on the columns of the whole
    batch at once, and no full column matrix is ever allocated.
    """
    groups, o_per_group, rows = w.shape
    n = xp.shape[3]
    y = np.empty_like(xp, shape=(groups, o_per_group) + tuple(out_size) + (n,))
    for block in column_blocks(out_size, n, rows * groups):
        columns = im2col_block(xp, kernel, stride, dilation, block, groups)
        np.matmul(w, columns, out=flat_block(y, block))
    return y.reshape((groups * o_per_group,) + tuple(out_size) + (n,))


def _input_gradient(g, g_blocks, xp, weight, x_shape, stride, padding, dilation):
    """dL/dx of a convolution. With stride 1 it is itself a convolution: the incoming
    gradient g, padded by d*(k-1) - p on each side, correlated with the weights flipped in
    space and with C_in and C_out swapped,

        dL/dx[n, c, s, t] = sum_{o, i, j} w[o, c, kH-1-i, kW-1-j] gp[n, o, s + i*dh, t + j*dw],

    which is :func:`correlate` again (a copy and a GEMM) instead of a GEMM and col2im's
    kH*kW strided additions. It copies C_out*kH*kW numbers per input pixel where col2im
    adds C_in*kH*kW per output pixel, so it is taken when that is not more than twice the
    numbers (same-size convolutions; not a 5x5 valid one from 12 to 64 channels). Other
    strides take col2im, block by block."""
    kernel, groups = weight.shape[2:], xp.shape[0] // weight.shape[1]
    size = x_shape[2:]
    pads = tuple(
        (d * (k - 1) - before, d * (k - 1) - after)
        for k, d, (before, after) in zip(kernel, dilation, padding)
    )
    copies = weight.shape[0] * math.prod(size)
    additions = x_shape[1] * math.prod(g_blocks.shape[2:4])
    if stride == (1, 1) and min(min(p) for p in pads) >= 0 and copies <= 2 * additions:
        o_per_group, c_per_group = weight.shape[0] // groups, weight.shape[1]
        flipped = weight[:, :, ::-1, ::-1].reshape(groups, o_per_group, c_per_group, -1)
        w = contiguous(flipped.transpose(0, 2, 1, 3)).reshape(groups, c_per_group, -1)
        gx = correlate(pad_batch_last(g, pads), w, kernel, stride, dilation, size)
        return gx.transpose(3, 0, 1, 2)  # batch innermost, like x
    w = weight.reshape(groups, weight.shape[0] // groups, -1)
    gxp = np.zeros_like(xp)  # (C, Hp, Wp, N)
    rows = xp.shape[0] * math.prod(kernel)
    for block in column_blocks(g_blocks.shape[2:4], x_shape[0], rows):
        g_columns = np.matmul(w.transpose(0, 2, 1), flat_block(g_blocks, block))
        col2im_block(g_columns, gxp, kernel, stride, dilation, block)
    return crop2d(gxp.transpose(3, 0, 1, 2), padding, size)  # batch innermost, like x


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """2-D convolution of a batch of images with C_out filters.

    out[n, o] = bias[o] + sum_c weight[o, c] (*) input[n, c], where (*) is 2-D
    cross-correlation: each filter slides over the zero-padded image, one dot product per
    position. With ``groups`` = G the channels split into G independent convolutions
    (``groups=C_in`` is a depthwise convolution).

    Args:
        input: a batch (N, C_in, H, W), or one image (C_in, H, W).
        weight: the filters, (C_out, C_in/groups, kH, kW).
        bias: optional, (C_out,).
        stride: step between windows, an int or (sH, sW).
        padding: zeros added on each side: an int, (pH, pW), ``"valid"`` (none) or
            ``"same"`` (output size = input size; stride 1 only).
        dilation: spacing between kernel taps, an int or (dH, dW).
        groups: how many independent groups the channels form.

    Shape:
        output (N, C_out, H_out, W_out) with
        H_out = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1, and likewise W_out.

    Example:
        >>> import abinitio as ab
        >>> import abinitio.nn.functional as F
        >>> x = ab.randn(8, 3, 32, 32)
        >>> F.conv2d(x, ab.randn(16, 3, 3, 3), padding=1).shape
        (8, 16, 32, 32)
        >>> F.conv2d(x, ab.randn(6, 1, 5, 5), stride=2, groups=3).shape
        (8, 6, 14, 14)
    """
    return _convolve("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """1-D convolution of a batch of sequences: :func:`conv2d` on height-1 images.

    out[n, o, t] = bias[o] + sum_{c, j} weight[o, c, j] * x[n, c, t*s + j*d], with x the
    zero-padded input.

    Args:
        input: a batch (N, C_in, L), or one sequence (C_in, L).
        weight: the filters, (C_out, C_in/groups, k).
        bias: optional, (C_out,).
        stride, padding, dilation, groups: as in :func:`conv2d`, one number each.

    Shape:
        output (N, C_out, L_out), L_out = floor((L + 2 p - d (k - 1) - 1) / s) + 1.

    Example:
        >>> import abinitio as ab
        >>> import abinitio.nn.functional as F
        >>> F.conv1d(ab.randn(4, 2, 50), ab.randn(8, 2, 3), padding="same").shape
        (4, 8, 50)
    """
    return _convolve("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def _convolve(op, dims, input, weight, bias, stride, padding, dilation, groups):
    """Validate the arguments, view 1-D as 2-D and one sample as a batch, apply Conv2d."""
    _check_conv_shapes(op, dims, input, weight, bias, groups)
    kernel = tuple(weight.shape[2:])
    stride = int_tuple(stride, dims, "stride", op, minimum=1)
    dilation = int_tuple(dilation, dims, "dilation", op, minimum=1)
    pads = conv_padding(padding, kernel, stride, dilation, op)
    _check_kernel_fits(op, input.shape[-dims:], kernel, dilation, pads)
    batched = input.ndim == dims + 2
    x = input if batched else reshape(input, (1,) + tuple(input.shape))
    if dims == 1:
        x = reshape(x, x.shape[:2] + (1,) + x.shape[2:])
        weight = reshape(weight, weight.shape[:2] + (1,) + weight.shape[2:])
        stride, dilation, pads = (1,) + stride, (1,) + dilation, ((0, 0),) + pads
    y = Conv2d.apply(x, weight, bias, stride=stride, padding=pads, dilation=dilation, groups=groups)
    if dims == 1:
        y = reshape(y, y.shape[:2] + y.shape[3:])
    return y if batched else reshape(y, y.shape[1:])


def _check_conv_shapes(op, dims, input, weight, bias, groups) -> None:
    unbatched, batched = _LAYOUTS[dims]
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(
            f"{op}: expected a {dims + 1}-D {unbatched} or {dims + 2}-D {batched} input, "
            f"got shape {tuple(input.shape)}"
        )
    kernel = "kH, kW" if dims == 2 else "k"
    if weight.ndim != dims + 2:
        raise ValueError(
            f"{op}: expected a {dims + 2}-D weight (C_out, C_in/groups, {kernel}), "
            f"got shape {tuple(weight.shape)}"
        )
    if not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    channels, c_out = input.shape[-dims - 1], weight.shape[0]
    if channels != weight.shape[1] * groups:
        read_as = f", read as one unbatched sample {unbatched}" if input.ndim == dims + 1 else ""
        raise ValueError(
            f"{op}: input has {channels} channels but weight expects {weight.shape[1] * groups} "
            f"(input shape {tuple(input.shape)}{read_as}; weight shape {tuple(weight.shape)}, "
            f"groups={groups})"
        )
    if c_out % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide the {c_out} output channels "
            f"(weight shape {tuple(weight.shape)})"
        )
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(
            f"{op}: expected a bias of shape ({c_out},), one per output channel, "
            f"got shape {tuple(bias.shape)}"
        )


def _check_kernel_fits(op, size, kernel, dilation, pads) -> None:
    """Raise unless the dilated kernel fits inside the padded input (one output at least)."""
    dilated = tuple(span(k, d) for k, d in zip(kernel, dilation))
    padded = tuple(n + before + after for n, (before, after) in zip(size, pads))
    if any(k > n for k, n in zip(dilated, padded)):
        raise ValueError(
            f"{op}: kernel {tuple(kernel)} (dilated {dilated}) is larger than the padded "
            f"input {padded}"
        )


def _reference_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """The sum :class:`Conv2d` computes, composed from pad, slicing and matmul (the oracle
    the tests check it against): for each group and kernel offset (i, j), the strided
    slice of the padded input that the offset reads, times the weights w[:, :, i, j]."""
    kernel = tuple(weight.shape[2:])
    stride = int_tuple(stride, 2, "stride", "conv2d", minimum=1)
    dilation = int_tuple(dilation, 2, "dilation", "conv2d", minimum=1)
    pads = conv_padding(padding, kernel, stride, dilation, "conv2d")
    (top, bottom), (left, right) = pads
    xp = pad(input, (left, right, top, bottom))
    out_size = output_size(input.shape[2:], kernel, stride, dilation, pads)
    c_in, c_out = weight.shape[1], weight.shape[0] // groups
    outputs = []
    for g in range(groups):
        total = 0
        for i, j, (_, rows, cols) in window_slices(kernel, stride, dilation, out_size):
            patch = xp[:, g * c_in : (g + 1) * c_in, rows, cols]  # (N, C/G, Ho, Wo)
            w_ij = weight[g * c_out : (g + 1) * c_out, :, i, j]  # (O/G, C/G)
            total = total + (patch.permute(0, 2, 3, 1) @ w_ij.T).permute(0, 3, 1, 2)
        outputs.append(total)
    y = cat(outputs, 1)
    return y if bias is None else y + bias.reshape(1, -1, 1, 1)
