"""Helpers for networks that keep their neurons' state inside (``init_hidden=True``)."""

from __future__ import annotations


def reset(net) -> None:
    """Forget the hidden state of every spiking neuron in ``net`` (snnTorch's
    ``utils.reset``): call it before each new batch of sequences.

    Example:
        >>> import abinitio as ab
        >>> from abinitio import snn
        >>> lif = snn.Leaky(beta=0.9, init_hidden=True)
        >>> _ = lif(ab.ones(2))
        >>> reset(lif)
        >>> lif.mem.shape
        (0,)
    """
    from abinitio.snn.neurons import SpikingNeuron

    for module in net.modules():
        if isinstance(module, SpikingNeuron):
            module.reset_hidden()


def detach_hidden(net) -> None:
    """Cut every kept state from the graph (truncated backpropagation through time)."""
    from abinitio.snn.neurons import SpikingNeuron

    for module in net.modules():
        if isinstance(module, SpikingNeuron):
            module.detach_hidden()
