"""Flat buffers: a parameter group's arrays as views into one contiguous array.

NumPy pays a few microseconds per call, whatever the array's size, so an optimiser that
updates 50 small tensors with 12 operations each spends most of its step calling NumPy.
PyTorch's ``foreach`` kernels take lists of tensors; NumPy has no such kernels, so here
the tensors themselves are made to lie in one array: each parameter's ``.array`` becomes
a view (``buffer[offset : offset + size].reshape(shape)``) of one buffer, and so does each
per-parameter state array (momentum, running averages). An update written for one array
then updates every parameter at once, and gives the same numbers, element for element, as
the per-parameter loop (the same operations in the same order on each element).

What can break the views, and what is done about it:

* the user replaces a parameter's array (``p.data = ...``, ``p.array = ...``) or a state
  array (``optimizer.load_state_dict``): each step first checks, by identity, that every
  array is still its view; if not, the group is rebuilt from the current arrays;
* someone else holds the array (another tensor sharing it, a view of it): turning it into
  a view of our buffer would cut that link, so with ``foreach=None`` such a group keeps the
  per-parameter loop (the array must be referenced by its tensor alone);
* a parameter has no gradient this step: the per-parameter loop runs (it skips it).

Gradients are new arrays after every backward pass, so they are gathered into one flat
array per step (one ``np.concatenate``), unless they already are views of it.
"""

from __future__ import annotations

import sys

import numpy as np


def _references(tensor) -> int:
    """How many references ``tensor.array`` has, as seen from here."""
    array = tensor.array
    return sys.getrefcount(array)


class _Holder:
    __slots__ = ("array",)


def _alone() -> int:
    """:func:`_references` of an array held only by its tensor (measured, not assumed:
    the count seen by getrefcount differs between Python versions)."""
    holder = _Holder()
    holder.array = np.empty(1)
    return _references(holder)


_ALONE = _alone()


def _exclusive(tensors, ours=()) -> bool:
    """True when every array is a plain contiguous NumPy array that owns its memory and
    that nothing but its tensor refers to (so making it a view cuts no link), or is one of
    ``ours`` (the views of an earlier flat buffer)."""
    ours = {id(view) for view in ours}
    for t in tensors:
        a = t.array
        if id(a) in ours:
            continue
        if type(a) is not np.ndarray or a.base is not None or not a.flags.c_contiguous:
            return False
        del a
        if _references(t) > _ALONE:
            return False
    return True


class FlatGroup:
    """One parameter group's tensors (one dtype) as views of ``buffer``; state arrays and
    the gathered gradient as views of buffers of the same layout."""

    def __init__(self, params: list) -> None:
        self.params = list(params)
        self.shapes = [p.array.shape for p in self.params]
        sizes = [p.array.size for p in self.params]
        self.bounds = np.cumsum([0, *sizes]).tolist()
        self.buffer = np.empty(self.bounds[-1], self.params[0].array.dtype)
        self.views = self.split(self.buffer)
        for p, view in zip(self.params, self.views):
            view[...] = p.array
            p.array = view
        self.grad = np.empty_like(self.buffer)
        self.grad_views = self.split(self.grad)
        self.scratch = np.empty_like(self.buffer)
        self.states = {}  # state name -> (flat array, its views)

    def split(self, flat) -> list:
        """Views of ``flat`` with the parameters' shapes."""
        b = self.bounds
        return [flat[b[i] : b[i + 1]].reshape(s) for i, s in enumerate(self.shapes)]

    def intact(self, params: list) -> bool:
        """The group still lists these parameters and each array is still our view."""
        if len(params) != len(self.params):
            return False
        for p, mine, view in zip(params, self.params, self.views):
            if p is not mine or p.array is not view:
                return False
        return True

    def gradients(self):
        """The flat gradient (every parameter has one: see :meth:`ready`)."""
        grads = [p.grad.array for p in self.params]
        if all(g is v for g, v in zip(grads, self.grad_views)):
            return self.grad
        np.concatenate([g.reshape(-1) for g in grads], out=self.grad)
        return self.grad

    def ready(self, states: dict, names) -> bool:
        """The flat step can run: every parameter has a gradient (a NumPy array), and every
        state in ``names`` or none (a first step); otherwise (some parameter sits this step
        out, or some were stepped alone) the loop must run."""
        for p in self.params:
            if p.grad is None or type(p.grad.array) is not np.ndarray:
                return False
        present = sum(states[p].get(n) is not None for p in self.params for n in names)
        return present == 0 or present == len(self.params) * len(names)

    def state(self, states: dict, name: str):
        """The flat array behind every parameter's ``states[p][name]``, or None when some
        parameter has no such entry yet. Entries that are not our views (a first step in
        the loop, ``load_state_dict``) are copied into a flat array, which then replaces
        them as views."""
        flat, views = self.states.get(name, (None, None))
        entries = [states[p].get(name) for p in self.params]
        if views is not None and all(e is v for e, v in zip(entries, views)):
            return flat
        if any(e is None for e in entries):
            return None
        flat = np.concatenate([np.reshape(e, -1) for e in entries]).astype(self.buffer.dtype)
        self.adopt(states, name, flat)
        return flat

    def adopt(self, states: dict, name: str, flat) -> None:
        """Make ``flat`` the state ``name``: each parameter's entry becomes its view."""
        views = self.split(flat)
        for p, view in zip(self.params, views):
            states[p][name] = view
        self.states[name] = (flat, views)


def flat_group(optimizer, index: int, group: dict):
    """The :class:`FlatGroup` for ``optimizer.param_groups[index]`` when its step can run
    on flat buffers, else None (the per-parameter loop runs)."""
    if optimizer.foreach is False:
        return None
    params = group["params"]
    flat = optimizer._flat.get(index)
    if flat is not None and flat.intact(params):
        return flat
    usable = (
        len(params) > 0
        and len({p.array.dtype for p in params}) == 1
        and (optimizer.foreach or _exclusive(params, () if flat is None else flat.views))
        and all(type(p.array) is np.ndarray for p in params)
    )
    if not usable:
        return None  # (an earlier FlatGroup stays: its views are recognised when rebuilding)
    flat = optimizer._flat[index] = FlatGroup(params)
    return flat
