"""Activation functions: the non-linearities between layers.

Without them a stack of linear layers collapses into one linear map; with them, a network
with one hidden layer can approximate any continuous function (the universal approximation
theorem). Each is written so it cannot overflow for any finite input.
"""

from __future__ import annotations

import math

import numpy as np

from abinitio.autograd.function import Function
from abinitio.ops.parallel import elementwise


def stable_sigmoid(x):
    """1 / (1 + e^-x) without overflow: with e = exp(-|x|) <= 1,
    sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0."""
    e = np.exp(-np.abs(x))
    one_over = 1 / (1 + e)
    return np.where(x >= 0, one_over, e * one_over)


class Sigmoid(Function):
    """y = 1 / (1 + e^-x).   dL/dx = g * y * (1 - y).

    See the article docs/articles/neurons/activation_functions.py.
    """

    @staticmethod
    def forward(ctx, x):
        y = stable_sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * (1 - y)


class ReLU(Function):
    """y = max(x, 0).   dL/dx = g where x > 0, else 0 (0 at x = 0, as in PyTorch).

    See the article docs/articles/neurons/activation_functions.py.
    """

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        # the gradient takes y's memory layout (empty_like keeps it): after a global pool
        # g arrives as (N, C, H, W) while a convolution's y lies batch innermost, and the
        # batch norm and convolution below read gradients fastest in their own layout
        return np.multiply(g, y > 0, out=np.empty_like(y, dtype=g.dtype))


