r"""
.. _article-transformers:

Transformers and self-attention
===============================

A recurrent network reads a sentence one word at a time and must squeeze everything it
has read into one state vector; information from far back fades, and step :math:`t`
cannot start before step :math:`t-1` is done. **Self-attention** lets every position
look at every other position directly, all at once. Each position asks a question (its
**query**), every position offers a description of itself (its **key**) and a content
(its **value**). A query is compared with every key by a dot product; a softmax turns the
scores into weights that sum to one; the position's output is the weighted average of the
values. The weights are computed from the data, so the network decides, for each input,
where to look: a pronoun can read the noun it stands for, however far away.

**Multi-head** attention runs several attentions side by side on smaller projections, so
one head can track the previous word while another tracks the subject. Attention ignores
order (shuffle the positions and the outputs shuffle with them), so a **positional
encoding** is added to each input: a learned vector per position, or fixed sines and
cosines of different frequencies. A **Transformer block** (Vaswani et al. 2017) is
attention followed by a small two-layer network applied to each position, each wrapped in
a residual connection with layer normalisation. A language model such as GPT stacks these
blocks with a **causal mask** that hides the future, so position :math:`t` sees only
positions :math:`\le t` and is trained to predict token :math:`t + 1`.

The maths
---------

With inputs :math:`X \in \mathbb{R}^{L \times d}` and learned projections,
:math:`Q = XW_Q`, :math:`K = XW_K`, :math:`V = XW_V`, and

.. math::

   S = \frac{QK^\top}{\sqrt{d_k}} + M, \qquad
   A = \operatorname{softmax}_\text{rows}(S), \qquad
   \operatorname{Attention}(Q, K, V) = AV,

where :math:`M` is 0 where attending is allowed and :math:`-\infty` where it is masked
(the causal mask has :math:`-\infty` above the diagonal). Dividing by :math:`\sqrt{d_k}`
keeps the scores' variance near one, so the softmax does not saturate. Backpropagation
goes through the two matrix products and the softmax (with :math:`G = \partial\mathcal{L}
/\partial(AV)`):

.. math::

   \frac{\partial\mathcal{L}}{\partial V} = A^\top G, \quad
   \frac{\partial\mathcal{L}}{\partial A} = G V^\top, \quad
   \frac{\partial\mathcal{L}}{\partial S} = A \odot \Big(\frac{\partial\mathcal{L}}{\partial A}
     - \operatorname{rowsum}\big(\tfrac{\partial\mathcal{L}}{\partial A} \odot A\big)\Big), \quad
   \frac{\partial\mathcal{L}}{\partial Q} = \frac{1}{\sqrt{d_k}}
     \frac{\partial\mathcal{L}}{\partial S} K, \quad
   \frac{\partial\mathcal{L}}{\partial K} = \frac{1}{\sqrt{d_k}}
     \Big(\frac{\partial\mathcal{L}}{\partial S}\Big)^{\!\top} Q.

:math:`h` heads split :math:`d` into :math:`h` slices of :math:`d/h`, attend in each, and
concatenate the results before an output projection :math:`W_O`. The sinusoidal encoding
of position :math:`p` is :math:`PE_{p,2i} = \sin(p / 10000^{2i/d})`,
:math:`PE_{p,2i+1} = \cos(p / 10000^{2i/d})`. A pre-norm block (GPT-2's layout) computes

.. math::

   h \leftarrow h + \operatorname{MultiHead}(\operatorname{LN}(h)), \qquad
   h \leftarrow h + W_2\,\operatorname{GELU}(W_1 \operatorname{LN}(h)).

Where it lives in abinitio
--------------------------

.. implementation::

``ScaledDotProductAttention`` is one primitive whose backward is the formula above;
``_reference_scaled_dot_product_attention`` composes the same thing from matmul and
softmax and is its test oracle.
"""

