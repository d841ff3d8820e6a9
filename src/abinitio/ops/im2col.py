"""Sliding windows: the machinery that convolution and pooling share.

A 2-D convolution or pooling slides a (kH, kW) window over the zero-padded input ``xp``,
``stride`` pixels at a time, reading every ``dilation``-th pixel inside the window. Output
position (y, x) reads, for each kernel offset (i, j), the pixel

    xp[..., y*sh + i*dh, x*sw + j*dw]

Two ways to organise that reading, and both are used here:

* **im2col** copies every window into one column of a matrix, so that a convolution
  becomes a single matrix product (one GEMM, which BLAS runs at full speed):
  ``columns[(c, i, j), (y, x, n)] = xp[n, c, y*sh + i*dh, x*sw + j*dw]``.
* **kernel offsets**: for a fixed offset (i, j), the pixels read over *all* output
  positions form one strided slice of ``xp`` of shape (Ho, Wo). A Python loop over the
  kH*kW offsets (never over pixels or windows) then handles pooling and **col2im**, the
  adjoint of im2col that adds every column entry back onto the pixel it came from.

**Batch innermost.** The convolutions keep their images in memory as (C, H, W, N), the
batch last, and show them as (N, C, H, W) views (NumPy strides make the transposition
free). With the batch innermost, one image row of all N samples is one contiguous run of
W*N numbers, so im2col and col2im copy and add long runs instead of rows of a few pixels;
and a convolution's output, (C_out, Ho*Wo*N) straight from the GEMM, is already in the
order the next convolution (and its own backward) reads, so no transposing copies are
made between layers. Elementwise layers (ReLU, batch norm) keep whatever layout they get.

This file also turns user arguments (ints, tuples, ``"same"``) into the tuples the
primitives take, so every op validates them the same way.
"""

from __future__ import annotations

import numbers

import numpy as np

from abinitio.backend import as_strided, contiguous


def int_tuple(value, n: int, name: str, op: str, minimum: int = 0) -> tuple:
    """An int or a sequence of ``n`` ints, each at least ``minimum``, as an ``n``-tuple."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    valid = len(values) == n and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= minimum for v in values
    )
    if not valid:
        raise ValueError(
            f"{op}: {name} must be an int or a tuple of {n} ints, each >= {minimum}; got {value!r}"
        )
    return tuple(int(v) for v in values)


def span(kernel: int, dilation: int) -> int:
    """How many pixels a dilated kernel covers: d*(k - 1) + 1."""
    return dilation * (kernel - 1) + 1


def conv_padding(padding, kernel, stride, dilation, op: str) -> tuple:
    """``padding`` (int, tuple, ``"valid"`` or ``"same"``) as ((before, after), ...) per dim.

    ``"same"`` keeps the output size equal to the input size (stride 1 only): it pads
    d*(k - 1) in total, half before and the rest (one more, when odd) after, as PyTorch does.
    """
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise ValueError(
                f"{op}: padding must be an int, a tuple, 'same' or 'valid'; got {padding!r}"
            )
        if any(s != 1 for s in stride):
            raise ValueError(
                f"{op}: padding='same' is not supported for strided convolutions "
                f"(stride {stride}); use an explicit padding"
            )
        totals = [span(k, d) - 1 for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in int_tuple(padding, n, "padding", op))


def output_size(size, kernel, stride, dilation, pads) -> tuple:
    """Output length per dim: floor((size + before + after - span) / stride) + 1."""
    return tuple(
        (n + before + after - span(k, d)) // s + 1
        for n, k, s, d, (before, after) in zip(size, kernel, stride, dilation, pads)
    )


def pad2d(x, pads, value: float = 0.0):
    """A copy of ``x`` with its last two axes padded by ``pads`` = ((top, bottom), (left,
    right)) filled with ``value``; ``x`` itself when there is nothing to pad."""
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    height, width = x.shape[-2:]
    shape = x.shape[:-2] + (top + height + bottom, left + width + right)
    xp = np.full_like(x, value, shape=shape)
    xp[..., top : top + height, left : left + width] = x
    return xp


def pad_batch_last(x, pads, value: float = 0.0):
    """(N, C, H, W) -> the padded images as a contiguous (C, Hp, Wp, N) array, batch
    innermost (see the top of this file). Free when ``x`` already lies that way in memory
    and needs no padding."""
    xt = x.transpose(1, 2, 3, 0)
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return contiguous(xt)
    channels, height, width, n = xt.shape
    shape = (channels, top + height + bottom, left + width + right, n)
    xp = np.full_like(xt, value, shape=shape, order="C")
    xp[:, top : top + height, left : left + width] = xt
    return xp


def crop2d(xp, pads, size):
    """The (H, W) = ``size`` interior of a padded array: the inverse of :func:`pad2d`."""
    (top, _), (left, _) = pads
    return xp[..., top : top + size[0], left : left + size[1]]


def window_slices(kernel, stride, dilation, out_size):
    """For each kernel offset (i, j): the index of the strided slice of the padded input
    that this offset reads at every output position, rows i*dh + sh*y for y < Ho."""
    for i in range(kernel[0]):
        first = i * dilation[0]
        rows = slice(first, first + stride[0] * (out_size[0] - 1) + 1, stride[0])
        for j in range(kernel[1]):
            first = j * dilation[1]
            cols = slice(first, first + stride[1] * (out_size[1] - 1) + 1, stride[1])
            yield i, j, (Ellipsis, rows, cols)


def windows_are_disjoint(kernel, stride, dilation) -> bool:
    """True when no two windows share a pixel (each spans at most its stride), so that
    writing a window's gradient needs no addition."""
    return all(span(k, d) <= s for k, s, d in zip(kernel, stride, dilation))


