r"""
.. _article-initialisation_in_depth:

Initialisation through thirty layers
====================================

A deep network multiplies its input by one weight matrix per layer, and its gradient by
the same matrices on the way back. If each layer scales the signal's variance by a
factor :math:`r`, thirty layers scale it by :math:`r^{30}`: :math:`r = 1/2` leaves
:math:`10^{-9}` of it. Glorot & Bengio (2010) chose the weights' variance to keep
:math:`r = 1` for activations that are linear near zero (tanh); He et al. (2015) doubled
it for ReLU, which zeroes half of its inputs. This article measures :math:`r` for each
pairing, forwards and backwards, and trains the same 30-layer network under each.

The maths
---------

For :math:`z_l = W_l h_{l-1}`, :math:`h = \phi(z)`, square layers of width :math:`n`
and independent zero-mean weights,

.. math::

   \operatorname{Var}(z_l) = n \operatorname{Var}(W)\, \mathbb{E}[h_{l-1}^2], \qquad
   \operatorname{Var}\Big(\frac{\partial L}{\partial z_{l-1}}\Big)
   = n \operatorname{Var}(W)\, \mathbb{E}[\phi'(z)^2]
     \operatorname{Var}\Big(\frac{\partial L}{\partial z_l}\Big).

ReLU has :math:`\mathbb{E}[h^2] = \operatorname{Var}(z)/2` and
:math:`\mathbb{E}[\phi'^2] = 1/2`: Xavier's :math:`\operatorname{Var}(W) = 1/n` gives
:math:`r = 1/2` both ways, He's :math:`2/n` gives :math:`r = 1`. These are expectations
over the weights: one network of finite width wanders around them, by a spread that
grows like depth / width (Hanin & Rolnick 2018).

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# Variance per layer, forwards and backwards
# ------------------------------------------
# Width 256, 30 layers, 64 standard-normal inputs, one network per pairing.
import matplotlib.pyplot as plt
import numpy as np

from abinitio import theory
from abinitio.data import datasets

pairings = [("xavier", "tanh"), ("he", "tanh"), ("xavier", "relu"), ("he", "relu")]
fig, (ax_f, ax_b) = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
for init, activation in pairings:
    s = theory.signal_propagation(init, activation, width=256, batch_size=64)
    layers = np.arange(1, len(s.forward) + 1)
    label = f"{init} + {activation}"
    ax_f.semilogy(layers, s.forward, "o-", markersize=3, label=label)
    ax_b.semilogy(layers, s.backward, "o-", markersize=3, label=label)
    print(
        f"{label:13s} forward ratio per layer {np.mean(s.forward_ratios):.3f},"
        f" backward {np.mean(s.backward_ratios):.3f},"
        f" layer 30 / layer 1: {s.forward[-1] / s.forward[0]:.2e}"
    )
ax_f.set(title="Var(z_l), forward", xlabel="layer l")
ax_b.set(title="Var(dL/dz_l), backward", xlabel="layer l")
ax_f.legend(fontsize=8)
plt.show()

# %%
# He + ReLU keeps both near their starting size (the per-layer ratio is 1 on average;
# one network of width 256 drifts, as the printed layer-30 value shows); Xavier + ReLU
# halves them at every layer. Tanh under Xavier shrinks slowly (its slope is below one away from zero);
# under He its forward variance settles at a fixed point instead, while the gradient
# grows on its way back to the input. The gradient reaching layer 1 is what trains it.
#
# Training the same 30-layer network
# ----------------------------------
# Width 32, plain SGD at lr 0.05, the same minibatches for each pairing, on two moons.
data = datasets.moons(600, noise=0.15)
curves = theory.training_curves(
    data.x_train, data.y_train, depth=30, width=32, steps=150, lr=0.05
)
fig, ax = plt.subplots(figsize=(6, 3.4))
for (init, activation), losses in curves.items():
    smooth = np.convolve(losses, np.ones(10) / 10, mode="valid")
    ax.plot(smooth, label=f"{init} + {activation}")
    print(f"{init} + {activation}: loss {losses[0]:.3f} -> {np.mean(losses[-10:]):.3f}")
ax.set(xlabel="step", ylabel="cross-entropy (10-step mean)")
ax.legend(fontsize=8)
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-weight_initialisation`: the schemes and their code
# * :ref:`article-residual_networks`: skip connections, the other cure for depth
# * :ref:`article-backpropagation`: the backward pass whose variance is measured
