"""Looking inside a network while it learns: how large each layer's gradient is, and what
its activations look like (``gradient_flow``). The pictures are in
:mod:`abinitio.viz.gradients`."""

from abinitio.inspect.gradient_flow import (
    ActivationStats,
    GradientFlow,
    LayerGradient,
    gradient_flow,
)

__all__ = ["ActivationStats", "GradientFlow", "LayerGradient", "gradient_flow"]
