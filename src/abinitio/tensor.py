"""``Tensor``: an n-dimensional array that remembers how it was computed.

A Tensor wraps an array (``.array``, NumPy's ``ndarray`` by default). When it is the result
of an operation on tensors that require gradients, it also keeps ``._ctx``: the operation
and its inputs. Those links form the computational graph, and ``.backward()`` walks it in
reverse to fill every leaf's ``.grad`` with the derivative of the output.

Differences from PyTorch, on purpose:

* Float input (Python floats, NumPy float64 arrays) becomes float32 unless ``dtype=`` asks
  for float64, so that NumPy's float64 arrays do not silently make a model slower.
"""

from __future__ import annotations

import numpy as np

from abinitio import backend, dtypes
from abinitio.autograd import grad_mode
from abinitio.tensor_methods import TensorMethods


def as_array(data, dtype=None, copy: bool = False):
    """The array a new Tensor holds: float64 input becomes the default float dtype (float32)
    unless ``dtype`` says otherwise; other dtypes are kept."""
    dtype = dtypes.as_dtype(dtype)
    if isinstance(data, Tensor):
        data = data.array
    if backend.get_array_module(data) is not np:  # a CuPy array stays where it is
        return data.astype(dtype or data.dtype, copy=copy)
    array = np.array(data, copy=True) if copy else np.asarray(data)
    if array.dtype == object:
        raise TypeError(f"cannot make a tensor from {type(data).__name__}: not numeric data")
    if dtype is None and array.dtype == np.float64:
        dtype = dtypes.get_default_dtype()
    dtypes.check_supported(dtype or array.dtype)
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    return array


