"""Copies and dtype casts that stay in the graph."""

from __future__ import annotations

from abinitio.autograd.function import Function


class Cast(Function):
    """y = x converted to another dtype.   dL/dx = g converted back to x's dtype."""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.dtype)


class Clone(Function):
    """y = a copy of x (new memory).   dL/dx = g."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g
