"""The categorical distribution over ``K`` classes: the policy of a discrete action space."""

from __future__ import annotations

import numpy as np

from abinitio.creation import from_numpy
from abinitio.distributions.distribution import Distribution, as_parameter
from abinitio.random import Generator, numpy_generator
from abinitio.tensor import Tensor


class Categorical(Distribution):
    """A draw from ``{0, ..., K-1}`` with probabilities ``p_k`` (torch's ``Categorical``).

    Given logits ``l`` (any real numbers) the probabilities are a softmax::

        log p_k = l_k - logsumexp(l)                    log_prob(k)
        H       = -sum_k p_k log p_k                    entropy()

    and their derivatives, which the engine composes from ``log_softmax``::

        d log p_k / d l_j = [j = k] - p_j
        d H / d l_j       = -p_j (log p_j + H)

    Given ``probs`` they are normalised to sum to 1 and ``logits = log p``. ``sample`` draws
    by inverting the cumulative sum: ``k = #{j : cdf_j <= u}`` for ``u ~ U[0, 1)``, one
    comparison per class, vectorised over the batch.

    Args:
        probs: non-negative weights ``(*batch_shape, K)``; exactly one of ``probs``/``logits``.
        logits: unnormalised log-probabilities ``(*batch_shape, K)``.

    Shape:
        batch_shape = probs.shape[:-1]; event_shape = (); a sample is an int64 class index.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.distributions import Categorical
        >>> d = Categorical(logits=ab.tensor([[0.0, 0.0], [0.0, 100.0]]))
        >>> d.sample(generator=ab.random.Generator(0)).tolist()[1]
        1
        >>> d.log_prob(ab.tensor([0, 1])).exp().numpy().round(3)
        array([0.5, 1. ], dtype=float32)

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    def __init__(self, probs=None, logits=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Categorical: give exactly one of probs or logits")
        if logits is None:
            probs = as_parameter(probs, "probs", "Categorical")
            if probs.ndim < 1 or (probs.array < 0).any():
                raise ValueError(
                    f"Categorical: probs must be non-negative with at least one dim, "
                    f"got shape {probs.shape}"
                )
            logits = (probs / probs.sum(-1, keepdim=True)).log()
        else:
            logits = as_parameter(logits, "logits", "Categorical")
            if logits.ndim < 1:
                raise ValueError("Categorical: logits need at least one dim (the classes)")
        # log p = l - logsumexp(l): normalised logits, as torch stores them
        self.logits = logits.log_softmax(-1)
        super().__init__(batch_shape=logits.shape[:-1])

    @property
    def probs(self) -> Tensor:
        return self.logits.exp()

    @property
    def num_classes(self) -> int:
        return self.logits.shape[-1]

    @property
    def mode(self) -> Tensor:
        return from_numpy(self.logits.array.argmax(-1))

    def sample(self, sample_shape=(), generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        cdf = np.cumsum(np.exp(self.logits.array.astype(np.float64)), axis=-1)
        u = numpy_generator(generator).random(shape)[..., None] * cdf[..., -1:]
        index = (cdf <= u).sum(-1)
        return from_numpy(np.minimum(index, self.num_classes - 1).astype(np.int64))

    def log_prob(self, value) -> Tensor:
        value = np.asarray(value.array if isinstance(value, Tensor) else value)
        if value.dtype.kind not in "iu" and not np.all(value == np.round(value)):
            raise ValueError(f"Categorical.log_prob: values must be class indices, got {value}")
        value = value.astype(np.int64)
        if value.size and (value.min() < 0 or value.max() >= self.num_classes):
            raise ValueError(
                f"Categorical.log_prob: values must lie in [0, {self.num_classes}), "
                f"got min {value.min()} and max {value.max()}"
            )
        shape = np.broadcast_shapes(value.shape, self.batch_shape)
        logits = self.logits.expand(*shape, self.num_classes)
        index = np.broadcast_to(value, shape)[..., None]
        return logits.gather(-1, from_numpy(np.ascontiguousarray(index))).squeeze(-1)

    def entropy(self) -> Tensor:
        return -(self.logits * self.probs).sum(-1)
