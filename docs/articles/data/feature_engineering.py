r"""
.. _article-feature_engineering:

Feature engineering and representation
======================================

A network sees a row of numbers. *Feature engineering* is the work of choosing those
numbers: selecting columns, transforming them (scaling, imputing a missing value),
encoding what is not a number (a category, a yes/no), and creating new columns from
knowledge of the problem (a ratio, a distance, a date's weekday). Traditional machine
learning lives on hand-made features; deep learning *learns* features instead, in its
hidden layers and in embedding tables, which reduces the need for explicit engineering.
The two meet in practice: a table still needs the careful encoding of
:ref:`article-normalisation_and_encoding`, and then the network learns the rest.

Below, three representations of one column give nearly the same accuracy, but not the
same model: hand-made coordinates need 3 inputs, one-hot 61, a learned embedding 2, and
the embedding *finds* the geography that the hand-made features had to be told. That
depends on its start: :class:`abinitio.models.TabularMLP` draws the rows from
:math:`N(0, 0.01^2)`, as fastai's tabular models do. From ``nn.Embedding``'s
:math:`N(0, 1)` the same run reaches a test :math:`R^2` of 0.976 instead of 0.992, and a
linear read-out of the true coordinates from the codes only 0.05 and 0.10: the layers
after a large random code can decode it as it is, so it never becomes the map.

For a table of your own, abinitio infers each column's kind (numeric, boolean,
categorical) and fits scikit-learn's ``ColumnTransformer`` on the training rows only:
median imputation and standardisation for numbers, 0/1 for booleans, one-hot columns for
categories. A category with many levels (a city, a product id) would need hundreds of
one-hot columns; an **entity embedding** gives each level a short learned vector instead
(Guo and Berkhahn, 2016), and similar levels end up close together. The fitted numbers are
saved as JSON, never pickled, and ``abinitio predict`` applies them again exactly.

Images get a different kind of engineering: **augmentation** shows the network a
shifted, mirrored or slightly turned copy of each image every epoch, so that it learns
features that do not change under those moves. The random draws come from a seeded
``ab.Generator``, so an augmented run repeats exactly.

The maths
---------

One row :math:`r` with numeric values :math:`x_j` and a category :math:`c` with levels
:math:`c_1, \dots, c_K` becomes

.. math::

   h = \Big[\frac{x_j - \mu_j}{\sigma_j}\ (j = 1..D),\ \
           \underbrace{e_{k(c)}}_{\text{one-hot}}\ \text{or}\
           \underbrace{E_{k(c)}}_{\text{embedding}}\Big],
   \qquad E \in \mathbb{R}^{(K+1) \times d},

where :math:`k(c)` is the index of the level (:math:`K`, the *unknown* row, for a level
never seen in training) and :math:`e_k` is the :math:`k`-th unit vector. One-hot followed
by a linear layer :math:`W e_k = W_{:,k}` *is* an embedding of width equal to the layer's
outputs; a separate table just makes :math:`d` small and lets the gradient
:math:`\partial L / \partial E_k = \sum_{r:\,k(c_r) = k} \partial L / \partial h_r` reach
only the rows a batch uses. For regression the output is :math:`y = \sigma_y f(h) + \mu_y`,
so the layers learn a target of unit scale. Permutation importance measures a column's
use: the drop in validation score when its values are shuffled among the rows.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# Three representations of the same column
# ----------------------------------------
# House prices in 60 cities that lie, unknown to the model, on a circle: the price per
# square metre depends on where. We compare one-hot city columns, hand-made features
# (the city's coordinates, as an analyst who knows the map would add) and a learned
# two-dimensional embedding of the city name.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio.data import DataLoader, TensorDataset
from abinitio.data import transforms as T
from abinitio.data.tabular import Table, TabularPreprocessor
from abinitio.models import TabularMLP
from abinitio.training import Trainer, regression_report

ab.manual_seed(0)
rng = np.random.default_rng(0)
angle = rng.uniform(0, 2 * np.pi, 60)  # each city's hidden position
city, size = rng.integers(0, 60, 2000), rng.uniform(20, 200, 2000)
price = size * (2 + np.sin(angle[city])) + 60 * np.cos(angle[city])
price = (price + rng.normal(0, 10, 2000)).astype(np.float32)[:, None]
columns = {"size": size.astype(str), "city": np.char.add("city", city.astype(str)),
           "x": np.cos(angle[city]).astype(str), "y": np.sin(angle[city]).astype(str)}  # fmt: skip
table, train, test = Table(columns), np.arange(1600), np.arange(1600, 2000)


def fit(kinds):
    pre = TabularPreprocessor(kinds).fit(table.take(train))
    x = pre.transform(table)
    model = TabularMLP(pre.n_continuous, pre.cardinalities, 1, hidden_sizes=(32, 32),
                       embedding_dims=[2] * len(pre.cardinalities), wide=True,
                       target_mean=price[train].mean(), target_std=price[train].std())  # fmt: skip
    trainer = Trainer(model, ab.optim.Adam(model.parameters(), lr=3e-3), ab.nn.MSELoss(),
                      metrics=("r2",), progress=False, log=None)  # fmt: skip
    data = TensorDataset(x[train], price[train])
    trainer.fit(DataLoader(data, batch_size=64, shuffle=True), epochs=15)
    outputs, _ = trainer.predict(DataLoader(TensorDataset(x[test], price[test]), 400))
    return model, pre, regression_report(price[test], outputs)["r2"]


ways = {"one-hot city": {"size": "numeric", "city": "categorical"},
        "hand-made x, y": {"size": "numeric", "x": "numeric", "y": "numeric"},
        "learned embedding": {"size": "numeric", "city": "embedding"}}  # fmt: skip
for name, kinds in ways.items():
    model, pre, r2 = fit(kinds)
    print(f"{name:<18} {len(pre.feature_names):>3} input columns  test R^2 {r2:.3f}")

# %%
# What the embedding learned
# --------------------------
# Each city's two learned numbers, coloured by its true (hidden) angle: from the prices
# alone the cities come out around a loop, in the order of the map. How well does a
# linear map of the two numbers give back each city's true coordinates?
levels = pre.columns[-1]["categories"]
learned = model.embeddings[0].weight.detach().numpy()[: len(levels)]
true_angle = angle[[int(level.removeprefix("city")) for level in levels]]
design = np.c_[learned, np.ones(len(levels))]
for name, truth in (("cos", np.cos(true_angle)), ("sin", np.sin(true_angle))):
    residual = truth - design @ np.linalg.lstsq(design, truth, rcond=None)[0]
    print(f"{name} of the angle, read linearly from the embedding: R^2 "
          f"{1 - residual.var() / truth.var():.2f}")  # fmt: skip
fig, ax = plt.subplots(figsize=(4.5, 4))
ax.scatter(learned[:, 0], learned[:, 1], c=true_angle, cmap="hsv")
ax.set(title="learned city embedding", xlabel="dimension 1", ylabel="dimension 2")
plt.show()

# %%
# Augmentation: the same digit, five random views
# -----------------------------------------------
from PIL import Image  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

digit = Image.fromarray((load_digits().images[0] * 15.9).astype(np.uint8)).resize((32, 32))
augment = T.Compose([T.RandomCrop(32, padding=4, generator=ab.Generator(0)),
                     T.RandomRotation(15, generator=ab.Generator(0)), T.ToTensor()])  # fmt: skip
fig, axes = plt.subplots(1, 6, figsize=(9, 1.8))
for k, ax in enumerate(axes):
    view = T.ToTensor()(digit) if k == 0 else augment(digit)
    ax.imshow(view.numpy()[0], cmap="gray")
    ax.set_title("original" if k == 0 else f"view {k}", fontsize=8)
    ax.axis("off")
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-normalisation_and_encoding`: standardisation and one-hot, which the
#   preprocessing here is built from
# * :ref:`article-representation_learning`: hidden layers that learn their own features
# * :ref:`article-transformers`: the same ``nn.Embedding`` tables, for words
