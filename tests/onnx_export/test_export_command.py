"""``abinitio export RUN_DIR --format onnx``: a trained run becomes an ONNX file that
onnxruntime runs, for any batch size, with abinitio's outputs."""

import numpy as np
import pytest
from helpers import require

import abinitio as ab
from abinitio.cli import main

ort = require("onnxruntime")


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "moons-mlp"
    argv = ["train", "--dataset", "moons", "--model", "mlp", "--epochs", "1", "--out", str(out)]
    assert main([*argv, "--no-progress"]) == 0
    return out


def test_export_writes_a_model_onnxruntime_runs(mlp_run, capsys):
    assert main(["export", str(mlp_run), "--format", "onnx"]) == 0
    printed = capsys.readouterr().out
    assert "input input (batch, 2) float32" in printed, printed
    assert "onnxruntime's output matches abinitio's within" in printed
    path = str(mlp_run / "model.onnx")
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((7, 2)).astype(np.float32)
    (logits,) = session.run(["logits"], {"input": x})
    from abinitio.cli.train import load_trained_model

    _, _, model = load_trained_model(str(mlp_run))
    with ab.no_grad():
        np.testing.assert_allclose(logits, model(ab.tensor(x)).numpy(), atol=1e-5)


def test_text_run_exports_the_gpt(tmp_path, capsys):
    out = tmp_path / "text"
    tiny = ["--model", "transformer", "--context", "8", "--layers", "1", "--heads", "2",
            "--width", "16", "--batch-size", "4", "--steps-per-epoch", "2",
            "--epochs", "1"]  # fmt: skip
    assert main(["train", "--dataset", "text", *tiny, "--out", str(out), "--no-progress"]) == 0
    target = tmp_path / "gpt.onnx"
    assert main(["export", str(out), "--output", str(target)]) == 0
    assert "input tokens (batch, 8) int64" in capsys.readouterr().out
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {"tokens": np.zeros((3, 8), np.int64)})
    assert logits.shape[:2] == (3, 8)


def test_bad_format_and_missing_run_are_usage_errors(mlp_run, tmp_path, capsys):
    assert main(["export", str(mlp_run), "--format", "tflite"]) == 2
    assert "--format must be one of onnx, got 'tflite'" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "nowhere")]) == 2
    assert "is not a run directory" in capsys.readouterr().err
