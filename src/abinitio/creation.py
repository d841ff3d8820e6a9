"""Making tensors: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``eye``,
``linspace``, the ``*_like`` family and the random ``rand``, ``randn``, ``randint``,
``randperm``. Random ones draw from :mod:`abinitio.random` (or an explicit ``generator=``).
"""

from __future__ import annotations

import numpy as np

from abinitio import dtypes
from abinitio.ops.arguments import array_of, size_tuple
from abinitio.random import numpy_generator
from abinitio.tensor import Tensor, as_array


def _new(array, requires_grad: bool) -> Tensor:
    t = Tensor._make(array, False, None)
    return t.requires_grad_(True) if requires_grad else t


def _float_dtype(dtype):
    return dtypes.as_dtype(dtype) or dtypes.get_default_dtype()


def tensor(data, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A new tensor holding a copy of ``data`` (lists, numbers, arrays or a Tensor).

    Float data becomes float32 unless ``dtype`` says otherwise; ints become int64.

    Example:
        >>> import abinitio as ab
        >>> ab.tensor([[1, 2], [3, 4]]).dtype
        dtype('int64')
        >>> ab.tensor([0.5, 1.5]).dtype
        dtype('float32')
    """
    t = _new(as_array(data, dtype, copy=True), requires_grad)
    return t if device is None else t.to(device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` and keeping its dtype (even float64)."""
    array = np.asarray(array)
    dtypes.check_supported(array.dtype)
    return Tensor._make(array, False, None)


def as_tensor(data, dtype=None) -> Tensor:
    """Like :func:`tensor`, but without a copy when ``data`` is already a suitable array."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    return Tensor._make(as_array(data, dtype), False, None)


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _new(np.zeros(size_tuple(size, "zeros"), _float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(size_tuple(size, "ones"), _float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (NumPy's ``empty``)."""
    return _new(np.empty(size_tuple(size, "empty"), _float_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value)."""
    array = np.full(size_tuple((size,), "full"), fill_value)
    return _new(as_array(array, dtype), requires_grad)


def zeros_like(input, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros_like(array_of(input), dtype=dtypes.as_dtype(dtype)), requires_grad)


def ones_like(input, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones_like(array_of(input), dtype=dtypes.as_dtype(dtype)), requires_grad)


def full_like(input, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    array = np.full_like(array_of(input), fill_value, dtype=dtypes.as_dtype(dtype))
    return _new(array, requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``: ``arange(5)``, ``arange(1, 4)``."""
    if end is None:
        start, end = 0, start
    array = np.arange(start, end, step)
    return _new(as_array(array, dtype), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    return _new(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (n x m)."""
    return _new(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples from the uniform distribution on [0, 1)."""
    rng = numpy_generator(generator)
    array = rng.random(size_tuple(size, "rand"), dtype=_float_dtype(dtype))
    return _new(array, requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples from the standard normal distribution N(0, 1)."""
    rng = numpy_generator(generator)
    array = rng.standard_normal(size_tuple(size, "randn"), dtype=_float_dtype(dtype))
    return _new(array, requires_grad)


def randint(low, high=None, size=(), *, generator=None, dtype=None) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(10, (3,))``, ``randint(2, 5, (3,))``."""
    if isinstance(high, (tuple, list)):  # randint(high, size), as in PyTorch
        high, size = None, high
    if high is None:
        low, high = 0, low
    rng = numpy_generator(generator)
    array = rng.integers(low, high, size=size_tuple((size,), "randint"))
    return Tensor._make(array.astype(dtypes.as_dtype(dtype) or np.int64), False, None)


def randperm(n: int, *, generator=None, dtype=None) -> Tensor:
    """A random permutation of 0..n-1."""
    array = numpy_generator(generator).permutation(n)
    return Tensor._make(array.astype(dtypes.as_dtype(dtype) or np.int64), False, None)


def normal(mean, std, size, *, generator=None) -> Tensor:
    """Samples from N(mean, std^2) with the given size."""
    array = numpy_generator(generator).normal(mean, std, size=size_tuple((size,), "normal"))
    return Tensor._make(array.astype(dtypes.get_default_dtype()), False, None)
