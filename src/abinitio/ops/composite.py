"""PyTorch functions built from abinitio's primitives, so that their gradients come free.

Each is a few lines over primitives that already have a derivative (indexing, ``where``,
``mul``, ``cat``, ``gather``, ``matmul``): the engine differentiates the composition, and
``tests/ops/test_composite.py`` checks every one against PyTorch, values and gradients.

* ``tril(x, k)``, ``triu(x, k)``: :math:`x_{ij}` where :math:`j - i \\le k`
  (resp. :math:`\\ge k`), else 0: the lower (upper) triangle, the causal mask's shape.
* ``diag(v)``: the square matrix with ``v`` on its diagonal; ``diag(M)``: the diagonal.
* ``roll(x, s, d)``: :math:`y_i = x_{(i - s) \\bmod n}`.
* ``norm(x, p)``: :math:`(\\sum_i |x_i|^p)^{1/p}` (``p=2`` by default, Frobenius on matrices).
* ``log1p(x)``: :math:`\\log(1 + x)`; ``topk``: the ``k`` largest values and their indices.
* ``repeat``, ``narrow``, ``mm``, ``bmm``: tiling, slicing and matrix products.
* ``multinomial(p, n)``: draws indices with probabilities proportional to ``p`` (no
  gradient: a sample is not a differentiable function of ``p``).

Example:
    >>> import abinitio as ab
    >>> ab.tril(ab.ones(3, 3))
    tensor([[1., 0., 0.],
            [1., 1., 0.],
            [1., 1., 1.]])
"""

from __future__ import annotations

import numpy as np

from abinitio import backend
from abinitio.ops.arguments import array_of
from abinitio.tensor import Tensor


def _triangle_mask(input, diagonal: int, lower: bool):
    rows, cols = input.shape[-2], input.shape[-1]
    xp = backend.get_array_module(input.array)
    offset = xp.arange(cols)[None, :] - xp.arange(rows)[:, None]  # j - i
    return offset <= diagonal if lower else offset >= diagonal


def tril(input, diagonal: int = 0):
    """The lower triangle of the last two dims (``x[..., i, j]`` kept where ``j - i <=
    diagonal``), zeros elsewhere; ``tril(ones(T, T)) == 0`` is the causal attention mask."""
    _need_matrix(input, "tril")
    mask = _triangle_mask(input, diagonal, lower=True)
    return input.masked_fill(~Tensor._make(mask, False, None), 0)


def triu(input, diagonal: int = 0):
    """The upper triangle of the last two dims (kept where ``j - i >= diagonal``)."""
    _need_matrix(input, "triu")
    mask = _triangle_mask(input, diagonal, lower=False)
    return input.masked_fill(~Tensor._make(mask, False, None), 0)


def _need_matrix(input, name: str) -> None:
    if input.ndim < 2:
        raise ValueError(f"{name}: expected a tensor with at least 2 dims, got shape {input.shape}")


def diag(input, diagonal: int = 0):
    """A 1-d ``input`` becomes the square matrix with it on the ``diagonal``-th diagonal; a
    2-d ``input`` gives that diagonal as a 1-d tensor."""
    if input.ndim == 1:
        n = input.shape[0] + abs(diagonal)
        row = np.arange(input.shape[0]) + max(-diagonal, 0)
        col = np.arange(input.shape[0]) + max(diagonal, 0)
        spread = np.zeros((input.shape[0], n * n), dtype=input.dtype)  # v_k -> M[row_k, col_k]
        spread[np.arange(input.shape[0]), row * n + col] = 1
        return (input @ Tensor._make(spread, False, None)).reshape(n, n)
    if input.ndim == 2:
        rows, cols = input.shape
        start_row, start_col = max(-diagonal, 0), max(diagonal, 0)
        length = max(0, min(rows - start_row, cols - start_col))
        index = np.arange(length)
        return input[index + start_row, index + start_col]
    raise ValueError(f"diag: expected a 1-d or 2-d tensor, got shape {input.shape}")


