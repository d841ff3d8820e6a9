"""Loss functions: how far a prediction is from its target, as one number to minimise.

Regression losses compare values: squared error (MSE) punishes large errors most, absolute
error (L1) treats all errors alike, Huber is squared near zero and absolute beyond
``delta``. Classification losses compare a predicted distribution with the true class:
cross-entropy is the negative log-probability the model gave the right answer, which is
also the information-theoretic cost, in nats, of coding the truth with the model's beliefs.

Every loss takes ``reduction``: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per element).
"""

from __future__ import annotations

import numpy as np

from abinitio.ops.activation import softplus
from abinitio.ops.loss import BinaryCrossEntropy, CrossEntropy
from abinitio.ops.selection import where
from abinitio.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses, reduction: str, name: str):
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _same_shape(input, target, name: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{name}: input shape {input.shape} and target shape {target.shape} differ; "
            "broadcasting them would silently compare the wrong pairs"
        )


def _as_tensor(value, like):
    return value if isinstance(value, Tensor) else Tensor(value, dtype=like.dtype)


def mse_loss(input, target, reduction: str = "mean"):
    """Mean squared error: mean((input - target)^2).  d/d input = 2 (input - target) / N.

    See the article docs/articles/learning/loss_functions.py.
    """
    target = _as_tensor(target, input)
    _same_shape(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input, target, reduction: str = "mean"):
    """Mean absolute error: mean(|input - target|)."""
    target = _as_tensor(target, input)
    _same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction, "l1_loss")


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0):
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2), with d = input - target:
    quadratic for small errors, linear (robust to outliers) for large ones."""
    target = _as_tensor(target, input)
    _same_shape(input, target, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    error = (input - target).abs()
    losses = where(error < delta, 0.5 * error * error, delta * (error - 0.5 * delta))
    return _reduce(losses, reduction, "huber_loss")


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0):
    """Huber loss divided by ``beta`` (PyTorch's smooth L1)."""
    return huber_loss(input, target, reduction, beta) * (1.0 / beta)


def _classes_last(input):
    """(N, C, d1, ...) -> (N*d1*..., C): put the class axis last and flatten the rest."""
    if input.ndim <= 2:
        return input
    order = (0,) + tuple(range(2, input.ndim)) + (1,)
    return input.permute(order).reshape(-1, input.shape[1])


def _check_class_targets(input, target, ignore_index: int, name: str):
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError(
            f"{name}: input of shape {input.shape} needs class-index targets of shape "
            f"{expected}, got {target.shape}"
        )
    classes = input.shape[1]
    labels = target.array
    if labels.size == 0 or (labels.min() >= 0 and labels.max() < classes):
        return  # the common case, checked with two reductions
    bad = ((labels < 0) | (labels >= classes)) & (labels != ignore_index)
    if bad.any():
        raise ValueError(
            f"{name}: target contains class {labels[bad].flat[0]} but the input has "
            f"{classes} classes (valid targets are 0..{classes - 1}, or ignore_index)"
        )


def cross_entropy(input, target, weight=None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0):  # fmt: skip
    """Cross-entropy between logits and targets (``torch.nn.functional.cross_entropy``).

    Args:
        input: logits (N, C), (C,) or (N, C, d1, ...). Not probabilities: the softmax is
            inside, computed stably.
        target: class indices (N,) / () / (N, d1, ...) as integers, or class probabilities
            of the input's shape as floats.
        weight: optional (C,) class weights.
        ignore_index: targets equal to it contribute nothing (and do not count in the mean).
        label_smoothing: e in [0, 1]: the target becomes (1 - e) one-hot + e / C.

    Example:
        >>> import abinitio as ab
        >>> logits = ab.tensor([[2.0, 0.0, -1.0]])
        >>> round(cross_entropy(logits, ab.tensor([0])).item(), 4)
        0.1698

    See the article docs/articles/learning/loss_functions.py.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
        )
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    target = target if isinstance(target, Tensor) else Tensor(target)
    if input.ndim == 1:
        input, target = input.reshape(1, -1), target.reshape(1, *target.shape)
        return _squeeze_none(cross_entropy(input, target, weight, ignore_index, reduction,
                                           label_smoothing), reduction)  # fmt: skip
    if target.dtype.kind == "f":
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing)
    _check_class_targets(input, target, ignore_index, "cross_entropy")
    weight_array = None if weight is None else _as_tensor(weight, input).array
    losses = CrossEntropy.apply(
        _classes_last(input), target.array.reshape(-1), weight_array, ignore_index,
        float(label_smoothing), reduction,
    )  # fmt: skip
    if reduction == "none":
        return losses.reshape(target.shape)
    return losses


def _squeeze_none(losses, reduction):
    return losses.reshape(()) if reduction == "none" else losses


def _cross_entropy_probabilities(input, target, weight, reduction, smoothing):
    _same_shape(input, target, "cross_entropy")
    classes = input.shape[1]
    if smoothing:
        target = target * (1 - smoothing) + smoothing / classes
    log_p = _classes_last(input).log_softmax(1)
    products = log_p * _classes_last(target)
    if weight is not None:
        products = products * _as_tensor(weight, input)
    losses = -products.sum(1)
    if reduction == "none":
        return losses.reshape((input.shape[0],) + tuple(input.shape[2:]))
    return _reduce(losses, reduction, "cross_entropy")


def nll_loss(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean"):
    """Negative log-likelihood of log-probabilities (N, C): -w_t * input[i, t_i]. Pair it
    with ``log_softmax``; ``cross_entropy`` does both at once."""
    target = target if isinstance(target, Tensor) else Tensor(target)
    _check_class_targets(input, target, ignore_index, "nll_loss")
    log_p = _classes_last(input)
    labels = target.array.reshape(-1)
    valid = labels != ignore_index
    safe = np.where(valid, labels, 0)
    w = (
        np.ones_like(input.array, shape=(input.shape[1],))
        if weight is None
        else _as_tensor(weight, input).array
    )
    target_weight = (w[safe] * valid).astype(input.dtype)
    picked = log_p[np.arange(len(safe)), safe]
    losses = -picked * target_weight
    if reduction == "none":
        return losses.reshape(target.shape)
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        return losses.sum() / float(target_weight.sum())
    raise ValueError(f"nll_loss: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean"):
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1]; each log is clamped
    at -100 as in PyTorch, so p = 0 or 1 gives a large finite loss, not inf."""
    target = _as_tensor(target, input)
    _same_shape(input, target, "binary_cross_entropy")
    p = input.array
    if ((p < 0) | (p > 1)).any() or np.isnan(p).any():
        raise ValueError(
            "binary_cross_entropy: input must hold probabilities in [0, 1]; for logits use "
            "binary_cross_entropy_with_logits (also more stable)"
        )
    losses = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        losses = losses * _as_tensor(weight, input)
    return _reduce(losses, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input, target, weight=None, reduction: str = "mean",
                                     pos_weight=None):  # fmt: skip
    """Binary cross-entropy of sigmoid(x) computed from the logit x without ever forming
    sigmoid(x): with softplus(z) = log(1 + e^z) (stable for any z),

        loss = (1 - t) x + (1 + (pw - 1) t) softplus(-x)

    which is finite for logits of any size. ``pos_weight`` (pw) weighs positive examples."""
    target = _as_tensor(target, input)
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    if pos_weight is None:
        losses = softplus(input) - target * input
    else:
        scale = 1 + (_as_tensor(pos_weight, input) - 1) * target
        losses = (1 - target) * input + scale * softplus(-input)
    if weight is not None:
        losses = losses * _as_tensor(weight, input)
    return _reduce(losses, reduction, "binary_cross_entropy_with_logits")