class LeakyReLU(Function):
    """y = x if x > 0 else a*x.   dL/dx = g if x > 0 else a*g."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return np.where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return np.where(x > 0, g, g * ctx.negative_slope)


_ERFC_COEFFICIENTS = (0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807,
                      -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223)  # fmt: skip


def _reference_normal_cdf(x):
    """Phi(x) = P(Z <= x) for a standard normal Z, to float32 precision everywhere.

    Phi(x) = erfc(-x / sqrt 2) / 2, with erfc from the Chebyshev fit in Numerical Recipes
    (section 6.2), whose *relative* error is below 1.2e-7 for every x, tails included.
    The readable version: :func:`normal_cdf` computes the same numbers faster.
    """
    z = np.abs(x) * (1 / math.sqrt(2))
    t = 1 / (1 + 0.5 * z)
    poly = 0 * t
    for c in _ERFC_COEFFICIENTS:
        poly = poly * t + c
    erfc = t * np.exp(poly - z * z)  # erfc(|x| / sqrt 2)
    return np.where(x >= 0, 1 - 0.5 * erfc, 0.5 * erfc)


def normal_cdf(x, out=None):
    """Phi(x), the same formula as :func:`_reference_normal_cdf`, in about a fifth of the time
    (into ``out`` when given, an array shaped like ``x``).

    Two changes, both measured on 2^20 float32 values: every step writes into the arrays it
    already has (``out=``, ``*=``), and the last line's ``np.where`` (4.8 ms there, forty
    times a multiplication: it branches per element on random signs) becomes arithmetic,

        Phi(x) = p + [x >= 0] (1 - 2 p),   p = erfc(|x| / sqrt 2) / 2 = Phi(-|x|),

    which keeps the tails exact: for x < 0 the result is p itself.
    """
    x = np.asarray(x) if not hasattr(x, "__array_ufunc__") else x
    if x.ndim == 0 or x.dtype.kind != "f":
        result = _reference_normal_cdf(x)
        if out is None:
            return result
        out[...] = result
        return out
    z = np.abs(x)
    z *= 1 / math.sqrt(2)  # z = |x| / sqrt 2
    t = np.multiply(z, 0.5)
    t += 1
    np.divide(1, t, out=t)  # t = 1 / (1 + z / 2)
    p = np.multiply(t, _ERFC_COEFFICIENTS[0])
    p += _ERFC_COEFFICIENTS[1]
    for c in _ERFC_COEFFICIENTS[2:]:  # Horner's rule, in place
        p *= t
        p += c
    z *= z
    p -= z
    np.exp(p, out=p)
    p *= t
    p *= 0.5  # p = erfc(z) / 2 = Phi(-|x|)
    upper = np.multiply(p, -2, out=out)
    upper += 1
    upper *= x >= 0
    upper += p
    return upper


class GELU(Function):
    """y = x * Phi(x) (Hendrycks & Gimpel 2016), Phi the standard normal CDF.
    dL/dx = g * (Phi(x) + x * phi(x)),  phi(x) = exp(-x^2/2) / sqrt(2 pi).
    With approximate="tanh": Phi(x) ~ (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2.
    The exact form saves Phi(x) from the forward: backward then needs one exp, not erf again.

    See the article docs/articles/neurons/activation_functions.py.
    """

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.approximate = approximate
        if approximate == "tanh":
            t, y = np.empty_like(x), np.empty_like(x)

            def gelu_tanh(y, t, x):  # on parts of x, each on its own thread when x is large
                np.multiply(x, x, out=t)
                t *= 0.044715
                t += 1
                t *= x
                t *= math.sqrt(2 / math.pi)  # k (x + 0.044715 x^3)
                np.tanh(t, out=t)
                np.add(t, 1, out=y)
                y *= x
                y *= 0.5

            elementwise(gelu_tanh, 9, y, t, x)
            ctx.save_for_backward(x, t)  # tanh saved: the backward needs no tanh again
            return y
        cdf, y = np.empty_like(x), np.empty_like(x)

        def gelu(y, cdf, x):  # on parts of x, each on its own thread when x is large
            np.multiply(x, normal_cdf(x, out=cdf), out=y)

        elementwise(gelu, 20, y, cdf, x)
        ctx.save_for_backward(x, cdf)
        return y

    @staticmethod
    def backward(ctx, g):
        if ctx.approximate == "tanh":
            x, t = ctx.saved_tensors
            return _elementwise_times(_gelu_tanh_derivative, 11, g, x, t)
        x, cdf = ctx.saved_tensors
        return _elementwise_times(_gelu_derivative, 7, g, x, cdf)


def _gelu_tanh_derivative(grad, x, t, *g):
    """grad = [0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 a x^2)] (times g), t the saved tanh,
    k = sqrt(2 / pi), a = 0.044715; in place, on a part of the arrays."""
    np.multiply(x, x, out=grad)
    grad *= 3 * 0.044715
    grad += 1
    grad *= math.sqrt(2 / math.pi) / 2
    grad *= x  # 0.5 x k (1 + 3 a x^2)
    square = np.multiply(t, t)
    np.subtract(1, square, out=square)
    grad *= square
    grad += 0.5
    np.multiply(t, 0.5, out=square)
    grad += square
    if g:
        grad *= g[0]


def _elementwise_times(derivative, passes, g, *saved):
    """``derivative(grad, *saved)`` times the incoming ``g``, split over threads when large:
    multiplied in the same pass when ``g`` is an array of the same shape, else after."""
    grad = np.empty_like(saved[0])  # an array even for 0-d x
    if isinstance(g, np.ndarray) and g.shape == grad.shape:
        elementwise(derivative, passes, grad, *saved, g)
        return grad
    elementwise(derivative, passes - 1, grad, *saved)
    return grad * g


def _gelu_derivative(grad, x, cdf, *g):
    """grad = Phi(x) + x phi(x) (times g), Phi the saved cdf; in place, on a part."""
    np.multiply(x, x, out=grad)
    grad *= -0.5
    np.exp(grad, out=grad)
    grad *= x
    grad *= 1 / math.sqrt(2 * math.pi)  # x * phi(x)
    grad += cdf
    if g:
        grad *= g[0]


class Softplus(Function):
    """y = ln(1 + e^(b x)) / b, and y = x where b x > threshold (there they agree to float
    precision).   dL/dx = g * sigmoid(b x), or g above the threshold."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        bx = x * beta
        ctx.save_for_backward(bx)
        ctx.threshold = threshold
        return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta)

    @staticmethod
    def backward(ctx, g):
        (bx,) = ctx.saved_tensors
        return np.where(bx > ctx.threshold, g, g * stable_sigmoid(bx))


class SiLU(Function):
    """y = x * sigmoid(x) (also called swish).   dL/dx = g * s * (1 + x (1 - s)), s = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        s = stable_sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * s * (1 + x * (1 - s))


def sigmoid(input):
    """The logistic function 1 / (1 + e^-x), stable for any |x|."""
    return Sigmoid.apply(input)


def relu(input):
    """max(x, 0)."""
    return ReLU.apply(input)


def leaky_relu(input, negative_slope: float = 0.01):
    """x if x > 0 else negative_slope * x."""
    return LeakyReLU.apply(input, negative_slope)


def gelu(input, approximate: str = "none"):
    """x * Phi(x); ``approximate="tanh"`` uses the tanh approximation (as in GPT-2)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate)


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """ln(1 + e^(beta x)) / beta, a smooth ReLU."""
    return Softplus.apply(input, beta, threshold)


def silu(input):
    """x * sigmoid(x)."""
    return SiLU.apply(input)
