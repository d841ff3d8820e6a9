"""The backward pass: reverse-mode automatic differentiation by the chain rule.

Each recorded operation is a node holding its inputs (:class:`~abinitio.autograd.function.Context`).
``backward(root)`` visits the nodes from the root back to the leaves in reverse topological
order, so a node runs only after every path from the root to it has delivered its share of
``dL/d(node)``. At each node it calls the primitive's ``backward`` (one local derivative
times the incoming gradient: the chain rule), sums the result down to each input's shape
(undoing broadcasting), and adds it to what that input already received. Leaves (tensors
the user made, such as weights) end up with ``.grad``; intermediate results do not, unless
they called ``retain_grad()``.

A leaf's post-accumulate-grad hooks (:func:`register_post_accumulate_grad_hook`, PyTorch's
``Tensor.register_post_accumulate_grad_hook``) run as soon as its last contribution has
arrived and been added to ``.grad``, before the rest of the walk: DistributedDataParallel
starts a bucket's all-reduce there. Such a leaf's contributions are counted beforehand
(one per edge into it); any other leaf gets its ``.grad`` at the end of the walk.

The order comes from an iterative depth-first search, so a graph 10,000 operations deep
does not hit Python's recursion limit. After the pass each node drops its saved arrays and
its links (freeing memory); ``retain_graph=True`` keeps them for a second backward.
"""

from __future__ import annotations

import math

import numpy as np

from abinitio.autograd import anomaly, profiling
from abinitio.ops.arguments import array_of
from abinitio.tensor import Tensor


def backward(root: Tensor, gradient=None, retain_graph: bool = False) -> None:
    """Accumulate ``d(root)/d(leaf)`` (times ``gradient``) into every leaf's ``.grad``.

    See the article docs/articles/learning/backpropagation.py.
    """
    recorder = profiling._state.recorder  # None unless a profiler runs
    if recorder is None:
        return _backward(root, gradient, retain_graph, None)
    arguments = (root, gradient, retain_graph, recorder)
    return recorder.run("autograd::backward", _backward, arguments)


def _backward(root, gradient, retain_graph, recorder) -> None:
    seed = _seed_gradient(root, gradient)
    # ids of arrays that some tensor's .grad (or the caller) holds: a gradient passed
    # through unchanged (by add, reshape, ...) may be one of them, and is then copied
    stored = {id(seed)}
    if root._ctx is None:
        _accumulate(root, _run_hooks(root, seed), stored)
        _run_post_accumulate_hooks(root)
        return
    grads = {id(root): seed}
    leaf_grads = {}
    order = _topological_order(root)
    # edges still to deliver into each leaf that has post-accumulate hooks (else None)
    pending = _count_hooked_edges(order) if _post_accumulate_hooks else None
    for node in reversed(order):
        grad = grads.pop(id(node), None)
        if grad is None:
            continue
        if node._hooks:
            grad = _run_hooks(node, grad)
        if node._retains_grad:
            _accumulate(node, grad, stored)
        ctx = node._ctx
        if ctx.freed:
            raise RuntimeError(
                f"backward: trying to go through the graph a second time ({ctx.name()}), "
                "but its saved values were freed after the first backward(). Pass "
                "retain_graph=True to the first backward() if you need to backward twice."
            )
        if recorder is None:
            input_grads = ctx.fn.backward(ctx, grad)
        else:
            input_grads = recorder.run(ctx.name(), ctx.fn.backward, (ctx, grad), None, (grad,))
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        if anomaly._state.enabled:
            anomaly.check_backward(ctx, grad, input_grads)
        for x, gx, needed in zip(ctx.inputs, input_grads, ctx.needs_input_grad):
            if needed and gx is not None:
                if gx.shape != x.array.shape:
                    gx = unbroadcast(gx, x.array.shape, ctx)
                if gx.dtype != x.array.dtype:
                    gx = gx.astype(x.array.dtype)  # float32 data gets float32 gradients
                key = id(x)
                if x._ctx is None:
                    entry = leaf_grads.get(key)
                    if entry is None:
                        leaf_grads[key] = [x, gx]
                    else:
                        entry[1] = entry[1] + gx
                else:
                    previous = grads.get(key)
                    grads[key] = gx if previous is None else previous + gx
            if pending is not None and id(x) in pending:
                _edge_delivered(x, pending, leaf_grads, stored)
        if not retain_graph:
            ctx.saved_tensors = None  # now ctx.freed
            ctx.inputs = ()
    for leaf, grad in leaf_grads.values():
        _accumulate(leaf, _run_hooks(leaf, grad), stored)
        if pending is not None and id(leaf) in pending:
            _run_post_accumulate_hooks(leaf)  # a path into it was never walked


