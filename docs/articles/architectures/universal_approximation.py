r"""
.. _article-universal_approximation:

The universal approximation theorem
===================================

The **universal approximation theorem** says that a feedforward network with a *single*
hidden layer can approximate any continuous function on a bounded region as closely as
we like, provided the layer has enough neurons and the activation is not a polynomial
(sigmoid, tanh and ReLU all qualify). It explains why neural networks are so flexible.

Two warnings come with it. The theorem says such weights *exist*, not that gradient
descent will find them; and "enough neurons" can mean very many: the number may grow
exponentially with the input dimension. Deep networks often do the same job with far fewer
neurons, by composing features of features.

The idea of the proof, for ReLU and one input, fits in a picture: a hidden neuron
:math:`\operatorname{ReLU}(x - a)` is a hinge that bends at :math:`x = a`. A weighted sum
of :math:`n` hinges is a piecewise-linear function with :math:`n` bends, and a
piecewise-linear function through :math:`n + 1` points of a continuous curve approaches
the curve as the points get denser.

The maths
---------

A one-hidden-layer network with :math:`n` neurons computes

.. math::

   \hat f(x) = \sum_{k=1}^{n} c_k\, \sigma(w_k x + b_k) + c_0 .

Theorem (Cybenko 1989; Hornik 1991; Leshno et al. 1993): for every continuous
:math:`f` on a compact set :math:`K \subset \mathbb{R}^d`, every :math:`\varepsilon > 0`
and every continuous non-polynomial :math:`\sigma`, there are :math:`n` and weights with
:math:`\sup_{x \in K} |f(x) - \hat f(x)| < \varepsilon`.

For ReLU and knots :math:`x_0 < x_1 < \dots < x_n`, the interpolating network is
explicit: with slopes :math:`s_k = \frac{f(x_{k+1}) - f(x_k)}{x_{k+1} - x_k}`,

.. math::

   \hat f(x) = f(x_0) + s_0\,\operatorname{ReLU}(x - x_0)
              + \sum_{k=1}^{n-1} (s_k - s_{k-1})\,\operatorname{ReLU}(x - x_k),

and for a twice-differentiable :math:`f` on evenly spaced knots its error shrinks like
:math:`1/n^2`.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# Build the network by hand, then train one
# -----------------------------------------
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn, optim


def target(x):
    return np.sin(3 * x) + 0.5 * np.abs(x)  # continuous, with a kink at 0


x_grid = np.linspace(-1, 1, 400, dtype=np.float32)[:, None]
y_grid = target(x_grid)


def constructed(width):
    """The interpolating ReLU network with `width` hinges at evenly spaced knots."""
    knots = np.linspace(-1, 1, width + 1)
    slopes = np.diff(target(knots)) / np.diff(knots)
    model = nn.Sequential(nn.Linear(1, width), nn.ReLU(), nn.Linear(width, 1))
    with ab.no_grad():
        model[0].weight.fill_(1.0)
        model[0].bias.copy_(ab.tensor(-knots[:-1]))  # hinge k bends at knot k
        model[2].weight.copy_(ab.tensor(np.diff(slopes, prepend=0.0)[None, :]))
        model[2].bias.fill_(float(target(knots[0])))
    return model


def trained(width, steps=1500):
    """The same architecture, trained by Adam on the 400 grid points."""
    ab.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, width), nn.ReLU(), nn.Linear(width, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    x, y = ab.tensor(x_grid), ab.tensor(y_grid)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
    return model


def max_error(model):
    with ab.no_grad():
        return np.abs(model(ab.tensor(x_grid)).numpy() - y_grid).max()


widths = [2, 4, 8, 16, 32, 64]
by_hand = {n: constructed(n) for n in widths}
by_training = {n: trained(n) for n in widths}
for n in widths:
    print(
        f"width {n:3d}: max error constructed {max_error(by_hand[n]):.4f},"
        f" trained {max_error(by_training[n]):.4f}"
    )

# %%
# The fits, and the error against the width
# -----------------------------------------
fig, (ax, ax_err) = plt.subplots(1, 2, figsize=(10, 3.8))
ax.plot(x_grid, y_grid, "k", linewidth=3, alpha=0.3, label="target")
for n in [2, 4, 16]:
    with ab.no_grad():
        ax.plot(
            x_grid,
            by_training[n](ab.tensor(x_grid)).numpy(),
            label=f"trained, width {n}",
        )
ax.set(xlabel="x", title="one hidden layer, trained")
ax.legend(fontsize=8)
ax_err.loglog(
    widths, [max_error(by_hand[n]) for n in widths], "o-", label="constructed"
)
ax_err.loglog(
    widths, [max_error(by_training[n]) for n in widths], "s-", label="trained"
)
ax_err.loglog(widths, [2 / n**2 for n in widths], "k:", label="$2/n^2$")
ax_err.set(xlabel="hidden neurons $n$", ylabel="max |error|", title="error vs width")
ax_err.set_xticks(widths, [str(n) for n in widths])
ax_err.minorticks_off()
ax_err.legend()
plt.show()

# %%
# The constructed network's error falls like :math:`1/n^2`, as the theory says. The
# trained one improves with width too, but gradient descent finds neither the exact
# knots nor the best weights: existence is not the same as learnability. The trained
# width-2 network is a flat line: both of its ReLUs ended up inactive on every input
# ("dead" neurons, whose gradient is zero), leaving only the output bias.
#
# Related topics
# --------------
# * :ref:`article-feedforward_networks`: the networks the theorem is about
# * :ref:`article-activation_functions`: the non-polynomial :math:`\sigma` it needs
# * :ref:`article-regularisation`: more capacity also means more room to over-fit
# * :ref:`article-gradient_descent`: how the trained networks were fitted
# * :ref:`article-universal_approximation_constructed`: the proof's bounds, measured
