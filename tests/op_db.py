"""The table of differentiable operations every op test walks over (PyTorch's op_db idea).

Each row gives one lambda that runs on both abinitio and torch tensors, the input shapes to
try, the domain to draw values from, and whether hypothesis may broadcast the inputs.
Adding an op to abinitio means adding a row here: it then gets a torch-parity test of its
forward and backward, and a float64 gradcheck.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class OpInfo:
    name: str
    fn: Callable
    shapes: list  # list of input-shape tuples, one tuple of shapes per sample
    domain: tuple = (-2.0, 2.0)
    broadcasting: bool = False  # elementwise: hypothesis draws broadcastable shapes
    torch_fn: Callable | None = None  # where torch spells the call differently
    rtol: float = 1e-5
    atol: float = 1e-6
    primitives: tuple = field(default_factory=tuple)  # the ops.PRIMITIVES rows it covers
    gradcheck: bool = True  # False only where float32 rounding inside makes it meaningless
    error_inputs: tuple = ()  # ErrorInput rows: inputs the op must refuse (set from ERRORS)


@dataclass(frozen=True)
class ErrorInput:
    """An input the op must refuse, with the error and the words its message must hold
    (PyTorch's OpInfo ``error_inputs``). ``fn`` replaces the row's call where the mistake is
    in an argument rather than in an input's shape."""

    shapes: tuple
    error: type
    match: str
    fn: Callable | None = None


def _unary(name, fn, domain=(-2.0, 2.0), torch_fn=None, primitive=None, **kw):
    shapes = [((3, 4),), ((),), ((2, 3, 5),)]
    return OpInfo(name, fn, shapes, domain, True, torch_fn, primitives=(primitive,), **kw)


def _binary(name, fn, domain=(-2.0, 2.0), primitive=None, **kw):
    shapes = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3))]
    return OpInfo(name, fn, shapes, domain, True, primitives=(primitive,), **kw)


def _torch_f():
    import torch.nn.functional as F

    return F


