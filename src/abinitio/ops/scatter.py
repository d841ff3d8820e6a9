"""Scatter: the inverse of gather. ``index_add``, ``scatter_add`` and ``scatter_reduce``.

Gather reads ``y[k] = x[index[k]]``; scatter writes ``out[index[k]] (+)= src[k]``. When an
index repeats, the values sent to one place are combined by a reduction (sum, mean, max,
min): a *segment reduction*, the "aggregate" step of every graph neural network.

Derivatives (``g = dL/d out``), for the sum: ``dL/d input = g`` and
``dL/d src[k] = g[index[k]]``, a gather. Mean divides both by the number of values that
met at each place; max and min send the gradient to the values that won (split evenly
between ties), as PyTorch does.

How the sums are computed: the segment sum of E rows into N places is the product of an
(N, E) 0/1 matrix with the (E, F) values. Measured on 2 cores (NumPy 2.4, SciPy 1.17),
E = 1,000,000 rows of 64 floats into N = 100,000 places: ``np.add.at`` 1.18 s, a
``np.bincount`` per column 0.88 s, sorting then ``np.add.reduceat`` 1.39 s, a SciPy CSR
product 0.15 s (0.11 s with the matrix built once). So :func:`segment_sum` uses SciPy
when it is installed and the arrays are NumPy's, and ``np.add.at`` (through
:func:`abinitio.backend.scatter_add`, which CuPy also provides) otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from abinitio.autograd.function import Function
from abinitio import backend
from abinitio.backend import get_array_module
from abinitio.ops.arguments import array_of, normalize_dim

REDUCTIONS = ("sum", "mean", "amax", "amin")


# ---- segment reductions: rows of ``values`` combined by ``segments`` -------------------------
def _reference_segment_sum(values, segments, num_segments):
    """out[s] = sum of values[k] over the k with segments[k] = s (the readable version)."""
    out = np.zeros_like(values, shape=(num_segments, *values.shape[1:]))
    backend.scatter_add(out, segments, values)
    return out


def segment_sum(values, segments, num_segments: int):
    """:func:`_reference_segment_sum` as a sparse product, where SciPy can do it.

    ``values`` (E, ...) and int64 ``segments`` (E,) -> (num_segments, ...)."""
    sparse = _scipy_sparse() if get_array_module(values) is np else None
    if sparse is None or values.ndim == 0:
        return _reference_segment_sum(values, segments, num_segments)
    rows = values.reshape(len(segments), math.prod(values.shape[1:]))
    ones = np.ones(len(segments), dtype=values.dtype)
    columns = np.arange(len(segments))
    matrix = sparse.csr_matrix((ones, (segments, columns)), shape=(num_segments, len(segments)))
    return np.asarray(matrix @ rows).reshape(num_segments, *values.shape[1:])


def _scipy_sparse():
    try:
        import scipy.sparse
    except ImportError:  # the core runs on NumPy alone; this is only the fast path
        return None
    return scipy.sparse


def _ufunc_at(ufunc, target, index, values) -> None:
    """``ufunc.at(target, index, values)``: maximum/minimum where repeats compete."""
    if type(target).__module__.startswith("cupy"):
        import cupyx

        name = {"maximum": "scatter_max", "minimum": "scatter_min"}[ufunc.__name__]
        getattr(cupyx, name)(target, index, values)
    else:
        ufunc.at(target, index, values)


# ---- where each element of src goes ---------------------------------------------------------
def _targets(index, dim: int, shape: tuple):
    """Flat positions in an array of ``shape``: element p of ``index`` points to p with
    coordinate ``dim`` replaced by index[p] (how scatter and gather address)."""
    grids = list(np.ix_(*[np.arange(s) for s in index.shape]))
    grids[dim] = index
    return np.ravel_multi_index(tuple(grids), shape).ravel()


def _covered(src, index):
    """The part of ``src`` that ``index`` addresses: src[:i0, :i1, ...], flattened."""
    return src[tuple(slice(0, s) for s in index.shape)].reshape(-1)


class IndexSelect(Function):
    """y = the slices of x at ``index`` along ``dim`` (``torch.index_select``), a gather.
    dL/dx = index_add of g at ``index``: slices picked twice receive both gradients. The
    backward is the same segment sum as :class:`IndexAdd` (SciPy's CSR product where it
    can), not ``np.add.at``.

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.size, ctx.index, ctx.dim = x.shape[dim], index % max(x.shape[dim], 1), dim
        return np.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        summed = segment_sum(np.moveaxis(g, ctx.dim, 0), ctx.index, ctx.size)
        return np.moveaxis(summed, 0, ctx.dim).astype(g.dtype, copy=False), None, None


