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

    See the article docs/articles/generalisation/regularisation.py.
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


class Dropout2d(Dropout):
    """During training, zero each whole channel (feature map) with probability ``p`` and
    scale the others by 1 / (1 - p); in eval mode, the identity.

    Neighbouring pixels of a feature map are strongly correlated, so element-wise dropout
    hardly regularises a convolutional network: a dropped pixel's neighbours carry the
    same information. Dropping whole maps does (Tompson et al. 2015).

    Shape:
        input (N, C, H, W) or (C, H, W) -> output of the same shape.

    Example:
        >>> import abinitio as ab
        >>> y = ab.nn.Dropout2d(0.5)(ab.ones(1, 4, 2, 2))
        >>> sorted(set(y.flatten().tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True

    See the article docs/articles/generalisation/regularisation.py.
    """

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training)
