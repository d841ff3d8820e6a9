r"""
.. _article-representation_learning:

Representation learning
=======================

Classical machine learning leans on **feature engineering**: a person decides which
quantities computed from the raw data (a ratio, a radius, a word count) a simple model
should look at. Deep learning **learns the features**: the hidden layers transform the
input into a new *representation* in which the task is easy, and the output layer, which
is only a linear model, reads the answer off it. This is representation learning, and it
is what the hidden layers of every network are doing.

Points on two concentric circles show it well. No straight line separates the classes in
the input plane. A person who knows the data would add the squared radius
:math:`x_1^2 + x_2^2` as a feature, after which a threshold suffices. A network with a
two-neuron last hidden layer, trained only on the raw coordinates, finds a
representation of its own in which a straight line does the job.

The maths
---------

Write the network as an encoder followed by a linear read-out:

.. math::

   \mathbf{h} = \phi_\theta(\mathbf{x}) \quad\text{(all hidden layers)}, \qquad
   \mathbf{z} = W\mathbf{h} + \mathbf{b} \quad\text{(output layer)}.

The output layer can only draw hyperplanes :math:`W\mathbf{h} + \mathbf{b} = 0` in
:math:`\mathbf{h}`-space, so training, which adjusts :math:`\theta` and :math:`W`
together, must move the points until the classes are linearly separable *as seen by*
:math:`\phi_\theta`. The engineered alternative fixes
:math:`\phi(\mathbf{x}) = x_1^2 + x_2^2` by hand.

Where it lives in abinitio
--------------------------

.. implementation::

Slicing a ``Sequential`` (``model[:-1]``) gives the encoder: every layer but the last,
sharing its weights.
"""

# %%
# Train on raw coordinates
# ------------------------
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn, optim
from abinitio.data import datasets

data = datasets.circles(600, noise=0.08, factor=0.5)
x, y = ab.tensor(data.x_train), ab.tensor(data.y_train)

ab.manual_seed(0)
model = nn.Sequential(
    nn.Linear(2, 16),
    nn.Tanh(),
    nn.Linear(16, 2),
    nn.Tanh(),  # the 2-D representation we will look at
    nn.Linear(2, 2),  # a linear classifier on top of it
)
optimizer = optim.Adam(model.parameters(), lr=0.03)
for _ in range(300):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()

encoder = model[:-1]  # every layer but the output layer, same weights
with ab.no_grad():
    learned = encoder(ab.tensor(data.x_test)).numpy()
    accuracy = (model(ab.tensor(data.x_test)).argmax(1).numpy() == data.y_test).mean()
print(f"final training loss {loss.item():.4f}, test accuracy {accuracy:.0%}")

# %%
# Three views of the same test points
# -----------------------------------
radius_squared = (data.x_test**2).sum(axis=1)
fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
colors = dict(c=data.y_test, cmap="coolwarm", s=8)
axes[0].scatter(*data.x_test.T, **colors)
axes[0].set(title="input: $(x_1, x_2)$", aspect="equal")
axes[1].scatter(
    radius_squared, np.random.default_rng(0).uniform(size=len(radius_squared)), **colors
)
axes[1].set(title="engineered: $x_1^2 + x_2^2$", xlabel="squared radius", yticks=[])
axes[2].scatter(*learned.T, **colors)
axes[2].set(
    title="learned: the hidden layer $\\mathbf{h}$", xlabel="$h_1$", ylabel="$h_2$"
)
plt.show()

# %%
# In the learned representation (right) the two classes sit on either side of a line,
# the one the output layer draws. Nobody told the network about radii.
#
# Related topics
# --------------
# * :ref:`article-layers`: hidden layers, the home of the representation
# * :ref:`article-feedforward_networks`: the network used here
# * :ref:`article-normalisation_and_encoding`: the preparation data still needs
# * :ref:`article-activation_functions`: the tanh that bends the plane
# * :ref:`article-convolutional_networks`: the feature maps a CNN learns
# * :ref:`article-feature_engineering`: hand-made features against learned embeddings