def im2col(xp, kernel, stride, dilation, out_size, groups: int):
    """Columns of shape (G, C/G*kH*kW, Ho*Wo*N), one per output position, from the padded
    images ``xp`` laid out batch innermost, (C, Hp, Wp, N) (see :func:`pad_batch_last`):
    ``columns[g, (c, i, j), (y, x, n)] = xp[g*C/G + c, y*sh + i*dh, x*sw + j*dw, n]``.

    The row index (c, i, j) matches a weight of shape (O, C/G, kH, kW) flattened to
    (O, C/G*kH*kW), so a convolution is one matrix product per group. With the batch
    innermost, the copy's inner loop runs over Wo*N contiguous numbers (stride 1).

    Example: the four 2x2 windows of one 3x3 image, one per column
        >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
        >>> im2col(x, (2, 2), (1, 1), (1, 1), (2, 2), groups=1)[0]
        array([[0., 1., 3., 4.],
               [1., 2., 4., 5.],
               [3., 4., 6., 7.],
               [4., 5., 7., 8.]])

    See the article docs/articles/architectures/convolutional_networks.py.
    """
    xp = contiguous(xp)
    c, _, _, n = xp.shape
    row, col = xp.strides[1:3]
    # view[c, i, j, y, x, n] = xp[c, y*sh + i*dh, x*sw + j*dw, n], without copying
    shape = (c, kernel[0], kernel[1], out_size[0], out_size[1], n)
    strides = (xp.strides[0], dilation[0] * row, dilation[1] * col, stride[0] * row,
               stride[1] * col, xp.strides[3])  # fmt: skip
    view = as_strided(xp, shape, strides)
    return contiguous(view).reshape(groups, -1, out_size[0] * out_size[1] * n)


def col2im(columns, padded_shape, kernel, stride, dilation, out_size):
    """The adjoint of :func:`im2col`: the (N, C, Hp, Wp) array in which every column entry
    is added onto the pixel it was copied from (overlapping windows add up). One strided
    add per kernel offset; no loop over pixels.

    Here the columns list the batch innermost: ``columns[(c, i, j), (y, x, n)]``, shape
    (C*kH*kW, Ho*Wo*N) (or (G, C/G*kH*kW, Ho*Wo*N)). Then one kernel offset's add covers
    Wo*N consecutive numbers per output row instead of Wo, several times faster on small
    images. The result is a view of a (C, Hp, Wp, N) array.
    """
    n, c = padded_shape[:2]
    blocks = columns.reshape(c, kernel[0], kernel[1], out_size[0], out_size[1], n)
    grad = np.zeros_like(columns, shape=(c,) + tuple(padded_shape[2:]) + (n,))
    for i, j, (_, rows, cols) in window_slices(kernel, stride, dilation, out_size):
        grad[:, rows, cols] += blocks[:, i, j]
    return grad.transpose(3, 0, 1, 2)


