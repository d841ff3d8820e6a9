"""Graphs and topology on the command line.

    abinitio train --dataset karate|sbm|cora:DIR|citeseer:DIR --model gcn|sage|gat|gin
    abinitio train --dataset graphs --model gin          (graph classification: triangles)
    abinitio train --dataset trajectories --model scnn   (edge flows on a complex with holes)

Node classification trains full batch, one step per epoch, on the training nodes; the
validation and test nodes are scored by the same forward pass. The run directory is the
usual one (config, checkpoint, model, metrics, report); the report draws the graph with
nodes coloured by prediction, a 2-D projection (PCA) of the learned node embeddings, and,
for GAT, the first layer's attention weights on the edges.

``abinitio predict RUN_DIR NODES.npy`` prints the predicted class of the given node
indices (node data sets) or of the edge flows in the file (trajectories).
"""

from __future__ import annotations

import os
import time

import numpy as np

from abinitio.cli.options import UsageError
from abinitio.nn import Module

NODE_SETS = ("karate", "sbm", "cora", "citeseer")
DATASETS = (*NODE_SETS, "graphs", "trajectories")
NODE_MODELS = ("gcn", "sage", "gat", "gin")


def handles(dataset: str) -> bool:
    return dataset.partition(":")[0] in DATASETS


def _not_built_here(data, config):
    raise UsageError(f"--model {config.model} works on graph data sets ({', '.join(DATASETS)})")


GRAPH_MODELS = {name: _not_built_here for name in (*NODE_MODELS, "scnn")}
GRAPH_DEFAULT_MODELS = {"karate": "gcn", "sbm": "gcn", "cora": "gcn", "citeseer": "gcn",
                        "graphs": "gin", "trajectories": "scnn"}  # fmt: skip
_NODE_RECIPE = {"epochs": 200, "lr": 1e-2, "weight_decay": 5e-4, "dropout": 0.5,
                "hidden": 16, "layers": 2, "heads": 8, "val_fraction": 0.0}  # fmt: skip
GRAPH_RECIPES = {
    # Kipf & Welling's recipe: 2 layers of 16, dropout 0.5, Adam lr 0.01, weight decay 5e-4
    "karate": {**_NODE_RECIPE, "dropout": 0.0},
    "sbm": {**_NODE_RECIPE, "epochs": 100, "nodes": 2000},
    "cora": _NODE_RECIPE,
    "citeseer": _NODE_RECIPE,
    # GIN with a sum readout of every layer (Xu et al.), 300 generated graphs
    "graphs": {"epochs": 60, "batch_size": 32, "lr": 1e-2, "hidden": 32, "layers": 3,
               "dropout": 0.0, "val_fraction": 0.0},
    # SCNN: 2 layers, filters of order 2 in each Laplacian; 400 training trajectories
    "trajectories": {"epochs": 40, "batch_size": 50, "lr": 1e-2, "hidden": 16, "layers": 2,
                     "dropout": 0.0, "val_fraction": 0.0},
}  # fmt: skip
GRAPH_MODEL_RECIPES = {  # GAT's paper: 8 heads of 8, dropout 0.6, lr 0.005
    (name, "gat"): {"hidden": 64, "dropout": 0.6, "lr": 5e-3} for name in ("cora", "citeseer")
}


# ---- data ------------------------------------------------------------------------------------
class NodeSelection:
    """The Trainer's "inputs" for node classification: the whole graph and the rows to
    score (the training, validation or test nodes)."""

    def __init__(self, graph, index: np.ndarray) -> None:
        self.graph, self.index = graph, index

    def __len__(self) -> int:
        return len(self.index)


