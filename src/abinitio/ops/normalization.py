"""Normalisation: batch norm and layer norm as fused primitives.

Both standardise activations, x_hat = (x - mean) / sqrt(var + eps), then scale and shift
them with learned parameters: y = w * x_hat + b. They differ in *which* elements share a
mean: batch norm averages each channel over the batch (and positions), layer norm averages
each sample over its features.

Because the mean and variance depend on every x in the group, the gradient of one x_i
collects three terms. With m elements per group and d = dL/dx_hat = g * w:

    dL/dx = (1 / (m sqrt(var + eps))) * (m d - sum(d) - x_hat * sum(d * x_hat))

Fusing saves memory and about ten graph nodes per layer; the composed definitions
(``_reference_batch_norm``, ``_reference_layer_norm``) are what tests compare against.
"""

from __future__ import annotations

import math

import numpy as np

from abinitio.autograd.function import Function


def _channel_shape(ndim: int) -> tuple:
    return (1, -1) + (1,) * (ndim - 2)


class BatchNorm(Function):
    """y = w * (x - mean) / sqrt(var + eps) + b, with mean and (biased) var taken per channel
    (axis 1) over the batch and all positions. The caller passes the centred input x - mean
    and the batch variance in (it needs the statistics for the running averages too); the
    backward accounts for their dependence on x with the three-term formula of the module
    docstring."""

    @staticmethod
    def forward(ctx, x, weight, bias, centred, var, eps):
        shape = _channel_shape(x.ndim)
        inv_std = 1 / np.sqrt(var + eps)
        x_hat = centred * inv_std.reshape(shape)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.has_bias = bias is not None
        y = x_hat * weight.reshape(shape) if weight is not None else x_hat.copy()
        if bias is not None:
            y += bias.reshape(shape)
        return y

    @staticmethod
    def backward(ctx, g):
        x_hat, inv_std, weight = ctx.saved_tensors
        g_rows, x_rows = _channel_rows(g), _channel_rows(x_hat)
        if g_rows is None or x_rows is None:
            return _batch_norm_backward(g, x_hat, inv_std, weight, ctx)
        # the same lines as _batch_norm_backward on (C, M) rows, with sum(d) = w * db and
        # sum(d x_hat) = w * dw: per-channel sums are matrix-vector products
        count = g_rows.shape[1]
        gb = _row_sums(g_rows)
        gw = _row_sums(g_rows * x_rows)
        scale = inv_std * (1 / count)
        if weight is not None:
            scale = scale * weight
        gx = g_rows * count
        gx -= gb[:, None]
        gx -= x_rows * gw[:, None]
        gx *= scale[:, None]
        gx = gx.reshape(_batch_last_shape(g.shape)).transpose(_from_batch_last(g.ndim))
        gw = gw if ctx.needs_input_grad[1] else None
        gb = gb if ctx.has_bias and ctx.needs_input_grad[2] else None
        return gx, gw, gb, None, None, None


def _batch_norm_backward(g, x_hat, inv_std, weight, ctx):
    """The three-term backward on (N, C, ...) arrays in any memory layout."""
    shape = _channel_shape(g.ndim)
    axes = (0,) + tuple(range(2, g.ndim))
    count = g.size // g.shape[1]
    d = g * weight.reshape(shape) if weight is not None else g
    sum_d = d.sum(axis=axes).reshape(shape)
    sum_d_xhat = (d * x_hat).sum(axis=axes).reshape(shape)
    gx = (inv_std.reshape(shape) / count) * (count * d - sum_d - x_hat * sum_d_xhat)
    gw = (g * x_hat).sum(axis=axes) if ctx.needs_input_grad[1] else None
    gb = g.sum(axis=axes) if ctx.has_bias and ctx.needs_input_grad[2] else None
    return gx, gw, gb, None, None, None


def _batch_last_shape(shape) -> tuple:
    return (shape[1],) + tuple(shape[2:]) + (shape[0],)


def _from_batch_last(ndim: int) -> tuple:
    return (ndim - 1, 0) + tuple(range(1, ndim - 1))


def _channel_rows(a):
    """(N, C, *S) -> a free (C, prod(S) * N) view when ``a`` lies in memory as (C, *S, N),
    the batch innermost, as convolutions leave their outputs (see ops/im2col.py); else None."""
    order = (1,) + tuple(range(2, a.ndim)) + (0,)
    t = a.transpose(order)
    if not t.flags.c_contiguous:
        return None
    return t.reshape(a.shape[1], -1)


def _row_sums(rows):
    """Sum each row of a 2-D array as one matrix-vector product: BLAS sums (2048, 128)
    float32 rows about four times faster than ``rows.sum(axis=1)``."""
    return rows @ np.ones_like(rows, shape=(rows.shape[1],))


class LayerNorm(Function):
    """y = w * (x - mean) / sqrt(var + eps) + b, with mean and (biased) var taken over the
    last ``ndims`` axes of each sample. dL/dw = sum of g * x_hat and dL/db = sum of g over
    the leading axes.

    The kernel views x as rows of the normalised size and computes, row by row, the same
    lines as :func:`_reference_layer_norm`: mean and var as matrix-vector products
    (:func:`_row_sums`), then x_hat = (x - mean) * inv_std written into one buffer.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, ndims, eps):
        count = math.prod(x.shape[x.ndim - ndims :])
        rows = x.reshape(-1, count)
        mean = _row_sums(rows) * (1 / count)
        x_hat = rows - mean[:, None]  # centred, then scaled in place below
        var = _row_sums(np.square(x_hat)) * (1 / count)
        inv_std = 1 / np.sqrt(var + eps)
        x_hat *= inv_std[:, None]
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.has_bias, ctx.shape = bias is not None, x.shape
        ctx.normalized_shape = x.shape[x.ndim - ndims :]
        y = x_hat * weight.reshape(-1) if weight is not None else x_hat.copy()
        if bias is not None:
            y += bias.reshape(-1)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x_hat, inv_std, weight = ctx.saved_tensors
        count = x_hat.shape[1]
        g_rows = g.reshape(x_hat.shape)
        d = g_rows * weight.reshape(-1) if weight is not None else g_rows
        sum_d = _row_sums(d)
        sum_d_xhat = _row_sums(d * x_hat)
        # gx = (inv_std / m) * (m d - sum(d) - x_hat * sum(d x_hat)), one buffer
        gx = d * count
        gx -= sum_d[:, None]
        gx -= x_hat * sum_d_xhat[:, None]
        gx *= (inv_std * (1 / count))[:, None]
        gw = gb = None
        if ctx.needs_input_grad[1]:
            gw = (g_rows * x_hat).sum(axis=0).reshape(ctx.normalized_shape)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = g_rows.sum(axis=0).reshape(ctx.normalized_shape)
        return gx.reshape(ctx.shape), gw, gb, None, None


def _reference_batch_norm(x, weight, bias, eps):
    """Composed training-mode batch norm over axis 1 (for tests and reading)."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = _channel_shape(x.ndim)
    mean = x.mean(axes, keepdim=True)
    var = ((x - mean) ** 2).mean(axes, keepdim=True)
    x_hat = (x - mean) / (var + eps).sqrt()
    return x_hat * weight.reshape(shape) + bias.reshape(shape)


def _reference_layer_norm(x, weight, bias, ndims, eps):
    """Composed layer norm over the last ``ndims`` axes (for tests and reading)."""
    axes = tuple(range(x.ndim - ndims, x.ndim))
    mean = x.mean(axes, keepdim=True)
    var = ((x - mean) ** 2).mean(axes, keepdim=True)
    return (x - mean) / (var + eps).sqrt() * weight + bias
