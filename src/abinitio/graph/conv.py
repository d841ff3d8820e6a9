"""Message passing, and the four classic graph convolutions built on it.

One layer of a graph neural network updates every node from its neighbours in three steps
(Gilmer et al. 2017; PyTorch Geometric's ``MessagePassing``):

    m_ji = message(x_i, x_j, e_ji)              for every edge j -> i   (a gather)
    a_i  = aggregate({m_ji : j in N(i)})        sum, mean or max        (a scatter)
    x_i' = update(a_i, x_i)

The gather is ``x.index_select(0, source)``, the scatter ``index_add`` (a segment sum), so
the backward pass is the same two operations in the other order. When the message is a
fixed weight times x_j, gather + scatter is one sparse product ``A @ x`` (GCN, GIN).
"""

from __future__ import annotations

import inspect

import numpy as np

from abinitio.graph.utils import (
    add_self_loops,
    check_edge_index,
    gcn_norm,
    remove_self_loops,
    softmax,
    to_sparse_adjacency,
)
from abinitio.nn import Linear, Module, Parameter, init
from abinitio.nn import functional as F
from abinitio.ops.scatter import index_add, scatter_reduce
from abinitio.ops.sparse import mm
from abinitio.tensor import Tensor

AGGREGATIONS = ("add", "sum", "mean", "max")


def _zeros(n: int, like: Tensor) -> Tensor:
    return Tensor._make(np.zeros_like(like.array, shape=(n, *like.shape[1:])), False, None)


def aggregate(messages: Tensor, index, num_nodes: int, aggr: str = "add") -> Tensor:
    """Combine the messages (E, ...) that arrive at each node ``index`` (E,): their sum,
    mean or maximum; a node that receives nothing gets zeros."""
    if aggr in ("add", "sum", "mean"):
        out = index_add(_zeros(num_nodes, messages), 0, index, messages)
        if aggr == "mean":
            count = np.bincount(index, minlength=num_nodes).clip(min=1)
            out = out / Tensor(count.astype(out.dtype).reshape(-1, *[1] * (out.ndim - 1)))
        return out
    if aggr == "max":
        shape = (-1, *[1] * (messages.ndim - 1))
        expanded = np.broadcast_to(np.asarray(index).reshape(shape), messages.shape)
        return scatter_reduce(_zeros(num_nodes, messages), 0, expanded, messages, "amax",
                              include_self=False)  # fmt: skip
    raise ValueError(f"aggregate: aggr must be one of {AGGREGATIONS}, got {aggr!r}")


