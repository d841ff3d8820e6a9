"""``abinitio train``, ``abinitio rl train`` and ``abinitio tune`` survive SIGKILL anywhere:
the short version of ``scripts/kill_anywhere.py`` (which kills each >= 12 times; its
figures are in the README).

A few kills per command, each inside a window where a crash would hurt most (a checkpoint's
temporary file, a training step, a half-written report, a write to the study's database).
After each, every file in the run directory must be complete (for train and rl a version
the uninterrupted run wrote); at the end train's and rl's files must be bit-identical to
the uninterrupted run's, and tune's study must hold the requested finished trials.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "kill_anywhere.py"


@pytest.fixture(scope="module")
def harness():
    spec = importlib.util.spec_from_file_location("kill_anywhere", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["kill_anywhere"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_three_kills_corrupt_nothing_and_resume_bit_for_bit(harness, tmp_path):
    plan = ["write-temp checkpoint.safetensors", "step", "write-partial report.html"]
    result = harness.run(kills=3, seed=0, size=2, window=0.3, folder=str(tmp_path),
                         log=lambda line: None, plan=plan)  # fmt: skip
    assert result["problems"] == []
    assert result["kills"] == 3 and result["kinds"] == sorted(plan)
    assert result["corrupted run directories"] == 0
    assert result["final files bit-identical"]
    assert result["leftover temporary files"] == []


def test_the_check_sees_a_torn_file(harness, tmp_path):
    """The run-directory check can fail: half a checkpoint, or one from another run, is
    reported."""
    import abinitio as ab

    good = tmp_path / "good"
    good.mkdir()
    ab.save({"w": ab.ones(3)}, good / "model.safetensors")
    reference = {"versions": {"model.safetensors": [harness.describe(
        str(good / "model.safetensors"), "model.safetensors")]}}  # fmt: skip
    torn = tmp_path / "torn"
    torn.mkdir()
    data = (good / "model.safetensors").read_bytes()
    (torn / "model.safetensors").write_bytes(data[: len(data) // 2])
    problems = harness.check_run_dir(str(torn), reference)
    assert len(problems) == 1 and "model.safetensors is unreadable" in problems[0]
    ab.save({"w": ab.zeros(3)}, torn / "model.safetensors")
    problems = harness.check_run_dir(str(torn), reference)
    assert problems == ["model.safetensors is readable but matches no version the reference wrote"]
    assert harness.check_run_dir(str(good), reference) == []


def test_resume_before_the_first_checkpoint_starts_over(tmp_path):
    """A run killed in its first epoch has config.toml but no checkpoint: --resume starts
    it from epoch 1 (the first run of the harness found that it refused instead)."""
    from abinitio.cli.train import continue_from

    (tmp_path / "config.toml").write_text('model = "mlp"\n')
    stale = tmp_path / ".metrics.json.0123abcd.tmp"
    stale.write_text("{")
    lines = []
    assert continue_from(str(tmp_path), lines.append) is False
    assert not stale.exists() and "starting from epoch 1" in lines[0]
    (tmp_path / "checkpoint.safetensors").write_bytes(b"")
    assert continue_from(str(tmp_path), lines.append) is True
    assert os.path.exists(tmp_path / "config.toml")


def test_rl_train_killed_twice_resumes_bit_for_bit(harness, tmp_path):
    plan = ["write-temp checkpoint.safetensors", "write-partial metrics.json"]
    result = harness.run(kills=2, seed=0, size=256, window=0.3, folder=str(tmp_path),
                         log=lambda line: None, plan=plan, command="rl")  # fmt: skip
    assert result["problems"] == []
    assert result["kills"] == 2 and result["kinds"] == sorted(plan)
    assert result["final files bit-identical"]


def test_tune_killed_in_a_trial_and_in_the_retraining_finishes_its_study(harness, tmp_path):
    """The kill inside the best trial's retraining left best-trial-K with a config.toml:
    rerunning refused it ('already holds a run') before tune resumed such a retraining."""
    plan = ["storage-after set_trial_intermediate_value", "write-temp checkpoint.safetensors"]
    result = harness.run(kills=2, seed=0, size=2, window=0.3, folder=str(tmp_path),
                         log=lambda line: None, plan=plan, command="tune")  # fmt: skip
    assert result["problems"] == []
    assert result["kills"] == 2 and result["kinds"] == sorted(plan)
    assert result["fail"] == 1 and result.get("running", 0) == 0  # the killed trial: failed


def test_a_killed_trial_is_failed_only_when_its_process_is_gone(tmp_path):
    """fail_interrupted_trials: a trial left running by a dead process of this machine is
    marked failed; one of a live process, or of another machine, is left running."""
    import socket

    import optuna

    from abinitio.cli.tune import fail_interrupted_trials

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}", study_name="s")
    owners = [(dead.pid, socket.gethostname()), (os.getpid(), socket.gethostname()),
              (dead.pid, "another-machine"), (None, None)]  # fmt: skip
    for pid, host in owners:
        trial = study.ask()
        if pid is not None:
            trial.set_user_attr("worker", pid)
            trial.set_user_attr("host", host)
    assert fail_interrupted_trials(study) == [0]
    states = [t.state.name for t in study.trials]
    assert states == ["FAIL", "RUNNING", "RUNNING", "RUNNING"]
    error = study.trials[0].user_attrs["error"]
    assert error == f"interrupted: its process {dead.pid} ended while it ran"


def test_rl_resume_removes_what_a_killed_write_left(tmp_path):
    """A kill inside a write leaves its temporary file; rl train --resume removes it, as
    train --resume does (the harness found a .metrics.json.*.tmp left after the run)."""
    from abinitio.cli import main

    run_dir = tmp_path / "run"
    args = ["--no-render", "--no-progress", "--eval-episodes", "1"]
    assert main(["rl", "train", "--algo", "ppo", "--steps", "32", "--num-envs", "2",
                 "--out", str(run_dir), *args]) == 0  # fmt: skip
    stale = run_dir / ".metrics.json.0123abcd.tmp"
    stale.write_text("{")
    assert main(["rl", "train", "--resume", str(run_dir), *args]) == 0
    assert not stale.exists() and (run_dir / "metrics.json").exists()


def test_tune_rerun_removes_what_a_killed_write_left(capsys, tmp_path):
    """A kill inside study.json's write left its temporary file in OUT (the full tune
    harness found it); rerunning the study removes it."""
    from abinitio.cli import main

    out = tmp_path / "study"
    args = ["tune", "--dataset", "moons", "--trials", "1", "--epochs", "1", "--study", "s",
            "--out", str(out), "--no-retrain", "--no-report"]  # fmt: skip
    assert main(args) == 0
    stale = out / ".study.json.0123abcd.tmp"
    stale.write_text("{")
    assert main(args) == 0
    assert not stale.exists() and (out / "study.json").exists()