def load(config):
    """The run's data: ("nodes", Graph), ("graphs", (train, test)) or ("flows", ...)."""
    from abinitio import graph as G
    from abinitio import topology as T

    name, _, argument = config.dataset.partition(":")
    try:
        if name == "karate":
            return "nodes", G.datasets.karate_club()
        if name == "sbm":
            return "nodes", G.datasets.stochastic_block_model(config.nodes, seed=config.seed)
        if name in ("cora", "citeseer"):
            if not argument:
                raise UsageError(f"--dataset {name} needs the directory of its LINQS files "
                                 f"({name}.content, {name}.cites): {name}:DIR")  # fmt: skip
            return "nodes", G.datasets.read_linqs(argument, name, seed=config.seed)
        if name == "graphs":
            graphs = G.datasets.triangle_graphs(300, seed=config.seed)
            return "graphs", (graphs[:200], graphs[200:])
        flows, labels, complex_, points = T.datasets.trajectory_flows(600, 300, seed=config.seed)
        return "flows", (flows, labels, complex_, points)
    except (FileNotFoundError, ValueError, ImportError) as error:
        if isinstance(error, UsageError):
            raise
        raise UsageError(f"--dataset {config.dataset}: {error}") from None


def build(config, kind, data):
    """The model for the data: a node GNN, a GIN graph classifier, or an SCNN."""
    from abinitio import graph as G
    from abinitio import nn
    from abinitio import topology as T

    model_name = config.model
    if kind == "nodes":
        if model_name not in NODE_MODELS:
            raise UsageError(f"--dataset {config.dataset} classifies nodes: choose --model "
                             f"{'|'.join(NODE_MODELS)}, got {model_name!r}")  # fmt: skip
        classes = int(data.y.numpy().max()) + 1
        make = {"gcn": G.GCN, "sage": G.GraphSAGE, "gat": G.GAT, "gin": G.GIN}[model_name]
        options = {"cached": True} if model_name == "gcn" else {}
        if model_name == "gat":
            options = {"heads": config.heads, "attention_dropout": config.dropout}
        try:
            gnn = make(data.x.shape[1], config.hidden, config.layers, classes,
                       dropout=config.dropout, **options)  # fmt: skip
        except ValueError as error:
            raise UsageError(str(error)) from None
        return NodeClassifier(gnn)
    if kind == "graphs":
        if model_name != "gin":
            raise UsageError(f"--dataset graphs classifies whole graphs: use --model gin, "
                             f"got {model_name!r}")  # fmt: skip
        return G.GraphClassifier(1, config.hidden, 2, config.layers, config.dropout)
    complex_ = data[2]
    if model_name == "scnn":
        return T.SCNN(complex_, 1, 1, config.hidden, 3, num_layers=config.layers)
    if model_name == "gcn":
        return LineGraphGCN(complex_, config.hidden, config.layers)
    raise UsageError(f"--dataset trajectories classifies edge flows: choose --model scnn (or gcn "
                     f"on the line graph, the baseline), got {model_name!r}")  # fmt: skip


class NodeClassifier(Module):
    """A node GNN that scores the rows a :class:`NodeSelection` names."""

    def __init__(self, gnn) -> None:
        super().__init__()
        self.gnn = gnn

    def forward(self, selection):
        graph = selection.graph
        return self.gnn(graph.x, graph.edge_index).index_select(0, selection.index)


class LineGraphGCN(Module):
    """The baseline for edge flows: GCN layers on the line graph (edges as nodes), tanh,
    and the same linear readout as the SCNN; it does not know edge orientations."""

    def __init__(self, complex_, hidden: int, layers: int) -> None:
        from abinitio import nn
        from abinitio.graph.utils import gcn_norm, to_sparse_adjacency
        from abinitio.topology import datasets

        super().__init__()
        n = complex_.shape[1]
        edges = datasets.line_graph_edges(complex_)
        self.adjacency = to_sparse_adjacency(*gcn_norm(edges, num_nodes=n), n)
        sizes = [1] + [hidden] * layers
        self.lins = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
        self.readout = nn.Linear(n * hidden, 3)

    def forward(self, x):
        from abinitio.topology.layers import _apply

        for lin in self.lins:
            x = _apply(self.adjacency, lin(x)).tanh()
        return self.readout(x.reshape(x.shape[0], -1))


