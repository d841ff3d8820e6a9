"""Figures of active learning: learning curves with their spread, and the samples chosen.
matplotlib is imported when a figure is drawn."""

from __future__ import annotations

import numpy as np


def plot_learning_curves(summaries: dict, ax=None, title: str = ""):
    """Mean test accuracy against labels used, one line per strategy, with a band of one
    standard deviation over seeds. ``summaries``: ``{strategy: curve_summary(...)}``.
    Returns the Axes."""
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(7, 4.2), layout="constrained").add_subplot()
    for name, summary in summaries.items():
        labels, mean, std = (np.asarray(summary[k]) for k in ("labels", "mean", "std"))
        style = {"color": "black", "ls": "--"} if name == "random" else {}
        (line,) = ax.plot(labels, mean, lw=1.6, label=name, **style)
        ax.fill_between(labels, mean - std, mean + std, color=line.get_color(), alpha=0.15)
    ax.set_xlabel("labels used")
    ax.set_ylabel("test accuracy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_queried(X, labels, title: str = "", limit: int = 30):
    """The first ``limit`` queried samples (images, or 1-D signals), titled by label."""
    from matplotlib.figure import Figure

    X = np.asarray(X)[:limit]
    cols = 10
    rows = max(1, -(-len(X) // cols))
    image = X.ndim >= 3 or (X.ndim == 2 and int(np.sqrt(X.shape[1])) ** 2 == X.shape[1])
    fig = Figure(figsize=(cols * 0.9, rows * 1.0 + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, sample, label in zip(axes, X, labels):
        if image:
            side = int(np.sqrt(sample.size))
            ax.imshow(sample.reshape(side, side), cmap="gray_r")
        else:
            ax.plot(sample.ravel(), lw=0.8)
        ax.set_title(str(label), fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[len(X) :]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
