"""Sparse matrices in coordinate (COO) form, and their product with dense matrices.

A graph with N nodes and E edges has an N x N adjacency matrix with only E non-zeros; a
sparse matrix stores those as ``indices`` (2, E) int64 (row, column) and ``values`` (E,).
The product with a dense (N, F) matrix is then one pass over the edges,

    out[i] = sum over stored (i, j, v) of v * dense[j],

which is message passing written as linear algebra. As in PyTorch, coordinates that repeat
are summed (the matrix is the sum of its entries).

VJP of ``out = A @ D`` (g = dL/d out):
    dL/dD = A^T @ g                               (the same edges, walked backwards)
    dL/dv_k = sum_f g[i_k, f] * D[j_k, f]         (for learned edge weights)

The fast path keeps the matrix in SciPy's compressed-row form (CSR), built once per
sparse tensor and refilled with the current values on each product; without SciPy, or
for arrays that are not NumPy's, the product is the gather-multiply-scatter of
:func:`_reference_spmm`.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.backend import get_array_module
from abinitio.ops.arguments import array_of
from abinitio.ops.scatter import _reference_segment_sum, _scipy_sparse
from abinitio.tensor import Tensor


def _reference_spmm(rows, cols, values, dense, num_rows):
    """out[i] = sum_k [rows_k = i] * values_k * dense[cols_k] (gather, scale, scatter)."""
    messages = dense[cols] * values[:, None]
    return _reference_segment_sum(messages, rows, num_rows)


class _Compressed:
    """The CSR layout of one sparse matrix's coordinates, built once: ``order`` sorts the
    entries by (row, column); ``slot[k]`` is where entry k lands after repeats merge."""

    def __init__(self, rows, cols, shape) -> None:
        keys = rows * shape[1] + cols
        unique, self.slot = np.unique(keys, return_inverse=True)
        self.merges = len(unique) < len(keys)
        self.order = np.argsort(keys, kind="stable")
        # int32 indices, as SciPy prefers, while they fit; int64 beyond 2^31 entries/columns
        fits = max(len(unique), shape[1]) < 2**31
        index_dtype = np.int32 if fits else np.int64
        self.indices = (unique % shape[1]).astype(index_dtype)
        counts = np.bincount(unique // shape[1], minlength=shape[0])
        self.indptr = np.concatenate([[0], np.cumsum(counts)]).astype(index_dtype)
        self.shape = shape

    def matrix(self, values):
        """The CSR matrix holding ``values`` (repeated coordinates summed)."""
        if self.merges:
            data = np.bincount(self.slot, values, minlength=len(self.indices))
            data = data.astype(values.dtype, copy=False)
        else:
            data = values[self.order]
        sparse = _scipy_sparse()
        return sparse.csr_matrix((data, self.indices, self.indptr), shape=self.shape)


class SparseMM(Function):
    """out = A @ D for A sparse (values v at rows i, columns j) and D dense (K, F).
    VJP: dL/dD = A^T @ g;  dL/dv_k = sum_f g[i_k, f] * D[j_k, f].

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    @staticmethod
    def forward(ctx, values, dense, sparse):
        ctx.sparse = sparse
        ctx.save_for_backward(values, dense)
        compressed = sparse._compressed() if get_array_module(dense) is np else None
        if compressed is None:
            rows, cols = sparse._indices
            return _reference_spmm(rows, cols, values, dense, sparse.shape[0])
        ctx.matrix = compressed.matrix(values)
        return np.asarray(ctx.matrix @ dense, dtype=np.result_type(values, dense))

    @staticmethod
    def backward(ctx, g):
        values, dense = ctx.saved_tensors
        rows, cols = ctx.sparse._indices
        grad_values = grad_dense = None
        if ctx.needs_input_grad[0]:
            grad_values = np.einsum("ef,ef->e", g[rows], dense[cols])
        if ctx.needs_input_grad[1]:
            matrix = getattr(ctx, "matrix", None)
            if matrix is None:
                grad_dense = _reference_spmm(cols, rows, values, g, dense.shape[0])
            else:
                grad_dense = np.asarray(matrix.T @ g, dtype=g.dtype)
        return grad_values, grad_dense, None


