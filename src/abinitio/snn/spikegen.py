"""Spike encoders: turn values into spike trains, time first (snnTorch's ``spikegen``).

* :func:`rate`: each value x in [0, 1] is a firing probability per step: S[t] ~ Bernoulli(x)
  independently at every step, so the spike count over T steps has mean T x. The
  information is in *how many* spikes.
* :func:`latency`: each value fires once, and larger values fire earlier: the time to
  first spike carries the information (linear, or the charging time of an RC circuit).
* :func:`delta`: a spike wherever a signal rises by at least ``threshold`` from one step
  to the next (delta modulation, as an event camera does).

All return float32 Tensors with the time axis first: (T, *input.shape).
"""

from __future__ import annotations

import numpy as np

from abinitio import random as ab_random
from abinitio.tensor import Tensor


def _array(data, where: str) -> np.ndarray:
    array = data.detach().numpy() if isinstance(data, Tensor) else np.asarray(data)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"spikegen.{where}: expected numbers, got dtype {array.dtype}")
    return array.astype(np.float32, copy=False)


def _steps(num_steps, where: str) -> int:
    integer = isinstance(num_steps, (int, np.integer)) and not isinstance(num_steps, bool)
    if not integer or num_steps <= 0:
        raise ValueError(
            f"spikegen.{where}: num_steps must be a positive integer, got {num_steps!r}"
        )
    return int(num_steps)


def rate(data, num_steps: int, gain: float = 1.0, generator=None) -> Tensor:
    """Rate coding: S[t] ~ Bernoulli(gain * x) at every step t = 1..T, independently.

    Args:
        data: values in [0, 1] (after ``gain``), any shape.
        num_steps: T.
        gain: scales the probabilities.
        generator: an :class:`abinitio.Generator` (default: the global one).

    Example:
        >>> import abinitio as ab
        >>> _ = ab.manual_seed(0)
        >>> spikes = rate(ab.tensor([0.0, 1.0, 0.5]), num_steps=1000)
        >>> spikes.shape, spikes.mean(0).tolist()[:2]
        ((1000, 3), [0.0, 1.0])

    See the article docs/articles/spiking/training_through_time.py.
    """
    steps = _steps(num_steps, "rate")
    p = _array(data, "rate") * gain
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(
            f"spikegen.rate: firing probabilities must be in [0, 1], got values in "
            f"[{p.min():g}, {p.max():g}]; scale the data first (e.g. divide by its maximum)"
        )
    rng = (generator or ab_random.default_generator).numpy
    draws = rng.random((steps, *p.shape), dtype=np.float32)
    return Tensor((draws < p).astype(np.float32))


def latency_times(data, num_steps: int, tau: float = 1.0, threshold: float = 0.01,
                  linear: bool = False, normalize: bool = False) -> np.ndarray:  # fmt: skip
    """The spike time of each value (a float; values below ``threshold`` get +inf):

        log:     t = tau ln(x / (x - threshold))    the time an RC circuit charged by x
                                                    takes to reach the threshold
        linear:  t = tau (1 - x)

    ``normalize`` rescales tau so that the latest finite time is T - 1."""
    x = _array(data, "latency")
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(
            f"spikegen.latency: values must be in [0, 1], got [{x.min():g}, {x.max():g}]"
        )
    below = x < threshold
    safe = np.where(below, 1.0, x)
    if linear:
        times = 1 - safe
        longest = 1 - threshold
    else:
        times = np.log(safe / np.maximum(safe - threshold, 1e-7))
        longest = np.log(threshold / 1e-7) if threshold > 0 else 1.0
    scale = (num_steps - 1) / longest if normalize else tau
    return np.where(below, np.inf, times * scale).astype(np.float32)


def latency(data, num_steps: int, tau: float = 1.0, threshold: float = 0.01,
            linear: bool = False, normalize: bool = False,
            clip: bool = False) -> Tensor:  # fmt: skip
    """Latency coding: one spike per value, at step round(t) of :func:`latency_times`
    (earlier for larger values). Times beyond the last step fire at the last step, as do
    values below ``threshold`` unless ``clip=True`` removes their spike.

    Example:
        >>> import abinitio as ab
        >>> s = latency(ab.tensor([1.0, 0.5, 0.0]), num_steps=5, linear=True, normalize=True)
        >>> s.argmax(0).tolist()
        [0, 2, 4]

    See the article docs/articles/spiking/training_through_time.py.
    """
    steps = _steps(num_steps, "latency")
    times = latency_times(data, steps, tau, threshold, linear, normalize)
    silent = np.isinf(times)
    index = np.clip(np.round(np.where(silent, steps - 1, times)), 0, steps - 1).astype(np.int64)
    spikes = np.arange(steps).reshape(-1, *([1] * times.ndim)) == index
    if clip:
        spikes &= ~silent
    return Tensor(spikes.astype(np.float32))


def delta(data, threshold: float = 0.1, padding: bool = False, off_spike: bool = False) -> Tensor:
    """Delta modulation of a time-major signal x (T, ...):

        S[t] = 1 if x[t] - x[t-1] >= threshold;  with off_spike, -1 if x[t] - x[t-1] <= -threshold

    x[0] is compared with 0, or with itself when ``padding`` (no spike at the first step).

    Example:
        >>> import abinitio as ab
        >>> delta(ab.tensor([0.0, 0.5, 0.5, 0.1]), threshold=0.3, off_spike=True).tolist()
        [0.0, 1.0, 0.0, -1.0]

    See the article docs/articles/spiking/training_through_time.py.
    """
    x = _array(data, "delta")
    if x.ndim == 0:
        raise ValueError("spikegen.delta: expected a time-major signal (T, ...), got a scalar")
    first = x[:1] if padding else np.zeros_like(x[:1])
    change = x - np.concatenate([first, x[:-1]])
    spikes = (change >= threshold).astype(np.float32)
    if off_spike:
        spikes -= change <= -threshold
    return Tensor(spikes)
