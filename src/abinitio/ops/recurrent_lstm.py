"""The long short-term memory (LSTM) as one fused primitive per layer and direction.

See :mod:`abinitio.ops.recurrent` for the idea (the time loop in NumPy, the input
projections as one GEMM, BPTT by hand) and the helpers; :func:`_reference_lstm_cell` is the
same cell from ordinary operations, the oracle the tests compare against.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.ops.linalg import linear
from abinitio.ops.recurrent import (
    combined_bias,
    initial_state,
    input_and_weight_grads,
    previous_states,
    project_inputs,
    steps,
    transpose_last,
)


class LSTMLayer(Function):
    """An LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000)
    over a whole sequence, in one direction, in PyTorch's form:

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)     input gate
        f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)     forget gate
        g_t =    tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)     candidate cell
        o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)     output gate
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    W_ih stacks [W_ii; W_if; W_ig; W_io] (4H, I), W_hh likewise (4H, H). Output: one array
    (2, L, N, H), the states h_1..h_L in ``[0]`` and the cells c_1..c_L in ``[1]``, in
    input order (callers index it: the output sequence, h_n, c_n).

    BPTT, visiting the steps backwards with dh = dc = 0 (g_h, g_c: the output's gradients):

        dh <- dh + g_h[t];    dc <- dc + g_c[t] + dh * o(1 - tanh(c)^2)
        da_i = dc * g i(1 - i)      da_f = dc * c_{t-1} f(1 - f)
        da_g = dc * i(1 - g^2)      da_o = dh * tanh(c) o(1 - o)
        dh <- W_hh^T [da_i; da_f; da_g; da_o],    dc <- dc * f

    The factors multiplying dc and dh are forward values only, computed for all steps
    before the loop; both paths (input and hidden) receive the same da.

    See the article docs/articles/architectures/recurrent_networks.py.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False):
        hidden = w_hh.shape[1]
        gates = project_inputs(x, w_ih, combined_bias(b_ih, b_hh))  # (L, 4H, N), in place
        h = h0 = initial_state(h0, gates, hidden)
        c = c0 = initial_state(c0, gates, hidden)
        scale, shift = _gate_activation_constants(hidden, gates)
        i, f, g, o = _gate_blocks(gates, hidden)  # views of every step's gates, made once
        length, _, batch = gates.shape
        hs, cs, tanh_c = (np.empty_like(gates, shape=(length, hidden, batch)) for _ in range(3))
        wh = np.empty_like(gates[0])
        for t in steps(length, reverse):
            a = gates[t]
            a += np.dot(w_hh, h, out=wh)
            a *= scale  # sigmoid(a) = (1 + tanh(a / 2)) / 2 on i, f, o; tanh(a) on g
            np.tanh(a, out=a)
            a *= scale
            a += shift
            c_t, tanh_c_t, h_t = cs[t], tanh_c[t], hs[t]
            np.multiply(f[t], c, out=c_t)
            c_t += i[t] * g[t]
            np.tanh(c_t, out=tanh_c_t)
            np.multiply(o[t], tanh_c_t, out=h_t)
            h, c = h_t, c_t
        ctx.save_for_backward(x, h0, c0, hs, cs, gates, tanh_c, w_ih, w_hh)
        ctx.reverse = reverse
        return np.stack([np.swapaxes(hs, 1, 2), np.swapaxes(cs, 1, 2)])

    @staticmethod
    def backward(ctx, grad):
        x, h0, c0, hs, cs, gates, tanh_c, w_ih, w_hh = ctx.saved_tensors
        grad_h, grad_c = transpose_last(grad[0]), transpose_last(grad[1])  # as columns
        length, hidden, batch = hs.shape
        i, f, g, o = _gate_blocks(gates, hidden)
        c_prev = previous_states(c0, cs, ctx.reverse)
        dc_factors = np.stack([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g)], axis=1)
        do_factor = tanh_c * o * (1 - o)  # da_o = dh * do_factor
        dc_from_dh = o * (1 - tanh_c * tanh_c)
        da = np.empty_like(gates, shape=(length, 4, hidden, batch))  # [da_i; da_f; da_g; da_o]
        da_rows = da.reshape(gates.shape)  # the same array, (L, 4H, N)
        dh, dc = np.zeros_like(h0), np.zeros_like(c0)  # dc is updated in place below
        w_hh_t = w_hh.T
        for t in steps(length, not ctx.reverse):
            dh += grad_h[t]  # dh is a fresh array each step (np.dot below)
            dc += grad_c[t]
            dc += dh * dc_from_dh[t]
            np.multiply(dc_factors[t], dc, out=da[t, :3])  # dc broadcasts over i, f, g
            np.multiply(do_factor[t], dh, out=da[t, 3])
            dh = np.dot(w_hh_t, da_rows[t])
            dc *= f[t]
        needs = ctx.needs_input_grad
        h_prev = previous_states(h0, hs, ctx.reverse)
        grads = input_and_weight_grads(needs[:1] + needs[3:], x, h_prev, da_rows, da_rows, w_ih)
        dx, dw_ih, dw_hh, db_ih, db_hh = grads
        dh0 = transpose_last(dh) if needs[1] else None
        dc0 = transpose_last(dc) if needs[2] else None
        return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh


def _gate_blocks(gates, hidden: int) -> tuple:
    """Views of the i, f, g and o row blocks of (L, 4H, N) gates, (L, H, N) each."""
    return tuple(gates[:, k * hidden : (k + 1) * hidden] for k in range(4))


def _gate_activation_constants(hidden: int, like):
    """(scale, shift) such that tanh(a * scale) * scale + shift is sigmoid on the i, f and o
    blocks (scale 1/2, shift 1/2) and tanh on the g block (scale 1, shift 0): all four
    activations in four array operations."""
    scale = np.full_like(like, 0.5, shape=(4 * hidden, 1))  # columns: broadcast over the batch
    shift = np.full_like(like, 0.5, shape=(4 * hidden, 1))
    scale[2 * hidden : 3 * hidden] = 1.0
    shift[2 * hidden : 3 * hidden] = 0.0
    return scale, shift


def lstm_layer(input, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse: bool = False):
    """One direction of an LSTM layer over a time-major ``input`` (L, N, I), from ``h0``
    and ``c0`` (N, H) or zeros (None); returns (2, L, N, H): every state h_t in ``[0]``,
    every cell c_t in ``[1]``.

    Example:
        >>> import abinitio as ab
        >>> w_ih, w_hh = ab.randn(20, 2), ab.randn(20, 5)
        >>> lstm_layer(ab.randn(7, 3, 2), None, None, w_ih, w_hh).shape
        (2, 7, 3, 5)
    """
    return LSTMLayer.apply(input, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=reverse)


def _reference_lstm_cell(x, state, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step from ordinary operations (the equations of :class:`LSTMLayer`);
    ``state`` is (h, c) and so is the result."""
    h, c = state
    a_i, a_f, a_g, a_o = (linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)).chunk(4, dim=-1)
    c = a_f.sigmoid() * c + a_i.sigmoid() * a_g.tanh()
    return a_o.sigmoid() * c.tanh(), c
