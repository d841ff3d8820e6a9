"""Simplicial complexes: nodes, edges, triangles, ... glued along their faces.

A k-simplex is a set of k + 1 vertices (a node, an edge, a triangle, a tetrahedron); a
simplicial complex holds simplices together with all their faces. Each simplex here is a
sorted tuple of vertices, which fixes its orientation: [v_0, ..., v_k].

Boundary matrices. The boundary of [v_0, ..., v_k] is the alternating sum of its faces,

    d[v_0, ..., v_k] = sum_i (-1)^i [v_0, ..., v_(i-1), v_(i+1), ..., v_k],

so B_k (n_(k-1) x n_k) has entries +-1: B_1 is the node-edge incidence matrix (-1 at an
edge's tail, +1 at its head) and B_2 the edge-triangle one. A boundary has no boundary:
B_k B_(k+1) = 0.

Hodge Laplacians. L_k = B_k^T B_k + B_(k+1) B_(k+1)^T on k-simplices: the *down* part
B_k^T B_k couples simplices through shared faces, the *up* part B_(k+1) B_(k+1)^T through
shared cofaces. L_0 = B_1 B_1^T is the graph Laplacian. Each L_k is symmetric positive
semi-definite, and its kernel (the harmonic k-chains) has dimension beta_k, the k-th
Betti number: the number of connected components (k = 0), of holes (k = 1), of
cavities (k = 2). For k = 1 a harmonic flow is divergence-free (B_1 f = 0) and curl-free
(B_2^T f = 0): it circulates around holes and nowhere else.
"""

from __future__ import annotations

import itertools

import numpy as np


def _sparse():
    import scipy.sparse

    return scipy.sparse


