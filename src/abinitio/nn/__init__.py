"""Neural-network building blocks. For now: :mod:`abinitio.nn.functional`."""

from abinitio.nn import functional

__all__ = ["functional"]
