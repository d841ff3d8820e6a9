"""Export a model to ONNX by tracing abinitio's own graph of Functions.

``export(model, example_args, path)`` runs the model once on the example (in eval mode,
without recording gradients) and records every primitive it calls (:mod:`.trace`); each
primitive becomes one or a few ONNX nodes (:mod:`.ops`), parameters and buffers become
initializers under their ``state_dict`` names, and the file is a standard ONNX model
(opset 17) that onnxruntime, Netron or any ONNX runtime reads.

What a trace can and cannot hold:

* Python control flow is unrolled for the example: a loop becomes that many copies of its
  body, an ``if`` keeps the branch taken. Shapes are fixed except the axes named in
  ``dynamic_axes``, and only where the model's reshapes keep those axes as leading dims
  (a flatten(1) does); a causal mask sized for the example's length stays that size.
* A value computed outside the graph from the input (``x.numpy()``, a comparison turned
  into a mask) would be frozen at its traced value. The export therefore traces twice, on
  the example and on other values of the same shape, and refuses a model whose constants
  or operations change between the two.
* A primitive without an ONNX mapping is an :class:`UnsupportedOperatorError` that names
  it and the line of your code that called it.

Needs the ``onnx`` package (``pip install abinitio[onnx]``, which also brings onnxruntime
to run the result). ``torch.onnx.export`` takes the same arguments.

See the article docs/articles/architectures/onnx_export.py.
"""

from __future__ import annotations

import inspect
import os
import tempfile
import warnings

import numpy as np

from abinitio.onnx.ops import CONVERTERS, UnsupportedOperatorError
from abinitio.tensor import Tensor

DEFAULT_OPSET = 17

__all__ = ["DEFAULT_OPSET", "UnsupportedOperatorError", "export", "supported_ops"]


def supported_ops() -> list[str]:
    """The names of the primitives that have an ONNX mapping."""
    return sorted(CONVERTERS)


def export(model, args, f, *, input_names=None, output_names=None, dynamic_axes=None,
           opset_version: int | None = None, export_params: bool = True,
           verbose: bool = False, do_constant_folding: bool = True, dynamo=None):  # fmt: skip
    """Write ``model`` as an ONNX file, traced on the example inputs ``args``.

    Args:
        model: a Module (or any callable on Tensors made of abinitio operations).
        args: the example input: a Tensor, or a tuple of them (``None`` entries are
            passed through and are not graph inputs).
        f: a path, or a binary file object (``io.BytesIO``), to write the model to.
        input_names: the graph's input names (default: the names of ``forward``'s
            parameters, else ``input_0``, ...).
        output_names: the graph's output names (default ``output`` or ``output_0``, ...).
        dynamic_axes: ``{name: {axis: "label"}}`` or ``{name: [axis, ...]}``: axes whose
            size may change at run time (typically the batch, ``{0: "batch"}``).
        opset_version: the ONNX operator set (default 17, the least that has
            LayerNormalization; an older one is raised to 17 with a warning, as torch's
            exporter raises it to 18).
        export_params: store the weights in the file (True; False is not supported).
        verbose: print the graph in ONNX's text form.
        do_constant_folding, dynamo: ignored; accepted for ``torch.onnx.export``'s
            signature (a trace of primitives has nothing left to fold).

    Returns:
        the ``onnx.ModelProto`` written (also checked with ``onnx.checker``).

    Raises:
        UnsupportedOperatorError: a primitive, or one use of it, has no ONNX mapping.
        ValueError: bad names, or values outside the graph that depend on the input.

    Example:
        >>> import io
        >>> import abinitio as ab
        >>> model = ab.nn.Sequential(ab.nn.Linear(3, 4), ab.nn.ReLU())
        >>> proto = export(model, ab.randn(2, 3), io.BytesIO(), input_names=["x"],
        ...                dynamic_axes={"x": {0: "batch"}})
        >>> [node.op_type for node in proto.graph.node]
        ['Gemm', 'Relu', 'Identity']

    See the article docs/articles/architectures/onnx_export.py.
    """
    try:
        import onnx
    except ImportError as error:
        raise ImportError(
            "abinitio.onnx.export needs the onnx package: pip install 'abinitio[onnx]' "
            f"(or pip install onnx onnxruntime); {error}"
        ) from None
    from abinitio.onnx.graph import GraphBuilder

    if not export_params:
        raise ValueError("export: export_params=False (weights as graph inputs) is not supported")
    args = _as_args(args)
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if opset < DEFAULT_OPSET:  # torch's own exporter upgrades an old opset the same way
        warnings.warn(f"export: opset_version {opset} is older than the {DEFAULT_OPSET} this "
                      f"exporter writes; writing opset {DEFAULT_OPSET}", stacklevel=2)  # fmt: skip
        opset = DEFAULT_OPSET
    calls, outputs = _trace(model, args)
    outputs = _flatten(outputs)
    inputs = [(k, x) for k, x in enumerate(args) if isinstance(x, Tensor)]
    input_names = _names(input_names, _default_input_names(model, args, inputs), "input_names")
    output_names = _names(output_names, _numbered("output", len(outputs)), "output_names")
    axes = _dynamic_axes(dynamic_axes, input_names + output_names)

    g = GraphBuilder()
    for (_, x), name in zip(inputs, input_names):
        g.bind(x, name)
    if hasattr(model, "named_parameters"):
        g.add_parameters(model.named_parameters())
        g.add_parameters(model.named_buffers())
    for call in calls:
        g.bind(call.output, CONVERTERS[call.name](g, call))
    for tensor, name in zip(outputs, output_names):
        g.nodes.append(g.helper.make_node("Identity", [g.operand(tensor)], [name]))

    def info(name, x):
        shape = [axes.get(name, {}).get(i, n) for i, n in enumerate(x.array.shape)]
        elem = g.helper.np_dtype_to_tensor_dtype(x.array.dtype)
        return g.helper.make_tensor_value_info(name, elem, shape)

    graph = g.helper.make_graph(
        g.nodes, type(model).__name__,
        [info(name, x) for (_, x), name in zip(inputs, input_names)],
        [info(name, t) for t, name in zip(outputs, output_names)],
        g.initializers,
    )  # fmt: skip
    proto = g.helper.make_model(graph, opset_imports=[g.helper.make_opsetid("", opset)],
                                producer_name="abinitio")  # fmt: skip
    proto.ir_version = 8  # opset 17's; onnxruntime >= 1.13 reads it
    onnx.checker.check_model(proto)
    _write(proto.SerializeToString(), f)
    if verbose:
        print(onnx.printer.to_text(proto.graph))
    return proto


