"""Embedding lookup: row i of a weight table for each index i."""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.backend import scatter_add


def _reference_embedding_grad(indices, rows, num_embeddings):
    """dL/dW: grad[indices[k]] += rows[k], one scatter-add (the readable version)."""
    grad = np.zeros_like(rows, shape=(num_embeddings, rows.shape[1]))
    scatter_add(grad, indices, rows)
    return grad


def _sum_rows_by_index(indices, rows, num_embeddings):
    """The same sums as :func:`_reference_embedding_grad`: sort the indices, then add each
    run of equal indices with one ``np.add.reduceat``. ``np.add.at`` handles every row
    separately: 12 ms for 2,048 rows of 128 into 96 places, against 0.5 ms this way."""
    order = np.argsort(indices, kind="stable")
    ordered = indices[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    grad = np.zeros_like(rows, shape=(num_embeddings, rows.shape[1]))
    if len(indices):
        grad[ordered[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return grad


class Embedding(Function):
    """y[..., :] = W[index[...], :].   dL/dW = g rows scatter-added into the rows that were
    looked up (a row used twice gets both gradients); the ``padding_idx`` row gets none."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        ctx.shape, ctx.indices, ctx.padding_idx = weight.shape, indices, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        indices, rows = ctx.indices.reshape(-1), g.reshape(-1, ctx.shape[1])
        if isinstance(g, np.ndarray):
            grad = _sum_rows_by_index(indices, rows, ctx.shape[0])
        else:  # CuPy: its scatter_add is a native kernel
            grad = _reference_embedding_grad(indices, rows, ctx.shape[0])
        if ctx.padding_idx is not None:
            grad[ctx.padding_idx] = 0
        return grad, None, None
