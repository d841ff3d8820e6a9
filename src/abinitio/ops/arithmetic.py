"""Arithmetic: ``+ - * / **`` and negation.

Each backward returns gradients of the *output's* shape; the engine sums them down to the
inputs' shapes when broadcasting made them bigger.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.ops.arguments import operand


class Add(Function):
    """z = x + y.   dL/dx = g,  dL/dy = g."""

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """z = x - y.   dL/dx = g,  dL/dy = -g."""

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """z = x * y.   dL/dx = g * y,  dL/dy = g * x."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = g * y if ctx.needs_input_grad[0] else None
        gy = g * x if ctx.needs_input_grad[1] else None
        return gx, gy


class Div(Function):
    """z = x / y.   dL/dx = g / y,  dL/dy = -g * x / y^2 = -g * z / y."""

    @staticmethod
    def forward(ctx, x, y):
        z = x / y
        if z.dtype == np.float64 and _is_integer(x) and _is_integer(y):
            z = z.astype(np.float32)  # int / int gives float32, as in PyTorch
        ctx.save_for_backward(y, z)
        return z

    @staticmethod
    def backward(ctx, g):
        y, z = ctx.saved_tensors
        gx = g / y if ctx.needs_input_grad[0] else None
        gy = -g * z / y if ctx.needs_input_grad[1] else None
        return gx, gy


class Neg(Function):
    """y = -x.   dL/dx = -g."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    """z = x ** y.
    dL/dx = g * y * x^(y-1);   dL/dy = g * z * ln(x), taken as 0 where x = 0 and y >= 0
    (the limit PyTorch uses, so that 0 ** y stays differentiable in y)."""

    @staticmethod
    def forward(ctx, x, y):
        z = x**y
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx, g):
        x, y, z = ctx.saved_tensors
        gx = gy = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.needs_input_grad[0]:
                gx = g * (2 * x) if _is_two(y) else g * y * x ** (y - 1)
            if ctx.needs_input_grad[1]:
                log_x = np.where((x == 0) & (y >= 0), 0, np.log(x))
                gy = g * z * log_x
        return gx, gy


def _is_integer(value) -> bool:
    if isinstance(value, (int, bool, np.integer)):
        return True
    return getattr(value, "dtype", np.dtype(float)).kind in "iub"


def _is_two(value) -> bool:
    return type(value) in (int, float) and value == 2


def add(input, other, *, alpha=1):
    """input + alpha * other (``torch.add``)."""
    other = operand(other)
    if alpha != 1:
        other = mul(other, alpha)
    return Add.apply(operand(input), other)


def sub(input, other, *, alpha=1):
    """input - alpha * other (``torch.sub``)."""
    other = operand(other)
    if alpha != 1:
        other = mul(other, alpha)
    return Sub.apply(operand(input), other)


def mul(input, other):
    """Elementwise product with broadcasting."""
    return Mul.apply(operand(input), operand(other))


def div(input, other):
    """Elementwise true division with broadcasting."""
    return Div.apply(operand(input), operand(other))


def neg(input):
    return Neg.apply(input)


def pow(input, exponent):
    """input ** exponent; either may be a Tensor or a number."""
    return Pow.apply(operand(input), operand(exponent))
