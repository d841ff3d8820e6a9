"""abinitio: deep learning from first principles.

A tensor library with reverse-mode automatic differentiation, written in readable NumPy,
with PyTorch's names and semantics. Start with :class:`Tensor` and ``backward()``.

Example:
    >>> import abinitio as ab
    >>> w = ab.tensor([2.0, -1.0], requires_grad=True)
    >>> loss = ((w * 3).relu() ** 2).sum()
    >>> loss.backward()
    >>> w.grad
    tensor([36.,  0.])
"""

from abinitio import autograd, backend, data, nn, ops, optim, random, utils, viz  # subpackages
from abinitio._version import __version__
from abinitio.autograd.function import Function
from abinitio.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from abinitio.autograd.gradcheck import GradcheckError, gradcheck
from abinitio.creation import (
    arange,
    as_tensor,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from abinitio.dtypes import (
    bool_ as bool,
)
from abinitio.dtypes import (
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    uint8,
)
from abinitio.ops import (
    abs,
    add,
    amax,
    amin,
    argmax,
    argmin,
    broadcast_to,
    cat,
    chunk,
    clamp,
    concat,
    cos,
    div,
    eq,
    exp,
    expand,
    flatten,
    gather,
    ge,
    gt,
    index_select,
    le,
    log,
    log_softmax,
    logsumexp,
    lt,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    ne,
    neg,
    permute,
    pow,
    prod,
    relu,
    reshape,
    sigmoid,
    sin,
    softmax,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,
    tanh,
    transpose,
    unflatten,
    unsqueeze,
    var,
    where,
)
from abinitio import sparse  # ab.sparse.mm and the SparseTensor (issue 14)
from abinitio.ops import index_add, scatter_add, scatter_reduce, sparse_coo_tensor, spmm
from abinitio.random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from abinitio.serialization import load, save
from abinitio.tensor import Tensor

clip = clamp

# PyTorch's set-up idioms and everyday surface (issue 13)
from abinitio import accelerator, backends, cuda, multiprocessing  # noqa: E402
from abinitio.autograd.grad_mode import inference_mode  # noqa: E402
from abinitio.creation import (  # noqa: E402
    BoolTensor,
    ByteTensor,
    DoubleTensor,
    FloatTensor,
    IntTensor,
    LongTensor,
    empty_like,
    rand_like,
    randn_like,
)
from abinitio.devices import device  # noqa: E402
from abinitio.dtypes import bfloat16  # noqa: E402
from abinitio.dtypes import float32 as float  # noqa: E402
from abinitio.dtypes import int32 as int  # noqa: E402
from abinitio.ops.composite import (  # noqa: E402
    bmm,
    diag,
    log1p,
    mm,
    multinomial,
    narrow,
    norm,
    repeat,
    roll,
    topk,
    tril,
    triu,
)
from abinitio.tensor import is_tensor  # noqa: E402
from abinitio.threads import (  # noqa: E402
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    get_num_threads,
    set_float32_matmul_precision,
    set_num_threads,
    use_deterministic_algorithms,
)

Size = tuple  # torch.Size: abinitio's shapes are plain tuples, so Size([2, 3]) == x.shape
dtype = __import__("numpy").dtype  # torch.dtype: abinitio's dtypes are NumPy's


backend.keep_freed_memory()  # see its docstring: large arrays are reused, not re-faulted

__all__ = [name for name in dir() if not name.startswith("_")]
