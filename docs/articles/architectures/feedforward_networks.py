r"""
.. _article-feedforward_networks:

Feedforward neural networks
===========================

A **feedforward network** (also *multilayer perceptron*, MLP) is the simplest neural
network: layers of neurons in a row, each fully connected to the next, with information
moving in one direction only, from the input layer through the hidden layers to the
output layer. There are no loops: each input's prediction is computed once, front to
back, which is what makes backpropagation through it straightforward.

What the hidden layers buy is shown best on a problem that a straight line cannot solve.
With no hidden layer, a classifier's decision boundary is a line (a *linear model*, such
as logistic regression). Each hidden layer of ReLU neurons folds the input space along
many lines; the next layer combines the pieces. With enough neurons the boundary can
follow any shape, here two interleaved spirals.

Training is the same whatever the depth: for each mini-batch, compute the predictions
(forward), the loss, the gradients (``backward()``), and take an optimiser step.

The maths
---------

An MLP with hidden layers :math:`1, \dots, L-1` computes

.. math::

   \mathbf{h}^{(0)} = \mathbf{x}, \qquad
   \mathbf{h}^{(\ell)} = \operatorname{ReLU}\big(W^{(\ell)}\mathbf{h}^{(\ell-1)} + \mathbf{b}^{(\ell)}\big),
   \qquad
   \mathbf{z} = W^{(L)}\mathbf{h}^{(L-1)} + \mathbf{b}^{(L)},

and a classifier predicts the class :math:`\arg\max_k z_k`, trained on
:math:`\operatorname{cross\text{-}entropy}(\mathbf{z}, y)`. Backpropagation goes through
the same layers in reverse, with :math:`\boldsymbol\delta^{(\ell)} =
\partial\mathcal{L}/\partial(W^{(\ell)}\mathbf{h}^{(\ell-1)} + \mathbf{b}^{(\ell)})`:

.. math::

   \frac{\partial\mathcal{L}}{\partial W^{(\ell)}} = \boldsymbol\delta^{(\ell)}\,\mathbf{h}^{(\ell-1)\top},
   \qquad
   \boldsymbol\delta^{(\ell-1)} = \big(W^{(\ell)\top}\boldsymbol\delta^{(\ell)}\big) \odot
   \operatorname{ReLU}'\big(W^{(\ell-1)}\mathbf{h}^{(\ell-2)} + \mathbf{b}^{(\ell-1)}\big).

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# Two spirals, three networks
# ---------------------------
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn, optim
from abinitio.data import DataLoader, datasets
from abinitio.models import MLP

data = datasets.spirals(600, n_classes=2, noise=0.1)  # generated, nothing downloaded
print(data)


def fit(hidden_sizes, epochs=100):
    """Train an MLP with these hidden layers by mini-batch Adam; return it."""
    ab.manual_seed(0)
    model = MLP(2, hidden_sizes, 2)
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for x, y in DataLoader(data.train, batch_size=32, shuffle=True):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
    return model


models = {
    "no hidden layer": fit(()),
    "one hidden layer of 16": fit((16,)),
    "two hidden layers of 32": fit((32, 32)),
}
print(models["two hidden layers of 32"])

# %%
# The decision boundaries
# -----------------------
# Each panel colours the plane by the class the network predicts; the dots are the
# test points, which no network saw during training.
grid = np.linspace(-1.3, 1.3, 150, dtype=np.float32)
gx, gy = np.meshgrid(grid, grid)
plane = ab.tensor(np.stack([gx.ravel(), gy.ravel()], axis=1))
fig, axes = plt.subplots(1, 3, figsize=(10, 3.5), sharey=True)
for ax, (name, model) in zip(axes, models.items()):
    with ab.no_grad():
        regions = model(plane).argmax(1).numpy().reshape(gx.shape)
        predicted = model(ab.tensor(data.x_test)).argmax(1).numpy()
    accuracy = (predicted == data.y_test).mean()
    ax.contourf(gx, gy, regions, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fdd0a2"])
    ax.scatter(*data.x_test.T, c=data.y_test, cmap="coolwarm", s=8)
    ax.set(title=f"{name}\ntest accuracy {accuracy:.0%}", aspect="equal")
plt.show()

# %%
# The linear model can only cut the plane in two with a line, so it gets about half the
# points right. With a hidden layer the boundary bends to follow the arms; the points
# still misclassified sit where the noisy arms touch, near the centre.
#
# Related topics
# --------------
# * :ref:`article-layers`: the layers these networks stack
# * :ref:`article-universal_approximation`: how far one hidden layer can go
# * :ref:`article-representation_learning`: what the hidden layers compute
# * :ref:`article-regularisation`: when a network fits its training data too well
# * :ref:`article-convolutional_networks`: layers that share weights across an image
