"""The Graph object's checks, networkx round trips, batching, the data sets (karate club,
SBM, triangle graphs, LINQS citation files), and what the models learn on them."""

import os

import networkx
import numpy as np
import pytest

import abinitio as ab
from abinitio import graph as G
from abinitio.nn import functional as F
from helpers import script


def test_graph_checks_every_array_against_the_node_count():
    edges = np.array([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="node 3, out of range for 3 nodes"):
        G.Graph(x=np.ones((3, 2)), edge_index=np.array([[0, 3], [1, 0]]))
    with pytest.raises(ValueError, match="negative node index"):
        G.Graph(x=np.ones((3, 2)), edge_index=np.array([[0, -1], [1, 0]]))
    with pytest.raises(ValueError, match="integer node indices"):
        G.Graph(x=np.ones((3, 2)), edge_index=edges.astype(float))
    with pytest.raises(ValueError, match="x has 3 rows but num_nodes=4"):
        G.Graph(x=np.ones((3, 2)), edge_index=edges, num_nodes=4)
    with pytest.raises(ValueError, match=r"train_mask must be a boolean array of shape \(3,\)"):
        G.Graph(x=np.ones((3, 2)), edge_index=edges, train_mask=np.ones(2, bool))
    with pytest.raises(ValueError, match="edge_weight has 3 rows, expected one per edge"):
        G.Graph(x=np.ones((3, 2)), edge_index=edges, edge_weight=np.ones(3))


def test_networkx_round_trip_keeps_the_edges():
    club = networkx.karate_club_graph()
    g = G.Graph.from_networkx(club)
    assert g.num_nodes == 34 and g.num_edges == 2 * club.number_of_edges()
    back = g.to_networkx(to_undirected=True)
    assert sorted(map(sorted, back.edges)) == sorted(map(sorted, club.edges))


def test_batch_joins_graphs_and_the_loader_yields_them():
    graphs = [G.Graph(x=np.full((n, 1), float(n)), edge_index=np.array([[0], [n - 1]]),
                      y=np.array([n % 2])) for n in (2, 3, 4)]  # fmt: skip
    batch = G.Batch.from_data_list(graphs)
    assert batch.num_graphs == 3 and batch.ptr.tolist() == [0, 2, 5, 9]
    assert batch.edge_index.tolist() == [[0, 2, 5], [1, 4, 8]]
    assert G.global_mean_pool(batch.x, batch.batch).tolist() == [[2.0], [3.0], [4.0]]
    loader = G.DataLoader(graphs, batch_size=2)
    sizes = [(b.num_graphs, tuple(y.shape)) for b, y in loader]
    assert sizes == [(2, (2,)), (1, (1,))]


def test_karate_club_gcn_reaches_the_papers_accuracy():
    """Labels on nodes 0 and 33 only; measured 0.969 for seeds 0-4 (PyTorch: 0.969)."""
    g = G.datasets.karate_club()
    model = G.GCN(34, 16, 2, 2)
    optimizer = ab.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    train = np.flatnonzero(g.train_mask.numpy())
    for _ in range(200):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(g.x, g.edge_index).index_select(0, train), g.y[train])
        loss.backward()
        optimizer.step()
    model.eval()
    with ab.no_grad():
        predicted = model(g.x, g.edge_index).argmax(-1).numpy()
    test = g.test_mask.numpy()
    assert (predicted[test] == g.y.numpy()[test]).mean() >= 0.93


def test_sbm_has_the_asked_degree_and_homophily():
    g = G.datasets.stochastic_block_model(3000, num_classes=3, average_degree=8, homophily=0.7)
    source, target = g.edge_index.numpy()
    y = g.y.numpy()
    assert abs(g.num_edges / 3000 - 8) < 0.5  # a few repeats and self loops are dropped
    within = (y[source] == y[target]).mean()
    assert abs(within - (0.7 + 0.3 / 3)) < 0.03  # cross edges land in the own class 1/3 of times
    masks = [g.train_mask.numpy(), g.val_mask.numpy(), g.test_mask.numpy()]
    assert [m.sum() for m in masks] == [60, 500, 1000]
    assert not (masks[0] & masks[2]).any() and not (masks[1] & masks[2]).any()


def test_triangle_graphs_share_degree_histograms_across_twins():
    graphs = G.datasets.triangle_graphs(20, seed=3)
    for free, rich in zip(graphs[::2], graphs[1::2]):
        assert (free.y.item(), rich.y.item()) == (0, 1)
        np.testing.assert_array_equal(G.datasets.degree_histogram(free),
                                      G.datasets.degree_histogram(rich))  # fmt: skip
        tri = [sum(networkx.triangles(g.to_networkx(True)).values()) // 3 for g in (free, rich)]
        assert tri[0] == 0 and tri[1] >= 5


def test_gin_beats_an_mlp_on_degree_histograms():
    """Measured (300 graphs, 60 epochs): GIN 0.75 and 0.73 for seeds 0 and 1; the MLP
    0.50 (twins share their histogram, so it cannot beat chance)."""
    graphs = G.datasets.triangle_graphs(300, seed=0)
    gaps = [gin - mlp for gin, mlp in (script("graph_results").triangles(seed, graphs)
                                       for seed in (0, 1))]  # fmt: skip
    assert np.mean(gaps) >= 0.10, gaps


# ---- citation graphs: the LINQS text format ------------------------------------------------
def write_linqs(directory, name="cora", papers=60, words=12, classes=3, seed=0):
    """A small directory in the LINQS format: ``name.content`` and ``name.cites``."""
    rng = np.random.default_rng(seed)
    ids = [f"p{i}" for i in range(papers)]
    labels = [f"topic_{i % classes}" for i in range(papers)]
    with open(os.path.join(directory, f"{name}.content"), "w") as file:
        for paper, label in zip(ids, labels):
            bits = " ".join(str(int(b)) for b in rng.random(words) < 0.3)
            file.write(f"{paper} {bits} {label}\n")
    with open(os.path.join(directory, f"{name}.cites"), "w") as file:
        for _ in range(150):
            a, b = rng.integers(0, papers, 2)
            file.write(f"{ids[a]} {ids[b]}\n")
        file.write("p0 missing_paper\n")  # CiteSeer cites papers it does not contain
    return ids, labels


def test_linqs_parser_reads_the_format(tmp_path):
    ids, labels = write_linqs(tmp_path)
    g = G.datasets.read_linqs(str(tmp_path), "cora")
    assert g.num_nodes == 60 and g.x.shape == (60, 12)
    assert g.classes == ["topic_0", "topic_1", "topic_2"]
    assert g.y.tolist() == [int(label[-1]) for label in labels]
    np.testing.assert_allclose(g.x.numpy().sum(1)[g.x.numpy().sum(1) > 0], 1.0, rtol=1e-6)
    edges = g.edge_index.numpy()
    assert set(map(tuple, edges.T)) == set(map(tuple, edges[::-1].T))  # undirected


def test_missing_files_and_planetoid_pickles_get_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing file .*cora.cites"):
        (tmp_path / "cora.content").write_text("p0 1 0 a\n")
        G.datasets.cora(str(tmp_path))
    pickles = tmp_path / "planetoid"
    pickles.mkdir()
    (pickles / "ind.cora.x").write_bytes(b"\x80\x04")
    with pytest.raises(ValueError, match="never unpickles.*cora.content"):
        G.datasets.cora(str(pickles))