class MessagePassing(Module):
    """The base of message-passing layers: subclasses define :meth:`message` (and may
    override :meth:`aggregate` and :meth:`update`); :meth:`propagate` runs the three.

    Arguments of ``message`` ending in ``_j`` are gathered at each edge's source, those
    ending in ``_i`` at its target (``x_j`` is the neighbour's features); other names are
    passed as they are (per-edge tensors such as ``edge_weight``).

    Args:
        aggr: ``"add"`` (= ``"sum"``), ``"mean"`` or ``"max"``.

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    def __init__(self, aggr: str = "add") -> None:
        super().__init__()
        if aggr not in AGGREGATIONS:
            raise ValueError(f"{type(self).__name__}: aggr must be one of {AGGREGATIONS}, "
                             f"got {aggr!r}")  # fmt: skip
        self.aggr = aggr
        self._message_args = list(inspect.signature(self.message).parameters)

    def propagate(self, edge_index, size: int | None = None, **kwargs) -> Tensor:
        """message -> aggregate -> update over the edges (2, E) for ``size`` nodes."""
        nodes = [v for k, v in kwargs.items() if isinstance(v, Tensor) and k.startswith("x")]
        size = size if size is not None else nodes[0].shape[0]
        edges = check_edge_index(edge_index, size)
        source, target = edges[0], edges[1]
        arguments = {}
        for name in self._message_args:
            if name.endswith("_j"):
                arguments[name] = kwargs[name[:-2]].index_select(0, source)
            elif name.endswith("_i"):
                arguments[name] = kwargs[name[:-2]].index_select(0, target)
            else:
                arguments[name] = kwargs.get(name)
        messages = self.message(**arguments)
        return self.update(self.aggregate(messages, target, size), **kwargs)

    def message(self, x_j: Tensor) -> Tensor:
        return x_j

    def aggregate(self, messages: Tensor, index, num_nodes: int) -> Tensor:
        return aggregate(messages, index, num_nodes, self.aggr)

    def update(self, aggregated: Tensor, **kwargs) -> Tensor:
        return aggregated


def _check_nodes(layer, x: Tensor, in_channels: int) -> None:
    if x.ndim != 2 or x.shape[1] != in_channels:
        raise ValueError(
            f"{layer}: expected node features of shape (num_nodes, {in_channels}), "
            f"got {tuple(x.shape)}"
        )


class GCNConv(MessagePassing):
    """Graph convolution (Kipf & Welling 2017): X' = D^-1/2 (A + I) D^-1/2 X W + b.

    Node i averages its neighbours and itself, each j weighted by 1/sqrt(d_i d_j) with d
    the degree counting the self loop; the weights are those of a symmetric matrix whose
    eigenvalues lie in (-1, 1], so stacking layers cannot blow features up. The product
    runs as one sparse matrix product (``A_hat @ (X W)``); :meth:`propagate` computes the
    same as gather, scale, scatter.

    Args:
        in_channels, out_channels: feature sizes.
        improved: self loops of weight 2 (A + 2I).
        cached: keep the normalised adjacency of the first call (transductive training
            on one fixed graph).
        add_self_loops, normalize, bias: as in PyTorch Geometric.

    Shape: x (N, in_channels), edge_index (2, E) -> (N, out_channels)

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    def __init__(self, in_channels: int, out_channels: int, improved: bool = False,
                 cached: bool = False, add_self_loops: bool = True, normalize: bool = True,
                 bias: bool = True) -> None:  # fmt: skip
        super().__init__("add")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.improved, self.cached = improved, cached
        self.add_self_loops, self.normalize = add_self_loops, normalize
        self.lin = Linear(in_channels, out_channels, bias=False)
        self.bias = Parameter(np.zeros(out_channels, np.float32)) if bias else None
        self._cached_adjacency = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.xavier_uniform_(self.lin.weight)  # PyTorch Geometric's glorot
        if self.bias is not None:
            init.zeros_(self.bias)
        self._cached_adjacency = None

    def normalized(self, edge_index, num_nodes: int, edge_weight=None):
        """(edge_index, weights) of D^-1/2 (A + I) D^-1/2, or A's own when not normalising."""
        if not self.normalize:
            if edge_weight is None:
                edge_weight = Tensor(np.ones(edge_index.shape[1], dtype=np.float32))
            return edge_index, edge_weight
        fill = 2.0 if self.improved else 1.0
        return gcn_norm(edge_index, edge_weight, num_nodes, self.add_self_loops, fill)

    def adjacency(self, edge_index, num_nodes: int, edge_weight=None):
        if self.cached and self._cached_adjacency is not None:
            return self._cached_adjacency
        edges = check_edge_index(edge_index, num_nodes)
        adjacency = to_sparse_adjacency(*self.normalized(edges, num_nodes, edge_weight),
                                        num_nodes)  # fmt: skip
        if self.cached:
            self._cached_adjacency = adjacency
        return adjacency

    def forward(self, x: Tensor, edge_index, edge_weight=None) -> Tensor:
        _check_nodes(self, x, self.in_channels)
        adjacency = self.adjacency(edge_index, x.shape[0], edge_weight)
        out = mm(adjacency, self.lin(x))
        return out if self.bias is None else out + self.bias

    def message(self, x_j: Tensor, edge_weight: Tensor) -> Tensor:
        return x_j * edge_weight.unsqueeze(-1)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}"


