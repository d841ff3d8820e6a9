"""Ready-made architectures, each a few dozen readable lines."""

from abinitio.models.mlp import MLP, MNIST1DMLP

__all__ = ["MLP", "MNIST1DMLP"]
