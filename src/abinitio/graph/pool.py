"""Global pooling: one vector per graph from its nodes' vectors, for graph-level tasks.

With ``batch`` (N,) naming each node's graph (see :class:`~abinitio.graph.Batch`):

    sum:  h_g = sum_{i: batch_i = g} x_i           (a segment sum: index_add)
    mean: h_g = (1 / n_g) sum_{i: batch_i = g} x_i
    max:  h_g = max_{i: batch_i = g} x_i           (scatter_reduce with "amax")

Each is the same for any order of a graph's nodes (permutation invariant), which is what
a property of the whole graph must be. Gradients: sum sends g_g to every node of graph g,
mean g_g / n_g, max only to the node (or tied nodes) that held the maximum.
"""

from __future__ import annotations

import numpy as np

from abinitio.ops.arguments import array_of
from abinitio.tensor import Tensor


def _batch_of(x: Tensor, batch):
    if batch is None:
        return np.zeros(x.shape[0], dtype=np.int64)
    batch = array_of(batch).astype(np.int64, copy=False)
    if batch.shape != (x.shape[0],):
        raise ValueError(
            f"pooling: batch must have one entry per node, shape ({x.shape[0]},), "
            f"got {batch.shape}"
        )
    return batch


def _size(batch, size):
    return int(size) if size is not None else (int(batch.max()) + 1 if batch.size else 0)


def global_add_pool(x: Tensor, batch=None, size: int | None = None) -> Tensor:
    """(N, F) node features -> (G, F) sums per graph.

    Example:
        >>> import abinitio as ab
        >>> global_add_pool(ab.tensor([[1.0], [2.0], [5.0]]), ab.tensor([0, 0, 1]))
        tensor([[3.],
                [5.]])
    """
    from abinitio.graph.conv import aggregate

    batch = _batch_of(x, batch)
    return aggregate(x, batch, _size(batch, size), "add")


def global_mean_pool(x: Tensor, batch=None, size: int | None = None) -> Tensor:
    """(N, F) -> (G, F) means per graph (an empty graph gives zeros)."""
    from abinitio.graph.conv import aggregate

    batch = _batch_of(x, batch)
    return aggregate(x, batch, _size(batch, size), "mean")


def global_max_pool(x: Tensor, batch=None, size: int | None = None) -> Tensor:
    """(N, F) -> (G, F) feature-wise maxima per graph (an empty graph gives zeros)."""
    from abinitio.graph.conv import aggregate

    batch = _batch_of(x, batch)
    return aggregate(x, batch, _size(batch, size), "max")
