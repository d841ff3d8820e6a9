r"""
.. _article-layers:

Input, hidden and output layers
===============================

Neurons are organised in **layers**. A layer is a row of neurons that all read the same
inputs; its outputs become the inputs of the next layer.

* The **input layer** is the data itself: one "neuron" per input feature. It computes
  nothing; it only hands the features to the first real layer.
* **Hidden layers** transform their inputs. Each of their neurons weighs every output of
  the previous layer, adds its bias and applies its activation. They are "hidden" because
  the data never says what their values should be: the network finds useful
  intermediate features by itself. A network with several hidden layers is a *deep*
  neural network.
* The **output layer** produces the prediction: one neuron per output. Its activation
  follows the task: none (linear) for regression, a softmax over the neurons for
  classification into several classes (one neuron per class).

When every neuron of a layer is connected to every output of the previous one, the layer
is **fully connected** (``Linear`` in PyTorch and abinitio). Convolutional and recurrent
layers connect neurons in other patterns; they have their own articles as they land.

The maths
---------

A layer of :math:`m` neurons reading :math:`n` inputs stacks the neurons' weight vectors
as the rows of a matrix :math:`W \in \mathbb{R}^{m \times n}` and their biases in
:math:`\mathbf{b} \in \mathbb{R}^m`, so the whole layer is one matrix product:

.. math::

   \mathbf{h} = f(W\mathbf{x} + \mathbf{b}), \qquad h_j = f\Big(\sum_i W_{ji} x_i + b_j\Big).

For a batch of :math:`N` inputs held as the rows of :math:`X \in \mathbb{R}^{N \times n}`
this is :math:`H = f(XW^\top + \mathbf{b})`. A network is layers in sequence:

.. math::

   \mathbf{h}^{(1)} = f\big(W^{(1)}\mathbf{x} + \mathbf{b}^{(1)}\big), \quad
   \mathbf{h}^{(\ell)} = f\big(W^{(\ell)}\mathbf{h}^{(\ell-1)} + \mathbf{b}^{(\ell)}\big), \quad
   \hat{\mathbf{y}} = W^{(L)}\mathbf{h}^{(L-1)} + \mathbf{b}^{(L)}.

The linear part's derivatives, which backpropagation chains together, are
:math:`\partial(W\mathbf{x})/\partial\mathbf{x} = W` and, for a loss :math:`\mathcal{L}`
with upstream gradient :math:`\mathbf{g} = \partial\mathcal{L}/\partial\mathbf{z}`,
:math:`\partial\mathcal{L}/\partial W = \mathbf{g}\,\mathbf{x}^\top`.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# A layer is neurons side by side
# -------------------------------
# Copy each row of a ``Linear`` layer into its own ``Neuron``: the outputs agree.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn

ab.manual_seed(0)
layer = nn.Linear(3, 4)  # 3 inputs, 4 neurons
neurons = [nn.Neuron(3, activation="identity") for _ in range(4)]
with ab.no_grad():
    for j, neuron in enumerate(neurons):
        neuron.weight.copy_(layer.weight[j])  # row j of W is neuron j's weights
        neuron.bias.copy_(layer.bias[j])

x = ab.randn(5, 3)  # a batch of 5 inputs
print("Linear(x):\n", layer(x))
print("neurons one by one:\n", ab.stack([n(x) for n in neurons], dim=1))

# %%
# Layers in sequence
# ------------------
# Two inputs, two hidden layers of four neurons, three outputs (say, three classes).
# ``nn.summary`` runs one forward pass and reports every layer's output shape and its
# number of parameters: each ``Linear(n, m)`` holds :math:`mn + m` of them.
model = nn.Sequential(
    nn.Linear(2, 4),
    nn.ReLU(),  # hidden layer 1
    nn.Linear(4, 4),
    nn.ReLU(),  # hidden layer 2
    nn.Linear(4, 3),  # output layer: one neuron per class, no activation
)
nn.summary(model, (1, 2))

# %%
# Drawing the network
# -------------------
# Each circle is a neuron, each line a weight (blue positive, red negative, thicker when
# larger). The input layer has no weights of its own.
linears = [m for m in model if isinstance(m, nn.Linear)]
sizes = [linears[0].in_features] + [m.out_features for m in linears]
fig, ax = plt.subplots(figsize=(7, 3.6))
for k, m in enumerate(linears):
    w = m.weight.detach().numpy()
    for j in range(w.shape[0]):
        for i in range(w.shape[1]):
            y_in = i - (sizes[k] - 1) / 2
            y_out = j - (sizes[k + 1] - 1) / 2
            ax.plot(
                [k, k + 1],
                [y_in, y_out],
                color="tab:blue" if w[j, i] > 0 else "tab:red",
                linewidth=3 * abs(w[j, i]),
                alpha=0.7,
                zorder=1,
            )
names = ["input", "hidden 1", "hidden 2", "output"]
for k, size in enumerate(sizes):
    ys = np.arange(size) - (size - 1) / 2
    ax.scatter([k] * size, ys, s=500, color="white", edgecolors="black", zorder=2)
    ax.text(k, ys.max() + 0.8, f"{names[k]}\n({size})", ha="center")
ax.set_xlim(-0.5, 3.5)
ax.set_ylim(-2.5, 3.2)
ax.axis("off")
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-neuron`: one neuron, in detail
# * :ref:`article-activation_functions`: the non-linearity between the layers
# * :ref:`article-feedforward_networks`: what stacked layers can learn
# * :ref:`article-representation_learning`: what the hidden layers learn to compute
