r"""
.. _article-learning_rate:

Hyperparameters: the learning rate and its schedule
===================================================

**Hyperparameters** are the settings that training does not learn: the learning rate,
the batch size, the number and width of the layers, the strength of regularisation.
They are chosen by trying values and keeping the ones that do best on held-out data.
The most important one is the **learning rate** :math:`\gamma`, the size of each
gradient-descent step.

On a smooth bowl, gradient descent converges when :math:`\gamma` is below a limit set by
the curvature, oscillates as it approaches the limit, and diverges beyond it. Early in
training large steps make fast progress; late in training they bounce around the minimum.
So the rate is often *scheduled*: lowered in steps, annealed along a cosine, or (1cycle)
warmed up first and then annealed.

The maths
---------

Near a minimum the loss is close to a quadratic
:math:`\mathcal{L}(\theta) \approx \tfrac{1}{2}\lambda\theta^2` with curvature
:math:`\lambda`. One step gives
:math:`\theta_t = \theta_{t-1} - \gamma\lambda\theta_{t-1} = (1 - \gamma\lambda)\,\theta_{t-1}`,
so :math:`\theta_t = (1 - \gamma\lambda)^t\theta_0`: it converges if and only if
:math:`|1 - \gamma\lambda| < 1`, that is :math:`0 < \gamma < 2/\lambda`; fastest at
:math:`\gamma = 1/\lambda`. With many weights, the largest curvature sets the limit and
the smallest sets the speed. Two schedules, for epoch :math:`t` of :math:`T`:

.. math::

   \text{step: } \gamma_t = \gamma_0\, \kappa^{\lfloor t / s \rfloor}, \qquad
   \text{cosine: } \gamma_t = \gamma_\text{min} + \tfrac12(\gamma_0 - \gamma_\text{min})
   \Big(1 + \cos\frac{\pi t}{T}\Big).

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# Too small, about right, too large
# ---------------------------------
# Gradient descent on :math:`\mathcal{L}(\theta) = \tfrac12\lambda\theta^2` with
# :math:`\lambda = 4`: the limit is :math:`\gamma < 2/\lambda = 0.5`.
import matplotlib.pyplot as plt

import abinitio as ab
from abinitio import nn, optim
from abinitio.optim import lr_scheduler

curvature = 4.0
fig, ax = plt.subplots(figsize=(7, 3.2))
for lr in [0.02, 0.2, 0.45, 0.52]:
    theta = nn.Parameter(ab.tensor([1.0]))
    optimizer = optim.SGD([theta], lr=lr)
    path = [theta.item()]
    for _ in range(25):
        optimizer.zero_grad()
        (0.5 * curvature * theta**2).sum().backward()
        optimizer.step()
        path.append(theta.item())
    ax.plot(path, marker="o", markersize=3, label=f"lr = {lr}")
    print(f"lr = {lr:4}: theta after 25 steps = {path[-1]:+.4f}")
ax.set(xlabel="step", ylabel=r"$\theta$", ylim=(-2.5, 2.5))
ax.legend(ncols=2)
plt.show()

# %%
# Schedules
# ---------
# Each scheduler changes the optimiser's ``lr`` when its ``step()`` is called (once per
# epoch here, once per batch for 1cycle, as in PyTorch).
epochs = 60
schedules = {
    "StepLR(step_size=20, gamma=0.3)": lambda opt: lr_scheduler.StepLR(
        opt, 20, gamma=0.3
    ),
    "CosineAnnealingLR(T_max=60)": lambda opt: lr_scheduler.CosineAnnealingLR(
        opt, epochs
    ),
    "OneCycleLR(max_lr=0.1)": lambda opt: lr_scheduler.OneCycleLR(
        opt, 0.1, total_steps=epochs
    ),
}
fig, ax = plt.subplots(figsize=(7, 3.2))
for name, make in schedules.items():
    optimizer = optim.SGD([nn.Parameter(ab.zeros(1))], lr=0.1, momentum=0.9)
    scheduler = make(optimizer)
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()  # (a real loop computes a loss and gradients first)
        scheduler.step()
    ax.plot(rates, label=name)
ax.set(xlabel="epoch", ylabel="learning rate")
ax.legend()
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-gradient_descent`: the steps being sized
# * :ref:`article-regularisation`: the other hyperparameters that fight over-fitting
# * :ref:`article-universal_approximation`: the width of a layer is a hyperparameter too
# * :ref:`article-training_loop`: a scheduler stepped by a callback, and early stopping
# * :ref:`article-hyperparameter_tuning`: searching the learning rate with Optuna
