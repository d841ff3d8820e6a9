"""The HTML report of a training run: one self-contained file with its figures inline.

:func:`write_report` lays out a run's summary, training curves, test metrics, confusion
matrix, misclassified samples and decision boundary, then any :class:`Section` the caller
adds (generated text, attention maps, gradient flow, ...). The page has inline CSS, no
scripts and no links to the network, and every figure is a ``data:image/png;base64`` image,
so the file opens anywhere, offline, and can be archived or mailed as it is. Every string
from the caller is HTML-escaped, except ``Section.html``, which is markup by definition.
"""

from __future__ import annotations

import base64
import html
import math
import numbers
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abinitio._version import __version__
from abinitio.serialization import write_atomically
from abinitio.viz import plots

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_CSS = """
body { margin: 0; background: #f3f4f6; color: #1f2328;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 16px 16px 32px; }
header, section { background: #fff; border: 1px solid #d8dee4; border-radius: 8px;
  padding: 16px 24px; margin: 16px 0; }
h1 { font-size: 1.6em; margin: 0 0 12px; }
h2 { font-size: 1.25em; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 1px solid #eaeef2; }
h3 { font-size: 1.05em; margin: 16px 0 8px; }
nav { margin-top: 12px; font-size: 0.9em; }
nav a { color: #0969da; margin-right: 14px; text-decoration: none; white-space: nowrap; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 4px 0 8px; }
th, td { padding: 4px 14px; border-bottom: 1px solid #eaeef2; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f6f8fa; }
tbody th { color: #57606a; font-weight: 600; }
header td { text-align: left; }
.scroll { overflow-x: auto; }
figure { margin: 8px 0; text-align: center; }
img { max-width: 100%; height: auto; }
pre { background: #f6f8fa; border-radius: 6px; padding: 12px; font-size: 0.9em;
  white-space: pre-wrap; overflow-wrap: anywhere; }
summary { cursor: pointer; color: #57606a; }
footer { color: #6e7781; font-size: 0.85em; text-align: center; }
@media (max-width: 600px) { main { padding: 8px; } header, section { padding: 12px; } }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<main>
{body}
<footer>Written by abinitio {version} on {date}.</footer>
</main>
</body>
</html>
"""

_OVERALL_METRICS = (
    ("accuracy", "accuracy"),
    ("loss", "loss"),
    ("test_loss", "loss"),
    ("macro_precision", "macro precision"),
    ("macro_recall", "macro recall"),
    ("macro_f1", "macro F1"),
)


@dataclass
class Section:
    """One titled part of a report, for content this module does not know about.

    Its parts are drawn in this order: the figure, then the html, then the text.

    Args:
        title: the heading (escaped).
        html: trusted markup inserted as it is (not escaped: escape any user text in it).
        figure: a matplotlib Figure, or PNG bytes, embedded as an inline image.
        text: plain text shown verbatim in a ``<pre>`` block (escaped), e.g. generated samples.
        alt: the image's alt text; the title when omitted.

    Example:
        >>> Section("Samples", text="the cat sat").title
        'Samples'

    See the article docs/articles/learning/training_loop.py.
    """

    title: str
    html: str | None = None
    figure: Any = None
    text: str | None = None
    alt: str | None = None


def _escape(value) -> str:
    return html.escape(str(value), quote=True)


def _format(value) -> str:
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real) and math.isfinite(value):
        return f"{float(value):.4g}"
    return str(value)


