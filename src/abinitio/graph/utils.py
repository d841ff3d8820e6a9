"""Edge-list operations (PyTorch Geometric's ``torch_geometric.utils`` names).

A graph's edges are ``edge_index``, an int64 (2, E) array: column k is an edge from node
``edge_index[0, k]`` (the source j) to node ``edge_index[1, k]`` (the target i), and
messages flow from source to target. Everything here is vectorised over edges.
"""

from __future__ import annotations

import numpy as np

from abinitio.ops.arguments import array_of
from abinitio.ops.scatter import index_add, scatter_reduce
from abinitio.ops.sparse import SparseTensor, sparse_coo_tensor
from abinitio.tensor import Tensor


def check_edge_index(edge_index, num_nodes: int | None = None, name: str = "edge_index"):
    """``edge_index`` as an int64 (2, E) array, or a ValueError saying what was wrong."""
    edges = array_of(edge_index)
    if edges.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer node indices (int64), got dtype {edges.dtype}")
    if edges.ndim != 2 or edges.shape[0] != 2:
        raise ValueError(f"{name} must have shape (2, num_edges), got {edges.shape}")
    edges = edges.astype(np.int64, copy=False)
    if edges.size and edges.min() < 0:
        raise ValueError(f"{name} holds a negative node index ({edges.min()}); nodes are 0..N-1")
    if num_nodes is not None and edges.size and edges.max() >= num_nodes:
        raise ValueError(
            f"{name} refers to node {edges.max()}, out of range for {num_nodes} nodes "
            f"(expected indices in [0, {num_nodes}))"
        )
    return edges


def num_nodes_of(edge_index, num_nodes: int | None = None) -> int:
    if num_nodes is not None:
        return int(num_nodes)
    edges = array_of(edge_index)
    return int(edges.max()) + 1 if edges.size else 0


def degree(index, num_nodes: int | None = None, dtype=np.float32) -> Tensor:
    """How many times each node appears in ``index`` (pass ``edge_index[1]`` for in-degree).

    Example:
        >>> degree(np.array([0, 1, 1, 3])).tolist()
        [1.0, 2.0, 0.0, 1.0]
    """
    index = array_of(index).astype(np.int64, copy=False)
    n = int(index.max()) + 1 if num_nodes is None and index.size else int(num_nodes or 0)
    return Tensor(np.bincount(index, minlength=n).astype(dtype))


def remove_self_loops(edge_index, edge_weight=None):
    """Drop the edges (i, i); the weights of the kept edges follow."""
    edges = array_of(edge_index)
    keep = np.flatnonzero(edges[0] != edges[1])
    weight = None if edge_weight is None else edge_weight.index_select(0, keep)
    return edges[:, keep], weight


def add_self_loops(edge_index, edge_weight=None, fill_value: float = 1.0, num_nodes=None):
    """Append an edge (i, i) for every node, with weight ``fill_value``.

    Example:
        >>> add_self_loops(np.array([[0], [1]]), num_nodes=2)[0].tolist()
        [[0, 0, 1], [1, 0, 1]]
    """
    edges = array_of(edge_index).astype(np.int64, copy=False)
    n = num_nodes_of(edges, num_nodes)
    loops = np.arange(n, dtype=np.int64)
    edges = np.concatenate([edges, np.stack([loops, loops])], axis=1)
    if edge_weight is None:
        return edges, None
    from abinitio.ops.shape import cat

    fill = Tensor(np.full(n, fill_value), dtype=edge_weight.dtype)
    return edges, cat([edge_weight, fill])


def to_undirected(edge_index, num_nodes: int | None = None):
    """Every edge in both directions, repeats removed, sorted by (source, target).

    Example:
        >>> to_undirected(np.array([[0, 1], [1, 2]])).tolist()
        [[0, 1, 1, 2], [1, 0, 2, 1]]
    """
    edges = array_of(edge_index).astype(np.int64, copy=False)
    n = num_nodes_of(edges, num_nodes)
    both = np.concatenate([edges, edges[::-1]], axis=1)
    keys = np.unique(both[0] * max(n, 1) + both[1])
    return np.stack([keys // max(n, 1), keys % max(n, 1)])


def gcn_norm(edge_index, edge_weight=None, num_nodes=None, add_loops: bool = True,
             fill_value: float = 1.0):  # fmt: skip
    """The symmetric normalisation of Kipf & Welling: weights of D^-1/2 (A + I) D^-1/2.

    With A_hat = A + I (self loops of weight ``fill_value``, 2 for ``improved``) and
    d_i = sum_j A_hat[i, j] (the weighted in-degree), edge j -> i gets weight
    A_hat[i, j] / sqrt(d_i d_j). Returns (edge_index, edge_weight); the weights are a
    Tensor, differentiable when ``edge_weight`` is learned.
    """
    n = num_nodes_of(edge_index, num_nodes)
    edges = array_of(edge_index).astype(np.int64, copy=False)
    if edge_weight is None:
        edge_weight = Tensor(np.ones(edges.shape[1], dtype=np.float32))
    if add_loops:
        edges, edge_weight = add_self_loops(edges, edge_weight, fill_value, n)
    zeros = Tensor(np.zeros(n), dtype=edge_weight.dtype)
    deg = index_add(zeros, 0, edges[1], edge_weight)
    inv_sqrt = Tensor(np.where(deg.array > 0, deg.array, np.inf) ** -0.5, dtype=deg.dtype)
    if edge_weight.requires_grad:  # keep the degree's gradient for learned weights
        inv_sqrt = (deg + (deg.array <= 0)) ** -0.5 * Tensor(deg.array > 0, dtype=deg.dtype)
    norm = inv_sqrt.index_select(0, edges[0]) * edge_weight
    return edges, norm * inv_sqrt.index_select(0, edges[1])


def to_sparse_adjacency(edge_index, edge_weight, num_nodes: int) -> SparseTensor:
    """The N x N matrix with A[i, j] = weight of edge j -> i (rows are targets), so that
    ``A @ x`` sums each node's incoming messages."""
    edges = array_of(edge_index)
    return sparse_coo_tensor(np.stack([edges[1], edges[0]]), edge_weight, (num_nodes, num_nodes))


def softmax(src: Tensor, index, num_nodes: int | None = None) -> Tensor:
    """Softmax of ``src`` (E, ...) over the entries that share a target ``index`` (E,).

    out_k = exp(s_k - m_i) / sum_{l: index_l = i} exp(s_l - m_i), i = index_k, where m_i is
    the largest s of segment i (subtracted so that exp cannot overflow; it cancels, so it
    is computed without gradient, as PyTorch Geometric does).
    """
    index = array_of(index).astype(np.int64, copy=False)
    n = num_nodes_of(index[None], num_nodes)
    shape = (n, *src.shape[1:])
    expanded = np.broadcast_to(index.reshape(-1, *([1] * (src.ndim - 1))), src.shape)
    start = Tensor(np.zeros(shape), dtype=src.dtype)
    top = scatter_reduce(start, 0, expanded, src.detach(), "amax", include_self=False)
    shifted = (src - top.index_select(0, index)).exp()
    total = index_add(Tensor(np.zeros(shape), dtype=src.dtype), 0, index, shifted)
    return shifted / (total.index_select(0, index) + 1e-16)
