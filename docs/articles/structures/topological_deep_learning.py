r"""
.. _article-topological_deep_learning:

Topological deep learning
=========================

A graph knows which nodes are joined; it does not know about *triangles* or *holes*.
Topology adds them. A **simplicial complex** is a set of nodes, edges, triangles (and
tetrahedra, ...) glued along shared faces. Data can live on any of these pieces: a value
per node, a **flow** per edge (traffic on a road, current in a wire, a trajectory's
steps), a value per triangle. Topological deep learning filters such signals with the
operators topology provides: boundary matrices and Hodge Laplacians.

The maths
---------

Orient every simplex by sorting its vertices. The **boundary matrix** :math:`B_k` maps
k-simplices to their faces with signs: for an edge :math:`[u, v]`, :math:`-1` at :math:`u`
and :math:`+1` at :math:`v`; for a triangle :math:`[u, v, w]`, :math:`+[v, w] - [u, w] +
[u, v]`. A boundary has no boundary, :math:`B_k B_{k+1} = 0`. The **Hodge Laplacian** on
k-simplices keeps a *down* part (shared faces) and an *up* part (shared cofaces):

.. math::

   L_k = \underbrace{B_k^{\top} B_k}_{L_k^{\downarrow}}
       + \underbrace{B_{k+1} B_{k+1}^{\top}}_{L_k^{\uparrow}}, \qquad
   \mathbb{R}^{n_1} = \operatorname{im} B_1^{\top} \oplus \operatorname{im} B_2
       \oplus \ker L_1 .

:math:`L_0 = B_1 B_1^{\top}` is the graph Laplacian. For edge flows :math:`f`,
:math:`B_1 f` is the *divergence* at each node and :math:`B_2^{\top} f` the *curl* around
each triangle; the decomposition above (Hodge's) splits every flow into a gradient part,
a curl part and a **harmonic** part, free of both. The harmonic flows are the kernel of
:math:`L_1`, and its dimension is the first Betti number :math:`\beta_1`, the number of
holes: a harmonic flow circulates around holes and nowhere else. A simplicial
convolution (Yang et al. 2022) is a polynomial in the two parts,

.. math::

   Y = \sum_{p=0}^{P} (L_1^{\downarrow})^p X W_p + \sum_{q=1}^{Q} (L_1^{\uparrow})^q X W'_q,
   \qquad \frac{\partial L}{\partial X} = \sum_p (L_1^{\downarrow})^p G W_p^{\top}
   + \sum_q (L_1^{\uparrow})^q G W_q'^{\top},

(the Laplacians are symmetric, so the backward pass multiplies by the same matrices).
Since it sees orientations and both parts, it can single out the harmonic part, which a
graph network on the edges (the line graph) cannot.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# A square with two holes
# -----------------------
# Random points, two discs removed, Delaunay triangles; 1 component, 2 holes.
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection

import abinitio as ab
from abinitio import topology as T
from abinitio.nn import functional as F

flows, labels, complex_, points = T.datasets.trajectory_flows(300, 150, seed=0)
print(f"{complex_.shape} nodes/edges/triangles, Betti numbers {complex_.betti_numbers()}")
b1, b2 = complex_.boundary_matrix(1), complex_.boundary_matrix(2)
print("largest |B1 B2| entry:", abs(b1 @ b2).max())
values, vectors = np.linalg.eigh(complex_.hodge_laplacian(1).toarray())
harmonic = vectors[:, np.abs(values) < 1e-6]
print("dim ker L1 =", harmonic.shape[1])

# %%
# Three trajectories from the bottom-left to the top-right corner: left of both holes,
# between them, right of both. Their only difference that topology sees is how they wind
# around the holes, i.e. their harmonic parts: projected on :math:`\ker L_1` the classes
# fall apart, while divergence (which only marks the two ends) is the same for all.
edges = np.array(complex_.simplices[1])
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
left.add_collection(LineCollection(points[edges], colors="lightgrey", linewidths=0.4))
for t in range(3):
    used = np.flatnonzero(flows[t])
    left.add_collection(LineCollection(points[edges[used]], colors=f"C{t}", linewidths=2))
left.set(aspect="equal", title="three trajectories (one per class)")
left.autoscale()
coefficients = flows @ harmonic
right.scatter(*coefficients.T, c=labels, cmap="viridis", s=12)
right.set(title="edge flows projected on ker L1", xlabel="harmonic 1", ylabel="harmonic 2")
plt.show()

# %%
# A simplicial network on the flows
# ---------------------------------
# Two SCNN layers (order 2 in each Laplacian) and a linear readout, trained on 60 flows
# and tested on 100 others; the model sees nothing but the edge flows.
ab.manual_seed(0)
model = T.SCNN(complex_, 1, 1, 8, 3)
optimizer = ab.optim.Adam(model.parameters(), lr=0.01)
x, y = ab.tensor(flows[:, :, None]), ab.tensor(labels)
train, test = np.arange(60), np.arange(200, 300)
for epoch in range(30):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x[train]), y[train])
    loss.backward()
    optimizer.step()
with ab.no_grad():
    accuracy = (model(x[test]).argmax(-1).numpy() == labels[test]).mean()
print(f"test accuracy {accuracy:.2f} after 30 steps")

# %%
# Related topics
# --------------
# * :ref:`article-graph_neural_networks`: message passing on nodes and edges
# * :ref:`article-convolutional_networks`: filters as polynomials of a shift operator
# * :ref:`article-representation_learning`: what the hidden layers of a network learn
