"""The graph and topology results of the README, over seeds (minutes on two cores).

* karate club: 2-layer GCN, labels on nodes 0 and 33, accuracy on the other 32 (seeds 0-4);
* triangle graphs: GIN against an MLP on degree histograms (300 graphs, 200 to train);
* trajectories: SCNN against a GCN on the line graph, 60 training flows, 200 test.

Run: ``python scripts/graph_results.py [--seeds N]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import abinitio as ab
from abinitio import graph as G
from abinitio import nn
from abinitio import topology as T
from abinitio.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "topology"))


def karate(seed: int) -> float:
    ab.manual_seed(seed)
    g = G.datasets.karate_club()
    model = G.GCN(34, 16, 2, 2)
    optimizer = ab.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    train = np.flatnonzero(g.train_mask.numpy())
    for _ in range(200):
        optimizer.zero_grad()
        F.cross_entropy(model(g.x, g.edge_index).index_select(0, train), g.y[train]).backward()
        optimizer.step()
    with ab.no_grad():
        predicted = model(g.x, g.edge_index).argmax(-1).numpy()
    test = g.test_mask.numpy()
    return float((predicted[test] == g.y.numpy()[test]).mean())


def triangles(seed: int, graphs) -> tuple:
    train, test = graphs[:200], graphs[200:]
    histograms = ab.tensor(np.stack([G.datasets.degree_histogram(g) for g in graphs]))
    labels = ab.tensor(np.array([g.y.item() for g in graphs]))
    ab.manual_seed(seed)
    gin = G.GraphClassifier(1, 32, 2, num_layers=3)
    optimizer = ab.optim.Adam(gin.parameters(), lr=0.01)
    for _ in range(60):
        gin.train()
        for batch, y in G.DataLoader(train, batch_size=32, shuffle=True):
            optimizer.zero_grad()
            F.cross_entropy(gin(batch), y).backward()
            optimizer.step()
    mlp = nn.Sequential(nn.Linear(11, 32), nn.ReLU(), nn.Linear(32, 2))
    optimizer = ab.optim.Adam(mlp.parameters(), lr=0.01)
    for _ in range(300):
        optimizer.zero_grad()
        F.cross_entropy(mlp(histograms[:200]), labels[:200]).backward()
        optimizer.step()
    gin.eval()
    batch, y = G.collate(test)
    with ab.no_grad():
        gin_accuracy = (gin(batch).argmax(-1).numpy() == y.numpy()).mean()
        mlp_accuracy = (mlp(histograms[200:]).argmax(-1).numpy() == labels.numpy()[200:]).mean()
    return float(gin_accuracy), float(mlp_accuracy)


def trajectories(seed: int, data) -> tuple:
    from test_topology import LineGraphGCN, _fit

    flows, labels, complex_, _ = data
    train = np.arange(60)
    ab.manual_seed(seed)
    scnn = _fit(T.SCNN(complex_, 1, 1, 16, 3), flows, labels, train)
    ab.manual_seed(seed)
    gcn = _fit(LineGraphGCN(complex_, 16), flows, labels, train)
    return scnn, gcn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    seeds = range(parser.parse_args().seeds)
    print("karate GCN:", [round(karate(s), 3) for s in seeds])
    graphs = G.datasets.triangle_graphs(300, seed=0)
    print("triangles (GIN, MLP):", [triangles(s, graphs) for s in seeds])
    data = T.datasets.trajectory_flows(600, 300, seed=0)
    print("trajectories (SCNN, line-graph GCN):", [trajectories(s, data) for s in seeds])


if __name__ == "__main__":
    main()
