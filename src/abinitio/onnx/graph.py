"""``GraphBuilder``: the ONNX nodes, constants and value names of one export.

A value of the trace (a Tensor, or the raw array inside it) has one ONNX name. Inputs get
the names the caller gives, parameters and buffers their ``state_dict`` names (as
``torch.onnx.export`` names initializers), and each converted node fresh names
``/<op>_<k>``. Anything else a primitive receives is a constant and becomes an
initializer holding its traced value.
"""

from __future__ import annotations

import numpy as np

from abinitio.tensor import Tensor


class GraphBuilder:
    """Collects ONNX ``NodeProto`` s and initializers while the converters run."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers = [], []
        self.names: dict[int, object] = {}  # id(Tensor or array) -> ONNX name
        self.dtypes: dict[str, np.dtype] = {}
        self.keep: list = []  # holds what is named, so that no id is reused
        self.parameters: dict[int, tuple] = {}  # id -> (state_dict name, Tensor), unused yet
        self.count = 0

    def add_parameters(self, named) -> None:
        """Parameters and buffers, by ``state_dict`` name: each becomes an initializer the
        first time an op uses it (tied weights: once, under their first name)."""
        for name, tensor in named:
            if tensor is None:
                continue
            self.parameters.setdefault(id(tensor), (name, tensor))
            self.parameters.setdefault(id(tensor.array), (name, tensor))

    # ---- values ---------------------------------------------------------------------
    def bind(self, value, name, array=None) -> None:
        """Give ``value`` (a Tensor or array) and its raw array the ONNX name ``name``."""
        array = value.array if isinstance(value, Tensor) else value if array is None else array
        self.keep += [value, array]
        self.names[id(value)] = name
        self.names.setdefault(id(array), name)
        if isinstance(name, str):
            self.dtypes[name] = np.asarray(array).dtype

    def lookup(self, value):
        """The name of a traced value, or None for a constant."""
        if isinstance(value, (Tensor, np.ndarray)):
            name = self.names.get(id(value))
            if name is None and isinstance(value, Tensor):
                name = self.names.get(id(value.array))
            if name is None and id(value) in self.parameters:
                name, tensor = self.parameters[id(value)]
                self.initializer(tensor.array, name)
                self.bind(tensor, name)
            return name
        return None

    def operand(self, value, dtype=None) -> str:
        """The ONNX name of ``value`` as an input of a node, cast to ``dtype`` if given."""
        name = self.lookup(value)
        if name is None:
            array = value.array if isinstance(value, Tensor) else np.asarray(value)
            return self.constant(array if dtype is None else array.astype(dtype))
        if not isinstance(name, str):
            raise name.error()
        if dtype is not None and self.dtypes[name] != np.dtype(dtype):
            return self.cast(name, dtype)
        return name

    def dtype(self, value) -> np.dtype:
        name = self.lookup(value)
        if isinstance(name, str):
            return self.dtypes[name]
        return (value.array if isinstance(value, Tensor) else np.asarray(value)).dtype

    def constant(self, array, hint: str = "const") -> str:
        array = np.asarray(array)
        name = self.fresh(hint)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        self.dtypes[name] = array.dtype
        return name

    def ints(self, values) -> str:
        """An int64 1-D constant (shapes, axes, pads given as inputs)."""
        return self.constant(np.asarray(list(values), dtype=np.int64))

    def initializer(self, array, name: str) -> None:
        tensor = self.numpy_helper.from_array(np.ascontiguousarray(array), name)
        self.initializers.append(tensor)
        self.dtypes[name] = np.asarray(array).dtype

    # ---- nodes ----------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        self.count += 1
        return f"/{hint}_{self.count}"

    def node(self, op: str, inputs, outputs: int = 1, dtype=None, **attributes):
        """Add one ONNX node; returns its output name (a list if ``outputs`` > 1).
        ``dtype`` records the output's element type when it differs from the first
        input's (Cast, Shape, comparisons)."""
        names = [self.fresh(op) for _ in range(outputs)]
        self.nodes.append(self.helper.make_node(op, list(inputs), names, **attributes))
        first = next((self.dtypes.get(i) for i in inputs if i), None)
        for name in names:
            self.dtypes[name] = np.dtype(dtype) if dtype is not None else first
        return names[0] if outputs == 1 else names

    def cast(self, name: str, dtype) -> str:
        to = self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        return self.node("Cast", [name], dtype=dtype, to=to)