OPS = [
    # arithmetic
    _binary("add", lambda x, y: x + y, primitive="Add"),
    _binary("sub", lambda x, y: x - y, primitive="Sub"),
    _binary("mul", lambda x, y: x * y, primitive="Mul"),
    _binary("div", lambda x, y: x / y, domain=(0.5, 2.0), primitive="Div"),
    _binary("pow", lambda x, y: x**y, domain=(0.5, 2.0), primitive="Pow"),
    _unary("pow_scalar", lambda x: x**3, primitive="Pow"),
    _unary("pow_square", lambda x: x**2, primitive="Pow"),
    _unary("rpow", lambda x: 2.0**x, primitive="Pow"),
    _unary("rsub", lambda x: 1.5 - x, primitive="Sub"),
    _unary("rdiv", lambda x: 1.5 / x, domain=(0.5, 2.0), primitive="Div"),
    _unary("neg", lambda x: -x, primitive="Neg"),
    # unary maths
    _unary("exp", lambda x: x.exp(), primitive="Exp"),
    _unary("log", lambda x: x.log(), domain=(0.2, 3.0), primitive="Log"),
    _unary("sqrt", lambda x: x.sqrt(), domain=(0.2, 3.0), primitive="Sqrt"),
    _unary("abs", lambda x: x.abs(), primitive="Abs"),
    _unary("sin", lambda x: x.sin(), primitive="Sin"),
    _unary("cos", lambda x: x.cos(), primitive="Cos"),
    _unary("tanh", lambda x: x.tanh(), primitive="Tanh"),
    # activations
    _unary("sigmoid", lambda x: x.sigmoid(), domain=(-6.0, 6.0), primitive="Sigmoid"),
    _unary("relu", lambda x: x.relu(), primitive="ReLU"),
    _unary(
        "leaky_relu",
        lambda x: _ab_f().leaky_relu(x, 0.1),
        torch_fn=lambda x: _torch_f().leaky_relu(x, 0.1),
        primitive="LeakyReLU",
    ),
    _unary(
        "gelu",
        lambda x: _ab_f().gelu(x),
        torch_fn=lambda x: _torch_f().gelu(x),
        domain=(-4.0, 4.0),
        primitive="GELU",
    ),
    _unary(
        "gelu_tanh",
        lambda x: _ab_f().gelu(x, approximate="tanh"),
        torch_fn=lambda x: _torch_f().gelu(x, approximate="tanh"),
        primitive="GELU",
    ),
    _unary(
        "softplus",
        lambda x: _ab_f().softplus(x, beta=2.0, threshold=3.0),
        torch_fn=lambda x: _torch_f().softplus(x, beta=2.0, threshold=3.0),
        domain=(-3.0, 3.0),
        primitive="Softplus",
    ),
    _unary(
        "silu",
        lambda x: _ab_f().silu(x),
        torch_fn=lambda x: _torch_f().silu(x),
        primitive="SiLU",
    ),
    # selection
    _binary("maximum", lambda x, y: x.maximum(y), primitive="Maximum"),
    _binary("minimum", lambda x, y: x.minimum(y), primitive="Minimum"),
    _unary("clamp", lambda x: x.clamp(-0.5, 0.7), primitive="Clamp"),
    _unary("clamp_min", lambda x: x.clamp(min=-0.5), primitive="Clamp"),
    _binary("where", lambda x, y: _where(x > y, x, y), primitive="Where"),
    _unary("where_scalar", lambda x: _where(x > 0.3, x, 0.5), primitive="Where"),
    # reductions
    OpInfo("sum", lambda x: x.sum(), [((3, 4),), ((),), ((2, 3, 4),)], primitives=("Sum",)),
    OpInfo("sum_dim", lambda x: x.sum(1), [((3, 4),), ((2, 3, 4),)], primitives=("Sum",)),
    OpInfo(
        "sum_dims_keep", lambda x: x.sum((0, 2), keepdim=True), [((2, 3, 4),)], primitives=("Sum",)
    ),
    OpInfo("mean", lambda x: x.mean(), [((3, 4),), ((5,),)], primitives=("Sum",)),
    OpInfo("mean_dim", lambda x: x.mean(-1, keepdim=True), [((3, 4),), ((2, 3, 4),)]),
    OpInfo("var", lambda x: x.var(), [((3, 4),), ((6,),)]),
    OpInfo("var_dim", lambda x: x.var(1, keepdim=True), [((3, 4),), ((2, 5, 3),)]),
    OpInfo(
        "var_biased",
        lambda x: x.var(0, correction=0),
        [((5, 4),)],
        torch_fn=lambda x: x.var(0, correction=0),
    ),
    OpInfo("std", lambda x: x.std(), [((3, 4),)]),
    OpInfo("std_dim", lambda x: x.std(dim=0), [((5, 3),), ((4, 2, 3),)]),
    OpInfo("max", lambda x: x.max(), [((3, 4),), ((7,),)], primitives=("Amax",)),
    OpInfo("min", lambda x: x.min(), [((3, 4),)], primitives=("Amin",)),
    OpInfo(
        "max_dim", lambda x: x.max(1)[0], [((3, 4),), ((2, 3, 4),)], primitives=("PickAlongDim",)
    ),
    OpInfo(
        "min_dim_keep",
        lambda x: x.min(0, keepdim=True)[0],
        [((3, 4),)],
        primitives=("PickAlongDim",),
    ),
    OpInfo("amax_dims", lambda x: x.amax((0, 2)), [((2, 3, 4),)], primitives=("Amax",)),
    OpInfo("amin_dim", lambda x: x.amin(1, keepdim=True), [((3, 4),)], primitives=("Amin",)),
    OpInfo("prod", lambda x: x.prod(), [((3, 4),), ((5,),)], primitives=("Prod",)),
    OpInfo("prod_dim", lambda x: x.prod(1), [((3, 4),), ((2, 3, 4),)], primitives=("Prod",)),
    OpInfo("logsumexp", lambda x: x.logsumexp(1), [((3, 4),), ((2, 3, 4),)]),
    OpInfo("logsumexp_large", lambda x: (x * 1000).logsumexp(0), [((5,),)]),
    # shape
    OpInfo(
        "reshape", lambda x: x.reshape(4, -1), [((2, 6),), ((2, 2, 3),)], primitives=("Reshape",)
    ),
    OpInfo("view", lambda x: x.view(-1), [((3, 4),)], primitives=("Reshape",)),
    OpInfo("flatten", lambda x: x.flatten(1), [((2, 3, 4),)], primitives=("Reshape",)),
    OpInfo("transpose", lambda x: x.transpose(0, 2), [((2, 3, 4),)], primitives=("Permute",)),
    OpInfo("permute", lambda x: x.permute(2, 0, 1), [((2, 3, 4),)], primitives=("Permute",)),
    OpInfo("T", lambda x: x.T, [((3, 4),)], primitives=("Permute",)),
    OpInfo("squeeze", lambda x: x.squeeze(), [((1, 3, 1, 4),)], primitives=("Reshape",)),
    OpInfo("squeeze_dim", lambda x: x.squeeze(2), [((3, 4, 1),)], primitives=("Reshape",)),
    OpInfo("unsqueeze", lambda x: x.unsqueeze(-1), [((3, 4),)], primitives=("Reshape",)),
    OpInfo("expand", lambda x: x.expand(2, 3, 4), [((3, 1),), ((1, 4),)], primitives=("Expand",)),
    OpInfo(
        "cat",
        lambda x, y: _cat([x, y, x], 1),
        [((2, 3), (2, 5)), ((2, 1, 3), (2, 4, 3))],
        primitives=("Cat",),
    ),
    OpInfo("stack", lambda x, y: _stack([x, y], -1), [((2, 3), (2, 3))], primitives=("Stack",)),
    OpInfo(
        "pad",
        lambda x: _pad(x, (1, 2, 0, 1), value=0.5),
        [((2, 3, 4),)],
        primitives=("ConstantPad",),
    ),
    OpInfo(
        "pad_negative", lambda x: _pad(x, (-1, 2, 1, -1)), [((3, 4),)], primitives=("ConstantPad",)
    ),
    OpInfo(
        "pad_reflect",
        lambda x: _pad(x, (2, 1), mode="reflect"),
        [((2, 3, 5),)],
        primitives=("IndexPad",),
    ),
    OpInfo(
        "pad_replicate",
        lambda x: _pad(x, (1, 2, 2, 0), mode="replicate"),
        [((1, 3, 4),)],
        primitives=("IndexPad",),
    ),
    OpInfo(
        "pad_circular",
        lambda x: _pad(x, (2, 1), mode="circular"),
        [((2, 2, 4),)],
        primitives=("IndexPad",),
    ),
    OpInfo(
        "split",
        lambda x: x.split(2, 1)[1] * 2 + x.split(2, 1)[0],
        [((3, 4),)],
        primitives=("GetItem",),
    ),
    OpInfo("chunk", lambda x: x.chunk(3, 0)[2], [((7, 2),)], primitives=("GetItem",)),
    # indexing
    OpInfo("getitem_basic", lambda x: x[1:, ::2], [((4, 5),)], primitives=("GetItem",)),
    OpInfo(
        "gather",
        lambda x: x.gather(1, _index(x, [[0, 0, 2], [1, 2, 1]])),
        [((2, 3),)],
        primitives=("Gather",),
    ),
    OpInfo(
        "index_select",
        lambda x: x.index_select(0, _index(x, [2, 0, 2])),
        [((3, 4),)],
        primitives=("IndexSelect",),
    ),
    # linear algebra
    OpInfo(
        "matmul",
        lambda x, y: x @ y,
        [((3, 4), (4, 5)), ((2, 3, 4), (4, 5))],
        rtol=1e-5,
        atol=1e-5,
        primitives=("MatMul",),
    ),
    OpInfo(
        "linear",
        lambda x, w, b: _linear(x, w, b),
        [((5, 3), (4, 3), (4,)), ((2, 5, 3), (4, 3), (4,))],
        torch_fn=lambda x, w, b: _torch_f().linear(x, w, b),
        atol=1e-5,
        primitives=("Linear",),
    ),
    # softmax family
    OpInfo("softmax", lambda x: x.softmax(1), [((3, 4),), ((2, 3, 4),)], primitives=("Softmax",)),
    OpInfo("softmax_dim0", lambda x: x.softmax(0), [((3, 4),)], primitives=("Softmax",)),
    OpInfo(
        "log_softmax",
        lambda x: x.log_softmax(-1),
        [((3, 4),), ((2, 3, 4),)],
        primitives=("LogSoftmax",),
    ),
    # fused nn primitives (weights as inputs, so their gradients are checked too)
    OpInfo(
        "batch_norm",
        lambda x, w, b: _batch_norm(x, w, b),
        [((6, 3), (3,), (3,)), ((4, 3, 5), (3,), (3,)), ((2, 3, 4, 2), (3,), (3,))],
        domain=(0.5, 2.0),
        rtol=1e-4,
        atol=1e-5,
        primitives=("BatchNorm",),
    ),  # fmt: skip
    OpInfo(
        "layer_norm",
        lambda x, w, b: _lib_f(x).layer_norm(x, (4,), w, b),
        [((3, 4), (4,), (4,)), ((2, 3, 4), (4,), (4,))],
        domain=(0.5, 2.0),
        rtol=1e-4,
        atol=1e-5,
        primitives=("LayerNorm",),
    ),  # fmt: skip
    OpInfo(
        "cross_entropy",
        lambda x: _lib_f(x).cross_entropy(x, _index(x, [0, 3, 1, 1, 2])),
        [((5, 4),)],
        primitives=("CrossEntropy",),
    ),  # fmt: skip
    OpInfo(
        "binary_cross_entropy",  # probabilities and targets both in (0.05, 0.95)
        lambda p, t: _lib_f(p).binary_cross_entropy(p, t),
        [((4, 3), (4, 3)), ((5,), (5,))],
        domain=(0.05, 0.95),
        rtol=1e-4,
        primitives=("BinaryCrossEntropy",),
    ),
    OpInfo(
        "cross_entropy_smooth_sum",
        lambda x: _lib_f(x).cross_entropy(
            x, _index(x, [2, 0, -100]), reduction="sum", label_smoothing=0.2
        ),
        [((3, 4),)],
        primitives=("CrossEntropy",),
    ),  # fmt: skip
    OpInfo(
        "embedding",
        lambda w: _lib_f(w).embedding(_index(w, [[1, 0, 1], [3, 1, 2]]), w),
        [((4, 3),)],
        primitives=("Embedding",),
    ),  # fmt: skip
    # convolution and pooling (weights as inputs, so their gradients are checked too)
    OpInfo(
        "conv2d",
        lambda x, w, b: _lib_f(x).conv2d(x, w, b, stride=(2, 1), padding=1, groups=2),
        [((2, 4, 5, 6), (6, 2, 3, 2), (6,))],
        rtol=1e-4,
        atol=1e-5,
        primitives=("Conv2d",),
    ),
    OpInfo(
        "conv1d",
        lambda x, w, b: _lib_f(x).conv1d(x, w, b, padding="same", dilation=2),
        [((2, 3, 7), (4, 3, 3), (4,))],
        rtol=1e-4,
        atol=1e-5,
        primitives=("Conv2d",),
    ),
    OpInfo(
        "conv_transpose2d",
        lambda x, w, b: _lib_f(x).conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        [((2, 3, 4, 5), (3, 2, 3, 3), (2,))],
        rtol=1e-4,
        atol=1e-5,
        primitives=("ConvTranspose2d",),
    ),
    OpInfo(
        "max_pool2d",
        lambda x: _lib_f(x).max_pool2d(x, 3, 2, 1),
        [((2, 3, 7, 6),)],
        primitives=("MaxPool2d",),
    ),
    OpInfo("max_pool1d", lambda x: _lib_f(x).max_pool1d(x, 2), [((2, 3, 7),)]),
    OpInfo(
        "avg_pool2d",
        lambda x: _lib_f(x).avg_pool2d(x, 3, 2, 1, ceil_mode=True),
        [((2, 3, 7, 6),)],
        primitives=("AvgPool2d",),
    ),
    OpInfo("avg_pool1d", lambda x: _lib_f(x).avg_pool1d(x, 3, 1, 1), [((2, 3, 7),)]),
    OpInfo(
        "adaptive_avg_pool2d",
        lambda x: _lib_f(x).adaptive_avg_pool2d(x, (3, 2)),
        [((2, 3, 7, 5),), ((3, 4, 4),)],
    ),
    # recurrent layers: one fused primitive per layer and direction (weights as inputs; torch
    # runs its own kernels, reversed in time for reverse=True); composed references are
    # checked in tests/nn/test_recurrent_layers.py
    *(
        OpInfo(
            f"{kind}_layer" + ("_reverse" if reverse else ""),
            lambda *arrays, kind=kind, reverse=reverse: _recurrent(kind, reverse, *arrays),
            # x (L, N, I), h0 (and c0) (N, H), w_ih (G*H, I), w_hh (G*H, H), b_ih, b_hh
            [((4, 3, 2), *((3, 5),) * states, (gates, 2), (gates, 5), (gates,), (gates,))],
            domain=(-1.0, 1.0),
            rtol=1e-4,
            atol=1e-5,
            primitives=(primitive,),
        )
        for kind, primitive, states, gates in (
            ("rnn_tanh", "RNNLayer", 1, 5),
            ("rnn_relu", "RNNLayer", 1, 5),
            ("gru", "GRULayer", 1, 15),
            ("lstm", "LSTMLayer", 2, 20),
        )
        for reverse in (False, True)
    ),
    # conversions
    OpInfo("clone", lambda x: x.clone() * 2, [((3, 4),)], primitives=("Clone",)),
    # a round trip through float32 rounds away the 1e-6 steps of finite differences, so
    # Cast is checked against torch only (its backward is a cast back, exact either way)
    OpInfo(
        "to_double",
        lambda x: x.double().float() * x,
        [((3,),)],
        primitives=("Cast",),
        gradcheck=False,
    ),
    # attention (fused; its composed _reference is checked in tests/ops/test_attention_op.py)
    OpInfo(
        "sdpa",
        lambda q, k, v: _lib_f(q).scaled_dot_product_attention(q, k, v),
        [((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)), ((4, 8), (1, 5, 8), (5, 6))],
        rtol=1e-4,
        atol=1e-5,
        primitives=("ScaledDotProductAttention",),
    ),
    OpInfo(
        "sdpa_causal",
        lambda q, k, v: _lib_f(q).scaled_dot_product_attention(q, k, v, is_causal=True),
        [((2, 2, 5, 4), (2, 2, 5, 4), (2, 2, 5, 4))],
        rtol=1e-4,
        atol=1e-5,
        primitives=("ScaledDotProductAttention",),
    ),
    OpInfo(
        "sdpa_bool_mask",
        lambda q, k, v: _lib_f(q).scaled_dot_product_attention(
            q, k, v, attn_mask=_index(q, _ATTENTION_MASK)
        ),
        [((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6))],
        rtol=1e-4,
        atol=1e-5,
        primitives=("ScaledDotProductAttention",),
    ),
    OpInfo(
        "sdpa_float_mask_learned",
        lambda q, k, v, m: _lib_f(q).scaled_dot_product_attention(q, k, v, attn_mask=m),
        [((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), (4, 5)), ((3, 4), (3, 4), (3, 4), (1, 3))],
        rtol=1e-4,
        atol=1e-5,
        primitives=("ScaledDotProductAttention",),
    ),
]


