"""Kipf & Welling's 2-layer GCN on Cora from a local LINQS directory (cora.content,
cora.cites): python scripts/cora_gcn.py DIR. The issue asks for >= 80% (the paper: 81.5%).
The files cannot be fetched here, so this is a script, not a test that would always skip;
the LINQS parser itself is tested on a directory the test writes."""

import sys

import numpy as np

import abinitio as ab
import abinitio.graph as G
import abinitio.nn.functional as F


def main(directory: str) -> float:
    g = G.datasets.cora(directory)
    model = G.GCN(g.x.shape[1], 16, 2, 7, dropout=0.5, cached=True)
    optimizer = ab.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    train = np.flatnonzero(g.train_mask.numpy())
    for _ in range(200):
        model.train()
        optimizer.zero_grad()
        F.cross_entropy(model(g.x, g.edge_index).index_select(0, train), g.y[train]).backward()
        optimizer.step()
    model.eval()
    with ab.no_grad():
        predicted = model(g.x, g.edge_index).argmax(-1).numpy()
    test = g.test_mask.numpy()
    accuracy = float((predicted[test] == g.y.numpy()[test]).mean())
    print(f"Cora test accuracy: {accuracy:.1%}")
    return accuracy


if __name__ == "__main__":
    main(sys.argv[1])