# Columns of one block take about this many numbers (2 MiB of float32): GEMMs whose
# operands stay in the core's cache run two to three times faster than on the whole image
# at these sizes (measured on AVX-512 OpenBLAS: (16, 144) @ (144, P) at 58 GFLOP/s with
# P = 2048, 26 GFLOP/s with P = 32768). A ResNet-8 step, 1 / 2 BLAS threads, ms: blocks of
# 2^18 numbers 73 / 64, 2^19 72 / 55, 2^20 79 / 60 (at 2 threads BLAS splits each GEMM,
# and smaller blocks give each thread too little work).
BLOCK_NUMBERS = 1 << 19


def column_blocks(out_size, n: int, rows: int):
    """Split the output positions (y, x, n) into blocks (y0, y1, x0, x1) whose im2col
    columns, ``rows`` numbers each, take about :data:`BLOCK_NUMBERS`: whole output rows
    when one row is small enough, else pieces of one row."""
    height, width = out_size
    positions = max(BLOCK_NUMBERS // rows, n)
    if width * n <= positions:
        step = positions // (width * n)
        for y in range(0, height, step):
            yield y, min(y + step, height), 0, width
        return
    step = max(positions // n, 1)
    for y in range(height):
        for x in range(0, width, step):
            yield y, y + 1, x, min(x + step, width)


def im2col_block(xp, kernel, stride, dilation, block, groups: int):
    """The columns of :func:`im2col` for the output positions of one block (y0, y1, x0,
    x1) of :func:`column_blocks`: shape (G, C/G*kH*kW, (y1-y0)*(x1-x0)*N)."""
    y0, y1, x0, x1 = block
    corner = xp[:, y0 * stride[0] :, x0 * stride[1] :]
    c, _, _, n = xp.shape
    row, col = xp.strides[1:3]
    shape = (c, kernel[0], kernel[1], y1 - y0, x1 - x0, n)
    strides = (xp.strides[0], dilation[0] * row, dilation[1] * col, stride[0] * row,
               stride[1] * col, xp.strides[3])  # fmt: skip
    view = as_strided(corner, shape, strides)
    return contiguous(view).reshape(groups, -1, (y1 - y0) * (x1 - x0) * n)


def col2im_block(columns, grad, kernel, stride, dilation, block) -> None:
    """Add one block's column gradients onto the padded (C, Hp, Wp, N) ``grad``: the
    adjoint of :func:`im2col_block`, one strided add per kernel offset (see :func:`col2im`)."""
    y0, y1, x0, x1 = block
    c, n = grad.shape[0], grad.shape[3]
    blocks = columns.reshape(c, kernel[0], kernel[1], y1 - y0, x1 - x0, n)
    for i, j, (_, rows, cols) in window_slices(kernel, stride, dilation, (y1 - y0, x1 - x0)):
        rows = slice(rows.start + y0 * stride[0], rows.stop + y0 * stride[0], rows.step)
        cols = slice(cols.start + x0 * stride[1], cols.stop + x0 * stride[1], cols.step)
        grad[:, rows, cols] += blocks[:, i, j]


def flat_block(a, block):
    """The positions of one block of a (G, R, Ho, Wo, N) array, as a (G, R, positions)
    view (no copy: writes into it land in ``a``)."""
    y0, y1, x0, x1 = block
    part = a[:, :, y0:y1, x0:x1]
    return np.reshape(part, part.shape[:2] + (-1,), copy=False)


def batch_last(x, groups: int):
    """(N, C, H, W) -> (G, C/G, H*W*N): the batch-innermost order :func:`col2im` takes."""
    return x.transpose(1, 2, 3, 0).reshape(groups, x.shape[1] // groups, -1)
