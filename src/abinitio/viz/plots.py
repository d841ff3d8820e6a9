"""Figures of a training run: curves, confusion matrices, misclassified samples, boundaries.

Each function takes plain data (lists, dicts, arrays, Tensors) and returns a matplotlib
``Figure``, never calling ``plt.show``. Matplotlib is imported only inside the functions, and
figures are made with ``Figure(...)``, not ``pyplot``: they draw headless (PNG goes through
Agg), leave the user's backend alone and are not held in pyplot's list of open figures.
"""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _text(value) -> str:
    # NOTE: a "$" pair in a label starts matplotlib's maths mode; labels here are plain text
    return str(value).replace("$", r"\$")


def _name(index, class_names) -> str:
    if class_names is not None and 0 <= int(index) < len(class_names):
        return _text(class_names[int(index)])
    return str(int(index))


def _class_colors(count: int) -> list:
    from matplotlib import colormaps

    palette = colormaps["tab10" if count <= 10 else "tab20"]
    return [palette(i % palette.N) for i in range(count)]


def _message_figure(message: str) -> Figure:
    fig = _new_figure(5.0, 1.5)
    fig.text(0.5, 0.5, message, ha="center", va="center", fontsize=11)
    return fig


def _epoch_series(records: list, name: str) -> tuple[list, list]:
    rows = [(r.get("epoch", i + 1), r.get(name)) for i, r in enumerate(records)]
    rows = [(epoch, value) for epoch, value in rows if value is not None and math.isfinite(value)]
    return [epoch for epoch, _ in rows], [value for _, value in rows]


def _plot_pair(ax, records: list, metric: str) -> None:
    for split, style, label in (("train", "-", "train"), ("val", "--", "validation")):
        xs, ys = _epoch_series(records, f"{split}_{metric}")
        if xs:
            ax.plot(xs, ys, style, marker="o" if len(xs) <= 30 else None, ms=3, label=label)
    ax.set(xlabel="epoch", ylabel=metric, title=metric)
    ax.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole numbers
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()


def training_curves(history) -> Figure:
    """Loss and accuracy per epoch, training and validation, in two side-by-side panels.

    Args:
        history: a list of per-epoch dicts such as ``{"epoch": 1, "train_loss": 0.4,
            "val_loss": 0.5, "train_accuracy": 0.8, "val_accuracy": 0.7}``, or a
            :class:`~abinitio.training.History`. Missing or non-finite values are skipped;
            the accuracy panel appears only when some record has an accuracy.

    Returns:
        A matplotlib Figure.

    Example:
        >>> history = [{"epoch": 1, "train_loss": 0.9}, {"epoch": 2, "train_loss": 0.5}]
        >>> len(training_curves(history).axes)
        1
    """
    records = list(getattr(history, "epochs", history))
    if not records:
        return _message_figure("No epochs recorded.")
    has_accuracy = any("train_accuracy" in r or "val_accuracy" in r for r in records)
    metrics = ["loss", "accuracy"] if has_accuracy else ["loss"]
    fig = _new_figure(4.5 * len(metrics), 3.2)
    for ax, metric in zip(fig.subplots(1, len(metrics), squeeze=False)[0], metrics):
        _plot_pair(ax, records, metric)
    return fig


def _draw_matrix(ax, matrix: np.ndarray, cmap: str, annotate: bool):
    """imshow the matrix and, if ``annotate``, write each value in its cell."""
    image = ax.imshow(matrix, cmap=cmap)
    fmt = "d" if matrix.dtype.kind in "iu" else ".2g"
    for (i, j), value in np.ndenumerate(matrix if annotate else []):
        red, green, blue, _ = image.cmap(image.norm(value))
        # dark text on light cells, light text on dark ones (perceived luminance)
        color = "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"
        ax.text(j, i, format(value, fmt), ha="center", va="center", color=color, fontsize=8)
    return image


def _set_tick_labels(ax, row_labels, col_labels) -> None:
    if col_labels is not None:
        ax.set_xticks(range(len(col_labels)), [_text(c) for c in col_labels])
        rotate = max((len(str(c)) for c in col_labels), default=0) > 3
        ax.tick_params(axis="x", labelrotation=45 if rotate else 0)
    if row_labels is not None:
        ax.set_yticks(range(len(row_labels)), [_text(r) for r in row_labels])


