"""Cross-entropy as one fused primitive: log-softmax and negative log-likelihood together.

For logits x of one sample and its class t, softmax probabilities p = softmax(x) and
loss = -log p_t = -x_t + log(sum_c e^(x_c)). Its gradient is remarkably simple:

    dL/dx_c = p_c - [c == t]

the predicted probabilities minus the one-hot target. Fusing the two steps saves a graph
node and never forms log(p) of an underflowed p. The general form handled here adds class
weights w, an ignored class, and label smoothing e (the target becomes (1 - e) one-hot
plus e/C everywhere):

    loss_i = -(1 - e) w_t log p_t - (e / C) sum_c w_c log p_c

``_reference_cross_entropy`` is the composed version the tests compare against.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.backend import get_array_module
from abinitio.ops.softmax import log_softmax_array


class CrossEntropy(Function):
    """Cross-entropy of logits (M, C) against class indices (M,).
    dL/dx = p * sum_c(q) - q, where q is the (weighted, smoothed) target distribution of
    each row, times dL/dloss (divided by the weight total for the mean). In the common
    case (no class weights, no smoothing, no ignored target) q is one-hot and this is
    p - onehot(t), computed without forming q.

    See the article docs/articles/learning/loss_functions.py.
    """

    @staticmethod
    def forward(ctx, logits, target, weight, ignore_index, smoothing, reduction):
        log_p = log_softmax_array(logits, axis=1)
        rows = np.arange(len(target))
        valid = target != ignore_index
        ctx.plain = weight is None and not smoothing and bool(valid.all())
        ctx.smoothing, ctx.reduction = smoothing, reduction
        if ctx.plain:
            losses = -log_p[rows, target]
            ctx.save_for_backward(log_p, target)
            ctx.denominator = len(target)
        else:
            losses, target_weight, safe_target = _general_losses(
                log_p, target, weight, valid, smoothing
            )
            ctx.save_for_backward(log_p, safe_target, target_weight, valid, weight)
            ctx.denominator = target_weight.sum()
        if reduction == "none":
            return losses.astype(logits.dtype)
        total = losses.sum()
        total = total / ctx.denominator if reduction == "mean" else total
        return get_array_module(logits).asarray(total)  # a 0-d array, not a NumPy scalar

    @staticmethod
    def backward(ctx, g):
        if ctx.plain:
            log_p, target = ctx.saved_tensors
            grad = np.exp(log_p)
            grad[np.arange(len(target)), target] -= 1  # p - onehot(t)
        else:
            grad = _general_gradient(ctx, *ctx.saved_tensors)
        if ctx.reduction == "none":
            return grad * g[:, None], None, None, None, None, None
        scale = g / ctx.denominator if ctx.reduction == "mean" else g
        return grad * scale, None, None, None, None, None


def _general_losses(log_p, target, weight, valid, smoothing):
    """Per-row losses with class weights, ignored targets and label smoothing."""
    safe_target = np.where(valid, target, 0)
    target_weight = valid.astype(log_p.dtype)
    if weight is not None:
        target_weight = target_weight * weight[safe_target]
    losses = -(1 - smoothing) * target_weight * log_p[np.arange(len(target)), safe_target]
    if smoothing:
        class_weight = weight if weight is not None else 1
        smooth = -(log_p * class_weight).sum(axis=1) * valid
        losses = losses + (smoothing / log_p.shape[1]) * smooth
    return losses, target_weight, safe_target


def _general_gradient(ctx, log_p, safe_target, target_weight, valid, weight):
    """p * sum_c(q) - q with q the weighted, smoothed target distribution of each row."""
    q = np.zeros_like(log_p)
    q[np.arange(len(safe_target)), safe_target] = (1 - ctx.smoothing) * target_weight
    if ctx.smoothing:
        class_weight = weight if weight is not None else np.ones_like(log_p[0])
        q += (ctx.smoothing / log_p.shape[1]) * class_weight * valid[:, None]
    return np.exp(log_p) * q.sum(axis=1, keepdims=True) - q


def _reference_cross_entropy(logits, target, weight=None, ignore_index=-100, smoothing=0.0):
    """Composed mean cross-entropy over (M, C) logits (for tests and reading)."""
    import abinitio as ab

    log_p = logits.log_softmax(1)
    valid = target.array != ignore_index
    safe = ab.tensor(np.where(valid, target.array, 0))
    w = weight if weight is not None else ab.ones(logits.shape[1], dtype=logits.dtype)
    target_weight = w[safe] * ab.tensor(valid.astype(logits.dtype.name))
    nll = -(log_p.gather(1, safe.reshape(-1, 1)).reshape(-1) * target_weight)
    smooth = -(log_p * w).sum(1) * ab.tensor(valid.astype(logits.dtype.name))
    losses = (1 - smoothing) * nll + (smoothing / logits.shape[1]) * smooth
    return losses.sum() / target_weight.sum()


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities p against targets t, elementwise:

        loss = -(t * max(log p, -100) + (1 - t) * max(log(1 - p), -100))
        dL/dp = g * (p - t) / max(p (1 - p), 1e-12)
        dL/dt = g * (max(log(1 - p), -100) - max(log p, -100))

    Both clamps are PyTorch's: a saturated sigmoid (p exactly 0 or 1 in float32, reached
    at logits of about +-17) gives a large finite loss and a large finite gradient instead
    of inf and 0/0 = NaN, which the composed ``log`` then ``clamp`` gives (the clamp's zero
    gradient times log's 1/0). ``_reference_binary_cross_entropy`` is that composed form;
    the tests check the two agree wherever p is inside (0, 1).

    See the article docs/articles/learning/loss_functions.py.
    """

    @staticmethod
    def forward(ctx, p, target):
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_not_p = np.maximum(np.log1p(-p), -100)
        ctx.save_for_backward(p, target, log_p, log_not_p)
        return -(target * log_p + (1 - target) * log_not_p)

    @staticmethod
    def backward(ctx, g):
        p, target, log_p, log_not_p = ctx.saved_tensors
        grad_p = g * (p - target) / np.maximum(p * (1 - p), 1e-12)
        grad_target = g * (log_not_p - log_p) if ctx.needs_input_grad[1] else None
        return grad_p, grad_target


def _reference_binary_cross_entropy(p, target):
    """Composed elementwise binary cross-entropy (for tests and reading)."""
    log_p = p.log().clamp(min=-100.0)
    log_not_p = (1 - p).log().clamp(min=-100.0)
    return -(target * log_p + (1 - target) * log_not_p)