def loaders(kind, data, config):
    """(train, val, test) loaders; val is None when there is nothing to validate on."""
    from abinitio import graph as G
    from abinitio.data import DataLoader, TensorDataset

    if kind == "nodes":
        def part(mask):
            index = np.flatnonzero(mask.numpy()) if mask is not None else np.zeros(0, int)
            if not len(index):
                return None
            return [(NodeSelection(data, index), data.y.index_select(0, index))]

        return part(data.train_mask), part(data.val_mask), part(data.test_mask)
    if kind == "graphs":
        train, test = data
        return (G.DataLoader(train, batch_size=config.batch_size, shuffle=config.shuffle), None,
                G.DataLoader(test, batch_size=256))  # fmt: skip
    flows, labels = data[0][:, :, None], data[1]
    train = TensorDataset(flows[:400], labels[:400])
    test = TensorDataset(flows[400:], labels[400:])
    return (DataLoader(train, batch_size=config.batch_size, shuffle=config.shuffle), None,
            DataLoader(test, batch_size=256))  # fmt: skip


MODELS_FOR = {"graphs": ("gin",), "trajectories": ("scnn", "gcn")}


def check_options(config) -> None:
    """Refuse a bad option or a model the data set cannot use, before building the data."""
    name = config.dataset.partition(":")[0]
    allowed = MODELS_FOR.get(name, NODE_MODELS)
    if config.model not in allowed:
        what = {"graphs": "whole graphs", "trajectories": "edge flows"}.get(name, "nodes")
        raise UsageError(f"--dataset {name} classifies {what}: choose --model "
                         f"{'|'.join(allowed)}, got {config.model!r}")  # fmt: skip
    for name in ("hidden", "layers", "heads", "nodes"):
        value = getattr(config, name, None)
        if value is not None and value < 1:
            raise UsageError(f"--{name} must be a positive integer, got {value}")


# ---- training ---------------------------------------------------------------------------------
def train_graph(config, run_dir=None, resume: bool = False, progress: bool = True,
                log=print) -> dict:  # fmt: skip
    """``abinitio train`` for the graph data sets: train, evaluate, leave the run dir."""
    import abinitio as ab
    from abinitio import nn
    from abinitio.cli import registry
    from abinitio.cli.train import (METRICS_NAME, MODEL_NAME, MetricsWriter, _create_run_dir,
                                    default_run_dir, results_table, write_json)  # fmt: skip
    from abinitio.serialization import save
    from abinitio.training import Trainer, classification_report

    check_options(config)
    kind, data = load(config)
    ab.manual_seed(config.seed)
    model = build(config, kind, data)
    optimizer = registry.build_optimizer(config, model)
    run_dir = run_dir or config.out or default_run_dir(config)
    if not resume:
        _create_run_dir(run_dir, config)
    log(f"run directory: {run_dir}")
    log(describe(kind, data))
    train_loader, val_loader, test_loader = loaders(kind, data, config)
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), callbacks=[MetricsWriter(run_dir)],
                      grad_clip_norm=config.grad_clip, checkpoint_dir=run_dir,
                      progress=progress and kind != "nodes", log=log)  # fmt: skip
    started = time.perf_counter()
    history = trainer.fit(train_loader, val_loader, epochs=config.epochs, resume=resume)
    save(model.state_dict(), os.path.join(run_dir, MODEL_NAME))
    outputs, targets = trainer.predict(test_loader)
    predictions = outputs.argmax(-1)
    classes = int(max(targets.max(), outputs.shape[1] - 1)) + 1
    report = classification_report(targets, predictions, classes)
    with ab.no_grad():
        loss = trainer.loss_fn(ab.tensor(outputs), ab.tensor(targets)).item()
    results = {"test_loss": loss, "test_accuracy": report["accuracy"],
               "parameters": sum(p.numel() for p in model.parameters()),
               "epochs_run": len(history), "seconds": time.perf_counter() - started}  # fmt: skip
    write_json(os.path.join(run_dir, METRICS_NAME),
               {"history": history.epochs, **results, "test_report": report})  # fmt: skip
    from abinitio.cli.graph_report import write_graph_report

    write_graph_report(run_dir, config, kind, data, model, history, results, report)
    log(results_table(results))
    return results


