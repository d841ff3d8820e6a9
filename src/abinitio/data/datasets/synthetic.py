"""Toy 2-D classification sets, made in NumPy from a seed: nothing to download.

Each function returns a :class:`DatasetSplits` of float32 points (N, 2) and int64 labels,
split 80/20 (stratified) by default. ``seed`` fixes both the points and the split; the
global ``ab.manual_seed`` plays no part. ``noise`` is always the standard deviation of the
Gaussian added to each coordinate.

=========  ==========================================  =========================
function   what it draws                               why it is taught
=========  ==========================================  =========================
moons      two interleaved half circles                a curved boundary
circles    a small circle inside a large one           needs a radial feature
spirals    K interleaved spiral arms                   deep, non-linear boundary
xor        the four quadrants, opposite ones alike     not linearly separable
=========  ==========================================  =========================
"""

from __future__ import annotations

import math

import numpy as np

from abinitio.data.datasets.splits import DatasetSplits, split_dataset


def _check(n_samples: int, noise: float, n_classes: int = 2) -> None:
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    if n_samples < 2 * n_classes:
        raise ValueError(
            f"n_samples must be at least {2 * n_classes} (two per class), got {n_samples}"
        )
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")


def _halves(n_samples: int) -> tuple[int, int]:
    return n_samples // 2, n_samples - n_samples // 2


def moons(
    n_samples: int = 1000, noise: float = 0.1, test_fraction: float = 0.2, seed: int = 0
) -> DatasetSplits:
    """Two interleaving half circles (scikit-learn's ``make_moons``, in NumPy).

    Upper moon (label 0): (cos t, sin t); lower moon (label 1): (1 - cos t, 0.5 - sin t),
    for t evenly spaced in [0, pi]; then Gaussian noise of std ``noise``.

    Args:
        n_samples: points in train and test together (half per moon).
        noise: standard deviation of the noise added to each coordinate.
        test_fraction: share of each class put in the test split.
        seed: fixes the noise and the split.

    Returns:
        a :class:`DatasetSplits`; inputs (N, 2) float32, labels int64 in {0, 1}.

    Example:
        >>> data = moons(100)
        >>> data
        DatasetSplits(name='moons', train=80, test=20, input_shape=(2,), classes=2)
    """
    _check(n_samples, noise)
    n_upper, n_lower = _halves(n_samples)
    t_upper = np.linspace(0, math.pi, n_upper)
    t_lower = np.linspace(0, math.pi, n_lower)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    labels = np.repeat([0, 1], [n_upper, n_lower])
    points = np.concatenate([upper, lower])
    points += np.random.default_rng(seed).normal(0, noise, size=points.shape)
    return split_dataset(points, labels, "moons", ("upper", "lower"), test_fraction, seed)


def circles(
    n_samples: int = 1000,
    noise: float = 0.05,
    factor: float = 0.5,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> DatasetSplits:
    """A small circle inside a large one (scikit-learn's ``make_circles``, in NumPy).

    Outer circle (label 0): (cos t, sin t); inner circle (label 1): factor * (cos t, sin t),
    for t evenly spaced in [0, 2 pi); then Gaussian noise of std ``noise``.

    Args:
        n_samples: points in train and test together (half per circle).
        noise: standard deviation of the noise added to each coordinate.
        factor: radius of the inner circle, between 0 and 1.
        test_fraction: share of each class put in the test split.
        seed: fixes the noise and the split.

    Returns:
        a :class:`DatasetSplits`; inputs (N, 2) float32, labels int64 in {0, 1}.

    Example:
        >>> circles(50, factor=0.3).classes
        ('outer', 'inner')

    See the article docs/articles/architectures/representation_learning.py.
    """
    _check(n_samples, noise)
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must be between 0 and 1, got {factor}")
    n_outer, n_inner = _halves(n_samples)
    t_outer = np.linspace(0, 2 * math.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0, 2 * math.pi, n_inner, endpoint=False)
    outer = np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1)
    inner = factor * np.stack([np.cos(t_inner), np.sin(t_inner)], axis=1)
    labels = np.repeat([0, 1], [n_outer, n_inner])
    points = np.concatenate([outer, inner])
    points += np.random.default_rng(seed).normal(0, noise, size=points.shape)
    return split_dataset(points, labels, "circles", ("outer", "inner"), test_fraction, seed)


def spirals(
    n_samples: int = 1000,
    n_classes: int = 2,
    noise: float = 0.05,
    turns: float = 1.0,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> DatasetSplits:
    """``n_classes`` interleaved spiral arms around the origin (CS231n's spiral data).

    Arm k (label k): r * (cos a, sin a) with r evenly spaced in [0, 1] and
    a = 2 pi * (turns * r + k / n_classes); then Gaussian noise of std ``noise``.

    Args:
        n_samples: points in train and test together, shared evenly among the arms.
        n_classes: number of arms (2 or 3 are the classic choices).
        noise: standard deviation of the noise added to each coordinate.
        turns: how many times each arm winds around the origin.
        test_fraction: share of each class put in the test split.
        seed: fixes the noise and the split.

    Returns:
        a :class:`DatasetSplits`; inputs (N, 2) float32, labels int64 in [0, n_classes).

    Example:
        >>> spirals(300, n_classes=3).num_classes
        3

    See the article docs/articles/architectures/feedforward_networks.py.
    """
    _check(n_samples, noise, n_classes)
    counts = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    points = np.concatenate(
        [_spiral_arm(k, count, counts, turns) for k, count in enumerate(counts)]
    )
    points += np.random.default_rng(seed).normal(0, noise, size=points.shape)
    labels = np.repeat(np.arange(n_classes), counts)
    classes = tuple(f"arm {k}" for k in range(n_classes))
    return split_dataset(points, labels, "spirals", classes, test_fraction, seed)


def _spiral_arm(k: int, count: int, counts: list[int], turns: float) -> np.ndarray:
    radius = np.linspace(0, 1, count)
    angle = 2 * math.pi * (turns * radius + k / len(counts))
    return radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def xor(
    n_samples: int = 1000, noise: float = 0.1, test_fraction: float = 0.2, seed: int = 0
) -> DatasetSplits:
    """Points in the square [-1, 1]^2, labelled by whether their coordinates differ in sign.

    label = 1 if (x_1 > 0) xor (x_2 > 0) else 0, computed before Gaussian noise of std
    ``noise`` is added, so that noisy points near the axes can cross the boundary.

    Args:
        n_samples: points in train and test together, drawn uniformly.
        noise: standard deviation of the noise added to each coordinate.
        test_fraction: share of each class put in the test split.
        seed: fixes the points, the noise and the split.

    Returns:
        a :class:`DatasetSplits`; inputs (N, 2) float32, labels int64 in {0, 1}.

    Example:
        >>> xor(40).x_train.shape
        (32, 2)
    """
    _check(n_samples, noise)
    rng = np.random.default_rng(seed)
    points = rng.uniform(-1, 1, size=(n_samples, 2))
    labels = (points[:, 0] > 0) != (points[:, 1] > 0)
    points += rng.normal(0, noise, size=points.shape)
    return split_dataset(
        points, labels, "xor", ("same sign", "opposite signs"), test_fraction, seed
    )
