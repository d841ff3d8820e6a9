"""``Graph``: one graph's arrays (PyTorch Geometric's ``Data``), and batches of graphs.

A graph with N nodes and E edges is

* ``x``: (N, F) node features (float32),
* ``edge_index``: (2, E) int64, column k an edge from ``edge_index[0, k]`` to
  ``edge_index[1, k]`` (an undirected graph lists both directions),
* optionally ``edge_weight`` (E,), ``edge_attr`` (E, D), labels ``y`` ((N,) for nodes or
  one per graph) and boolean ``train_mask`` / ``val_mask`` / ``test_mask`` (N,).

Many small graphs train as one: :meth:`Batch.from_data_list` puts them side by side as one
disjoint graph (node indices of graph g shifted by the nodes before it) with a ``batch``
vector naming each node's graph, which is what the pooling functions read.
"""

from __future__ import annotations

import numpy as np

from abinitio.data.dataloader import DataLoader as _DataLoader
from abinitio.graph.utils import check_edge_index
from abinitio.tensor import Tensor

MASKS = ("train_mask", "val_mask", "test_mask")


def _as_tensor(value, dtype=None):
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value), dtype=dtype)


class Graph:
    """A graph's node features, edges, labels and masks (``torch_geometric.data.Data``).

    Args:
        x: (N, F) node features.
        edge_index: (2, E) int64 edges, sources in row 0 and targets in row 1.
        edge_weight: (E,) scalar weight per edge.
        edge_attr: (E, D) features per edge.
        y: labels, (N,) per node or (1,) per graph.
        num_nodes: needed only when there is no ``x``.
        **masks: ``train_mask``, ``val_mask``, ``test_mask``: (N,) booleans.

    Every array is checked against the node count, with errors that name it.

    Example:
        >>> import numpy as np
        >>> g = Graph(x=np.eye(3), edge_index=np.array([[0, 1, 1, 2], [1, 0, 2, 1]]))
        >>> g
        Graph(x=[3, 3], edge_index=[2, 4])
        >>> g.num_nodes, g.num_edges
        (3, 4)

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    def __init__(self, x=None, edge_index=None, edge_weight=None, edge_attr=None, y=None,
                 num_nodes: int | None = None, **masks) -> None:  # fmt: skip
        unknown = set(masks) - set(MASKS) - {"batch", "ptr"}
        if unknown:
            raise TypeError(f"Graph: unknown fields {sorted(unknown)}; masks are {MASKS}")
        self.x = _as_tensor(x, np.float32 if x is not None and np.asarray(x).dtype.kind == "f"
                            else None)  # fmt: skip
        if num_nodes is None:
            if self.x is None:
                raise ValueError("Graph: give x (N, F) or num_nodes")
            num_nodes = self.x.shape[0]
        elif self.x is not None and self.x.shape[0] != num_nodes:
            raise ValueError(f"Graph: x has {self.x.shape[0]} rows but num_nodes={num_nodes}")
        self.num_nodes = int(num_nodes)
        edges = np.zeros((2, 0), np.int64) if edge_index is None else edge_index
        self.edge_index = Tensor(check_edge_index(edges, self.num_nodes))
        self.edge_weight = _as_tensor(edge_weight, np.float32)
        self.edge_attr = _as_tensor(edge_attr, np.float32)
        for name in ("edge_weight", "edge_attr"):
            value = getattr(self, name)
            if value is not None and value.shape[0] != self.num_edges:
                raise ValueError(
                    f"Graph: {name} has {value.shape[0]} rows, expected one per edge "
                    f"({self.num_edges})"
                )
        self.y = _as_tensor(y)
        for name in MASKS:
            setattr(self, name, self._mask(name, masks.get(name)))
        self.batch = _as_tensor(masks.get("batch"))
        self.ptr = _as_tensor(masks.get("ptr"))

    def _mask(self, name: str, mask):
        if mask is None:
            return None
        mask = np.asarray(mask.array if isinstance(mask, Tensor) else mask)
        if mask.dtype != np.bool_ or mask.shape != (self.num_nodes,):
            raise ValueError(
                f"Graph: {name} must be a boolean array of shape ({self.num_nodes},), one per "
                f"node, got dtype {mask.dtype} and shape {mask.shape}"
            )
        return Tensor(mask)

    @property
    def num_edges(self) -> int:
        return self.edge_index.shape[1]

    @property
    def num_node_features(self) -> int:
        return 0 if self.x is None else (self.x.shape[1] if self.x.ndim > 1 else 1)

    @property
    def num_graphs(self) -> int:
        return 1 if self.ptr is None else len(self.ptr) - 1

    def to_networkx(self, to_undirected: bool = False):
        """A ``networkx.DiGraph`` (or ``Graph``) with nodes 0..N-1 and these edges."""
        import networkx as nx

        graph = nx.Graph() if to_undirected else nx.DiGraph()
        graph.add_nodes_from(range(self.num_nodes))
        graph.add_edges_from(self.edge_index.numpy().T.tolist())
        return graph

    @classmethod
    def from_networkx(cls, graph, x=None, **fields) -> Graph:
        """Nodes are numbered in ``graph.nodes`` order; undirected edges go both ways."""
        nodes = list(graph.nodes)
        position = {node: i for i, node in enumerate(nodes)}
        pairs = np.array([(position[a], position[b]) for a, b in graph.edges],
                         dtype=np.int64).reshape(-1, 2).T  # fmt: skip
        if not graph.is_directed():
            pairs = np.concatenate([pairs, pairs[::-1]], axis=1)
        return cls(x=x, edge_index=pairs, num_nodes=len(nodes), **fields)

    def __repr__(self) -> str:
        parts = []
        for name in ("x", "edge_index", "edge_weight", "edge_attr", "y", *MASKS, "batch"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={list(value.shape)}")
        return f"{type(self).__name__}({', '.join(parts)})"


class Batch(Graph):
    """Many graphs as one disjoint graph, with ``batch`` (N,) naming each node's graph and
    ``ptr`` (G + 1,) where each graph's nodes start (``torch_geometric.data.Batch``).

    Example:
        >>> import numpy as np
        >>> edge = np.array([[0, 1], [1, 0]])
        >>> b = Batch.from_data_list([Graph(np.ones((2, 1)), edge), Graph(np.ones((3, 1)), edge)])
        >>> b.edge_index.tolist(), b.batch.tolist()
        ([[0, 1, 2, 3], [1, 0, 3, 2]], [0, 0, 1, 1, 1])

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    @classmethod
    def from_data_list(cls, graphs: list) -> Batch:
        if not graphs:
            raise ValueError("Batch.from_data_list: the list of graphs is empty")
        sizes = np.array([g.num_nodes for g in graphs])
        ptr = np.concatenate([[0], np.cumsum(sizes)])
        edges = [g.edge_index.array + start for g, start in zip(graphs, ptr[:-1])]
        batch = np.repeat(np.arange(len(graphs)), sizes)

        def stack(name):
            values = [getattr(g, name) for g in graphs]
            if any(v is None for v in values):
                return None
            return np.concatenate([np.atleast_1d(v.array) for v in values])

        return cls(x=stack("x"), edge_index=np.concatenate(edges, axis=1),
                   edge_weight=stack("edge_weight"), edge_attr=stack("edge_attr"),
                   y=stack("y"), num_nodes=int(ptr[-1]), batch=batch, ptr=ptr)  # fmt: skip


def collate(graphs: list) -> tuple:
    """A DataLoader's ``collate_fn`` for graph classification: ``(batch, batch.y)``, the
    (inputs, targets) pair the Trainer expects."""
    batch = Batch.from_data_list(graphs)
    return batch, batch.y


class DataLoader(_DataLoader):
    """Mini-batches of graphs (``torch_geometric.loader.DataLoader``): each batch is
    ``(Batch, y)`` of up to ``batch_size`` graphs joined by :meth:`Batch.from_data_list`.

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, **kwargs) -> None:
        super().__init__(dataset, batch_size, shuffle, collate_fn=collate, **kwargs)
