"""``Dropout``: regularisation by randomly silencing neurons during training."""

from __future__ import annotations

from abinitio.nn import functional as F
from abinitio.nn.modules.module import Module


class Dropout(Module):
    """During training, zero each element with probability ``p`` and scale the rest by
    1 / (1 - p) (inverted dropout); in eval mode, the identity.

    No neuron can rely on any particular other one being present, which discourages
    co-adapted features and acts like averaging many thinned networks (Srivastava et al.
    2014). Masks are drawn from :mod:`abinitio.random`, so runs are repeatable.

    Example:
        >>> import abinitio as ab
        >>> drop = ab.nn.Dropout(0.5).eval()
        >>> drop(ab.ones(3)).tolist()
        [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p}")
        self.p = p

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