def confusion_matrix(matrix, class_names: Sequence[str] | None = None) -> Figure:
    """The confusion matrix as an annotated heat map: row i = true class, column j = predicted.

    Args:
        matrix: (K, K) counts, ``C[i][j]`` = samples of class i predicted as j (a list of lists
            as in ``classification_report(...)["confusion_matrix"]``, or an array).
        class_names: K names for the axes; the class indices when omitted.

    Returns:
        A matplotlib Figure (counts written in each cell when K <= 30).

    Example:
        >>> confusion_matrix([[5, 1], [0, 4]], ["cat", "dog"]).axes[0].get_xlabel()
        'predicted'
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"confusion_matrix: expected a square (K, K) matrix, got {matrix.shape}")
    count = matrix.shape[0]
    names = list(class_names) if class_names is not None else list(range(count))
    size = min(max(3.5, 0.45 * count + 2.0), 12.0)
    fig = _new_figure(size, size)
    ax = fig.subplots()
    image = _draw_matrix(ax, matrix, "Blues", annotate=count <= 30)
    if count > 30:  # no counts in the cells: a colour bar gives the scale instead
        fig.colorbar(image, ax=ax, shrink=0.8)
    _set_tick_labels(ax, names, names)
    ax.set(xlabel="predicted", ylabel="true", title="confusion matrix")
    return fig


def heatmap(matrix, row_labels=None, col_labels=None, title: str = "") -> Figure:
    """A general heat map with a colour bar (attention weights, correlations, ...).

    Args:
        matrix: a 2-D array of numbers.
        row_labels, col_labels: optional tick labels for the rows and columns.
        title: the axes title.

    Returns:
        A matplotlib Figure (values written in each cell when the matrix is at most 12 x 12).

    Example:
        >>> fig = heatmap([[0.9, 0.1], [0.3, 0.7]], ["a", "b"], ["x", "y"], "attention")
        >>> fig.axes[0].get_title()
        'attention'
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"heatmap: expected a 2-D matrix, got shape {matrix.shape}")
    rows, cols = matrix.shape
    fig = _new_figure(min(max(3.5, 0.4 * cols + 1.8), 12.0), min(max(3.0, 0.4 * rows + 1.2), 12.0))
    ax = fig.subplots()
    image = _draw_matrix(ax, matrix, "viridis", annotate=max(rows, cols) <= 12)
    fig.colorbar(image, ax=ax, shrink=0.8)
    _set_tick_labels(ax, row_labels, col_labels)
    ax.set_title(_text(title))
    return fig


def line_plot(
    series: dict, xlabel: str = "", ylabel: str = "", title: str = "", log_y: bool = False, x=None
) -> Figure:
    """Several named series on one set of axes, e.g. gradient norms per layer per step.

    Args:
        series: name -> values; each series is drawn against 1, 2, 3, ... (or against ``x``).
        xlabel, ylabel, title: axis labels and title.
        log_y: use a logarithmic y axis (non-positive values are then not drawn).
        x: shared x values for every series, when the steps are not 1, 2, 3, ...

    Returns:
        A matplotlib Figure.

    Example:
        >>> figure_to_png(line_plot({"fc1": [1.0, 0.5], "fc2": [0.2, 0.1]}, "step", "norm"))[:4]
        b'\\x89PNG'
    """
    fig = _new_figure(6.0, 3.5)
    ax = fig.subplots()
    for name, values in series.items():
        values = np.asarray(values, dtype=float)
        xs = np.arange(1, len(values) + 1) if x is None else np.asarray(x)[: len(values)]
        ax.plot(xs, values, marker="o" if len(values) <= 30 else None, ms=3, label=_text(name))
    if log_y:
        ax.set_yscale("log")
    ax.set(xlabel=_text(xlabel), ylabel=_text(ylabel), title=_text(title))
    ax.grid(alpha=0.3)
    if series:
        ax.legend(fontsize=8)
    return fig