def _fixed(value) -> str:
    """Metrics to 4 decimals, so that a column of them lines up."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{float(value):.4f}"
    return str(value)


def _table(rows: list, header: list | None = None) -> str:
    """A table of escaped cells; without a header, the first cell of each row is its label."""
    head = ""
    if header is not None:
        head = "<thead><tr>" + "".join(f"<th>{_escape(h)}</th>" for h in header) + "</tr></thead>"
    lines = []
    for row in rows:
        label = f"<td>{_escape(row[0])}</td>" if header else f"<th>{_escape(row[0])}</th>"
        cells = "".join(f"<td>{_escape(_format(cell))}</td>" for cell in row[1:])
        lines.append(f"<tr>{label}{cells}</tr>")
    return f'<div class="scroll"><table>{head}<tbody>{"".join(lines)}</tbody></table></div>'


def _image(figure, alt: str) -> str:
    png = figure if isinstance(figure, bytes) else plots.figure_to_png(figure)
    if not png.startswith(_PNG_SIGNATURE):
        raise ValueError(f"Section.figure: bytes must be a PNG file, got {png[:8]!r}...")
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{data}" alt="{_escape(alt)}"></figure>'


def _render_section(section: Section, anchor: str) -> str:
    parts = [f'<section id="{anchor}">', f"<h2>{_escape(section.title)}</h2>"]
    if section.figure is not None:
        parts.append(_image(section.figure, section.alt or section.title))
    if section.html:
        parts.append(section.html)
    if section.text is not None:
        parts.append(f"<pre>{_escape(section.text)}</pre>")
    parts.append("</section>")
    return "\n".join(parts)


def _header(title: str, summary: dict, sections: list) -> str:
    rows = [[str(key).replace("_", " "), value] for key, value in summary.items()]
    links = "\n".join(
        f'<a href="#section-{i}">{_escape(s.title)}</a>' for i, s in enumerate(sections, 1)
    )
    table = _table(rows) if rows else ""
    return f"<header>\n<h1>{_escape(title)}</h1>\n{table}\n<nav>{links}</nav>\n</header>"


def _curves_section(history: list) -> Section:
    records = list(getattr(history, "epochs", history))
    names = []
    for record in records:
        names += [name for name in record if name not in names]
    if not records:
        return Section("Training curves", text="No epochs recorded.")
    fixed = {name for name in names if "loss" in name or "accuracy" in name}  # aligned decimals
    rows = [
        [_fixed(r[n]) if n in fixed and n in r else r.get(n, "") for n in names] for r in records
    ]
    table = _table(rows, header=[name.replace("_", " ") for name in names])
    details = f"<details><summary>Numbers per epoch</summary>{table}</details>"
    alt = "Loss and accuracy per epoch, training and validation"
    return Section("Training curves", figure=plots.training_curves(records), html=details, alt=alt)


def _metrics_section(metrics: dict, class_names) -> Section:
    overall = [[label, _fixed(metrics[key])] for key, label in _OVERALL_METRICS if key in metrics]
    parts = [_table(overall)]
    if "precision" in metrics:
        columns = [c for c in ("precision", "recall", "f1", "support") if c in metrics]
        rows = []
        for k in range(len(metrics["precision"])):
            name = class_names[k] if class_names is not None and k < len(class_names) else k
            cells = [metrics[c][k] if c == "support" else _fixed(metrics[c][k]) for c in columns]
            rows.append([name, *cells])
        parts += ["<h3>Per class</h3>", _table(rows, header=["class", *columns])]
    return Section("Test metrics", html="\n".join(parts))


def _standard_sections(history, test_metrics, class_names, misclassified, boundary) -> list:
    sections = [_curves_section(history)]
    if test_metrics:
        sections.append(_metrics_section(test_metrics, class_names))
    if test_metrics and "confusion_matrix" in test_metrics:
        figure = plots.confusion_matrix(test_metrics["confusion_matrix"], class_names)
        alt = "Confusion matrix of the test set: rows are true classes, columns predictions"
        sections.append(Section("Confusion matrix", figure=figure, alt=alt))
    if misclassified is not None:
        figure = plots.misclassified_grid(*misclassified, class_names=class_names)
        note = "<p>Each title reads <em>true class \u2192 predicted class</em>.</p>"
        alt = "Test samples the model misclassified, with true and predicted classes"
        sections.append(Section("Misclassified samples", html=note, figure=figure, alt=alt))
    if boundary is not None:
        predict_fn, x, y = boundary
        figure = plots.decision_boundary(predict_fn, x, y, class_names=class_names)
        alt = "Regions the model assigns to each class, with the data points"
        sections.append(Section("Decision boundary", figure=figure, alt=alt))
    return sections


def render_report(
    *,
    title: str,
    summary: dict,
    history: list,
    test_metrics: dict | None = None,
    class_names=None,
    misclassified: tuple | None = None,
    decision_boundary: tuple | None = None,
    extra_sections=(),
) -> str:
    """The report as an HTML string; :func:`write_report` documents the arguments.

    Example:
        >>> page = render_report(title="demo", summary={"epochs": 0}, history=[])
        >>> page.startswith("<!DOCTYPE html>"), "<h1>demo</h1>" in page
        (True, True)
    """
    sections = _standard_sections(
        history, test_metrics, class_names, misclassified, decision_boundary
    )
    sections += list(extra_sections)
    body = [_header(title, summary, sections)]
    body += [_render_section(s, f"section-{i}") for i, s in enumerate(sections, 1)]
    date = time.strftime("%Y-%m-%d %H:%M")
    return _PAGE.format(
        title=_escape(title), css=_CSS, body="\n".join(body), version=__version__, date=date
    )


def write_report(
    path,
    *,
    title: str,
    summary: dict,
    history: list,
    test_metrics: dict | None = None,
    class_names=None,
    misclassified: tuple | None = None,
    decision_boundary: tuple | None = None,
    extra_sections=(),
):
    """Write a training run's report as one self-contained HTML file.

    Sections appear only when their data is given: the header (title, summary table and
    links to the sections), training curves, test metrics, confusion matrix, misclassified
    samples, decision boundary, then ``extra_sections`` in order.

    Args:
        path: the file to write; it is replaced atomically (temporary file + ``os.replace``).
        title: the page title and heading.
        summary: name -> value rows for the header table (model, dataset, epochs, test
            accuracy, parameters, wall time, ...), shown in the dict's order.
        history: per-epoch dicts (``{"epoch", "train_loss", "val_accuracy", ...}``) or a
            :class:`~abinitio.training.History`.
        test_metrics: a ``classification_report(...)`` dict, optionally with ``"loss"``.
        class_names: names of the classes, for tables and figures; indices when omitted.
        misclassified: ``(inputs, targets, predictions)`` of a test set, for
            :func:`~abinitio.viz.plots.misclassified_grid`.
        decision_boundary: ``(predict_fn, x, y)`` for 2-D data, for
            :func:`~abinitio.viz.plots.decision_boundary`.
        extra_sections: :class:`Section` objects appended after the standard sections.

    Returns:
        ``path``.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "report.html")
        >>> write_report(path, title="demo", summary={}, history=[]) == path
        True
    """
    page = render_report(
        title=title,
        summary=summary,
        history=history,
        test_metrics=test_metrics,
        class_names=class_names,
        misclassified=misclassified,
        decision_boundary=decision_boundary,
        extra_sections=extra_sections,
    )
    write_atomically(path, lambda temporary: Path(temporary).write_text(page, "utf-8"), "report")
    return path
