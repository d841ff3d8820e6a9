r"""
.. _article-graph_neural_networks:

Graph neural networks
=====================

Many data sets are not grids or sequences but **graphs**: people and who knows whom,
atoms and their bonds, papers and their citations. A graph neural network (GNN) learns a
vector for every node from the node's own features *and its neighbours'*, so that two
nodes with the same features but different surroundings can be told apart. Stacking
:math:`L` layers lets information travel :math:`L` edges.

Every layer is **message passing**: each edge :math:`j \to i` carries a message computed
from the two nodes, each node combines the messages it receives (a sum, a mean or a
maximum, so the order of the neighbours cannot matter), and updates its vector. Written
with arrays, the messages are a *gather* (``x.index_select(0, source)``) and the
combination a *scatter* (``index_add`` over the targets); when the message is a fixed
weight times :math:`x_j`, the two together are one sparse matrix product :math:`A x`.

The maths
---------

The graph convolution of Kipf & Welling (2017) averages each node with its neighbours.
Add self loops, :math:`\tilde A = A + I`, with degrees :math:`\tilde d_i = \sum_j \tilde
A_{ij}`; weighting edge :math:`j \to i` by :math:`1/\sqrt{\tilde d_i \tilde d_j}` gives
the symmetric matrix

.. math::

   \hat A = \tilde D^{-1/2} \tilde A \tilde D^{-1/2}, \qquad
   X' = \hat A X W + b, \qquad
   \frac{\partial L}{\partial X} = \hat A^{\top} G W^{\top}, \quad
   \frac{\partial L}{\partial W} = (\hat A X)^{\top} G

with :math:`G = \partial L / \partial X'`. The eigenvalues of :math:`\hat A` lie in
:math:`(-1, 1]`, so repeated layers neither blow features up nor shrink them to zero;
the plain average :math:`\tilde D^{-1}\tilde A` would do too, but the symmetric form keeps
the operator symmetric, so its transpose in the backward pass is itself. Graph attention
(Velickovic et al. 2018) learns the weights instead:

.. math::

   e_{ji} = \mathrm{LeakyReLU}\big(a_s^{\top} W x_j + a_t^{\top} W x_i\big), \qquad
   \alpha_{ji} = \frac{\exp e_{ji}}{\sum_{k \in N(i)} \exp e_{ki}}, \qquad
   x_i' = \sum_{j \in N(i)} \alpha_{ji} W x_j .

GraphSAGE keeps a separate weight for the node itself, :math:`x_i' = W_1
\mathrm{mean}_j x_j + W_2 x_i`, and GIN sums, :math:`x_i' = h\big((1+\epsilon) x_i +
\sum_j x_j\big)`, which keeps *how many* neighbours of each kind there are.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# Zachary's karate club
# ---------------------
# 34 club members, 78 friendships; the club split in two. A 2-layer GCN sees only who
# knows whom (one-hot features) and the faction of the two leaders, nodes 0 and 33.
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np

import abinitio as ab
from abinitio import graph as G
from abinitio.nn import functional as F

ab.manual_seed(0)
club = G.datasets.karate_club()
model = G.GCN(34, 16, 2, 2)
optimizer = ab.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
leaders = np.array([0, 33])
for epoch in range(200):
    optimizer.zero_grad()
    scores = model(club.x, club.edge_index).index_select(0, leaders)
    loss = F.cross_entropy(scores, club.y[leaders])
    loss.backward()
    optimizer.step()
with ab.no_grad():
    predicted = model(club.x, club.edge_index).argmax(-1).numpy()
    embedding = model.embed(club.x, club.edge_index).numpy()
test = club.test_mask.numpy()
print(f"accuracy on the 32 unlabelled members: {(predicted == club.y.numpy())[test].mean():.3f}")

# %%
# Left: the club coloured by the predicted faction. Right: the 16 hidden features of
# every member after the first layer, projected on their two principal axes.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
graph = club.to_networkx(to_undirected=True)
nx.draw(graph, nx.spring_layout(graph, seed=0), ax=left, node_color=predicted,
        cmap="coolwarm", node_size=80, edge_color="lightgrey")  # fmt: skip
centred = embedding - embedding.mean(0)
projected = centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T
right.scatter(*projected.T, c=club.y.numpy(), cmap="coolwarm")
right.set(title="hidden features (PCA), coloured by true faction")
plt.show()

# %%
# Over-smoothing
# --------------
# Each layer averages neighbours, so :math:`\hat A^k X` converges, as :math:`k` grows, to
# a vector that depends only on the degrees: every node ends up alike. On a planted
# 4-community graph we propagate noisy features :math:`k` times and measure how far
# apart the community means are, relative to the spread inside communities.
sbm = G.datasets.stochastic_block_model(2000, num_classes=4, average_degree=8, seed=0)
edges, weights = G.gcn_norm(sbm.edge_index, num_nodes=2000)
a_hat = G.to_sparse_adjacency(edges, weights, 2000)
x, y = sbm.x, sbm.y.numpy()
separation = []
for k in range(41):
    h = x.numpy()
    means = np.stack([h[y == c].mean(0) for c in range(4)])
    spread = np.mean([h[y == c].std(0).mean() for c in range(4)])
    separation.append(np.linalg.norm(means - means.mean(0), axis=1).mean() / spread)
    x = a_hat @ x
plt.figure(figsize=(5, 3))
plt.plot(separation)
plt.xlabel("propagation steps k")
plt.ylabel("between / within spread")
plt.show()
print(f"best after {int(np.argmax(separation))} steps; at 40 steps "
      f"{separation[-1] / max(separation):.0%} of the best")  # fmt: skip

# %%
# A few steps remove the noise (neighbours mostly share the node's community); many steps
# wash out the communities themselves. That is why GCNs are shallow, and why deeper
# graph networks add residual connections or keep a weight for the node itself (SAGE).
#
# Related topics
# --------------
# * :ref:`article-topological_deep_learning`: from nodes and edges to triangles and holes
# * :ref:`article-convolutional_networks`: a convolution is message passing on a grid
# * :ref:`article-transformers`: self-attention is graph attention on a complete graph
