"""Recording what a spiking network does: spikes and membrane traces per layer, firing
rates and sparsity.

:class:`SpikeMonitor` attaches forward hooks to every spiking neuron of a model and keeps
what each one emitted, stacked over time: (T, N, ...) per layer, whether the layer is
stepped one step at a time or takes all steps at once.
"""

from __future__ import annotations

import numpy as np

from abinitio.tensor import Tensor


def spikes_array(spikes, where: str) -> np.ndarray:
    """The spikes as an array, refusing anything but 0/1 values (graded or negative
    values are not spike counts: a statistic of them would mean something else)."""
    array = spikes.detach().numpy() if isinstance(spikes, Tensor) else np.asarray(spikes)
    if array.size and not np.isin(array, (0, 1)).all():
        bad = array[~np.isin(array, (0, 1))].ravel()[:3]
        raise ValueError(f"{where}: expected spikes (0 or 1), got values such as {bad.tolist()}")
    return array


def firing_rate(spikes, dim=0) -> np.ndarray:
    """Spikes per step: the mean of a spike record over ``dim`` (time, by default).

    Example:
        >>> firing_rate([[1, 0], [1, 1], [0, 0], [1, 0]]).tolist()
        [0.75, 0.25]
    """
    return spikes_array(spikes, "firing_rate").astype(np.float32).mean(axis=dim)


def sparsity(spikes) -> float:
    """The share of (step, neuron) entries without a spike.

    Example:
        >>> sparsity([[1, 0], [0, 0]])
        0.75
    """
    array = spikes_array(spikes, "sparsity")
    return float(1 - array.mean()) if array.size else 1.0


class SpikeMonitor:
    """Record the spikes and membranes of every spiking neuron in ``model``.

    Use it as a context manager around forward passes; afterwards ``spikes[name]`` and
    ``membranes[name]`` hold NumPy arrays (T, N, ...) per layer (named as in
    ``model.named_modules()``), and :meth:`firing_rates` the mean rate per layer. A layer
    that takes all steps at once may see several batches (joined along N); a neuron
    stepped in a loop records one step per call, so monitor one batch at a time.

    Example:
        >>> import abinitio as ab
        >>> from abinitio import snn
        >>> lif = snn.MultiStepLeaky(beta=0.9)
        >>> with snn.SpikeMonitor(lif) as monitor:
        ...     _ = lif(ab.full((5, 2, 3), 0.5))
        >>> monitor.spikes[""].shape, monitor.membranes[""].shape
        ((5, 2, 3), (5, 2, 3))

    See the article docs/articles/spiking/training_through_time.py.
    """

    def __init__(self, model) -> None:
        from abinitio.snn.neurons import SpikingNeuron

        self.model = model
        self.layers = {name: m for name, m in model.named_modules() if isinstance(m, SpikingNeuron)}
        if not self.layers:
            raise ValueError(f"SpikeMonitor: {type(model).__name__} has no spiking neurons")
        self.spikes, self.membranes = {}, {}
        self._steps, self._handles, self._outputs = {}, [], {}

    def __enter__(self) -> SpikeMonitor:
        self._steps = {name: ([], []) for name in self.layers}
        for name, layer in self.layers.items():
            self._outputs[name] = layer.output
            layer.output = True  # a neuron then returns its state too; the hook hides it
            self._handles.append(layer.register_forward_hook(self._hook(name)))
        return self

    def _hook(self, name):
        multistep = getattr(self.layers[name], "time_steps", "single") != "single"
        wanted = self._outputs[name]
        hidden = self.layers[name].init_hidden

        def hook(module, inputs, output):
            spk, mem = output[0], output[-1]
            spikes, membranes = self._steps[name]
            spikes.append(spk.detach().numpy())
            membranes.append(mem.detach().numpy())
            if multistep:
                return output if wanted else spk
            if hidden and not wanted:
                return spk
            return None

        return hook

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        for name, layer in self.layers.items():
            layer.output = self._outputs[name]
            spikes, membranes = self._steps[name]
            if not spikes:
                continue
            multistep = getattr(layer, "time_steps", "single") != "single"
            if multistep:  # each call is a batch of whole sequences: join the batches
                self.spikes[name] = np.concatenate(spikes, axis=1)
                self.membranes[name] = np.concatenate(membranes, axis=1)
            else:  # each call is one step
                self.spikes[name], self.membranes[name] = np.stack(spikes), np.stack(membranes)

    def firing_rates(self) -> dict:
        """Mean spikes per step and neuron, for each layer."""
        return {name: float(spikes.mean()) for name, spikes in self.spikes.items()}
