"""Reductions: sum, max/min, prod (primitives) and mean, var, std, logsumexp (composed).

A reduction's backward spreads each output gradient back over the elements that produced
it: evenly to every element for a sum, to the chosen element for a max.
"""

from __future__ import annotations

import collections
import math

import numpy as np

from abinitio.autograd.function import Function
from abinitio.ops.arguments import normalize_dim, normalize_dims, resolve_axis_alias
from abinitio.ops.selection import maximum, minimum
from abinitio.tensor import Tensor

# torch.max(x, dim) returns a named pair; so does abinitio
ValuesIndices = collections.namedtuple("ValuesIndices", ["values", "indices"])


def _expand_to_input(g, dims, keepdim, shape):
    """Put the reduced dims back (size 1) and broadcast g over them: g's shape -> shape."""
    if dims is not None and not keepdim:
        g = np.expand_dims(g, dims)
    return np.broadcast_to(g, shape)


class Sum(Function):
    """y = sum of x over dims.   dL/dx_i = g for every element x_i that was summed."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return np.sum(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return _expand_to_input(g, ctx.dims, ctx.keepdim, ctx.shape)


class Amax(Function):
    """y = max of x over dims.   dL/dx_i = g / k where x_i is one of the k maxima, else 0
    (ties share the gradient evenly, as in PyTorch's ``amax`` and full ``max()``)."""

    reduce = staticmethod(np.amax)

    @classmethod
    def forward(cls, ctx, x, dims, keepdim):
        y = cls.reduce(x, axis=dims, keepdims=True)
        ctx.save_for_backward(x, y)
        ctx.dims, ctx.keepdim = dims, keepdim
        return y if keepdim else _drop_dims(y, dims)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        chosen = x == y
        count = np.sum(chosen, axis=ctx.dims, keepdims=True)
        g = g if ctx.keepdim else _expand_to_input(g, ctx.dims, False, y.shape)
        return g * chosen / count.astype(g.dtype)


class Amin(Amax):
    """y = min of x over dims.   dL/dx_i = g / k where x_i is one of the k minima, else 0.
    The same rule as :class:`Amax`: only the reduction differs."""

    reduce = staticmethod(np.amin)


def _drop_dims(y, dims):
    return y.reshape(()) if dims is None else np.squeeze(y, axis=dims)


class PickAlongDim(Function):
    """y = x[..., i, ...] with one index i per slice along ``dim`` (the arg-max for
    ``max(dim)``).   dL/dx = g at each picked position, 0 elsewhere."""

    @staticmethod
    def forward(ctx, x, indices, dim, keepdim):
        ctx.shape, ctx.indices, ctx.dim, ctx.keepdim = x.shape, indices, dim, keepdim
        y = np.take_along_axis(x, indices, axis=dim)
        return y if keepdim else np.squeeze(y, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grad = np.zeros_like(g, shape=ctx.shape)
        g = g if ctx.keepdim else np.expand_dims(g, ctx.dim)
        np.put_along_axis(grad, ctx.indices, g, axis=ctx.dim)
        return grad


class Prod(Function):
    """y = product of x along dim.   dL/dx_i = g * (product of all the other elements).

    The product of the others is formed from exclusive running products from the left and
    from the right, so it is exact even when some x_i are 0 (dividing y by x_i is not)."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        if dim is None:
            return np.prod(x)
        return np.prod(x, axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dim = ctx.dim
        flat = x.reshape(-1) if dim is None else x
        axis = 0 if dim is None else dim
        if dim is not None and not ctx.keepdim:
            g = np.expand_dims(g, dim)
        others = _product_of_others(flat, axis)
        return (g * others).reshape(x.shape)


def _product_of_others(x, axis):
    ones = np.ones_like(np.take(x, [0], axis=axis))
    left = np.cumprod(x, axis=axis)
    right = np.flip(np.cumprod(np.flip(x, axis=axis), axis=axis), axis=axis)
    n = x.shape[axis]
    left_exclusive = np.concatenate([ones, np.take(left, range(n - 1), axis=axis)], axis=axis)
    right_exclusive = np.concatenate([np.take(right, range(1, n), axis=axis), ones], axis=axis)
    return left_exclusive * right_exclusive


def sum(input, dim=None, keepdim=False, *, axis=None, dtype=None):
    """Sum over ``dim`` (an int, a tuple of ints, or ``None`` for all)."""
    dims = normalize_dims(resolve_axis_alias(dim, axis, "sum"), input.ndim, "sum")
    if dtype is not None:
        input = input.to(dtype)
    return Sum.apply(input, dims, keepdim)


def mean(input, dim=None, keepdim=False, *, axis=None, dtype=None):
    """Arithmetic mean over ``dim``: sum / number of elements summed."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise TypeError(
            f"mean: input dtype must be floating point, got {input.dtype}; "
            "use .float() or dtype=ab.float32"
        )
    dims = normalize_dims(resolve_axis_alias(dim, axis, "mean"), input.ndim, "mean")
    count = _count(input.shape, dims)
    return Sum.apply(input, dims, keepdim) * (1.0 / count if count else float("nan"))


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    """Variance: sum((x - mean)^2) / (N - correction). ``correction=1`` (the default, also
    ``unbiased=True``) is Bessel's correction; ``correction=0`` is the population variance."""
    dim = resolve_axis_alias(dim, axis, "var")
    if isinstance(dim, bool):  # var(x, True): the old positional unbiased flag
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError("var: pass unbiased= or correction=, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    dims = normalize_dims(dim, input.ndim, "var")
    centred = input - mean(input, dims, keepdim=True)
    dof = _count(input.shape, dims) - correction
    squares = Sum.apply(centred * centred, dims, keepdim)
    return squares * (1.0 / dof if dof > 0 else float("inf"))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    """Standard deviation: the square root of :func:`var` (same arguments)."""
    return var(input, dim, unbiased, keepdim, correction=correction, axis=axis).sqrt()


def _count(shape, dims) -> int:
    """How many elements a reduction over ``dims`` (None: all) combines into one."""
    if dims is None:
        return math.prod(shape)
    return math.prod(shape[d] for d in dims)


def amax(input, dim=None, keepdim=False, *, axis=None):
    """Maximum over ``dim`` (int, tuple or all); ties share the gradient."""
    dims = normalize_dims(resolve_axis_alias(dim, axis, "amax"), input.ndim, "amax")
    return Amax.apply(input, dims, keepdim)


def amin(input, dim=None, keepdim=False, *, axis=None):
    """Minimum over ``dim`` (int, tuple or all); ties share the gradient."""
    dims = normalize_dims(resolve_axis_alias(dim, axis, "amin"), input.ndim, "amin")
    return Amin.apply(input, dims, keepdim)


def max(input, dim=None, keepdim=False, *, axis=None):
    """``max(x)``: the largest element (ties share the gradient). ``max(x, dim)``: a pair
    ``(values, indices)``, the gradient going to each arg-max. ``max(x, y)``: elementwise."""
    dim = resolve_axis_alias(dim, axis, "max")
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    if dim is None:
        return Amax.apply(input, None, False)
    return _pick(input, dim, keepdim, np.argmax, "max")


def min(input, dim=None, keepdim=False, *, axis=None):
    """Like :func:`max`, for the smallest elements."""
    dim = resolve_axis_alias(dim, axis, "min")
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    if dim is None:
        return Amin.apply(input, None, False)
    return _pick(input, dim, keepdim, np.argmin, "min")


def _pick(input, dim, keepdim, arg_function, op):
    dim = normalize_dim(dim, input.ndim, op)
    if input.ndim == 0:
        return ValuesIndices(input, Tensor._make(np.zeros((), dtype=np.int64), False, None))
    indices = np.expand_dims(arg_function(input.array, axis=dim), dim)
    values = PickAlongDim.apply(input, indices, dim, keepdim)
    indices = indices if keepdim else np.squeeze(indices, axis=dim)
    return ValuesIndices(values, Tensor._make(indices.astype(np.int64), False, None))


def prod(input, dim=None, keepdim=False, *, axis=None):
    """Product of the elements along ``dim`` (one int, or ``None`` for all)."""
    dim = resolve_axis_alias(dim, axis, "prod")
    if dim is not None:
        dim = normalize_dim(dim, input.ndim, "prod")
    return Prod.apply(input, dim, keepdim)


def logsumexp(input, dim, keepdim=False, *, axis=None):
    """log(sum(exp(x))) over ``dim``, computed as m + log(sum(exp(x - m))) with m the max,
    so that no exp overflows. Its gradient is softmax(x)."""
    dim = resolve_axis_alias(dim, axis, "logsumexp")
    dims = normalize_dims(dim, input.ndim, "logsumexp")
    shift = np.amax(input.array, axis=dims, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0)
    total = Sum.apply((input - shift).exp(), dims, keepdim)
    return total.log() + (shift if keepdim else _drop_dims(shift, dims))


def argmax(input, dim=None, keepdim=False, *, axis=None):
    """Index of the largest element (over the flattened tensor when ``dim`` is None)."""
    return _arg(input, resolve_axis_alias(dim, axis, "argmax"), keepdim, np.argmax, "argmax")


def argmin(input, dim=None, keepdim=False, *, axis=None):
    """Index of the smallest element (over the flattened tensor when ``dim`` is None)."""
    return _arg(input, resolve_axis_alias(dim, axis, "argmin"), keepdim, np.argmin, "argmin")


def _arg(input, dim, keepdim, arg_function, op):
    if dim is None:
        index = arg_function(input.array)
        if keepdim:
            index = np.reshape(index, (1,) * input.ndim)
    else:
        dim = normalize_dim(dim, input.ndim, op)
        index = arg_function(input.array, axis=dim, keepdims=keepdim)
    return Tensor._make(np.asarray(index, dtype=np.int64), False, None)
