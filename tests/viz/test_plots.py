"""abinitio.viz.plots: every function returns a Figure for the inputs a training run produces."""

import subprocess
import sys

import numpy as np
import pytest
from helpers import require

require("matplotlib")

from matplotlib.figure import Figure  # noqa: E402

from abinitio.training import History  # noqa: E402
from abinitio.viz import plots  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _history(epochs=4, validation=True, accuracy=True):
    records = []
    for epoch in range(1, epochs + 1):
        record = {"epoch": epoch, "train_loss": 1.0 / epoch, "lr": 0.1, "seconds": 0.5}
        if accuracy:
            record["train_accuracy"] = 1 - 0.5 / epoch
        if validation:
            record["val_loss"] = 1.2 / epoch
        if validation and accuracy:
            record["val_accuracy"] = 1 - 0.6 / epoch
        records.append(record)
    return records


def _line_labels(ax):
    return [line.get_label() for line in ax.get_lines()]


def test_importing_viz_does_not_import_matplotlib():
    code = "import sys, abinitio, abinitio.viz; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("validation", [True, False])
def test_training_curves_has_loss_and_accuracy_panels(validation):
    fig = plots.training_curves(_history(validation=validation))
    assert isinstance(fig, Figure)
    loss, accuracy = fig.axes
    expected = ["train", "validation"] if validation else ["train"]
    assert _line_labels(loss) == expected and _line_labels(accuracy) == expected
    assert loss.get_xlabel() == "epoch" and loss.get_ylabel() == "loss"
    assert accuracy.get_legend() is not None


def test_training_curves_loss_only_history_object_and_missing_values():
    records = _history(accuracy=False)
    records[1]["val_loss"] = float("nan")
    fig = plots.training_curves(History(records))
    (loss,) = fig.axes
    validation = loss.get_lines()[1]
    assert list(validation.get_xdata()) == [1, 3, 4]  # the NaN epoch is skipped


def test_training_curves_of_no_epochs_says_so():
    fig = plots.training_curves([])
    assert isinstance(fig, Figure)
    assert "No epochs" in fig.texts[0].get_text()


def test_confusion_matrix_writes_every_count():
    rng = np.random.default_rng(0)
    matrix = rng.integers(0, 50, size=(10, 10))
    names = [f"class {k}" for k in range(10)]
    fig = plots.confusion_matrix(matrix.tolist(), names)
    ax = fig.axes[0]
    assert len(ax.texts) == 100
    assert ax.texts[12].get_text() == str(matrix[1, 2])
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted", "true")


def test_confusion_matrix_rejects_a_non_square_matrix():
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        plots.confusion_matrix(np.zeros((2, 3)))


SHAPES = {
    "images (N, 1, H, W)": (20, 1, 8, 8),
    "images (N, H, W)": (20, 8, 8),
    "images (N, H*W)": (20, 64),
    "RGB images (N, 3, H, W)": (20, 3, 6, 6),
    "signals (N, L)": (20, 40),
    "signals (N, 1, L)": (20, 1, 40),
}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_misclassified_grid_titles_true_then_predicted(shape):
    inputs = np.random.default_rng(0).normal(size=shape)
    targets = np.arange(20) % 3
    predictions = targets.copy()
    predictions[[1, 4, 8]] = [2, 0, 0]
    fig = plots.misclassified_grid(inputs, targets, predictions, ["a", "b", "c"])
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["b \u2192 c", "b \u2192 a", "c \u2192 a"]
    assert fig.get_suptitle() == "3 of 3 misclassified samples"


def test_misclassified_grid_draws_at_most_max_items():
    inputs = np.zeros((50, 28 * 28))
    targets, predictions = np.zeros(50, dtype=int), np.ones(50, dtype=int)
    fig = plots.misclassified_grid(inputs, targets, predictions, max_items=16)
    assert len([ax for ax in fig.axes if ax.get_title()]) == 16
    assert fig.get_suptitle() == "16 of 50 misclassified samples"


def test_misclassified_grid_with_nothing_wrong_says_so():
    targets = np.arange(10) % 2
    fig = plots.misclassified_grid(np.zeros((10, 40)), targets, targets)
    assert "No misclassified" in fig.texts[0].get_text()


def test_misclassified_points_are_one_scatter_with_the_errors_ringed():
    points = np.random.default_rng(0).normal(size=(30, 2))
    targets = (points[:, 0] > 0).astype(int)
    predictions = targets.copy()
    predictions[:5] = 1 - predictions[:5]
    fig = plots.misclassified_grid(points, targets, predictions, ["left", "right"])
    (ax,) = fig.axes
    assert ax.get_title() == "5 of 30 points misclassified"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["left", "right", "misclassified"]


def test_misclassified_grid_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match=r"\(4, 3, 3\)"):
        plots.misclassified_grid(np.zeros((4, 40)), np.zeros(3), np.zeros(3))


def test_decision_boundary_asks_for_float32_points_over_the_data():
    x = np.array([[-2.0, -1.0], [2.0, 1.0], [0.5, 0.0]])
    y = np.array([0, 1, 1])
    seen = []

    def predict(points):
        seen.append(points)
        return (points[:, 0] > 0).astype(np.int64)

    fig = plots.decision_boundary(predict, x, y, resolution=30, class_names=["neg", "pos"])
    (points,) = seen
    assert points.shape == (900, 2) and points.dtype == np.float32
    assert points[:, 0].min() < -2.0 and points[:, 0].max() > 2.0  # a margin on each side
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["neg", "pos"]
    assert len(ax.get_images()) == 1


def test_decision_boundary_accepts_scores():
    x = np.random.default_rng(0).normal(size=(20, 2))
    y = np.arange(20) % 3
    fig = plots.decision_boundary(lambda p: np.stack([p[:, 0], p[:, 1], -p[:, 0]], 1), x, y, 10)
    assert fig.axes[0].get_images()[0].get_array().max() <= 2


def test_heatmap_and_line_plot():
    fig = plots.heatmap(np.eye(3), ["a", "b", "c"], ["x", "y", "z"], title="attention")
    assert fig.axes[0].get_title() == "attention"
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b", "c"]
    series = {"fc1": [1.0, 0.1, 0.01], "fc2": [0.5, 0.2, 0.1]}
    fig = plots.line_plot(series, "step", "gradient norm", "gradient flow", log_y=True)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and _line_labels(ax) == ["fc1", "fc2"]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == (
        "step",
        "gradient norm",
        "gradient flow",
    )


def test_dollar_signs_in_labels_are_text_not_maths():
    fig = plots.confusion_matrix([[1, 0], [0, 1]], ["$x$", "cost $5 or $6"])
    assert plots.figure_to_png(fig).startswith(PNG_SIGNATURE)


def test_figure_to_png_returns_png_bytes_and_closes_pyplot_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 2))
    fig.subplots().plot([1, 2, 3])
    png = plots.figure_to_png(fig)
    assert png.startswith(PNG_SIGNATURE)
    assert fig.number not in plt.get_fignums()
    assert plots.figure_to_png(plots.line_plot({"a": [1, 2]})).startswith(PNG_SIGNATURE)
