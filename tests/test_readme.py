"""The README's Python examples run, and its two set-up commands are what CI runs."""

import re
from pathlib import Path

import numpy as np
import pytest

import abinitio as ab

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_python_blocks_run(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples may write files
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert len(blocks) >= 2
    namespaces = []
    for block in blocks:
        namespaces.append({})
        exec(compile(block, "README.md", "exec"), namespaces[-1])
    # the autograd example prints dy/dx, dy/dw and gradcheck's verdict: check them by hand
    x, w = np.array([1.0, 2.0, 3.0]), 0.5
    slope = 1 - np.tanh(w * x) ** 2
    printed = capsys.readouterr().out.splitlines()
    dx = [float(v) for v in re.findall(r"[-\d.]+", printed[0].removeprefix("tensor"))]
    dw = float(re.findall(r"[-\d.]+", printed[1])[0])
    np.testing.assert_allclose(dx, w * slope, rtol=1e-3)
    assert dw == pytest.approx(float((x * slope).sum()), rel=1e-3)
    assert printed[2] == "True"
    # the network example trains on moons and saves its weights: they load back equal
    network = namespaces[1]
    saved = ab.load(tmp_path / "moons.safetensors")
    for name, value in network["model"].state_dict().items():
        np.testing.assert_array_equal(saved[name].numpy(), value.numpy())
    x_train, y_train = network["data"].train.tensors
    accuracy = (network["model"](x_train).argmax(-1).numpy() == y_train.numpy()).mean()
    assert accuracy > 0.9, f"the README's moons network reaches only {accuracy:.1%} on its data"


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text()
