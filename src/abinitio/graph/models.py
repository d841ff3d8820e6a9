"""Whole networks from the graph layers (PyTorch Geometric's ``GCN``, ``GraphSAGE``,
``GAT``, ``GIN`` models, and a graph classifier with a readout).

Node classification: ``num_layers`` convolutions, ReLU (ELU for GAT, as its paper) and
dropout between them; the last layer gives class scores per node. Graph classification:
GIN layers, a sum readout of every layer's node features (Xu et al. 2019: the readouts of
all depths, concatenated), then a linear layer.
"""

from __future__ import annotations

from abinitio.graph.conv import GATConv, GCNConv, GINConv, SAGEConv
from abinitio.graph.pool import global_add_pool
from abinitio.nn import BatchNorm1d, Linear, Module, ModuleList, ReLU, Sequential
from abinitio.nn import functional as F
from abinitio.ops.shape import cat
from abinitio.tensor import Tensor


class BasicGNN(Module):
    """A stack of ``num_layers`` graph convolutions for node-level outputs.

    Args:
        in_channels, hidden_channels, out_channels: feature sizes (out: classes).
        num_layers: convolutions (2 is Kipf & Welling's GCN).
        dropout: on each layer's input during training.

    ``embed(x, edge_index)`` returns the last hidden layer's features (for plots).

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    def __init__(self, in_channels: int, hidden_channels: int, num_layers: int,
                 out_channels: int, dropout: float = 0.0, **conv_options) -> None:  # fmt: skip
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"{type(self).__name__}: num_layers must be >= 1, got {num_layers}")
        self.dropout = dropout
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = ModuleList(
            [self.make_conv(a, b, last=i == num_layers - 1, **conv_options)
             for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]
        )  # fmt: skip

    def make_conv(self, in_channels, out_channels, last: bool, **options):
        raise NotImplementedError

    def activation(self, x: Tensor) -> Tensor:
        return x.relu()

    def embed(self, x: Tensor, edge_index) -> Tensor:
        for conv in self.convs[:-1]:
            x = F.dropout(x, self.dropout, self.training)
            x = self.activation(conv(x, edge_index))
        return x

    def forward(self, x: Tensor, edge_index) -> Tensor:
        x = self.embed(x, edge_index)
        x = F.dropout(x, self.dropout, self.training)
        return self.convs[-1](x, edge_index)


class GCN(BasicGNN):
    """Graph convolutional network (Kipf & Welling 2017) of :class:`GCNConv` layers.

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    def make_conv(self, in_channels, out_channels, last, **options):
        return GCNConv(in_channels, out_channels, **options)


class GraphSAGE(BasicGNN):
    """GraphSAGE (Hamilton et al. 2017) of :class:`SAGEConv` layers (mean aggregation).

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    def make_conv(self, in_channels, out_channels, last, **options):
        return SAGEConv(in_channels, out_channels, **options)


class GAT(BasicGNN):
    """Graph attention network (Velickovic et al. 2018): hidden layers of ``heads`` heads
    (concatenated, ``hidden_channels`` in all), an output layer of one head, ELU between;
    ``attention_dropout`` drops attention weights (``dropout`` drops features).

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    def make_conv(self, in_channels, out_channels, last, heads: int = 8,
                  attention_dropout: float = 0.0, **options):  # fmt: skip
        options["dropout"] = attention_dropout
        if last:
            return GATConv(in_channels, out_channels, heads=1, **options)
        if out_channels % heads:
            raise ValueError(f"GAT: hidden_channels {out_channels} must be a multiple of "
                             f"heads {heads}")  # fmt: skip
        return GATConv(in_channels, out_channels // heads, heads=heads, **options)

    def activation(self, x: Tensor) -> Tensor:
        return x.clamp(max=0.0).exp() - 1 + x.relu()  # ELU(x) = x for x > 0, e^x - 1 below

    def attention(self, x: Tensor, edge_index) -> tuple:
        """The first layer's (edge_index, alpha (E, heads)), self loops included."""
        return self.convs[0](x, edge_index, return_attention_weights=True)[1]


class GIN(BasicGNN):
    """Graph isomorphism network (Xu et al. 2019): each layer a :class:`GINConv` whose MLP
    is Linear-ReLU-Linear.

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    def make_conv(self, in_channels, out_channels, last, **options):
        mlp = Sequential(Linear(in_channels, out_channels), ReLU(),
                         Linear(out_channels, out_channels))  # fmt: skip
        return GINConv(mlp, **options)


class GraphClassifier(Module):
    """One label per graph: ``num_layers`` GIN layers (each MLP with batch norm, as in Xu
    et al.), the sum of every layer's node features per graph, concatenated, and a linear
    layer: scores (G, classes) for a :class:`~abinitio.graph.Batch` of G graphs.

    See the article docs/articles/structures/graph_neural_networks.py.
    """

    def __init__(self, in_channels: int, hidden_channels: int, num_classes: int,
                 num_layers: int = 3, dropout: float = 0.0) -> None:  # fmt: skip
        super().__init__()
        self.dropout = dropout
        sizes = [in_channels] + [hidden_channels] * num_layers
        self.convs = ModuleList(
            [GINConv(Sequential(Linear(a, b), BatchNorm1d(b), ReLU(), Linear(b, b), ReLU()))
             for a, b in zip(sizes[:-1], sizes[1:])]
        )  # fmt: skip
        self.head = Linear(sum(sizes), num_classes)

    def forward(self, batch) -> Tensor:
        x, readouts = batch.x, []
        graphs = batch.num_graphs
        readouts.append(global_add_pool(x, batch.batch, graphs))
        for conv in self.convs:
            x = conv(x, batch.edge_index)
            readouts.append(global_add_pool(x, batch.batch, graphs))
        h = F.dropout(cat(readouts, 1), self.dropout, self.training)
        return self.head(h)
