"""``Optimizer``: the base class every optimiser extends, as in ``torch.optim``.

An optimiser holds the parameters it updates in *parameter groups*: dicts with a
``"params"`` list and the options (``lr``, ``momentum``, ...) that apply to those
parameters. Per-parameter buffers (momentum, running averages) live in ``state``, a dict
keyed by the parameter tensor itself. A subclass only writes ``step``: a loop over
:meth:`Optimizer._params_with_grad` whose body is the algorithm's pseudocode.

Updates work on raw arrays, in place: ``p`` is the parameter's array (written with NumPy
``out=`` arguments) and ``grad`` is its gradient's array, which is only ever read: one
gradient array may be shared by several tensors.
"""

from __future__ import annotations

import numbers
from collections import defaultdict

import numpy as np

from abinitio import backend
from abinitio.autograd.grad_mode import enable_grad
from abinitio.tensor import Tensor


def require(ok: bool, owner: str, name: str, value, expected: str) -> None:
    """Raise ValueError naming the option and the value received, unless ``ok``."""
    if not ok:
        raise ValueError(f"{owner}: {name} must be {expected}, received {name}={value!r}")


def signed_decayed_grad(grad, p, weight_decay: float, maximize: bool):
    """The pseudocode's two first lines: ``g = -grad if maximize else grad``, then
    ``g = g + weight_decay * p`` (L2 penalty). A new array whenever ``g`` differs from
    ``grad``, which is never written to."""
    if weight_decay == 0:
        return np.negative(grad) if maximize else grad
    g = np.multiply(p, weight_decay)
    if maximize:
        np.subtract(g, grad, out=g)
    else:
        np.add(g, grad, out=g)
    return g


