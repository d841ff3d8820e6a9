"""Data types, named as PyTorch names them, and the default floating-point type.

abinitio computes in float32 unless asked otherwise: it is what PyTorch does, it halves the
memory traffic, and BLAS runs it about twice as fast as float64. ``ab.float32`` *is*
``numpy.dtype("float32")``, so a tensor's ``.dtype`` compares equal to both.
"""

from __future__ import annotations

import numpy as np

float16 = half = np.dtype("float16")
float32 = np.dtype("float32")
float64 = double = np.dtype("float64")
int8 = np.dtype("int8")
uint8 = np.dtype("uint8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = long = np.dtype("int64")
bool_ = np.dtype("bool")


class _MissingDtype:
    """A PyTorch dtype NumPy has no type for (``bfloat16``): the name exists so that
    programs that mention it import, and using it is a clear error."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"abinitio.{self.name}"


bfloat16 = _MissingDtype("bfloat16")

_default_float = float32


def get_default_dtype() -> np.dtype:
    """The dtype of tensors made from Python floats (float32 unless changed)."""
    return _default_float


def set_default_dtype(dtype) -> None:
    """Set the dtype of tensors made from Python floats: ``ab.float32`` or ``ab.float64``."""
    global _default_float
    dtype = as_dtype(dtype)
    if dtype not in (float32, float64):
        raise ValueError(f"set_default_dtype: expected float32 or float64, got {dtype}")
    _default_float = dtype


def as_dtype(dtype) -> np.dtype | None:
    """Turn ``None``, a NumPy dtype, a type such as ``float`` or a name such as ``"float32"``
    into a ``numpy.dtype`` (``None`` stays ``None``)."""
    if dtype is None:
        return dtype
    if dtype is float:
        return _default_float
    if isinstance(dtype, _MissingDtype):
        raise TypeError(
            f"{dtype.name} tensors are not supported: NumPy has no {dtype.name} type, and "
            "abinitio computes in float32 or float64; use dtype=ab.float32"
        )
    try:
        dtype = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"not a dtype: {dtype!r}") from error
    return check_supported(dtype)


def check_supported(dtype: np.dtype) -> np.dtype:
    """Refuse half precision, clearly: NumPy has no fast float16 kernels (its float16 matmul
    runs in a slow loop, about 100x slower than float32) and no bfloat16 at all, so abinitio
    computes in float32 or float64. ``ab.float16``/``ab.half`` exist so that PyTorch code
    reads the same; using them is this error."""
    if dtype == float16:
        raise TypeError(
            "float16 tensors are not supported: abinitio computes in float32 or float64 "
            "(NumPy has no fast half-precision kernels); use dtype=ab.float32 or .float()"
        )
    return dtype
