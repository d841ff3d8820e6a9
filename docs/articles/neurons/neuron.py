r"""
.. _article-neuron:

The artificial neuron
=====================

An artificial neuron is the smallest working part of a neural network. It takes a few
numbers in (the **inputs**), multiplies each by its own **weight** (how much that input
matters), adds them up together with a **bias** (a constant that shifts the result), and
passes the sum through an **activation function**, a fixed non-linear curve such as ReLU
or the sigmoid. One number comes out. Learning means adjusting the weights and the bias.

Biological inspiration
----------------------

The design borrows loosely from the nerve cell. A biological neuron collects signals on
its **dendrites**, adds them up in its **cell body** (soma), and, if the total is large
enough, fires a signal down its **axon** to other cells. Where an axon meets a dendrite,
a **synapse** sets how strongly the signal is passed on.

================================  ==========================================
biological neuron                 artificial neuron
================================  ==========================================
dendrites receive signals         inputs :math:`x_1, \dots, x_n`
synaptic strength                 weights :math:`w_1, \dots, w_n`
soma adds up the signals          weighted sum :math:`z = \mathbf{w}^\top\mathbf{x} + b`
firing threshold                  bias :math:`b` (it moves the threshold)
axon fires (or not)               activation :math:`y = f(z)`
================================  ==========================================

The analogy ends there: real neurons spike in time and adapt in ways this formula does
not model. The abstraction survives because it is easy to compute and to differentiate.

The maths
---------

For inputs :math:`\mathbf{x} \in \mathbb{R}^n`, weights :math:`\mathbf{w} \in \mathbb{R}^n`
and bias :math:`b \in \mathbb{R}`:

.. math::

   z = \sum_{i=1}^{n} w_i x_i + b = \mathbf{w}^\top \mathbf{x} + b,
   \qquad y = f(z).

Training needs the derivative of the output with respect to every parameter. By the
chain rule, each one is the activation's slope :math:`f'(z)` times the derivative of
:math:`z`:

.. math::

   \frac{\partial y}{\partial w_i} = f'(z)\, x_i, \qquad
   \frac{\partial y}{\partial b} = f'(z), \qquad
   \frac{\partial y}{\partial x_i} = f'(z)\, w_i.

A large input makes its weight's gradient large; an activation that is flat at
:math:`z` (:math:`f'(z) \approx 0`) stops every gradient: a "saturated" neuron does not learn.

Where it lives in abinitio
--------------------------

.. implementation::

``Neuron`` is written to be read on its own. In practice a layer of neurons is one
:class:`~abinitio.nn.Linear`: ``n_out`` neurons side by side, computed as one matrix
product (see :ref:`article-layers`).
"""

# %%
# One neuron, by hand and by abinitio
# -----------------------------------
# We fix the weights and bias so the numbers can be followed, compute
# :math:`y = \sigma(\mathbf{w}^\top\mathbf{x} + b)` by hand, and compare with the module.
import numpy as np

import abinitio as ab
from abinitio import nn

ab.manual_seed(0)
neuron = nn.Neuron(3, activation="sigmoid")
with ab.no_grad():  # setting parameters is not part of the graph
    neuron.weight.copy_(ab.tensor([0.5, -1.0, 2.0]))
    neuron.bias.fill_(0.1)

x = ab.tensor([1.0, 2.0, 0.5])
z = 0.5 * 1.0 + (-1.0) * 2.0 + 2.0 * 0.5 + 0.1  # the weighted sum, by hand
by_hand = 1 / (1 + np.exp(-z))
y = neuron(x)
print(neuron)
print(f"weighted sum z = {z:.3f}, sigmoid(z) by hand = {by_hand:.6f}")
print(f"neuron(x)      = {y.item():.6f}")

# %%
# The gradients backpropagation finds are the formulas above: with
# :math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`, the weight gradient is
# :math:`\sigma'(z)\,\mathbf{x}` and the bias gradient is :math:`\sigma'(z)`.
y.backward()
slope = by_hand * (1 - by_hand)
print("dy/dw by backprop:", neuron.weight.grad)
print("dy/dw by formula: ", np.round(slope * x.numpy(), 4))
print(f"dy/db by backprop: {neuron.bias.grad.item():.4f}, by formula: {slope:.4f}")

# %%
# What one neuron can draw
# ------------------------
# With two inputs, the neuron's output over the plane shows what a single neuron can
# separate: the level sets of :math:`z` are straight lines, so its decision boundary
# (:math:`y = 0.5` for the sigmoid) is a line, whatever the activation. Curved
# boundaries need several neurons in layers.
import matplotlib.pyplot as plt

grid = np.linspace(-3, 3, 121, dtype=np.float32)
x1, x2 = np.meshgrid(grid, grid)
points = ab.tensor(np.stack([x1.ravel(), x2.ravel()], axis=1))

fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
for ax, activation in zip(axes, ["sigmoid", "relu"]):
    two_input = nn.Neuron(2, activation=activation)
    with ab.no_grad():
        two_input.weight.copy_(ab.tensor([1.5, -1.0]))
        two_input.bias.fill_(0.5)
        out = two_input(points).numpy().reshape(x1.shape)
    image = ax.contourf(x1, x2, out, levels=20, cmap="viridis")
    ax.contour(x1, x2, out, levels=[0.5], colors="white", linewidths=2)
    ax.set(
        title=f"{activation} neuron, w = (1.5, -1), b = 0.5",
        xlabel="$x_1$",
        ylabel="$x_2$",
    )
    fig.colorbar(image, ax=ax)
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-layers`: neurons side by side, and layers one after another
# * :ref:`article-activation_functions`: the choices for :math:`f` and their derivatives
# * :ref:`article-weight_initialisation`: where :math:`\mathbf{w}` starts
# * :ref:`article-backpropagation`: how the gradients above are computed for any network
# * :ref:`article-spiking_neurons`: neurons that keep time: spikes, a leaky membrane
