"""``abinitio active`` end to end, ``abinitio train --init-from``, and their bad input."""

import csv
import json
import re

import numpy as np
import pytest

from abinitio.cli import main
from abinitio.data import datasets


def test_simulation_writes_curves_and_a_report_comparing_strategies(tmp_path, capsys):
    out = tmp_path / "active"
    argv = ["active", "--dataset", "digits", "--strategy", "entropy,coreset", "--initial", "20",
            "--query", "10", "--rounds", "3", "--seeds", "2", "--steps", "30", "--out", str(out)]
    assert main(argv) == 0
    results = json.loads((out / "curves.json").read_text())
    assert list(results["summaries"]) == ["random", "entropy", "coreset"]  # random: baseline
    for summary in results["summaries"].values():
        assert summary["labels"] == [20, 30, 40] and len(summary["std"]) == 3
    assert len(results["histories"]["entropy"]) == 2  # seeds
    first = results["histories"]["entropy"][0]
    assert len(first[1]["queried"]) == 10
    assert not set(first[1]["queried"]) & set(first[0]["queried"])
    html = (out / "report.html").read_text()
    assert "Learning curves" in html and "Chosen by entropy" in html
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 4  # curves + 3 strategies
    printed = capsys.readouterr().out
    assert "labels to reach random's" in printed and "coreset" in printed


@pytest.mark.parametrize("argv, message", [
    (["--strategy", "entropy,oracle"], "unknown strategy 'oracle'; choose from: random,"),
    (["--query", "0"], "--query must be a positive integer, got 0"),
    (["--initial", "1000", "--query", "100", "--rounds", "10"],
     "= 1900 labels, but the digits pool has only 1438 samples"),
    (["--dataset", "moons"], "--dataset must be one of digits, mnist1d, got 'moons'"),
    (["--pool", "missing.npy", "--classes", "a,b", "--out", "x"], "does not exist"),
])  # fmt: skip
def test_bad_input_is_a_usage_error(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["active", *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_labelling_session_refuses_a_query_larger_than_the_pool(tmp_path, capsys):
    np.save(tmp_path / "pool.npy", np.zeros((8, 4), np.float32))
    argv = ["active", "--pool", str(tmp_path / "pool.npy"), "--classes", "a,b", "--initial",
            "4", "--query", "9", "--out", str(tmp_path / "s")]
    assert main(argv) == 2
    assert "--query 9 is larger than the pool (8 samples)" in capsys.readouterr().err
    assert main([*argv[:-4], "--classes", "a", "--out", str(tmp_path / "s")]) == 2
    assert "--classes needs two or more distinct names" in capsys.readouterr().err


def test_a_file_labelling_session_resumes_across_runs(tmp_path, capsys):
    data = datasets.digits()
    np.save(tmp_path / "pool.npy", data.x_train[:200])
    session = tmp_path / "session"
    argv = ["active", "--pool", str(tmp_path / "pool.npy"), "--classes", ",".join(data.classes),
            "--oracle", "file", "--initial", "10", "--query", "5", "--rounds", "3",
            "--steps", "20", "--out", str(session)]  # fmt: skip
    assert main(argv) == 0
    assert "fill in the label column" in capsys.readouterr().out
    sheet = session / "to_label.csv"
    for _ in range(3):  # the person fills in the file; each run asks for the next batch
        with open(sheet, newline="") as file:
            rows = list(csv.DictReader(file))
        for row in rows:
            row["label"] = data.classes[data.y_train[int(row["index"])]]
        with open(sheet, "w", newline="") as file:
            writer = csv.DictWriter(file, ["index", "label"])
            writer.writeheader()
            writer.writerows(rows)
        assert main(argv) == 0
    state = json.loads((session / "state.json").read_text())
    assert state["round"] == 3 and len(state["labelled"]) == 20 and not state["pending"]
    assert state["labels"] == data.y_train[state["labelled"]].tolist()
    assert (session / "model.safetensors").exists()


# ---- abinitio train --init-from -------------------------------------------------------------
@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "pretrained"
    assert main(["train", "--model", "mlp", "--epochs", "1", "--out", str(out),
                 "--no-progress"]) == 0  # fmt: skip
    return out


def test_init_from_loads_freezes_and_groups_learning_rates(pretrained, tmp_path, capsys):
    import abinitio as ab

    out = tmp_path / "tuned"
    assert main(["train", "--model", "mlp", "--epochs", "1", "--out", str(out), "--init-from",
                 str(pretrained), "--freeze", "layers.0", "--lr-backbone", "1e-4",
                 "--no-progress"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "initialised from" in printed and "6 tensors loaded" in printed
    assert "frozen: 2 parameter tensors (layers.0)" in printed
    before = ab.load(str(pretrained / "model.safetensors"))
    after = ab.load(str(out / "model.safetensors"))
    first, second = "layers.0.weight", "layers.2.weight"
    np.testing.assert_array_equal(after[first].numpy(), before[first].numpy())
    assert not np.array_equal(after[second].numpy(), before[second].numpy())
    assert 'init_from = "' in (out / "config.toml").read_text()
    assert main(["evaluate", str(out)]) == 0  # a fine-tuned run is an ordinary run


@pytest.mark.parametrize("extra, message", [
    (["--freeze", "backbone"], "--freeze backbone: pattern 'backbone' matches no parameter"),
    (["--lr-backbone", "-1"], "--lr-backbone must be a positive number, got -1.0"),
])  # fmt: skip
def test_init_from_bad_input(pretrained, tmp_path, extra, message, capsys):
    argv = ["train", "--model", "mlp", "--epochs", "1", "--out", str(tmp_path / "x"),
            "--init-from", str(pretrained), "--no-progress", *extra]  # fmt: skip
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()  # refused before any work


def test_freeze_without_init_from_and_a_missing_run_are_usage_errors(tmp_path, capsys):
    assert main(["train", "--model", "mlp", "--freeze", "layers.0", "--no-progress"]) == 2
    assert "--freeze needs --init-from RUN_DIR" in capsys.readouterr().err
    assert main(["train", "--init-from", str(tmp_path / "nope"), "--no-progress"]) == 2
    assert "no such run directory" in capsys.readouterr().err
