"""``ab.sparse``: sparse matrices (``torch.sparse``'s names).

``ab.sparse_coo_tensor(indices, values, size)`` makes a :class:`SparseTensor`;
``ab.sparse.mm(A, D)`` (also ``A @ D`` and ``ab.spmm``) multiplies it with a dense matrix.
The maths and the derivatives are in :mod:`abinitio.ops.sparse`.
"""

from abinitio.ops.sparse import SparseTensor, mm, sparse_coo_tensor

__all__ = ["SparseTensor", "mm", "sparse_coo_tensor"]
