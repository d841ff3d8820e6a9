"""Fully connected layers: ``Linear`` (a layer of neurons), ``Identity``, ``Flatten``."""

from __future__ import annotations

import math

from abinitio import creation
from abinitio.nn import functional as F
from abinitio.nn import init
from abinitio.nn.modules.module import Module
from abinitio.nn.parameter import Parameter
from abinitio.ops.shape import flatten, unflatten


class Identity(Module):
    """Returns its input unchanged (a placeholder, or the *linear* activation).

    See the article docs/articles/neurons/layers.py.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """A fully connected layer: ``out_features`` neurons, each connected to every input.

    y = x W^T + b. Row j of W holds neuron j's weights, so output j is that neuron's
    weighted sum of the inputs plus its bias: exactly :class:`~abinitio.nn.Neuron` before
    its activation, computed for all neurons at once by one matrix product.

    Args:
        in_features: size of each input sample.
        out_features: number of neurons (size of each output sample).
        bias: learn an additive bias (default True).

    Shape:
        input (*, in_features) -> output (*, out_features).

    Attributes:
        weight: (out_features, in_features), initialised from U(-1/sqrt(in), 1/sqrt(in))
            (PyTorch's default: ``kaiming_uniform_`` with a = sqrt(5)).
        bias: (out_features,), from the same distribution.

    Example:
        >>> import abinitio as ab
        >>> layer = ab.nn.Linear(784, 128)
        >>> layer.weight.shape, layer(ab.randn(32, 784)).shape
        ((128, 784), (32, 128))

    See the article docs/articles/neurons/layers.py.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:  # fmt: skip
        super().__init__()
        _check_positive("Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(creation.empty(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(creation.empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(
                f"{self!r}: expected input of shape (*, {self.in_features}), "
                f"got {tuple(input.shape)}"
            )
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        has_bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={has_bias}"


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by default.

    See the article docs/articles/neurons/layers.py.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: the inverse of Flatten.

    See the article docs/articles/neurons/layers.py.
    """

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        return unflatten(input, self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def _check_positive(layer: str, **sizes) -> None:
    for name, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{layer}: {name} must be a non-negative int, got {value!r}")
