"""Choosing between values: maximum, minimum, clamp, where, and comparisons.

The gradient of a choice flows only to the value that was chosen. Where two candidates tie
(``maximum(x, y)`` with ``x == y``), PyTorch gives each half, and so does abinitio.
Comparisons (``<``, ``==``, ...) return boolean tensors with no gradient.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.ops.arguments import array_of, operand
from abinitio.tensor import Tensor


class Maximum(Function):
    """z = max(x, y) elementwise.   dL/dx = g where x > y, g/2 where x == y, else 0."""

    choose = staticmethod(np.maximum)
    wins = staticmethod(np.greater_equal)  # "x is (one of) the chosen"

    @classmethod
    def forward(cls, ctx, x, y):
        ctx.save_for_backward(x, y)
        return cls.choose(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        wins = ctx.fn.wins
        share = np.where(x == y, 0.5, 1.0).astype(g.dtype, copy=False)
        gx = g * share * wins(x, y) if ctx.needs_input_grad[0] else None
        gy = g * share * wins(y, x) if ctx.needs_input_grad[1] else None
        return gx, gy


class Minimum(Maximum):
    """z = min(x, y) elementwise.   dL/dx = g where x < y, g/2 where x == y, else 0.
    The same rule as :class:`Maximum`: only the comparison differs."""

    choose = staticmethod(np.minimum)
    wins = staticmethod(np.less_equal)


class Clamp(Function):
    """y = min(max(x, lo), hi) for numbers lo, hi.   dL/dx = g where lo <= x <= hi, else 0."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        inside = np.ones_like(x, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        ctx.save_for_backward(inside)
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return g * inside


class Where(Function):
    """z = x where condition else y.   dL/dx = g where condition, dL/dy = g elsewhere."""

    @staticmethod
    def forward(ctx, condition, x, y):
        ctx.save_for_backward(condition)
        return np.where(condition, x, y)

    @staticmethod
    def backward(ctx, g):
        (condition,) = ctx.saved_tensors
        gx = np.where(condition, g, 0) if ctx.needs_input_grad[1] else None
        gy = np.where(condition, 0, g) if ctx.needs_input_grad[2] else None
        return None, gx, gy


def maximum(input, other):
    """Elementwise maximum; ties split the gradient evenly."""
    return Maximum.apply(operand(input), operand(other))


def minimum(input, other):
    """Elementwise minimum; ties split the gradient evenly."""
    return Minimum.apply(operand(input), operand(other))


def clamp(input, min=None, max=None):
    """Limit every element to ``[min, max]`` (either bound may be ``None``, or a Tensor)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min= and max= must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        result = input
        if min is not None:
            result = where(result < min, min, result)
        if max is not None:
            result = where(result > max, max, result)
        return result
    return Clamp.apply(input, min, max)


def where(condition, input, other):
    """``input`` where ``condition`` is true, else ``other``; either may be a number."""
    condition = array_of(condition)
    if condition.dtype != np.bool_:
        condition = condition.astype(bool)
    return Where.apply(condition, operand(input), operand(other))


def masked_fill(input, mask, value):
    """``input`` with ``value`` written where ``mask`` is true (attention masks use this)."""
    return where(mask, value, input)


def _compare(ufunc):
    def compare(input, other):
        a = input.array if isinstance(input, Tensor) else input
        b = other.array if isinstance(other, Tensor) else other
        try:
            return Tensor._make(ufunc(a, b), False, None)
        except ValueError as error:  # name the comparison, as every Function's error does
            shapes = f"{np.shape(a)}, {np.shape(b)}"
            raise ValueError(f"{ufunc.__name__}: {error} (input shapes: {shapes})") from None

    compare.__name__ = ufunc.__name__
    compare.__doc__ = f"Elementwise ``{ufunc.__name__}``: a boolean tensor with no gradient."
    return compare


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)
logical_and = _compare(np.logical_and)
logical_or = _compare(np.logical_or)
