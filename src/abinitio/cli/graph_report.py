"""The ``report.html`` of a graph run: the graph coloured by prediction, a PCA of the
learned node embeddings, GAT's attention on the edges, and for edge flows the complex
with test trajectories coloured by predicted class."""

from __future__ import annotations

import os

import numpy as np

MAX_DRAWN_NODES = 300  # larger graphs are drawn as the subgraph of their first test nodes


def write_graph_report(run_dir, config, kind, data, model, history, results, report) -> str:
    from abinitio.cli.train import REPORT_NAME
    from abinitio.viz import write_report

    summary = {
        "model": config.model,
        "dataset": config.dataset,
        "parameters": f"{results['parameters']:,}",
        "epochs": results["epochs_run"],
        "optimizer": f"{config.optimizer} (lr {config.lr:g}, weight decay {config.weight_decay:g})",
        "seed": config.seed,
        "test accuracy": f"{results['test_accuracy']:.2%}",
        "test loss": f"{results['test_loss']:.4f}",
        "wall time": f"{results['seconds']:.1f} s",
    }
    model.eval()
    sections = []
    if kind == "nodes":
        sections = node_sections(config, data, model)
    elif kind == "flows":
        sections = [flow_section(data, model)]
    metrics = {**report, "loss": results["test_loss"]}
    return write_report(os.path.join(run_dir, REPORT_NAME),
                        title=f"{config.model} on {config.dataset}", summary=summary,
                        history=history.epochs, test_metrics=metrics,
                        extra_sections=sections)  # fmt: skip


def _drawn_nodes(data) -> np.ndarray:
    if data.num_nodes <= MAX_DRAWN_NODES:
        return np.arange(data.num_nodes)
    test = np.flatnonzero(data.test_mask.numpy())
    return np.sort(test[:MAX_DRAWN_NODES])


def _layout(data, nodes):
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(nodes.tolist())
    edges = data.edge_index.numpy()
    keep = np.isin(edges[0], nodes) & np.isin(edges[1], nodes)
    graph.add_edges_from(edges[:, keep].T.tolist())
    return graph, nx.spring_layout(graph, seed=0)


def node_sections(config, data, model) -> list:
    import matplotlib.pyplot as plt
    import networkx as nx

    import abinitio as ab
    from abinitio.viz import Section

    gnn = model.gnn
    with ab.no_grad():
        predicted = gnn(data.x, data.edge_index).argmax(-1).numpy()
        embedding = gnn.embed(data.x, data.edge_index).numpy()
    nodes = _drawn_nodes(data)
    graph, position = _layout(data, nodes)
    figure, axis = plt.subplots(figsize=(6, 5))
    truth = data.y.numpy()
    nx.draw_networkx_edges(graph, position, ax=axis, alpha=0.3)
    nx.draw_networkx_nodes(graph, position, ax=axis, nodelist=nodes.tolist(), node_size=60,
                           node_color=predicted[nodes], cmap="tab10", vmin=0, vmax=9,
                           edgecolors=np.where(predicted[nodes] == truth[nodes], "none", "red"))  # fmt: skip
    axis.set_title("nodes coloured by predicted class (red ring: wrong)")
    axis.axis("off")
    sections = [Section("Predictions on the graph", figure=figure)]
    centred = embedding - embedding.mean(0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ components[:2].T
    figure, axis = plt.subplots(figsize=(5, 4))
    axis.scatter(projected[:, 0], projected[:, 1], c=truth, cmap="tab10", vmin=0, vmax=9, s=12)
    axis.set_title("last hidden layer, PCA to 2-D, coloured by true class")
    sections.append(Section("Node embeddings", figure=figure))
    if config.model == "gat":
        sections.append(attention_section(data, gnn, graph, position, nodes))
    plt.close("all")
    return sections


def attention_section(data, gnn, graph, position, nodes):
    import matplotlib.pyplot as plt
    import networkx as nx

    import abinitio as ab
    from abinitio.viz import Section

    with ab.no_grad():
        edges, alpha = gnn.attention(data.x, data.edge_index)
    edges, weight = edges.numpy(), alpha.numpy().mean(1)
    keep = np.isin(edges[0], nodes) & np.isin(edges[1], nodes) & (edges[0] != edges[1])
    figure, axis = plt.subplots(figsize=(6, 5))
    drawn = nx.DiGraph()
    drawn.add_nodes_from(nodes.tolist())
    pairs = edges[:, keep].T.tolist()
    drawn.add_edges_from(pairs)
    nx.draw_networkx_nodes(drawn, position, ax=axis, node_size=20, node_color="lightgrey")
    collection = nx.draw_networkx_edges(drawn, position, ax=axis, edgelist=pairs,
                                        edge_color=weight[keep], edge_cmap=plt.cm.viridis,
                                        width=0.5 + 3 * weight[keep], arrows=False)  # fmt: skip
    if collection is not None and len(pairs):
        figure.colorbar(collection, ax=axis, label="attention (mean over heads)")
    axis.set_title("first GAT layer: attention of each target on its sources")
    axis.axis("off")
    return Section("GAT attention weights", figure=figure)


def flow_section(data, model):
    import matplotlib.pyplot as plt

    import abinitio as ab
    from abinitio.viz import Section

    flows, labels, complex_, points = data
    with ab.no_grad():
        predicted = model(ab.tensor(flows[400:, :, None])).argmax(-1).numpy()
    from matplotlib.collections import LineCollection

    edges = np.array(complex_.simplices[1])
    segments = points[edges]  # (n_edges, 2 ends, 2 coordinates)
    figure, axis = plt.subplots(figsize=(5, 5))
    axis.add_collection(LineCollection(segments, colors="lightgrey", linewidths=0.4))
    colours = plt.cm.tab10(np.arange(3))
    for t in range(9):
        used = np.flatnonzero(flows[400 + t])
        axis.add_collection(LineCollection(segments[used], colors=colours[predicted[t]],
                                           linewidths=1.5))  # fmt: skip
    axis.autoscale()
    axis.set_title("9 test trajectories coloured by predicted class")
    axis.set_aspect("equal")
    plt.close("all")
    return Section("Trajectories on the complex", figure=figure)
