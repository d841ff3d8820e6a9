"""``gradient_flow``: the size of every layer's gradient and the state of every activation.

Backpropagation multiplies the output's gradient by one Jacobian per layer on its way to
the input. If those factors are mostly smaller than one (saturated sigmoids, too small
weights) the gradient shrinks geometrically with depth and the first layers stop
learning: the *vanishing gradient*. If they are larger it explodes. Printing the norm
of dL/dW for each weight layer, input to output, shows which is happening; the
activations' mean, spread and share of dead ReLUs (units that output 0 for every input,
and so pass no gradient back) tell why.

Example:
    >>> import abinitio as ab
    >>> from abinitio import nn
    >>> model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> x, y = ab.randn(16, 2), ab.tensor([0, 1] * 8)
    >>> flow = gradient_flow(model, lambda m: nn.functional.cross_entropy(m(x), y))
    >>> flow.names, len(flow.activations)
    (['0', '2'], 1)

See the article docs/articles/architectures/residual_networks.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abinitio.backend import to_numpy
from abinitio.nn.modules.activation import ACTIVATIONS
from abinitio.nn.modules.conv import Conv1d, Conv2d, ConvTranspose2d
from abinitio.nn.modules.linear import Linear
from abinitio.tensor import Tensor

WEIGHT_LAYERS = (Linear, Conv1d, Conv2d, ConvTranspose2d)
ACTIVATION_LAYERS = tuple(ACTIVATIONS.values())


@dataclass
class LayerGradient:
    """One weight layer: its path in the model, the norms of its weight and of the
    weight's gradient (Frobenius, sqrt of the sum of squares).

    See the article docs/articles/architectures/residual_networks.py.
    """

    name: str
    shape: tuple
    grad_norm: float
    weight_norm: float

    @property
    def relative(self) -> float:
        """|dL/dW| / |W|: how far one plain gradient step would move the layer."""
        return self.grad_norm / self.weight_norm if self.weight_norm else float("nan")


@dataclass
class ActivationStats:
    """One call of an activation layer during the forward pass.

    ``dead_fraction`` is the share of units (positions of one sample's output) that are
    0 or less for every sample of the batch: a ReLU unit like that passes no gradient.

    See the article docs/articles/architectures/residual_networks.py.
    """

    name: str
    mean: float
    std: float
    dead_fraction: float


@dataclass
class GradientFlow:
    """What :func:`gradient_flow` measured: weight layers and activations in forward order.

    See the article docs/articles/architectures/residual_networks.py.
    """

    loss: float
    layers: list = field(default_factory=list)
    activations: list = field(default_factory=list)

    @property
    def names(self) -> list:
        return [layer.name for layer in self.layers]

    @property
    def grad_norms(self) -> list:
        return [layer.grad_norm for layer in self.layers]

    def table(self) -> str:
        """The layers as a text table: name, weight shape, |dL/dW|, |W|."""
        width = max([len(layer.name) for layer in self.layers] + [5])
        lines = [f"{'layer':<{width}}  {'weight shape':<16} {'|dL/dW|':>10} {'|W|':>10}"]
        for layer in self.layers:
            shape = str(tuple(layer.shape))
            lines.append(f"{layer.name:<{width}}  {shape:<16} {layer.grad_norm:>10.3e} "
                         f"{layer.weight_norm:>10.3e}")  # fmt: skip
        return "\n".join(lines)


def gradient_flow(model, loss, layer_types=WEIGHT_LAYERS) -> GradientFlow:
    """Backpropagate a loss through ``model`` and report every weight layer's gradient norm
    (input to output) and every activation layer's statistics.

    Args:
        model: the network (a :class:`~abinitio.nn.Module`).
        loss: a function ``loss(model) -> scalar Tensor`` that runs the forward pass, e.g.
            ``lambda m: F.cross_entropy(m(x), y)``; activations are recorded with forward
            hooks while it runs. A scalar Tensor already computed from the model also
            works, but then no activations can be recorded.
        layer_types: the layers whose ``weight`` gradient is reported (Linear and the
            convolutions by default).

    Returns:
        A :class:`GradientFlow`. The model's parameters are left holding this loss's
        gradients (earlier gradients are cleared first).
    """
    model.zero_grad()
    activations, handles = [], []
    if callable(loss) and not isinstance(loss, Tensor):
        handles = _record_activations(model, activations)
        try:
            loss = loss(model)
        finally:
            for handle in handles:
                handle.remove()
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        raise ValueError(f"gradient_flow: expected a scalar loss Tensor, got {loss!r}")
    loss.backward()
    layers = [_layer_gradient(name, module) for name, module in model.named_modules()
              if isinstance(module, layer_types)]  # fmt: skip
    return GradientFlow(float(loss.item()), layers, activations)


def _record_activations(model, records: list) -> list:
    """Attach a forward hook to every activation layer; each call appends its stats."""
    calls = {}

    def hook_for(name):
        def hook(module, inputs, output):
            calls[name] = calls.get(name, 0) + 1
            label = name if calls[name] == 1 else f"{name}#{calls[name]}"
            records.append(_activation_stats(label, output))

        return hook

    return [module.register_forward_hook(hook_for(name))
            for name, module in model.named_modules()
            if isinstance(module, ACTIVATION_LAYERS)]  # fmt: skip


def _activation_stats(name: str, output) -> ActivationStats:
    values = to_numpy(output.array).astype(np.float64)
    units = values.reshape(len(values), -1) if values.ndim > 1 else values[:, None]
    dead = float((units <= 0).all(axis=0).mean()) if units.size else 0.0
    return ActivationStats(name, float(values.mean()), float(values.std()), dead)


def _layer_gradient(name: str, module) -> LayerGradient:
    weight = module.weight
    grad = 0.0 if weight.grad is None else _norm(weight.grad.array)
    return LayerGradient(name, tuple(weight.shape), grad, _norm(weight.array))


def _norm(array) -> float:
    # NOTE: in float64: a float32 gradient of 1e-23 has a square (1e-46) that underflows
    return float(np.linalg.norm(to_numpy(array).astype(np.float64).ravel()))
