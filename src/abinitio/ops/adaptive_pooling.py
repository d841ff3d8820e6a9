"""Adaptive average pooling: you choose the output size, the windows follow from it.

Output cell i of a length-n axis pooled to m cells averages the input positions
[floor(i*n/m), ceil((i+1)*n/m)) (PyTorch's rule: windows may differ in size and overlap
by one when m does not divide n). Averaging along one axis is a product with a fixed
(m, n) matrix whose row i holds 1/(window length) on its window, so the 2-D pooling is

    y = A_H @ x @ A_W^T

composed from two matmuls (each one GEMM over the whole batch): no new primitive, and the
gradient dL/dx = A_H^T @ g @ A_W comes from MatMul's own.
"""

from __future__ import annotations

import numbers

import numpy as np

from abinitio.backend import get_array_module
from abinitio.tensor import Tensor


def averaging_matrix(size: int, out: int, like) -> Tensor:
    """The (out, size) matrix whose row i averages input positions
    [floor(i*size/out), ceil((i+1)*size/out)), as a constant Tensor of ``like``'s dtype.

    Example:
        >>> averaging_matrix(3, 2, np.zeros(1, np.float32)).numpy()
        array([[0.5, 0.5, 0. ],
               [0. , 0.5, 0.5]], dtype=float32)
    """
    cells = np.arange(out)
    start = cells * size // out
    end = -(-(cells + 1) * size // out)
    positions = np.arange(size)
    inside = (positions >= start[:, None]) & (positions < end[:, None])
    matrix = inside / (end - start)[:, None]
    data = like.array if isinstance(like, Tensor) else like
    return Tensor._make(get_array_module(data).asarray(matrix, dtype=data.dtype), False, None)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a chosen output size (H_out, W_out), whatever the input size.

    out[..., i, j] = mean of input[..., h0:h1, w0:w1] with h0 = floor(i*H/H_out),
    h1 = ceil((i+1)*H/H_out), and likewise w0, w1. ``output_size=1`` is global average
    pooling.

    Args:
        input: (N, C, H, W) or (C, H, W).
        output_size: an int or (H_out, W_out); ``None`` in the tuple keeps that input size.

    Shape:
        output (N, C, H_out, W_out).

    Example:
        >>> import abinitio as ab
        >>> import abinitio.nn.functional as F
        >>> F.adaptive_avg_pool2d(ab.randn(2, 8, 7, 9), (3, 1)).shape
        (2, 8, 3, 1)
        >>> F.adaptive_avg_pool2d(ab.ones(1, 2, 5, 5), 1).flatten().tolist()
        [1.0, 1.0]
    """
    height, width = _output_size("adaptive_avg_pool2d", 2, input, output_size)
    rows = averaging_matrix(input.shape[-2], height, input)
    cols = averaging_matrix(input.shape[-1], width, input)
    # pool the width, then (with H last) the height: each product is one GEMM over the batch
    return ((input @ cols.T).transpose(-1, -2) @ rows.T).transpose(-1, -2)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of a sequence to a chosen length L_out.

    out[..., i] = mean of input[..., floor(i*L/L_out) : ceil((i+1)*L/L_out)].

    Args:
        input: (N, C, L) or (C, L).
        output_size: L_out, an int.

    Shape:
        output (N, C, L_out).

    Example:
        >>> import abinitio as ab
        >>> import abinitio.nn.functional as F
        >>> F.adaptive_avg_pool1d(ab.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2)
        tensor([[[2., 4.]]])
    """
    (length,) = _output_size("adaptive_avg_pool1d", 1, input, output_size)
    return input @ averaging_matrix(input.shape[-1], length, input).T


def _output_size(op, dims, input, output_size) -> tuple:
    layouts = {1: "2-D (C, L) or 3-D (N, C, L)", 2: "3-D (C, H, W) or 4-D (N, C, H, W)"}
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{op}: expected a {layouts[dims]} input, got shape {tuple(input.shape)}")
    size = tuple(input.shape[-dims:])
    if min(size) < 1:
        raise ValueError(f"{op}: expected a non-empty input, got shape {tuple(input.shape)}")
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * dims
    sizes = tuple(n if s is None else s for s, n in zip(sizes, size)) if len(sizes) == dims else ()
    if not sizes or not all(isinstance(s, numbers.Integral) and s >= 0 for s in sizes):
        raise ValueError(
            f"{op}: output_size must be an int or a tuple of {dims} non-negative ints (or "
            f"None), got {output_size!r}"
        )
    return tuple(int(s) for s in sizes)
