r"""
.. _article-regularisation:

Over-fitting and regularisation: L1, L2 and dropout
===================================================

A network with enough weights can memorise its training set, noise included. Its
training loss keeps falling while its error on new data, the thing we care about, stops
improving and then rises: it **over-fits**. It has learned the particular sample rather
than the pattern, and does not **generalise**. The gap between training and test error
measures over-fitting, so performance is always judged on data held out from training.

**Regularisation** is any change that makes the simpler explanation win:

* **L2 regularisation** (weight decay) adds the sum of the squared weights to the loss.
  Large weights cost more, so the network prefers many small weights, and so smoother
  functions. With plain SGD it is the same as shrinking every weight by a fixed fraction
  at each step, hence "weight decay".
* **L1 regularisation** adds the sum of the absolute weights. Its pull towards zero does
  not weaken as a weight gets small, so it drives many weights to exactly zero: a sparse
  network that uses few inputs.
* **Dropout** switches off each neuron at random (with probability :math:`p`) at every
  training step, so no neuron can rely on particular others being present (no
  "co-adaptation"): the network learns redundant, robust features. It behaves like an
  average over many thinned networks. At test time every neuron is used.
* **Early stopping** keeps the weights from the epoch with the best validation error.

The maths
---------

For weights :math:`\mathbf{w}` and strength :math:`\lambda`:

.. math::

   \begin{aligned}
   \mathcal{L}_{L2} &= \mathcal{L} + \lambda \sum_i w_i^2, &
   \frac{\partial \mathcal{L}_{L2}}{\partial w_i} &= \frac{\partial \mathcal{L}}{\partial w_i} + 2\lambda w_i,\\
   \mathcal{L}_{L1} &= \mathcal{L} + \lambda \sum_i |w_i|, &
   \frac{\partial \mathcal{L}_{L1}}{\partial w_i} &= \frac{\partial \mathcal{L}}{\partial w_i} + \lambda\,\operatorname{sign}(w_i).
   \end{aligned}

One SGD step on the L2 loss is
:math:`w_i \leftarrow (1 - 2\gamma\lambda)\,w_i - \gamma\,\partial\mathcal{L}/\partial w_i`:
a decay by a constant factor. Dropout with a random mask :math:`m_i \sim
\text{Bernoulli}(1 - p)` computes, in training,

.. math::

   \tilde h_i = \frac{m_i\, h_i}{1 - p}, \qquad
   \mathbb{E}[\tilde h_i] = h_i, \qquad
   \frac{\partial \tilde h_i}{\partial h_i} = \frac{m_i}{1 - p},

and the identity at evaluation. Dividing by :math:`1 - p` during training ("inverted
dropout") keeps the expected activation the same, so evaluation needs no rescaling.

Where it lives in abinitio
--------------------------

.. implementation::

``Dropout`` is active only in training mode: ``model.train()`` and ``model.eval()`` switch
it, as in PyTorch.
"""

# %%
# Twenty noisy points, a network of 4,353 parameters
# ---------------------------------------------------
# The truth is :math:`\sin 3x`; we observe it with noise at 20 points and judge each
# network on a dense grid of noiseless points.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn, optim

rng = np.random.default_rng(1)
x_train = rng.uniform(-1, 1, (20, 1)).astype(np.float32)
y_train = (np.sin(3 * x_train) + rng.normal(0, 0.3, x_train.shape)).astype(np.float32)
x_test = np.linspace(-1, 1, 200, dtype=np.float32)[:, None]
y_test = np.sin(3 * x_test).astype(np.float32)
x_train, y_train, x_test, y_test = map(ab.tensor, (x_train, y_train, x_test, y_test))


def train(l1=0.0, l2=0.0, dropout=0.0, steps=1500):
    """Full-batch Adam; returns the train and test MSE every 25 steps, and the model."""
    ab.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(1, 64),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(64, 1),
    )
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    history = []
    for step in range(steps):
        model.train()  # dropout on
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x_train), y_train)
        penalty = l1 * nn.utils.l1_penalty(weights) + l2 * nn.utils.l2_penalty(weights)
        (loss + penalty).backward()
        optimizer.step()
        if step % 25 == 0:
            model.eval()  # dropout off
            with ab.no_grad():
                train_mse = nn.functional.mse_loss(model(x_train), y_train).item()
                test_mse = nn.functional.mse_loss(model(x_test), y_test).item()
            history.append([train_mse, test_mse])
    model.eval()  # the returned model predicts with every neuron
    return np.array(history), model


runs = {
    "no regularisation": train(),
    "L2 (lambda = 2e-3)": train(l2=2e-3),
    "L1 (lambda = 3e-4)": train(l1=3e-4),
    "dropout (p = 0.3)": train(dropout=0.3),
}

# %%
# Over-fitting curves
# -------------------
# Solid lines: training error; dashed: test error.
fig, (ax, ax_fit) = plt.subplots(1, 2, figsize=(10, 3.8))
for (name, (history, model)), color in zip(runs.items(), plt.cm.tab10.colors):
    steps = np.arange(len(history)) * 25
    ax.plot(steps, history[:, 0], color=color, label=name)
    ax.plot(steps, history[:, 1], "--", color=color)
    with ab.no_grad():
        ax_fit.plot(x_test.numpy(), model(x_test).numpy(), color=color, label=name)
    print(
        f"{name:20s} train {history[-1, 0]:.4f}  test {history[-1, 1]:.4f}"
        f"  (best test {history[:, 1].min():.4f})"
    )
ax.set(
    xlabel="step", ylabel="MSE", yscale="log", title="train (solid) and test (dashed)"
)
ax.legend(fontsize=8)
ax_fit.plot(x_test.numpy(), y_test.numpy(), "k:", label="truth")
ax_fit.scatter(x_train.numpy(), y_train.numpy(), color="black", s=12, zorder=3)
ax_fit.set(title="the fitted functions", xlabel="x")
plt.show()

# %%
# Without regularisation the training error keeps falling while the test error turns
# back up: the network bends to pass through the noisy points. Each regulariser trades a
# little training error for a smoother function and a lower test error.
#
# L1 pushes weights all the way to zero: the share of the second layer's weights below 1e-3:
hidden_l1 = runs["L1 (lambda = 3e-4)"][1][3].weight.detach().numpy()
hidden_none = runs["no regularisation"][1][3].weight.detach().numpy()
print(
    f"with L1: {np.mean(np.abs(hidden_l1) < 1e-3):.0%}, "
    f"without: {np.mean(np.abs(hidden_none) < 1e-3):.0%}"
)

# %%
# Related topics
# --------------
# * :ref:`article-loss_functions`: the loss the penalties are added to
# * :ref:`article-learning_rate`: regularisation strength is a hyperparameter
# * :ref:`article-universal_approximation`: capacity, the other side of over-fitting
# * :ref:`article-feedforward_networks`: the networks being regularised
# * :ref:`article-training_loop`: a validation set and early stopping
# * :ref:`article-cross_validation`: measuring the generalisation gap over k folds
