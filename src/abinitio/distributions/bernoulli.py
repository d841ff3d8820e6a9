"""The Bernoulli distribution: a coin that lands 1 with probability p."""

from __future__ import annotations

import numpy as np

from abinitio.creation import from_numpy
from abinitio.distributions.distribution import Distribution, as_parameter
from abinitio.nn.functional import softplus
from abinitio.random import Generator, numpy_generator
from abinitio.tensor import Tensor


class Bernoulli(Distribution):
    """x in {0, 1} with P(x = 1) = p = sigmoid(l) (``torch.distributions.Bernoulli``).

    In terms of the logit ``l`` (stable for any l; softplus(l) = log(1 + e^l))::

        log_prob(x) = x l - softplus(l)                 d/dl = x - p
        entropy     = softplus(l) - p l                 d/dl = -p (1 - p) l

    Args:
        probs: P(x = 1) in [0, 1]; exactly one of ``probs``/``logits``.
        logits: log(p / (1 - p)).

    Example:
        >>> import abinitio as ab
        >>> from abinitio.distributions import Bernoulli
        >>> d = Bernoulli(probs=ab.tensor([0.5, 0.9]))
        >>> d.log_prob(ab.tensor([1.0, 1.0])).exp().numpy().round(3)
        array([0.5, 0.9], dtype=float32)

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    def __init__(self, probs=None, logits=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Bernoulli: give exactly one of probs or logits")
        if logits is None:
            probs = as_parameter(probs, "probs", "Bernoulli")
            if ((probs.array < 0) | (probs.array > 1)).any():
                raise ValueError(f"Bernoulli: probs must lie in [0, 1], got {probs.array}")
            eps = np.finfo(probs.dtype).eps
            p = probs.clamp(eps, 1 - eps)
            logits = p.log() - (1 - p).log()
        self.logits = as_parameter(logits, "logits", "Bernoulli")
        super().__init__(batch_shape=self.logits.shape)

    @property
    def probs(self) -> Tensor:
        return self.logits.sigmoid()

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        return from_numpy((self.logits.array > 0).astype(self.logits.dtype))

    def sample(self, sample_shape=(), generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = numpy_generator(generator).random(shape)
        p = 1.0 / (1.0 + np.exp(-self.logits.array.astype(np.float64)))
        return from_numpy((u < p).astype(self.logits.dtype))

    def log_prob(self, value) -> Tensor:
        value = as_parameter(value, "value", "Bernoulli.log_prob")
        return value * self.logits - softplus(self.logits)

    def entropy(self) -> Tensor:
        return softplus(self.logits) - self.probs * self.logits