def describe(kind, data) -> str:
    if kind == "nodes":
        masks = [int(m.numpy().sum()) if m is not None else 0
                 for m in (data.train_mask, data.val_mask, data.test_mask)]  # fmt: skip
        return (f"{data.num_nodes:,} nodes, {data.num_edges:,} directed edges, "
                f"{data.x.shape[1]} features; train/val/test nodes {masks[0]}/{masks[1]}/{masks[2]}")
    if kind == "graphs":
        return f"{len(data[0])} training and {len(data[1])} test graphs (triangles or none)"
    return (f"{len(data[1])} trajectories on a complex of shape {data[2].shape} "
            f"(Betti numbers {data[2].betti_numbers()}); 400 train, 200 test")


# ---- evaluate and predict a finished run ------------------------------------------------------
def handles_run(run_dir: str) -> bool:
    from abinitio.cli.options import TrainConfig, read_toml

    path = os.path.join(run_dir, "config.toml")
    if not os.path.exists(path):
        return False
    try:
        return handles(TrainConfig().merged(read_toml(path)).dataset)
    except UsageError:
        return False


def load_run(run_dir: str):
    import abinitio as ab
    from abinitio.cli.train import MODEL_NAME, config_of_run

    config = config_of_run(run_dir)
    kind, data = load(config)
    model = build(config, kind, data)
    path = os.path.join(run_dir, MODEL_NAME)
    if not os.path.exists(path):
        raise UsageError(f"{run_dir!r} has no {MODEL_NAME}: the run has not finished")
    model.load_state_dict(ab.load(path))
    return config, kind, data, model.eval()


def evaluate_run(args) -> int:
    import abinitio as ab
    from abinitio.cli.train import results_table
    from abinitio.training import classification_report

    config, kind, data, model = load_run(args.run_dir)
    outputs, targets = [], []
    with ab.no_grad():
        for inputs, y in loaders(kind, data, config)[2]:
            outputs.append(model(inputs).numpy())
            targets.append(np.asarray(y))
    outputs, targets = np.concatenate(outputs), np.concatenate(targets)
    report = classification_report(targets, outputs.argmax(-1), outputs.shape[1])
    with ab.no_grad():
        loss = ab.nn.functional.cross_entropy(ab.tensor(outputs), ab.tensor(targets)).item()
    results = {"test_loss": loss, "test_accuracy": report["accuracy"], "epochs_run": "-",
               "parameters": sum(p.numel() for p in model.parameters())}  # fmt: skip
    print(f"{args.run_dir}: {config.model} on {config.dataset}")
    print(results_table(results))
    print(f"{'macro F1':<13}  {report['macro_f1']:>12.4f}")
    return 0


def predict_run(args, array: np.ndarray) -> int:
    import abinitio as ab

    config, kind, data, model = load_run(args.run_dir)
    if kind == "graphs":
        raise UsageError("predict on a graph-classification run needs graphs, not an array; "
                         "use abinitio evaluate to score the generated test graphs")  # fmt: skip
    if kind == "nodes":
        nodes = np.asarray(array).reshape(-1)
        if nodes.dtype.kind not in "iu" or (nodes.size and (nodes.min() < 0 or
                                                            nodes.max() >= data.num_nodes)):  # fmt: skip
            raise UsageError(f"{args.input!r} must hold node indices (integers in [0, "
                             f"{data.num_nodes})), got dtype {nodes.dtype}")  # fmt: skip
        inputs = NodeSelection(data, nodes.astype(np.int64))
        names = [f"node {i}" for i in nodes]
    else:
        edges = data[2].shape[1]
        flows = np.asarray(array, dtype=np.float32)
        if flows.shape[-1] != edges or flows.ndim not in (1, 2):
            raise UsageError(f"{args.input!r} must hold edge flows of shape ({edges},) or "
                             f"(N, {edges}), got {flows.shape}")  # fmt: skip
        inputs = ab.tensor(flows.reshape(-1, edges, 1))
        names = [f"flow {i}" for i in range(inputs.shape[0])]
    with ab.no_grad():
        probabilities = model(inputs).softmax(-1).numpy()
    classes = probabilities.argmax(-1)
    print(f"{'input':>10}  {'class':<8} probability")
    for name, label, p in zip(names, classes, probabilities):
        print(f"{name:>10}  {label:<8} {p[label]:.3f}")
    if getattr(args, "output", None):
        np.save(args.output, classes)
    return 0
