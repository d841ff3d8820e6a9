"""Turning what a user passes (operands, ``dim=``/``axis=``, sizes) into what primitives take.

Kept in one place so every op validates the same way and its error names the op and the
value received.
"""

from __future__ import annotations

import numbers

import numpy as np

from abinitio.tensor import Tensor


def operand(value):
    """A Tensor stays a Tensor and a Python number stays a number (NumPy keeps a float32
    array float32 when combined with one); anything else becomes a Tensor."""
    if isinstance(value, Tensor):
        return value
    kind = type(value)
    if kind is float or kind is int or kind is bool:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return Tensor(value)


def array_of(value):
    """The array behind a Tensor, or ``value`` (a list, an array, a number) as an array."""
    return value.array if isinstance(value, Tensor) else np.asarray(value)


def resolve_axis_alias(dim, axis, op: str):
    """``axis=`` is accepted as NumPy's name for ``dim=``; passing both is an error."""
    if axis is None:
        return dim
    if dim is not None:
        raise TypeError(f"{op}: pass dim= or its alias axis=, not both")
    return axis


def normalize_dim(dim, ndim: int, op: str) -> int:
    """Turn a possibly negative ``dim`` into an index in ``[0, ndim)``; errors name the op."""
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise IndexError(
            f"{op}: dim {dim} is out of range for a tensor of {ndim} dimension(s) "
            f"(expected a value in [{-rank}, {rank - 1}])"
        )
    return int(dim) % rank


def normalize_dims(dim, ndim: int, op: str) -> tuple | None:
    """``None`` (all dims), an int, or a sequence of ints -> a sorted tuple (or None)."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        dims = tuple(sorted({normalize_dim(d, ndim, op) for d in dim}))
        return dims if dims or ndim == 0 else None
    return (normalize_dim(dim, ndim, op),)


def size_tuple(size, op: str) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the size ``(2, 3)``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, numbers.Integral) or s < 0:
            raise ValueError(f"{op}: sizes must be non-negative ints, got {tuple(size)}")
    return tuple(int(s) for s in size)
