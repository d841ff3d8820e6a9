r"""
.. _article-residual_networks:

Residual networks and the vanishing gradient
============================================

Adding layers should never make a network worse: the extra layers could simply learn to
pass their input through unchanged. Yet plain deep networks train *worse* than shallow
ones, on their training data as well as on test data. The culprit is the gradient.
Backpropagation multiplies the loss's gradient by one factor per layer on its way back to
the input. If those factors are mostly smaller than one, as they are for saturated
sigmoids, the gradient shrinks geometrically: after thirty layers the first layers receive
almost nothing and stop learning. This is the **vanishing gradient**. If the factors are
larger than one, the gradient **explodes** instead.

Two remedies work together. Careful **initialisation** (He initialisation for ReLU, see
:ref:`article-weight_initialisation`) keeps the factors close to one on average. A
**residual connection** (He et al. 2016) changes the architecture: each block computes a
*change* to its input and adds it, :math:`h \leftarrow h + f(h)`, instead of replacing
it. The identity path through the sum carries the gradient back untouched, around every
block, whatever the block's weights are. Residual networks (**ResNets**) with batch
normalisation train with hundreds of layers; the same skip connection is in every
Transformer block (:ref:`article-transformers`).

The maths
---------

A plain network computes :math:`h_\ell = \sigma(W_\ell h_{\ell-1} + b_\ell)`, so the
gradient reaching layer :math:`\ell` is a product of one Jacobian per layer above it:

.. math::

   \frac{\partial\mathcal{L}}{\partial h_\ell}
     = \Big(\prod_{m=\ell+1}^{L} J_m\Big)^{\!\top} \frac{\partial\mathcal{L}}{\partial h_L},
   \qquad J_m = \frac{\partial h_m}{\partial h_{m-1}}
     = \operatorname{diag}\big(\sigma'(W_m h_{m-1} + b_m)\big)\, W_m .

Since :math:`\sigma'(z) \le 1/4` for the sigmoid, each factor can shrink the gradient by
four or more, and :math:`L - \ell` factors shrink it like :math:`4^{-(L-\ell)}`. A residual
block :math:`h_\ell = h_{\ell-1} + f(h_{\ell-1})` has the Jacobian

.. math::

   \frac{\partial h_\ell}{\partial h_{\ell-1}} = I + f'(h_{\ell-1}),
   \qquad
   \frac{\partial\mathcal{L}}{\partial h_{\ell-1}}
     = \frac{\partial\mathcal{L}}{\partial h_\ell}
     + f'(h_{\ell-1})^{\top}\,\frac{\partial\mathcal{L}}{\partial h_\ell}:

the gradient from above arrives in full, plus the block's own contribution. Expanding the
product of :math:`(I + f'_m)` factors gives one term, :math:`I`, that no weight can shrink.

Where it lives in abinitio
--------------------------

.. implementation::

``ResidualBlock`` is ResNet's block for images: two 3x3 convolutions with batch norm,
and a 1x1 convolution on the shortcut when the shape changes. ``PlainMLP`` and
``ResidualMLP`` are the same stack of linear layers without and with skip connections,
made for the experiment below.
"""

# %%
# Thirty layers, three ways
# -------------------------
# Three networks of 30 linear layers of width 64 on two spirals: a plain sigmoid MLP, a
# plain ReLU MLP with He initialisation, and a residual ReLU MLP with PyTorch's default
# initialisation. ``gradient_flow`` runs one batch forward and backward and reports
# :math:`\|\partial\mathcal{L}/\partial W\|` for every weight layer, input to output.
import matplotlib.pyplot as plt

import abinitio as ab
from abinitio.data import DataLoader, datasets
from abinitio.inspect import gradient_flow
from abinitio.models import PlainMLP, ResidualBlock, ResidualMLP
from abinitio.nn import functional as F

ab.manual_seed(0)
data = datasets.spirals(2000, noise=0.05)
x, y = ab.tensor(data.x_train[:256]), ab.tensor(data.y_train[:256])
models = {
    "plain sigmoid": PlainMLP(30, 64, "sigmoid"),
    "plain ReLU, He init": PlainMLP(30, 64, "relu", init="he"),
    "residual ReLU": ResidualMLP(30, 64, "relu"),
}
flows = {
    name: gradient_flow(model, lambda m: F.cross_entropy(m(x), y))
    for name, model in models.items()
}
for name, flow in flows.items():
    first, last = flow.grad_norms[0], flow.grad_norms[-1]
    print(f"{name:20s} first layer {first:.1e}, last layer {last:.1e}")

# %%
# Then each network trains for ten epochs with Adam; we keep the mean training loss
# of every epoch.
curves = {}
for name, model in models.items():
    optimizer = ab.optim.Adam(model.parameters(), lr=1e-3)
    curves[name] = []
    for _ in range(10):
        losses = []
        for inputs, targets in DataLoader(data.train, batch_size=64, shuffle=True):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(inputs), targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        curves[name].append(sum(losses) / len(losses))
    with ab.no_grad():
        predicted = model(ab.tensor(data.x_test)).argmax(1).numpy()
    print(f"{name:20s} test accuracy {(predicted == data.y_test).mean():.1%}")

# %%
# Left: the gradient norm of each layer at initialisation (log scale). The sigmoid
# network's gradient falls by a constant factor per layer, some 26 orders of magnitude
# from the last layer to the first; the other two stay within about one order. Right: the
# sigmoid network does not learn at all, the other two do.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
for name, flow in flows.items():
    layers = range(1, len(flow.grad_norms) + 1)
    left.plot(layers, flow.grad_norms, marker="o", ms=3, label=name)
    right.plot(range(1, 11), curves[name], marker="o", ms=3, label=name)
left.set(
    yscale="log",
    xlabel="layer, from input to output",
    ylabel=r"$\|\partial L / \partial W\|$",
    title="gradients",
)
right.set(xlabel="epoch", ylabel="training loss", title="learning")
left.legend(fontsize=8)
plt.show()

# %%
# A residual block can start as the identity
# ------------------------------------------
# The convolutional ``ResidualBlock`` computes :math:`\mathrm{relu}(F(x) + x)`. Set the
# scale of its last batch norm to zero and :math:`F(x) = 0`: the block passes any
# non-negative input through unchanged, so stacking more blocks cannot hurt at the start.
block = ResidualBlock(8, 8)
with ab.no_grad():
    block.bn2.weight.zero_()
    images = ab.rand(2, 8, 6, 6)  # non-negative, like the output of a ReLU
    print("block(x) == x:", bool((block(images) - images).abs().max().item() < 1e-6))

# %%
# Related topics
# --------------
# * :ref:`article-backpropagation`: the chain rule whose product of factors vanishes
# * :ref:`article-activation_functions`: why sigmoid's slope (at most 1/4) shrinks it
# * :ref:`article-weight_initialisation`: He initialisation, the other remedy
# * :ref:`article-convolutional_networks`: the layers inside a ResNet block
# * :ref:`article-transformers`: residual connections in every Transformer block
