"""Learning on graphs: the :class:`Graph` data object, message passing and the GCN,
GraphSAGE, GAT and GIN layers, pooling, mini-batches of graphs, and offline data sets.

Names follow PyTorch Geometric (``torch_geometric.data.Data`` is :class:`Graph` here,
``torch_geometric.nn.GCNConv`` is :class:`GCNConv`). The layers are built on two engine
primitives, ``index_select`` (gather) and ``index_add`` (scatter), and on sparse products
(:mod:`abinitio.ops.sparse`). ``networkx`` (the ``graph`` extra) is needed only for the
networkx conversions and the karate club and triangle data sets.
"""

from abinitio.graph import datasets
from abinitio.graph.conv import GATConv, GCNConv, GINConv, MessagePassing, SAGEConv, aggregate
from abinitio.graph.data import Batch, DataLoader, Graph, collate
from abinitio.graph.models import GAT, GCN, GIN, BasicGNN, GraphClassifier, GraphSAGE
from abinitio.graph.pool import global_add_pool, global_max_pool, global_mean_pool
from abinitio.graph.utils import (
    add_self_loops,
    degree,
    gcn_norm,
    remove_self_loops,
    softmax,
    to_sparse_adjacency,
    to_undirected,
)

__all__ = [
    "GAT", "GATConv", "GCN", "GCNConv", "GIN", "GINConv", "BasicGNN", "Batch", "DataLoader",
    "Graph", "GraphClassifier", "GraphSAGE", "MessagePassing", "SAGEConv", "add_self_loops",
    "aggregate", "collate", "datasets", "degree", "gcn_norm", "global_add_pool",
    "global_max_pool", "global_mean_pool", "remove_self_loops", "softmax",
    "to_sparse_adjacency", "to_undirected",
]  # fmt: skip
