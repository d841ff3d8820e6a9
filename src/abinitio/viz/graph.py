"""``draw_graph``: the computation graph behind a tensor, as Graphviz DOT text.

The graph is what ``backward()`` walks: oval nodes are tensors (leaves such as inputs and
weights, and intermediate results), boxes are the operations that made them. Each tensor
shows its shape and, when small, its values and gradient, so the chain rule can be
followed by eye (micrograd's ``draw_dot`` idea). The DOT text needs nothing installed; with
the ``graphviz`` package and its ``dot`` program, ``render=`` writes an SVG or PNG.

Draw before ``backward()``, or call ``backward(retain_graph=True)`` first to see the
gradients: a plain ``backward()`` frees the graph.
"""

from __future__ import annotations

import numpy as np

from abinitio.backend import to_numpy
from abinitio.tensor import Tensor


def to_dot(root: Tensor, labels: dict | None = None, max_values: int = 6) -> str:
    """The graph that produced ``root`` in Graphviz DOT syntax.

    Args:
        root: the output tensor (e.g. a loss).
        labels: optional names for tensors, ``{x: "x", w: "w"}``, shown in their nodes.
        max_values: show values and gradients of tensors with at most this many elements.

    Example:
        >>> import abinitio as ab
        >>> x = ab.tensor(2.0, requires_grad=True)
        >>> y = (x * 3).tanh()
        >>> dot = to_dot(y, labels={x: "x"})
        >>> dot.startswith("digraph") and "MulBackward" in dot and "TanhBackward" in dot
        True

    See the article docs/articles/learning/backpropagation.py.
    """
    labels = {id(t): name for t, name in (labels or {}).items()}
    lines = ["digraph autograd {", '  rankdir="LR";', '  node [fontname="Helvetica", fontsize=10];']
    seen, stack = set(), [root]
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        lines.append(
            f'  t{id(tensor)} [shape=oval, label="{_tensor_label(tensor, labels, max_values)}"];'
        )
        ctx = tensor._ctx
        if ctx is None:
            continue
        lines.append(
            f'  f{id(ctx)} [shape=box, style=filled, fillcolor="#eef3fb", label="{ctx.name()}"];'
        )
        lines.append(f"  f{id(ctx)} -> t{id(tensor)};")
        if ctx.freed:
            lines.append(f"  f{id(ctx)} -> f{id(ctx)}_freed [style=dashed];")
            lines.append(
                f'  f{id(ctx)}_freed [shape=plaintext, label="(graph freed by backward)"];'
            )
        for x in ctx.inputs:
            if isinstance(x, Tensor):
                lines.append(f"  t{id(x)} -> f{id(ctx)};")
                stack.append(x)
    lines.append("}")
    return "\n".join(lines)


def _tensor_label(tensor: Tensor, labels: dict, max_values: int) -> str:
    parts = []
    if id(tensor) in labels:
        parts.append(labels[id(tensor)])
    parts.append(f"shape {tuple(tensor.shape)}" if tensor.ndim else "scalar")
    if tensor.array.size <= max_values:
        parts.append(f"data {_format(tensor.array)}")
        if tensor.grad is not None:
            parts.append(f"grad {_format(tensor.grad.array)}")
    if tensor.is_leaf and tensor.requires_grad:
        parts.append("(leaf, requires grad)")
    return "\\n".join(part.replace('"', "'") for part in parts)


def _format(array) -> str:
    values = np.asarray(to_numpy(array))
    if values.ndim == 0:
        return f"{values.item():.4g}"
    return np.array2string(values, precision=4, separator=", ").replace("\n", "")


def draw_graph(root: Tensor, labels: dict | None = None, render: str | None = None,
               format: str = "svg"):  # fmt: skip
    """The DOT text of ``root``'s graph; with ``render="path/name"``, also draw it to
    ``path/name.svg`` (or ``.png``) using the ``graphviz`` package and program, and return
    that file's path. Without them, rendering raises an ImportError that says what to
    install; the DOT text itself never needs them.

    See the article docs/articles/learning/backpropagation.py.
    """
    dot = to_dot(root, labels)
    if render is None:
        return dot
    try:
        import graphviz
    except ImportError as error:
        raise ImportError(
            "draw_graph(render=...) needs the graphviz package and program: "
            "pip install graphviz, and apt install graphviz (or brew install graphviz)"
        ) from error
    return graphviz.Source(dot).render(render, format=format, cleanup=True)
