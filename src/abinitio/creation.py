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


def _new(array, requires_grad: bool, device=None) -> Tensor:
    t = Tensor._make(array, False, None)
    if device is not None and str(device) != "cpu":  # PyTorch's device=, on every factory
        t = t.to(str(device))
    return t.requires_grad_(True) if requires_grad else t


def _sizes(size: tuple, keywords: dict, name: str) -> tuple:
    """``zeros(2, 3)``, ``zeros((2, 3))`` and ``zeros(size=(2, 3))`` all mean one shape."""
    keywords = dict(keywords)
    if "size" in keywords:
        if size:
            raise TypeError(f"{name}: give the size positionally or as size=, not both")
        size = (keywords.pop("size"),)
    keywords.pop("pin_memory", None)  # accepted, as PyTorch does on a CPU-only build
    if keywords.pop("layout", None) not in (None, "strided"):
        raise TypeError(f"{name}: abinitio tensors are dense (layout=strided)")
    if keywords:
        raise TypeError(f"{name}: unexpected keyword argument(s) {sorted(keywords)}")
    return size_tuple(size, name)


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


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor`, but without a copy when ``data`` is already a suitable array."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data if device is None else data.to(device)
    return _new(as_array(data, dtype), False, device)


def zeros(*size, dtype=None, requires_grad: bool = False, device=None, **keywords) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _new(np.zeros(_sizes(size, keywords, "zeros"), _float_dtype(dtype)), requires_grad, device)


def ones(*size, dtype=None, requires_grad: bool = False, device=None, **keywords) -> Tensor:
    return _new(np.ones(_sizes(size, keywords, "ones"), _float_dtype(dtype)), requires_grad, device)


def empty(*size, dtype=None, requires_grad: bool = False, device=None, **keywords) -> Tensor:
    """An uninitialised tensor (NumPy's ``empty``)."""
    return _new(np.empty(_sizes(size, keywords, "empty"), _float_dtype(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value)."""
    array = np.full(size_tuple((size,), "full"), fill_value)
    return _new(as_array(array, dtype), requires_grad, device)


def zeros_like(input, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return _new(np.zeros_like(array_of(input), dtype=dtypes.as_dtype(dtype)), requires_grad, device)


def ones_like(input, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return _new(np.ones_like(array_of(input), dtype=dtypes.as_dtype(dtype)), requires_grad, device)


def full_like(input, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    array = np.full_like(array_of(input), fill_value, dtype=dtypes.as_dtype(dtype))
    return _new(array, requires_grad, device)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Values from ``start`` up to (not including) ``end``: ``arange(5)``, ``arange(1, 4)``."""
    if end is None:
        start, end = 0, start
    array = np.arange(start, end, step)
    return _new(as_array(array, dtype), requires_grad, device)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    return _new(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad, device)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """The identity matrix (n x m)."""
    return _new(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)


def rand(*size, generator=None, dtype=None, requires_grad: bool = False, device=None, **keywords) -> Tensor:
    """Samples from the uniform distribution on [0, 1)."""
    rng = numpy_generator(generator)
    array = rng.random(_sizes(size, keywords, "rand"), dtype=_float_dtype(dtype))
    return _new(array, requires_grad, device)


def randn(*size, generator=None, dtype=None, requires_grad: bool = False, device=None, **keywords) -> Tensor:
    """Samples from the standard normal distribution N(0, 1)."""
    rng = numpy_generator(generator)
    array = rng.standard_normal(_sizes(size, keywords, "randn"), dtype=_float_dtype(dtype))
    return _new(array, requires_grad, device)


def randint(low, high=None, size=(), *, generator=None, dtype=None, device=None) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(10, (3,))``, ``randint(2, 5, (3,))``."""
    if isinstance(high, (tuple, list)):  # randint(high, size), as in PyTorch
        high, size = None, high
    if high is None:
        low, high = 0, low
    rng = numpy_generator(generator)
    array = rng.integers(low, high, size=size_tuple((size,), "randint"))
    return _new(array.astype(dtypes.as_dtype(dtype) or np.int64), False, device)


def randperm(n: int, *, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0..n-1."""
    array = numpy_generator(generator).permutation(n)
    return _new(array.astype(dtypes.as_dtype(dtype) or np.int64), False, device)


def normal(mean, std, size, *, generator=None) -> Tensor:
    """Samples from N(mean, std^2) with the given size."""
    array = numpy_generator(generator).normal(mean, std, size=size_tuple((size,), "normal"))
    return Tensor._make(array.astype(dtypes.get_default_dtype()), False, None)


def rand_like(input, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Uniform [0, 1) samples with ``input``'s shape (and dtype, unless ``dtype``)."""
    dtype = dtypes.as_dtype(dtype) or input.dtype
    return rand(*input.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def randn_like(input, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Standard normal samples with ``input``'s shape (and dtype, unless ``dtype``)."""
    dtype = dtypes.as_dtype(dtype) or input.dtype
    return randn(*input.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def empty_like(input, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad, device=device)


def _legacy(dtype, name: str):
    def constructor(*args) -> Tensor:
        # FloatTensor(2, 3) is a (2, 3) tensor; FloatTensor([1, 2]) holds the data
        if args and all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in args):
            return zeros(*args, dtype=dtype)
        if len(args) != 1:
            raise TypeError(f"{name}: expected sizes (ints) or one sequence of data, got {args!r}")
        return tensor(args[0], dtype=dtype)

    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = (
        f"PyTorch's legacy constructor: ``{name}(2, 3)`` (zeros of that shape) or "
        f"``{name}(data)``, dtype {np.dtype(dtype).name}. Prefer ``tensor(data, dtype=...)``."
    )
    return constructor


FloatTensor = _legacy(np.float32, "FloatTensor")
DoubleTensor = _legacy(np.float64, "DoubleTensor")
LongTensor = _legacy(np.int64, "LongTensor")
IntTensor = _legacy(np.int32, "IntTensor")
BoolTensor = _legacy(np.bool_, "BoolTensor")
ByteTensor = _legacy(np.uint8, "ByteTensor")
