"""Differentiable primitives, one :class:`~abinitio.autograd.Function` each, and the
public functions built on them.

:data:`PRIMITIVES` lists every primitive: the table the tests and the docs walk over.
"""

from abinitio.ops import (
    activation,
    arithmetic,
    attention,
    conv,
    conv_transpose,
    conversion,
    embedding,
    indexing,
    linalg,
    loss,
    normalization,
    pooling,
    recurrent,
    recurrent_gru,
    recurrent_lstm,
    reduction,
    scatter,
    selection,
    shape,
    sparse,
    spike,
    unary,
)
from abinitio.ops import softmax as softmax_module
from abinitio.ops import composite  # PyTorch functions composed of primitives (issue 13)
from abinitio.ops.composite import bmm, diag, log1p, mm, multinomial, narrow, norm, repeat, roll, topk, tril, triu
from abinitio.ops.activation import gelu, leaky_relu, relu, sigmoid, silu, softplus
from abinitio.ops.adaptive_pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
from abinitio.ops.arithmetic import add, div, mul, neg, pow, sub
from abinitio.ops.attention import scaled_dot_product_attention
from abinitio.ops.conv import conv1d, conv2d
from abinitio.ops.conv_transpose import conv_transpose2d
from abinitio.ops.indexing import gather, getitem, index_select
from abinitio.ops.linalg import linear, matmul
from abinitio.ops.pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from abinitio.ops.reduction import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from abinitio.ops.scatter import index_add, scatter_add, scatter_reduce
from abinitio.ops.selection import (
    clamp,
    eq,
    ge,
    gt,
    le,
    logical_and,
    logical_or,
    lt,
    masked_fill,
    maximum,
    minimum,
    ne,
    where,
)
from abinitio.ops.shape import (
    broadcast_to,
    cat,
    chunk,
    concat,
    expand,
    flatten,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unflatten,
    unsqueeze,
)
from abinitio.ops.softmax import log_softmax, softmax
from abinitio.ops.sparse import sparse_coo_tensor, spmm
from abinitio.ops.unary import abs, cos, exp, log, sin, sqrt, tanh

PRIMITIVES = {
    cls.__name__: cls
    for module in (
        arithmetic,
        unary,
        activation,
        selection,
        reduction,
        shape,
        indexing,
        linalg,
        softmax_module,
        conversion,
        normalization,
        loss,
        embedding,
        conv,
        conv_transpose,
        pooling,
        attention,
        recurrent,
        recurrent_gru,
        recurrent_lstm,
        scatter,
        sparse,
        spike,
    )
    for cls in vars(module).values()
    if isinstance(cls, type) and cls.__module__ == module.__name__ and hasattr(cls, "backward")
}
