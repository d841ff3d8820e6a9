"""One converter per abinitio primitive: the ONNX nodes that compute what its ``forward`` does.

A converter receives the :class:`GraphBuilder` and the traced :class:`Call` and returns the
ONNX name of the result. ``CONVERTERS`` maps the primitive's class name to its converter;
a primitive missing from it cannot be exported, and the export says so, naming it.

Most primitives are one ONNX operator (``ReLU`` -> ``Relu``, ``Conv2d`` -> ``Conv``). The
others are short compositions, written from the primitive's docstring:

* ``GELU``: 0.5 x (1 + erf(x / sqrt 2)), or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
* ``ScaledDotProductAttention``: softmax(Q K^T * scale + M) V.
* ``GRULayer`` / ``LSTMLayer``: ONNX's GRU (``linear_before_reset=1``: the reset gate
  multiplies W_hn h + b_hn, PyTorch's form) and LSTM, with the gate blocks reordered from
  PyTorch's [r, z, n] to ONNX's [z, r, h] and from [i, f, g, o] to [i, o, f, c].
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from abinitio.tensor import Tensor

INT64_MAX, INT64_MIN = np.iinfo(np.int64).max, np.iinfo(np.int64).min
CONVERTERS: dict = {}


class UnsupportedOperatorError(NotImplementedError):
    """A primitive (or one use of it) that has no ONNX mapping; ``op`` names it.

    See the article docs/articles/architectures/onnx_export.py.
    """

    def __init__(self, op: str, detail: str = "", call_site: str | None = None) -> None:
        self.op = op
        where = f" (called at {call_site})" if call_site else ""
        message = f"abinitio.onnx.export: no ONNX mapping for the op {op}{where}"
        super().__init__(message + (f": {detail}" if detail else ""))


def converts(*names):
    def register(function):
        for name in names:
            CONVERTERS[name] = function
        return function

    return register


def arguments(call) -> dict:
    """The primitive's ``forward`` arguments by name (``ctx`` left out, defaults filled)."""
    signature = inspect.signature(call.fn.forward)
    parameters = list(signature.parameters.values())[1:]
    bound = inspect.Signature(parameters).bind(*call.inputs, **call.options)
    bound.apply_defaults()
    return bound.arguments


def shape_of(value) -> tuple:
    return tuple(np.shape(value.array if isinstance(value, Tensor) else value))


def out_dtype(call) -> np.dtype:
    return call.output.array.dtype


def scalar(g, value, dtype) -> str:
    return g.constant(np.asarray(value, dtype=dtype))


# ---- elementwise ---------------------------------------------------------------------
BINARY = {"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Pow": "Pow", "Maximum": "Max",
          "Minimum": "Min"}  # fmt: skip
UNARY = {"Exp": "Exp", "Log": "Log", "Sqrt": "Sqrt", "Abs": "Abs", "Sin": "Sin", "Cos": "Cos",
         "Tanh": "Tanh", "Neg": "Neg", "Sigmoid": "Sigmoid", "ReLU": "Relu",
         "Clone": "Identity"}  # fmt: skip


@converts(*BINARY)
def _binary(g, call):
    dtype = out_dtype(call)
    return g.node(BINARY[call.name], [g.operand(x, dtype) for x in call.inputs[:2]])


@converts(*UNARY)
def _unary(g, call):
    return g.node(UNARY[call.name], [g.operand(call.inputs[0])])


@converts("LeakyReLU")
def _leaky_relu(g, call):
    a = arguments(call)
    return g.node("LeakyRelu", [g.operand(a["x"])], alpha=float(a["negative_slope"]))


@converts("SiLU")
def _silu(g, call):
    x = g.operand(call.inputs[0])
    return g.node("Mul", [x, g.node("Sigmoid", [x])])


