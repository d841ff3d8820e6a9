r"""
.. _article-universal_approximation_constructed:

Universal approximation, constructed and measured
=================================================

The universal approximation theorem is an *existence* theorem, and on an interval its
proof can be carried out by hand: set every weight of a one-hidden-layer network from
the target's values at evenly spaced knots, and the network is within a proven distance
of the target everywhere. This article builds those networks, measures their sup-norm
error against width, and trains networks of the same width for comparison.

**The theorem** (Cybenko 1989 for sigmoids; Hornik 1991 for any bounded non-constant
activation; Leshno, Lin, Pinkus & Schocken 1993: exactly the continuous activations that
are *not polynomials*). For every continuous :math:`f` on a compact :math:`K \subset
\mathbb{R}^d` and every :math:`\varepsilon > 0` there are :math:`n`, :math:`w_k`,
:math:`b_k`, :math:`c_k` with

.. math::

   \sup_{x \in K} \Big| f(x) - c_0 - \sum_{k=1}^{n} c_k\, \sigma(w_k \cdot x + b_k) \Big|
   < \varepsilon .

**What it does not promise**: that gradient descent finds those weights (learnability),
how large :math:`n` must be (it can grow exponentially with :math:`d`), or anything
about discontinuous targets or inputs outside :math:`K`.

The constructions and their bounds
----------------------------------

With knots :math:`x_k = a + kh`, :math:`h = (b-a)/n`, ReLU hinges give the piecewise-
linear interpolant, and steep sigmoids (slope :math:`s = \text{steepness}/h`) give a
staircase with steps at the midpoints :math:`m_k`:

.. math::

   g_{\text{ReLU}}(x) = f(x_0) + \sum_{k=0}^{n-1} (s_k - s_{k-1})\,
   \operatorname{ReLU}(x - x_k), \qquad
   |f - g| \le \min\Big(\frac{L h}{2}, \frac{M h^2}{8}\Big),

.. math::

   g_{\sigma}(x) = f(x_0) + \sum_{k=1}^{n} \big(f(x_k) - f(x_{k-1})\big)\,
   \sigma\big(s (x - m_k)\big), \qquad
   |f - g| \le \frac{L h}{2} + L h \Big(\tfrac12 + \sigma(-sh) + \frac{2q}{1-q}\Big),

where :math:`s_k` are the chord slopes, :math:`L` a Lipschitz constant, :math:`M \ge
|f''|` and :math:`q = e^{-sh}`. Both bounds fall to zero with the width.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# Bounds against measured errors
# ------------------------------
# A smooth target (:math:`\sin 3x`: L = 3, M = 9), a kinked one (:math:`|x|`: L = 1),
# and a step, which is not continuous and so is outside the theorem.
import matplotlib.pyplot as plt
import numpy as np

from abinitio import theory

targets = {
    "sin 3x": (lambda x: np.sin(3 * x), {"lipschitz": 3.0, "curvature": 9.0}),
    "|x|": (np.abs, {"lipschitz": 1.0}),
    "step": (lambda x: (x > 0.01).astype(float), None),
}
widths = [3, 5, 9, 17, 33, 65]  # odd: the kink of |x| falls mid-piece, the worst case
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
for ax, (name, (f, constants)) in zip(axes, targets.items()):
    built = [theory.sup_error(theory.construct_network(f, n), f) for n in widths]
    staircase = [
        theory.sup_error(theory.construct_network(f, n, activation="sigmoid"), f)
        for n in widths
    ]
    trained = [
        theory.sup_error(theory.train_network(f, n, steps=400), f) for n in widths
    ]
    ax.loglog(widths, built, "o-", label="ReLU, built")
    ax.loglog(widths, staircase, "^-", label="sigmoid, built")
    ax.loglog(widths, trained, "s-", label="ReLU, trained (400 Adam steps)")
    if constants:
        bound = [theory.approximation_bound(n, **constants) for n in widths]
        ax.loglog(widths, bound, "k:", label="proven bound (ReLU)")
        assert all(e <= b + 1e-5 for e, b in zip(built, bound))
    ax.set(title=name, xlabel="hidden units n")
    ax.set_xticks(widths, [str(n) for n in widths])
    ax.minorticks_off()
    print(f"{name:7s} built:", " ".join(f"{e:.4f}" for e in built))
    print(f"{name:7s} trained:", " ".join(f"{e:.4f}" for e in trained))
axes[0].set_ylabel("sup |f - g|")
axes[0].legend(fontsize=7)
plt.show()

# %%
# The built ReLU network meets its bound at every width: :math:`1/n^2` for the smooth
# target, :math:`1/n` for the kink (where it equals the bound, :math:`h/2`). On the
# step the interpolant's error stays between 1/2 and 1, depending on where the jump falls
# between two knots, and the trained networks sit at 1/2: no continuous function does
# better in sup norm, so the theorem has nothing to say. The trained networks improve
# with width on the continuous targets, but more slowly and not monotonically: the
# weights exist, finding them is another matter.
#
# One two-dimensional target
# --------------------------
# The theorem covers :math:`\mathbb{R}^d`; the interval construction does not, so here
# only trained networks, on a 31 x 31 grid (300 Adam steps each).
bump = lambda x: np.sin(2 * x[:, 0]) * np.cos(2 * x[:, 1])  # noqa: E731
widths_2d = [4, 16, 64]
errors_2d = []
for n in widths_2d:
    model = theory.train_network(bump, n, in_features=2, points=31, steps=300)
    errors_2d.append(theory.sup_error(model, bump, points=31))
    print(f"2-D, width {n:3d}: sup error {errors_2d[-1]:.3f}")
fig, ax = plt.subplots(figsize=(4.5, 3.4))
ax.loglog(widths_2d, errors_2d, "s-", color="C2", label="ReLU, trained")
ax.set(title="sin 2x cos 2y on [-1, 1]^2", xlabel="hidden units n")
ax.set(ylabel="sup |f - g|")
ax.set_xticks(widths_2d, [str(n) for n in widths_2d])
ax.minorticks_off()
ax.legend()
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-universal_approximation`: the theorem in plain words, with ReLU hinges
# * :ref:`article-activation_functions`: the non-polynomial :math:`\sigma` the theorem needs
# * :ref:`article-no_free_lunch`: why no single network or optimiser wins everywhere
# * :ref:`article-feedforward_networks`: the networks the theorem is about