class IndexAdd(Function):
    """out = input; out[index[k]] += alpha * source[k] along ``dim`` (``torch.index_add``).
    dL/d input = g;  dL/d source[k] = alpha * g[index[k]] (a gather of g along ``dim``).

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    @staticmethod
    def forward(ctx, input, index, source, dim, alpha):
        ctx.index, ctx.dim, ctx.alpha = index, dim, alpha
        moved = np.moveaxis(source, dim, 0)
        summed = segment_sum(moved, index, input.shape[dim])
        if alpha != 1:
            summed = summed * alpha
        return input + np.moveaxis(summed, 0, dim).astype(input.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        grad_source = None
        if ctx.needs_input_grad[2]:
            grad_source = np.take(g, ctx.index, axis=ctx.dim)
            if ctx.alpha != 1:
                grad_source = grad_source * ctx.alpha
        return g, None, grad_source, None, None


class ScatterReduce(Function):
    """out = input with src[k] combined into out[target(k)] by ``reduce`` (sum, mean,
    amax, amin); ``include_self=False`` leaves the old values out of every place that
    receives something (``torch.scatter_reduce``). ``scatter_add`` is reduce="sum".

    VJP (PyTorch's, so that parity holds with ties and empty places), with n(t) the number
    of values combined at t (self included when include_self) and g_t = g[target(k)]::

      sum:  dL/d input = g,          dL/d src[k] = g_t
      mean: dL/d input = g / n,      dL/d src[k] = g_t / n(t)
      amax/amin: g split evenly between input and src values equal to the result.

    Without include_self, dL/d input is 0 wherever something was scattered.

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    @staticmethod
    def forward(ctx, input, index, src, dim, reduce, include_self):
        targets = _targets(index, dim, input.shape)
        values = _covered(src, index)
        out = input.reshape(-1).copy()
        if not include_self:
            out[targets] = 0 if reduce in ("sum", "mean") else _identity(reduce, out.dtype)
        if reduce in ("sum", "mean"):
            out += segment_sum(values, targets, out.size).astype(out.dtype, copy=False)
        else:
            _ufunc_at(np.maximum if reduce == "amax" else np.minimum, out, targets, values)
        counts = None
        if reduce == "mean":
            counts = segment_sum(np.ones_like(values), targets, out.size) + int(include_self)
            counts[counts == 0] = 1
            out /= counts
        ctx.save_for_backward(input, values, out, targets, counts)
        ctx.options = index.shape, src.shape, reduce, include_self
        return out.reshape(input.shape)

    @staticmethod
    def backward(ctx, g):
        input, values, out, targets, counts = ctx.saved_tensors
        index_shape, src_shape, reduce, include_self = ctx.options
        flat = g.reshape(-1)
        if reduce == "sum":
            grad_self, grad_values = flat, flat[targets]
        elif reduce == "mean":
            grad_self = flat / counts
            grad_values = grad_self[targets]
        else:
            self_wins = input.reshape(-1) == out
            src_wins = values == out[targets]
            ties = self_wins.astype(g.dtype) + segment_sum(src_wins.astype(g.dtype), targets,
                                                           out.size)  # fmt: skip
            shared = flat / np.where(ties == 0, 1, ties)
            grad_self, grad_values = shared * self_wins, shared[targets] * src_wins
        if not include_self:
            grad_self = grad_self.copy()
            grad_self[targets] = 0
        grad_src = None
        if ctx.needs_input_grad[2]:
            grad_src = np.zeros_like(g, shape=src_shape)
            grad_src[tuple(slice(0, s) for s in index_shape)] = grad_values.reshape(index_shape)
        return grad_self.reshape(input.shape), None, grad_src, None, None, None


def _identity(reduce: str, dtype):
    """The start of an empty max (-inf) or min (+inf): any value replaces it."""
    info = np.finfo(dtype) if np.dtype(dtype).kind == "f" else np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


# ---- the public functions: argument checks, then the primitive ------------------------------
def _index_array(index, op: str):
    index = array_of(index)
    if index.dtype.kind not in "iu":
        raise IndexError(f"{op}: index must be an integer (int64) tensor, got dtype {index.dtype}")
    return index.astype(np.int64, copy=False)


def _check_range(index, size: int, op: str) -> None:
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"{op}: index {int(bad)} is out of bounds for size {size}")


