r"""
.. _article-information_plane:

The information plane
=====================

Each hidden layer :math:`T` of a classifier is a summary of its input :math:`X` that
should keep what matters for the label :math:`Y`. Shwartz-Ziv & Tishby (2017) proposed
to watch two numbers per layer during training: :math:`I(X; T)`, how much of the input
the layer still carries, and :math:`I(T; Y)`, how much it says about the label. Plotted
against each other, the *information plane*, their networks showed two phases: a fast
**fitting** phase where both grow, then a slow **compression** phase where
:math:`I(X; T)` falls, which they proposed as the reason deep networks generalise.

Saxe et al. (2018) repeated the experiment and found that compression depends on the
activation: saturating tanh units compress (as weights grow, tanh outputs pile up at
:math:`\pm 1` and fall into fewer bins), ReLU units do not, and generalisation is the
same. The measurement itself (binning) is part of the story: a deterministic network
of continuous units does not lose information about :math:`X` at all, only the binned
picture of it does.

The maths
---------

Every input appears once, so :math:`X` is uniform over the :math:`N` rows and :math:`T`
(each unit's activation cut into bins of width 2/30, Saxe et al.'s choice: 30 bins
across tanh's range) is a function of :math:`X`:

.. math::

   I(X; T) = H(T), \qquad I(T; Y) = H(T) - \sum_y p(y)\, H(T \mid Y = y),

both in bits, with :math:`I(X;T) \le \log_2 N` and :math:`I(T;Y) \le H(Y)`; the data
processing inequality orders the layers, :math:`I(X;T_1) \ge I(X;T_2) \ge \dots`.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# A short run, tanh against ReLU
# ------------------------------
# A 12-10-7-5-4-3 network on a balanced nonlinear function of 12 bits (all 4,096
# inputs, 85% for training), Adam at lr 0.01, 100 epochs. The script
# ``scripts/theory_results.py --only plane`` runs 1,500 epochs.
import matplotlib.pyplot as plt

from abinitio import theory

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
for ax, activation in zip(axes, ["tanh", "relu"]):
    trace = theory.trace_information_plane(activation, epochs=100, record_every=5)
    plane = trace.plane  # (records, layers, 2)
    for layer in range(plane.shape[1]):
        ax.plot(plane[:, layer, 0], plane[:, layer, 1], "-", color="0.8", zorder=0)
        points = ax.scatter(
            plane[:, layer, 0], plane[:, layer, 1], c=trace.epochs, cmap="viridis", s=12
        )
    ax.set(title=f"{activation}, train accuracy {trace.accuracy[-1]:.2f}")
    ax.set_xlabel("I(X; T) (bits)")
    peak, final = plane[:, -1, 0].max(), plane[-1, -1, 0]
    print(f"{activation}: last layer's I(X;T) peak {peak:.2f}, final {final:.2f} bits")
axes[0].set_ylabel("I(T; Y) (bits)")
fig.colorbar(points, ax=axes, label="epoch")
plt.show()

# %%
# The first layers sit at the top right: 10 units still tell all 4,096 inputs apart
# (12 bits). The narrow last layers move. With tanh the last layer first moves right and
# up (fitting), then left while :math:`I(T; Y)` holds: compression (compare the printed
# peak and final values), as its saturating units pile into the end bins. With ReLU the
# last layers move right while fitting and then hover, losing far less: their
# activations grow without bound and spread over ever more bins. The same runs with 30
# bins over each layer's current [min, max] (``bin_width=None``), which cancels the
# growth of scale, show late losses of a fraction of a bit in the middle layers of both
# networks (README). What compresses is the binned picture, and it depends on the
# activation and on the bins, as Saxe et al. argued; a deterministic network of
# continuous units loses no information about :math:`X` at all.
#
# Related topics
# --------------
# * :ref:`article-information_theory`: entropy and mutual information, and their estimators
# * :ref:`article-activation_functions`: why tanh saturates and ReLU does not
# * :ref:`article-representation_learning`: what hidden layers keep of their input
