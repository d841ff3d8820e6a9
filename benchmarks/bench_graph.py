"""Graph networks at scale: abinitio against PyTorch and PyTorch Geometric in one process.

Workload (the issue's): a stochastic-block-model graph of 100,000 nodes and about
1,000,000 directed edges, 128 features, 4 classes. One step = full-batch forward of a
2-layer network (hidden 64), cross-entropy on the training nodes, backward, Adam step.

* ``gcn``: abinitio's ``GCN(cached=True)`` (one sparse product per layer with the cached
  normalised adjacency, SciPy CSR underneath); PyTorch with ``torch.sparse.mm`` and the
  same normalised adjacency (coalesced COO, built once); PyTorch Geometric's ``GCNConv``
  (``cached=True``) when it is installed.
* ``gat``: one GAT step (8 heads of 8, then 1 head): abinitio's ``GAT`` against PyTorch
  Geometric's ``GATConv`` when installed.

Reported: median seconds per step and the median per-round ratio to PyTorch (above 1:
abinitio is faster). Run: ``python benchmarks/bench_graph.py [--quick] [--nodes N]``.
"""

from __future__ import annotations

import argparse

import numpy as np

import abinitio as ab
from abinitio import graph as G
from common import compare, save, try_import_torch


def data(nodes: int, seed: int = 0):
    sbm = G.datasets.stochastic_block_model(nodes, num_classes=4, average_degree=10,
                                            num_features=128, seed=seed)  # fmt: skip
    train = np.flatnonzero(sbm.train_mask.numpy())
    return sbm, train


def ours_gcn(sbm, train):
    ab.manual_seed(0)
    model = G.GCN(128, 64, 2, 4, cached=True)
    optimizer = ab.optim.Adam(model.parameters(), lr=0.01)
    y = sbm.y.index_select(0, train)

    def step():
        optimizer.zero_grad()
        out = model(sbm.x, sbm.edge_index).index_select(0, train)
        ab.nn.functional.cross_entropy(out, y).backward()
        optimizer.step()

    return step, model


def torch_gcn(torch, sbm, train, ours):
    """The same weights, the same normalised adjacency, ``torch.sparse.mm``."""
    edges, weights = G.gcn_norm(sbm.edge_index, num_nodes=sbm.num_nodes)
    adjacency = torch.sparse_coo_tensor(torch.tensor(np.stack([edges[1], edges[0]])),
                                        torch.tensor(weights.numpy()),
                                        (sbm.num_nodes, sbm.num_nodes)).coalesce()  # fmt: skip
    named = {name: torch.tensor(p.numpy(force=True).copy(), requires_grad=True)
             for name, p in ours.named_parameters()}  # fmt: skip
    w1, b1 = named["convs.0.lin.weight"], named["convs.0.bias"]
    w2, b2 = named["convs.1.lin.weight"], named["convs.1.bias"]
    params = [w1, b1, w2, b2]
    x, y = torch.tensor(sbm.x.numpy()), torch.tensor(sbm.y.numpy()[train])
    index = torch.tensor(train)
    optimizer = torch.optim.Adam(params, lr=0.01)

    def step():
        optimizer.zero_grad()
        h = torch.relu(torch.sparse.mm(adjacency, x @ w1.T) + b1)
        out = torch.sparse.mm(adjacency, h @ w2.T) + b2
        torch.nn.functional.cross_entropy(out[index], y).backward()
        optimizer.step()

    return step


def pyg_step(torch, pyg, sbm, train, kind: str):
    torch.manual_seed(0)
    if kind == "gcn":
        convs = [pyg.GCNConv(128, 64, cached=True), pyg.GCNConv(64, 4, cached=True)]
    else:
        convs = [pyg.GATConv(128, 8, heads=8), pyg.GATConv(64, 4, heads=1)]
    model = torch.nn.ModuleList(convs)
    edge_index = torch.tensor(sbm.edge_index.numpy())
    x, y = torch.tensor(sbm.x.numpy()), torch.tensor(sbm.y.numpy()[train])
    index = torch.tensor(train)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    activation = torch.relu if kind == "gcn" else torch.nn.functional.elu

    def step():
        optimizer.zero_grad()
        out = convs[1](activation(convs[0](x, edge_index)), edge_index)
        torch.nn.functional.cross_entropy(out[index], y).backward()
        optimizer.step()

    return step


def ours_gat(sbm, train):
    ab.manual_seed(0)
    model = G.GAT(128, 64, 2, 4, heads=8)
    optimizer = ab.optim.Adam(model.parameters(), lr=0.01)
    y = sbm.y.index_select(0, train)

    def step():
        optimizer.zero_grad()
        out = model(sbm.x, sbm.edge_index).index_select(0, train)
        ab.nn.functional.cross_entropy(out, y).backward()
        optimizer.step()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    rounds, repeat = (3, 1) if args.quick else (5, 2)
    torch = try_import_torch()
    try:
        import torch_geometric.nn as pyg
    except ImportError:
        pyg = None
    sbm, train = data(args.nodes)
    print(f"SBM: {sbm.num_nodes:,} nodes, {sbm.num_edges:,} directed edges, 128 features")
    results = {}
    step, model = ours_gcn(sbm, train)
    candidates = {}
    if torch is not None:
        candidates["torch.sparse.mm"] = torch_gcn(torch, sbm, train, model)
    candidates["abinitio"] = step
    if pyg is not None:
        candidates["pyg GCNConv"] = pyg_step(torch, pyg, sbm, train, "gcn")
    results["gcn"] = compare(candidates, repeat=repeat, rounds=rounds)
    candidates = {}
    if pyg is not None:
        candidates["pyg GATConv"] = pyg_step(torch, pyg, sbm, train, "gat")
    candidates["abinitio"] = ours_gat(sbm, train)
    results["gat"] = compare(candidates, repeat=1, rounds=max(rounds - 2, 1))
    for workload, rows in results.items():
        print(f"\n{workload}: one full-batch step (forward, backward, Adam)")
        for name, row in rows.items():
            print(f"  {name:18s} {row['median_s'] * 1000:9.1f} ms   "
                  f"x{row['speed_vs_baseline']:.2f} vs {row['baseline']}")  # fmt: skip
    save("bench_graph", {"nodes": sbm.num_nodes, "edges": sbm.num_edges, **results})


if __name__ == "__main__":
    main()
