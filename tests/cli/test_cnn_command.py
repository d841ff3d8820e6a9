"""``abinitio train --model cnn|resnet``: the MNIST-1D ConvBase recipe, the ResNet, the default
model per data set, the gradient-flow section of the report, and refusals."""

import json

import pytest

from abinitio.cli import main
from abinitio.cli.train import resolve_config


def test_mnist1d_cnn_recipe_reaches_90_percent(tmp_path):
    """The MNIST-1D repository's ConvBase and recipe (Adam, lr 1e-2, batch 100, 6,000 steps
    in the repository's fixed batch order), with the default seed.

    Measured on a Zen 3: seeds 0-3 gave 95.7, 94.9, 93.2 and 92.6% (mean 94.1%; PyTorch with
    the repository's script 93.3-93.8%). Reshuffling every epoch gave a mean of 93.4% over
    seeds 0-4, which is why this model's recipe keeps the fixed order. The threshold, 90%,
    sits 2.6 points below the worst seed (it was 93%, above seeds 2 and 3).
    """
    out = tmp_path / "mnist1d-cnn"
    argv = ["train", "--dataset", "mnist1d", "--model", "cnn", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.90
    assert metrics["parameters"] == 5210
    assert len(metrics["history"]) == 150  # 6,000 steps of batch 100 on 4,000 signals
    config = (out / "config.toml").read_text()
    assert "lr = 0.01" in config and "batch_size = 100" in config and "shuffle = false" in config


def test_resnet_on_digits_trains_evaluates_and_reports_its_gradient_flow(tmp_path, capsys):
    out = tmp_path / "digits-resnet"
    argv = ["train", "--model", "resnet", "--epochs", "3", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.5  # three epochs: learning, not converged
    html = (out / "report.html").read_text()
    assert "Gradient flow" in html and "first layer |dL/dW|" in html
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 0  # rebuilt from config.toml, batch norm in eval
    assert f"{metrics['test_accuracy']:.2%}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "dataset, model",
    [("digits", "cnn"), ("mnist1d", "cnn"), ("moons", "mlp"), ("xor", "mlp"), ("mnist:/x", "cnn")],
)
def test_default_model_is_a_cnn_for_images_and_signals_an_mlp_for_points(dataset, model):
    assert resolve_config({"dataset": dataset}).model == model
    assert resolve_config({"dataset": dataset, "model": "mlp"}).model == "mlp"


def test_digits_cnn_recipe():
    config = resolve_config({})
    assert (config.model, config.epochs, config.lr, config.dropout) == ("cnn", 30, 3e-3, 0.3)
    assert config.val_fraction == 0.1 and config.optimizer == "adam"
    assert resolve_config({"model": "mlp"}).dropout == 0.0


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--dataset", "moons", "--model", "cnn"], "--model cnn needs images (C, H, W); moons"),
        (["--dataset", "xor", "--model", "resnet"], "shape (2,): use --model mlp"),
        (["--dataset", "mnist1d", "--model", "resnet"], "--model resnet needs images"),
        (["--dataset", "mnist1d", "--model", "cnn", "--dropout", "0.2"], "has no dropout"),
    ],
)
def test_convolutional_models_refuse_data_they_cannot_read(arguments, message, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--no-progress", "--out", str(out), *arguments]) == 2
    error = capsys.readouterr().err
    assert error.startswith("abinitio: error:") and message in error
    assert not out.exists(), "no work may start on bad input"
