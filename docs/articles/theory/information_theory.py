r"""
.. _article-information_theory:

Entropy, divergence and mutual information
==========================================

Information theory measures uncertainty in bits (or nats). The **entropy** of a
distribution is the shortest average code length for its outcomes; the **cross-entropy**
is the average length when the code was built for another distribution; the
**Kullback-Leibler divergence** is the difference, the price of the wrong model.
**Mutual information** measures how much knowing one variable tells about another,
whatever the form of the dependence, which is why it is used to ask how much a layer
"knows" about its input or its label.

The maths
---------

For discrete :math:`p, q`:

.. math::

   H(p) = -\sum_i p_i \log p_i, \qquad
   H(p, q) = -\sum_i p_i \log q_i = H(p) + \mathrm{KL}(p \,\|\, q), \qquad
   \mathrm{JS}(p, q) = \tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12 \mathrm{KL}(q \,\|\, m),

with :math:`m = (p + q)/2`. A classifier's cross-entropy loss is :math:`H(p, q)` for the
one-hot label :math:`p` and the softmax :math:`q`: the nats needed to encode the true
label with the model's code. For a Gaussian, :math:`h = \frac12 \log\big((2\pi e)^d
\det \Sigma\big)`, and for :math:`d` coordinate pairs with correlation :math:`\rho`,

.. math::

   I(X; Y) = h(X) + h(Y) - h(X, Y) = -\frac{d}{2} \log(1 - \rho^2).

The estimators: **binning** (plug-in entropies of a histogram, biased upward by about
:math:`(B_{xy} - B_x - B_y + 1) / 2N` for :math:`B` occupied cells), **KSG** (Kraskov et
al. 2004: :math:`\psi(k) + \psi(N) - \langle \psi(n_x + 1) + \psi(n_y + 1) \rangle` from
k-nearest-neighbour counts), and **MINE** (Belghazi et al. 2018: a network :math:`T`
maximising the Donsker-Varadhan bound :math:`I \ge \mathbb{E}_{P_{XY}}[T] - \log
\mathbb{E}_{P_X P_Y}[e^T]`).

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# Codes and their costs
# ---------------------
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import theory

p = [0.5, 0.25, 0.125, 0.125]  # a source of four letters
q = [0.25, 0.25, 0.25, 0.25]  # a code that assumes they are equally likely
print(f"H(p) = {theory.entropy(p, base=2)} bits per letter (code lengths 1, 2, 3, 3)")
print(f"H(p, q) = {theory.cross_entropy(p, q, base=2)} bits with the 2-bit code")
print(f"KL(p || q) = {theory.kl_divergence(p, q, base=2)} bits wasted per letter")
print(f"JS(p, q) = {theory.js_divergence(p, q, base=2):.4f} bits (at most 1)")

# the loss of a classifier is a coding cost, in nats per label
logits = ab.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
labels = ab.tensor([0, 2])
q_model = ab.softmax(logits, dim=1).numpy()
coding = theory.cross_entropy(np.eye(3)[[0, 2]], q_model).mean()
loss = ab.nn.functional.cross_entropy(logits, labels).item()
print(f"cross_entropy loss {loss:.6f} = mean H(label, softmax) {coding:.6f} nats")

# %%
# Three estimators of I(X; Y) against the exact value
# ---------------------------------------------------
# 1,000 samples of correlated Gaussians at each correlation.
rhos = [0.0, 0.3, 0.6, 0.8, 0.9, 0.95]
estimates = {"ksg": [], "binning": [], "mine": []}
exact = []
for rho in rhos:
    x, y, mi = theory.correlated_gaussians(1000, rho, seed=0)
    exact.append(mi)
    for method in estimates:
        estimates[method].append(theory.mutual_information(x, y, method, steps=300))
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.plot(rhos, exact, "k-", linewidth=3, alpha=0.4, label="exact")
for (method, values), marker in zip(estimates.items(), "os^"):
    ax.plot(rhos, values, marker + "--", label=method)
ax.set(xlabel="correlation rho", ylabel="I(X; Y) (nats)")
ax.legend()
plt.show()
for method, values in estimates.items():
    errors = np.array(values) - np.array(exact)
    print(f"{method:8s} error per rho:", " ".join(f"{e:+.3f}" for e in errors))

# %%
# KSG follows the exact curve. Binning overestimates at rho = 0 (independent variables
# still fill the histogram unevenly: the bias above) and underestimates strong
# dependence (the bins are too coarse to see it). MINE's short run is a lower bound that
# approaches the exact value as the statistics network trains.
#
# Related topics
# --------------
# * :ref:`article-loss_functions`: cross-entropy as the classifier's loss
# * :ref:`article-information_plane`: mutual information of every layer during training
# * :ref:`article-no_free_lunch`: the other half of the theory of learning
# * :ref:`article-gradient_descent`: how MINE's statistics network is trained
