"""Pictures: the autograd graph (``draw_graph``), matplotlib figures of a training run
(``plots``) and a self-contained HTML report.

Importing this package does not import matplotlib; the plotting functions do, when called.
"""

from abinitio.viz.gradients import gradient_flow_figure, gradient_flow_section
from abinitio.viz.graph import draw_graph, to_dot
from abinitio.viz.plots import (
    confusion_matrix,
    decision_boundary,
    figure_to_png,
    heatmap,
    line_plot,
    misclassified_grid,
    training_curves,
)
from abinitio.viz.report import Section, render_report, write_report

__all__ = [name for name in dir() if not name.startswith("_")]
