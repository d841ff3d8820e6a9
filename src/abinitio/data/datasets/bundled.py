"""Small real benchmarks that need no download: scikit-learn's bundled 8x8 digits, and
MNIST-1D generated on this machine by its authors' procedural generator.
"""

from __future__ import annotations

import os
import random

import numpy as np

from abinitio.data.datasets.resources import cache_dir as resolve_cache_dir
from abinitio.data.datasets.resources import load_arrays, require, save_arrays
from abinitio.data.datasets.splits import DatasetSplits, split_dataset

DIGIT_CLASSES = tuple(str(k) for k in range(10))
MNIST1D_FILE = "mnist1d.safetensors"
MNIST1D_SHAPES = {
    "x_train": (4000, 40),
    "y_train": (4000,),
    "x_test": (1000, 40),
    "y_test": (1000,),
}


def digits(test_fraction: float = 0.2, seed: int = 0) -> DatasetSplits:
    """The 1,797 handwritten 8x8 digits that ship with scikit-learn (UCI optical digits).

    Pixel values 0..16 are scaled to [0, 1]. Images keep a channel axis for ``Conv2d``;
    an MLP flattens them first: ``x.reshape(len(x), -1)`` gives (N, 64).

    Args:
        test_fraction: share of each digit put in the test split (stratified).
        seed: fixes the split.

    Returns:
        a :class:`DatasetSplits`; inputs (N, 1, 8, 8) float32 in [0, 1], labels int64 0..9
        (``classes`` are ``"0"`` ... ``"9"``). The default split is 1,438 train / 359 test.

    Example:
        >>> data = digits()
        >>> data
        DatasetSplits(name='digits', train=1438, test=359, input_shape=(1, 8, 8), classes=10)
        >>> float(data.x_train.max())
        1.0
    """
    datasets = require("sklearn.datasets", "digits()", package="scikit-learn")
    bunch = datasets.load_digits()
    images = bunch.images[:, None, :, :] / 16.0
    return split_dataset(images, bunch.target, "digits", DIGIT_CLASSES, test_fraction, seed)


def mnist1d(cache_dir: str | os.PathLike | None = None, regenerate: bool = False) -> DatasetSplits:
    """MNIST-1D (Greydanus, 2020): 5,000 one-dimensional "digits" of length 40, ten classes.

    Each signal is a 1-D template of its digit, padded, stretched, shifted, sheared and
    noised; a small MLP or CNN tells them apart in seconds, yet they separate models the way
    MNIST does (https://github.com/greydanus/mnist1d). The first call runs the ``mnist1d``
    package's generator with its default arguments (seed 42; a few seconds) and caches the
    result in ``cache_dir`` as ``mnist1d.safetensors``; later calls read the cache. The split
    is the benchmark's own: the first 4,000 signals train, the last 1,000 test. Inputs are
    standardised by the generator (mean 0, std 1 over the whole set).

    Args:
        cache_dir: where to cache (default: ``$ABINITIO_CACHE_DIR``, else
            ``$XDG_CACHE_HOME/abinitio``, else ``~/.cache/abinitio``).
        regenerate: generate again even when the cache exists.

    Returns:
        a :class:`DatasetSplits`; inputs (N, 40) float32, labels int64 0..9. ``Conv1d``
        wants (N, 1, 40): ``x[:, None, :]``.

    Example (generating takes a few seconds the first time)::

        data = mnist1d()
        # DatasetSplits(name='mnist1d', train=4000, test=1000, input_shape=(40,), classes=10)
    """
    path = resolve_cache_dir(cache_dir) / MNIST1D_FILE
    if regenerate or not path.exists():
        arrays, metadata = _generate_mnist1d()
        save_arrays(path, arrays, metadata)
    else:
        arrays = load_arrays(path)
        _check_mnist1d(arrays, path)
    x_train, y_train = arrays["x_train"], arrays["y_train"]
    return DatasetSplits(
        x_train, y_train, arrays["x_test"], arrays["y_test"], "mnist1d", DIGIT_CLASSES
    )


def _generate_mnist1d() -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Run ``mnist1d.data.make_dataset`` with ``get_dataset_args()``, never its downloader.

    The generator seeds NumPy's and Python's global random state (``set_seed(42)``); both
    are put back afterwards, so calling this changes no other random stream.
    """
    generator = require("mnist1d.data", "mnist1d() (generating MNIST-1D)", package="mnist1d")
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        data = generator.make_dataset(generator.get_dataset_args())
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
    arrays = {
        "x_train": data["x"].astype(np.float32),
        "y_train": data["y"].astype(np.int64),
        "x_test": data["x_test"].astype(np.float32),
        "y_test": data["y_test"].astype(np.int64),
    }
    from importlib.metadata import version

    metadata = {"generator": f"mnist1d {version('mnist1d')}: make_dataset(get_dataset_args())"}
    return arrays, metadata


def _check_mnist1d(arrays: dict[str, np.ndarray], path) -> None:
    shapes = {name: tuple(arrays[name].shape) for name in MNIST1D_SHAPES if name in arrays}
    if shapes != MNIST1D_SHAPES:
        raise ValueError(
            f"the cached MNIST-1D file {path} holds {shapes}, expected {MNIST1D_SHAPES}: "
            "delete it or call mnist1d(regenerate=True)"
        )
