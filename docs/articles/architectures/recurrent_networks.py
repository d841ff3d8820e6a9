r"""
.. _article-recurrent_networks:

Recurrent neural networks (RNN, LSTM, GRU)
==========================================

Text, speech, sensor readings and prices arrive as **sequences**, of any length, where
order matters. A **recurrent neural network** reads a sequence one step at a time and
carries a **hidden state** :math:`h_t`, a vector that summarises everything it has seen
so far. At each step the same small network (the **cell**) combines the new input
:math:`x_t` with the previous state :math:`h_{t-1}` into the next state. Because the same
weights serve every step, one network handles sequences of any length, and what it
learns at one position applies at every other.

Training needs no new idea. Drawn out over time (**unrolled**), an RNN reading :math:`L`
steps is an :math:`L`-layer feedforward network whose layers share their weights, and
**backpropagation through time** (BPTT) is ordinary backpropagation on that unrolled
graph. But an unrolled RNN is very deep, so it meets the vanishing and exploding
gradients of :ref:`article-residual_networks` in their purest form: the gradient that
reaches an early step is multiplied by the same recurrent Jacobian once per step. An
exploding gradient is tamed by **gradient clipping** (shrink the whole gradient when its
norm exceeds a threshold). A vanishing one needs a better cell: the **LSTM** and the
**GRU** add *gates*, small sigmoid layers that decide, per unit and per step, how much of
the old state to keep and how much new information to write. When a gate chooses to
keep, the state, and its gradient, pass through almost unchanged, over many steps.

The maths
---------

An Elman RNN computes :math:`h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`.
With :math:`g_t = \partial\mathcal{L}/\partial h_t` from the output at step :math:`t`,
BPTT walks back from :math:`t = L`, adding what the future sends through the recurrence,
and sums the shared weights' gradients over the steps:

.. math::

   \delta_t = g_t + J_{t+1}^\top \delta_{t+1},
   \quad J_{t+1} = \frac{\partial h_{t+1}}{\partial h_t}
     = \operatorname{diag}(1 - h_{t+1}^2)\, W_{hh},
   \qquad
   \frac{\partial\mathcal{L}}{\partial W_{hh}}
     = \sum_t \big(\delta_t \odot (1 - h_t^2)\big)\, h_{t-1}^\top.

A gradient sent back :math:`k` steps is multiplied by :math:`k` Jacobians; their norms
below or above one make it vanish or explode like :math:`\|J\|^k`. Clipping rescales all
gradients :math:`\mathbf{g}` together, :math:`\mathbf{g} \leftarrow \mathbf{g}\,
\min(1, c / \|\mathbf{g}\|)`, which keeps the direction of the step. The **LSTM** keeps
a separate cell state :math:`c_t` that changes only by gated addition; the **GRU**
interpolates between the old state and a candidate:

.. math::

   \begin{aligned}
   &\textbf{LSTM} & &\textbf{GRU}\\
   i_t &= \sigma(W_{ii} x_t + W_{hi} h_{t-1} + b_i) &
   r_t &= \sigma(W_{ir} x_t + W_{hr} h_{t-1} + b_r)\\
   f_t &= \sigma(W_{if} x_t + W_{hf} h_{t-1} + b_f) &
   z_t &= \sigma(W_{iz} x_t + W_{hz} h_{t-1} + b_z)\\
   g_t &= \tanh(W_{ig} x_t + W_{hg} h_{t-1} + b_g) &
   n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))\\
   o_t &= \sigma(W_{io} x_t + W_{ho} h_{t-1} + b_o) &
   h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}\\
   c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \quad h_t = o_t \odot \tanh(c_t)
   \end{aligned}

The LSTM's :math:`\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)`: with the
forget gate near one, the gradient along the cell state neither shrinks nor grows. The
GRU's update gate :math:`z_t` plays the same part for :math:`h_t`.

Where it lives in abinitio
--------------------------

.. implementation::

Each layer and direction is one fused primitive (``RNNLayer``, ``GRULayer``,
``LSTMLayer``) that runs the time loop and BPTT by hand in NumPy, so a sequence costs one
graph node instead of hundreds; composed ``_reference_*`` cells are its test oracle.
"""

# %%
# A GRU, step by step
# -------------------
# One step of the GRU equations in NumPy equals a ``GRUCell``; the cell unrolled by a
# Python loop over the sequence equals the ``nn.GRU`` layer with the same weights.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn

