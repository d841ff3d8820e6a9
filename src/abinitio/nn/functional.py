"""Stateless neural-network functions (``torch.nn.functional``), usually imported as ``F``.

Each is a few lines: a call to a fused primitive from :mod:`abinitio.ops`, or a composition
of tensor operations whose gradient the engine derives by itself.
"""

from __future__ import annotations

from abinitio.ops.activation import gelu, leaky_relu, relu, sigmoid, silu, softplus
from abinitio.ops.linalg import linear
from abinitio.ops.shape import pad
from abinitio.ops.softmax import log_softmax, softmax
from abinitio.ops.unary import tanh

__all__ = [
    "gelu",
    "leaky_relu",
    "linear",
    "log_softmax",
    "pad",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]