class SparseTensor:
    """A 2-D sparse matrix in COO form (what ``torch.sparse_coo_tensor`` makes).

    PyTorch gives sparse matrices the ``torch.Tensor`` type with ``layout=torch.sparse_coo``;
    here they are their own small class with the same methods: ``indices()``, ``values()``,
    ``size()``, ``coalesce()``, ``to_dense()``, ``t()``, ``_nnz()`` and ``@`` with a dense
    matrix. Gradients flow to ``values()`` (learned edge weights) and to the dense operand.

    Args:
        indices: int64 (2, nnz): row and column of each stored value.
        values: (nnz,) Tensor; if it requires grad, products send it gradients.
        size: (rows, columns).

    Example:
        >>> import abinitio as ab
        >>> a = ab.sparse_coo_tensor([[0, 1, 1], [1, 0, 0]], [2.0, 3.0, 1.0], (2, 2))
        >>> a.to_dense()
        tensor([[0., 2.],
                [4., 0.]])
        >>> a @ ab.ones(2, 1)
        tensor([[2.],
                [4.]])

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    is_sparse = True
    layout = "sparse_coo"

    def __init__(self, indices, values: Tensor, size: tuple) -> None:
        self._indices = indices
        self._values = values
        self.shape = tuple(int(s) for s in size)
        self._csr = None

    def _compressed(self):
        """The CSR layout (built on first use; None without SciPy)."""
        if self._csr is None and _scipy_sparse() is not None:
            self._csr = _Compressed(self._indices[0], self._indices[1], self.shape)
        return self._csr

    def indices(self) -> Tensor:
        return Tensor._make(self._indices, False, None)

    def values(self) -> Tensor:
        return self._values

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return 2

    @property
    def ndim(self) -> int:
        return 2

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def requires_grad(self) -> bool:
        return self._values.requires_grad

    def _nnz(self) -> int:
        return self._indices.shape[1]

    def is_coalesced(self) -> bool:
        keys = self._indices[0] * self.shape[1] + self._indices[1]
        return bool(np.all(keys[1:] > keys[:-1]))

    def coalesce(self) -> SparseTensor:
        """The same matrix with sorted, unique coordinates (repeats summed)."""
        from abinitio.ops.scatter import index_add

        keys = self._indices[0] * self.shape[1] + self._indices[1]
        unique, slot = np.unique(keys, return_inverse=True)
        zeros = _zeros_like(self._values, len(unique))
        values = index_add(zeros, 0, slot, self._values)
        indices = np.stack([unique // self.shape[1], unique % self.shape[1]])
        return SparseTensor(indices, values, self.shape)

    def to_dense(self) -> Tensor:
        """The full matrix; repeats summed; differentiable in ``values()``."""
        from abinitio.ops.scatter import index_add

        keys = self._indices[0] * self.shape[1] + self._indices[1]
        zeros = _zeros_like(self._values, self.shape[0] * self.shape[1])
        return index_add(zeros, 0, keys, self._values).reshape(self.shape)

    def t(self) -> SparseTensor:
        return SparseTensor(self._indices[::-1].copy(), self._values, self.shape[::-1])

    def detach(self) -> SparseTensor:
        return SparseTensor(self._indices, self._values.detach(), self.shape)

    def __matmul__(self, other) -> Tensor:
        return mm(self, other)

    def __repr__(self) -> str:
        return (f"SparseTensor(size={self.shape}, nnz={self._nnz()}, dtype={self.dtype}, "
                f"layout=sparse_coo)")  # fmt: skip


def _zeros_like(values: Tensor, length: int) -> Tensor:
    return Tensor._make(np.zeros_like(values.array, shape=(length,)), False, None)


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, requires_grad=False):
    """A sparse matrix with ``values`` at ``indices`` (``torch.sparse_coo_tensor``).

    Args:
        indices: int64 (2, nnz) rows and columns (lists, arrays or Tensors).
        values: (nnz,) numbers or a Tensor (gradients reach it through products).
        size: (rows, columns); default: one more than the largest index in each row.

    Example:
        >>> import abinitio as ab
        >>> ab.sparse_coo_tensor([[0, 2], [1, 0]], [1.0, 5.0]).shape
        (3, 2)

    See the article docs/articles/structures/graph_neural_networks.py.
    """
    index = array_of(indices)
    if index.dtype.kind not in "iu" or index.ndim != 2 or index.shape[0] != 2:
        raise ValueError(
            f"sparse_coo_tensor: indices must be an int64 array of shape (2, nnz), got dtype "
            f"{index.dtype} and shape {index.shape}"
        )
    index = index.astype(np.int64, copy=False)
    if not isinstance(values, Tensor):
        values = Tensor(values, dtype=dtype)
    elif dtype is not None:
        values = values.to(dtype)
    if requires_grad:
        values.requires_grad_(True)
    if values.shape != (index.shape[1],):
        raise ValueError(
            f"sparse_coo_tensor: values must have shape ({index.shape[1]},), one per index "
            f"column, got {values.shape}"
        )
    if size is None:
        size = tuple(int(m) + 1 for m in index.max(axis=1)) if index.size else (0, 0)
    size = tuple(int(s) for s in size)
    if len(size) != 2:
        raise ValueError(f"sparse_coo_tensor: only 2-D sparse matrices, got size {size}")
    if index.size and (index.min() < 0 or np.any(index.max(axis=1) >= size)):
        raise IndexError(
            f"sparse_coo_tensor: indices must lie in [0, {size[0]}) x [0, {size[1]}), got rows "
            f"{index[0].min()}..{index[0].max()} and columns {index[1].min()}..{index[1].max()}"
        )
    return SparseTensor(index, values, size)


def mm(sparse: SparseTensor, dense) -> Tensor:
    """``sparse @ dense`` (``torch.sparse.mm``): (M, K) sparse times (K, F) dense.

    Example:
        >>> import abinitio as ab
        >>> a = ab.sparse_coo_tensor([[0, 1], [1, 1]], [2.0, 3.0], (2, 2))
        >>> ab.sparse.mm(a, ab.tensor([[1.0], [10.0]]))
        tensor([[20.],
                [30.]])
    """
    if not isinstance(sparse, SparseTensor):
        raise TypeError(f"sparse.mm: the first operand must be sparse, got {type(sparse).__name__}")
    if not isinstance(dense, Tensor):
        dense = Tensor(dense)
    if dense.ndim != 2 or dense.shape[0] != sparse.shape[1]:
        raise ValueError(
            f"sparse.mm: expected a dense matrix of shape ({sparse.shape[1]}, F) for a sparse "
            f"{sparse.shape}, got {dense.shape}"
        )
    return SparseMM.apply(sparse.values(), dense, sparse)


spmm = mm