# which keys each of 4 queries may attend to (True = may; row 2 sees no key at all)
_ATTENTION_MASK = [
    [True, False, True, True, False],
    [True, True, False, False, False],
    [False, False, False, False, False],
    [False, True, True, True, True],
]


def _ab_f():
    import abinitio.nn.functional as F

    return F


def _is_torch(t) -> bool:
    return type(t).__module__.startswith("torch")


def _lib(t):
    if _is_torch(t):
        import torch

        return torch
    import abinitio

    return abinitio


def _where(condition, x, y):
    return _lib(x).where(condition, x, y)


def _cat(tensors, dim):
    return _lib(tensors[0]).cat(tensors, dim)


def _stack(tensors, dim):
    return _lib(tensors[0]).stack(tensors, dim)


def _pad(x, pad, **kw):
    if _is_torch(x):
        return _torch_f().pad(x, pad, **kw)
    return _ab_f().pad(x, pad, **kw)


def _linear(x, w, b):
    return _ab_f().linear(x, w, b)


def _index(x, values):
    return _lib(x).tensor(values)


def _lib_f(t):
    return _torch_f() if _is_torch(t) else _ab_f()


def _batch_norm(x, w, b):
    return _lib_f(x).batch_norm(x, None, None, w, b, training=True)


# ---- recurrent layers (rows above) -------------------------------------------------------
def _recurrent(kind, reverse, x, *args):
    """One layer and direction: all states (L, N, H); an LSTM's final cell c_n is appended
    as one more step, so that torch (which returns only c_n) can be compared."""
    if _is_torch(x):
        return _torch_recurrent(kind, reverse, x, *args)
    from abinitio.ops import recurrent, recurrent_gru, recurrent_lstm

    if kind == "lstm":
        y = recurrent_lstm.lstm_layer(x, *args, reverse=reverse)
        return _lib(x).cat([y[0], y[1, 0 if reverse else -1][None]])
    if kind == "gru":
        return recurrent_gru.gru_layer(x, *args, reverse=reverse)
    return recurrent.rnn_layer(x, *args, nonlinearity=kind[4:], reverse=reverse)


