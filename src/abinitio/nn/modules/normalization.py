"""Normalisation layers: ``BatchNorm1d`` (and the base other batch norms share) and
``LayerNorm``. The maths and the fused backward are in :mod:`abinitio.ops.normalization`."""

from __future__ import annotations

from abinitio import creation
from abinitio.nn import functional as F
from abinitio.nn import init
from abinitio.nn.modules.module import Module
from abinitio.nn.parameter import Parameter


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d: learnable per-channel scale and shift, running averages
    of each channel's mean and variance as buffers (used in eval mode)."""

    expected_dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True) -> None:  # fmt: skip
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(creation.ones(num_features))
            self.bias = Parameter(creation.zeros(num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features))
            self.register_buffer("running_var", creation.ones(num_features))
            self.register_buffer("num_batches_tracked", creation.tensor(0))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_parameters(self) -> None:
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, input):
        if input.ndim not in self.expected_dims or input.shape[1] != self.num_features:
            shapes = " or ".join(_shape_text(n, self.num_features) for n in self.expected_dims)
            raise ValueError(f"{self!r}: expected input of shape {shapes}, got {input.shape}")
        use_batch_stats = self.training or not self.track_running_stats
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array += 1
            if momentum is None:  # cumulative moving average
                momentum = 1.0 / int(self.num_batches_tracked.item())
        running = (self.running_mean, self.running_var)
        if use_batch_stats and not (self.training and self.track_running_stats):
            running = (None, None)
        return F.batch_norm(input, *running, self.weight, self.bias, use_batch_stats,
                            momentum or 0.0, self.eps)  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


def _shape_text(ndim: int, channels: int) -> str:
    spatial = {2: [], 3: ["L"], 4: ["H", "W"], 5: ["D", "H", "W"]}[ndim]
    return "(" + ", ".join(["N", str(channels)] + spatial) + ")"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation (Ioffe & Szegedy 2015) over (N, C) or (N, C, L) inputs.

    Training: y = w * (x - mean_B) / sqrt(var_B + eps) + b with the batch's statistics per
    channel, and running averages r <- (1 - momentum) r + momentum * stat updated in place.
    Eval: the running averages replace the batch statistics.

    Example:
        >>> import abinitio as ab
        >>> bn = ab.nn.BatchNorm1d(3)
        >>> y = bn(ab.randn(16, 3) * 5 + 2)
        >>> bool(abs(y.mean().item()) < 1e-5)
        True

    See the article docs/articles/data/normalisation_and_encoding.py.
    """

    expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) images: one mean and variance per channel,
    taken over the batch and every pixel (N*H*W values each).

    Training: y = w * (x - mean_B) / sqrt(var_B + eps) + b per channel, and the running
    averages r <- (1 - momentum) r + momentum * stat are updated in place (the variance
    unbiased). Eval: the running averages replace the batch statistics. It lets deep
    convolutional networks (ResNets) train with large learning rates.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for stability.
        momentum: weight of the newest batch in the running averages (None: a cumulative
            average).
        affine: learn the per-channel scale w and shift b.
        track_running_stats: keep running averages (False: batch statistics in eval too).

    Shape:
        input (N, C, H, W) -> output (N, C, H, W).

    Example:
        >>> import abinitio as ab
        >>> bn = ab.nn.BatchNorm2d(3)
        >>> y = bn(ab.randn(4, 3, 5, 5) * 5 + 2)
        >>> bool(abs(y.mean().item()) < 1e-5), bn.running_mean.shape
        (True, (3,))

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    expected_dims = (4,)


class LayerNorm(Module):
    """Layer normalisation (Ba et al. 2016): each sample standardised over its last dims.

    y = (x - mean) / sqrt(var + eps) * w + b, statistics over ``normalized_shape``; the same
    in training and eval (no running statistics), so it suits sequences and small batches.

    Example:
        >>> import abinitio as ab
        >>> ab.nn.LayerNorm(4)(ab.randn(2, 4)).shape
        (2, 4)

    See the article docs/articles/data/normalisation_and_encoding.py.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True) -> None:  # fmt: skip
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape, self.eps = tuple(normalized_shape), eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(creation.ones(self.normalized_shape))
            if bias:
                self.bias = Parameter(creation.zeros(self.normalized_shape))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        n = len(self.normalized_shape)
        if input.ndim < n or tuple(input.shape[input.ndim - n :]) != self.normalized_shape:
            dims = ", ".join(map(str, self.normalized_shape))
            raise ValueError(f"{self!r}: expected input of shape (*, {dims}), got {input.shape}")
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