def _as_args(args) -> tuple:
    if isinstance(args, Tensor):
        return (args,)
    if isinstance(args, np.ndarray):
        return (Tensor(args),)
    if isinstance(args, (tuple, list)):
        return tuple(Tensor(a) if isinstance(a, np.ndarray) else a for a in args)
    raise TypeError(
        f"export: args must be a Tensor or a tuple of Tensors, got {type(args).__name__}"
    )


def _trace(model, args):
    """Trace twice (the example, then other values) and check the traces agree."""
    from abinitio.onnx import trace

    was_training = getattr(model, "training", None)
    if was_training is not None:
        model.eval()  # torch.onnx.export's default: dropout off, batch norm's running stats
    try:
        calls, outputs = trace.run_traced(model, args, CONVERTERS)
        for call in calls:
            if call.name not in CONVERTERS:
                raise UnsupportedOperatorError(
                    call.name, f"the ops that export are {', '.join(supported_ops())}",
                    call.call_site,
                )  # fmt: skip
        second, _ = trace.run_traced(model, trace.perturbed(args), CONVERTERS)
    finally:
        if was_training:
            model.train()
    _compare(calls, second, args)
    return calls, outputs


def _compare(calls, second, args) -> None:
    """The two traces must run the same ops with the same constants: otherwise the model
    branches on its input's values, or computes a value outside the graph."""
    from abinitio.onnx.trace import same_constant

    traced = {id(x) for x in args if isinstance(x, Tensor)}
    traced |= {id(x.array) for x in args if isinstance(x, Tensor)}
    if len(calls) != len(second) or any(a.fn is not b.fn for a, b in zip(calls, second)):
        raise ValueError(
            "export: the model ran different operations on other inputs of the same shape "
            f"({len(calls)} vs {len(second)} ops): it branches on the input's values, which "
            "a trace cannot hold"
        )
    for k, (a, b) in enumerate(zip(calls, second)):
        for x, y in zip(list(a.inputs) + list(a.options.values()),
                        list(b.inputs) + list(b.options.values())):  # fmt: skip
            if x is y or _is_traced(x, traced):
                continue
            if not same_constant(x, y):
                raise ValueError(
                    f"export: op {k} ({a.name}) receives a value that changes with the input "
                    "but was computed outside abinitio's graph of Functions (NumPy on "
                    ".array, .numpy(), a comparison or argmax), so a trace would freeze it; "
                    "compute it with Tensor operations"
                )
        traced |= {id(a.output), id(a.output.array)}


def _is_traced(x, traced: set) -> bool:
    if isinstance(x, Tensor):
        return id(x) in traced or id(x.array) in traced
    return isinstance(x, np.ndarray) and id(x) in traced


def _flatten(outputs) -> list:
    if isinstance(outputs, Tensor):
        return [outputs]
    if isinstance(outputs, (tuple, list)):
        return [t for item in outputs for t in _flatten(item)]
    raise TypeError(
        f"export: the model must return Tensors (or tuples of them), got {type(outputs).__name__}"
    )


def _numbered(stem: str, count: int) -> list[str]:
    return [stem] if count == 1 else [f"{stem}_{k}" for k in range(count)]


def _default_input_names(model, args, inputs) -> list[str]:
    forward = getattr(model, "forward", model)
    try:
        parameters = [p.name for p in inspect.signature(forward).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]  # fmt: skip
    except (TypeError, ValueError):
        parameters = []
    if len(parameters) >= len(args):
        return [parameters[k] for k, _ in inputs]
    return _numbered("input", len(inputs))


def _names(given, default, what: str) -> list[str]:
    if given is None:
        return default
    given = list(given)
    if len(given) != len(default) or len(set(given)) != len(given):
        raise ValueError(
            f"export: {what} must be {len(default)} distinct names (one per "
            f"{what.split('_')[0]}), got {given}"
        )
    return given


def _dynamic_axes(dynamic_axes, names) -> dict:
    result = {}
    for name, spec in (dynamic_axes or {}).items():
        if name not in names:
            raise ValueError(
                f"export: dynamic_axes names {name!r}, which is neither an input nor an "
                f"output; the graph's names are {names}"
            )
        if isinstance(spec, dict):
            result[name] = {int(axis): str(label) for axis, label in spec.items()}
        else:
            result[name] = {int(axis): f"{name}_dynamic_axes_{k + 1}"
                            for k, axis in enumerate(spec)}  # fmt: skip
    return result


def _write(data: bytes, f) -> None:
    """To a file object, or atomically to a path (a temporary file, then a rename)."""
    if hasattr(f, "write"):
        f.write(data)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".onnx-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
