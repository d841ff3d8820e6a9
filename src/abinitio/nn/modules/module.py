"""``Module``: the base class of every layer and every model.

A module holds state (parameters, buffers, sub-modules) and defines ``forward``. Assigning
an attribute registers it by its type, so nothing has to be listed by hand::

    class TwoLayer(Module):
        def __init__(self):
            super().__init__()
            self.hidden = Linear(2, 16)     # a sub-module: its parameters become ours
            self.out = Linear(16, 1)

        def forward(self, x):
            return self.out(self.hidden(x).tanh())

``parameters()`` then walks the tree in registration order (insertion-ordered dicts, so
the order is the same in every process), ``state_dict()`` names every tensor by its path
(``"hidden.weight"``), and ``train()``/``eval()`` switch modes such as dropout's.
"""

from __future__ import annotations

import collections

import numpy as np

from abinitio import dtypes
from abinitio.autograd.grad_mode import no_grad
from abinitio.nn.parameter import Parameter
from abinitio.ops.arguments import array_of
from abinitio.tensor import Tensor

_Keys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class _IncompatibleKeys(_Keys):
    """What load_state_dict returns, as in PyTorch: the model's keys the state dict lacked
    and the state dict's keys the model lacks (both empty after a strict load)."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class Module:
    """Base class for layers and models: subclass it, assign parameters and sub-modules in
    ``__init__``, and compute the output in ``forward``.

    Attributes:
        training: True in training mode (the default), False after ``eval()``.

    See the article docs/articles/neurons/layers.py.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_hooks", {})

    # ---- registration -----------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__(): call super().__init__() "
                f"first in {type(self).__name__}.__init__"
            )
        if isinstance(value, Parameter):
            self._forget(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            self._modules[name] = value
        elif name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} to parameter {name!r} of "
                    f"{type(self).__name__}: use nn.Parameter(...) or None"
                )
            self._parameters[name] = None
        elif name in self._buffers:
            self._buffers[name] = value
        elif name in self._modules and value is None:
            self._modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        for registry in (self.__dict__, self._parameters, self._buffers, self._modules):
            registry.pop(name, None)

    def __getattr__(self, name: str):
        # only called when normal lookup fails: look in the registries
        for registry in ("_parameters", "_buffers", "_modules"):
            members = self.__dict__.get(registry)
            if members is not None and name in members:
                return members[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters or name in self._buffers or name in self._modules:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or a ``None`` placeholder, e.g. for ``bias=False``)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register state that is not learned (running means, masks); persistent buffers
        are part of ``state_dict()``."""
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        self._forget(name)
        self._modules[name] = module

    def register_forward_hook(self, hook):
        """Call ``hook(module, inputs, output)`` after every forward (used by inspection
        tools); returns a handle whose ``remove()`` unregisters it."""
        key = object()
        self._forward_hooks[key] = hook
        return _RemovableHandle(self._forward_hooks, key)

    # ---- running ----------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        output = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in tuple(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
        return output

    # ---- walking the tree -------------------------------------------------------------
    def named_modules(self, prefix: str = "", memo: set | None = None):
        """Yield ``(path, module)`` for this module and every descendant, each once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self):
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for path, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))  # a tied weight is listed once
                yield (f"{path}.{name}" if path else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """Yield ``(path, parameter)`` pairs, e.g. ``("0.weight", Parameter)``."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ---- modes and bulk changes ---------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch norm using batch statistics)."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Set evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad = Tensor._make(np.zeros_like(param.grad.array), False, None)

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every descendant, then on ``self`` (e.g. custom init)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device=None) -> Module:
        """Move to the GPU (needs CuPy; without it, the error says so)."""
        return self.to("cuda")

    def share_memory(self) -> Module:
        """Accepted for torch.multiprocessing programs; abinitio tensors are not shared
        between processes (see :mod:`abinitio.multiprocessing`)."""
        return self

    def to(self, *args, dtype=None, device=None, non_blocking=False) -> Module:
        """Convert floating-point parameters and buffers in place: ``model.to(ab.float64)``."""
        for arg in args:
            if isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda"):
                device = arg
            else:
                dtype = arg
        dtype = dtypes.as_dtype(dtype)
        for tensor in list(self.parameters()) + list(self.buffers()):
            converted = tensor.detach()
            if device is not None:
                converted = converted.to(device)
            if dtype is not None and tensor.dtype.kind == "f":
                converted = converted.to(dtype)
            tensor.array = converted.array
            if tensor.grad is not None:
                tensor.grad = None
        return self

    def float(self) -> Module:
        return self.to(dtypes.float32)

    def double(self) -> Module:
        return self.to(dtypes.float64)

    # ---- state ----------------------------------------------------------------------------
    def state_dict(self, prefix: str = "") -> dict:
        """Every parameter and persistent buffer by path, as detached tensors that share
        memory with the model (copy them if the model will keep training)."""
        state = collections.OrderedDict()  # PyTorch's type: programs call move_to_end on it
        for path, module in self.named_modules(prefix):
            for name, param in module._parameters.items():
                if param is not None:
                    state[f"{path}.{name}" if path else name] = param.detach()
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent:
                    state[f"{path}.{name}" if path else name] = buffer.detach()
        return state

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> _IncompatibleKeys:
        """Copy values from ``state_dict`` into this model's tensors, in place.

        Every problem (missing keys, unexpected keys, shape mismatches) is collected first;
        if there is any (missing/unexpected ones only count when ``strict``), a
        RuntimeError lists them all and the model is left unchanged. As in PyTorch, a shape
        mismatch is an error even when not ``strict``; the result names the
        ``missing_keys`` and ``unexpected_keys``.
        """
        own = self.state_dict()
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        mismatched = []
        for key, target in own.items():
            if key in state_dict and tuple(np.shape(array_of(state_dict[key]))) != target.shape:
                got = tuple(np.shape(array_of(state_dict[key])))
                mismatched.append(f"{key}: checkpoint has shape {got}, model has {target.shape}")
        problems = mismatched + ([f"missing key: {k}" for k in missing] if strict else [])
        problems += [f"unexpected key: {k}" for k in unexpected] if strict else []
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__} (nothing was "
                "changed):\n  " + "\n  ".join(problems)
            )
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    target.array[...] = array_of(state_dict[key])  # in place: keeps identity
        return _IncompatibleKeys(missing, unexpected)

    # ---- printing -------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The configuration shown inside ``Name(...)``; layers override it."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_repr}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"

    def __dir__(self):
        names = list(super().__dir__())
        return names + list(self._parameters) + list(self._buffers) + list(self._modules)


class _RemovableHandle:
    def __init__(self, registry: dict, key) -> None:
        self._registry, self._key = registry, key

    def remove(self) -> None:
        self._registry.pop(self._key, None)
