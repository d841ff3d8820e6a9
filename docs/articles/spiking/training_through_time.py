r"""
.. _article-training_through_time:

Training spiking networks through time
======================================

A spiking network runs for :math:`T` time steps on every input. First the input is
**encoded** as spikes: in a **rate code** a pixel of brightness :math:`x` fires with
probability :math:`x` at every step, so the information is in *how many* spikes; in a
**latency code** each pixel fires once, brighter pixels earlier, so the information is
in *when*; **delta modulation** fires when a signal changes, as an event camera does;
in a **direct** code the value itself is the input current at every step, and the first
layer of LIF neurons is the encoder.
Layers of synapses (Linear or Conv2d) and LIF neurons then pass spikes on, and the class
is read from the output layer, here the neuron that fires most.

Training is backpropagation through time, as for a :ref:`article-recurrent_networks`:
the membrane :math:`U[t]` is a hidden state carried from step to step, and the unrolled
network is :math:`T` copies of the same layers. The reset is treated as a decision, not
a value (no gradient flows through it), and each spike's gradient is the surrogate's.

The maths
---------

For one LIF layer, :math:`U[t] = \beta U[t-1] + X[t] - \theta S[t-1]`,
:math:`S[t] = H(U[t] - \theta)`. With :math:`a_t = \partial\mathcal{L}/\partial S[t]
\cdot \sigma'(U[t] - \theta)` (:math:`\sigma'` the surrogate derivative), the gradient
reaching each membrane walks backwards in time:

.. math::

   \frac{\partial\mathcal{L}}{\partial U[t]} = a_t + \frac{\partial\mathcal{L}}{\partial U_{\text{out}}[t]}
     + \beta\,\frac{\partial\mathcal{L}}{\partial U[t+1]},
   \qquad
   \frac{\partial\mathcal{L}}{\partial \beta} = \sum_t \frac{\partial\mathcal{L}}{\partial U[t]}\,U[t-1],
   \qquad
   \frac{\partial\mathcal{L}}{\partial X[t]} = \frac{\partial\mathcal{L}}{\partial U[t]}.

No layer feeds back to an earlier one, so a network can run **layer by layer**: the
Linear before a LIF layer sees all :math:`T \cdot N` inputs as one batch, and the LIF
layer runs its time loop, forward and backward, inside one fused graph node.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# Three codes for one digit
# -------------------------
import time

import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import nn, snn
from abinitio.data import DataLoader, TensorDataset, datasets

ab.manual_seed(0)
data = datasets.digits()
pixels = ab.tensor(data.x_train[0].reshape(-1))  # 64 values in [0, 1]
codes = {
    "rate": snn.spikegen.rate(pixels, num_steps=25),
    "latency": snn.spikegen.latency(pixels, 25, linear=True, normalize=True, clip=True),
    "delta (rows as time)": snn.spikegen.delta(pixels.reshape(8, 8), threshold=0.3),
}
fig, axes = plt.subplots(1, 3, figsize=(10, 3))
for ax, (name, spikes) in zip(axes, codes.items()):
    snn.plots.raster(spikes.reshape(len(spikes), -1).numpy(), ax=ax, title=name)
    print(f"{name}: {int(spikes.sum().item())} spikes")
plt.show()

# %%
# The fused layer equals its composed reference
# ---------------------------------------------
# ``MultiStepLeaky(fused=False)`` writes the time loop with ordinary operations (about
# ten graph nodes per step); the fused layer is one node with the backward above.
x = ab.rand(25, 128, 128) * 0.4
for fused in (True, False):
    layer = snn.MultiStepLeaky(beta=0.9, learn_beta=True, fused=fused)
    started = time.perf_counter()
    layer(x).sum().backward()
    took = time.perf_counter() - started
    grad = layer.beta.grad.item()
    print(f"fused={fused}: dL/dbeta = {grad:.2f}  ({took * 1e3:.0f} ms)")

# %%
# Rate, latency and direct codes on the digits
# --------------------------------------------
# The 64-128-10 network of the snnTorch tutorials, trained for 3 epochs with each code;
# ``nn.CrossEntropyLoss`` on the output spike counts is the count loss ``ce_count_loss``.
#
# A rate code costs precision: over :math:`T` steps a count of Bernoulli(:math:`p`)
# spikes has standard deviation :math:`\sqrt{T p (1 - p)}`, 2.5 spikes for
# :math:`T = 25, p = 0.5`. Pixels of the digits span :math:`p \in [0, 1]` and survive it.
# MNIST-1D's standardised signals do not: mapped from their range :math:`[-5.5, 4.5]` to
# probabilities, a unit of signal moves :math:`p` by 0.1, 2.5 spikes, as much as the
# noise. A rate-coded 40-128-10 network reached 17% on it (38% with the range narrowed to
# :math:`[-2, 2]`); fed the signal directly it reached 57%
# (``abinitio train --model snn --dataset mnist1d`` uses the direct code).
for encoding in ("rate", "latency", "direct"):
    ab.manual_seed(0)
    model = snn.SpikingMLP(64, (128,), 10, time_steps=25, encoding=encoding)
    optimizer = ab.optim.Adam(model.parameters(), lr=2e-3)
    train_set = TensorDataset(data.x_train, data.y_train)
    loader = DataLoader(train_set, batch_size=64, shuffle=True)
    for epoch in range(3):
        for xb, yb in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            optimizer.step()
    with ab.no_grad(), snn.SpikeMonitor(model) as monitor:
        output = model.spikes(ab.tensor(data.x_test))
    accuracy = snn.functional.accuracy_rate(output, data.y_test)
    rates = {name: round(r, 3) for name, r in monitor.firing_rates().items()}
    print(f"{encoding}: test accuracy {accuracy:.1%}, firing rates {rates}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3))
snn.plots.raster(monitor.spikes["layers.1"][:, 0], ax=axes[0], title="hidden layer")
snn.plots.spike_counts_per_class(output.numpy().sum(0), data.y_test, ax=axes[1])
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-spiking_neurons`: the LIF neuron and the surrogate gradient
# * :ref:`article-recurrent_networks`: backpropagation through time, for RNNs
# * :ref:`article-normalisation_and_encoding`: encoding data for a network
# * :ref:`article-convolutional_networks`: the layers ``SpikingCNN`` puts before its neurons
