r"""
.. _article-weight_initialisation:

Weight initialisation
=====================

Training starts from random weights, and their *scale* matters more than it seems. Each
layer multiplies its input by a weight matrix: if the weights are a little too large,
the signal grows at every layer and explodes after twenty; a little too small, and it
fades to nothing. Gradients flowing backwards suffer the same fate, so a badly
initialised deep network does not learn at all. Good schemes choose the variance of the
weights so that the signal keeps its size from layer to layer.

* **Xavier (Glorot) initialisation** (2010) is designed for activations that are linear
  near zero, like tanh: it keeps the variance of both the forward signal and the backward
  gradient roughly constant.
* **He (Kaiming) initialisation** (2015) is designed for ReLU: a ReLU zeroes half of its
  inputs, halving the signal's second moment, so the weights' variance is doubled to
  compensate.

The maths
---------

For a layer :math:`z_j = \sum_{i=1}^{n_\text{in}} W_{ji} x_i` with independent, zero-mean
weights and inputs,

.. math::

   \operatorname{Var}(z_j) = n_\text{in}\, \operatorname{Var}(W)\, \mathbb{E}[x_i^2].

Keeping :math:`\operatorname{Var}(z)` equal to :math:`\mathbb{E}[x^2]` needs
:math:`\operatorname{Var}(W) = 1/n_\text{in}`; the backward pass would need
:math:`1/n_\text{out}`. Xavier takes the compromise, He corrects for ReLU, which keeps
:math:`\mathbb{E}[\operatorname{ReLU}(z)^2] = \tfrac12 \operatorname{Var}(z)`:

.. math::

   \text{Xavier: } \operatorname{Var}(W) = \frac{2}{n_\text{in} + n_\text{out}}, \qquad
   \text{He: } \operatorname{Var}(W) = \frac{2}{n_\text{in}}.

Both come as normal or uniform draws (a uniform on :math:`[-a, a]` has variance
:math:`a^2/3`); ``calculate_gain`` gives the extra factor each activation needs
(:math:`\sqrt2` for ReLU, :math:`5/3` for tanh).

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# Twenty layers, four ways
# ------------------------
# We push a batch of standard-normal inputs through 20 layers of width 256 and record
# the variance of the activations after every layer, for tanh and ReLU networks, with
# Xavier, He, and two naive choices: weights drawn from N(0, 1) or N(0, 0.01^2).
import matplotlib.pyplot as plt

import abinitio as ab
from abinitio import nn

ab.manual_seed(0)
width, depth = 256, 20
schemes = {
    "Xavier": nn.init.xavier_normal_,
    "He": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
    "N(0, 1)": lambda w: nn.init.normal_(w, 0.0, 1.0),
    "N(0, 0.01²)": lambda w: nn.init.normal_(w, 0.0, 0.01),
}


def activation_variances(init, activation):
    """The variance of the activations after each of `depth` layers."""
    h = ab.randn(512, width, dtype=ab.float64)  # float64: N(0, 1) overflows float32
    variances = []
    with ab.no_grad():  # only the forward signal is measured
        for _ in range(depth):
            layer = nn.Linear(width, width, bias=False, dtype=ab.float64)
            init(layer.weight)
            h = activation(layer(h))
            variances.append(h.var().item())
    return variances


fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
for ax, (name, activation) in zip(axes, [("tanh", ab.tanh), ("ReLU", ab.relu)]):
    for scheme, init in schemes.items():
        ax.plot(
            range(1, depth + 1),
            activation_variances(init, activation),
            marker="o",
            markersize=3,
            label=scheme,
        )
    ax.set(
        title=f"{name} network",
        xlabel="layer",
        xticks=[1, 5, 10, 15, 20],
        yscale="log",
        ylim=(1e-12, 1e12),  # exploding and vanishing runs leave the plot
    )
axes[0].set_ylabel("variance of the activations")
axes[1].legend()
plt.show()

# %%
# With tanh, Xavier keeps the signal alive (slowly shrinking, as tanh compresses large
# values) while N(0, 0.01²) kills it within a few layers and N(0, 1) saturates every
# neuron at ±1. With ReLU, He keeps the variance flat; Xavier halves it at every layer
# (a factor of about :math:`2^{20} \approx 10^6` after 20 layers); N(0, 1) explodes.
#
# The default of ``nn.Linear`` (like PyTorch's) is a uniform draw with
# :math:`\operatorname{Var}(W) = 1 / (3 n_\text{in})`; its variance, measured:
layer = nn.Linear(width, width)
print(
    f"Var(W) of nn.Linear({width}, {width}): {layer.weight.detach().numpy().var():.2e}"
    f" (1 / (3 n_in) = {1 / (3 * width):.2e})"
)
print(
    f"gain for relu: {nn.init.calculate_gain('relu'):.4f}, "
    f"for tanh: {nn.init.calculate_gain('tanh'):.4f}"
)

# %%
# Related topics
# --------------
# * :ref:`article-activation_functions`: why ReLU and tanh need different scales
# * :ref:`article-backpropagation`: gradients pass through the same weights, backwards
# * :ref:`article-normalisation_and_encoding`: scaling the inputs, the first layer's share
# * :ref:`article-layers`: the layers being initialised
# * :ref:`article-residual_networks`: initialisation and skip connections against vanishing gradients
# * :ref:`article-initialisation_in_depth`: variances forwards and backwards through 30 layers
