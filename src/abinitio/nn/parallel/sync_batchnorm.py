"""``SyncBatchNorm``: batch normalisation whose statistics cover the whole global batch.

With data parallelism each rank sees ``B/N`` samples; a plain BatchNorm normalises with
its own slice's mean and variance, so ``N`` ranks do not compute what one process with
the whole batch would. SyncBatchNorm sums, per channel, the count, the sum and the sum of
squares over all ranks (one all-reduce) and normalises every rank with the global

.. math::

   \\mu = \\frac{1}{n}\\sum_{r}\\sum_{i \\in r} x_i, \\qquad
   \\sigma^2 = \\frac{1}{n}\\sum_{r}\\sum_{i \\in r} x_i^2 - \\mu^2 .

The all-reduce is itself differentiable: every rank's output depends on every rank's
input, so its backward is again an all-reduce of the incoming gradients.
"""

from __future__ import annotations

import numpy as np

from abinitio import distributed as dist
from abinitio.autograd.function import Function
from abinitio.nn.modules.normalization import _BatchNorm
from abinitio.tensor import Tensor


class AllReduceSum(Function):
    """y = sum over ranks of x.  VJP: dL/dx = sum over ranks of g (each rank's loss uses
    every rank's x)."""

    @staticmethod
    def forward(ctx, x):
        total = np.array(x, copy=True)
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx, g):
        total = np.array(g, copy=True)
        dist.all_reduce(total)
        return total


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over (N, C, ...) input with statistics of the global batch of all ranks.

    Args: as :class:`~abinitio.nn.BatchNorm1d` (``process_group``: ignored, the one group).

    Shape: input (N, C) or (N, C, *) -> output of the same shape.

    In eval mode, or without a process group of more than one rank, it is a plain
    BatchNorm. :meth:`convert_sync_batchnorm` replaces every BatchNorm of a model.

    Example:
        >>> from abinitio import nn
        >>> model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        >>> nn.SyncBatchNorm.convert_sync_batchnorm(model)[1]
        SyncBatchNorm(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)

    See the article docs/articles/learning/many_processes.py.
    """

    expected_dims = (2, 3, 4, 5)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group=None) -> None:  # fmt: skip
        super().__init__(num_features, eps, momentum, affine, track_running_stats)

    def forward(self, input):
        synced = dist.is_initialized() and dist.get_world_size() > 1
        if not (self.training and synced):
            return super().forward(input)
        if input.ndim not in self.expected_dims or input.shape[1] != self.num_features:
            raise ValueError(f"{self!r}: expected input of shape (N, {self.num_features}, *), "
                             f"got {input.shape}")  # fmt: skip
        axes = (0,) + tuple(range(2, input.ndim))
        count = input.array.size // input.shape[1]
        counts = Tensor._make(np.full(input.shape[1], count, input.dtype), False, None)
        stats = AllReduceSum.apply(
            _stack([counts, input.sum(dim=axes), (input * input).sum(dim=axes)])
        )
        n, total, squares = stats[0], stats[1], stats[2]
        mean = total / n
        var = squares / n - mean * mean
        self._update_running(mean.array, var.array, float(n.array[0]))
        shape = (1, -1) + (1,) * (input.ndim - 2)
        x_hat = (input - mean.reshape(shape)) / (var.reshape(shape) + self.eps).sqrt()
        if self.affine:
            return x_hat * self.weight.reshape(shape) + self.bias.reshape(shape)
        return x_hat

    def _update_running(self, mean, var, n: float) -> None:
        if not self.track_running_stats:
            return
        self.num_batches_tracked.array += 1
        momentum = self.momentum
        if momentum is None:
            momentum = 1.0 / int(self.num_batches_tracked.item())
        self.running_mean.array *= 1 - momentum
        self.running_mean.array += momentum * mean
        self.running_var.array *= 1 - momentum
        self.running_var.array += momentum * var * n / max(n - 1, 1)  # unbiased, as PyTorch

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm1d/2d replaced by a SyncBatchNorm holding the same
        parameters and buffers (PyTorch's name); returns the module."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats)  # fmt: skip
            # the same Parameter and buffer objects: an optimiser built before still holds them
            converted._parameters.update(module._parameters)
            converted._buffers.update(module._buffers)
            converted.train(module.training)
            return converted
        for name, child in list(module.named_children()):
            setattr(module, name, cls.convert_sync_batchnorm(child, process_group))
        return module


def _stack(tensors):
    from abinitio.ops import stack

    return stack(tensors)
