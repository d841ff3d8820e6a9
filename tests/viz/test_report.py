"""abinitio.viz.report: one self-contained, escaped HTML file, written atomically."""

import base64
import os
import stat
from html.parser import HTMLParser

import numpy as np
import pytest
from helpers import require

require("matplotlib")

from abinitio.viz import Section, figure_to_png, line_plot, write_report  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLASS_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "<b>"]
STANDARD = ["Training curves", "Test metrics", "Confusion matrix", "Misclassified samples"]


class Page(HTMLParser):
    """What a test needs to know about a page: its tags, headings, images and text."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.images, self.headings, self.data = [], [], {}, []
        self._open = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs))
        self._open = tag if tag in ("title", "h1", "h2") else None

    def handle_data(self, data):
        self.data.append(data)
        if self._open:
            self.headings.setdefault(self._open, []).append(data)

    def handle_endtag(self, tag):
        self._open = None


def _ten_class_run(rng, samples=300):
    targets = rng.integers(0, 10, size=samples)
    predictions = np.where(rng.random(samples) < 0.85, targets, rng.integers(0, 10, size=samples))
    matrix = np.zeros((10, 10), dtype=int)
    np.add.at(matrix, (targets, predictions), 1)
    precision = np.diag(matrix) / np.maximum(matrix.sum(0), 1)
    recall = np.diag(matrix) / np.maximum(matrix.sum(1), 1)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    metrics = {
        "accuracy": float((targets == predictions).mean()),
        "loss": 0.41,
        "confusion_matrix": matrix.tolist(),
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "f1": f1.tolist(),
        "support": matrix.sum(1).tolist(),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
    }
    images = rng.random((samples, 1, 28, 28)).astype(np.float32)
    return metrics, (images, targets, predictions)


def _history(epochs=20):
    records = []
    for e in range(1, epochs + 1):
        losses = {"train_loss": 2 / e, "val_loss": 2.2 / e}
        accuracies = {"train_accuracy": 1 - 1 / (e + 1), "val_accuracy": 1 - 1.2 / (e + 1)}
        records.append({"epoch": e, **losses, **accuracies, "lr": 0.01, "seconds": 1.5})
    return records


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A full 10-class run with every section, written once for the tests below."""
    rng = np.random.default_rng(0)
    metrics, misclassified = _ten_class_run(rng)
    summary = {"model": "MLP <784-10>", "dataset": "mnist", "epochs": 20, "parameters": 7850}
    extra = [
        Section("Generated text", text="once upon a <time> & place"),
        Section("Gradient flow", figure=line_plot({"fc": [1.0, 0.5]}), html="<p>norms</p>"),
    ]
    path = tmp_path_factory.mktemp("run") / "report.html"
    returned = write_report(
        path,
        title="MNIST <MLP> run",
        summary=summary,
        history=_history(),
        test_metrics=metrics,
        class_names=CLASS_NAMES,
        misclassified=misclassified,
        extra_sections=extra,
    )
    assert returned == path
    text = path.read_text(encoding="utf-8")
    return path, text, Page(text)


def test_title_and_every_section_heading(report):
    _, _, page = report
    assert page.headings["title"] == ["MNIST <MLP> run"]
    assert page.headings["h1"] == ["MNIST <MLP> run"]
    assert page.headings["h2"] == [*STANDARD, "Generated text", "Gradient flow"]


def test_every_image_is_an_inline_png_with_alt_text(report):
    _, _, page = report
    assert len(page.images) == 4  # curves, confusion matrix, misclassified grid, gradient flow
    for image in page.images:
        prefix = "data:image/png;base64,"
        assert image["src"].startswith(prefix)
        assert base64.b64decode(image["src"][len(prefix) :]).startswith(PNG_SIGNATURE)
        assert image["alt"].strip()


def test_page_is_self_contained(report):
    _, text, page = report
    assert "http://" not in text and "https://" not in text
    assert not {"script", "link", "iframe"} & set(page.tags)


def test_user_strings_are_escaped(report):
    _, text, page = report
    assert "b" not in page.tags  # the class name "<b>" is text, not a tag
    assert "&lt;b&gt;" in text and "MLP &lt;784-10&gt;" in text
    assert "<b>" in page.data and "once upon a <time> & place" in page.data


def test_tables_hold_the_summary_and_the_metrics(report):
    _, _, page = report
    for cell in ["parameters", "7,850", "macro F1", "0.4100", "precision", "support", "<b>"]:
        assert cell in page.data, cell
    assert "val accuracy" in page.data  # the per-epoch table's header


def test_ten_class_report_stays_small(report):
    path, _, _ = report
    assert os.path.getsize(path) < 1.5e6
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o044  # readable by others, unlike mkstemp's


def test_sections_without_data_are_left_out_and_decision_boundary_is_drawn(tmp_path):
    x = np.random.default_rng(0).normal(size=(40, 2))
    y = (x[:, 0] > 0).astype(int)
    boundary = (lambda p: (p[:, 0] > 0).astype(int), x, y)
    path = tmp_path / "report.html"
    write_report(path, title="moons", summary={}, history=[], decision_boundary=boundary)
    page = Page(path.read_text(encoding="utf-8"))
    assert page.headings["h2"] == ["Training curves", "Decision boundary"]
    assert "No epochs recorded." in page.data
    assert len(page.images) == 1


def test_section_figure_may_be_png_bytes_but_not_other_bytes(tmp_path):
    png = figure_to_png(line_plot({"loss": [1.0, 0.5]}))
    path = tmp_path / "report.html"
    write_report(path, title="t", summary={}, history=[], extra_sections=[Section("P", figure=png)])
    assert Page(path.read_text(encoding="utf-8")).images[0]["alt"] == "P"
    bad = Section("P", figure=b"GIF89a")
    with pytest.raises(ValueError, match="PNG"):
        write_report(path, title="t", summary={}, history=[], extra_sections=[bad])


def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "report.html"
    path.write_text("the previous report")

    def failing_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_report(path, title="t", summary={"epochs": 1}, history=[])
    assert os.listdir(tmp_path) == ["report.html"]  # no temporary file left behind
    assert path.read_text() == "the previous report"  # and no half-written report
