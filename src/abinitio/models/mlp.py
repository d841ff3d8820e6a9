"""Feed-forward networks (multilayer perceptrons): the simplest deep networks.

Information flows one way, input layer -> hidden layers -> output layer, with no cycles.
By the universal approximation theorem a single hidden layer of enough neurons can
approximate any continuous function on a bounded domain; depth lets a network build
features of features with far fewer neurons.
"""

from __future__ import annotations

from abinitio import nn
from abinitio.nn.modules.activation import activation_by_name


class MLP(nn.Module):
    """Linear -> activation (-> dropout) for each hidden layer, then a linear output layer.

    Inputs of any shape (N, ...) are flattened to (N, features) first, so images work too.

    Args:
        in_features: number of input features (after flattening).
        hidden_sizes: neurons in each hidden layer, e.g. ``(128, 64)``.
        out_features: number of outputs (classes, or regression targets).
        activation: name of the hidden activation (``"relu"``, ``"tanh"``, ...).
        dropout: dropout probability after each hidden activation (0 disables it).

    Example:
        >>> import abinitio as ab
        >>> model = MLP(64, (32,), 10)
        >>> model(ab.randn(5, 1, 8, 8)).shape
        (5, 10)

    See the article docs/articles/architectures/feedforward_networks.py.
    """

    def __init__(self, in_features: int, hidden_sizes=(128,), out_features: int = 10,
                 activation: str = "relu", dropout: float = 0.0) -> None:  # fmt: skip
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        layers, width = [], in_features
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), activation_by_name(activation)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, out_features))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x.flatten(1))


class MNIST1DMLP(nn.Module):
    """The MLP of the MNIST-1D paper (Greydanus 2020): 40 -> 100 -> 100 -> 10 with a
    residual second layer, h = h + relu(W2 h + b2); 15,210 parameters.

    Example:
        >>> import abinitio as ab
        >>> sum(p.numel() for p in MNIST1DMLP().parameters())
        15210

    See the article docs/articles/architectures/feedforward_networks.py.
    """

    def __init__(self, in_features: int = 40, out_features: int = 10, hidden_size: int = 100,
                 dropout: float = 0.0) -> None:  # fmt: skip
        super().__init__()
        self.linear1 = nn.Linear(in_features, hidden_size)
        self.linear2 = nn.Linear(hidden_size, hidden_size)
        self.linear3 = nn.Linear(hidden_size, out_features)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        h = self.linear1(x.flatten(1)).relu()
        h = h + self.linear2(self.dropout(h)).relu()
        return self.linear3(self.dropout(h))
