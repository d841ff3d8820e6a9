r"""
.. _article-activation_functions:

Activation functions
====================

Without an activation function a network is only linear: a stack of layers
:math:`W_2(W_1\mathbf{x})` is the single layer :math:`(W_2W_1)\mathbf{x}`, however many
layers there are. The activation :math:`f`, applied to each neuron's weighted sum, bends
the line, and stacks of bent lines can draw any shape (see
:ref:`article-universal_approximation`). The common choices:

* **ReLU** (rectified linear unit) passes positive inputs unchanged and sets negative ones
  to zero. It is cheap, and its slope is 1 wherever it is active, so gradients cross many
  layers without shrinking: the default for hidden layers.
* **Sigmoid** squashes any number into :math:`(0, 1)`: a probability, used for a yes/no
  output. Its slope is at most :math:`1/4` and nearly zero for large inputs, which is
  why deep stacks of sigmoids learn slowly (vanishing gradients).
* **Tanh** squashes into :math:`(-1, 1)`; it is a sigmoid rescaled to be centred on zero,
  :math:`\tanh(x) = 2\sigma(2x) - 1`, with slope 1 at the origin.
* **Softmax** acts on a whole vector at once: it turns :math:`K` scores ("logits") into
  :math:`K` positive numbers that sum to 1, a probability distribution over classes. It is
  the output layer of a classifier.

The maths
---------

.. math::

   \begin{aligned}
   \operatorname{ReLU}(x) &= \max(x, 0), &
   \operatorname{ReLU}'(x) &= \begin{cases}1 & x > 0\\ 0 & x < 0\end{cases}\\
   \sigma(x) &= \frac{1}{1 + e^{-x}}, & \sigma'(x) &= \sigma(x)\,\big(1 - \sigma(x)\big)\\
   \tanh(x) &= \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}, & \tanh'(x) &= 1 - \tanh^2(x)\\
   \operatorname{softmax}(\mathbf{z})_i &= \frac{e^{z_i}}{\sum_j e^{z_j}}, &
   \frac{\partial\, \operatorname{softmax}_i}{\partial z_j} &= p_i\,(\delta_{ij} - p_j)
   \end{aligned}

where :math:`p = \operatorname{softmax}(\mathbf{z})` and :math:`\delta_{ij}` is 1 when
:math:`i = j` and 0 otherwise. The sigmoid and tanh derivatives are written with the
*output*: abinitio saves :math:`y` in the forward pass and reuses it in the backward pass.
ReLU's derivative at exactly 0 is taken to be 0, as in PyTorch.

Where it lives in abinitio
--------------------------

.. implementation::

Each ``Function`` class holds the forward formula and its derivative side by side; the
``nn`` classes wrap them as layers for ``nn.Sequential``.
"""

# %%
# Each curve and its derivative, by autograd
# ------------------------------------------
# For an element-wise :math:`f`, the gradient of :math:`\sum_k f(x_k)` with respect to
# :math:`x_k` is :math:`f'(x_k)`: one ``backward()`` gives the derivative at every point.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab

activations = {
    "ReLU": ab.relu,
    "sigmoid": ab.sigmoid,
    "tanh": ab.tanh,
    "GELU": ab.nn.functional.gelu,
}
fig, axes = plt.subplots(1, 4, figsize=(10, 2.8), sharey=True)
for ax, (name, f) in zip(axes, activations.items()):
    x = ab.linspace(-4, 4, 401, requires_grad=True)
    y = f(x)
    y.sum().backward()
    ax.plot(x.detach().numpy(), y.detach().numpy(), label="f(x)")
    ax.plot(x.detach().numpy(), x.grad.numpy(), "--", label="f'(x), by backward()")
    ax.set(title=name, xlabel="x", ylim=(-1.5, 2.5))
axes[0].legend(loc="upper left")
plt.show()

# %%
# The autograd derivatives equal the formulas above, to float32 precision:
x = ab.linspace(-4, 4, 401, requires_grad=True)
ab.sigmoid(x).sum().backward()
s = 1 / (1 + np.exp(-x.detach().numpy()))
print("max |sigmoid' - s(1 - s)| =", np.abs(x.grad.numpy() - s * (1 - s)).max())
print("largest slope of the sigmoid:", x.grad.numpy().max(), "(at x = 0: 1/4)")

# %%
# Softmax: scores to probabilities
# --------------------------------
# Three logits; we sweep the first while the others stay at 0 and 1. The probabilities
# always sum to 1, and raising one score takes probability from all the others.
z1 = np.linspace(-4, 6, 201, dtype=np.float32)
logits = ab.tensor(np.stack([z1, np.zeros_like(z1), np.ones_like(z1)], axis=1))
p = ab.softmax(logits, dim=1).numpy()
fig, ax = plt.subplots(figsize=(6, 3))
for k in range(3):
    ax.plot(z1, p[:, k], label=f"p{k + 1}")
ax.set(xlabel="$z_1$ (with $z_2 = 0$, $z_3 = 1$)", ylabel="probability")
ax.legend()
plt.show()

# %%
# The Jacobian :math:`\partial p_i / \partial z_j`, one row per ``backward()``, against
# the formula :math:`\operatorname{diag}(p) - pp^\top`:
z = ab.tensor([2.0, 0.0, 1.0], requires_grad=True)
rows = []
for i in range(3):
    z.grad = None
    ab.softmax(z, dim=0)[i].backward()
    rows.append(z.grad.numpy())
p = ab.softmax(z, dim=0).detach().numpy()
print("autograd:\n", np.round(np.array(rows), 4))
print("diag(p) - p p^T:\n", np.round(np.diag(p) - np.outer(p, p), 4))

# %%
# Related topics
# --------------
# * :ref:`article-neuron`: where the activation sits
# * :ref:`article-weight_initialisation`: the right initial scale depends on the activation
# * :ref:`article-loss_functions`: softmax's partner, the cross-entropy loss
# * :ref:`article-backpropagation`: how these derivatives are chained
# * :ref:`article-transformers`: softmax as attention weights
