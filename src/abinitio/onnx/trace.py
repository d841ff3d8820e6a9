"""Tracing: run a model once and record every primitive it calls, in order.

Every differentiable operation in abinitio goes through ``Function.apply`` (see
:mod:`abinitio.autograd.function`). While :func:`recording` is active, ``apply`` is wrapped
so that each call leaves a :class:`Call`: the primitive, its inputs (Tensors, raw arrays and
options, exactly as passed) and the Tensor it returned. The list of calls *is* the graph of
the forward pass, in topological order, because a value is computed before it is used.

Values that reach a primitive without coming from another primitive are constants of the
trace (a causal mask, a running mean folded into a batch norm's scale). A constant that
was computed from the input *outside* the graph (``x.numpy()`` and back, a comparison)
would be frozen at its traced value, so :func:`trace` runs the model twice, on the
example and on other values of the same shape, and refuses a trace whose constants or
operations differ between the two runs.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field

import numpy as np

from abinitio.autograd import anomaly, grad_mode
from abinitio.autograd.function import Function
from abinitio.tensor import Tensor

_LOCK = threading.Lock()


@dataclass
class Call:
    """One primitive call: ``fn.apply(*inputs, **options)`` returned ``output``."""

    fn: type
    inputs: tuple
    options: dict
    output: Tensor
    call_site: str | None = field(default=None)

    @property
    def name(self) -> str:
        return self.fn.__name__


@contextlib.contextmanager
def recording(supported=None):
    """Within the block, every ``Function.apply`` appends a :class:`Call` to the yielded
    list. For primitives not in ``supported`` the user's call site is kept too (for the
    error message that names them)."""
    calls: list[Call] = []
    original = Function.__dict__["apply"]
    thread = threading.get_ident()

    def traced(cls, *inputs, **options):
        output = original.__func__(cls, *inputs, **options)
        if threading.get_ident() != thread:  # another thread's ops are not the model's
            return output
        site = None
        if supported is not None and cls.__name__ not in supported:
            site = anomaly.user_call_site()
        calls.append(Call(cls, inputs, options, output, site))
        return output

    with _LOCK:
        Function.apply = classmethod(traced)
        try:
            yield calls
        finally:
            Function.apply = original


def run_traced(model, args: tuple, supported=None):
    """``(calls, outputs)`` of ``model(*args)`` run without recording a graph."""
    with recording(supported) as calls, grad_mode.no_grad():
        outputs = model(*args)
    return calls, outputs


def perturbed(args: tuple, seed: int = 0) -> tuple:
    """Other inputs of the same shapes and dtypes: floats redrawn around the example's
    mean and spread, integers redrawn between the example's smallest and largest value."""
    rng = np.random.default_rng(seed)
    result = []
    for x in args:
        if not isinstance(x, Tensor):
            result.append(x)
            continue
        a = x.array
        if a.dtype.kind == "f":
            spread = float(a.std()) if a.size > 1 and a.std() > 0 else 1.0
            new = a.mean() + spread * rng.standard_normal(a.shape)
        elif a.dtype.kind in "iu" and a.size:
            new = rng.integers(a.min(), a.max() + 1, a.shape)
        elif a.dtype.kind == "b":
            new = rng.random(a.shape) < 0.5
        else:
            new = a.copy()
        result.append(Tensor._make(np.asarray(new, a.dtype), False, None))
    return tuple(result)


def same_constant(a, b) -> bool:
    """Do two traced constants (arrays, numbers, options) agree?"""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a = a.array if isinstance(a, Tensor) else a
        b = b.array if isinstance(b, Tensor) else b
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same_constant(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_constant(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b
