"""Softmax and log-softmax: turning scores (logits) into probabilities.

softmax(x)_i = e^(x_i) / sum_j e^(x_j). Both are computed after subtracting the row maximum
m: e^(x - m) <= 1 cannot overflow, and the result is unchanged because the factor e^-m
cancels between numerator and denominator. They are fused primitives for speed and
stability; the composed definitions ``_reference_softmax`` and ``_reference_log_softmax``
are what the tests check them against.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.ops.arguments import normalize_dim, resolve_axis_alias
from abinitio.ops.parallel import over_outer_axis


class Softmax(Function):
    """y = e^(x - m) / sum(e^(x - m)) along dim.
    dL/dx = y * (g - sum(g * y)), the Jacobian diag(y) - y y^T applied to g.

    See the article docs/articles/neurons/activation_functions.py.
    """

    @staticmethod
    def forward(ctx, x, dim):
        y = np.empty_like(x)

        def rows(part):  # independent rows; parts of a large array run on their own threads
            e = y[part]
            np.subtract(x[part], np.amax(x[part], axis=dim, keepdims=True), out=e)
            np.exp(e, out=e)  # in place: the shifted copy is not needed again
            e /= np.sum(e, axis=dim, keepdims=True)

        over_outer_axis(rows, y, _other_axes(y, dim), 5 * y.size)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        g = np.broadcast_to(g, y.shape)
        gx = np.empty_like(y)

        def rows(part):  # y * (g - sum(g y)): two passes and a reduction, not y*g - y*sum's four
            out = gx[part]
            np.subtract(g[part], np.sum(g[part] * y[part], axis=ctx.dim, keepdims=True), out=out)
            out *= y[part]

        over_outer_axis(rows, y, _other_axes(y, ctx.dim), 4 * y.size)
        return gx


def _other_axes(a, dim):
    return [k for k in range(a.ndim) if k != dim % max(a.ndim, 1)]


def log_softmax_array(x, axis: int):
    """log softmax of an array along ``axis``: (x - m) - log(sum(e^(x - m))), m the maximum,
    so that no exponential overflows (the forward pass of LogSoftmax and CrossEntropy)."""
    shifted = x - np.amax(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


class LogSoftmax(Function):
    """y = (x - m) - log(sum(e^(x - m))) along dim.
    dL/dx = g - softmax(x) * sum(g), with softmax(x) = e^y."""

    @staticmethod
    def forward(ctx, x, dim):
        y = log_softmax_array(x, dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - np.exp(y) * np.sum(g, axis=ctx.dim, keepdims=True)


def softmax(input, dim: int, *, axis=None, dtype=None):
    """Probabilities along ``dim``: non-negative and summing to 1."""
    dim = normalize_dim(resolve_axis_alias(dim, axis, "softmax"), input.ndim, "softmax")
    if dtype is not None:
        input = input.to(dtype)
    return Softmax.apply(input, dim)


def log_softmax(input, dim: int, *, axis=None, dtype=None):
    """log(softmax(x)) along ``dim``, without ever forming softmax(x) (which underflows)."""
    dim = normalize_dim(resolve_axis_alias(dim, axis, "log_softmax"), input.ndim, "log_softmax")
    if dtype is not None:
        input = input.to(dtype)
    return LogSoftmax.apply(input, dim)


def _reference_softmax(input, dim: int):
    """Composed softmax: exp(x - max) / sum(exp(x - max))."""
    shifted = input - input.detach().amax(dim, keepdim=True)
    e = shifted.exp()
    return e / e.sum(dim, keepdim=True)


def _reference_log_softmax(input, dim: int):
    """Composed log-softmax: (x - max) - log(sum(exp(x - max)))."""
    shifted = input - input.detach().amax(dim, keepdim=True)
    return shifted - shifted.exp().sum(dim, keepdim=True).log()
