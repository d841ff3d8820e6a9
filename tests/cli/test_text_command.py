"""``abinitio train --dataset text --model transformer`` and ``abinitio generate``.

The suite trains a tiny model for a few dozen windows (a few seconds): enough to check the
run directory, the report, generation and that the loss falls. The default recipe
(``abinitio train --dataset text --model transformer``: 3,000 steps, about 7 minutes on two
idle cores) reaches 1.245 nats/char on the held-out Python help topics."""

import base64
import json
import re

import numpy as np
import pytest

import abinitio as ab
from abinitio.cli import main
from abinitio.cli.train import resolve_config
from abinitio.training import Trainer

TINY = ["--model", "transformer", "--context", "16", "--layers", "1", "--heads", "2",
        "--width", "32", "--batch-size", "16", "--steps-per-epoch", "8",
        "--no-progress"]  # fmt: skip


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "text"
    assert main(["train", "--dataset", "text", *TINY, "--epochs", "3", "--out", str(out)]) == 0
    return out


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text("the quick brown fox jumps over the lazy dog.\n" * 60, encoding="utf-8")
    return path


def test_run_directory_holds_model_vocabulary_and_settings(text_run):
    names = {p.name for p in text_run.iterdir()}
    assert {"config.toml", "model.safetensors", "checkpoint.safetensors", "metrics.json",
            "report.html", "vocab.json"} <= names  # fmt: skip
    config = (text_run / "config.toml").read_text()
    for line in ('model = "transformer"', 'dataset = "text"', "context = 16", "width = 32"):
        assert line in config
    vocab = json.loads((text_run / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    assert len(vocab) == ab.data.datasets.text().vocab_size


def test_loss_falls_and_metrics_are_in_nats_per_character(text_run):
    metrics = json.loads((text_run / "metrics.json").read_text())
    history = metrics["history"]
    assert len(history) == 3
    assert history[-1]["val_loss"] < history[0]["val_loss"] < np.log(103)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert np.isclose(metrics["bits_per_char"], metrics["val_loss"] / np.log(2))
    assert np.isclose(metrics["perplexity"], np.exp(metrics["val_loss"]))
    assert [s["epoch"] for s in metrics["samples"]] == [1, 2, 3]


def test_report_shows_samples_and_an_attention_map(text_run):
    html = (text_run / "report.html").read_text(encoding="utf-8")
    for heading in ("Training curves", "Generated samples", "Attention"):
        assert heading in html
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([^"]+)"', html)
    assert len(images) >= 2 and all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)
    assert "after epoch 3:" in html


def test_generate_prints_the_prompt_and_its_continuation(text_run, capsys):
    argv = ["generate", str(text_run), "--prompt", "def ", "--max-new-tokens", "30"]
    assert main([*argv, "--seed", "1"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("def ") and len(first.rstrip("\n")) >= 30
    assert main([*argv, "--seed", "1"]) == 0
    assert capsys.readouterr().out == first
    assert main(["generate", str(text_run), "--max-new-tokens", "5", "--temperature", "0"]) == 0


def test_generate_refuses_unknown_characters_and_other_runs(text_run, tmp_path, capsys):
    assert main(["generate", str(text_run), "--prompt", "caf\u00e9 \u20ac"]) == 2
    error = capsys.readouterr().err
    assert "'\u00e9'" in error and "'\u20ac'" in error and "not in the vocabulary" in error
    assert main(["generate", str(text_run), "--top-k", "0"]) == 2
    assert main(["evaluate", str(text_run)]) == 2
    assert "abinitio generate" in capsys.readouterr().err
    assert main(["generate", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_models_and_data_must_match(tmp_path, capsys):
    assert resolve_config({"dataset": "text:notes.txt"}).model == "transformer"  # the default
    assert main(["train", "--dataset", "digits", "--model", "transformer", "--out",
                 str(tmp_path / "a"), "--no-progress"]) == 2  # fmt: skip
    assert "--dataset text" in capsys.readouterr().err
    assert main(["train", "--dataset", "text", "--model", "mlp", "--out", str(tmp_path / "b"),
                 "--no-progress"]) == 2  # fmt: skip
    assert "--model transformer" in capsys.readouterr().err
    assert main(["train", "--dataset", "text", *TINY, "--width", "30", "--heads", "4",
                 "--out", str(tmp_path / "c")]) == 2  # fmt: skip
    assert "--width 30 must be a multiple of --heads 4" in capsys.readouterr().err
    assert main(["train", "--dataset", f"text:{tmp_path / 'nope.txt'}", *TINY]) == 2
    assert "no file" in capsys.readouterr().err


def test_a_users_file_trains_and_resumes_bit_for_bit(user_file, tmp_path, capsys, monkeypatch):
    common = ["train", "--dataset", f"text:{user_file}", *TINY, "--epochs", "2"]
    assert main([*common, "--out", str(tmp_path / "straight")]) == 0
    assert "--- sample after epoch 2 ---" in capsys.readouterr().out
    run_epoch = Trainer._run_epoch

    def ctrl_c_in_epoch_2(trainer, epoch, *loaders):
        if epoch == 2:
            raise KeyboardInterrupt
        run_epoch(trainer, epoch, *loaders)

    monkeypatch.setattr(Trainer, "_run_epoch", ctrl_c_in_epoch_2)
    assert main([*common, "--out", str(tmp_path / "split")]) == 130
    monkeypatch.undo()
    assert main(["train", "--resume", str(tmp_path / "split"), "--no-progress"]) == 0
    straight = ab.load(tmp_path / "straight" / "model.safetensors")
    resumed = ab.load(tmp_path / "split" / "model.safetensors")
    for key, value in straight.items():
        np.testing.assert_array_equal(value.numpy(), resumed[key].numpy(), err_msg=key)
    samples = json.loads((tmp_path / "split" / "metrics.json").read_text())["samples"]
    assert [s["epoch"] for s in samples] == [1, 2]
    vocab = json.loads((tmp_path / "split" / "vocab.json").read_text())["vocab"]
    assert vocab == "".join(sorted(set(user_file.read_text())))