def _torch_recurrent(kind, reverse, x, *args):
    import torch

    x = x.flip(0) if reverse else x
    if kind == "lstm":
        h0, c0, *weights = args
        out, _, c_n = torch.lstm(x, (h0[None], c0[None]), weights, True, 1, 0.0, False,
                                 False, False)  # fmt: skip
        out = out.flip(0) if reverse else out
        return torch.cat([out, c_n])
    h0, *weights = args
    run = {"gru": torch.gru, "rnn_tanh": torch.rnn_tanh, "rnn_relu": torch.rnn_relu}[kind]
    out = run(x, h0[None], weights, True, 1, 0.0, False, False, False)[0]
    return out.flip(0) if reverse else out


# ---- scatter and sparse products (issue 14): rows appended to the table ------------------
# index 2 of input's 3 rows (dim 0) receives two rows and index 1 none (an empty segment)
_SPARSE_INDEX = [[0, 2, 2, 1, 0], [1, 3, 3, 0, 1]]  # (2, 5) with two repeated coordinates


def _sparse(v):
    return _lib(v).sparse_coo_tensor(_index(v, _SPARSE_INDEX), v, (3, 4))


def _scatter_rows():
    rows = [
        OpInfo("index_add", lambda x, s: x.index_add(0, _index(x, [2, 0, 2, 0]), s),
               [((3, 4), (4, 4)), ((3,), (4,))], primitives=("IndexAdd",)),
        OpInfo("index_add_dim1_alpha",
               lambda x, s: x.index_add(1, _index(x, [3, 3, 0]), s, alpha=2.0),
               [((2, 4, 2), (2, 3, 2))], primitives=("IndexAdd",)),
        OpInfo("scatter_add", lambda x, s: x.scatter_add(0, _index(x, [[0, 2, 0], [2, 0, 0]]), s),
               [((3, 4), (2, 3))], primitives=("ScatterReduce",)),
        OpInfo("sparse_mm", lambda v, d: _lib(v).sparse.mm(_sparse(v), d),
               [((5,), (4, 2)), ((5,), (4, 1))], primitives=("SparseMM",)),
        OpInfo("sparse_matmul_operator", lambda v, d: _sparse(v) @ d, [((5,), (4, 3))],
               primitives=("SparseMM",)),
        OpInfo("index_select_dim1", lambda x: x.index_select(1, _index(x, [2, 0, 2, 3])),
               [((2, 4, 3),)], primitives=("IndexSelect",)),
        OpInfo("sparse_to_dense", lambda v: _sparse(v).to_dense() * 1.5, [((5,),)],
               primitives=("IndexAdd",)),
    ]  # fmt: skip
    for reduce in ("sum", "mean", "amax", "amin"):
        for include_self in (True, False):
            rows.append(OpInfo(
                f"scatter_reduce_{reduce}" + ("" if include_self else "_exclude_self"),
                lambda x, s, r=reduce, i=include_self: x.scatter_reduce(
                    1, _index(x, [[0, 0, 3], [1, 0, 1], [3, 3, 3]]), s, r, include_self=i),
                [((3, 4), (3, 3))], primitives=("ScatterReduce",)))  # fmt: skip
    return rows


