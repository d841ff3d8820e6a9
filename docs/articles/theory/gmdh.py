r"""
.. _article-gmdh:

The first deep network: the Group Method of Data Handling
=========================================================

In 1965 in Kyiv, Alexey Grigorevich Ivakhnenko and Valentin Grigorevich Lapa published
*Cybernetic Predicting Devices*, and with it a way to train a network of many layers
from data: the **Group Method of Data Handling** (GMDH). In 1971 Ivakhnenko's
"Polynomial theory of complex systems" (IEEE Transactions on Systems, Man and
Cybernetics) described an eight-layer network trained this way, decades before
"deep learning" had a name. There is no backpropagation: the network is *grown*, one
layer at a time, and each unit is fitted in closed form.

Each unit is a quadratic of two inputs, fitted by least squares on one part of the data;
every pair of the previous layer's outputs gets a unit, and only the best few, judged
on data held out from the fit, survive and feed the next layer. Growth stops when
the held-out error stops falling. The data chooses the depth, the connections and the
weights: an early form of both deep learning and model selection by validation.

The maths
---------

A unit on inputs :math:`a, b` and its least-squares fit on the training part :math:`A`:

.. math::

   u(a, b) = c_0 + c_1 a + c_2 b + c_3 ab + c_4 a^2 + c_5 b^2, \qquad
   D^\top D\, c = D^\top y,

where row :math:`i` of :math:`D` is :math:`(1, a_i, b_i, a_i b_i, a_i^2, b_i^2)` for the
samples in :math:`A`. Units are ranked by the *regularity criterion*, the mean squared
error on the held-out part :math:`B`, :math:`\frac{1}{|B|}\sum_{i \in B} (u_i - y_i)^2`.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# Growing a network on a nonlinear target
# ---------------------------------------
# Five inputs, y = sin(2 x0) x1 + x2^2 - x3 x4 + noise; 600 samples to learn from.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn, optim, theory


def target(x):
    return np.sin(2 * x[:, 0]) * x[:, 1] + x[:, 2] ** 2 - x[:, 3] * x[:, 4]


rng = np.random.default_rng(0)
x, x_test = rng.uniform(-1, 1, (600, 5)), rng.uniform(-1, 1, (2000, 5))
y, y_test = target(x) + 0.05 * rng.standard_normal(600), target(x_test)
gmdh = theory.GMDHRegressor(k_best=6).fit(x, y)
print(f"grew {len(gmdh.layers_)} layers; the output unit is built from:")
print(gmdh.describe())

# %%
# Against linear regression and a trained MLP
# -------------------------------------------
design = np.c_[np.ones(len(x)), x]
w = np.linalg.lstsq(design, y, rcond=None)[0]
ab.manual_seed(0)
mlp = nn.Sequential(nn.Linear(5, 64), nn.Tanh(), nn.Linear(64, 1))
optimizer = optim.Adam(mlp.parameters(), lr=0.01)
xt, yt = ab.tensor(x.astype(np.float32)), ab.tensor(y[:, None].astype(np.float32))
for _ in range(1000):
    optimizer.zero_grad()
    nn.functional.mse_loss(mlp(xt), yt).backward()
    optimizer.step()
mlp_test = mlp(ab.tensor(x_test.astype(np.float32))).detach().numpy()[:, 0]
predictions = {
    "linear regression": np.c_[np.ones(len(x_test)), x_test] @ w,
    "GMDH": gmdh.predict(x_test),
    "MLP (64 tanh, Adam)": mlp_test,
}
print(f"test MSE (variance of y: {y_test.var():.4f})")
for name, p in predictions.items():
    print(f"  {name:20s} {np.mean((p - y_test) ** 2):.4f}")

fig, ax = plt.subplots(figsize=(6, 3.4))
errors = gmdh.validation_errors_
ax.semilogy(range(1, len(errors) + 1), errors, "o-")
ax.axvline(len(gmdh.layers_), color="k", linestyle=":", label="growth stopped")
ax.set(xlabel="layer", ylabel="best held-out MSE", title="GMDH grows while it helps")
ax.legend()
plt.show()

# %%
# GMDH captures the products and squares that linear regression cannot, and says
# which inputs it used. A modern MLP trained by backpropagation fits this target
# better still: the quadratic units must approximate :math:`\sin` by polynomials, and
# half of the data is spent on selection instead of fitting.
#
# Related topics
# --------------
# * :ref:`article-feedforward_networks`: today's layered networks, trained end to end
# * :ref:`article-regularisation`: held-out data against over-fitting, as GMDH used it
# * :ref:`article-universal_approximation_constructed`: networks whose weights are set, not learned
