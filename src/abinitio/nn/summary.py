"""``summary(model, input_size)``: a table of layers, output shapes and parameter counts,
like Keras' ``model.summary()``.

See the article docs/articles/neurons/layers.py.
"""

from __future__ import annotations

import numpy as np

from abinitio import dtypes
from abinitio.autograd.grad_mode import no_grad
from abinitio.tensor import Tensor


def summary(model, input_size, dtype=None, print_fn=print) -> str:
    """Run one forward pass on zeros of ``input_size`` (batch dim included, e.g.
    ``(1, 784)``; a list of sizes for several inputs) and tabulate every layer.

    The model is put in eval mode for the pass (no dropout, no running-statistics update)
    and restored afterwards. Returns the table; ``print_fn`` (default ``print``) shows it.

    Example:
        >>> import abinitio as ab
        >>> model = ab.nn.Sequential(ab.nn.Linear(4, 8), ab.nn.ReLU(), ab.nn.Linear(8, 2))
        >>> table = summary(model, (1, 4), print_fn=None)
        >>> "Total params: 58" in table
        True
    """
    sizes = [input_size] if isinstance(input_size[0], int) else list(input_size)
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    inputs = [Tensor(np.zeros(size, dtype=dtype)) for size in sizes]
    rows, handles = [], []
    for name, module in model.named_modules():
        if module is model and list(model.children()):
            continue
        handles.append(module.register_forward_hook(_recorder(rows, name, module)))
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        with no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes.items():
            object.__setattr__(module, "training", mode)
    table = _format(model, rows)
    if print_fn is not None:
        print_fn(table)
    return table


def _recorder(rows, name, module):
    own = sum(p.numel() for p in module.parameters(recurse=False))
    is_leaf = not list(module.children())

    def record(module_, inputs, output):
        if is_leaf or own:
            label = f"{name} ({type(module_).__name__})" if name else type(module_).__name__
            rows.append((label, _shape_of(output), own))

    return record


def _shape_of(output) -> str:
    if isinstance(output, Tensor):
        return str(tuple(output.shape))
    if isinstance(output, (tuple, list)):
        return ", ".join(_shape_of(o) for o in output if o is not None)
    return type(output).__name__


def _format(model, rows) -> str:
    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    width = max([len("Layer (type)")] + [len(r[0]) for r in rows]) + 2
    shape_width = max([len("Output Shape")] + [len(r[1]) for r in rows]) + 2
    rule = "=" * (width + shape_width + 12)
    lines = [type(model).__name__, rule]
    lines.append(f"{'Layer (type)':<{width}}{'Output Shape':<{shape_width}}{'Param #':>12}")
    lines.append(rule)
    lines += [f"{label:<{width}}{shape:<{shape_width}}{count:>12,}" for label, shape, count in rows]
    lines += [
        rule,
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
        rule,
    ]
    return "\n".join(lines)
