"""A task where only the timing of spikes carries the class: what spiking networks add.

Each sample is a spike train over T steps on C input channels. Channels (0, 1) fire once
each, at different random steps, and so do channels (2, 3); the class is the order within
the two pairs:

    class = 2 [t_1 < t_0] + [t_3 < t_2]          (4 classes, chance 25%)

The other channels are distractors that fire 1-3 times at random steps. Every signal
channel fires exactly once in every sample, whatever its class, and the distractors'
counts do not depend on the class: a model that sees spike *counts* (an MLP on counts, or
any rate code) has nothing to go on and stays at chance. A network of leaky
integrate-and-fire neurons can tell "A then B" from "B then A": a neuron excited by B and
inhibited by A fires at B's arrival only if A has not just pushed its membrane down.
"""

from __future__ import annotations

import numpy as np

from abinitio.data.datasets.splits import DatasetSplits

CLASSES = ("0<1, 2<3", "0<1, 3<2", "1<0, 2<3", "1<0, 3<2")


def temporal_order(n_train: int = 2000, n_test: int = 1000, time_steps: int = 20,
                   channels: int = 10, seed: int = 0) -> DatasetSplits:  # fmt: skip
    """The temporal-order task as a :class:`DatasetSplits`: inputs (N, T, C) float32
    spike trains (batch first, as DataLoader batches them), labels 0..3.

    Example:
        >>> data = temporal_order(100, 50, time_steps=20, channels=8)
        >>> data.x_train.shape, sorted(set(data.x_train[:, :, :4].sum(1).ravel().tolist()))
        ((100, 20, 8), [1.0])
    """
    if channels < 4 or time_steps < 2:
        raise ValueError(f"temporal_order: needs channels >= 4 and time_steps >= 2, got "
                         f"channels={channels}, time_steps={time_steps}")  # fmt: skip
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    x = np.zeros((n, time_steps, channels), np.float32)
    rows = np.arange(n)
    labels = np.zeros(n, np.int64)
    for pair, weight in ((0, 2), (2, 1)):
        # two distinct steps per sample: the first of a random permutation's two entries
        times = np.argsort(rng.random((n, time_steps)), axis=1)[:, :2]
        x[rows, times[:, 0], pair] = 1
        x[rows, times[:, 1], pair + 1] = 1
        labels += weight * (times[:, 1] < times[:, 0])
    distractors = channels - 4
    if distractors:
        counts = rng.integers(1, 4, (n, distractors))
        order = np.argsort(rng.random((n, distractors, time_steps)), axis=2)
        fire = np.arange(time_steps)[None, None, :] < counts[:, :, None]  # first `count`
        chosen = np.zeros((n, distractors, time_steps), bool)
        np.put_along_axis(chosen, order, fire, axis=2)
        x[:, :, 4:] = chosen.transpose(0, 2, 1)
    return DatasetSplits(x[:n_train], labels[:n_train], x[n_train:], labels[n_train:],
                         "temporal_order", CLASSES)  # fmt: skip


def spike_counts(x: np.ndarray) -> np.ndarray:
    """Spikes per channel over the whole train, (N, T, C) -> (N, C): all a rate code keeps."""
    return np.asarray(x).sum(axis=1)
