"""Recurrent layers as fused primitives: one graph node per layer and direction.

A recurrent layer applies one cell at every step of a sequence, carrying a state:
h_t = cell(x_t, h_{t-1}) for t = 1..L. Unrolled, that is a feed-forward graph L cells deep
whose cells share their weights, and *backpropagation through time* (BPTT) is nothing but
the chain rule on the unrolled graph: walking t = L..1, the gradient reaching h_t is the
output's own gradient g_t plus what h_{t+1} sends back through the cell, and each shared
weight's gradient is the sum of the gradients of its L copies.

Built from ordinary tensor operations (:func:`_reference_layer` unrolling
:func:`_reference_rnn_cell`, ``_reference_gru_cell`` or ``_reference_lstm_cell``), a
sequence of 40 steps records hundreds of small graph nodes, and Python spends its time
recording and walking them. The primitives here run the whole time loop in NumPy instead,
as cuDNN's RNN kernels do:

* no input depends on the recurrence, so the input projections W_ih x_t of *all* steps
  are one batched matrix product before the loop (:func:`project_inputs`);
* inside the loop only W_hh h_{t-1} and a few in-place elementwise operations remain;
* backward runs the loop the other way, storing the pre-activation gradients dA of every
  step; dX, dW_ih, dW_hh and the biases' gradients then come from GEMMs over all steps at
  once (:func:`input_and_weight_grads`): a shared weight's gradient is the sum over its
  L copies.

Every primitive takes a time-major input x (L, N, I), its initial state(s) (N, H) or None
(zeros), and the weights in PyTorch's layout (gate blocks stacked along the rows); with
``reverse=True`` it walks from t = L down to 1 (the second direction of a bidirectional
layer). Inside, states are *columns*, h_t of shape (H, N), as in the equations W h + b:
then each gate's pre-activations are a contiguous block of rows of W_hh h (G*H, N). In the
(N, G*H) layout they would be strided column blocks, on which NumPy's elementwise loops run
3-5x slower when H is small. ``np.dot`` reaches BLAS with less overhead than ``@`` for 2-D
operands, and ``out=`` spares an allocation: both matter when each step is microseconds.

This file holds the helpers the primitives share and the Elman RNN; the GRU and the LSTM
live in :mod:`~abinitio.ops.recurrent_gru` and :mod:`~abinitio.ops.recurrent_lstm`.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.function import Function
from abinitio.backend import contiguous
from abinitio.ops.linalg import linear
from abinitio.ops.shape import stack


# ---- helpers shared by the three recurrent primitives ------------------------------------
def steps(length: int, reverse: bool) -> range:
    """The time indices in the order a direction visits them."""
    return range(length - 1, -1, -1) if reverse else range(length)


def transpose_last(a):
    """Swap the last two axes, contiguously: (L, N, H) <-> (L, H, N), (N, H) <-> (H, N)."""
    return contiguous(np.swapaxes(a, -1, -2))


def project_inputs(x, w_ih, bias):
    """W_ih x_t + bias for every step at once, as columns: (L, G*H, N). No input depends on
    the recurrence, so this is one batched matrix product before the loop."""
    length, batch, features = x.shape
    x_columns = np.swapaxes(x, 1, 2)  # (L, I, N): step t's inputs as columns
    shape, dtype = (length, w_ih.shape[0], batch), np.result_type(x, w_ih)
    a = np.empty_like(x, shape=shape, dtype=dtype, order="C")
    if features == 1:
        np.multiply(w_ih, x_columns, out=a)  # an outer product: faster than a GEMM
    else:
        np.matmul(w_ih, x_columns, out=a)
    if bias is not None:
        a += bias[:, None]
    return a


def initial_state(state, like, hidden_size: int):
    """The initial state as columns (H, N) in the dtype of ``like`` (the projected inputs,
    (L, G*H, N)); zeros when the caller passed None."""
    if state is None:
        return np.zeros_like(like, shape=(hidden_size, like.shape[2]))
    return transpose_last(state.astype(like.dtype, copy=False))


def combined_bias(b_ih, b_hh):
    """b_ih + b_hh: where both biases add to the same pre-activation, add them once."""
    if b_ih is None or b_hh is None:
        return b_hh if b_ih is None else b_ih
    return b_ih + b_hh


def previous_states(h0, hs, reverse: bool):
    """For each step, the state it started from (h0 for the first step visited)."""
    if reverse:
        return np.concatenate([hs[1:], h0[None]])
    return np.concatenate([h0[None], hs[:-1]])


def sigmoid_(a):
    """Overwrite ``a`` with sigmoid(a) = (1 + tanh(a / 2)) / 2: the same function as
    1 / (1 + e^-a), but tanh cannot overflow where e^-a does (a < -88 in float32)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def input_and_weight_grads(needs, x, h_prev, da_x, da_h, w_ih):
    """The gradients besides the initial states', from the pre-activation gradients of all
    steps as columns (``da_x`` on the input path, ``da_h`` on the hidden path; (L, G*H, N)).
    Each weight's gradient is the sum of its L copies' gradients, and with the columns of
    all steps side by side, (G*H, L*N), every sum over t is one GEMM:

        dx_t = dA_t^T W_ih,   dW_ih = sum_t dA_t x_t,   dW_hh = sum_t dA_t h_{t-1}^T,
        db_ih = sum of dA_x over steps and samples,   db_hh = the same for dA_h.

    ``needs`` flags (x, w_ih, w_hh, b_ih, b_hh); gradients not needed are None."""
    da_x2 = steps_side_by_side(da_x)
    da_h2 = da_x2 if da_h is da_x else steps_side_by_side(da_h)
    dx = (da_x2.T @ w_ih).reshape(x.shape) if needs[0] else None
    dw_ih = da_x2 @ x.reshape(-1, x.shape[-1]) if needs[1] else None
    dw_hh = da_h2 @ steps_side_by_side(h_prev).T if needs[2] else None
    db_ih = da_x2.sum(axis=1) if needs[3] else None
    db_hh = da_h2.sum(axis=1) if needs[4] else None
    return dx, dw_ih, dw_hh, db_ih, db_hh


