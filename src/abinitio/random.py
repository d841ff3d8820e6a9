"""One process-wide random number generator, seeded by :func:`manual_seed`.

Every sampler in abinitio (``randn``, weight initialisation, dropout masks, data shuffling)
draws from a :class:`Generator`; by default from :data:`default_generator`. Seeding it once
makes a whole run repeatable, as ``torch.manual_seed`` does. Like PyTorch's, the default
generator starts from a fixed seed, so an unseeded program is repeatable too.

Example:
    >>> import abinitio as ab
    >>> _ = ab.manual_seed(0)
    >>> a = ab.randn(3)
    >>> _ = ab.manual_seed(0)
    >>> bool((a == ab.randn(3)).all())
    True
"""

from __future__ import annotations

import numpy as np

from abinitio.backend import get_array_module

DEFAULT_SEED = 67280421310721  # PyTorch's default CPU seed


class Generator:
    """A seeded source of random numbers (PyTorch's ``torch.Generator``).

    It wraps a NumPy ``Generator`` (PCG64), available as ``.numpy`` to code that samples.
    ``get_state()`` returns a JSON-serialisable dict, so checkpoints can store it.

    See the article docs/articles/learning/training_loop.py.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.manual_seed(DEFAULT_SEED if seed is None else seed)

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns ``self`` (as PyTorch does)."""
        seed = int(seed)
        if seed < 0:
            raise ValueError(f"manual_seed: seed must be non-negative, got {seed}")
        self._initial_seed = seed
        self.numpy = np.random.default_rng(seed)
        return self

    def seed(self) -> int:
        """Reseed from operating-system entropy and return the new seed."""
        new_seed = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(new_seed)
        return new_seed

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self) -> dict:
        """The generator's full state as a plain dict (JSON-serialisable)."""
        return {"initial_seed": self._initial_seed, "bit_generator": self.numpy.bit_generator.state}

    def set_state(self, state: dict) -> None:
        """Restore a state returned by :meth:`get_state`."""
        self.manual_seed(state["initial_seed"])
        self.numpy.bit_generator.state = state["bit_generator"]


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator; returns it (``torch.manual_seed``)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from operating-system entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    """The default generator's state (``torch.get_rng_state``), as a JSON-able dict."""
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def numpy_generator(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (the default one when ``None``)."""
    return (generator or default_generator).numpy


def dropout_mask(like, shape: tuple, p: float, generator: Generator | None = None):
    """keep / (1 - p) with keep ~ Bernoulli(1 - p), in ``like``'s dtype and array library:
    the multiplier of inverted dropout. The draws come from abinitio's generator on the
    host, so one seed gives one mask whichever device holds ``like``."""
    keep = numpy_generator(generator).random(shape, dtype=np.float32) >= p
    return get_array_module(like).asarray(keep * like.dtype.type(1.0 / (1.0 - p)))