def index_add(input, dim: int, index, source, *, alpha=1):
    """``input`` with ``alpha * source[k]`` added to slice ``index[k]`` along ``dim``.

    Args:
        input: the tensor added to (N, ...) along ``dim``.
        dim: the dimension ``index`` addresses.
        index: int64 (L,) positions in ``[0, input.shape[dim])``; repeats accumulate.
        source: like ``input`` but with L along ``dim``.
        alpha: a scale for ``source``.

    Example:
        >>> import abinitio as ab
        >>> ab.index_add(ab.zeros(3), 0, ab.tensor([0, 2, 0]), ab.tensor([1.0, 2.0, 3.0]))
        tensor([4., 0., 2.])
    """
    dim = normalize_dim(dim, input.ndim, "index_add")
    index = _index_array(index, "index_add")
    expected = input.shape[:dim] + (len(index),) + input.shape[dim + 1 :]
    if index.ndim != 1 or tuple(source.shape) != expected:
        raise ValueError(
            f"index_add: expected a 1-D index and source of shape {expected}, got index of "
            f"shape {index.shape} and source of shape {tuple(source.shape)}"
        )
    _check_range(index, input.shape[dim], "index_add")
    return IndexAdd.apply(input, index, source, dim, alpha)


def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """Combine ``src`` into ``input`` at ``index`` along ``dim`` with ``reduce``.

    For dim=0: out[index[i][j]][j] = reduce(input[..][j] (if include_self), src[i][j], ...).
    Places that receive nothing keep ``input``'s value.

    Args:
        reduce: ``"sum"``, ``"mean"``, ``"amax"`` or ``"amin"``.
        include_self: combine the values already in ``input`` too.

    Example:
        >>> import abinitio as ab
        >>> src = ab.tensor([1.0, 5.0, 2.0])
        >>> ab.scatter_reduce(ab.zeros(2), 0, ab.tensor([0, 0, 1]), src, "amax",
        ...                   include_self=False)
        tensor([5., 2.])
    """
    if reduce not in REDUCTIONS:
        raise ValueError(f"scatter_reduce: reduce must be one of {REDUCTIONS}, got {reduce!r}")
    dim = normalize_dim(dim, input.ndim, "scatter_reduce")
    index = _index_array(index, "scatter_reduce")
    small = all(i <= s for i, s in zip(index.shape, src.shape)) and all(
        i <= s for d, (i, s) in enumerate(zip(index.shape, input.shape)) if d != dim
    )
    if not (index.ndim == src.ndim == input.ndim) or not small:
        raise ValueError(
            f"scatter_reduce: index {index.shape}, src {tuple(src.shape)} and input "
            f"{tuple(input.shape)} must have the same number of dims, index no larger than "
            f"src, and no larger than input outside dim {dim}"
        )
    _check_range(index, input.shape[dim], "scatter_reduce")
    return ScatterReduce.apply(input, index, src, dim, reduce, include_self)


def scatter_add(input, dim: int, index, src):
    """``scatter_reduce(input, dim, index, src, "sum")``: out[index[i][j]][j] += src[i][j].

    Example:
        >>> import abinitio as ab
        >>> ab.scatter_add(ab.zeros(2, 2), 0, ab.tensor([[1, 0]]), ab.tensor([[1.0, 2.0]]))
        tensor([[0., 2.],
                [1., 0.]])
    """
    return scatter_reduce(input, dim, index, src, "sum")
