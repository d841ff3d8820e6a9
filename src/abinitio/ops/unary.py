"""Elementwise mathematical functions: exp, log, sqrt, abs, sin, cos, tanh.

Where the derivative is cheaper to write with the output (exp, sqrt, tanh) the output is
saved instead of the input.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function


class Exp(Function):
    """y = e^x.   dL/dx = g * e^x = g * y."""

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class Log(Function):
    """y = ln(x).   dL/dx = g / x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Sqrt(Function):
    """y = sqrt(x).   dL/dx = g / (2 sqrt(x)) = g / (2y)."""

    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g / (2 * y)


class Abs(Function):
    """y = |x|.   dL/dx = g * sign(x), with sign(0) = 0 as in PyTorch."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.sign(x)


class Sin(Function):
    """y = sin(x).   dL/dx = g * cos(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.cos(x)


class Cos(Function):
    """y = cos(x).   dL/dx = -g * sin(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * np.sin(x)


class Tanh(Function):
    """y = tanh(x).   dL/dx = g * (1 - tanh(x)^2) = g * (1 - y^2).

    See the article docs/articles/neurons/activation_functions.py.
    """

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 - y * y)


def exp(input):
    """e ** input, elementwise."""
    return Exp.apply(input)


def log(input):
    """Natural logarithm, elementwise."""
    return Log.apply(input)


def sqrt(input):
    return Sqrt.apply(input)


def abs(input):
    return Abs.apply(input)


def sin(input):
    return Sin.apply(input)


def cos(input):
    return Cos.apply(input)


def tanh(input):
    return Tanh.apply(input)