@converts("GELU")
def _gelu(g, call):
    a = arguments(call)
    x, dtype = g.operand(a["x"]), out_dtype(call)
    if a["approximate"] == "tanh":
        cube = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Add", [x, g.node("Mul", [cube, scalar(g, 0.044715, dtype)])])
        inner = g.node("Mul", [inner, scalar(g, math.sqrt(2 / math.pi), dtype)])
        t = g.node("Tanh", [inner])
    else:
        t = g.node("Erf", [g.node("Mul", [x, scalar(g, 1 / math.sqrt(2), dtype)])])
    half_x = g.node("Mul", [x, scalar(g, 0.5, dtype)])
    return g.node("Mul", [half_x, g.node("Add", [t, scalar(g, 1.0, dtype)])])


@converts("Softplus")
def _softplus(g, call):
    """softplus(beta x) / beta, and x itself where beta x > threshold (PyTorch's rule)."""
    a = arguments(call)
    x, dtype = g.operand(a["x"]), out_dtype(call)
    bx = g.node("Mul", [x, scalar(g, a["beta"], dtype)])
    soft = g.node("Div", [g.node("Softplus", [bx]), scalar(g, a["beta"], dtype)])
    above = g.node("Greater", [bx, scalar(g, a["threshold"], dtype)], dtype=bool)
    return g.node("Where", [above, x, soft])


@converts("Softmax", "LogSoftmax")
def _softmax(g, call):
    a = arguments(call)
    return g.node(call.name, [g.operand(a["x"])], axis=int(a["dim"]))


@converts("Clamp")
def _clamp(g, call):
    a = arguments(call)
    dtype = out_dtype(call)
    bounds = ["" if a[k] is None else g.operand(a[k], dtype) for k in ("lo", "hi")]
    return g.node("Clip", [g.operand(a["x"], dtype), *bounds])


@converts("Where")
def _where(g, call):
    a = arguments(call)
    dtype = out_dtype(call)
    condition = g.operand(a["condition"], bool)
    return g.node("Where", [condition, g.operand(a["x"], dtype), g.operand(a["y"], dtype)])


@converts("Cast")
def _cast(g, call):
    return g.cast(g.operand(call.inputs[0]), out_dtype(call))


# ---- linear algebra --------------------------------------------------------------------
@converts("MatMul")
def _matmul(g, call):
    return g.node("MatMul", [g.operand(x) for x in call.inputs[:2]])


@converts("Linear")
def _linear(g, call):
    """y = x W^T + b: Gemm for a matrix x, MatMul and Add otherwise."""
    x, weight, bias = call.inputs
    names = [g.operand(x), g.operand(weight)]
    if len(shape_of(x)) == 2:
        return g.node("Gemm", names + ([g.operand(bias)] if bias is not None else []), transB=1)
    y = g.node("MatMul", [names[0], g.node("Transpose", [names[1]], perm=[1, 0])])
    return g.node("Add", [y, g.operand(bias)]) if bias is not None else y


# ---- shapes ----------------------------------------------------------------------------
@converts("Reshape")
def _reshape(g, call):
    """ONNX Reshape to the traced shape, with 0 ("keep this dim") for the leading dims that
    the reshape leaves as they are: so a flatten(1) still works for another batch size."""
    before, after = shape_of(call.inputs[0]), shape_of(call.output)
    target = list(after)
    for i in range(min(len(before), len(after))):
        if before[i] != after[i] or after[i] == 0:
            break
        target[i] = 0
    return g.node("Reshape", [g.operand(call.inputs[0]), g.ints(target)])


@converts("Permute")
def _permute(g, call):
    a = arguments(call)
    ndim = len(shape_of(a["x"]))
    return g.node("Transpose", [g.operand(a["x"])], perm=[int(d) % ndim for d in a["dims"]])


@converts("Expand")
def _expand(g, call):
    return g.node("Expand", [g.operand(call.inputs[0]), g.ints(shape_of(call.output))])


@converts("Cat")
def _cat(g, call):
    dtype = out_dtype(call)
    names = [g.operand(x, dtype) for x in call.inputs]
    return g.node("Concat", names, axis=int(call.options["dim"]))


