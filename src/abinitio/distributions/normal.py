"""The normal (Gaussian) distribution: the policy of a continuous action."""

from __future__ import annotations

import math

import numpy as np

from abinitio.creation import from_numpy
from abinitio.distributions.distribution import Distribution, as_parameter
from abinitio.random import Generator, numpy_generator
from abinitio.tensor import Tensor

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class Normal(Distribution):
    """N(mu, sigma^2), elementwise (``torch.distributions.Normal``).

    ::

        log_prob(x) = -(x - mu)^2 / (2 sigma^2) - log sigma - log sqrt(2 pi)
        entropy     = 1/2 + log sqrt(2 pi) + log sigma
        rsample     = mu + sigma * eps,  eps ~ N(0, 1)   (reparameterised)

    with the derivatives that policy gradients use::

        d log_prob / d mu    = (x - mu) / sigma^2
        d log_prob / d sigma = ((x - mu)^2 - sigma^2) / sigma^3
        d entropy / d sigma  = 1 / sigma
        d rsample / d mu = 1,   d rsample / d sigma = eps

    ``sample`` is ``rsample`` without a graph.

    Args:
        loc: the mean mu (Tensor or numbers).
        scale: the standard deviation sigma, positive; broadcast against ``loc``.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.distributions import Normal
        >>> d = Normal(ab.tensor(0.0), ab.tensor(1.0))
        >>> round(float(d.log_prob(ab.tensor(0.0))), 4), round(float(d.entropy()), 4)
        (-0.9189, 1.4189)

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    has_rsample = True

    def __init__(self, loc, scale) -> None:
        self.loc = as_parameter(loc, "loc", "Normal")
        self.scale = as_parameter(scale, "scale", "Normal")
        if not (self.scale.array > 0).all():
            raise ValueError(f"Normal: scale must be positive, got {self.scale.array}")
        shape = np.broadcast_shapes(self.loc.shape, self.scale.shape)
        super().__init__(batch_shape=shape)

    @property
    def mean(self) -> Tensor:
        return self.loc.expand(*self.batch_shape)

    @property
    def mode(self) -> Tensor:
        return self.mean

    @property
    def stddev(self) -> Tensor:
        return self.scale.expand(*self.batch_shape)

    @property
    def variance(self) -> Tensor:
        return self.stddev**2

    def rsample(self, sample_shape=(), generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = numpy_generator(generator).standard_normal(shape).astype(self.loc.dtype)
        return self.loc + self.scale * from_numpy(eps)

    def sample(self, sample_shape=(), generator: Generator | None = None) -> Tensor:
        return self.rsample(sample_shape, generator).detach()

    def log_prob(self, value) -> Tensor:
        value = as_parameter(value, "value", "Normal.log_prob")
        z = (value - self.loc) / self.scale
        return -0.5 * z * z - self.scale.log() - _HALF_LOG_2PI

    def entropy(self) -> Tensor:
        return (0.5 + _HALF_LOG_2PI + self.scale.log()).expand(*self.batch_shape)
