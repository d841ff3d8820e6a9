"""Scaled dot-product attention: each query reads a weighted average of the values.

For queries Q (L, E), keys K (S, E) and values V (S, Ev), batched over any leading dims::

    A = Q K^T * scale + M          scores (L, S); scale = 1 / sqrt(E) unless given
    P = softmax(A) along the keys  each query's weights: non-negative, summing to 1
    O = P V                        (L, Ev): query i gets sum_j P_ij V_j

Why 1 / sqrt(E): for q and k with independent unit-variance entries, q . k has variance
E, so unscaled scores grow with the head size and push the softmax into saturation, where
its gradient vanishes. The mask M is added to the scores: 0 where a query may attend,
-inf where it may not (exp(-inf) = 0, so that key gets no weight).

Stability: the softmax subtracts each row's maximum m first. e^(A - m) <= 1 cannot
overflow, and the result is unchanged because e^-m cancels between the numerator and the
sum. A row whose every key is masked has m = -inf; it gets P = 0 there (and so O = 0), as
PyTorch's ``scaled_dot_product_attention`` gives, instead of 0/0 = NaN.

The fused backward, for G = dL/dO (derived from O = P V and the softmax Jacobian
dP/dA = diag(p) - p p^T of each row p)::

    dV = P^T G
    dP = G V^T
    dA = P * (dP - rowsum(dP * P)) = P * (dP - rowsum(G * O))
    dQ = dA K * scale,   dK = dA^T Q * scale,   dM = dA (for a float mask that learns)

The row sums need no (L, S) product: sum_j P_ij (G_i . V_j) = G_i . (P V)_i = G_i . O_i,
an (L, Ev) one (the "D" of FlashAttention, Dao et al. 2022).

With dropout on the weights, O = (P * D) V for a keep mask D holding 0 or 1 / (1 - p);
then dV = (P * D)^T G and dP = (G V^T) * D. One node replaces about eight (two matmuls,
a transpose, a scale, a mask add and a softmax) and the scores are never stored twice.
``_reference_scaled_dot_product_attention`` is the composed definition the tests use.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from abinitio.autograd.function import Function
from abinitio.backend import get_array_module
from abinitio.ops.parallel import over_outer_axis
from abinitio.random import dropout_mask
from abinitio.tensor import Tensor


def _swap(a):
    return np.swapaxes(a, -1, -2)


def _safe_softmax(scores, masked: bool):
    """Softmax over the last axis, in place; rows with every key masked become 0."""
    row_max = scores.max(axis=-1, keepdims=True)
    if masked:
        row_max[np.isneginf(row_max)] = 0  # a fully masked row: exp(-inf - 0) = 0
    np.subtract(scores, row_max, out=scores)
    np.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True)
    if masked:
        total[total == 0] = 1
    np.divide(scores, total, out=scores)
    return scores


class ScaledDotProductAttention(Function):
    """O = softmax(Q K^T * scale + M) V (times a dropout keep mask on the weights).
    dV = P^T G,  dA = P * (dP - rowsum(G * O)) with dP = G V^T,  dQ = dA K * scale,
    dK = dA^T Q * scale,  dM = dA; the module docstring derives them.

    See the article docs/articles/architectures/transformers.py.
    """

    @staticmethod
    def forward(ctx, q, k, v, mask, scale, keep):
        xp = get_array_module(q)
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        scores_shape = batch + (q.shape[-2], k.shape[-2])
        if mask is not None:
            scores_shape = np.broadcast_shapes(scores_shape, mask.shape)
        p = xp.empty(scores_shape, np.result_type(q, k))
        out = xp.empty(scores_shape[:-1] + v.shape[-1:], np.result_type(p, v))
        s = q.dtype.type(scale)
        direct = batch + p.shape[-2:] == scores_shape  # else a mask adds batch axes
        flat_mask = mask is not None and mask.ndim <= 2  # (L, S): the same for every part

        def heads(part):  # some (batch, head) pairs; parts run on their own threads
            scores = p[part]
            if direct:
                np.matmul(q[part] * s, _swap(k[part]), out=scores)
            else:
                scores[...] = np.matmul(q[part] * s, _swap(k[part]))
            if mask is not None:
                np.add(scores, mask if flat_mask else mask[part], out=scores)
            _safe_softmax(scores, mask is not None)
            weights = scores if keep is None else scores * keep[part]
            np.matmul(weights, v[part], out=out[part])

        _over_heads(heads, p, (q, k, v) + (() if keep is None else (keep,)), mask)
        ctx.save_for_backward(q, k, v, p, keep, out)
        ctx.scale = scale
        return out

    @staticmethod
    def backward(ctx, g):
        q, k, v, p, keep, out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        xp = get_array_module(p)
        g = xp.broadcast_to(g, out.shape)
        da = xp.empty_like(p)  # dA, the gradient of the scores (and of a float mask)
        gq = xp.empty(p.shape[:-1] + q.shape[-1:], p.dtype) if needs[0] else None
        gk = xp.empty(p.shape[:-2] + k.shape[-2:], p.dtype) if needs[1] else None
        gv = xp.empty(p.shape[:-2] + v.shape[-2:], p.dtype) if needs[2] else None
        scale = p.dtype.type(ctx.scale)

        def heads(part):  # some (batch, head) pairs; parts run on their own threads
            gs, ps = g[part], p[part]
            if gv is not None:
                np.matmul(_swap(ps if keep is None else ps * keep[part]), gs, out=gv[part])
            dp = da[part]
            np.matmul(gs, _swap(v[part]), out=dp)
            if keep is not None:
                dp *= keep[part]
            dp -= np.sum(gs * out[part], axis=-1, keepdims=True)  # = rowsum(dP * P), see above
            dp *= ps  # now dA
            if gq is not None:
                np.matmul(dp, k[part], out=gq[part])
                gq[part] *= scale
            if gk is not None:
                np.matmul(_swap(dp), q[part], out=gk[part])
                gk[part] *= scale

        _over_heads(heads, p, (q, k, v, out) + (() if keep is None else (keep,)), None)
        return gq, gk, gv, (da if needs[3] else None), None, None


def _over_heads(kernel, p, operands, mask):
    """``kernel(part)`` for parts of the batch axes of the scores ``p``, on several threads
    when large (``ops.parallel``): each (batch, head) pair is independent, and NumPy runs a
    stack of small products one at a time on one core. Only when every operand (and a
    mask with batch axes) has the scores' batch axes, so that ``x[part]`` is the same
    part for all; otherwise, and on CuPy, whole."""
    batch = p.shape[:-2]
    whole = (type(p) is not np.ndarray or not batch
             or any(a.shape[:-2] != batch for a in operands)
             or (mask is not None and mask.ndim > 2 and mask.shape[:-2] != batch))  # fmt: skip
    if whole:
        kernel((Ellipsis,))
        return
    # two products of E multiply-adds per score, and the softmax's passes
    work = p.size * (2 * operands[0].shape[-1] + 8)
    over_outer_axis(kernel, p, range(len(batch)), work)


@functools.lru_cache(maxsize=16)
def causal_mask(length: int, source_length: int, dtype: str = "float32") -> np.ndarray:
    """The additive causal mask (L, S): 0 on and below the diagonal, -inf above it, so
    query i attends to keys 0..i only (top-left aligned, as PyTorch's ``is_causal``).
    Cached and read-only, since every step of a language model asks for the same one."""
    allowed = np.tril(np.ones((length, source_length), dtype=bool))
    mask = np.where(allowed, 0.0, -np.inf).astype(dtype)
    mask.flags.writeable = False
    return mask


def _check_qkv(q, k, v) -> tuple:
    name = "scaled_dot_product_attention"
    for label, t in (("query", q), ("key", k), ("value", v)):
        if t.ndim < 2:
            raise ValueError(f"{name}: {label} needs shape (..., length, dim), got {t.shape}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"{name}: query and key need the same last dim (E), got query {q.shape} "
            f"and key {k.shape}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{name}: key and value need the same length (S), got key {k.shape} and value {v.shape}"
        )
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(
            f"{name}: the batch dims of query {q.shape}, key {k.shape} and value "
            f"{v.shape} do not broadcast"
        ) from None
    return tuple(batch) + (q.shape[-2], k.shape[-2])


def _additive_mask(attn_mask, scores_shape: tuple, dtype, xp=np):
    """A bool mask ("may attend") becomes 0 / -inf; a float mask is added as it is. A mask
    given as an array lands in ``xp``, the array library of the queries."""
    name = "scaled_dot_product_attention"
    shape = tuple(attn_mask.shape)
    try:
        fits = np.broadcast_shapes(shape, scores_shape)[-2:] == scores_shape[-2:]
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{name}: attn_mask of shape {shape} does not broadcast with the scores' shape "
            f"{scores_shape} (batch..., L queries, S keys); expected (L, S) = "
            f"{scores_shape[-2:]} or a shape that broadcasts with {scores_shape}"
        )
    data = attn_mask.array if isinstance(attn_mask, Tensor) else xp.asarray(attn_mask)
    if data.dtype == np.bool_:
        return np.where(data, 0.0, -np.inf).astype(dtype)
    if isinstance(attn_mask, Tensor) and attn_mask.requires_grad:
        return attn_mask.to(dtype)  # a learned bias: keep it in the graph
    return data.astype(dtype, copy=False)


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p: float = 0.0, is_causal: bool = False, *,
    scale: float | None = None,
):  # fmt: skip
    """softmax(Q K^T / sqrt(E) + mask) V, fused (``torch.nn.functional`` semantics).

    Args:
        query: (..., L, E); key: (..., S, E); value: (..., S, Ev). Batch dims broadcast.
        attn_mask: (L, S), or any shape that broadcasts with (..., L, S). A **bool**
            mask says where a query *may attend* (True = take part, as in PyTorch); a
            float mask is added to the scores.
        dropout_p: drop attention weights with this probability (always, when > 0: pass 0
            in evaluation, as ``nn.MultiheadAttention`` does for you).
        is_causal: query i sees keys 0..i only; cannot be combined with ``attn_mask``.
        scale: multiplies the scores instead of 1 / sqrt(E).

    Shape:
        output (..., L, Ev).

    Example:
        >>> import abinitio as ab
        >>> q = ab.randn(2, 4, 5, 8)
        >>> scaled_dot_product_attention(q, q, q, is_causal=True).shape
        (2, 4, 5, 8)

    See the article docs/articles/architectures/transformers.py.
    """
    scores_shape = _check_qkv(query, key, value)
    if is_causal and attn_mask is not None:
        raise ValueError(
            "scaled_dot_product_attention: pass attn_mask or is_causal=True, not both "
            f"(got a mask of shape {tuple(attn_mask.shape)})"
        )
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(
            f"scaled_dot_product_attention: dropout_p must be in [0, 1), got {dropout_p}"
        )
    mask, xp = None, get_array_module(query.array)
    if is_causal:
        mask = xp.asarray(causal_mask(scores_shape[-2], scores_shape[-1], query.dtype.name))
    elif attn_mask is not None:
        mask = _additive_mask(attn_mask, scores_shape, query.dtype, xp)
        scores_shape = np.broadcast_shapes(scores_shape, tuple(mask.shape))
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    keep = None
    if dropout_p > 0.0:
        keep = dropout_mask(query.array, scores_shape, dropout_p)
    return ScaledDotProductAttention.apply(query, key, value, mask, scale, keep)


def _reference_scaled_dot_product_attention(query, key, value, attn_mask=None,
                                            is_causal: bool = False, scale=None):  # fmt: skip
    """The composed definition: matmul, scale, mask, softmax, matmul (existing ops).
    A fully masked row gives NaN here (0/0); the fused op defines it as 0."""
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        scores = scores + Tensor(causal_mask(scores.shape[-2], scores.shape[-1], scores.dtype.name))
    elif attn_mask is not None:
        scores = scores + _additive_mask(attn_mask, tuple(scores.shape), scores.dtype)
    return scores.softmax(-1) @ value