# ---- post-accumulate-grad hooks --------------------------------------------------------
# They live in the tensor's own hook list, wrapped so that _run_hooks passes them by (a
# hook that refers to its tensor then forms a cycle the garbage collector frees, as with
# register_hook). The count only lets the walk skip the edge counting when none exist.
_post_accumulate_hooks = 0


class _PostAccumulate:
    __slots__ = ("hook",)

    def __init__(self, hook) -> None:
        self.hook = hook


def register_post_accumulate_grad_hook(tensor: Tensor, hook):
    """Call ``hook(tensor)`` after ``tensor.grad`` has received every contribution of a
    backward pass (PyTorch's ``Tensor.register_post_accumulate_grad_hook``); the hook's
    return value is ignored. Leaves only. Returns a handle whose ``remove()`` unregisters it.
    """
    global _post_accumulate_hooks
    if tensor._ctx is not None:
        raise RuntimeError(
            "register_post_accumulate_grad_hook: post accumulate grad hooks cannot be "
            f"registered on non-leaf tensors (this one was made by {tensor._ctx.name()})"
        )
    if not tensor.requires_grad:
        raise RuntimeError("register_post_accumulate_grad_hook: this tensor does not require grad")
    if tensor._hooks is None:
        tensor._hooks = []
    wrapped = _PostAccumulate(hook)
    tensor._hooks.append(wrapped)
    _post_accumulate_hooks += 1
    return _PostAccumulateHandle(tensor._hooks, wrapped)


class _PostAccumulateHandle:
    def __init__(self, hooks: list, wrapped) -> None:
        self._hooks, self._wrapped = hooks, wrapped

    def remove(self) -> None:
        global _post_accumulate_hooks
        if self._wrapped in self._hooks:
            self._hooks.remove(self._wrapped)
            _post_accumulate_hooks -= 1


def _hooks_of(tensor):
    """The tensor's post-accumulate hooks, or None."""
    if not tensor._hooks:
        return None
    hooks = [h.hook for h in tensor._hooks if type(h) is _PostAccumulate]
    return hooks or None


def _run_post_accumulate_hooks(tensor) -> None:
    for hook in _hooks_of(tensor) or ():
        hook(tensor)


def _count_hooked_edges(order: list) -> dict:
    """``{id(leaf): number of edges into it}`` for the leaves with post-accumulate hooks."""
    pending = {}
    for node in order:
        for x in node._ctx.inputs:
            if isinstance(x, Tensor) and x._ctx is None and _hooks_of(x) is not None:
                pending[id(x)] = pending.get(id(x), 0) + 1
    return pending


def _edge_delivered(leaf, pending: dict, leaf_grads: dict, stored: set) -> None:
    """One edge into a hooked leaf has delivered its contribution (or none); on the last,
    accumulate the leaf's gradient into ``.grad`` and run its hooks."""
    key = id(leaf)
    pending[key] -= 1
    if pending[key] == 0:
        entry = leaf_grads.pop(key, None)
        if entry is not None:  # PyTorch runs no hook when no gradient arrived
            _accumulate(leaf, _run_hooks(leaf, entry[1]), stored)
            _run_post_accumulate_hooks(leaf)


