"""The Tensor's operators and mathematical methods, each one line.

``x + y``, ``x.exp()``, ``x.sum(dim=1)``: every one of them calls the function of the same
name in :mod:`abinitio.ops`, where the maths and the derivative live. :class:`Tensor`
inherits them from :class:`TensorMethods`, which keeps ``tensor.py`` about the tensor itself
(data, gradient, graph, conversions).

The functions in :mod:`abinitio.ops` build Tensors, so they cannot be imported here before
``Tensor`` exists; methods reach them through the package (``abinitio.ops``), which
``tensor.py`` has loaded before any tensor can be made.
"""

from __future__ import annotations

import numpy as np

import abinitio


class TensorMethods:
    """Operators and methods shared by every Tensor (a mixin: it holds no state)."""

    __slots__ = ()

    # ---- operators ----------------------------------------------------------------------
    def __add__(self, other):
        return abinitio.ops.add(self, other)

    def __radd__(self, other):
        return abinitio.ops.add(other, self)

    def __sub__(self, other):
        return abinitio.ops.sub(self, other)

    def __rsub__(self, other):
        return abinitio.ops.sub(other, self)

    def __mul__(self, other):
        return abinitio.ops.mul(self, other)

    def __rmul__(self, other):
        return abinitio.ops.mul(other, self)

    def __truediv__(self, other):
        return abinitio.ops.div(self, other)

    def __rtruediv__(self, other):
        return abinitio.ops.div(other, self)

    def __pow__(self, exponent):
        return abinitio.ops.pow(self, exponent)

    def __rpow__(self, base):
        return abinitio.ops.pow(base, self)

    def __matmul__(self, other):
        return abinitio.ops.matmul(self, other)

    def __rmatmul__(self, other):
        return abinitio.ops.matmul(other, self)

    def __neg__(self):
        return abinitio.ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return abinitio.ops.abs(self)

    def __getitem__(self, index):
        return abinitio.ops.getitem(self, index)

    def __eq__(self, other):
        return abinitio.ops.eq(self, other)

    def __ne__(self, other):
        return abinitio.ops.ne(self, other)

    def __lt__(self, other):
        return abinitio.ops.lt(self, other)

    def __le__(self, other):
        return abinitio.ops.le(self, other)

    def __gt__(self, other):
        return abinitio.ops.gt(self, other)

    def __ge__(self, other):
        return abinitio.ops.ge(self, other)

    def __and__(self, other):
        return abinitio.ops.logical_and(self, other)

    def __or__(self, other):
        return abinitio.ops.logical_or(self, other)

    def __invert__(self):
        return self._make(np.logical_not(self.array), False, None)

    # ---- methods (each one line: the maths lives in abinitio.ops) ---------------------
    def add(self, other, *, alpha=1):
        return abinitio.ops.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return abinitio.ops.sub(self, other, alpha=alpha)

    def mul(self, other):
        return abinitio.ops.mul(self, other)

    def div(self, other):
        return abinitio.ops.div(self, other)

    def pow(self, exponent):
        return abinitio.ops.pow(self, exponent)

    def neg(self):
        return abinitio.ops.neg(self)

    def exp(self):
        return abinitio.ops.exp(self)

    def log(self):
        return abinitio.ops.log(self)

    def sqrt(self):
        return abinitio.ops.sqrt(self)

    def abs(self):
        return abinitio.ops.abs(self)

    def sin(self):
        return abinitio.ops.sin(self)

    def cos(self):
        return abinitio.ops.cos(self)

    def tanh(self):
        return abinitio.ops.tanh(self)

    def sigmoid(self):
        return abinitio.ops.sigmoid(self)

    def relu(self):
        return abinitio.ops.relu(self)

    def square(self):
        return abinitio.ops.mul(self, self)

    def softmax(self, dim, *, axis=None):
        return abinitio.ops.softmax(self, dim, axis=axis)

    def log_softmax(self, dim, *, axis=None):
        return abinitio.ops.log_softmax(self, dim, axis=axis)

    def clamp(self, min=None, max=None):
        return abinitio.ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return abinitio.ops.maximum(self, other)

    def minimum(self, other):
        return abinitio.ops.minimum(self, other)

    def where(self, condition, other):
        return abinitio.ops.where(condition, self, other)

    def masked_fill(self, mask, value):
        return abinitio.ops.masked_fill(self, mask, value)

    def sum(self, dim=None, keepdim=False, *, axis=None, dtype=None):
        return abinitio.ops.sum(self, dim, keepdim, axis=axis, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, axis=None, dtype=None):
        return abinitio.ops.mean(self, dim, keepdim, axis=axis, dtype=dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
        return abinitio.ops.var(self, dim, unbiased, keepdim, correction=correction, axis=axis)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
        return abinitio.ops.std(self, dim, unbiased, keepdim, correction=correction, axis=axis)

    def max(self, dim=None, keepdim=False, *, axis=None):
        return abinitio.ops.max(self, dim, keepdim, axis=axis)

    def min(self, dim=None, keepdim=False, *, axis=None):
        return abinitio.ops.min(self, dim, keepdim, axis=axis)

    def amax(self, dim=None, keepdim=False, *, axis=None):
        return abinitio.ops.amax(self, dim, keepdim, axis=axis)

    def amin(self, dim=None, keepdim=False, *, axis=None):
        return abinitio.ops.amin(self, dim, keepdim, axis=axis)

    def prod(self, dim=None, keepdim=False, *, axis=None):
        return abinitio.ops.prod(self, dim, keepdim, axis=axis)

    def logsumexp(self, dim, keepdim=False, *, axis=None):
        return abinitio.ops.logsumexp(self, dim, keepdim, axis=axis)

    def argmax(self, dim=None, keepdim=False, *, axis=None):
        return abinitio.ops.argmax(self, dim, keepdim, axis=axis)

    def argmin(self, dim=None, keepdim=False, *, axis=None):
        return abinitio.ops.argmin(self, dim, keepdim, axis=axis)

    def all(self, dim=None, keepdim=False):
        return self._make(np.all(self.array, axis=dim, keepdims=keepdim), False, None)

    def any(self, dim=None, keepdim=False):
        return self._make(np.any(self.array, axis=dim, keepdims=keepdim), False, None)

    def reshape(self, *shape):
        return abinitio.ops.reshape(self, *shape)

    view = reshape  # no strides to respect here: a view is a reshape

    def view_as(self, other):
        return abinitio.ops.reshape(self, other.shape)

    reshape_as = view_as

    def flatten(self, start_dim=0, end_dim=-1):
        return abinitio.ops.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return abinitio.ops.unflatten(self, dim, sizes)

    def permute(self, *dims):
        return abinitio.ops.permute(self, *dims)

    def transpose(self, dim0, dim1):
        return abinitio.ops.transpose(self, dim0, dim1)

    def t(self):
        return abinitio.ops.transpose(self, 0, 1) if self.ndim == 2 else self

    @property
    def T(self):
        return abinitio.ops.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        return abinitio.ops.transpose(self, -2, -1)

    def squeeze(self, dim=None):
        return abinitio.ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return abinitio.ops.unsqueeze(self, dim)

    def expand(self, *sizes):
        return abinitio.ops.expand(self, *sizes)

    def expand_as(self, other):
        return abinitio.ops.expand(self, *other.shape)

    def split(self, split_size, dim=0):
        return abinitio.ops.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return abinitio.ops.chunk(self, chunks, dim)

    def matmul(self, other):
        return abinitio.ops.matmul(self, other)

    def gather(self, dim, index):
        return abinitio.ops.gather(self, dim, index)

    def index_select(self, dim, index):
        return abinitio.ops.index_select(self, dim, index)

    # ---- scatter (issue 14): out-of-place, and in-place forms that record no graph --------
    def index_add(self, dim, index, source, *, alpha=1):
        return abinitio.ops.index_add(self, dim, index, source, alpha=alpha)

    def scatter_add(self, dim, index, src):
        return abinitio.ops.scatter_add(self, dim, index, src)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return abinitio.ops.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._scatter_inplace("index_add_", source, self.index_add, dim, index, source,
                                     alpha=alpha)  # fmt: skip

    def scatter_add_(self, dim, index, src):
        return self._scatter_inplace("scatter_add_", src, self.scatter_add, dim, index, src)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return self._scatter_inplace("scatter_reduce_", src, self.scatter_reduce, dim, index,
                                     src, reduce, include_self=include_self)  # fmt: skip

    def _scatter_inplace(self, name, src, out_of_place, *args, **kwargs):
        if abinitio.is_grad_enabled() and getattr(src, "requires_grad", False):
            raise RuntimeError(
                f"{name}: in-place updates record no gradient, and the values added require "
                f"one; use the out-of-place {name[:-1]} instead"
            )
        with abinitio.no_grad():
            result = out_of_place(*args, **kwargs)
        return self._assign(name, result)

    def eq(self, other):
        return abinitio.ops.eq(self, other)

    def ne(self, other):
        return abinitio.ops.ne(self, other)

    def lt(self, other):
        return abinitio.ops.lt(self, other)

    def le(self, other):
        return abinitio.ops.le(self, other)

    def gt(self, other):
        return abinitio.ops.gt(self, other)

    def ge(self, other):
        return abinitio.ops.ge(self, other)

    # ---- the rest of PyTorch's everyday surface (abinitio.ops.composite, issue 13) -----
    def mm(self, mat2):
        return abinitio.ops.composite.mm(self, mat2)

    def bmm(self, mat2):
        return abinitio.ops.composite.bmm(self, mat2)

    def tril(self, diagonal=0):
        return abinitio.ops.composite.tril(self, diagonal)

    def triu(self, diagonal=0):
        return abinitio.ops.composite.triu(self, diagonal)

    def diag(self, diagonal=0):
        return abinitio.ops.composite.diag(self, diagonal)

    def roll(self, shifts, dims=None):
        return abinitio.ops.composite.roll(self, shifts, dims)

    def narrow(self, dim, start, length):
        return abinitio.ops.composite.narrow(self, dim, start, length)

    def repeat(self, *sizes):
        return abinitio.ops.composite.repeat(self, *sizes)

    def log1p(self):
        return abinitio.ops.composite.log1p(self)

    def norm(self, p="fro", dim=None, keepdim=False):
        return abinitio.ops.composite.norm(self, p, dim, keepdim)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return abinitio.ops.composite.topk(self, k, dim, largest, sorted)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return abinitio.ops.composite.multinomial(self, num_samples, replacement,
                                                  generator=generator)  # fmt: skip

    def contiguous(self, memory_format=None):
        """``self``: abinitio has no strides to make contiguous (``view`` is ``reshape``)."""
        return self

    def type_as(self, other):
        return self.to(other.dtype)

    def new_tensor(self, data, dtype=None, requires_grad=False, device=None):
        """A new tensor of ``data`` with this tensor's dtype (unless ``dtype``) and device."""
        return abinitio.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad,
                               device=device or self.device)  # fmt: skip

    def _new_filled(self, fill, size, dtype, requires_grad, device):
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        t = abinitio.full(tuple(size), fill, dtype=dtype or self.dtype, device=device or self.device)
        return t.requires_grad_(True) if requires_grad else t

    def new_zeros(self, *size, dtype=None, requires_grad=False, device=None):
        return self._new_filled(0, size, dtype, requires_grad, device)

    def new_ones(self, *size, dtype=None, requires_grad=False, device=None):
        return self._new_filled(1, size, dtype, requires_grad, device)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False, device=None):
        return self._new_filled(fill_value, (size,), dtype, requires_grad, device)

    def new_empty(self, *size, dtype=None, requires_grad=False, device=None):
        return self._new_filled(0, size, dtype, requires_grad, device)

    @property
    def is_cuda(self) -> bool:
        return self.device != "cpu"

    def element_size(self) -> int:
        return self.array.itemsize

    def nelement(self) -> int:
        return self.numel()

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats a one-element tensor as its number, as PyTorch does."""
        if self.array.size == 1 and spec:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def to_sparse(self):
        """The 2-D tensor as a sparse COO matrix of its non-zero entries (gradients reach
        the kept entries, as in PyTorch)."""
        if self.ndim != 2:
            raise ValueError(f"to_sparse: abinitio's sparse tensors are 2-D, got shape {self.shape}")
        rows, cols = np.nonzero(abinitio.backend.to_numpy(self.array))
        return abinitio.sparse_coo_tensor(np.stack([rows, cols]), self[rows, cols], self.shape)

    def __getattr__(self, name):
        """Only for names no class defines (so it costs the ops nothing): say which
        PyTorch method is missing, and where the program asked for it."""
        if name.startswith("_"):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")
        import sys

        frame = sys._getframe(1)
        raise AttributeError(
            f"'{type(self).__name__}' object has no attribute {name!r}: abinitio does not "
            f"implement torch.Tensor.{name} yet (used at {frame.f_code.co_filename}:"
            f"{frame.f_lineno})"
        )
