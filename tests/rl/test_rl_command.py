"""``abinitio rl train|evaluate|play``: a run directory with its report and GIF, resume,
and bad input stopped with exit code 2 and a message naming what was expected."""

import json

import pytest

from abinitio.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("rl") / "run"
    code = main(["rl", "train", "--algo", "ppo", "--steps", "512", "--num-envs", "2",
                 "--eval-episodes", "3", "--out", str(path), "--no-progress"])  # fmt: skip
    assert code == 0
    return path


def test_train_writes_checkpoint_metrics_gif_and_report(run_dir):
    for name in ("checkpoint.safetensors", "metrics.json", "episode.gif", "report.html"):
        assert (run_dir / name).is_file(), name
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["steps"] == 512 and len(metrics["evaluation"]["returns"]) == 3
    assert metrics["episodes"] and {"loss", "entropy"} <= set(metrics["history"][-1])
    assert (run_dir / "episode.gif").read_bytes()[:6] == b"GIF89a"
    page = (run_dir / "report.html").read_text()
    assert "data:image/gif;base64," in page and "episode returns" in page.lower()


def test_evaluate_and_play(run_dir, capsys, tmp_path):
    assert main(["rl", "evaluate", str(run_dir), "--episodes", "4"]) == 0
    assert "greedy return over 4 episodes" in capsys.readouterr().out
    gif = tmp_path / "two.gif"
    assert main(["rl", "play", str(run_dir), "--episodes", "2", "--output", str(gif)]) == 0
    assert gif.read_bytes()[:6] == b"GIF89a"
    assert "2 episode(s)" in capsys.readouterr().out


def test_resume_continues_to_the_new_budget(run_dir):
    assert main(["rl", "train", "--resume", str(run_dir), "--steps", "768",
                 "--eval-episodes", "2", "--no-progress", "--no-render"]) == 0  # fmt: skip
    assert json.loads((run_dir / "metrics.json").read_text())["steps"] == 768


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--env", "NoSuchEnv-v0"], "unknown Gymnasium environment 'NoSuchEnv-v0'"),
        (["--env", "Pendulum-v1", "--algo", "dqn"], "algorithms for Box spaces: ppo, a2c"),
        (["--algo", "sac"], "--algo: expected one of ppo, a2c, dqn, reinforce, got 'sac'"),
        (["--steps", "0"], "--steps: expected a positive integer, got 0"),
        (["--lr", "-1"], "--lr: expected a positive number, got -1.0"),
    ],
)
def test_bad_training_input_exits_2_with_a_message(argv, message, capsys, tmp_path):
    assert main(["rl", "train", "--out", str(tmp_path / "r"), *argv]) == 2
    assert message in capsys.readouterr().err


def test_missing_run_and_taken_run_dir(run_dir, capsys, tmp_path):
    assert main(["rl", "evaluate", str(tmp_path / "none")]) == 2
    assert "cannot load an agent from" in capsys.readouterr().err
    assert main(["rl", "train", "--out", str(run_dir)]) == 2
    assert "already holds a run" in capsys.readouterr().err
