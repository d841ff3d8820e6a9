r"""
.. _article-spiking_neurons:

Spiking neurons
===============

A biological neuron receives signals on its **dendrites**, from thousands of
**synapses**; each synapse turns an incoming spike into a small current whose size is
the synapse's strength (the **weight** of an artificial neuron). The currents charge the
membrane of the cell body, the **soma**, which slowly leaks the charge away. When the
membrane potential crosses a **threshold**, the neuron fires a **spike** down its
**axon** to the next neurons and its potential resets. Unlike the
:ref:`article-neuron`, which outputs a number at once, a spiking neuron carries
**time**: what it outputs depends on when its inputs arrived, and it speaks in all or
nothing events.

The membrane is an RC circuit: a capacitor :math:`C` (the membrane) in parallel with a
resistor :math:`R` (its leak), charged by the input current :math:`I`. Stepped in time
with :math:`\Delta t`, its voltage decays by :math:`\beta = e^{-\Delta t / RC}` per step
and adds the new input: this is the **leaky integrate-and-fire** (LIF) neuron.

The spike is a step function, :math:`S = H(U - \theta)`. Its derivative is zero
everywhere except at the threshold, where it is infinite: backpropagation through it
gives no gradient at all, and a network of spiking neurons could not learn. The fix is a
**surrogate gradient**: keep the exact step in the forward pass, and in the backward pass
use the derivative of a smooth function that looks like it (a fast sigmoid, an arctangent).

The maths
---------

.. math::

   \tau \frac{dU}{dt} = -U + R I(t), \quad \tau = RC
   \quad\Longrightarrow\quad
   U[t] = \beta U[t-1] + I[t] - S[t-1]\,\theta, \qquad S[t] = H(U[t] - \theta).

Under a constant current and no spikes, :math:`U[t] = I (1 - \beta^t)/(1 - \beta) \to
I / (1 - \beta)`: the neuron fires only when :math:`I > (1 - \beta)\theta`. The forward
pass uses the step; the backward pass replaces its derivative by a surrogate, e.g.

.. math::

   \frac{\partial S}{\partial U} := \frac{1}{(1 + k\,|U - \theta|)^2}
   \ \ \text{(fast sigmoid)}, \qquad
   \frac{\partial S}{\partial U} := \frac{\alpha / 2}{1 + (\tfrac{\pi}{2}\alpha (U - \theta))^2}
   \ \ \text{(arctangent)}.

Where it lives in abinitio
--------------------------

.. implementation::
"""

# %%
# A neuron under a constant current
# ---------------------------------
# ``snn.Leaky`` takes snnTorch's calling convention: ``spk, mem = lif(cur, mem)``. Below
# the threshold current :math:`(1 - \beta)\theta = 0.1` the membrane settles at
# :math:`I / (1 - \beta)`; above it, the neuron fires regularly, faster for more current.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio import snn

ab.manual_seed(0)
lif = snn.Leaky(beta=0.9, threshold=1.0)
currents = ab.tensor([0.08, 0.15, 0.3])  # three neurons, one current each
mem = lif.init_leaky()
spikes, mems = [], []
for t in range(60):
    spk, mem = lif(currents, mem)
    spikes.append(spk.numpy())
    mems.append(mem.numpy())
spikes, mems = np.array(spikes), np.array(mems)
print("settled membrane of the first neuron:", round(float(mems[-1, 0]), 4))
print("I / (1 - beta) =", round(0.08 / (1 - 0.9), 4))
print("spikes in 60 steps:", spikes.sum(0).astype(int).tolist())
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
snn.plots.membrane_traces(mems, threshold=1.0, spikes=spikes, ax=axes[0])
snn.plots.raster(spikes, ax=axes[1], title="spikes of the three neurons")
plt.show()

# %%
# The step has no gradient; a surrogate gives one
# -----------------------------------------------
# The forward pass is exactly :math:`H(U - \theta)` whichever surrogate is chosen; only
# the backward pass differs. Here each surrogate's derivative, measured by backpropagating
# through the spike of 400 membranes around the threshold.
u = ab.tensor(np.linspace(-1, 1, 401), requires_grad=True)
fig, ax = plt.subplots(figsize=(6, 3))
for name in ("fast_sigmoid", "atan", "sigmoid", "triangular"):
    spike_fn = snn.surrogate.by_name(name)
    u.grad = None
    s = spike_fn(u)
    s.sum().backward()
    ax.plot(u.detach().numpy(), u.grad.numpy(), label=repr(spike_fn))
exact = (s.detach().numpy() == (u.detach().numpy() > 0)).all()
print("forward is an exact step:", bool(exact))
ax.set(xlabel=r"$U - \theta$", ylabel=r"surrogate $\partial S / \partial U$")
ax.legend(fontsize=8)
plt.show()

# %%
# Learning a firing rate
# ----------------------
# With the surrogate, gradient descent can tune a neuron: learn the input weight that
# makes a LIF neuron fire 8 times in 40 steps.
weight = ab.tensor([0.5], requires_grad=True)
optimizer = ab.optim.Adam([weight], lr=0.05)
for step in range(60):
    mem, count = lif.init_leaky(), 0
    for t in range(40):
        spk, mem = lif(weight, mem)
        count = count + spk.sum()
    loss = (count - 8) ** 2
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"weight {weight.item():.3f} fires {int(count.item())} times in 40 steps")

# %%
# Related topics
# --------------
# * :ref:`article-neuron`: the artificial neuron, which outputs a number instead of spikes
# * :ref:`article-training_through_time`: whole spiking networks, trained through time
# * :ref:`article-activation_functions`: the smooth functions the surrogates borrow from
# * :ref:`article-backpropagation`: the chain rule the surrogate plugs into
