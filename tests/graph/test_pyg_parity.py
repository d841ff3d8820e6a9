"""Each layer against PyTorch Geometric's layer of the same name: the same weights (our
parameter names are PyG's), the same graph; outputs, input gradients and every parameter
gradient agree. PyG is an oracle (the ``oracles`` extra), installed with the pinned torch."""

import numpy as np
import pytest

from abinitio import graph as G
from abinitio import nn
from helpers import compare_module_with_torch, require


def _graph(n=12, p=0.3, seed=0):
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.random((n, n)) < p, 1)
    target, source = np.nonzero(upper | upper.T)
    x = rng.standard_normal((n, 5)).astype(np.float32)
    return x, np.stack([source, target]).astype(np.int64)


LAYERS = {
    "GCNConv": (lambda: G.GCNConv(5, 3), lambda pyg, torch: pyg.GCNConv(5, 3)),
    "SAGEConv": (lambda: G.SAGEConv(5, 3), lambda pyg, torch: pyg.SAGEConv(5, 3)),
    "GATConv": (lambda: G.GATConv(5, 3, heads=2), lambda pyg, torch: pyg.GATConv(5, 3, heads=2)),
    "GATConv_mean": (lambda: G.GATConv(5, 3, heads=2, concat=False),
                     lambda pyg, torch: pyg.GATConv(5, 3, heads=2, concat=False)),
    "GINConv": (lambda: G.GINConv(nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))),
                lambda pyg, torch: pyg.GINConv(torch.nn.Sequential(
                    torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3)))),
}  # fmt: skip


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_matches_pytorch_geometric(name, torch):
    pyg = require("torch_geometric.nn")
    ours, theirs = LAYERS[name]
    x, edges = _graph()
    compare_module_with_torch(torch, ours(), theirs(pyg, torch), [x, edges], rtol=1e-4,
                              atol=1e-5)  # fmt: skip