def unbroadcast(grad, shape: tuple, ctx=None):
    """Sum ``grad`` down to ``shape``: the backward of NumPy broadcasting.

    Broadcasting copies an input along new leading axes and along axes of size 1, so every
    copy received a share of the gradient: summing over those axes collects them.

    Example:
        >>> unbroadcast(np.ones((4, 2, 3)), (2, 1)).tolist()
        [[12.0], [12.0]]
    """
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise RuntimeError(_bad_gradient(grad, shape, ctx))
    axes = list(range(extra))
    for i, size in enumerate(shape):
        if size == 1 and grad.shape[extra + i] != 1:
            axes.append(extra + i)
    summed = np.sum(grad, axis=tuple(axes), keepdims=True) if axes else grad
    if summed.size != math.prod(shape):
        raise RuntimeError(_bad_gradient(grad, shape, ctx))
    return summed.reshape(shape)


def _bad_gradient(grad, shape, ctx) -> str:
    name = ctx.name() if ctx is not None else "backward"
    return f"{name} returned a gradient of shape {grad.shape} for an input of shape {shape}"


def _topological_order(root: Tensor) -> list:
    """Nodes reachable from ``root`` (itself included), each after all of its inputs.

    An explicit stack replaces recursion: each entry is a node and an iterator over its
    inputs; a node is emitted once all of its inputs have been emitted.
    """
    order = []
    visited = {id(root)}
    stack = [(root, iter(root._ctx.inputs))]
    while stack:
        node, inputs = stack[-1]
        for x in inputs:
            if isinstance(x, Tensor) and x._ctx is not None and id(x) not in visited:
                visited.add(id(x))
                stack.append((x, iter(x._ctx.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _seed_gradient(root: Tensor, gradient):
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no graph; make its inputs "
            "with requires_grad=True (and not under ab.no_grad()) to differentiate it"
        )
    if gradient is None:
        if root.array.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicitly created only for a scalar output, but this "
                f"tensor has shape {root.shape}; pass gradient= (a tensor of that shape)"
            )
        data = root.array
        if type(data) is np.ndarray or isinstance(data, np.generic):
            return np.ones(data.shape, data.dtype)  # ones_like's dispatch costs 2 us here
        return np.ones_like(data)
    seed = array_of(gradient)
    if seed.shape != root.array.shape:
        raise RuntimeError(
            f"backward: gradient has shape {seed.shape}, but the tensor has shape {root.shape}"
        )
    return seed.astype(root.array.dtype, copy=False)


def _run_hooks(tensor: Tensor, grad):
    if not tensor._hooks:
        return grad
    for hook in tensor._hooks:
        if type(hook) is _PostAccumulate:
            continue  # runs after accumulation, not on the incoming gradient
        result = hook(Tensor._make(grad, False, None))
        if result is not None:
            grad = array_of(result)
    return grad


def _accumulate(tensor: Tensor, grad, stored: set) -> None:
    """``tensor.grad += grad``, in place, as PyTorch does. ``.grad`` must own its array, so
    a gradient that is a view, read-only, or already held elsewhere is copied first."""
    if grad.dtype != tensor.array.dtype:
        grad = grad.astype(tensor.array.dtype)
    if tensor.grad is None:
        exclusive = (
            isinstance(grad, np.ndarray)
            and grad.base is None
            and grad.flags.writeable
            and id(grad) not in stored
        )
        tensor.grad = Tensor._make(grad if exclusive else grad.copy(), False, None)
        stored.add(id(tensor.grad.array))
    elif isinstance(tensor.grad.array, np.ndarray) and tensor.grad.array.flags.writeable:
        np.add(tensor.grad.array, grad, out=tensor.grad.array)
    else:
        tensor.grad.array = tensor.grad.array + grad