OPS += _scatter_rows()


# ---- spikes (issue 15): the exact step with a surrogate backward, the fused LIF layer ----
# torch has no spike: the same function is the step plus f(u) - f(u).detach(), where
# f(u) = u / (1 + k |u|) is the fast sigmoid whose derivative 1 / (1 + k |u|)^2 the
# surrogate uses. No gradcheck: finite differences of a step are 0 by design.
def _torch_spike(u, slope=25.0):
    smooth = u / (1 + slope * u.abs())
    return (u > 0).float() + smooth - smooth.detach()


def _spike_rows():
    def spike(u):
        if _is_torch(u):
            return _torch_spike(u)
        from abinitio.ops.spike import spike as spike_fn
        from abinitio.snn.surrogate import fast_sigmoid

        return spike_fn(u, fast_sigmoid(25.0))

    def leaky(x, mem, beta, theta):  # U_t = b U_{t-1} + X_t - theta S_{t-1}
        if not _is_torch(x):
            from abinitio.ops.spike import leaky_layer
            from abinitio.snn.surrogate import fast_sigmoid

            out = leaky_layer(x, mem, beta, theta, fast_sigmoid(25.0), "subtract", "both")
            return out[0] + 0.5 * out[1]
        import torch

        spikes, mems = [], []
        for t in range(x.shape[0]):
            reset = (mem > theta).float().detach()
            mem = beta.clamp(0, 1) * mem + x[t] - reset * theta
            spikes.append(_torch_spike(mem - theta))
            mems.append(mem)
        return torch.stack(spikes) + 0.5 * torch.stack(mems)

    return [
        OpInfo("spike_fast_sigmoid", spike, [((3, 4),), ((2, 3, 5),)], primitives=("Spike",),
               gradcheck=False),
        OpInfo("leaky_layer", leaky, [((6, 3, 4), (3, 4), (), ()), ((5, 2), (2,), (2,), ())],
               domain=(0.3, 0.9), rtol=1e-4, atol=1e-5, primitives=("LeakyLayer",),
               gradcheck=False),
    ]  # fmt: skip


