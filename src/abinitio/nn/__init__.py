"""Neural-network building blocks: parameters, modules, layers, initialisation, losses."""

from abinitio.nn import functional
from abinitio.nn.parameter import Parameter

__all__ = ["functional", "Parameter"]
