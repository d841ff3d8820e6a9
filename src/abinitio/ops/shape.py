"""Shape operations: reshape, permute, expand, cat, stack, pad (primitives) and the views
composed from them (view, flatten, transpose, squeeze, unsqueeze, ...).

None of them changes a number, so each backward only moves the gradient back into the
input's layout: reshape it back, permute it back, sum it over expanded axes, split it, crop it.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.backend import scatter_add
from abinitio.ops.arguments import normalize_dim, operand


class Reshape(Function):
    """y = x with a new shape (same elements, same order).   dL/dx = g reshaped to x's shape.

    dL/dx is laid out in memory as x was: flattening a convolution's batch-innermost
    output copies it into (N, C*H*W) order, and the gradient that comes back would
    otherwise reach the pooling, activation and convolution backwards in the other order,
    where every elementwise pass over it beside their own arrays is a slow transposing
    loop (a (64, 16, 10, 10) max-pool backward: 600 us against 180 us with this copy).
    """

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        ctx.order = None if x.flags.c_contiguous else memory_order(x)
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, g):
        g = np.reshape(g, ctx.shape)
        if ctx.order is None or memory_order(g) == ctx.order:
            return g
        return in_memory_order(g, ctx.order)


def memory_order(a) -> tuple:
    """``a``'s axes from the outermost in memory (largest stride) to the innermost."""
    return tuple(sorted(range(a.ndim), key=lambda k: -abs(a.strides[k])))


def in_memory_order(a, order: tuple):
    """A copy of ``a`` whose axes lie in memory in ``order`` (outermost first)."""
    out = np.empty_like(a, shape=tuple(a.shape[k] for k in order))
    out = out.transpose(np.argsort(order))
    np.copyto(out, a)
    return out


class Permute(Function):
    """y = x with its axes reordered: y.shape[i] = x.shape[dims[i]].
    dL/dx = g with the inverse permutation applied."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, np.argsort(ctx.dims))


class Expand(Function):
    """y = x repeated (without copying) along new leading axes and axes of size 1.
    dL/dx = g summed over those axes, which the engine does for every broadcast."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g


class Cat(Function):
    """y = [x_1, x_2, ...] joined along dim.   dL/dx_k = the slice of g that x_k filled."""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.boundaries = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return tuple(np.split(g, ctx.boundaries, axis=ctx.dim))


class Stack(Function):
    """y = x_1, x_2, ... stacked along a new axis dim.   dL/dx_k = g[..., k, ...] on that axis."""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        return np.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return tuple(np.moveaxis(g, ctx.dim, 0))


class ConstantPad(Function):
    """y = x surrounded by ``value`` (negative widths crop instead).
    dL/dx = the part of g that covers x."""

    @staticmethod
    def forward(ctx, x, widths, value):
        grown = [(max(b, 0), max(a, 0)) for b, a in widths]
        y = np.pad(x, grown, constant_values=value) if any(map(any, grown)) else x
        crop = tuple(slice(max(-b, 0), y.shape[i] - max(-a, 0)) for i, (b, a) in enumerate(widths))
        ctx.shape, ctx.widths = x.shape, widths
        return y[crop]

    @staticmethod
    def backward(ctx, g):
        grad = np.zeros_like(g, shape=ctx.shape)
        inner = tuple(
            slice(max(b, 0), g.shape[i] - max(a, 0)) for i, (b, a) in enumerate(ctx.widths)
        )
        outer = tuple(
            slice(max(-b, 0), ctx.shape[i] - max(-a, 0)) for i, (b, a) in enumerate(ctx.widths)
        )
        grad[outer] = g[inner]
        return grad


class IndexPad(Function):
    """y = x padded by copying its own elements (reflect, replicate, circular): along each
    padded axis, output position j copies input position index[j].
    dL/dx = g scatter-added back to the positions it was copied from."""

    @staticmethod
    def forward(ctx, x, indices):
        ctx.shape, ctx.indices = x.shape, indices
        for axis, index in indices.items():
            x = np.take(x, index, axis=axis)
        return x

    @staticmethod
    def backward(ctx, g):
        for axis, index in reversed(list(ctx.indices.items())):
            shape = list(g.shape)
            shape[axis] = ctx.shape[axis]
            grad = np.zeros_like(g, shape=tuple(shape))
            scatter_add(grad, (slice(None),) * axis + (index,), g)
            g = grad
        return g


def reshape(input, *shape):
    """The same elements in a new shape; one entry may be -1 (inferred)."""
    return Reshape.apply(input, size_tuple_allowing_minus_one(shape))


