"""Stateless neural-network functions (``torch.nn.functional``), usually imported as ``F``.

Each is a few lines: a call to a fused primitive from :mod:`abinitio.ops`, or a composition
of tensor operations whose gradient the engine derives by itself. Loss functions live in
:mod:`abinitio.nn.losses` and are re-exported here.
"""

from __future__ import annotations

import numpy as np

from abinitio.nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from abinitio.ops.activation import gelu, leaky_relu, relu, sigmoid, silu, softplus
from abinitio.nn.functional_extra import (  # noqa: F401  (PyTorch's names, issue 13)
    elu,
    instance_norm,
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    selu,
    upsample,
)
from abinitio.ops.adaptive_pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
from abinitio.ops.arguments import array_of
from abinitio.ops.arithmetic import Mul
from abinitio.ops.attention import scaled_dot_product_attention
from abinitio.ops.conv import conv1d, conv2d
from abinitio.ops.conv_transpose import conv_transpose2d
from abinitio.ops.embedding import Embedding
from abinitio.ops.linalg import linear
from abinitio.ops.normalization import BatchNorm, LayerNorm
from abinitio.ops.pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from abinitio.ops.shape import pad
from abinitio.ops.softmax import log_softmax, softmax
from abinitio.ops.unary import tanh
from abinitio.random import dropout_mask
from abinitio.tensor import Tensor

__all__ = [
    "elu",
    "instance_norm",
    "interpolate",
    "pixel_shuffle",
    "pixel_unshuffle",
    "selu",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "cross_entropy",
    "dropout",
    "dropout2d",
    "embedding",
    "gelu",
    "huber_loss",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool1d",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "relu",
    "scaled_dot_product_attention",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
]


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            generator=None):  # fmt: skip
    """Inverted dropout: zero each element with probability p and scale the survivors by
    1 / (1 - p), so the expected value is unchanged and evaluation needs no rescaling.
    The identity when ``training`` is False or p == 0.

    See the article docs/articles/generalisation/regularisation.py.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    return Mul.apply(input, dropout_mask(input.array, tuple(input.shape), p, generator))


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Channel dropout: zero each whole feature map (n, c, :, :) with probability p and
    scale the survivors by 1 / (1 - p). Neighbouring pixels of a map are strongly
    correlated, so dropping single pixels barely regularises a convolutional network;
    dropping whole channels does (Tompson et al. 2015).

    Args:
        input: (N, C, H, W), or one sample (C, H, W) (PyTorch 2.13 still reads a 3-D input
            as (N, C, L), with a warning; abinitio follows its documented (C, H, W)).
        p: the probability of zeroing a channel.
        training: apply dropout (False: the identity).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: p must be in [0, 1], got {p}")
    if input.ndim == 2:  # (N, C): PyTorch warns and drops single elements, as dropout does
        import warnings

        warnings.warn("dropout2d: a 2-D input gets element-wise dropout (as in PyTorch); "
                      "use dropout", stacklevel=2)  # fmt: skip
        return dropout(input, p, training)
    if input.ndim not in (3, 4):
        raise ValueError(
            f"dropout2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
            f"{tuple(input.shape)}"
        )
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    mask_shape = tuple(input.shape[:-2]) + (1, 1)  # one draw per feature map
    return Mul.apply(input, dropout_mask(input.array, mask_shape, p))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum: float = 0.1, eps: float = 1e-5):  # fmt: skip
    """Normalise each channel (axis 1) with batch statistics when ``training`` (updating
    the running averages in place: r = (1 - momentum) r + momentum * batch_stat, the
    variance unbiased), or with the running statistics otherwise."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected (N, C, ...) input, got shape {input.shape}")
    axes = (0,) + tuple(range(2, input.ndim))
    if training:
        count = input.array.size // input.shape[1]
        if count < 2:
            raise ValueError(
                f"batch_norm: training needs more than 1 value per channel, got input "
                f"shape {input.shape}; use eval() or a larger batch"
            )
        mean = input.array.mean(axis=axes, keepdims=True)
        centred = input.array - mean  # once: the variance and the forward both use it
        var = np.mean(centred * centred, axis=axes)
        mean = mean.reshape(-1)
        if running_mean is not None:
            running_mean.array *= 1 - momentum
            running_mean.array += momentum * mean
            running_var.array *= 1 - momentum
            running_var.array += (momentum * count / (count - 1)) * var
        return BatchNorm.apply(input, weight, bias, centred, var, eps)
    shape = (1, -1) + (1,) * (input.ndim - 2)
    inv_std = (1 / np.sqrt(running_var.array + eps)).astype(input.dtype)
    scale = inv_std if weight is None else weight * inv_std
    shift = -running_mean.array * scale if bias is None else bias - running_mean.array * scale
    return input * scale.reshape(shape) + shift.reshape(shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Normalise each sample over its last ``len(normalized_shape)`` dims."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise ValueError(
            f"layer_norm: expected input ending in dims {shape}, got shape {input.shape}"
        )
    return LayerNorm.apply(input, weight, bias, len(shape), eps)


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` (num_embeddings, dim) at the integer indices ``input``."""
    indices = array_of(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {indices.dtype}")
    rows = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        raise IndexError(
            f"embedding: index {int(indices.max() if indices.max() >= rows else indices.min())}"
            f" is out of range for a table of {rows} rows"
        )
    return Embedding.apply(weight, indices, padding_idx)


def one_hot(tensor, num_classes: int = -1):
    """(..., ) integer labels -> (..., num_classes) int64 one-hot rows.

    See the article docs/articles/data/normalisation_and_encoding.py.
    """
    labels = array_of(tensor)
    classes = int(labels.max()) + 1 if num_classes < 0 else num_classes
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"one_hot: labels must be in [0, {classes}), got {labels.min()}..{labels.max()}"
        )
    return Tensor._make(np.eye(classes, dtype=np.int64)[labels], False, None)
