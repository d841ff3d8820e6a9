"""``Neuron``: the artificial neuron on its own, the building block of every layer.

Inspired by the biological neuron — dendrites receive signals, the soma sums them, the
axon fires if the sum is large enough, and synapses set how strongly each input counts —
the artificial neuron computes

    y = f(w . x + b) = f(w_1 x_1 + ... + w_n x_n + b)

one **weight** per input (the synaptic strengths), one **bias** (which shifts the firing
threshold), and a non-linear **activation** f. A ``Linear`` layer is n_out such neurons
side by side, computed together as one matrix product.
"""

from __future__ import annotations

import math

from abinitio import creation
from abinitio.nn import init
from abinitio.nn.modules.activation import activation_by_name
from abinitio.nn.modules.module import Module
from abinitio.nn.parameter import Parameter


class Neuron(Module):
    """One artificial neuron: y = activation(w . x + b).

    Args:
        in_features: number of inputs.
        activation: ``"relu"`` (default), ``"sigmoid"``, ``"tanh"``, ``"leaky_relu"``,
            ``"gelu"``, ``"silu"``, ``"softplus"``, or ``"identity"`` (a linear neuron).

    Shape:
        input (*, in_features) -> output (*) (one number per sample).

    Attributes:
        weight: (in_features,), bias: () — initialised like one row of ``Linear``.

    Example:
        >>> import abinitio as ab
        >>> neuron = ab.nn.Neuron(3, activation="sigmoid")
        >>> y = neuron(ab.tensor([[1.0, 2.0, 3.0]]))
        >>> y.shape, 0 < y.item() < 1
        ((1,), True)

    See the article docs/articles/neurons/neuron.py.
    """

    def __init__(self, in_features: int, activation: str = "relu") -> None:
        super().__init__()
        self.in_features = in_features
        self.activation = activation_by_name(activation)
        self.activation_name = activation
        self.weight = Parameter(creation.empty(in_features))
        self.bias = Parameter(creation.empty(()))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.in_features) if self.in_features else 0
        init.uniform_(self.weight, -bound, bound)
        init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(
                f"{self!r}: expected input of shape (*, {self.in_features}), "
                f"got {tuple(input.shape)}"
            )
        weighted_sum = input @ self.weight + self.bias
        return self.activation(weighted_sum)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, activation={self.activation_name!r}"

    def __repr__(self) -> str:
        return f"Neuron({self.extra_repr()})"
