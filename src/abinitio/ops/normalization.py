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


class LayerNorm(Function):
    """y = w * (x - mean) / sqrt(var + eps) + b, with mean and (biased) var taken over the
    last ``ndims`` axes of each sample. dL/dw = g * x_hat and dL/db = g, which the engine
    sums over the leading axes."""

    @staticmethod
    def forward(ctx, x, weight, bias, ndims, eps):
        axes = tuple(range(x.ndim - ndims, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = np.mean(centred * centred, axis=axes, keepdims=True)
        inv_std = 1 / np.sqrt(var + eps)
        x_hat = centred * inv_std
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.axes, ctx.has_bias = axes, bias is not None
        y = x_hat * weight if weight is not None else x_hat.copy()
        if bias is not None:
            y += bias
        return y

    @staticmethod
    def backward(ctx, g):
        x_hat, inv_std, weight = ctx.saved_tensors
        axes = ctx.axes
        count = math.prod(g.shape[a] for a in axes)
        d = g * weight if weight is not None else g
        sum_d = d.sum(axis=axes, keepdims=True)
        sum_d_xhat = (d * x_hat).sum(axis=axes, keepdims=True)
        gx = (inv_std / count) * (count * d - sum_d - x_hat * sum_d_xhat)
        gw = g * x_hat if ctx.needs_input_grad[1] else None
        gb = g if ctx.has_bias and ctx.needs_input_grad[2] else None
        return gx, gw, gb, None, None


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
