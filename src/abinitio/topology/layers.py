"""Simplicial convolutions: filters that are polynomials in the down and up Laplacians.

A signal on k-simplices (a value per node, per edge, per triangle) is filtered as

    y = sum_(p=0..P) L_down^p x W_p^down + sum_(q=1..Q) L_up^q x W_q^up

(Yang, Isufi & Leus 2022, "Simplicial convolutional neural networks"; with P = Q and one
Laplacian it is Ebli et al. 2020). Each power of a Laplacian reaches one step further:
L_down mixes simplices that share a face (for edges: a node), L_up those that share a
coface (a triangle). Keeping the two apart lets a filter treat gradient-like flows (the
image of B_k^T) and curl-like flows (the image of B_(k+1)) differently, and a polynomial
that is small on both can isolate the harmonic part, the flows around holes, which a
graph filter on the line graph cannot see. Every step is a sparse product, so its
derivative is the same product by the transposed (here: the same, symmetric) matrix.
"""

from __future__ import annotations

import numpy as np

from abinitio.nn import Linear, Module, ModuleList, Parameter, init
from abinitio.ops.sparse import SparseTensor, mm, sparse_coo_tensor
from abinitio.ops.shape import cat
from abinitio.tensor import Tensor


def as_sparse_tensor(matrix) -> SparseTensor:
    """A SciPy sparse matrix (a Laplacian) as an abinitio :class:`SparseTensor`."""
    coo = matrix.tocoo()
    indices = np.stack([coo.row, coo.col]).astype(np.int64)
    return sparse_coo_tensor(indices, coo.data.astype(np.float32), coo.shape)


def scaled(laplacian):
    """L / lambda_max: eigenvalues in [0, 1], so powers of L neither explode nor vanish
    (the largest eigenvalue of an edge Laplacian grows with the node degrees)."""
    from scipy.sparse.linalg import eigsh

    if laplacian.shape[0] < 2 or laplacian.nnz == 0:
        return laplacian
    largest = eigsh(laplacian.astype(np.float64), k=1, which="LA", return_eigenvectors=False)
    return laplacian / max(float(largest[0]), 1e-12)


def _apply(laplacian: SparseTensor, x: Tensor) -> Tensor:
    """L @ x for x (n, C) or a batch (B, n, C): the batch goes into the columns."""
    if x.ndim == 2:
        return mm(laplacian, x)
    batch, n, channels = x.shape
    columns = x.permute(1, 0, 2).reshape(n, batch * channels)
    return mm(laplacian, columns).reshape(n, batch, channels).permute(1, 0, 2)


class SCNNLayer(Module):
    """One simplicial convolution (TopoModelX's ``SCNNLayer``): polynomial filters of
    order ``conv_order_down`` in L_down and ``conv_order_up`` in L_up.

    Args:
        in_channels, out_channels: features per simplex.
        conv_order_down, conv_order_up: P and Q above (0 switches a part off).

    ``forward(x, laplacian_down, laplacian_up)`` with x (n_k, C) or (B, n_k, C) and the
    Laplacians as :class:`SparseTensor` (see :func:`as_sparse_tensor`).

    Attributes:
        weight: (1 + P + Q, in_channels, out_channels), term 0 the identity (p = 0).

    See the article docs/articles/structures/topological_deep_learning.py.
    """

    def __init__(self, in_channels: int, out_channels: int, conv_order_down: int = 2,
                 conv_order_up: int = 2) -> None:  # fmt: skip
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.conv_order_down, self.conv_order_up = conv_order_down, conv_order_up
        terms = 1 + conv_order_down + conv_order_up
        self.weight = Parameter(np.zeros((terms, in_channels, out_channels), np.float32))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.xavier_uniform_(self.weight)

    def forward(self, x: Tensor, laplacian_down: SparseTensor, laplacian_up: SparseTensor):
        if x.shape[-1] != self.in_channels:
            raise ValueError(f"SCNNLayer: expected {self.in_channels} channels per simplex, "
                             f"got input of shape {tuple(x.shape)}")  # fmt: skip
        terms = [x]
        for laplacian, order in ((laplacian_down, self.conv_order_down),
                                 (laplacian_up, self.conv_order_up)):  # fmt: skip
            power = x
            for _ in range(order):
                power = _apply(laplacian, power)
                terms.append(power)
        stacked = cat([t.unsqueeze(-2) for t in terms], -2)  # (..., n, terms, C_in)
        rows = stacked.reshape(-1, len(terms) * self.in_channels)  # one 2-D product: fast
        out = rows @ self.weight.reshape(-1, self.out_channels)
        return out.reshape(*x.shape[:-1], self.out_channels)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, conv_order_down="
                f"{self.conv_order_down}, conv_order_up={self.conv_order_up}")  # fmt: skip


class SCNN(Module):
    """A simplicial network for classifying k-simplex signals of one fixed complex:
    ``num_layers`` :class:`SCNNLayer` with tanh (an odd function, so flipping an edge's
    orientation flips its features, as it flips the flow), then a linear readout of every
    simplex's features. The Laplacians are divided by their largest eigenvalue.

    Shape: x (B, n_k, in_channels) -> (B, num_classes)

    See the article docs/articles/structures/topological_deep_learning.py.
    """

    def __init__(self, complex_, rank: int, in_channels: int, hidden_channels: int,
                 num_classes: int, num_layers: int = 2, conv_order_down: int = 2,
                 conv_order_up: int = 2) -> None:  # fmt: skip
        super().__init__()
        self.laplacian_down = as_sparse_tensor(scaled(complex_.down_laplacian(rank)))
        self.laplacian_up = as_sparse_tensor(scaled(complex_.up_laplacian(rank)))
        sizes = [in_channels] + [hidden_channels] * num_layers
        self.layers = ModuleList([SCNNLayer(a, b, conv_order_down, conv_order_up)
                                  for a, b in zip(sizes[:-1], sizes[1:])])  # fmt: skip
        self.readout = Linear(complex_.shape[rank] * hidden_channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x, self.laplacian_down, self.laplacian_up).tanh()
        return self.readout(x.reshape(x.shape[0], -1))
