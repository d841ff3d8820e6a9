"""Learning on topological spaces: simplicial complexes, their boundary matrices and Hodge
Laplacians, Betti numbers, simplicial convolutions (SCNN), and an edge-flow data set.

Names follow TopoNetX (``SimplicialComplex``) and TopoModelX (``SCNNLayer``); the code is
NumPy and SciPy sparse (the ``graph`` extra), so neither package is needed.
"""

from abinitio.topology import datasets
from abinitio.topology.complex import SimplicialComplex
from abinitio.topology.layers import SCNN, SCNNLayer, as_sparse_tensor

__all__ = ["SCNN", "SCNNLayer", "SimplicialComplex", "as_sparse_tensor", "datasets"]
