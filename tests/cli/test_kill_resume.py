"""``abinitio train`` survives SIGKILL anywhere: the short version of
``scripts/kill_anywhere.py`` (which kills a run >= 20 times; its figures are in the README).

Three kills, each inside a window where a crash would hurt most: while the checkpoint's
temporary file is written, inside a training step, and while the report is half written.
After each, every file in the run directory must be a complete version the uninterrupted
run wrote; at the end the resumed run's weights, optimiser state and history must be
bit-identical to it.
"""

import importlib.util
import os
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "kill_anywhere.py"


@pytest.fixture(scope="module")
def harness():
    spec = importlib.util.spec_from_file_location("kill_anywhere", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_three_kills_corrupt_nothing_and_resume_bit_for_bit(harness, tmp_path):
    plan = ["write-temp checkpoint.safetensors", "step", "write-partial report.html"]
    result = harness.run(kills=3, seed=0, epochs=3, window=0.3, folder=str(tmp_path),
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