def _sample_kind(inputs: np.ndarray) -> str:
    """ "image", "signal" or "points", guessed from the shape of a batch of inputs."""
    if inputs.ndim == 4:
        return "image"
    if inputs.ndim == 3:
        return "signal" if inputs.shape[1] == 1 else "image"
    if inputs.ndim == 2:
        if inputs.shape[1] == 2:
            return "points"
        side = math.isqrt(inputs.shape[1])
        return "image" if side >= 4 and side * side == inputs.shape[1] else "signal"
    raise ValueError(f"misclassified_grid: expected 2-D, 3-D or 4-D inputs, got {inputs.shape}")


def _as_image(sample: np.ndarray) -> np.ndarray:
    if sample.ndim == 1:
        return sample.reshape(math.isqrt(sample.size), -1)
    if sample.ndim == 3 and sample.shape[0] == 3:
        rgb = np.moveaxis(sample, 0, -1).astype(float)
        return (rgb - rgb.min()) / max(float(rgb.max() - rgb.min()), 1e-12)
    return sample[0] if sample.ndim == 3 else sample


def _draw_sample(ax, sample: np.ndarray, kind: str) -> None:
    if kind == "image":
        ax.imshow(_as_image(sample), cmap="gray")
        ax.axis("off")
        return
    for channel in sample.reshape(-1, sample.shape[-1]):
        ax.plot(channel, lw=1.0)
    ax.tick_params(labelsize=6)
    ax.grid(alpha=0.3)


def _sample_grid(inputs, targets, predictions, wrong, class_names, kind: str) -> Figure:
    count = len(wrong)
    cols = math.ceil(math.sqrt(count)) if kind == "image" else min(count, 4)
    rows = math.ceil(count / cols)
    width, height = (1.8, 1.8) if kind == "image" else (2.6, 1.7)
    fig = _new_figure(max(cols * width, 3.0), rows * height + 0.4)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, index in zip(axes, wrong):
        _draw_sample(ax, inputs[index], kind)
        true, predicted = _name(targets[index], class_names), _name(predictions[index], class_names)
        ax.set_title(f"{true} \u2192 {predicted}", fontsize=9, color="#b22222")
    for ax in axes[count:]:
        ax.axis("off")
    return fig


def _scatter_classes(ax, points, labels, colors, class_names, **style) -> None:
    for k, color in enumerate(colors):
        mask = labels == k
        ax.scatter(*points[mask].T, color=color, label=_name(k, class_names), **style)


def _misclassified_points(points, targets, wrong, class_names) -> Figure:
    fig = _new_figure(5.0, 4.2)
    ax = fig.subplots()
    colors = _class_colors(int(targets.max()) + 1)
    _scatter_classes(ax, points, targets, colors, class_names, s=10, alpha=0.6)
    ring = {"s": 60, "facecolors": "none", "edgecolors": "red", "lw": 1.2}
    ax.scatter(points[wrong, 0], points[wrong, 1], label="misclassified", **ring)
    ax.set_title(f"{len(wrong)} of {len(points)} points misclassified")
    ax.legend(fontsize=8)
    return fig


def misclassified_grid(
    inputs, targets, predictions, class_names=None, max_items: int = 16, *, kind: str | None = None
) -> Figure:
    """The samples the model got wrong, each titled "true → predicted".

    Images are drawn in grey (RGB with 3 channels), 1-D signals as line plots, and 2-D points
    as one scatter plot coloured by true class with the misclassified ones ringed in red.

    Args:
        inputs: (N, C, H, W), (N, H, W) or (N, H*W) with a square H*W: images; (N, L) or
            (N, 1, L): signals; (N, 2): points.
        targets, predictions: (N,) true and predicted class indices.
        class_names: names for the titles; the class indices when omitted.
        max_items: at most this many samples are drawn (the first ones, in order).
        kind: "image", "signal" or "points" to override the guess from the shape.

    Returns:
        A matplotlib Figure; a figure saying so when nothing was misclassified.

    Example:
        >>> x, t = np.zeros((3, 40)), np.array([0, 1, 2])
        >>> len(misclassified_grid(x, t, np.array([0, 2, 1])).axes)
        2
    """
    inputs = np.asarray(inputs)
    targets = np.asarray(targets).reshape(-1).astype(np.int64)
    predictions = np.asarray(predictions).reshape(-1).astype(np.int64)
    if not len(inputs) == len(targets) == len(predictions):
        lengths = (len(inputs), len(targets), len(predictions))
        raise ValueError(f"misclassified_grid: inputs, targets, predictions lengths {lengths}")
    kind = kind or _sample_kind(inputs)
    wrong = np.flatnonzero(targets != predictions)
    if kind == "points" and len(inputs):
        return _misclassified_points(inputs, targets, wrong, class_names)
    if len(wrong) == 0:
        return _message_figure("No misclassified samples: every prediction was correct.")
    fig = _sample_grid(inputs, targets, predictions, wrong[:max_items], class_names, kind)
    fig.suptitle(f"{min(len(wrong), max_items)} of {len(wrong)} misclassified samples")
    return fig