ab.manual_seed(0)
gru = nn.GRU(input_size=3, hidden_size=4, batch_first=True)
cell = nn.GRUCell(3, 4)
cell.load_state_dict({k.removesuffix("_l0"): v for k, v in gru.state_dict().items()})
sequences = ab.randn(2, 6, 3)  # (N, L, features)
w_ih, w_hh, b_ih, b_hh = (p.detach().numpy() for p in cell.parameters())
x0, h = sequences[:, 0].numpy(), np.zeros((2, 4), dtype=np.float32)
a, b = x0 @ w_ih.T + b_ih, h @ w_hh.T + b_hh  # the three gates' blocks, side by side
r = 1 / (1 + np.exp(-(a[:, :4] + b[:, :4])))
z = 1 / (1 + np.exp(-(a[:, 4:8] + b[:, 4:8])))
n = np.tanh(a[:, 8:] + r * b[:, 8:])
by_equations = (1 - z) * n + z * h
with ab.no_grad():
    print(
        "equations vs GRUCell:",
        np.abs(by_equations - cell(sequences[:, 0]).numpy()).max(),
    )
    state, states = ab.zeros(2, 4), []
    for t in range(6):  # the loop over time, by hand
        state = cell(sequences[:, t], state)
        states.append(state)
    output, h_n = gru(sequences)
    unrolled = ab.stack(states, dim=1)
    print("unrolled cell vs nn.GRU:", (unrolled - output).abs().max().item())

# %%
# Vanishing and exploding through time
# ------------------------------------
# An RNN cell reads 40 random inputs; the loss is the sum of the last state. We keep
# the gradient reaching every :math:`h_t` and vary the size of :math:`W_{hh}`
# (a random orthogonal matrix times a scale). Then ``clip_grad_norm_`` rescales the
# weights' gradients to a joint norm of at most 1, as one does before an optimiser step.
inputs = ab.randn(40, 8, 4)  # (L, N, features)
rotation = np.linalg.qr(np.random.default_rng(0).normal(size=(16, 16)))[0]
fig, ax = plt.subplots(figsize=(6.5, 3.2))
for scale in (0.5, 1.0, 3.0):
    rnn_cell = nn.RNNCell(4, 16)
    with ab.no_grad():
        rnn_cell.weight_hh.copy_(ab.tensor(scale * rotation, dtype=ab.float32))
    state, states = ab.zeros(8, 16), []
    for x_t in inputs:
        state = rnn_cell(x_t, state)
        state.retain_grad()
        states.append(state)
    state.sum().backward()
    norms = [s.grad.square().sum().sqrt().item() for s in states]
    ax.plot(range(1, 41), norms, label=f"$W_{{hh}}$ scaled by {scale}")
    total = nn.utils.clip_grad_norm_(rnn_cell.parameters(), max_norm=1.0)
    after = sum(p.grad.square().sum() for p in rnn_cell.parameters()).sqrt()
    print(
        f"scale {scale}: weight gradient norm {total.item():.3g}, after clipping {after.item():.3f}"
    )
ax.set(yscale="log", xlabel="step t", ylabel=r"$\|\partial L / \partial h_t\|$")
ax.legend()
plt.show()

# %%
# Gates at work: running parity
# -----------------------------
# The task: read a stream of bits and say, after each one, whether the number of 1s so
# far is odd. The state must carry one bit forever and flip it on every 1. Both networks
# have 16 hidden units and train for 300 steps with Adam and gradient clipping.
rng = np.random.default_rng(0)
fig, ax = plt.subplots(figsize=(6.5, 3.2))
for layer in (nn.RNN(1, 16, batch_first=True), nn.GRU(1, 16, batch_first=True)):
    head = nn.Linear(16, 2)
    params = list(layer.parameters()) + list(head.parameters())
    optimizer = ab.optim.Adam(params, lr=1e-2)
    losses = []
    for _ in range(300):
        bits = rng.integers(0, 2, (32, 20))
        parity = ab.tensor(np.cumsum(bits, axis=1) % 2)
        logits = head(layer(ab.tensor(bits[..., None], dtype=ab.float32))[0])
        loss = nn.functional.cross_entropy(logits.reshape(-1, 2), parity.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, max_norm=1.0)
        optimizer.step()
        losses.append(loss.item())
    accuracy = (logits.argmax(-1).numpy() == parity.numpy()).mean()
    print(f"{type(layer).__name__}: accuracy on the last batch {accuracy:.0%}")
    ax.plot(losses, label=type(layer).__name__)
ax.set(xlabel="training step", ylabel="cross-entropy")
ax.legend()
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-backpropagation`: BPTT is backpropagation on the unrolled graph
# * :ref:`article-residual_networks`: the vanishing gradient, across layers
# * :ref:`article-transformers`: sequences read all at once, by attention
# * :ref:`article-activation_functions`: the sigmoid and tanh inside the gates
# * :ref:`article-training_through_time`: spiking networks, trained by the same BPTT