class SAGEConv(MessagePassing):
    """GraphSAGE (Hamilton et al. 2017): x_i' = W_1 mean_{j in N(i)} x_j + W_2 x_i.

    The neighbours' mean and the node's own features get separate weights, so a node is
    not confused with the average of its neighbourhood. ``normalize`` scales each output
    row to unit length.

    Shape: x (N, in_channels), edge_index (2, E) -> (N, out_channels)

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    def __init__(self, in_channels: int, out_channels: int, aggr: str = "mean",
                 normalize: bool = False, root_weight: bool = True, bias: bool = True) -> None:  # fmt: skip
        super().__init__(aggr)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.normalize, self.root_weight = normalize, root_weight
        self.lin_l = Linear(in_channels, out_channels, bias=bias)
        self.lin_r = Linear(in_channels, out_channels, bias=False) if root_weight else None

    def forward(self, x: Tensor, edge_index) -> Tensor:
        _check_nodes(self, x, self.in_channels)
        out = self.lin_l(self.propagate(edge_index, x=x))
        if self.root_weight:
            out = out + self.lin_r(x)
        if self.normalize:
            out = out / (out * out).sum(-1, keepdim=True).sqrt().clamp(min=1e-12)
        return out

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, aggr={self.aggr!r}"


class GINConv(MessagePassing):
    """Graph isomorphism network layer (Xu et al. 2019): x_i' = h((1 + eps) x_i + sum_j x_j).

    A sum (not a mean or max) of the neighbours, followed by an MLP ``h``: the sum keeps
    how many neighbours of each kind there are, which makes GIN as discriminating as the
    Weisfeiler-Lehman test.

    Args:
        nn: the MLP h (a Module), e.g. ``Sequential(Linear, ReLU, Linear)``.
        eps: the weight of the node itself; ``train_eps`` makes it a parameter.

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    def __init__(self, nn: Module, eps: float = 0.0, train_eps: bool = False) -> None:
        super().__init__("add")
        self.nn = nn
        eps_value = np.array([eps], dtype=np.float32)
        if train_eps:
            self.eps = Parameter(eps_value)
        else:
            self.register_buffer("eps", Tensor(eps_value))

    def forward(self, x: Tensor, edge_index) -> Tensor:
        edges = check_edge_index(edge_index, x.shape[0])
        ones = Tensor(np.ones(edges.shape[1]), dtype=x.dtype)
        neighbours = mm(to_sparse_adjacency(edges, ones, x.shape[0]), x)
        return self.nn(x * (1 + self.eps) + neighbours)


class GATConv(MessagePassing):
    """Graph attention (Velickovic et al. 2018): each node attends over its neighbours.

    Per head h, with z = W x split into heads::

        e_ji  = LeakyReLU(a_src . z_j + a_dst . z_i)        one score per edge j -> i
        alpha_ji = softmax over j in N(i) of e_ji           (a segment softmax)
        x_i' = sum_j alpha_ji z_j

    Heads are concatenated (``concat=True``) or averaged. Self loops are added so that a
    node also attends to itself.

    Args:
        heads: attention heads; dropout: on the attention weights in training.
        negative_slope: of the LeakyReLU.

    Shape: x (N, in_channels) -> (N, heads * out_channels) or (N, out_channels).
    ``forward(..., return_attention_weights=True)`` also returns
    ``(edge_index, alpha)`` with alpha (E', heads), self loops included.

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1,
                 concat: bool = True, negative_slope: float = 0.2, dropout: float = 0.0,
                 add_self_loops: bool = True, bias: bool = True) -> None:  # fmt: skip
        super().__init__("add")
        self.in_channels, self.out_channels, self.heads = in_channels, out_channels, heads
        self.concat, self.negative_slope, self.dropout = concat, negative_slope, dropout
        self.add_self_loops = add_self_loops
        self.lin = Linear(in_channels, heads * out_channels, bias=False)
        self.att_src = Parameter(np.zeros((1, heads, out_channels), np.float32))
        self.att_dst = Parameter(np.zeros((1, heads, out_channels), np.float32))
        size = heads * out_channels if concat else out_channels
        self.bias = Parameter(np.zeros(size, np.float32)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for weight in (self.lin.weight, self.att_src, self.att_dst):
            init.xavier_uniform_(weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Tensor, edge_index, return_attention_weights: bool = False):
        _check_nodes(self, x, self.in_channels)
        n, heads, channels = x.shape[0], self.heads, self.out_channels
        edges = check_edge_index(edge_index, n)
        if self.add_self_loops:
            edges = add_self_loops(remove_self_loops(edges)[0], num_nodes=n)[0]
        z = self.lin(x).reshape(n, heads, channels)
        score_src = (z * self.att_src).sum(-1)  # (N, heads): a_src . z_j for every node
        score_dst = (z * self.att_dst).sum(-1)
        source, target = edges[0], edges[1]
        scores = score_src.index_select(0, source) + score_dst.index_select(0, target)
        scores = F.leaky_relu(scores, self.negative_slope)
        alpha = softmax(scores, target, n)  # (E, heads)
        weights = F.dropout(alpha, self.dropout, self.training)
        messages = z.index_select(0, source) * weights.unsqueeze(-1)
        out = aggregate(messages, target, n)  # (N, heads, channels)
        out = out.reshape(n, heads * channels) if self.concat else out.mean(1)
        if self.bias is not None:
            out = out + self.bias
        if return_attention_weights:
            return out, (Tensor(edges), alpha)
        return out

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, heads={self.heads}"
