"""Edge flows of trajectories on a planar simplicial complex with two holes.

The task of Roddenberry, Glaze & Segarra (2021, "Principled simplicial neural networks for
trajectory prediction"), generated locally: random points in the unit square, minus two
discs (the holes), triangulated (Delaunay; triangles over a hole removed), so the complex
has beta_1 = 2. A trajectory walks from the bottom-left corner to the top-right one
through a waypoint near the top-left corner, the centre, or the bottom-right corner: it
passes left of both holes, between them, or right of both, and that is its class. The
model sees only the trajectory's edge flow: +1 on each edge walked along its orientation,
-1 against it, 0 elsewhere. Shortest paths are taken on randomly perturbed edge lengths,
so every trajectory differs.
"""

from __future__ import annotations

import numpy as np

from abinitio.topology.complex import SimplicialComplex

HOLES = ((1 / 3, 2 / 3), (2 / 3, 1 / 3))
WAYPOINTS = ((0.08, 0.92), (0.5, 0.5), (0.92, 0.08))  # left of both, between, right of both


def holed_complex(num_points: int = 300, hole_radius: float = 0.13, seed: int = 0):
    """(SimplicialComplex, points (n, 2)): a triangulated square with two holes."""
    from scipy.spatial import Delaunay

    rng = np.random.default_rng(seed)
    points = rng.random((num_points * 2, 2))
    centres = np.array(HOLES)
    far = np.all(np.linalg.norm(points[:, None] - centres[None], axis=-1) > hole_radius, 1)
    points = points[far][:num_points]
    triangles = np.sort(Delaunay(points).simplices, axis=1)
    # a triangle whose centroid or any edge midpoint lies in a hole covers it: remove it
    corners = points[triangles]
    probes = np.concatenate([corners.mean(1, keepdims=True),
                             (corners + np.roll(corners, 1, axis=1)) / 2], axis=1)  # fmt: skip
    inside = np.linalg.norm(probes[:, :, None] - centres[None, None], axis=-1) < hole_radius
    triangles = triangles[~inside.any(axis=(1, 2))]
    return SimplicialComplex([tuple(t) for t in triangles], close=True), points


def trajectory_flows(num_trajectories: int = 600, num_points: int = 300, seed: int = 0):
    """Edge flows (T, n_edges) float32, labels (T,) in {0, 1, 2}, and the complex.

    Returns ``(flows, labels, complex_, points)``.

    See the article docs/articles/structures/topological_deep_learning.py.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    complex_, points = holed_complex(num_points, seed=seed)
    rng = np.random.default_rng(seed + 1)
    edges = np.array(complex_.simplices[1])
    lengths = np.linalg.norm(points[edges[:, 0]] - points[edges[:, 1]], axis=1)
    n = len(points)
    flows = np.zeros((num_trajectories, len(edges)), np.float32)
    labels = np.arange(num_trajectories) % len(WAYPOINTS)
    edge_of = {(int(a), int(b)): i for i, (a, b) in enumerate(edges)}
    for t, label in enumerate(labels):
        noisy = lengths * rng.uniform(0.5, 1.5, len(lengths))
        graph = csr_matrix((np.r_[noisy, noisy], (np.r_[edges[:, 0], edges[:, 1]],
                                                  np.r_[edges[:, 1], edges[:, 0]])), (n, n))  # fmt: skip
        stops = [_nearest(points, (0.05, 0.05), rng), _nearest(points, WAYPOINTS[label], rng),
                 _nearest(points, (0.95, 0.95), rng)]  # fmt: skip
        path = _walk(graph, stops, dijkstra)
        for a, b in zip(path[:-1], path[1:]):
            if a < b:
                flows[t, edge_of[(a, b)]] += 1.0
            else:
                flows[t, edge_of[(b, a)]] -= 1.0
    return flows, labels.astype(np.int64), complex_, points


def _nearest(points, target, rng, spread: float = 0.06) -> int:
    jittered = np.asarray(target) + rng.uniform(-spread, spread, 2)
    return int(np.argmin(np.linalg.norm(points - jittered, axis=1)))


def _walk(graph, stops, dijkstra) -> list:
    """The shortest path through ``stops`` in order, as a list of nodes."""
    path = [stops[0]]
    for start, end in zip(stops[:-1], stops[1:]):
        _, previous = dijkstra(graph, indices=start, return_predecessors=True)
        leg, node = [], end
        while node != start:
            leg.append(node)
            node = previous[node]
        path += leg[::-1]
    return [int(v) for v in path]


def line_graph_edges(complex_) -> np.ndarray:
    """(2, M) edges of the line graph: two edges of the complex are neighbours when they
    share a node (the graph a GCN on edges would use; it ignores orientation)."""
    import scipy.sparse as sp

    incidence = abs(complex_.boundary_matrix(1))  # (nodes, edges), unsigned
    shared = sp.triu(incidence.T @ incidence, k=1).tocoo()
    pairs = np.stack([shared.row, shared.col]).astype(np.int64)
    return np.concatenate([pairs, pairs[::-1]], axis=1)
