"""Graph data sets, all offline: built in, generated, or read from a local directory.

* :func:`karate_club`: Zachary's 34 club members and who met whom (networkx ships it);
  the label is the faction each member joined after the club split.
* :func:`stochastic_block_model`: planted communities at any size, for node
  classification and for the speed benchmark.
* :func:`triangle_graphs`: a graph-classification set labelled "contains a triangle",
  built in pairs with the same degree sequence, so that counting degrees cannot tell the
  classes apart and message passing is needed.
* :func:`cora` / :func:`citeseer`: the citation graphs, read from the LINQS text files
  (``cora.content``, ``cora.cites``). Pickled Planetoid files (``ind.cora.x``, ...) are
  refused: unpickling a file can run arbitrary code.
"""

from __future__ import annotations

import os

import numpy as np

from abinitio.graph.data import Graph
from abinitio.graph.utils import to_undirected


def _split_masks(y: np.ndarray, per_class: int, num_val: int, num_test: int, rng):
    """Planetoid-style split: ``per_class`` training nodes of each class, then validation
    and test nodes drawn from the rest."""
    n = len(y)
    train = np.zeros(n, bool)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        train[rng.choice(members, min(per_class, len(members)), replace=False)] = True
    rest = rng.permutation(np.flatnonzero(~train))
    val, test = np.zeros(n, bool), np.zeros(n, bool)
    val[rest[:num_val]] = True
    test[rest[num_val : num_val + num_test]] = True
    return train, val, test


def karate_club() -> Graph:
    """Zachary's karate club: 34 nodes, 78 friendships (156 directed edges), one-hot
    features (a node knows only who it is), labels 0 (Mr. Hi's club) and 1 (the
    officer's); only nodes 0 and 33 (the two leaders) are in ``train_mask``, the other 32
    are the test set.

    Example:
        >>> g = karate_club()
        >>> g.num_nodes, g.num_edges, int(g.train_mask.numpy().sum())
        (34, 156, 2)

    See the article docs/articles/structures/graph_neural_networks.py.
    """
    import networkx as nx

    club = nx.karate_club_graph()
    y = np.array([club.nodes[i]["club"] != "Mr. Hi" for i in club.nodes], dtype=np.int64)
    train = np.zeros(34, bool)
    train[[0, 33]] = True
    return Graph.from_networkx(club, x=np.eye(34, dtype=np.float32), y=y, train_mask=train,
                               val_mask=np.zeros(34, bool), test_mask=~train)  # fmt: skip


