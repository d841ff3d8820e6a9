"""Embedding lookup: row i of a weight table for each index i."""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.backend import scatter_add


class Embedding(Function):
    """y[..., :] = W[index[...], :].   dL/dW = g rows scatter-added into the rows that were
    looked up (a row used twice gets both gradients); the ``padding_idx`` row gets none."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        ctx.shape, ctx.indices, ctx.padding_idx = weight.shape, indices, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        grad = np.zeros_like(g, shape=ctx.shape)
        scatter_add(grad, ctx.indices.reshape(-1), g.reshape(-1, ctx.shape[1]))
        if ctx.padding_idx is not None:
            grad[ctx.padding_idx] = 0
        return grad, None, None
