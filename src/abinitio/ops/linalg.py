"""Matrix products: ``matmul`` (every case PyTorch allows) and the fused ``linear`` layer op.

These are where a network spends its time, so both hand the work to BLAS in as few calls
as possible: a batch of inputs times one weight matrix is folded into a single GEMM.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.ops.arguments import operand
from abinitio.ops.parallel import over_outer_axis


def _matmul(a, b):
    """np.matmul, but (..., m, k) @ (k, n) becomes one (B*m, k) @ (k, n) GEMM, and a stack
    of products over the same batch axes runs on the intra-op threads (below)."""
    if a.ndim > 2 and b.ndim == 2:
        out = a.reshape(-1, a.shape[-1]) @ b
        return out.reshape(a.shape[:-1] + (b.shape[1],))
    if a.ndim > 2 and a.shape[:-2] == b.shape[:-2] and type(a) is type(b) is np.ndarray:
        return _stacked_matmul(a, b)
    return np.matmul(a, b)


def _stacked_matmul(a, b):
    """A stack of products (B..., m, k) @ (B..., k, n). NumPy runs them one after another
    on one core (each is usually too small for BLAS to thread), so parts of the stack go
    to the intra-op threads (``ops.parallel``); every product is the same BLAS call as in
    one piece, so the numbers are too."""
    out = np.empty(a.shape[:-1] + b.shape[-1:], np.result_type(a, b))

    def products(part):
        np.matmul(a[part], b[part], out=out[part])

    over_outer_axis(products, out, range(out.ndim - 2), 2 * out.size * a.shape[-1])
    return out


def _swap(a):
    return np.swapaxes(a, -1, -2)


class MatMul(Function):
    """z = x @ y, the matrix product over the last two axes, batched over the others.
    dL/dx = g @ y^T,   dL/dy = x^T @ g   (the engine sums over broadcast batch axes).
    A 1-D x acts as a row (1, k) and a 1-D y as a column (k, 1); that axis is then dropped."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return _matmul(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if x.ndim == 1 and y.ndim == 1:
            return g * y, g * x
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        g2 = np.expand_dims(g, -2) if x.ndim == 1 else g
        g2 = np.expand_dims(g2, -1) if y.ndim == 1 else g2
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = _matmul(g2, _swap(y2))
            gx = gx[..., 0, :] if x.ndim == 1 else gx
        if ctx.needs_input_grad[1]:
            if x2.ndim > 2 and y.ndim <= 2:  # fold the batch into one GEMM
                k, n = x2.shape[-1], g2.shape[-1]
                gy = x2.reshape(-1, k).T @ g2.reshape(-1, n)
            else:
                gy = _matmul(_swap(x2), g2)
            gy = gy[..., 0] if y.ndim == 1 else gy
        return gx, gy


class Linear(Function):
    """y = x @ W^T + b: every output is one neuron's weighted sum of the inputs plus bias.
    dL/dx = g @ W,   dL/dW = g^T @ x,   dL/db = sum of g over the batch.
    Fused (one node instead of three) because every MLP runs it; the composed version is
    :func:`_reference_linear`."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        y = _matmul(x, weight.T)
        if bias is not None:
            np.add(y, bias, out=y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        g2 = g.reshape(-1, g.shape[-1])
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = _matmul(g, weight)
        if ctx.needs_input_grad[1]:
            gw = g2.T @ x.reshape(-1, x.shape[-1])
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = g2.sum(axis=0)
        return gx, gw, gb


def _reference_linear(x, weight, bias=None):
    """The composed definition that :class:`Linear` fuses: x @ W^T + b."""
    y = x @ weight.T
    return y if bias is None else y + bias


def matmul(input, other):
    """Matrix product with NumPy's/PyTorch's rules: 1-D·1-D is a dot product, 2-D @ 1-D a
    matrix-vector product, and leading (batch) dims broadcast."""
    input, other = operand(input), operand(other)
    a, b = input.shape, other.shape
    if not a or not b:
        raise ValueError(f"matmul: both arguments need at least 1 dim, got shapes {a} and {b}")
    try:
        return MatMul.apply(input, other)
    except ValueError:
        _explain_mismatch(a, b)  # the shapes are checked only once NumPy has refused them
        raise


def _explain_mismatch(a: tuple, b: tuple) -> None:
    """Raise the message that says which rule of matmul the shapes ``a`` and ``b`` break."""
    inner_a = a[-1]
    inner_b = b[0] if len(b) == 1 else b[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {a} and {b} cannot be multiplied "
            f"(inner dimensions {inner_a} and {inner_b} differ)"
        )
    try:
        np.broadcast_shapes(a[:-2], b[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dims of {a} and {b} do not broadcast") from None


def linear(input, weight, bias=None):
    """y = input @ weight^T + bias, with weight of shape (out_features, in_features)."""
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        features = input.shape[-1] if input.ndim else 0
        raise ValueError(
            f"linear: input has {features} features (shape {input.shape}) but the weight "
            f"expects {weight.shape[-1]} (weight shape {weight.shape})"
        )
    return Linear.apply(input, weight, bias)
