"""Initialisation through depth: the variance of the signal, forwards and backwards.

For z_l = W_l h_{l-1} with n inputs, independent zero-mean weights and h = phi(z),

    Var(z_l) = n Var(W_l) E[h_{l-1}^2],
    Var(dL/dz_{l-1}) = n_out Var(W_l) E[phi'(z_{l-1})^2] Var(dL/dz_l).

tanh is linear near 0 (E[h^2] ~ Var(z), phi' ~ 1): Var(W) = 1/n keeps both steady, and
Xavier/Glorot (2010) takes 2 / (n_in + n_out), which is 1/n for square layers. ReLU keeps
E[relu(z)^2] = Var(z) / 2 and E[phi'^2] = 1/2, so Xavier's 1/n halves the variance at
every layer, forwards and backwards: 2^-30 ~ 1e-9 after 30 layers. He/Kaiming (2015)
doubles the weights' variance to 2/n and the signal keeps its size. Under He, tanh grows
towards saturation instead (its slope is below 1 away from 0, so it settles rather than
explodes).

:func:`signal_propagation` measures both per-layer variances in one forward and one
backward pass; :func:`training_curves` trains the same deep network under each pairing.

See the article docs/articles/theory/initialisation_in_depth.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abinitio.creation import randn, tensor
from abinitio.dtypes import float32
from abinitio.nn import functional as F
from abinitio.nn import init as nn_init
from abinitio.nn.modules.activation import ReLU, Tanh
from abinitio.nn.modules.container import Sequential
from abinitio.nn.modules.linear import Linear
from abinitio.optim.sgd import SGD
from abinitio.random import manual_seed

INITS = {
    "xavier": nn_init.xavier_normal_,
    "he": lambda w: nn_init.kaiming_normal_(w, nonlinearity="relu"),
}
ACTIVATIONS = {"tanh": Tanh, "relu": ReLU}


def deep_network(
    depth: int,
    width: int,
    init: str = "he",
    activation: str = "relu",
    in_features: int | None = None,
    out_features: int | None = None,
    dtype=float32,
) -> Sequential:
    """``depth`` blocks of Linear + activation (biases zero, weights by ``init``:
    ``"xavier"`` normal or ``"he"`` normal), then an optional Linear read-out.

    Example:
        >>> len(deep_network(3, 8, "xavier", "tanh", in_features=2, out_features=2))
        7

    See the article docs/articles/theory/initialisation_in_depth.py.
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {sorted(INITS)}, got {init!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive int, got {depth!r}")
    layers = []
    for i in range(depth):
        layer = Linear(in_features if i == 0 and in_features else width, width, dtype=dtype)
        INITS[init](layer.weight)
        nn_init.zeros_(layer.bias)
        layers += [layer, ACTIVATIONS[activation]()]
    if out_features:
        layers.append(Linear(width, out_features, dtype=dtype))
    return Sequential(*layers)


@dataclass
class SignalPropagation:
    """Per-layer variances through a deep network at initialisation.

    ``forward[l]`` is Var(z_l) of layer l's pre-activations and ``backward[l]`` is
    Var(dL/dz_l) for a random linear read-out L, l = 1 .. depth (index 0 is layer 1).

    See the article docs/articles/theory/initialisation_in_depth.py.
    """

    init: str
    activation: str
    forward: np.ndarray
    backward: np.ndarray

    @property
    def forward_ratios(self) -> np.ndarray:
        """Var(z_{l+1}) / Var(z_l): about 1 for He + ReLU, 1/2 for Xavier + ReLU."""
        return self.forward[1:] / self.forward[:-1]

    @property
    def backward_ratios(self) -> np.ndarray:
        """Var(dL/dz_l) / Var(dL/dz_{l+1}), read from the output back to the input."""
        return self.backward[:-1] / self.backward[1:]


def signal_propagation(
    init: str = "he",
    activation: str = "relu",
    depth: int = 30,
    width: int = 1024,
    batch_size: int = 256,
    repeats: int = 1,
    seed: int = 0,
) -> SignalPropagation:
    """Push N(0, 1) inputs through ``depth`` square layers and a random read-out back;
    with ``repeats`` > 1, average each layer's variances over that many independently
    drawn networks.

    The laws above hold in expectation over the weights. One network of finite width
    wanders around them: log Var(z_l) performs a random walk whose spread grows like
    depth / width (Hanin & Rolnick 2018), so a 30-layer ReLU network of width 256 can
    drift by a factor of 2 or more even under He initialisation; averaging over networks
    (or a wider one) recovers the law.

    Example:
        >>> he = signal_propagation("he", "relu", depth=10, width=256)
        >>> round(float(he.forward_ratios.mean()), 1)  # Var(z_{l+1}) / Var(z_l)
        1.0

    See the article docs/articles/theory/initialisation_in_depth.py.
    """
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive int, got {repeats!r}")
    manual_seed(seed)
    rng = np.random.default_rng(seed)
    forward, backward = np.zeros(depth), np.zeros(depth)
    for _ in range(repeats):
        model = deep_network(depth, width, init, activation)
        h = randn(batch_size, width)
        pre_activations = []
        for module in model:
            h = module(h)
            if isinstance(module, Linear):
                h.retain_grad()
                pre_activations.append(h)
        readout = rng.standard_normal(h.shape).astype(np.float32)
        (h * tensor(readout)).sum().backward()
        forward += [z.detach().numpy().var() / repeats for z in pre_activations]
        backward += [z.grad.numpy().var() / repeats for z in pre_activations]
    return SignalPropagation(init, activation, forward, backward)


def training_curves(
    x,
    y,
    depth: int = 30,
    width: int = 64,
    steps: int = 300,
    lr: float = 0.05,
    batch_size: int = 64,
    pairings=(("xavier", "tanh"), ("he", "tanh"), ("xavier", "relu"), ("he", "relu")),
    seed: int = 0,
) -> dict[tuple[str, str], list[float]]:
    """The cross-entropy loss per step of the same deep classifier (``depth`` hidden
    layers, plain SGD, the same minibatches) under each (init, activation) pairing.

    Args:
        x: (N, features) float32 inputs; y: (N,) int64 labels.

    See the article docs/articles/theory/initialisation_in_depth.py.
    """
    x, y = np.asarray(x, np.float32), np.asarray(y, np.int64)
    curves = {}
    for init, activation in pairings:
        manual_seed(seed)
        rng = np.random.default_rng(seed)
        model = deep_network(depth, width, init, activation, x.shape[1], int(y.max()) + 1)
        optimizer = SGD(model.parameters(), lr=lr)
        losses = []
        for _ in range(steps):
            rows = rng.choice(len(x), size=min(batch_size, len(x)), replace=False)
            loss = F.cross_entropy(model(tensor(x[rows])), tensor(y[rows]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
        curves[(init, activation)] = losses
    return curves