def stochastic_block_model(num_nodes: int = 1000, num_classes: int = 4, average_degree=10.0,
                           homophily: float = 0.8, num_features: int = 32,
                           feature_noise: float = 2.0, seed: int = 0) -> Graph:  # fmt: skip
    """Communities of equal size; each node has ``average_degree`` neighbours on average,
    a share ``homophily`` of them in its own community. Features are the community's mean
    vector plus Gaussian noise of std ``feature_noise``, so a node's own features are a
    weak clue and its neighbours' a strong one. Split: 20 training nodes per class, 500
    validation, the rest (up to 1,000 and at most half) test. Edges are drawn in one
    vectorised pass (repeats and self loops removed), so 100,000 nodes take a second.

    See the article docs/articles/structures/graph_neural_networks.py.
    """
    if not 0 <= homophily <= 1 or num_classes < 1 or num_nodes < num_classes:
        raise ValueError(
            f"stochastic_block_model: need 0 <= homophily <= 1 and num_nodes >= num_classes "
            f">= 1, got homophily={homophily}, num_nodes={num_nodes}, classes={num_classes}"
        )
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(num_nodes) % num_classes)
    members = [np.flatnonzero(y == c) for c in range(num_classes)]
    half_edges = int(num_nodes * average_degree / 2)
    inside = rng.random(half_edges) < homophily
    source = rng.integers(0, num_nodes, half_edges)
    target = rng.integers(0, num_nodes, half_edges)  # anyone, for edges across communities
    # edges inside a community: a random member of the source's own community
    sizes = np.array([len(m) for m in members])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    by_class = np.concatenate(members)
    pick = (rng.random(half_edges) * sizes[y[source]]).astype(np.int64)
    target = np.where(inside, by_class[offsets[y[source]] + pick], target)
    keep = source != target
    edges = to_undirected(np.stack([source[keep], target[keep]]), num_nodes)
    means = rng.standard_normal((num_classes, num_features))
    x = (means[y] + feature_noise * rng.standard_normal((num_nodes, num_features)))
    num_test = min(1000, num_nodes // 2)
    num_val = min(500, max(num_nodes - num_test - 20 * num_classes, 0))
    train, val, test = _split_masks(y, 20, num_val, num_test, rng)
    return Graph(x=x.astype(np.float32), edge_index=edges, y=y, train_mask=train, val_mask=val,
                 test_mask=test)  # fmt: skip


def _triangles(graph) -> int:
    """The number of triangles: each edge (u, v) closes one per common neighbour."""
    return sum(len(set(graph[u]) & set(graph[v])) for u, v in graph.edges) // 3


def _rewired(graph, rng, triangles: bool, at_least: int, tries: int = 300):
    """Rewire ``graph`` by degree-preserving double edge swaps until it has no triangle
    (``triangles=False``) or at least ``at_least``; None if that takes over ``tries``."""
    import networkx as nx

    graph = graph.copy()
    for _ in range(tries):
        count = _triangles(graph)
        if (count >= at_least) if triangles else count == 0:
            return graph
        before = count
        trial = graph.copy()
        nx.double_edge_swap(trial, nswap=1, max_tries=100, seed=int(rng.integers(2**31)))
        after = _triangles(trial)
        # accept swaps that move towards the goal, and now and then any swap (to escape)
        if (after >= before if triangles else after <= before) or rng.random() < 0.2:
            graph = trial
    return None


def triangle_graphs(num_graphs: int = 400, min_nodes: int = 10, max_nodes: int = 20,
                    average_degree: float = 3.0, min_triangles: int = 5,
                    seed: int = 0) -> list:  # fmt: skip
    """Graph classification: label 1 if the graph has triangles (at least
    ``min_triangles``), 0 if it has none.

    Graphs come in pairs that share one degree sequence (a random graph, rewired by
    degree-preserving edge swaps into a triangle-free twin and a triangle-rich one), so
    node counts and degree histograms are identical across the classes: a classifier
    must look at how nodes connect. Node features are all ones; graph 2k and 2k + 1 are
    twins (keep them in the same split), labelled 0 and 1.

    See the article docs/articles/structures/graph_neural_networks.py.
    """
    import networkx as nx

    rng = np.random.default_rng(seed)
    graphs = []
    while len(graphs) < num_graphs:
        n = int(rng.integers(min_nodes, max_nodes + 1))
        base = nx.gnm_random_graph(n, int(n * average_degree / 2), seed=int(rng.integers(2**31)))
        twins = [_rewired(base, rng, want, min_triangles) for want in (False, True)]
        if any(t is None for t in twins):
            continue
        for label, twin in enumerate(twins):
            graphs.append(Graph.from_networkx(twin, x=np.ones((n, 1), np.float32),
                                              y=np.array([label])))  # fmt: skip
    return graphs[:num_graphs]


def degree_histogram(graph: Graph, max_degree: int = 10) -> np.ndarray:
    """The share of nodes of each degree 0..max_degree (larger degrees in the last bin):
    the features of the baseline that sees no connections."""
    degrees = np.bincount(graph.edge_index.array[1], minlength=graph.num_nodes)
    counts = np.bincount(np.minimum(degrees, max_degree), minlength=max_degree + 1)
    return (counts / max(graph.num_nodes, 1)).astype(np.float32)


# ---- citation graphs in the LINQS text format ------------------------------------------------
def _refuse_pickles(directory: str, name: str) -> None:
    pickles = sorted(f for f in os.listdir(directory) if f.startswith(f"ind.{name}."))
    if pickles and not os.path.exists(os.path.join(directory, f"{name}.content")):
        raise ValueError(
            f"{directory!r} holds Planetoid pickles ({', '.join(pickles[:3])}, ...): abinitio "
            f"never unpickles data, since loading a pickle can run arbitrary code. Use the "
            f"LINQS text files instead: {name}.content (id, 0/1 word features, label per "
            f"line) and {name}.cites (cited id, citing id per line)"
        )


def _records(path: str) -> list:
    """``[(line number, fields)]`` of the non-blank lines of a UTF-8 text file; a file that
    is not UTF-8 is a ValueError naming it."""
    try:
        with open(path, encoding="utf-8") as file:
            return [(i, line.split()) for i, line in enumerate(file, 1) if line.strip()]
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text: {error}") from None


def read_linqs(directory: str, name: str, seed: int = 0) -> Graph:
    """A LINQS citation graph: ``<name>.content`` (paper id, word indicators, class) and
    ``<name>.cites`` (cited paper, citing paper). Citations of papers that are not in the
    content file are dropped (CiteSeer has a few), edges are made undirected, features
    row-normalised (as Kipf & Welling), and the split is Planetoid's sizes (20 per class,
    500 validation, 1,000 test), drawn with ``seed``.

    See the article docs/articles/structures/graph_neural_networks.py.
    """
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{name}: directory {directory!r} does not exist")
    _refuse_pickles(directory, name)
    paths = {kind: os.path.join(directory, f"{name}.{kind}") for kind in ("content", "cites")}
    for path in paths.values():
        if not os.path.exists(path):
            raise FileNotFoundError(f"{name}: missing file {path!r} (LINQS format expected)")
    rows = _records(paths["content"])
    widths = {len(row) for _, row in rows}
    if len(widths) != 1 or widths.pop() < 3:
        raise ValueError(f"{paths['content']}: every line needs id, features and a label, "
                         "all with the same number of fields")  # fmt: skip
    ids = [row[0] for _, row in rows]
    position = {paper: i for i, paper in enumerate(ids)}
    try:
        x = np.array([row[1:-1] for _, row in rows], dtype=np.float32)
    except ValueError as error:  # a word indicator that is not a number
        raise ValueError(f"{paths['content']}: the features must be numbers: {error}") from None
    if not np.isfinite(x).all():
        line = rows[int(np.flatnonzero(~np.isfinite(x).all(1))[0])][0]
        raise ValueError(f"{paths['content']}, line {line}: a feature is not a finite number")
    classes, y = np.unique([row[-1] for _, row in rows], return_inverse=True)
    pairs = _records(paths["cites"])
    for line, pair in pairs:
        if len(pair) != 2:
            raise ValueError(f"{paths['cites']}, line {line}: expected two paper ids "
                             f"(cited, citing), got {len(pair)} fields")  # fmt: skip
    known = [(position[a], position[b]) for _, (a, b) in pairs if a in position and b in position]
    edges = np.array(known, dtype=np.int64).reshape(-1, 2).T
    edges = to_undirected(edges[:, edges[0] != edges[1]], len(ids))
    x = x / np.maximum(x.sum(1, keepdims=True), 1)
    train, val, test = _split_masks(y, 20, 500, 1000, np.random.default_rng(seed))
    graph = Graph(x=x, edge_index=edges, y=y.astype(np.int64), train_mask=train,
                  val_mask=val, test_mask=test)  # fmt: skip
    graph.classes = list(classes)
    return graph


def cora(directory: str, seed: int = 0) -> Graph:
    """Cora (2,708 papers, 1,433 words, 7 classes) from ``cora.content`` and ``cora.cites``."""
    return read_linqs(directory, "cora", seed)


def citeseer(directory: str, seed: int = 0) -> Graph:
    """CiteSeer (3,312 papers, 3,703 words, 6 classes) from its LINQS files."""
    return read_linqs(directory, "citeseer", seed)
