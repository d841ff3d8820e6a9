"""The gated recurrent unit (GRU) as one fused primitive per layer and direction.

See :mod:`abinitio.ops.recurrent` for the idea (the time loop in NumPy, the input
projections as one GEMM, BPTT by hand) and the helpers; :func:`_reference_gru_cell` is the
same cell from ordinary operations, the oracle the tests compare against.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.ops.linalg import linear
from abinitio.ops.recurrent import (
    initial_state,
    input_and_weight_grads,
    previous_states,
    project_inputs,
    sigmoid_,
    steps,
    transpose_last,
)


class GRULayer(Function):
    """A GRU (Cho et al. 2014) over a whole sequence, in one direction, in PyTorch's form:

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)          reset gate
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)          update gate
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))     candidate state
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    W_ih stacks [W_ir; W_iz; W_in] (3H, I), W_hh stacks [W_hr; W_hz; W_hn] (3H, H), and the
    biases likewise. Output: the states h_1..h_L, (L, N, H), in input order.

    BPTT. Write hn_t = W_hn h_{t-1} + b_hn and dh for the gradient reaching h_t. Every
    pre-activation gradient is dh times a factor of forward values only:

        da_n = dh * (1 - z)(1 - n^2)        d(hn) = da_n * r
        da_r = da_n * hn * r(1 - r)         da_z = dh * (h_{t-1} - n) z(1 - z)

    so the factors are computed for all steps before the loop, which keeps only what the
    recurrence forces: dh <- dh + g_t, then dh <- dh * z + W_hh^T [da_r; da_z; d(hn)].
    The hidden path's gradients are [da_r; da_z; d(hn)], the input path's [da_r; da_z; da_n].

    See the article docs/articles/architectures/recurrent_networks.py.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False):
        hidden = w_hh.shape[1]
        xa = project_inputs(x, w_ih, _folded_bias(b_ih, b_hh, hidden))  # (L, 3H, N)
        h = h0 = initial_state(h0, xa, hidden)
        wh = np.empty_like(xa)  # W_hh h_{t-1} (+ b_hn); its n block is kept for backward
        length, _, batch = xa.shape
        rz = np.empty_like(xa, shape=(length, 2 * hidden, batch))  # both gates, each step
        n, hs = (np.empty_like(xa, shape=(length, hidden, batch)) for _ in range(2))
        b_hn = None if b_hh is None else b_hh[2 * hidden :, None]
        for t in steps(length, reverse):
            np.dot(w_hh, h, out=wh[t])
            np.add(xa[t, : 2 * hidden], wh[t, : 2 * hidden], out=rz[t])
            sigmoid_(rz[t])
            hn = wh[t, 2 * hidden :]
            if b_hn is not None:
                hn += b_hn
            n_t, h_t = n[t], hs[t]
            np.multiply(rz[t, :hidden], hn, out=n_t)
            n_t += xa[t, 2 * hidden :]
            np.tanh(n_t, out=n_t)
            np.subtract(h, n_t, out=h_t)  # h_t = n + z (h_{t-1} - n)
            h_t *= rz[t, hidden:]
            h_t += n_t
            h = h_t
        ctx.save_for_backward(x, h0, hs, rz, n, wh[:, 2 * hidden :], w_ih, w_hh)
        ctx.reverse = reverse
        return transpose_last(hs)

    @staticmethod
    def backward(ctx, g):
        x, h0, hs, rz, n, hn, w_ih, w_hh = ctx.saved_tensors
        g = transpose_last(g)  # columns, like the saved states
        length, hidden, batch = hs.shape
        r, z = rz[:, :hidden], rz[:, hidden:]
        h_prev = previous_states(h0, hs, ctx.reverse)
        dn_factor = (1 - z) * (1 - n * n)  # da_n = dh * dn_factor
        factors = np.stack([dn_factor * hn * r * (1 - r), (h_prev - n) * z * (1 - z),
                            dn_factor * r], axis=1)  # fmt: skip
        da_h = np.empty_like(factors)  # (L, 3, H, N): [da_r; da_z; d(hn)] of every step
        da_h_rows = da_h.reshape(length, 3 * hidden, batch)  # the same array, (L, 3H, N)
        dhs = np.empty_like(hs)  # the gradient reaching each h_t
        dh = np.zeros_like(h0)
        w_hh_t = w_hh.T
        for t in steps(length, not ctx.reverse):
            dh_t = dhs[t]
            np.add(dh, g[t], out=dh_t)
            np.multiply(factors[t], dh_t, out=da_h[t])  # dh_t broadcasts over the 3 gates
            dh = np.dot(w_hh_t, da_h_rows[t])
            dh += dh_t * z[t]
        da_h = da_h_rows
        da_x = da_h.copy()
        np.multiply(dhs, dn_factor, out=da_x[:, 2 * hidden :])
        needs = ctx.needs_input_grad
        grads = input_and_weight_grads(needs[:1] + needs[2:], x, h_prev, da_x, da_h, w_ih)
        dx, dw_ih, dw_hh, db_ih, db_hh = grads
        dh0 = transpose_last(dh) if needs[1] else None
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh


def _folded_bias(b_ih, b_hh, hidden: int):
    """b_ih plus the r and z blocks of b_hh, which add straight to the input's; b_hn stays
    apart because the reset gate multiplies it."""
    if b_ih is None and b_hh is None:
        return None
    bias = np.zeros_like(b_ih if b_hh is None else b_hh, shape=(3 * hidden,))
    if b_ih is not None:
        bias += b_ih
    if b_hh is not None:
        bias[: 2 * hidden] += b_hh[: 2 * hidden]
    return bias


def gru_layer(input, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse: bool = False):
    """One direction of a GRU layer over a time-major ``input`` (L, N, I), from ``h0``
    (N, H) or zeros (None); returns every state, (L, N, H).

    Example:
        >>> import abinitio as ab
        >>> w_ih, w_hh = ab.randn(15, 2), ab.randn(15, 5)
        >>> gru_layer(ab.randn(7, 3, 2), None, w_ih, w_hh, reverse=True).shape
        (7, 3, 5)
    """
    return GRULayer.apply(input, h0, w_ih, w_hh, b_ih, b_hh, reverse=reverse)


def _reference_gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step from ordinary operations (the equations of :class:`GRULayer`)."""
    x_r, x_z, x_n = linear(x, w_ih, b_ih).chunk(3, dim=-1)
    h_r, h_z, h_n = linear(h, w_hh, b_hh).chunk(3, dim=-1)
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return (1 - z) * n + z * h