# %%
# Attention is a softmax-weighted average
# ---------------------------------------
# Four positions with 3-dimensional queries, keys and values. The NumPy formula equals
# ``scaled_dot_product_attention``; with ``is_causal=True`` row :math:`t` puts zero
# weight on the positions after :math:`t`.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn
from abinitio.models import GPT
from abinitio.nn import functional as F
from abinitio.viz.attention import attention_weights

ab.manual_seed(0)
q, k, v = ab.randn(1, 4, 3), ab.randn(1, 4, 3), ab.randn(1, 4, 3)
scores = q.numpy()[0] @ k.numpy()[0].T / np.sqrt(3)
scores += np.triu(np.full((4, 4), -np.inf), k=1)  # the causal mask M
weights = np.exp(scores - scores.max(1, keepdims=True))
weights /= weights.sum(1, keepdims=True)
by_hand = weights @ v.numpy()[0]
by_library = F.scaled_dot_product_attention(q, k, v, is_causal=True).numpy()[0]
print("attention weights (rows sum to 1):\n", weights.round(2))
print("largest difference, NumPy vs library:", np.abs(by_hand - by_library).max())

# %%
# Positional encodings
# --------------------
# Each row is the vector added to the input at that position: sines and cosines whose
# wavelength grows along the embedding, so every position gets a distinct pattern.
encoding = nn.SinusoidalPositionalEncoding(d_model=64, max_len=50, batch_first=True)
pe = encoding(ab.zeros(1, 50, 64)).numpy()[0]
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.imshow(pe, aspect="auto", cmap="RdBu_r")
ax.set(xlabel="embedding dimension", ylabel="position", title="sinusoidal encoding")
plt.show()

# %%
# A Transformer learns to copy
# ----------------------------
# Each training sequence is 8 random tokens written twice. The first half is
# unpredictable; the second half can be predicted exactly by looking back 7 positions.
# A one-block GPT learns where to look in a few hundred steps.
rng = np.random.default_rng(0)


def copy_task(batch):
    half = rng.integers(0, 10, (batch, 8))
    tokens = np.concatenate([half, half], axis=1)  # (B, 16)
    return ab.tensor(tokens[:, :-1]), ab.tensor(tokens[:, 1:])  # predict the next token


model = GPT(vocab_size=10, context_size=15, n_layers=1, n_heads=2, width=32)
optimizer = ab.optim.Adam(model.parameters(), lr=3e-3)
losses = []
for _ in range(400):
    inputs, targets = copy_task(64)
    loss = F.cross_entropy(model(inputs).reshape(-1, 10), targets.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
inputs, targets = copy_task(256)
with ab.no_grad():
    predicted = model(inputs).argmax(-1).numpy()
correct = predicted == targets.numpy()
print(f"accuracy on the first half: {correct[:, :7].mean():.0%} (chance: 10%)")
print(f"accuracy on the second half: {correct[:, 7:].mean():.0%}")

# %%
# Where the model looks
# ---------------------
# The loss falls from :math:`\ln 10 \approx 2.3` towards the floor set by the
# unpredictable first half (about :math:`\tfrac{7}{15} \ln 10 \approx 1.07`).
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(losses)
ax.set(xlabel="training step", ylabel="cross-entropy (nats)", title="learning to copy")
plt.show()

# %%
# Both heads' attention for one test sequence, from ``attention_weights`` (row: the
# position predicting the next token; column: where it reads). From position 7 on, the
# weight sits on the position 7 back: the token that comes next in the copy.
weights = attention_weights(model, inputs[:1])[0]  # (heads, L, L)
labels = [str(t) for t in inputs.numpy()[0]]
fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
for head, ax in enumerate(axes):
    ax.imshow(weights[head], cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(15), labels)
    ax.set_yticks(range(15), labels)
    ax.set(title=f"head {head}", xlabel="key (read from)", ylabel="query (reading)")
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-recurrent_networks`: reading a sequence one step at a time instead
# * :ref:`article-residual_networks`: the skip connections around every block
# * :ref:`article-activation_functions`: softmax, which turns scores into weights
# * :ref:`article-normalisation_and_encoding`: one-hot tokens, and why embeddings replace
#   them
