"""The base class of every probability distribution (``torch.distributions.Distribution``).

A distribution has a ``batch_shape`` (independent distributions side by side, one per
environment or per sample) and an ``event_shape`` (the shape of one draw: ``()`` for a
scalar, ``(d,)`` for a vector action). ``sample(sample_shape)`` returns
``sample_shape + batch_shape + event_shape``; ``log_prob(value)`` returns one log-density per
draw, ``value.shape[:-len(event_shape)]``, and is differentiable in the parameters.
"""

from __future__ import annotations

import numpy as np

from abinitio.creation import as_tensor
from abinitio.random import Generator
from abinitio.tensor import Tensor


def as_parameter(value, name: str, owner: str) -> Tensor:
    """A float Tensor from ``value`` (a Tensor keeps its graph); names the argument on error."""
    if isinstance(value, Tensor):
        if value.dtype.kind != "f":
            raise TypeError(f"{owner}: {name} must be a float tensor, got dtype {value.dtype}")
        return value
    try:
        return as_tensor(np.asarray(value, dtype=np.float32))
    except (TypeError, ValueError) as error:
        raise TypeError(f"{owner}: {name} must be numbers, got {value!r}: {error}") from None


class Distribution:
    """A family of probability distributions with PyTorch's interface.

    Subclasses set ``batch_shape`` and ``event_shape`` and implement ``sample``, ``log_prob``
    and ``entropy``; reparameterisable ones also ``rsample`` (``has_rsample = True``).

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    has_rsample = False

    def __init__(self, batch_shape=(), event_shape=()) -> None:
        self.batch_shape = tuple(batch_shape)
        self.event_shape = tuple(event_shape)

    def _extended_shape(self, sample_shape=()) -> tuple:
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        return tuple(sample_shape) + self.batch_shape + self.event_shape

    def sample(self, sample_shape=(), generator: Generator | None = None) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement sample")

    def rsample(self, sample_shape=(), generator: Generator | None = None) -> Tensor:
        raise NotImplementedError(
            f"{type(self).__name__} has no reparameterised sample (has_rsample is False)"
        )

    def log_prob(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(batch_shape={self.batch_shape}, "
            f"event_shape={self.event_shape})"
        )
