"""Utilities under PyTorch's names: ``abinitio.utils.data`` is ``torch.utils.data``."""

from abinitio.utils import data

__all__ = ["data"]
