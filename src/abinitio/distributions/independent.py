"""Independent: treat the last batch dims of a distribution as one event."""

from __future__ import annotations

from abinitio.distributions.distribution import Distribution
from abinitio.random import Generator
from abinitio.tensor import Tensor


class Independent(Distribution):
    """Reinterpret ``n`` batch dims as event dims (``torch.distributions.Independent``).

    ``Independent(Normal(mu, sigma), 1)`` is a diagonal Gaussian over a vector action
    ``a in R^d``: its coordinates are independent, so densities multiply and entropies add::

        log p(a) = sum_i log N(a_i; mu_i, sigma_i^2)
        H        = sum_i H_i

    and the gradient of the sum is the sum of the gradients.

    Args:
        base_distribution: the distribution whose dims to reinterpret.
        reinterpreted_batch_ndims: how many of its rightmost batch dims form one event.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.distributions import Independent, Normal
        >>> d = Independent(Normal(ab.zeros(5, 3), ab.ones(5, 3)), 1)
        >>> d.batch_shape, d.event_shape, d.log_prob(ab.zeros(5, 3)).shape
        ((5,), (3,), (5,))

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int) -> None:
        n = int(reinterpreted_batch_ndims)
        batch = base_distribution.batch_shape
        if not 0 <= n <= len(batch):
            raise ValueError(
                f"Independent: reinterpreted_batch_ndims must be in [0, {len(batch)}] for "
                f"batch_shape {batch}, got {reinterpreted_batch_ndims}"
            )
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = n
        cut = len(batch) - n
        super().__init__(batch[:cut], batch[cut:] + base_distribution.event_shape)
        self.has_rsample = base_distribution.has_rsample

    def _sum_rightmost(self, value: Tensor) -> Tensor:
        n = self.reinterpreted_batch_ndims
        return value.sum(tuple(range(-n, 0))) if n else value

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def mode(self) -> Tensor:
        return self.base_dist.mode

    def sample(self, sample_shape=(), generator: Generator | None = None) -> Tensor:
        return self.base_dist.sample(sample_shape, generator)

    def rsample(self, sample_shape=(), generator: Generator | None = None) -> Tensor:
        return self.base_dist.rsample(sample_shape, generator)

    def log_prob(self, value) -> Tensor:
        return self._sum_rightmost(self.base_dist.log_prob(value))

    def entropy(self) -> Tensor:
        return self._sum_rightmost(self.base_dist.entropy())
