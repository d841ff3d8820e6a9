"""``abinitio train --model gru``: the MNIST-1D repository's GRU from the command line.

The full recipe (Adam, lr 1e-2, batch 100, 6,000 steps = 150 epochs) runs here, as the
issue asks: 91.2, 90.8, 91.3, 90.3 and 91.6% test accuracy over seeds 0-4 on an AVX-512
EPYC (90.6% for seed 0 on a Zen 3; PyTorch: 91.3%; the paper: 91%), in about 40 s on a
quiet 2-core machine. The threshold, 88%, sits 2.3 points below the worst seed.
"""

import json

import numpy as np
import pytest

import abinitio as ab
from abinitio.cli import main


@pytest.fixture(scope="module")
def gru_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "mnist1d-gru"
    argv = ["train", "--dataset", "mnist1d", "--model", "gru", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    return out


def test_mnist1d_gru_recipe_reaches_88_percent(gru_run):
    metrics = json.loads((gru_run / "metrics.json").read_text())
    assert metrics["parameters"] == 5134
    assert len(metrics["history"]) == 150  # 6,000 steps of batch 100 on 4,000 signals
    assert metrics["test_accuracy"] >= 0.88
    config = (gru_run / "config.toml").read_text()
    assert 'model = "gru"' in config and "batch_size = 100" in config and "lr = 0.01" in config


def test_gru_run_can_be_evaluated_and_used_for_predictions(gru_run, tmp_path, capsys):
    assert main(["evaluate", str(gru_run)]) == 0
    accuracy = json.loads((gru_run / "metrics.json").read_text())["test_accuracy"]
    assert f"{accuracy:.2%}" in capsys.readouterr().out
    signals = ab.data.datasets.mnist1d().x_test[:3]
    np.save(tmp_path / "signals.npy", signals)
    assert main(["predict", str(gru_run), str(tmp_path / "signals.npy")]) == 0


def test_gru_refuses_data_that_is_not_a_sequence(tmp_path, capsys):
    argv = ["train", "--dataset", "digits", "--model", "gru", "--out", str(tmp_path / "x"),
            "--no-progress"]  # fmt: skip
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "--model gru" in error and "mnist1d" in error and "digits" in error


def test_gru_refuses_dropout(tmp_path, capsys):
    argv = ["train", "--dataset", "mnist1d", "--model", "gru", "--dropout", "0.2", "--out",
            str(tmp_path / "x"), "--no-progress"]  # fmt: skip
    assert main(argv) == 2
    assert "--dropout" in capsys.readouterr().err
