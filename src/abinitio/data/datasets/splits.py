"""``DatasetSplits``: what every classification data set in :mod:`abinitio.data.datasets`
returns, and the seeded stratified split that makes most of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abinitio.data.dataset import TensorDataset


@dataclass(frozen=True, eq=False, repr=False)
class DatasetSplits:
    """A train/test split of a labelled data set, plus what describes it.

    It unpacks like a tuple: ``x_train, y_train, x_test, y_test = digits()``.

    Attributes:
        x_train, x_test: float32 NumPy arrays of inputs, (N_train, *input_shape) and
            (N_test, *input_shape).
        y_train, y_test: int64 NumPy arrays of class indices in ``[0, num_classes)``.
        name: the data set's name, e.g. ``"digits"``.
        classes: the class names; ``classes[k]`` names label ``k``.
        input_shape: one input's shape, e.g. ``(1, 8, 8)`` (derived from ``x_train``).
        num_classes: ``len(classes)``.
        train, test: the splits as :class:`~abinitio.data.TensorDataset` s, ready for a
            ``DataLoader``.

    Example:
        >>> import numpy as np
        >>> x, y = np.zeros((4, 2)), np.array([0, 1, 2, 0])
        >>> s = DatasetSplits(x[:3], y[:3], x[3:], y[3:], "toy", ("a", "b", "c"))
        >>> x_train, y_train, x_test, y_test = s
        >>> s
        DatasetSplits(name='toy', train=3, test=1, input_shape=(2,), classes=3)
        >>> x_train.dtype, y_test.dtype, len(s.train)
        (dtype('float32'), dtype('int64'), 3)
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        for field in ("x_train", "x_test"):
            object.__setattr__(self, field, np.asarray(getattr(self, field), dtype=np.float32))
        for field in ("y_train", "y_test"):
            object.__setattr__(self, field, np.asarray(getattr(self, field), dtype=np.int64))
        object.__setattr__(self, "classes", tuple(self.classes))
        if len(self.x_train) != len(self.y_train) or len(self.x_test) != len(self.y_test):
            raise ValueError(
                f"DatasetSplits({self.name!r}): inputs and labels differ in length: "
                f"train {len(self.x_train)} vs {len(self.y_train)}, "
                f"test {len(self.x_test)} vs {len(self.y_test)}"
            )

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def train(self) -> TensorDataset:
        return TensorDataset(self.x_train, self.y_train)

    @property
    def test(self) -> TensorDataset:
        return TensorDataset(self.x_test, self.y_test)

    def __iter__(self):
        return iter((self.x_train, self.y_train, self.x_test, self.y_test))

    def __repr__(self) -> str:
        return (
            f"DatasetSplits(name={self.name!r}, train={len(self.x_train)}, "
            f"test={len(self.x_test)}, input_shape={self.input_shape}, "
            f"classes={self.num_classes})"
        )


def stratified_split(labels, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(train, test)``: ``round(test_fraction * count)`` samples of every class
    go to test, chosen by a NumPy generator seeded with ``seed``; both are shuffled.

    Example:
        >>> train, test = stratified_split([0, 0, 0, 0, 1, 1, 1, 1], 0.25, seed=0)
        >>> len(train), len(test), sorted(np.array([0, 0, 0, 0, 1, 1, 1, 1])[test].tolist())
        (6, 2, [0, 1])
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    test = []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        test.append(members[: round(test_fraction * len(members))])
    test = np.concatenate(test)
    train = np.setdiff1d(np.arange(len(labels)), test)
    return rng.permutation(train), rng.permutation(test)


def split_dataset(x, y, name: str, classes, test_fraction: float, seed: int) -> DatasetSplits:
    """A :class:`DatasetSplits` of ``(x, y)`` by :func:`stratified_split`."""
    x, y = np.asarray(x), np.asarray(y)
    train, test = stratified_split(y, test_fraction, seed)
    return DatasetSplits(x[train], y[train], x[test], y[test], name, tuple(classes))