OPS += _spike_rows()


# ---- error inputs: what each op refuses, and what its message must say ---------------------
# Every message names the op and echoes what came (a shape, a dim, a class), so a learner
# sees where and why; tests/ops/test_op_db.py checks each row.
_E = ErrorInput
ERRORS = {
    "add": [_E(((3, 4), (5,)), ValueError, r"add: .*\(3, ?4\).*\(5,\)")],
    "mul": [_E(((2, 3), (2, 4)), ValueError, r"mul: .*broadcast")],
    "where": [_E(((3, 4), (5,)), ValueError, r"greater: .*broadcast.*\(3, 4\), \(5,\)")],
    "sum_dim": [_E(((3,),), IndexError, r"sum: dim 1 is out of range .*1 dimension")],
    "softmax": [_E(((4,),), IndexError, r"softmax: dim 1 is out of range")],
    "reshape": [_E(((3, 5),), ValueError, r"reshape: cannot reshape array of size 15")],
    "transpose": [_E(((3, 4),), IndexError, r"transpose: dim 2 is out of range")],
    "permute": [_E(((3, 4),), IndexError, r"permute: dim 2 is out of range")],
    "squeeze_dim": [_E(((3, 4),), IndexError, r"squeeze: dim 2 is out of range")],
    "expand": [_E(((3, 2),), ValueError, r"expand: cannot expand shape \(3, 2\)")],
    "cat": [_E(((2, 3), (4, 5)), ValueError, r"cat: ")],
    "stack": [_E(((2, 3), (2, 4)), ValueError, r"stack: .*same shape.*\(2, 3\).*\(2, 4\)")],
    "chunk": [_E(((7, 2),), ValueError, r"chunk: chunks must be a positive integer, got 0",
                 fn=lambda x: x.chunk(0, 0))],  # fmt: skip
    "getitem_basic": [_E(((4, 5),), IndexError, r"getitem: index 9 is out of bounds",
                         fn=lambda x: x[9])],  # fmt: skip
    "matmul": [_E(((3, 4), (5, 2)), ValueError, r"matmul: shapes \(3, 4\) and \(5, 2\)")],
    "linear": [_E(((2, 3), (4, 5), (4,)), ValueError, r"linear: input has 3 features")],
    "layer_norm": [_E(((2, 3), (4,), (4,)), ValueError, r"layer_norm: expected input ending in "
                      r"dims \(4,\), got shape \(2, 3\)")],  # fmt: skip
    "cross_entropy": [_E(((5, 2),), ValueError, r"cross_entropy: target contains class 3 but "
                         r"the input has 2 classes")],  # fmt: skip
    "embedding": [_E(((2, 3),), IndexError, r"embedding: index 3 is out of range for a table "
                     r"of 2 rows")],  # fmt: skip
    "conv2d": [_E(((2, 3, 5, 6), (6, 2, 3, 2), (6,)), ValueError,
                  r"conv2d: input has 3 channels but weight expects 4")],  # fmt: skip
    "max_pool2d": [_E(((1, 1, 2, 2),), ValueError, r"max_pool2d: kernel \(3, 3\) .* is larger "
                      r"than the padded input \(2, 2\)", fn=lambda x: _lib_f(x).max_pool2d(x, 3))],
    "pad": [_E(((3, 4),), ValueError, r"pad: expected an even number of widths",
               fn=lambda x: _pad(x, (1,)))],  # fmt: skip
}
_BY_NAME = {op.name: op for op in OPS}
for _name, _rows in ERRORS.items():
    _BY_NAME[_name].error_inputs = tuple(_rows)