def _predict_grid(predict_fn, x: np.ndarray, resolution: int) -> tuple[np.ndarray, tuple]:
    """Classes predicted on a resolution x resolution grid over x (10% margin), and its extent."""
    low, high = x.min(axis=0), x.max(axis=0)
    margin = np.where(high > low, 0.1 * (high - low), 1.0)
    gx, gy = (np.linspace(low[d] - margin[d], high[d] + margin[d], resolution) for d in (0, 1))
    xx, yy = np.meshgrid(gx, gy)
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)
    regions = np.asarray(predict_fn(grid))
    regions = regions.argmax(axis=1) if regions.ndim == 2 else regions  # scores -> classes
    regions = regions.reshape(resolution, resolution).astype(np.int64)
    return regions, (gx[0], gx[-1], gy[0], gy[-1])


def _draw_regions(ax, regions: np.ndarray, extent: tuple, colors: list) -> None:
    from matplotlib.colors import ListedColormap

    style = {"origin": "lower", "interpolation": "nearest", "aspect": "auto", "alpha": 0.35}
    bounds = {"vmin": -0.5, "vmax": len(colors) - 0.5}
    ax.imshow(regions, cmap=ListedColormap(colors), extent=extent, **bounds, **style)


def decision_boundary(
    predict_fn: Callable, x, y, resolution: int = 200, *, class_names=None
) -> Figure:
    """The regions a 2-D classifier assigns to each class, with the data points on top.

    Args:
        predict_fn: maps an (M, 2) float32 array to (M,) class indices (an (M, K) array of
            scores is also accepted: its arg-max is taken).
        x: (N, 2) points; the grid covers them with a 10% margin on each side.
        y: (N,) class indices, for the colours of the points.
        resolution: grid points per axis (``predict_fn`` sees resolution**2 points at once).
        class_names: legend names; the class indices when omitted.

    Returns:
        A matplotlib Figure.

    Example:
        >>> x, y = np.array([[-1.0, 0.0], [1.0, 0.0]]), np.array([0, 1])
        >>> fig = decision_boundary(lambda p: (p[:, 0] > 0).astype(int), x, y, resolution=20)
        >>> fig.axes[0].get_title()
        'decision boundary'
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y).reshape(-1).astype(np.int64)
    if x.ndim != 2 or x.shape[1] != 2 or len(x) != len(y) or len(x) == 0:
        raise ValueError(f"decision_boundary: need x (N, 2) and y (N,), got {x.shape}, {y.shape}")
    regions, extent = _predict_grid(predict_fn, x, resolution)
    colors = _class_colors(int(max(y.max(), regions.max())) + 1)
    fig = _new_figure(5.0, 4.2)
    ax = fig.subplots()
    _draw_regions(ax, regions, extent, colors)
    _scatter_classes(ax, x, y, colors, class_names, s=14, edgecolors="white", lw=0.4)
    ax.set_title("decision boundary")
    if len(colors) <= 10:
        ax.legend(fontsize=8)
    return fig


def figure_to_png(fig, dpi: int = 100) -> bytes:
    """Render a figure as PNG bytes and close it.

    Args:
        fig: a matplotlib Figure.
        dpi: dots per inch; 100 keeps a report's images small and sharp enough on screen.

    Returns:
        The PNG file's bytes.

    Example:
        >>> figure_to_png(heatmap([[1.0, 2.0]]))[:4]
        b'\\x89PNG'
    """
    buffer = io.BytesIO()
    # no "Software" text chunk: the same figure gives the same bytes, and a few bytes fewer
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)  # a figure made with pyplot stays in its registry until closed
    return buffer.getvalue()
