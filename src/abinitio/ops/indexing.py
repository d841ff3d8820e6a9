"""Indexing: ``x[index]`` and ``gather``.

Reading ``x[index]`` copies some elements of x; so the backward writes g back into a zero
array at those same places. When an integer array repeats an index, that element was read
twice and must receive both gradients: a plain assignment would keep only one, so such
indices go through a scatter-add (``np.add.at``).
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.backend import scatter_add
from abinitio.ops.arguments import array_of, normalize_dim
from abinitio.tensor import Tensor

_BASIC = (int, slice, type(None), type(Ellipsis))


class GetItem(Function):
    """y = x[index] (ints, slices, None, Ellipsis, integer arrays, boolean masks).
    dL/dx = zeros with g added at the indexed positions (repeats accumulate)."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        grad = np.zeros_like(g, shape=ctx.shape)
        if _may_repeat(ctx.index):
            scatter_add(grad, ctx.index, g)
        else:
            grad[ctx.index] = g
        return grad


def _may_repeat(index) -> bool:
    """Only integer arrays can pick one element twice; ints, slices and masks cannot."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(not isinstance(p, _BASIC) and p.dtype != np.bool_ for p in parts)


class Gather(Function):
    """y[i][j] = x[i][index[i][j]] for dim=1 (``torch.gather``).
    dL/dx = zeros with g scatter-added at the gathered positions."""

    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.shape, ctx.dim = x.shape, dim
        ctx.positions = _full_index(index, dim)
        return x[ctx.positions]

    @staticmethod
    def backward(ctx, g):
        grad = np.zeros_like(g, shape=ctx.shape)
        scatter_add(grad, ctx.positions, g)
        return grad


def _full_index(index, dim):
    """An advanced-index tuple addressing x[i0, .., index[i], .., in] for every i."""
    grids = list(np.ix_(*[np.arange(s) for s in index.shape]))
    grids[dim] = index
    return tuple(grids)


def convert_index(index):
    """Tensors and lists inside an index become NumPy arrays; the rest stays as it is."""
    if isinstance(index, tuple):
        return tuple(convert_index(part) for part in index)
    if isinstance(index, Tensor):
        return index.array
    if isinstance(index, list):
        return np.asarray(index)
    if isinstance(index, np.integer):
        return int(index)
    return index


def getitem(input, index):
    """``input[index]`` with NumPy's (and PyTorch's) indexing rules."""
    index = convert_index(index)
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, np.ndarray) and part.dtype.kind not in "iub":
            raise IndexError(
                f"index: tensors used as indices must be integer or bool, got {part.dtype}"
            )
    return GetItem.apply(input, index)


def gather(input, dim: int, index):
    """Pick values along ``dim`` at ``index`` (same number of dims as ``input``)."""
    index = array_of(index)
    dim = normalize_dim(dim, input.ndim, "gather")
    if index.ndim != input.ndim or index.dtype.kind not in "iu":
        raise ValueError(
            f"gather: index must be an integer tensor with {input.ndim} dims, "
            f"got dtype {index.dtype} and shape {index.shape}"
        )
    return Gather.apply(input, index, dim)


def index_select(input, dim: int, index):
    """The slices of ``input`` at positions ``index`` (1-D) along ``dim``."""
    from abinitio.ops.scatter import IndexSelect  # its backward is a fast segment sum

    dim = normalize_dim(dim, input.ndim, "index_select")
    index = array_of(index)
    if index.ndim != 1 or index.dtype.kind not in "iu":
        raise IndexError(
            f"index_select: index must be a 1-D integer tensor, got dtype {index.dtype} and "
            f"shape {index.shape}"
        )
    return IndexSelect.apply(input, index, dim)