def roll(input, shifts, dims=None):
    """Shift elements cyclically: ``roll(x, 1, 0)[i] = x[i - 1]`` (the last comes first).
    With ``dims=None`` the tensor is flattened, rolled and given its shape back."""
    if dims is None:
        return roll(input.reshape(-1), shifts, 0).reshape(input.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    out = input
    for shift, dim in zip(shifts, dims):
        n = input.shape[dim]
        index = (np.arange(n) - shift) % n
        out = out.index_select(dim, Tensor._make(index, False, None))
    return out


def narrow(input, dim: int, start: int, length: int):
    """``input`` restricted to ``start <= i < start + length`` along ``dim``."""
    dim = dim % input.ndim
    if start < 0:
        start += input.shape[dim]
    if not 0 <= start <= start + length <= input.shape[dim]:
        raise ValueError(
            f"narrow: start {start} and length {length} do not fit dim {dim} of size "
            f"{input.shape[dim]}"
        )
    index = (slice(None),) * dim + (slice(start, start + length),)
    return input[index]


def repeat(input, *sizes):
    """Tile ``input``: ``x.repeat(2, 3)`` repeats a matrix 2 times down and 3 across
    (``numpy.tile``, differentiable: each copy sends its gradient back)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < input.ndim:
        raise ValueError(
            f"repeat: expected at least {input.ndim} repeat counts for shape {input.shape}, "
            f"got {sizes}"
        )
    shape = (1,) * (len(sizes) - input.ndim) + tuple(input.shape)
    x = input.reshape(shape)
    # (a, b) -> (r0, a, r1, b) by broadcasting, then merge each pair
    interleaved = []
    for r, n in zip(sizes, shape):
        interleaved += [1, n]
    x = x.reshape(interleaved)
    target = []
    for r, n in zip(sizes, shape):
        target += [r, n]
    x = x.expand(*target)
    return x.reshape(tuple(r * n for r, n in zip(sizes, shape)))


def mm(input, mat2):
    """The product of two matrices (2-d only, as in PyTorch; ``matmul`` broadcasts)."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise ValueError(f"mm: expected two matrices, got shapes {input.shape} and {mat2.shape}")
    return input @ mat2


def bmm(input, mat2):
    """Batched matrix product: (B, n, m) @ (B, m, p) -> (B, n, p)."""
    if input.ndim != 3 or mat2.ndim != 3 or input.shape[0] != mat2.shape[0]:
        raise ValueError(
            f"bmm: expected (B, n, m) and (B, m, p) with the same B, got shapes {input.shape} "
            f"and {mat2.shape}"
        )
    return input @ mat2


def log1p(input):
    """:math:`\\log(1 + x)`."""
    return (input + 1).log()


def norm(input, p="fro", dim=None, keepdim: bool = False):
    """The p-norm :math:`(\\sum |x|^p)^{1/p}` over ``dim`` (all elements by default);
    ``"fro"`` and 2 are the Euclidean norm, ``float("inf")`` the largest absolute value."""
    if p in ("fro", 2, 2.0):
        return (input * input).sum(dim=dim, keepdim=keepdim).sqrt()
    if p == float("inf"):
        return input.abs().amax(dim=dim, keepdim=keepdim) if dim is not None else input.abs().max()
    if p == 1:
        return input.abs().sum(dim=dim, keepdim=keepdim)
    return (input.abs() ** p).sum(dim=dim, keepdim=keepdim) ** (1.0 / p)


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (or smallest) values along ``dim`` and their indices, as a
    ``(values, indices)`` pair; values carry gradients back to the places they came from."""
    dim = dim % input.ndim
    if not 0 <= k <= input.shape[dim]:
        raise ValueError(f"topk: k={k} out of range for dim {dim} of size {input.shape[dim]}")
    array = backend.to_numpy(input.array)
    order = np.argsort(-array if largest else array, axis=dim, kind="stable")
    index = np.take(order, np.arange(k), axis=dim)
    indices = Tensor._make(index.astype(np.int64), False, None)
    return _TopK(input.gather(dim, indices), indices)


class _TopK(tuple):
    """``(values, indices)`` with PyTorch's field names."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None):
    """Draw ``num_samples`` indices per row with probabilities proportional to ``input``
    (non-negative weights, need not sum to 1); without ``replacement`` each index at most
    once. Returns int64 indices, shape ``(num_samples,)`` or ``(rows, num_samples)``."""
    from abinitio.random import numpy_generator

    weights = np.asarray(backend.to_numpy(array_of(input)), dtype=np.float64)
    if weights.ndim not in (1, 2):
        raise ValueError(f"multinomial: expected 1-d or 2-d weights, got shape {weights.shape}")
    if (weights < 0).any() or not np.isfinite(weights).all():
        raise ValueError("multinomial: weights must be finite and non-negative")
    rows = weights.reshape(-1, weights.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise ValueError(
            f"multinomial: cannot draw {num_samples} samples without replacement from "
            f"{rows.shape[1]} categories"
        )
    rng = numpy_generator(generator)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, row in enumerate(rows):
        total = row.sum()
        if total <= 0:
            raise ValueError(f"multinomial: row {i} of the weights sums to {total}, not > 0")
        out[i] = rng.choice(row.size, size=num_samples, replace=replacement, p=row / total)
    return Tensor._make(out.reshape(weights.shape[:-1] + (num_samples,)), False, None)
