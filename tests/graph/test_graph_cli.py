"""``abinitio train/evaluate/predict`` on graph data sets: the run directory, the report's
graph sections, predictions for node indices and edge flows, and usage errors."""

import json

import numpy as np
import pytest

from abinitio.cli import main


def run(tmp_path, *args):
    return main(["train", *args, "--no-progress", "--out", str(tmp_path / "run")])


def test_karate_gcn_run_evaluate_and_predict(tmp_path, capsys):
    assert run(tmp_path, "--dataset", "karate") == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.93 and metrics["epochs_run"] == 200
    report = (tmp_path / "run" / "report.html").read_text()
    assert "Predictions on the graph" in report and "Node embeddings" in report
    assert main(["evaluate", str(tmp_path / "run")]) == 0
    np.save(tmp_path / "nodes.npy", np.array([0, 33]))
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "run"), str(tmp_path / "nodes.npy")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:3] == ["node", "0", "0"] and lines[2].split()[:3] == ["node", "33", "1"]
    np.save(tmp_path / "bad.npy", np.array([34]))
    assert main(["predict", str(tmp_path / "run"), str(tmp_path / "bad.npy")]) == 2
    assert "node indices" in capsys.readouterr().err


def test_gat_report_shows_attention(tmp_path):
    assert run(tmp_path, "--dataset", "karate", "--model", "gat", "--epochs", "3") == 0
    assert "GAT attention weights" in (tmp_path / "run" / "report.html").read_text()


def test_trajectories_scnn_run_and_predict_flows(tmp_path, capsys):
    assert run(tmp_path, "--dataset", "trajectories", "--epochs", "2") == 0
    assert "Trajectories on the complex" in (tmp_path / "run" / "report.html").read_text()
    np.save(tmp_path / "flows.npy", np.zeros((2, 3), np.float32))
    assert main(["predict", str(tmp_path / "run"), str(tmp_path / "flows.npy")]) == 2
    assert "edge flows of shape" in capsys.readouterr().err


def test_graph_classification_run(tmp_path):
    assert run(tmp_path, "--dataset", "graphs", "--epochs", "1") == 0
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["epochs_run"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "karate", "--model", "scnn"], "classifies nodes: choose --model"),
        (["--dataset", "graphs", "--model", "gcn"], "classifies whole graphs: choose --model gin"),
        (["--dataset", "trajectories", "--model", "sage"], "choose --model scnn|gcn"),
        (["--dataset", "cora"], "needs the directory of its LINQS files"),
        (["--dataset", "citeseer:/no/such/dir"], "does not exist"),
        (["--dataset", "sbm", "--hidden", "0"], "--hidden must be a positive integer"),
        (["--dataset", "digits", "--model", "gcn"], "works on graph data sets"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_with_a_message(tmp_path, capsys, args, message):
    assert run(tmp_path, *args) == 2
    assert message in capsys.readouterr().err
