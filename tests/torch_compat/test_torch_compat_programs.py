"""The compatibility suite: PyTorch-style programs (programs/compat_*.py, written as PyTorch
users write them) run under real torch and under abinitio through the import hook
(``python -m abinitio.torch PROGRAM``), from the same starting weights; their losses must
agree step by step for 20 steps."""

import json
import os
import runpy
import subprocess
import sys

import numpy as np
import pytest

PROGRAMS = os.path.join(os.path.dirname(__file__), "programs")
NAMES = ["mnist_cnn", "word_lm", "vae", "policy_gradient", "char_transformer"]


def run_under_torch(path, argv):
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [path, *argv]
    sys.path.insert(0, PROGRAMS)
    try:
        runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        sys.modules.pop("compat_common", None)


def run_under_abinitio(path, argv):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-m", "abinitio.torch", path, *argv],
                            capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("name", NAMES)
def test_program_gives_the_same_losses_under_torch_and_abinitio(torch, tmp_path, name):
    path = os.path.join(PROGRAMS, f"compat_{name}.py")
    weights, theirs, ours = (str(tmp_path / f) for f in ("init.npz", "torch.json", "ab.json"))
    torch.set_num_threads(1)
    run_under_torch(path, ["--save-init", weights, "--losses", theirs])
    run_under_abinitio(path, ["--init-from", weights, "--losses", ours])
    expected, actual = (np.array(json.load(open(f))) for f in (theirs, ours))
    assert len(expected) == len(actual) == 20
    assert np.isfinite(actual).all()
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)
    assert not np.allclose(expected, expected[0]), "the losses must move for the test to mean much"
