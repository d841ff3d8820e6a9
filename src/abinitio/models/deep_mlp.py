"""Very deep MLPs, plain and residual: the vanishing-gradient experiment's pair.

Backpropagation multiplies the gradient by one Jacobian per layer,
dL/dh_0 = J_1^T J_2^T ... J_L^T dL/dh_L. In a plain sigmoid network each factor
includes sigmoid' <= 1/4, so after 30 layers the first layer's gradient is many orders
of magnitude smaller than the last one's and the early layers barely learn. ReLU with He
initialisation keeps the average scale (Var(W) = 2 / fan_in exactly compensates the
half of the units ReLU zeroes), and a residual connection h <- h + f(h) makes each factor
(I + J), so the gradient always has a path that is not shrunk at all. (The residual
branch is "pre-activation", f(h) = W act(h) + b (He et al. 2016b): its output has mean
zero, so adding 28 of them does not drift the activations upwards.)
:func:`abinitio.inspect.gradient_flow` measures it; ``examples/vanishing_gradient.py``
shows it.
"""

from __future__ import annotations

from abinitio import nn
from abinitio.nn import init
from abinitio.nn.modules.activation import activation_by_name

_INITS = ("default", "he", "xavier")


def _initialise(linear: nn.Linear, scheme: str) -> None:
    """PyTorch's default, He (normal, fan_in, ReLU gain) or Xavier (normal) weights;
    zero biases for the last two."""
    if scheme == "default":
        return
    if scheme == "he":
        init.kaiming_normal_(linear.weight, nonlinearity="relu")
    else:
        init.xavier_normal_(linear.weight)
    init.zeros_(linear.bias)


class PlainMLP(nn.Module):
    """``depth`` linear layers with an activation between each: no shortcut, no norm.

    Linear(in, width) -> act -> [Linear(width, width) -> act] x (depth - 2)
    -> Linear(width, out). Inputs (N, ...) are flattened first.

    Args:
        depth: number of linear layers (at least 2).
        width: neurons in every hidden layer.
        activation: ``"sigmoid"``, ``"relu"``, ``"tanh"``, ...
        in_features, out_features: input features and outputs.
        init: ``"default"`` (PyTorch's, U(-1/sqrt(fan_in), 1/sqrt(fan_in))), ``"he"`` or
            ``"xavier"`` for the weights.

    Example:
        >>> import abinitio as ab
        >>> PlainMLP(30, 32, "sigmoid")(ab.randn(4, 2)).shape
        (4, 2)

    See the article docs/articles/architectures/residual_networks.py.
    """

    def __init__(self, depth: int, width: int, activation: str = "relu", in_features: int = 2,
                 out_features: int = 2, init: str = "default") -> None:  # fmt: skip
        super().__init__()
        _check(type(self).__name__, depth, init)
        sizes = [in_features] + [width] * (depth - 1) + [out_features]
        layers = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(fan_in, fan_out), activation_by_name(activation)]
            _initialise(layers[-2], init)
        self.layers = nn.Sequential(*layers[:-1])

    def forward(self, x):
        return self.layers(x.flatten(1))


class ResidualBlockMLP(nn.Module):
    """h + Linear(act(h)): one layer with an identity shortcut around it.

    Example:
        >>> import abinitio as ab
        >>> ResidualBlockMLP(8)(ab.randn(3, 8)).shape
        (3, 8)
    """

    def __init__(self, width: int, activation: str = "relu") -> None:
        super().__init__()
        self.linear = nn.Linear(width, width)
        self.activation = activation_by_name(activation)

    def forward(self, h):
        return h + self.linear(self.activation(h))


class ResidualMLP(nn.Module):
    """An MLP of ``depth`` linear layers whose hidden ones sit in residual blocks:
    the same layers as :class:`PlainMLP`, plus identity shortcuts.

    Linear(in, width) -> [h <- h + Linear(act(h))] x (depth - 2) -> act -> Linear(width, out).

    Args:
        depth: number of linear layers (at least 2).
        width: neurons in every hidden layer.
        activation: the activation inside the blocks and after the first layer.
        in_features, out_features: input features and outputs.
        init: as in :class:`PlainMLP`.

    Example:
        >>> import abinitio as ab
        >>> ResidualMLP(30, 32)(ab.randn(4, 2)).shape
        (4, 2)

    See the article docs/articles/architectures/residual_networks.py.
    """

    def __init__(self, depth: int, width: int, activation: str = "relu", in_features: int = 2,
                 out_features: int = 2, init: str = "default") -> None:  # fmt: skip
        super().__init__()
        _check(type(self).__name__, depth, init)
        self.input = nn.Linear(in_features, width)
        self.activation = activation_by_name(activation)
        self.blocks = nn.Sequential(
            *(ResidualBlockMLP(width, activation) for _ in range(depth - 2))
        )
        self.output = nn.Linear(width, out_features)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                _initialise(module, init)

    def forward(self, x):
        h = self.blocks(self.input(x.flatten(1)))
        return self.output(self.activation(h))


def _check(name: str, depth: int, init: str) -> None:
    if not isinstance(depth, int) or depth < 2:
        raise ValueError(f"{name}: depth must be an int >= 2, got {depth!r}")
    if init not in _INITS:
        raise ValueError(f"{name}: init must be one of {_INITS}, got {init!r}")