@converts("Stack")
def _stack(g, call):
    dtype = out_dtype(call)
    dim = int(call.options["dim"]) % len(shape_of(call.output))
    names = [g.node("Unsqueeze", [g.operand(x, dtype), g.ints([dim])]) for x in call.inputs]
    return g.node("Concat", names, axis=dim)


@converts("ConstantPad")
def _constant_pad(g, call):
    a = arguments(call)
    widths = list(a["widths"])
    pads = [int(b) for b, _ in widths] + [int(e) for _, e in widths]
    value = scalar(g, a["value"], out_dtype(call))
    return g.node("Pad", [g.operand(a["x"]), g.ints(pads), value], mode="constant")


@converts("IndexPad")
def _index_pad(g, call):
    """Reflect, replicate and circular padding: output j along an axis copies input
    index[j], one Gather per padded axis."""
    a = arguments(call)
    y = g.operand(a["x"])
    for axis, index in a["indices"].items():
        y = g.node("Gather", [y, g.constant(np.asarray(index, np.int64))], axis=int(axis))
    return y


# ---- reductions ------------------------------------------------------------------------
def _axes(dims, ndim) -> list | None:
    if dims is None:
        return None
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    return [int(d) % ndim for d in dims]


@converts("Sum")
def _sum(g, call):
    a = arguments(call)
    axes = _axes(a["dims"], len(shape_of(a["x"])))
    inputs = [g.operand(a["x"])] + ([g.ints(axes)] if axes is not None else [])
    return g.node("ReduceSum", inputs, keepdims=int(bool(a["keepdim"])))


REDUCE = {"Amax": "ReduceMax", "Amin": "ReduceMin", "Prod": "ReduceProd"}


@converts(*REDUCE)
def _reduce_attribute(g, call):
    """ReduceMax, ReduceMin and ReduceProd take their axes as an attribute up to opset 17."""
    a = arguments(call)
    dims = a["dims"] if "dims" in a else a["dim"]
    axes = _axes(dims, len(shape_of(a["x"])))
    extra = {} if axes is None else {"axes": axes}
    return g.node(REDUCE[call.name], [g.operand(a["x"])], keepdims=int(bool(a["keepdim"])), **extra)


# ---- indexing --------------------------------------------------------------------------
def _is_array_index(item) -> bool:
    return isinstance(item, (np.ndarray, list, Tensor))


