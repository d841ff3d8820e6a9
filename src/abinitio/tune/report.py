"""The report of a study: one HTML file with Optuna's own matplotlib plots inline.

* optimisation history: every trial's value and the best so far;
* hyperparameter importances: how much of the variation in the objective each
  hyperparameter explains (fANOVA on a random forest fitted to the finished trials);
* parallel coordinates: one line per trial through its hyperparameters, coloured by value;
* slices: the objective against each hyperparameter separately;
* intermediate values: the validation loss per epoch of every trial, pruned ones ending early.
"""

from __future__ import annotations

import warnings

import numpy as np

PLOTS = (
    ("Optimisation history", "plot_optimization_history"),
    ("Hyperparameter importances", "plot_param_importances"),
    ("Parallel coordinates", "plot_parallel_coordinate"),
    ("Slices", "plot_slice"),
    ("Validation loss per epoch (intermediate values)", "plot_intermediate_values"),
)


def study_figures(study) -> list:
    """``(title, matplotlib Figure or None, note)`` for each plot of :data:`PLOTS`; a plot
    Optuna cannot draw yet (too few finished trials) gets ``None`` and the reason."""
    import optuna
    from optuna.visualization import matplotlib as optuna_plots

    figures = []
    for title, name in PLOTS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            try:
                axes = getattr(optuna_plots, name)(study)
            except (ValueError, RuntimeError, ZeroDivisionError) as error:
                figures.append((title, None, f"not drawn: {error}"))
                continue
        figure = np.ravel(axes)[0].figure
        figure.set_size_inches(max(figure.get_size_inches()[0], 8), 4.5)
        figures.append((title, figure, ""))
    return figures


def write_study_report(study, path, summary: dict, title: str = "Hyperparameter study") -> str:
    """Write ``path``: the summary table, a table of the trials, then every plot."""
    import matplotlib.pyplot as plt

    from abinitio.viz.report import Section, write_report

    sections = [Section("Trials", html=_trials_table(study))]
    for name, figure, note in study_figures(study):
        sections.append(Section(name, figure=figure, text=note or None))
        if figure is not None:
            plt.close(figure)
    return write_report(path, title=title, summary=summary, history=[],
                        extra_sections=sections)  # fmt: skip


def _trials_table(study) -> str:
    import html

    names = sorted({name for trial in study.trials for name in trial.params})
    header = ["trial", "state", "value", "epochs", *names]
    rows = []
    for trial in study.trials:
        value = "" if trial.value is None else f"{trial.value:.4f}"
        epochs = str(len(trial.intermediate_values))
        params = [_short(trial.params.get(name, "")) for name in names]
        cells = [str(trial.number), trial.state.name.lower(), value, epochs, *params]
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")  # fmt: skip


def _short(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
