"""Pictures of :func:`abinitio.inspect.gradient_flow`: the gradient norm of each layer,
input to output, on a logarithmic axis (a vanishing gradient is a straight falling line),
beside the spread of each activation layer's output.

Like :mod:`abinitio.viz.plots`, matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

from abinitio.viz.plots import _new_figure, _text
from abinitio.viz.report import Section, _table


def _as_dict(flows) -> dict:
    return flows if isinstance(flows, dict) else {"model": flows}


def _draw(ax, series: dict, ylabel: str, title: str) -> None:
    for name, values in series.items():
        xs = list(range(1, len(values) + 1))
        positive = [(x, v) for x, v in zip(xs, values) if v > 0]  # a log axis skips zeros
        if positive:
            ax.plot(*zip(*positive), marker="o" if len(xs) <= 40 else None, ms=3, label=_text(name))
    ax.set_yscale("log")
    ax.xaxis.get_major_locator().set_params(integer=True)  # layers are whole numbers
    ax.set(ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)


def gradient_flow_figure(flows, title: str = ""):
    """Two panels: |dL/dW| per weight layer, and the standard deviation of each activation
    layer's output, both from input (left) to output (right), log scale.

    Args:
        flows: a :class:`~abinitio.inspect.GradientFlow`, or name -> GradientFlow to
            compare several networks on the same axes.
        title: the figure's title.

    Returns:
        A matplotlib Figure.

    Example:
        >>> import abinitio as ab
        >>> from abinitio import nn
        >>> from abinitio.inspect import gradient_flow
        >>> model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))
        >>> flow = gradient_flow(model, lambda m: m(ab.randn(8, 2)).square().mean())
        >>> len(gradient_flow_figure({"tanh": flow}).axes)
        2
    """
    flows = _as_dict(flows)
    fig = _new_figure(10.0, 3.8)
    grads, spreads = fig.subplots(1, 2)
    _draw(grads, {n: f.grad_norms for n, f in flows.items()}, "|dL/dW|", "gradient norm per layer")
    grads.set_xlabel("weight layer (input \u2192 output)")
    stds = {n: [a.std for a in f.activations] for n, f in flows.items()}
    _draw(spreads, stds, "std of output", "activations")
    spreads.set_xlabel("activation layer (input \u2192 output)")
    if title:
        fig.suptitle(_text(title))
    return fig


def gradient_flow_section(flows, title: str = "Gradient flow") -> Section:
    """A report :class:`~abinitio.viz.report.Section`: the figure and, per network, the
    first and last layers' gradient norms and the largest share of dead units.

    Example:
        >>> from abinitio.inspect import GradientFlow, LayerGradient
        >>> flow = GradientFlow(0.5, [LayerGradient("fc", (2, 2), 0.1, 1.0)])
        >>> gradient_flow_section(flow).title
        'Gradient flow'
    """
    flows = _as_dict(flows)
    rows = []
    for name, flow in flows.items():
        norms = flow.grad_norms or [float("nan")]
        dead = max([a.dead_fraction for a in flow.activations], default=0.0)
        rows.append([name, f"{norms[0]:.3e}", f"{norms[-1]:.3e}", f"{dead:.0%}"])
    header = ["network", "first layer |dL/dW|", "last layer |dL/dW|", "most dead units"]
    note = ("<p>Gradient norms of each weight layer for one batch, input to output. A line "
            "falling steeply to the left is a vanishing gradient.</p>")  # fmt: skip
    table = _table(rows, header=header)
    alt = "Gradient norm per layer and activation spread per layer, log scale"
    return Section(title, html=note + table, figure=gradient_flow_figure(flows), alt=alt)
