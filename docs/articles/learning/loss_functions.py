r"""
.. _article-loss_functions:

Loss functions
==============

A **loss function** turns "how wrong is the network?" into one number that training can
make smaller. It compares the prediction :math:`\hat y` with the target :math:`y` and is
averaged over a batch. The choice encodes what kind of mistake matters:

* For **regression** (predicting numbers), the *mean squared error* (MSE) punishes large
  errors much more than small ones; the *mean absolute error* (L1) treats every unit of
  error alike and so is less swayed by outliers; the *Huber* loss is squared for small
  errors and absolute for large ones, the best of both.
* For **classification**, the network outputs one score (logit) per class, a softmax
  turns the scores into probabilities, and the *cross-entropy* is minus the log of the
  probability given to the right class. Being confidently wrong costs a lot: a
  probability of 0.01 for the true class costs :math:`-\ln 0.01 \approx 4.6`.
* For **yes/no** outputs, the *binary cross-entropy* does the same with one sigmoid.

Cross-entropy comes from **information theory**: it is the average number of nats needed
to encode outcomes drawn from the true distribution :math:`p` with a code built for the
model's :math:`q`. It exceeds the entropy of :math:`p` by the Kullback-Leibler divergence,
the price of believing :math:`q` when the truth is :math:`p`.

The maths
---------

With :math:`d = \hat y - y` and :math:`N` samples:

.. math::

   \begin{aligned}
   \text{MSE} &= \frac1N\sum_n d_n^2, & \frac{\partial}{\partial \hat y_n} &= \frac{2 d_n}{N}\\
   \text{L1} &= \frac1N\sum_n |d_n|, & \frac{\partial}{\partial \hat y_n} &= \frac{\operatorname{sign}(d_n)}{N}\\
   \text{Huber}_\delta &= \frac1N\sum_n \begin{cases}\tfrac12 d_n^2 & |d_n| < \delta\\
     \delta(|d_n| - \tfrac12\delta) & \text{otherwise}\end{cases}, &
   \frac{\partial}{\partial \hat y_n} &= \frac{\operatorname{clip}(d_n, -\delta, \delta)}{N}
   \end{aligned}

For logits :math:`\mathbf{z}` and true class :math:`c`, with
:math:`\mathbf{p} = \operatorname{softmax}(\mathbf{z})` and :math:`\mathbf{e}_c` the one-hot
vector of class :math:`c`:

.. math::

   \text{CE}(\mathbf{z}, c) = -\ln p_c = -z_c + \ln\sum_j e^{z_j}, \qquad
   \frac{\partial\,\text{CE}}{\partial \mathbf{z}} = \mathbf{p} - \mathbf{e}_c,

   H(p, q) = -\sum_k p_k \ln q_k = H(p) + D_\text{KL}(p \,\|\, q).

The gradient :math:`\mathbf{p} - \mathbf{e}_c` is why softmax and cross-entropy are
computed together: it is simple and exact, while the two steps taken separately lose
precision when a probability is tiny. abinitio's ``cross_entropy`` takes logits.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# Regression losses and their slopes
# ----------------------------------
# One prediction against a target of 0: the loss and, by ``backward()``, its gradient.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn

losses = {
    "MSE": nn.MSELoss(reduction="none"),
    "L1": nn.L1Loss(reduction="none"),
    "Huber (delta = 1)": nn.HuberLoss(reduction="none"),
}
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for name, loss_fn in losses.items():
    prediction = ab.linspace(-3, 3, 301, requires_grad=True)
    loss = loss_fn(prediction, ab.zeros(301))
    loss.sum().backward()  # one backward gives the slope at every point
    axes[0].plot(prediction.detach().numpy(), loss.detach().numpy(), label=name)
    axes[1].plot(prediction.detach().numpy(), prediction.grad.numpy(), label=name)
axes[0].set(title="loss", xlabel="error $d$", ylim=(0, 5))
axes[1].set(title="gradient with respect to the prediction", xlabel="error $d$")
axes[0].legend()
plt.show()

# %%
# Cross-entropy
# -------------
# A batch of 3 samples and 4 classes. The module's value equals
# :math:`-\ln p_c` averaged over the batch, and the gradient with respect to the logits
# is :math:`(\mathbf{p} - \mathbf{e}_c) / N`.
logits = ab.tensor(
    [[2.0, 0.5, -1.0, 0.0], [0.1, 0.2, 3.0, -2.0], [1.0, 1.0, 1.0, 1.0]],
    requires_grad=True,
)
classes = ab.tensor([0, 2, 3])
loss = nn.CrossEntropyLoss()(logits, classes)
loss.backward()
p = ab.softmax(logits, dim=1).detach().numpy()
print(f"CrossEntropyLoss: {loss.item():.4f}")
print(f"mean of -ln p_c:  {-np.log(p[[0, 1, 2], [0, 2, 3]]).mean():.4f}")
one_hot = nn.functional.one_hot(classes, 4).numpy()
print("gradient by backward():\n", np.round(logits.grad.numpy(), 4))
print("(p - one_hot) / N:\n", np.round((p - one_hot) / 3, 4))

# %%
# The cost of a prediction as a function of the probability it gives the true class:
# near zero when confident and right, without bound when confident and wrong.
q = np.linspace(0.005, 1, 200)
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(q, -np.log(q))
ax.set(xlabel="probability given to the true class", ylabel="cross-entropy $-\\ln q$")
plt.show()

# %%
# Entropy, cross-entropy and KL divergence for two distributions over 3 outcomes:
truth, model = np.array([0.7, 0.2, 0.1]), np.array([0.5, 0.3, 0.2])
entropy = -(truth * np.log(truth)).sum()
cross = nn.functional.cross_entropy(
    ab.tensor(np.log([model])), ab.tensor([truth])
).item()
kl = (truth * np.log(truth / model)).sum()
print(
    f"H(p) = {entropy:.4f}, H(p, q) = {cross:.4f}, H(p) + KL(p||q) = {entropy + kl:.4f}"
)

# %%
# Related topics
# --------------
# * :ref:`article-activation_functions`: the softmax and sigmoid in front of these losses
# * :ref:`article-backpropagation`: the backward pass starts from the loss
# * :ref:`article-gradient_descent`: minimising the loss
# * :ref:`article-regularisation`: penalties added to the loss
# * :ref:`article-information_theory`: cross-entropy as a coding cost, in bits
# * :ref:`article-reinforcement_learning`: losses without labels: the policy gradient, the critic's
#   squared error and DQN's Huber loss on the Bellman target
