"""``abinitio train --model snn|csnn``: a run directory with spiking sections in its
report, evaluate and predict on it, and bad options refused with exit code 2."""

import json

import numpy as np
import pytest

from abinitio.cli import main


def test_train_snn_writes_a_run_with_spiking_report(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--model", "snn", "--epochs", "2", "--time-steps", "10",
                 "--out", str(out), "--no-progress"])  # fmt: skip
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.5  # two epochs of 1,438 digits
    config = (out / "config.toml").read_text()
    for line in ('time_steps = 10', 'encoding = "rate"', 'beta = 0.9',
                 'surrogate = "fast_sigmoid"'):  # fmt: skip
        assert line in config
    report = (out / "report.html").read_text()
    for title in ("Spike rasters of a test sample", "Membrane traces", "Spike counts per class",
                  "Firing rate per layer"):  # fmt: skip
        assert title in report
    assert main(["evaluate", str(out)]) == 0
    sample = tmp_path / "x.npy"
    np.save(sample, np.zeros((1, 8, 8), np.float32))
    assert main(["predict", str(out), str(sample)]) == 0
    assert "probability" in capsys.readouterr().out


def test_train_csnn_with_latency_code(tmp_path):
    out = tmp_path / "conv"
    code = main(["train", "--model", "csnn", "--epochs", "1", "--time-steps", "4",
                 "--encoding", "latency", "--out", str(out), "--no-progress"])  # fmt: skip
    assert code == 0
    assert 'surrogate = "atan"' in (out / "config.toml").read_text()
    assert "Firing rate per layer" in (out / "report.html").read_text()


def test_train_snn_on_mnist1d_uses_the_direct_code(tmp_path):
    out = tmp_path / "signals"
    code = main(["train", "--model", "snn", "--dataset", "mnist1d", "--epochs", "1",
                 "--time-steps", "5", "--out", str(out), "--no-progress"])  # fmt: skip
    assert code == 0
    assert 'encoding = "direct"' in (out / "config.toml").read_text()
    assert "Spike rasters of a test sample" in (out / "report.html").read_text()


@pytest.mark.parametrize("options,message", [
    (["--beta", "1.5"], "--beta must be in [0, 1], got 1.5"),
    (["--time-steps", "0"], "--time-steps must be a positive integer, got 0"),
    (["--encoding", "poisson"], "--encoding must be one of rate, latency, direct, got 'poisson'"),
    (["--surrogate", "relu"], "--surrogate must be one of fast_sigmoid"),
    (["--dataset", "moons"], "--model snn supports --dataset digits or mnist1d, not moons"),
    (["--dropout", "0.2"], "--model snn has no dropout"),
])  # fmt: skip
def test_bad_snn_options_exit_2(tmp_path, capsys, options, message):
    code = main(["train", "--model", "snn", "--epochs", "1", "--out", str(tmp_path / "r"),
                 "--no-progress", *options])  # fmt: skip
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r" / "model.safetensors").exists()