class Tensor(TensorMethods):
    """An array with an optional gradient and a link to the operation that made it.

    Args:
        data: anything ``numpy.asarray`` accepts (nested lists, arrays, numbers).
        requires_grad: record operations on this tensor so that ``backward`` reaches it.
        dtype: e.g. ``ab.float64``; default: float32 for float data, otherwise kept.

    Example:
        >>> import abinitio as ab
        >>> x = ab.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        tensor([2., 4., 6.])

    See the article docs/articles/learning/backpropagation.py.
    """

    __slots__ = ("array", "grad", "_requires_grad", "_ctx", "_retains_grad", "_hooks", "__weakref__")
    __array_ufunc__ = None  # so that ndarray + Tensor calls Tensor.__radd__

    def __init__(self, data=(), *sizes, requires_grad: bool = False, dtype=None) -> None:
        if _is_size(data) and all(_is_size(n) for n in sizes) and (sizes or type(data) is int):
            data = np.zeros((data, *sizes), dtype or dtypes.get_default_dtype())  # Tensor(2, 3)
        elif sizes:
            raise TypeError(
                f"Tensor(data) takes one data argument, or sizes as ints (Tensor(2, 3)); got "
                f"{1 + len(sizes)} arguments"
            )
        self.array = as_array(data, dtype)
        self.grad = None
        self._ctx = None
        self._retains_grad = False
        self._hooks = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, requires_grad: bool, ctx) -> Tensor:
        """Wrap an array without copying or checking (the fast path every op takes)."""
        t = object.__new__(Tensor)
        t.array = data
        t.grad = None
        t._requires_grad = requires_grad
        t._ctx = ctx
        t._retains_grad = False
        t._hooks = None
        return t

    # ---- autograd ---------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Switch gradient tracking on or off for this leaf tensor; returns ``self``."""
        if requires_grad and self.array.dtype.kind not in "fc":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.dtype}: "
                "a derivative needs values that can change by small amounts; use .float() first"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "requires_grad_(False) on a non-leaf tensor: use .detach() to cut it from the graph"
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded operation (inputs, weights)."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The graph node that made this tensor (``None`` for leaves)."""
        return self._ctx

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf in the graph and add it to ``leaf.grad``.

        ``gradient`` is required unless ``self`` has one element; it is dL/d(self) when
        ``self`` is an intermediate result of a larger loss L.
        """
        _engine.backward(self, gradient, retain_graph)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if self._ctx is not None:
            self._retains_grad = True

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self._requires_grad:
            raise RuntimeError("register_hook: this tensor does not require grad")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` once ``self.grad`` holds every contribution of a backward
        pass (leaves only), as PyTorch does; returns a handle whose ``remove()`` unregisters it."""
        return _engine.register_post_accumulate_grad_hook(self, hook)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory with ``self``)."""
        return Tensor._make(self.array, False, None)

    def detach_(self) -> Tensor:
        self._ctx = None
        self._requires_grad = False
        return self

    def clone(self) -> Tensor:
        """A copy with its own memory; gradients flow back through it."""
        return _ops.conversion.Clone.apply(self)

    # ---- the raw array and PyTorch's .array ----------------------------------------------
    # ``array`` is a slot (above), not a property: every op reads it, so it must cost one
    # attribute load. ``p.array -= lr * p.grad.array`` is plain NumPy and records nothing.

    @property
    def data(self) -> Tensor:
        """The same values as a Tensor that shares memory and records no graph, as in
        PyTorch: ``m.bias.array.fill_(0.01)`` and ``p.array.add_(g, alpha=-lr)`` change
        ``self`` in place without autograd seeing it. Assigning ``p.array = t`` replaces the
        values (and may change shape and dtype, as in PyTorch). The raw NumPy (or CuPy)
        array is ``.array``."""
        return Tensor._make(self.array, False, None)

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(
                f"Tensor.array must be set to a Tensor (as in PyTorch), got {type(value).__name__}"
                "; to set the raw array, assign .array"
            )
        self.array = value.array

    # ---- array facts ------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.array.shape

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def device(self) -> str:
        return backend.device_of(self.array)

    def size(self, dim: int | None = None):
        """The shape, or the size of one dim."""
        return self.array.shape if dim is None else self.array.shape[dim]

    def dim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        return int(self.array.size)

    def is_floating_point(self) -> bool:
        return self.array.dtype.kind == "f"

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.array.shape[0]))

    __hash__ = object.__hash__  # == is elementwise, so identity serves as the hash

    # ---- conversion -------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array (shares memory on the CPU)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "numpy() on a tensor that requires grad: call .detach().numpy() (so that "
                "changing the array cannot corrupt the graph), or pass force=True"
            )
        return backend.to_numpy(self.array)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise ValueError(f"item(): the tensor has {self.array.size} elements, not 1")
        return self.array.item()

    def tolist(self):
        return backend.to_numpy(self.array).tolist()

    def __array__(self, dtype=None, copy=None):
        array = backend.to_numpy(self.array)
        return array if dtype is None else array.astype(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.array.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype}")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.array.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.array)

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False) -> Tensor:
        """``t.to(ab.float64)``, ``t.to("cpu")`` or ``t.to(other_tensor)``."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            elif isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda"):
                device = arg
            else:
                dtype = arg
        result = self
        if device is not None and device != self.device:
            moved = backend.to_device(self.array, device)
            result = Tensor._make(moved, False, None).requires_grad_(self._requires_grad)
        dtype = dtypes.as_dtype(dtype)
        if dtype is not None and dtype != result.dtype:
            result = _ops.conversion.Cast.apply(result, dtype)
        return result

    def type(self, dtype) -> Tensor:
        return self.to(dtype)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def __repr__(self) -> str:
        array = backend.to_numpy(self.array)
        body = np.array2string(np.asarray(array), separator=", ", precision=4, prefix="tensor(")
        extras = []
        if array.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_):
            extras.append(f"dtype={array.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # ---- in-place updates (for initialisation and optimisers, under no_grad) -----------
    def _check_inplace(self, op: str) -> None:
        if not grad_mode._state.enabled:
            return
        if self._ctx is not None:
            raise RuntimeError(
                f"{op}: in-place change of a tensor that is part of a graph: its old value "
                "may be needed by backward; use the out-of-place operation instead"
            )
        if self._requires_grad:
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad cannot be changed in place while "
                "gradients are recorded; do it inside `with ab.no_grad():`"
            )

    def _assign(self, op: str, value) -> Tensor:
        self._check_inplace(op)
        value = value.array if isinstance(value, Tensor) else value
        if isinstance(self.array, np.ndarray) and self.array.flags.writeable:
            self.array[...] = value
        else:
            self.array = np.array(np.broadcast_to(value, self.array.shape), dtype=self.array.dtype)
        return self

    def __setitem__(self, index, value) -> None:
        self._check_inplace("__setitem__")
        self.array[_ops.indexing.convert_index(index)] = (
            value.array if isinstance(value, Tensor) else value
        )

    def copy_(self, source) -> Tensor:
        """Overwrite the values with ``source``'s (broadcast to this shape)."""
        return self._assign("copy_", source)

    def fill_(self, value) -> Tensor:
        return self._assign("fill_", value)

    def zero_(self) -> Tensor:
        return self._assign("zero_", 0)

    def add_(self, other, *, alpha=1) -> Tensor:
        other = other.array if isinstance(other, Tensor) else other
        return self._assign("add_", self.array + alpha * other)

    def sub_(self, other, *, alpha=1) -> Tensor:
        other = other.array if isinstance(other, Tensor) else other
        return self._assign("sub_", self.array - alpha * other)

    def mul_(self, other) -> Tensor:
        return self._assign(
            "mul_", self.array * (other.array if isinstance(other, Tensor) else other)
        )

    def div_(self, other) -> Tensor:
        return self._assign(
            "div_", self.array / (other.array if isinstance(other, Tensor) else other)
        )

    def clamp_(self, min=None, max=None) -> Tensor:
        return self._assign("clamp_", np.clip(self.array, min, max))

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
        """Fill with samples from U(a, b)."""
        rng = _random.numpy_generator(generator)
        return self._assign("uniform_", rng.uniform(a, b, size=self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
        """Fill with samples from N(mean, std^2)."""
        rng = _random.numpy_generator(generator)
        return self._assign("normal_", rng.normal(mean, std, size=self.shape))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)


def _is_size(n) -> bool:
    return isinstance(n, (int, np.integer)) and not isinstance(n, bool)


class _HookHandle:
    def __init__(self, hooks: list, hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


# The one import cycle: ops build Tensors and Tensor methods call ops. Importing them
# here, after Tensor exists, lets both modules see each other.
from abinitio import ops as _ops  # noqa: E402
from abinitio import random as _random  # noqa: E402
from abinitio.autograd import engine as _engine  # noqa: E402


def is_tensor(obj) -> bool:
    """True for abinitio Tensors (and Parameters)."""
    return isinstance(obj, Tensor)