class Optimizer:
    """Base class of all optimisers: parameter groups, per-parameter state, ``zero_grad``,
    ``step`` and a ``state_dict`` in PyTorch's layout.

    Args:
        params: an iterable of tensors, or of dicts (parameter groups): each dict has a
            ``"params"`` entry and may override any option of ``defaults``.
        defaults: the options of every group that does not set its own.

    Attributes:
        param_groups: list of dicts, each with ``"params"`` (a list of tensors) and options.
        state: dict from parameter tensor to its dict of buffers (``{}`` until its first step).
        defaults: the options given to the constructor.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.optim import SGD
        >>> w, b = ab.nn.Parameter(ab.ones(2)), ab.nn.Parameter(ab.zeros(1))
        >>> optimizer = SGD([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1, momentum=0.9)
        >>> [group["lr"] for group in optimizer.param_groups]
        [0.1, 0.01]
        >>> (w.sum() + 2 * b.sum()).backward()
        >>> optimizer.step()
        >>> saved = optimizer.state_dict()    # parameters become indices 0, 1, ...
        >>> saved["param_groups"][1]["params"], saved["state"][1]
        ([1], {'momentum_buffer': array([2.], dtype=float32)})

    See the article docs/articles/learning/gradient_descent.py.
    """

    def __init__(self, params, defaults: dict, foreach=None) -> None:
        # foreach: None (flat buffers where safe), True (always), False (the loop); see _flat
        self.foreach = foreach
        self._flat = {}  # group index -> FlatGroup
        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of Tensors or dicts, received a single Tensor: "
                "wrap it in a list, e.g. [weight]"
            )
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = [params] if isinstance(params, dict) else list(params)
        if len(groups) == 0:
            raise ValueError(f"{type(self).__name__} received an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---- parameter groups -------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (``{"params": [...], "lr": ...}``); options it does not
        set take the optimiser's defaults. Useful to unfreeze layers while training."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, received {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                "parameters must be given in an ordered collection (a list), not a set: "
                "a set's order changes between runs, and so would the optimiser's state"
            )
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {p for group in self.param_groups for p in group["params"]}
        for p in params:
            self._check_param(p, seen)
            seen.add(p)
        group = dict(self.defaults)
        group.update(param_group)
        group["params"] = params
        self._check_options(group)
        self.param_groups.append(group)

    def _check_param(self, p, seen: set) -> None:
        name = type(self).__name__
        if not isinstance(p, Tensor):
            raise TypeError(f"{name} can only optimise Tensors, received {type(p).__name__}")
        if p.dtype.kind != "f":
            raise ValueError(
                f"{name} can only optimise floating-point tensors, received dtype {p.dtype}"
            )
        if not p.is_leaf:
            raise ValueError(f"{name} cannot optimise a non-leaf tensor (made by {p.grad_fn})")
        if p in seen:
            raise ValueError(
                f"{name}: a parameter of shape {p.shape} appears twice (in one group or in "
                "two groups); each parameter may be listed once"
            )

    # options every optimiser that has them needs non-negative
    _NON_NEGATIVE = ("lr", "weight_decay", "eps")

    def _check_options(self, group: dict) -> None:
        """Raise ValueError for an invalid option. Here: lr, weight_decay and eps, where the
        group has them; subclasses call this, then check their own options."""
        for name in self._NON_NEGATIVE:
            if name in group:
                self._require(group[name] >= 0, name, group[name], "a non-negative number")

    def _require(self, ok: bool, name: str, value, expected: str) -> None:
        require(ok, type(self).__name__, name, value, expected)

    # ---- the training loop --------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients before the next backward pass.

        ``set_to_none=True`` (the default) sets every ``.grad`` to ``None``: cheaper, and
        ``step`` skips parameters without a gradient. ``set_to_none=False`` gives each a new
        array of zeros (never writing into the old one, which may be shared); on the flat
        path those zeros are views of the group's flat gradient, so that backward adds
        into them in place and ``step`` need not gather the gradients.
        """
        for index, group in enumerate(self.param_groups):
            flat = self._flat.get(index)
            params = group["params"]
            whole = flat is not None and flat.intact(params)
            if not set_to_none and whole and all(p.grad is not None for p in params):
                flat.grad.fill(0)
                for p, view in zip(flat.params, flat.grad_views):
                    p.grad = Tensor._make(view, False, None)
                continue
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad = Tensor(np.zeros_like(p.grad.array), dtype=p.grad.dtype)

    def step(self, closure=None):
        """Update the parameters once; ``closure`` (optional) re-evaluates and returns the loss."""
        raise NotImplementedError(f"{type(self).__name__} must define step(closure=None)")

    def _closure_loss(self, closure):
        """Run ``closure`` with gradient recording on (step may be called under no_grad)."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _params_with_grad(self, groups=None):
        """Yield ``(p, grad, state, group)`` for each parameter that has a gradient: its array,
        its gradient's array (read only), its state dict (empty at first) and its group
        (of ``groups``, by default every group)."""
        for group in self.param_groups if groups is None else groups:
            for param in group["params"]:
                if param.grad is not None:
                    yield param.array, param.grad.array, self.state[param], group

    # ---- saving and loading -------------------------------------------------------------
    def state_dict(self) -> dict:
        """The optimiser's state in PyTorch's layout, with parameters replaced by indices.

        ``{"state": {index: {name: array or number}}, "param_groups": [{options...,
        "params": [indices]}]}``; indices count the parameters across groups, in order.
        Arrays are copies, so the result is a snapshot that later steps do not change.
        """
        groups = []
        state = {}
        index = 0
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = list(range(index, index + len(group["params"])))
            for i, p in enumerate(group["params"], index):
                if self.state.get(p):
                    state[i] = {name: _copy(value) for name, value in self.state[p].items()}
            index += len(group["params"])
            groups.append(packed)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a :meth:`state_dict` (arrays are copied, cast to each parameter's dtype).

        Raises ValueError, listing every difference and changing nothing, when the saved
        groups or state do not fit this optimiser's parameters.
        """
        problems = self._mismatches(state_dict)
        if problems:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the saved state does not fit this "
                "optimiser:\n  " + "\n  ".join(problems)
            )
        saved_groups = state_dict["param_groups"]
        by_index = {}
        for group, saved in zip(self.param_groups, saved_groups):
            by_index.update(zip(saved["params"], group["params"]))
        state = defaultdict(dict)
        for index, saved in state_dict["state"].items():
            p = by_index[index]
            state[p] = {name: _copy(value, like=p.array) for name, value in saved.items()}
        groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            options = {key: value for key, value in saved.items() if key != "params"}
            groups.append({**options, "params": group["params"]})
        self.state = state
        self.param_groups = groups

    def _mismatches(self, state_dict: dict) -> list:
        """Every way ``state_dict`` fails to fit this optimiser, as readable lines."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            keys = list(state_dict) if isinstance(state_dict, dict) else type(state_dict)
            return [f"expected a dict with keys 'state' and 'param_groups', received {keys}"]
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            return [f"{len(saved_groups)} parameter groups saved, {len(self.param_groups)} here"]
        problems = []
        by_index = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                problems.append(
                    f"group {i}: {len(saved['params'])} parameters saved, "
                    f"{len(group['params'])} here"
                )
            missing = [key for key in self.defaults if key not in saved]
            if missing:
                problems.append(f"group {i}: no saved value for options {missing}")
            by_index.update(zip(saved["params"], group["params"]))
        for index, saved in state_dict["state"].items():
            if index not in by_index:
                problems.append(f"state {index}: no parameter group lists parameter {index}")
                continue
            shape = by_index[index].shape
            for name, value in saved.items():
                if not isinstance(value, numbers.Number) and np.shape(value) != shape:
                    problems.append(
                        f"state {index} {name!r}: shape {np.shape(value)} saved, "
                        f"the parameter's shape is {shape}"
                    )
        return problems

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"


def _copy(value, like=None):
    """Numbers as they are; arrays copied (cast to ``like``'s dtype and device when given
    and floating point), so that saved and live buffers never share memory."""
    if isinstance(value, numbers.Number):
        return value
    if like is None:
        return np.copy(value)
    value = backend.to_device(value, backend.device_of(like))
    dtype = like.dtype if value.dtype.kind == "f" else value.dtype
    return value.astype(dtype, copy=True)
