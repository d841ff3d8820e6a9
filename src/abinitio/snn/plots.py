"""Pictures of spiking activity: raster plots, membrane traces, spike counts per class and
firing rate per layer. matplotlib is imported only when a figure is drawn; each function
returns the Figure (and draws into ``ax`` when one is given)."""

from __future__ import annotations

import numpy as np

from abinitio.snn.record import spikes_array


def _axes(ax, size=(6.0, 3.0)):
    if ax is not None:
        return ax.figure, ax
    # a bare Figure (not pyplot): reports draw many without any GUI backend
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def raster(spikes, ax=None, title: str = "", color: str = "black"):
    """A raster plot: a dot at (t, neuron) for every spike of a record (T, neurons).

    Example:
        >>> fig = raster(np.eye(4))
        >>> len(fig.axes)
        1
    """
    array = spikes_array(spikes, "raster")
    if array.ndim != 2:
        raise ValueError(f"raster: expected spikes (T, neurons), got shape {array.shape}")
    fig, ax = _axes(ax)
    steps, neurons = np.nonzero(array)
    ax.scatter(steps, neurons, s=6, marker="|" if array.shape[1] > 30 else "o", c=color)
    ax.set_xlim(-0.5, array.shape[0] - 0.5)
    ax.set_ylim(-0.5, array.shape[1] - 0.5)
    ax.set_xlabel("time step")
    ax.set_ylabel("neuron")
    ax.set_title(title)
    return fig


def membrane_traces(mem, threshold: float = 1.0, spikes=None, ax=None, title: str = ""):
    """Membrane potential over time for each column of ``mem`` (T, k), the threshold as a
    dashed line and, when ``spikes`` (T, k) are given, a tick at each spike."""
    mem = np.asarray(mem)
    if mem.ndim == 1:
        mem = mem[:, None]
    if mem.ndim != 2:
        raise ValueError(f"membrane_traces: expected membranes (T, k), got shape {mem.shape}")
    fig, ax = _axes(ax)
    lines = ax.plot(mem, linewidth=1)
    ax.axhline(threshold, color="grey", linestyle="--", linewidth=1, label="threshold")
    if spikes is not None:
        array = spikes_array(spikes, "membrane_traces").reshape(mem.shape)
        for k, line in enumerate(lines):
            at = np.nonzero(array[:, k])[0]
            ax.scatter(at, np.full(len(at), threshold * 1.15), marker="|", color=line.get_color())
    ax.set_xlabel("time step")
    ax.set_ylabel("membrane U")
    ax.set_title(title)
    return fig


def spike_counts_per_class(counts, targets, ax=None, title: str = "", class_names=None):
    """The mean spike count of each output neuron (columns of ``counts`` (N, C)) for the
    samples of each class: a C x C image whose diagonal should be bright."""
    counts, targets = np.asarray(counts, dtype=np.float32), np.asarray(targets)
    classes = counts.shape[1]
    table = np.stack([counts[targets == c].mean(0) if np.any(targets == c)
                      else np.zeros(classes) for c in range(classes)])  # fmt: skip
    fig, ax = _axes(ax, (4.5, 4.0))
    image = ax.imshow(table, cmap="viridis")
    fig.colorbar(image, ax=ax, label="mean spikes")
    names = class_names if class_names is not None else list(range(classes))
    ax.set_xticks(range(classes), names)
    ax.set_yticks(range(classes), names)
    ax.set_xlabel("output neuron")
    ax.set_ylabel("true class")
    ax.set_title(title)
    return fig


def firing_rates(rates: dict, ax=None, title: str = "Firing rate per layer"):
    """A bar per layer: its mean spikes per neuron and step (``SpikeMonitor.firing_rates()``)."""
    fig, ax = _axes(ax, (5.0, 3.0))
    names = list(rates)
    ax.bar(range(len(names)), [rates[n] for n in names], color="tab:blue")
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("spikes per neuron and step")
    ax.set_title(title)
    return fig
