r"""
.. _article-no_free_lunch:

The no free lunch theorem
=========================

Every learner carries assumptions: nearest neighbour assumes that nearby inputs share
labels, a network assumes its own kind of smoothness. The **no free lunch theorem**
(Wolpert 1996; Wolpert & Macready 1997 for optimisation) says that, averaged over *all*
possible targets, none of these assumptions helps: every learner is exactly as good as
guessing on the inputs it has not seen. A learner beats chance only on the problems
that match its assumptions, and pays for it on the others.

On a finite domain the claim can be checked by counting, not sampling: the Boolean
functions of 4 inputs are all :math:`2^{16} = 65\,536` labellings of the 16 input
vectors. Fix 8 training inputs; for every target, train the learner on its 8 labels
and count correct predictions on the other 8.

The maths
---------

For a learner :math:`A`, training inputs :math:`D` (:math:`m` of the :math:`N`
inputs) and target :math:`f`, let :math:`a(A, f)` be the accuracy on the :math:`N - m`
inputs outside :math:`D`. Then

.. math::

   \frac{1}{2^N} \sum_{f : X \to \{0, 1\}} a(A, f) = \frac12 .

Proof: the targets that agree with one training labelling take every value on each test
input equally often, so whatever :math:`A` predicts there is right for exactly half of
them. The practical face: no optimiser is best on every loss surface either.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# Exhaustive counts for four learners
# -----------------------------------
import matplotlib.pyplot as plt
import numpy as np

from abinitio import theory

train = [0, 3, 5, 6, 9, 10, 12, 15]  # 8 of the 16 inputs of 4 bits
learners = [
    theory.majority,
    theory.nearest_neighbour,
    theory.anti_learner(theory.nearest_neighbour),
    theory.mlp_learner(hidden=8, steps=60),
]
results = [theory.off_training_set_accuracy(f, 4, train) for f in learners]
for r in results:
    print(f"{r.name:24s} {r.correct:7d} / {r.total} correct = {r.accuracy}")

# %%
# Every average is the fraction 1/2, exactly. The learners are not the same, though:
# each is right on some targets and wrong on others, and the histograms of per-target
# accuracy differ. Nearest neighbour and its anti-learner mirror each other.
fig, ax = plt.subplots(figsize=(7, 3.4))
bins = np.linspace(0, 1, 10)
for r in results:
    ax.hist(r.per_function, bins=bins, histtype="step", linewidth=2, label=r.name)
ax.set(xlabel="off-training-set accuracy on one target", ylabel="targets")
ax.legend(fontsize=8)
plt.show()

# %%
# No optimiser wins everywhere
# ----------------------------
# SGD and momentum (lr 1e-3), Adam and RMSprop (lr 1e-2), 300 steps, median final
# loss over three starting points. The ranking changes from problem to problem.
table = theory.compare_optimisers(steps=300, seeds=(0, 1, 2))
print(f"{'problem':27s}" + "".join(f"{name:>10s}" for name in table["Rosenbrock"]))
for problem, row in table.items():
    print(f"{problem:27s}" + "".join(f"{v:10.2e}" for v in row.values()))
for problem, order in theory.rankings(table).items():
    print(f"best on {problem}: {order[0]}, worst: {order[-1]}")

# %%
# RMSprop's per-coordinate step sizes win on the ill-conditioned quadratic; momentum runs
# down Rosenbrock's curved valley and across the badly scaled bowl, where Adam's steps of
# about lr per coordinate crawl over a distance of 3; plain SGD is exact in one step on
# the sharp bowl, whose curvature matches its learning rate. Choosing a method (and its
# learning rate) is choosing assumptions.
#
# Related topics
# --------------
# * :ref:`article-gradient_descent`: the optimisers being compared
# * :ref:`article-regularisation`: assumptions made explicit as penalties
# * :ref:`article-information_theory`: measuring what a model has learned
# * :ref:`article-universal_approximation_constructed`: what a network *can* represent
