"""Bad input: a clear message naming what is wrong, exit code 2, nothing lost."""

import os

import pytest

from abinitio.cli import main


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--model", "transformerx"], "unknown model 'transformerx'; choose one of: mlp"),
        (["--dataset", "cifar"], "unknown dataset 'cifar'; choose one of: digits, mnist1d"),
        (["--optimizer", "lion"], "unknown optimizer 'lion'; choose one of: sgd, adam"),
        (["--epochs", "-1"], "--epochs must be a non-negative integer, got -1"),
        (["--lr", "-0.1"], "--lr must be a positive number, got -0.1"),
        (["--lr", "nan"], "--lr must be a positive number"),
        (["--dropout", "1.5"], "--dropout must be in [0, 1)"),
        (["--dataset", "mnist"], "mnist:DIR"),
        (["--dataset", "mnist:/no/such/dir"], "t10k-images-idx3-ubyte"),
        (["--resume", "/no/such/run"], "run directory '/no/such/run' does not exist"),
        (["--config", "/no/such.toml"], "config file '/no/such.toml' does not exist"),
    ],
)
def test_refused_with_exit_code_2(arguments, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--no-progress", *arguments]) == 2
    error = capsys.readouterr().err
    assert error.startswith("abinitio: error:") and message in error
    assert not os.path.exists(tmp_path / "runs"), "no work may start on bad input"


def test_unknown_option_in_a_config_file(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text("epoch = 3\n")
    assert main(["train", "--config", str(config)]) == 2
    assert "unknown option 'epoch'" in capsys.readouterr().err


def test_corrupt_resume_directory_is_named(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--dataset", "xor", "--epochs", "1", "--out", str(run),
                 "--no-progress"]) == 0  # fmt: skip
    (run / "checkpoint.safetensors").write_bytes(b"not a checkpoint at all")
    assert main(["train", "--resume", str(run), "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert "cannot resume" in error and "checkpoint.safetensors" in error


def test_an_existing_run_is_not_overwritten(tmp_path, capsys):
    run = tmp_path / "run"
    arguments = ["train", "--dataset", "xor", "--epochs", "1", "--out", str(run), "--no-progress"]
    assert main(arguments) == 0
    before = (run / "model.safetensors").read_bytes()
    assert main(arguments) == 2
    assert "--resume" in capsys.readouterr().err
    assert (run / "model.safetensors").read_bytes() == before


def test_divergence_exits_3_and_names_epoch_and_step(tmp_path, capsys):
    code = main(["train", "--dataset", "xor", "--optimizer", "sgd", "--lr", "1e30",
                 "--epochs", "2", "--out", str(tmp_path / "run"), "--no-progress"])  # fmt: skip
    assert code == 3
    error = capsys.readouterr().err
    assert "epoch 1, step" in error and "lower learning rate" in error


def test_ctrl_c_exits_130_with_the_resume_command(tmp_path, capsys, monkeypatch):
    from abinitio.training import Trainer, TrainingInterrupted

    def interrupted(self, *args, **kwargs):
        raise TrainingInterrupted(1, self.checkpoint_dir)

    monkeypatch.setattr(Trainer, "fit", interrupted)
    run = tmp_path / "run"
    assert main(["train", "--dataset", "xor", "--out", str(run), "--no-progress"]) == 130
    assert f"resume from {run}" in capsys.readouterr().err