def steps_side_by_side(a):
    """(L, m, N) -> (m, L*N): the columns of all steps side by side, in step order (a copy
    of N-long rows), matching the rows of x.reshape(L*N, I)."""
    return np.swapaxes(a, 0, 1).reshape(a.shape[1], -1)


# ---- the Elman RNN ---------------------------------------------------------------------------
class RNNLayer(Function):
    """An Elman RNN (Elman 1990) over a whole sequence, in one direction:

        h_t = act(a_t),   a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh,   act = tanh or relu.

    Output: the states h_1..h_L, (L, N, H), in input order; h_n is its last row (its first
    when ``reverse``). BPTT visits the steps backwards, starting from dh = 0:

        dh  <- dh + g_t               the output's gradient joins the one carried back
        da_t = dh * act'(a_t)         tanh: 1 - h_t^2;  relu: 1 where h_t > 0, else 0
        dh  <- W_hh^T da_t            what h_{t-1} receives through the recurrence

    The last dh is dL/dh_0; dX and the weights' and biases' gradients come from all da_t at
    once (:func:`input_and_weight_grads`). act' is computed for all steps before the loop.
    Composed version: :func:`_reference_rnn_cell` unrolled by :func:`_reference_layer`.

    See the article docs/articles/architectures/recurrent_networks.py.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh", reverse=False):
        hs = project_inputs(x, w_ih, combined_bias(b_ih, b_hh))  # overwritten by the states
        h = h0 = initial_state(h0, hs, w_hh.shape[1])
        wh = np.empty_like(h0)
        for t in steps(len(x), reverse):
            h_t = hs[t]
            h_t += np.dot(w_hh, h, out=wh)
            if nonlinearity == "tanh":
                np.tanh(h_t, out=h_t)
            else:
                np.maximum(h_t, 0, out=h_t)
            h = h_t
        ctx.save_for_backward(x, h0, hs, w_ih, w_hh)
        ctx.nonlinearity, ctx.reverse = nonlinearity, reverse
        return transpose_last(hs)

    @staticmethod
    def backward(ctx, g):
        x, h0, hs, w_ih, w_hh = ctx.saved_tensors
        g = transpose_last(g)  # columns, like the saved states
        if ctx.nonlinearity == "tanh":
            slope = 1 - hs * hs
        else:
            slope = (hs > 0).astype(hs.dtype)
        da = np.empty_like(hs)
        dh = np.zeros_like(h0)
        for t in steps(len(x), not ctx.reverse):
            da_t = da[t]
            np.add(dh, g[t], out=da_t)
            da_t *= slope[t]
            dh = np.dot(w_hh.T, da_t)
        needs = ctx.needs_input_grad
        h_prev = previous_states(h0, hs, ctx.reverse)
        grads = input_and_weight_grads(needs[:1] + needs[2:], x, h_prev, da, da, w_ih)
        dx, dw_ih, dw_hh, db_ih, db_hh = grads
        dh0 = transpose_last(dh) if needs[1] else None
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh


def rnn_layer(input, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity: str = "tanh",
              reverse: bool = False):  # fmt: skip
    """One direction of an Elman RNN layer over a time-major ``input`` (L, N, I), from
    ``h0`` (N, H) or zeros (None); returns every state, (L, N, H).

    Example:
        >>> import abinitio as ab
        >>> w_ih, w_hh = ab.randn(5, 2), ab.randn(5, 5)
        >>> rnn_layer(ab.randn(7, 3, 2), None, w_ih, w_hh).shape
        (7, 3, 5)
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_layer: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return RNNLayer.apply(input, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity=nonlinearity,
                          reverse=reverse)  # fmt: skip


# ---- the composed versions: the test oracle, and the definition to read first --------------
def _reference_rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """One step of an Elman RNN from ordinary ops: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    a = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)
    return a.tanh() if nonlinearity == "tanh" else a.relu()


def _reference_layer(cell, x, state, weights, reverse=False, **options):
    """Unroll ``cell`` over the steps of ``x`` (L, N, I): the graph of small operations,
    about ten per step, that one fused primitive replaces. ``state`` is h_0, or (h_0, c_0)
    for an LSTM cell; returns the stacked states (L, N, H) and the final state."""
    outputs = [None] * x.shape[0]
    for t in steps(x.shape[0], reverse):
        state = cell(x[t], state, *weights, **options)
        outputs[t] = state[0] if isinstance(state, tuple) else state
    return stack(outputs), state
