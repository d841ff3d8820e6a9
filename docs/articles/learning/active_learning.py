r"""
.. _article-active_learning:

Active learning
===============

Labels are often the expensive part: a radiologist's hour, a chemist's experiment. In
**active learning** the model chooses which samples get labelled. A pool-based loop
starts from a few random labels, trains, scores every unlabelled sample by how much its
label would help, asks an **oracle** (a person, or in a simulation the hidden true label)
for the best few, and repeats. A good strategy reaches a given accuracy with fewer labels
than labelling at random.

What "would help" means is the strategy:

* **Uncertainty**: ask where the model is least sure: its top class is weak (least
  confidence), its two top classes are close (margin), or its whole distribution is flat
  (entropy).
* **Disagreement**: train a committee of models that all fit the labels (here the same
  network from several seeds) and ask where they disagree (vote entropy, or their mean
  KL divergence from the consensus). **BALD** does this with one network: passes with
  dropout on sample an approximate posterior over its weights, and the **expected
  information gain** about the weights is the mutual information below.
* **Diversity**: uncertain samples often come in clumps of near-duplicates. The core-set
  strategy picks points far from everything labelled, in the network's feature space;
  **BADGE** mixes both ideas, picking long, spread-out last-layer gradients.

**When random sampling is hard to beat**: at the very start (the model's uncertainty is
itself unreliable), when labels are noisy (uncertain samples are often the mislabelled
ones), and when the query batch is large against the pool. Random sampling also keeps
the labelled set an unbiased sample of the data, which the other strategies do not.

The maths
---------

With :math:`p_c = p(c \mid x)` sorted so that :math:`p_{(1)} \ge p_{(2)} \ge \dots`:

.. math::

   U(x) = 1 - p_{(1)}, \qquad M(x) = p_{(1)} - p_{(2)}, \qquad
   H(x) = -\sum_c p_c \log p_c .

For a committee of :math:`M` members with votes :math:`V_c` and consensus
:math:`\bar p = \frac1M \sum_m p^{(m)}`, and for :math:`T` dropout passes :math:`p^{(t)}`:

.. math::

   \mathrm{VE}(x) = -\sum_c \frac{V_c}{M}\log\frac{V_c}{M}, \qquad
   \mathrm{KL}(x) = \frac1M \sum_m \sum_c p^{(m)}_c \log\frac{p^{(m)}_c}{\bar p_c},
   \qquad
   \mathrm{BALD}(x) = H\Big[\frac1T\sum_t p^{(t)}\Big] - \frac1T\sum_t H\big[p^{(t)}\big].

The core-set picks :math:`x^* = \arg\max_x \min_{c \in \text{labelled}} \lVert f(x) -
f(c)\rVert` one at a time; BADGE embeds :math:`x` as :math:`(p - e_{\hat y}) \otimes h(x)`,
the cross-entropy gradient of the last layer for the predicted label :math:`\hat y`.

Where it lives in abinitio
--------------------------

.. implementation::

``abinitio active --dataset digits --strategy entropy,bald --seeds 5`` runs the loop for
several strategies and writes a report; ``--pool FILE.npy --oracle prompt`` (or ``file``)
asks a person, and the session resumes where it stopped.
"""

# %%
# The scores on a fixed table
# ---------------------------
# Three samples, three classes: each measure ranks them its own way.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio.active import curve_summary, entropy, least_confidence, margin, simulate
from abinitio.active.simulate import default_model_fn
from abinitio.data import datasets

proba = np.array([[0.5, 0.5, 0.0], [0.4, 0.3, 0.3], [0.9, 0.05, 0.05]])
for row, u, m, h in zip(proba, least_confidence(proba), margin(proba), entropy(proba)):
    print(f"p = {row}: 1 - max = {u:.2f}  margin = {m:.2f}  entropy = {h:.3f}")

# %%
# Learning curves on the digits
# -----------------------------
# 20 random labels, then 10 per round, a fresh MLP after every round. Margin sampling
# against random sampling, mean and spread over two seeds (scripts/active_curves.py runs
# every strategy over five seeds).
ab.manual_seed(0)
data = datasets.digits()
x_pool, x_test = data.x_train.reshape(-1, 64), data.x_test.reshape(-1, 64)
settings = dict(model_fn=default_model_fn(64, 10), num_classes=10, n_initial=20,
                n_instances=10, rounds=12, steps=100)  # fmt: skip
runs = {name: [simulate(name, x_pool, data.y_train, x_test, data.y_test, seed=s, **settings)
               for s in range(2)] for name in ("random", "margin")}  # fmt: skip
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, histories in runs.items():
    summary = curve_summary(histories)
    mean, std = np.array(summary["mean"]), np.array(summary["std"])
    ax.plot(summary["labels"], mean, label=name)
    ax.fill_between(summary["labels"], mean - std, mean + std, alpha=0.2)
    print(f"{name}: {mean[-1]:.1%} test accuracy with {summary['labels'][-1]} labels")
ax.set(xlabel="labels used", ylabel="test accuracy")
ax.legend()
plt.show()

# %%
# What margin sampling asked for
# ------------------------------
# The first queries of seed 0: the digits the network confused, not a random spread.
queried = [i for record in runs["margin"][0][1:3] for i in record["queried"]]
fig, axes = plt.subplots(2, 10, figsize=(8, 2))
for ax, index in zip(axes.ravel(), queried):
    ax.imshow(data.x_train[index, 0], cmap="gray_r")
    ax.set_title(str(data.y_train[index]), fontsize=8)
    ax.axis("off")
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-loss_functions`: entropy and the cross-entropy whose gradient BADGE uses
# * :ref:`article-regularisation`: dropout, whose random masks BALD samples
# * :ref:`article-fine_tuning`: the other answer to scarce labels
# * :ref:`article-training_loop`: the inner loop run after every query
