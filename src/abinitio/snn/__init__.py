"""Spiking neural networks: neurons that integrate input over time and fire spikes.

* neurons (snnTorch's names and calling conventions): :class:`Leaky`, :class:`Synaptic`,
  :class:`Alpha`, :class:`Lapicque`, :class:`RLeaky`, :class:`RSynaptic`, and
  :class:`MultiStepLeaky`, a LIF layer over all time steps at once (fused);
* :mod:`~abinitio.snn.surrogate`: the gradients the backward pass uses for the spike;
* :mod:`~abinitio.snn.spikegen`: rate, latency and delta encoders;
* :mod:`~abinitio.snn.functional`: losses and readouts over spike records;
* :class:`SpikeMonitor`, :func:`firing_rate`, :func:`sparsity`, :mod:`~abinitio.snn.plots`;
* models: :class:`SpikingMLP`, :class:`SpikingCNN`; :mod:`~abinitio.snn.timing`, a task
  where only spike timing carries the class.

Example:
    >>> import abinitio as ab
    >>> from abinitio import snn
    >>> lif = snn.Leaky(beta=0.9, spike_grad=snn.surrogate.fast_sigmoid(slope=25))
    >>> mem = lif.init_leaky()
    >>> spk, mem = lif(ab.tensor([1.5]), mem)
    >>> spk.item()
    1.0
"""

from abinitio.snn import functional, plots, spikegen, surrogate, timing, utils
from abinitio.snn.models import SpikingCNN, SpikingMLP
from abinitio.snn.multistep import MultiStepLeaky
from abinitio.snn.neurons import (
    LIF,
    Alpha,
    Lapicque,
    Leaky,
    RLeaky,
    RSynaptic,
    SpikingNeuron,
    Synaptic,
)
from abinitio.snn.record import SpikeMonitor, firing_rate, sparsity

__all__ = [
    "LIF",
    "Alpha",
    "Lapicque",
    "Leaky",
    "MultiStepLeaky",
    "RLeaky",
    "RSynaptic",
    "SpikeMonitor",
    "SpikingCNN",
    "SpikingMLP",
    "SpikingNeuron",
    "Synaptic",
    "firing_rate",
    "functional",
    "plots",
    "sparsity",
    "spikegen",
    "surrogate",
    "timing",
    "utils",
]