def size_tuple_allowing_minus_one(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Merge dims ``start_dim..end_dim`` into one (``Flatten`` layers use start_dim=1)."""
    if input.ndim == 0:
        return reshape(input, 1)
    start = normalize_dim(start_dim, input.ndim, "flatten")
    end = normalize_dim(end_dim, input.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = input.shape
    return reshape(input, shape[:start] + (-1,) + shape[end + 1 :])


def unflatten(input, dim: int, sizes):
    """Split dim ``dim`` into ``sizes`` (the inverse of flatten)."""
    dim = normalize_dim(dim, input.ndim, "unflatten")
    return reshape(input, input.shape[:dim] + tuple(sizes) + input.shape[dim + 1 :])


def permute(input, *dims):
    """Reorder the axes: ``x.permute(2, 0, 1)`` or ``x.permute((2, 0, 1))``."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    ndim = input.ndim
    dims = tuple(normalize_dim(d, ndim, "permute") for d in dims)
    if sorted(dims) != list(range(ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of a {ndim}-d tensor's axes")
    return Permute.apply(input, dims)


def transpose(input, dim0: int, dim1: int):
    """Swap two axes."""
    dims = list(range(input.ndim))
    a = normalize_dim(dim0, input.ndim, "transpose")
    b = normalize_dim(dim1, input.ndim, "transpose")
    dims[a], dims[b] = dims[b], dims[a]
    return Permute.apply(input, tuple(dims))


def squeeze(input, dim=None):
    """Remove axes of size 1 (all of them, or only those in ``dim`` that have size 1)."""
    if dim is None:
        dims = range(input.ndim)
    elif isinstance(dim, (tuple, list)):
        dims = [normalize_dim(d, input.ndim, "squeeze") for d in dim]
    else:
        dims = [normalize_dim(dim, input.ndim, "squeeze")]
    shape = tuple(s for i, s in enumerate(input.shape) if not (i in dims and s == 1))
    return Reshape.apply(input, shape)


def unsqueeze(input, dim: int):
    """Insert an axis of size 1 at ``dim`` (negative dims count from the end of the result)."""
    dim = normalize_dim(dim, input.ndim + 1, "unsqueeze")
    return Reshape.apply(input, input.shape[:dim] + (1,) + input.shape[dim:])


def expand(input, *sizes):
    """Broadcast to ``sizes`` without copying; -1 keeps a dim's size."""
    sizes = size_tuple_allowing_minus_one(sizes)
    extra = len(sizes) - input.ndim
    if extra < 0:
        raise ValueError(f"expand: cannot expand shape {input.shape} to fewer dims {sizes}")
    shape = []
    for i, size in enumerate(sizes):
        old = input.shape[i - extra] if i >= extra else 1
        if size == -1:
            if i < extra:
                raise ValueError(f"expand: -1 is not allowed for the new leading dim {i}")
            size = old
        if old != 1 and old != size:
            raise ValueError(f"expand: cannot expand shape {input.shape} to {sizes}")
        shape.append(size)
    return Expand.apply(input, tuple(shape))


def broadcast_to(input, shape):
    return expand(input, *shape)


def cat(tensors, dim: int = 0, *, axis=None):
    """Join tensors along an existing axis (``torch.cat``)."""
    dim = dim if axis is None else axis
    tensors = [operand(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    ndim = tensors[0].ndim
    for t in tensors:
        if t.ndim != ndim:
            shapes = [tuple(t.shape) for t in tensors]
            raise ValueError(f"cat: all tensors need the same number of dims, got shapes {shapes}")
    return Cat.apply(*tensors, dim=normalize_dim(dim, ndim, "cat"))


concat = cat


def stack(tensors, dim: int = 0, *, axis=None):
    """Join equally shaped tensors along a new axis (``torch.stack``)."""
    dim = dim if axis is None else axis
    tensors = [operand(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return Stack.apply(*tensors, dim=normalize_dim(dim, tensors[0].ndim + 1, "stack"))


def pad(input, pad, mode: str = "constant", value: float = 0.0):
    """Pad with PyTorch's flat tuple, last dim first: ``(left, right, top, bottom, ...)``.

    ``mode`` is ``"constant"`` (with ``value``; negative widths crop), ``"reflect"``,
    ``"replicate"`` or ``"circular"``.
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad: expected an even number of widths for at most {input.ndim} dims, got {pad}"
        )
    widths = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        widths[input.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    if mode == "constant":
        return ConstantPad.apply(input, widths, value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(
            f"pad: mode must be constant, reflect, replicate or circular; got {mode!r}"
        )
    indices = {}
    for axis, (before, after) in enumerate(widths):
        if before or after:
            indices[axis] = _source_positions(input.shape[axis], before, after, mode)
    return IndexPad.apply(input, indices)


def _source_positions(n: int, before: int, after: int, mode: str):
    """For each output position along a padded axis, the input position it copies."""
    if min(before, after) < 0:
        raise ValueError(f"pad: negative widths work only in constant mode, got {before, after}")
    if mode == "reflect" and max(before, after) >= n:
        raise ValueError(f"pad: reflect padding {before, after} must be smaller than the dim {n}")
    if mode == "circular" and max(before, after) > n:
        raise ValueError(f"pad: circular padding {before, after} must not exceed the dim {n}")
    position = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(position, 0, n - 1)
    if mode == "circular":
        return position % n
    period = 2 * (n - 1) if n > 1 else 1
    position = np.abs(position) % period
    return np.where(position >= n, period - position, position)


def split(input, split_size_or_sections, dim: int = 0):
    """Split into pieces of ``split_size`` (the last may be smaller), or of the listed sizes."""
    dim = normalize_dim(dim, input.ndim, "split")
    length = input.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, length - start) for start in range(0, length, step)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise ValueError(f"split: sizes {sizes} do not add up to dim {dim}'s size {length}")
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * dim + (slice(start, start + size),)
        pieces.append(input[index])
        start += size
    return tuple(pieces)


def chunk(input, chunks: int, dim: int = 0):
    """Split into ``chunks`` pieces of (nearly) equal size along ``dim``."""
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 1:
        raise ValueError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    length = input.shape[normalize_dim(dim, input.ndim, "chunk")]
    return split(input, max(-(-length // chunks), 1), dim)