class SimplicialComplex:
    """A simplicial complex from its simplices (TopoNetX's ``SimplicialComplex``).

    Args:
        simplices: iterables of vertex labels (ints), e.g. ``[(0, 1, 2), (2, 3)]``.
        close: also add every face of every simplex given. Without it, a list that lacks
            an edge or higher face is an error naming the face, since a complex must
            contain them (vertices are always added).

    Attributes:
        simplices: ``simplices[k]`` is the sorted list of k-simplices (sorted tuples);
            index i in that list is the simplex's row/column in B_k and L_k.

    Example:
        >>> hollow = SimplicialComplex([(0, 1), (1, 2), (0, 2)], close=True)
        >>> hollow.shape, hollow.betti_numbers()
        ((3, 3), [1, 1])
        >>> SimplicialComplex([(0, 1, 2)], close=True).betti_numbers()
        [1, 0, 0]

    See the article docs/articles/structures/topological_deep_learning.py.
    """

    def __init__(self, simplices, close: bool = False) -> None:
        given = set()
        for simplex in simplices:
            vertices = tuple(sorted(int(v) for v in simplex))
            if len(set(vertices)) != len(vertices) or not vertices:
                raise ValueError(f"SimplicialComplex: a simplex needs distinct vertices, got "
                                 f"{tuple(simplex)}")  # fmt: skip
            given.add(vertices)
        everything = set(given)
        for simplex in given:
            for size in range(1, len(simplex)):
                for face in itertools.combinations(simplex, size):
                    if face not in given and size > 1 and not close:
                        raise ValueError(
                            f"SimplicialComplex: the simplex {simplex} has the face {face}, "
                            "which is not in the list; a complex holds every face of its "
                            "simplices: add it, or pass close=True to add all faces"
                        )
                    everything.add(face)
        top = max((len(s) for s in everything), default=0)
        self.simplices = [sorted(s for s in everything if len(s) == k + 1) for k in range(top)]
        self._position = [{s: i for i, s in enumerate(level)} for level in self.simplices]

    @classmethod
    def clique_complex(cls, edge_index, max_dim: int = 2, num_nodes: int | None = None):
        """The clique (flag) complex of a graph: every clique of k + 1 nodes becomes a
        k-simplex, up to dimension ``max_dim``. ``edge_index`` is (2, E), as in
        :class:`abinitio.graph.Graph`."""
        import networkx as nx

        from abinitio.graph.utils import check_edge_index

        pairs = check_edge_index(edge_index, num_nodes).T
        graph = nx.Graph()
        graph.add_nodes_from(range(num_nodes or 0))
        graph.add_edges_from((int(a), int(b)) for a, b in pairs if a != b)
        cliques = [c for c in nx.enumerate_all_cliques(graph) if len(c) <= max_dim + 1]
        return cls(cliques)

    @property
    def dim(self) -> int:
        return len(self.simplices) - 1

    @property
    def shape(self) -> tuple:
        """How many simplices of each dimension: (nodes, edges, triangles, ...)."""
        return tuple(len(level) for level in self.simplices)

    def index(self, simplex) -> int:
        """The row of ``simplex`` in its dimension's matrices."""
        vertices = tuple(sorted(simplex))
        return self._position[len(vertices) - 1][vertices]

    def boundary_matrix(self, k: int):
        """B_k, (n_(k-1), n_k) sparse (SciPy CSR) with entries (-1)^i for face i.

        B_0 is the 0 x n_0 matrix; beyond the top dimension, n_k x 0."""
        sparse = _sparse()
        count = lambda d: len(self.simplices[d]) if 0 <= d <= self.dim else 0  # noqa: E731
        if k <= 0 or k > self.dim:
            return sparse.csr_matrix((count(k - 1), count(k)), dtype=np.float32)
        simplices = np.array(self.simplices[k])  # (n_k, k + 1), rows sorted
        faces_sorted = np.array(self.simplices[k - 1]).reshape(-1, k)
        base = int(self.simplices[0][-1][0]) + 1  # the largest vertex, plus one
        face_keys = _keys(faces_sorted, base)  # ascending: the list is sorted
        rows, cols, signs = [], [], []
        for i in range(k + 1):  # face i drops vertex i: one vectorised pass per position
            faces = np.delete(simplices, i, axis=1)
            rows.append(np.searchsorted(face_keys, _keys(faces, base)))
            cols.append(np.arange(len(simplices)))
            signs.append(np.full(len(simplices), (-1.0) ** i, np.float32))
        shape = (count(k - 1), count(k))
        return sparse.csr_matrix(
            (np.concatenate(signs), (np.concatenate(rows), np.concatenate(cols))), shape=shape
        )

    def down_laplacian(self, k: int):
        """B_k^T B_k: k-simplices coupled through their shared (k-1)-faces."""
        b = self.boundary_matrix(k)
        return (b.T @ b).tocsr()

    def up_laplacian(self, k: int):
        """B_(k+1) B_(k+1)^T: k-simplices coupled through shared (k+1)-cofaces."""
        b = self.boundary_matrix(k + 1)
        return (b @ b.T).tocsr()

    def hodge_laplacian(self, k: int):
        """L_k = B_k^T B_k + B_(k+1) B_(k+1)^T (n_k x n_k, symmetric PSD)."""
        return (self.down_laplacian(k) + self.up_laplacian(k)).tocsr()

    def betti_numbers(self) -> list:
        """beta_k = n_k - rank B_k - rank B_(k+1) = dim ker L_k, for k = 0..dim."""
        ranks = [0] + [_rank(self.boundary_matrix(k)) for k in range(1, self.dim + 1)] + [0]
        return [n - ranks[k] - ranks[k + 1] for k, n in enumerate(self.shape)]

    def __repr__(self) -> str:
        return f"SimplicialComplex(shape={self.shape})"


def _keys(rows: np.ndarray, base: int) -> np.ndarray:
    """One int64 per sorted vertex tuple, ordered as the tuples are (digits in ``base``)."""
    keys = np.zeros(len(rows), dtype=np.int64)
    for column in rows.T:
        keys = keys * base + column
    return keys


def _rank(matrix) -> int:
    """Rank of a (small or medium) sparse matrix, by the SVD of its dense form."""
    dense = matrix.toarray()
    return int(np.linalg.matrix_rank(dense)) if dense.size else 0