@converts("GetItem")
def _getitem(g, call):
    """x[index] for ints, slices, None and Ellipsis (Slice, Squeeze, Unsqueeze), or one
    integer array on one axis (Gather)."""
    a = arguments(call)
    x, index = a["x"], a["index"]
    source = g.lookup(x)
    if source is not None and not isinstance(source, str):
        return source.select(g, index)
    items = list(index) if isinstance(index, tuple) else [index]
    ndim = len(shape_of(x))
    real = sum(1 for item in items if item is not None and item is not Ellipsis)
    ellipsis = [k for k, item in enumerate(items) if item is Ellipsis]
    if ellipsis:
        at = ellipsis[0]
        items[at : at + 1] = [slice(None)] * (ndim - real)
    items += [slice(None)] * (ndim - sum(1 for item in items if item is not None))
    arrays = [k for k, item in enumerate(items) if _is_array_index(item)]
    if arrays:
        return _gather_index(g, call, x, items, arrays)
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    axis = out_position = 0
    for item in items:
        if item is None:
            unsqueeze.append(out_position)
            out_position += 1
            continue
        if isinstance(item, slice):
            if item != slice(None):
                step = 1 if item.step is None else int(item.step)
                first, last = (0, INT64_MAX) if step > 0 else (INT64_MAX, INT64_MIN)
                starts.append(first if item.start is None else int(item.start))
                ends.append(last if item.stop is None else int(item.stop))
                axes.append(axis)
                steps.append(step)
            out_position += 1
        else:  # an int: a slice of one, then squeezed away
            item = int(item)
            starts.append(item)
            ends.append(INT64_MAX if item == -1 else item + 1)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        axis += 1
    y = g.operand(x)
    if axes:
        y = g.node("Slice", [y, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        y = g.node("Squeeze", [y, g.ints(squeeze)])
    if unsqueeze:
        y = g.node("Unsqueeze", [y, g.ints(unsqueeze)])
    return y


def _gather_index(g, call, x, items, arrays):
    rest = [item for k, item in enumerate(items) if k not in arrays]
    index = items[arrays[0]]
    index_array = index.array if isinstance(index, Tensor) else np.asarray(index)
    if len(arrays) > 1 or index_array.dtype == bool or any(r != slice(None) for r in rest):
        raise UnsupportedOperatorError(
            "GetItem", "only one integer array on one axis, with plain ':' elsewhere, "
            f"is exported; got the index {_describe(call.inputs[1])}", call.call_site,
        )  # fmt: skip
    return g.node("Gather", [g.operand(x), g.operand(index, np.int64)], axis=arrays[0])


def _describe(index) -> str:
    items = index if isinstance(index, tuple) else (index,)
    words = [f"array{shape_of(i)}" if _is_array_index(i) else repr(i) for i in items]
    return "[" + ", ".join(words) + "]"


@converts("Embedding")
def _embedding(g, call):
    a = arguments(call)
    return g.node("Gather", [g.operand(a["weight"]), g.operand(a["indices"], np.int64)], axis=0)


@converts("IndexSelect")
def _index_select(g, call):
    a = arguments(call)
    ndim = len(shape_of(a["x"]))
    index = g.operand(a["index"], np.int64)
    return g.node("Gather", [g.operand(a["x"]), index], axis=int(a["dim"]) % ndim)


@converts("Gather")
def _gather(g, call):
    a = arguments(call)
    index = g.operand(a["index"], np.int64)
    return g.node("GatherElements", [g.operand(a["x"]), index], axis=int(a["dim"]))


# ---- convolution, pooling, normalisation -----------------------------------------------
def _pads(padding) -> list:
    (top, bottom), (left, right) = padding
    return [int(top), int(left), int(bottom), int(right)]


@converts("Conv2d")
def _conv2d(g, call):
    a = arguments(call)
    inputs = [g.operand(a["x"]), g.operand(a["weight"])]
    if a["bias"] is not None:
        inputs.append(g.operand(a["bias"]))
    return g.node(
        "Conv", inputs, kernel_shape=list(shape_of(a["weight"])[2:]),
        pads=_pads(a["padding"]), strides=list(a["stride"]),
        dilations=list(a["dilation"]), group=int(a["groups"]),
    )  # fmt: skip


@converts("ConvTranspose2d")
def _conv_transpose2d(g, call):
    a = arguments(call)
    inputs = [g.operand(a["x"]), g.operand(a["weight"])]
    if a["bias"] is not None:
        inputs.append(g.operand(a["bias"]))
    pad_h, pad_w = (int(p) for p in a["padding"])
    return g.node(
        "ConvTranspose", inputs, kernel_shape=list(shape_of(a["weight"])[2:]),
        pads=[pad_h, pad_w, pad_h, pad_w], strides=list(a["stride"]),
        output_padding=list(a["output_padding"]), dilations=list(a["dilation"]),
        group=int(a["groups"]),
    )  # fmt: skip


def _floor_size(size, kernel, stride, pads, dilation) -> int:
    return (size + pads[0] + pads[1] - dilation * (kernel - 1) - 1) // stride + 1


def _batched(g, x, op):
    """Run ``op`` on 4-D input: a (C, H, W) image gets a batch axis and loses it after."""
    if len(shape_of(x)) == 4:
        return op(g.operand(x))
    batched = g.node("Unsqueeze", [g.operand(x), g.ints([0])])
    return g.node("Squeeze", [op(batched), g.ints([0])])


@converts("MaxPool2d")
def _max_pool(g, call):
    a = arguments(call)
    size = shape_of(a["x"])[-2:]
    floors = [_floor_size(size[i], a["kernel"][i], a["stride"][i], a["padding"][i],
                          a["dilation"][i]) for i in range(2)]  # fmt: skip
    ceil_mode = int(tuple(floors) != tuple(a["out_size"]))
    attributes = dict(kernel_shape=list(a["kernel"]), strides=list(a["stride"]),
                      pads=_pads(a["padding"]), dilations=list(a["dilation"]),
                      ceil_mode=ceil_mode)  # fmt: skip
    return _batched(g, a["x"], lambda x: g.node("MaxPool", [x], **attributes))


@converts("AvgPool2d")
def _avg_pool(g, call):
    """Zero padding, then AveragePool (the window's mean), times k_h k_w / divisor where
    the divisor is not the window's area (count_include_pad=False, divisor_override)."""
    a = arguments(call)
    kernel, stride, padding = a["kernel"], a["stride"], a["padding"]
    size = shape_of(a["x"])[-2:]
    floors = [_floor_size(size[i], kernel[i], stride[i], padding[i], 1) for i in range(2)]
    if tuple(floors) != tuple(a["out_size"]):
        raise UnsupportedOperatorError("AvgPool2d", "ceil_mode=True", call.call_site)
    area = kernel[0] * kernel[1]
    divisor = np.asarray(a["divisor"], dtype=out_dtype(call))
    ndim = len(shape_of(a["x"]))

    def pool(x):
        pads = [0, 0, padding[0][0], padding[1][0], 0, 0, padding[0][1], padding[1][1]]
        if any(pads):
            x = g.node("Pad", [x, g.ints(pads)], mode="constant")
        return g.node("AveragePool", [x], kernel_shape=list(kernel), strides=list(stride))

    y = _batched(g, a["x"], pool)
    if np.all(divisor == area):
        return y
    return g.node("Mul", [y, g.constant(area / divisor)])


@converts("LayerNorm")
def _layer_norm(g, call):
    a = arguments(call)
    ndims, dtype = int(a["ndims"]), out_dtype(call)
    normalized = shape_of(a["x"])[-ndims:]
    scale = g.operand(a["weight"]) if a["weight"] is not None else g.constant(
        np.ones(normalized, dtype))  # fmt: skip
    inputs = [g.operand(a["x"]), scale] + ([g.operand(a["bias"])] if a["bias"] is not None
                                           else [])  # fmt: skip
    return g.node("LayerNormalization", inputs, axis=-ndims, epsilon=float(a["eps"]))


@converts("ScaledDotProductAttention")
def _attention(g, call):
    """softmax(Q K^T * scale + M) V; attention dropout (training mode) is not exported."""
    a = arguments(call)
    if a["keep"] is not None:
        raise UnsupportedOperatorError(
            "ScaledDotProductAttention", "attention dropout; export the model in eval mode",
            call.call_site,
        )  # fmt: skip
    dtype = out_dtype(call)
    ndim = len(shape_of(a["k"]))
    perm = list(range(ndim - 2)) + [ndim - 1, ndim - 2]
    q = g.node("Mul", [g.operand(a["q"]), scalar(g, a["scale"], dtype)])
    scores = g.node("MatMul", [q, g.node("Transpose", [g.operand(a["k"])], perm=perm)])
    if a["mask"] is not None:
        scores = g.node("Add", [scores, g.operand(a["mask"], dtype)])
    weights = g.node("Softmax", [scores], axis=-1)
    return g.node("MatMul", [weights, g.operand(a["v"])])


# ---- recurrent layers ------------------------------------------------------------------
def _gate_blocks(g, name, order, gates) -> str:
    """Reorder the ``gates`` row blocks of a stacked weight or bias, add a leading axis."""
    if gates > 1:
        parts = g.node("Split", [name], outputs=gates, axis=0)
        name = g.node("Concat", [parts[k] for k in order], axis=0)
    return g.node("Unsqueeze", [name, g.ints([0])])


def _recurrent_inputs(g, a, order, gates, hidden, dtype) -> list:
    w = _gate_blocks(g, g.operand(a["w_ih"]), order, gates)
    r = _gate_blocks(g, g.operand(a["w_hh"]), order, gates)
    biases = []
    for key in ("b_ih", "b_hh"):
        if a[key] is None:
            biases.append(g.constant(np.zeros((1, gates * hidden), dtype)))
        else:
            biases.append(_gate_blocks(g, g.operand(a[key]), order, gates))
    return [g.operand(a["x"]), w, r, g.node("Concat", biases, axis=1)]


def _initial(g, value) -> str:
    if value is None:
        return ""
    return g.node("Unsqueeze", [g.operand(value), g.ints([0])])


def _direction(a) -> str:
    return "reverse" if a["reverse"] else "forward"


@converts("GRULayer")
def _gru(g, call):
    a = arguments(call)
    hidden = shape_of(a["w_hh"])[1]
    inputs = _recurrent_inputs(g, a, (1, 0, 2), 3, hidden, out_dtype(call))
    y, _ = g.node("GRU", inputs + ["", _initial(g, a["h0"])], outputs=2, hidden_size=hidden,
                  linear_before_reset=1, direction=_direction(a))  # fmt: skip
    return g.node("Squeeze", [y, g.ints([1])])  # (L, 1, N, H) -> (L, N, H)


@converts("RNNLayer")
def _rnn(g, call):
    a = arguments(call)
    hidden = shape_of(a["w_hh"])[1]
    inputs = _recurrent_inputs(g, a, (0,), 1, hidden, out_dtype(call))
    activation = {"tanh": "Tanh", "relu": "Relu"}[a["nonlinearity"]]
    y, _ = g.node("RNN", inputs + ["", _initial(g, a["h0"])], outputs=2, hidden_size=hidden,
                  activations=[activation], direction=_direction(a))  # fmt: skip
    return g.node("Squeeze", [y, g.ints([1])])


class LSTMOutputs:
    """What ONNX's LSTM gives for abinitio's (2, L, N, H) stack of every h_t and c_t:
    every h_t, but only the last c_t. The LSTM modules read exactly y[0], y[0, last] and
    y[1, last]; any other use of the stack cannot be exported."""

    def __init__(self, y, y_h, y_c, reverse: bool) -> None:
        self.y, self.y_h, self.y_c, self.reverse = y, y_h, y_c, reverse

    def select(self, g, index):
        items = index if isinstance(index, tuple) else (index,)
        items = tuple(int(i) if isinstance(i, (int, np.integer)) else i for i in items)
        last = (0,) if self.reverse else (-1,)
        if items == (0,):
            return g.node("Squeeze", [self.y, g.ints([1])])
        if len(items) == 2 and items[0] in (0, 1) and (items[1],) == last:
            return g.node("Squeeze", [self.y_h if items[0] == 0 else self.y_c, g.ints([0])])
        raise self.error(f"indexing it with {_describe(index)}")

    def error(self, use: str = "passing it to another op") -> UnsupportedOperatorError:
        return UnsupportedOperatorError(
            "LSTMLayer", f"ONNX's LSTM returns every h_t but only the last c_t, and {use} "
            "needs more of abinitio's (2, L, N, H) stack of states",
        )  # fmt: skip


@converts("LSTMLayer")
def _lstm(g, call):
    a = arguments(call)
    hidden = shape_of(a["w_hh"])[1]
    inputs = _recurrent_inputs(g, a, (0, 3, 1, 2), 4, hidden, out_dtype(call))
    initial = [_initial(g, a["h0"]), _initial(g, a["c0"])]
    y, y_h, y_c = g.node("LSTM", inputs + [""] + initial, outputs=3, hidden_size=hidden,
                         direction=_direction(a))  # fmt: skip
    return LSTMOutputs(y, y_h, y_c, bool(a["reverse"]))
