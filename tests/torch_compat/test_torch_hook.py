"""The import hook (abinitio.torch): torch.X is abinitio.X, misses say so with the line."""

import os
import subprocess
import sys

import pytest

import abinitio as ab
from abinitio.torch import NotImplementedInAbinitio, abinitio_name, torch_modules


def test_torch_names_resolve_to_abinitio_objects():
    with torch_modules():
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        from torch.distributions import Categorical
        from torch.utils.data import DataLoader

        assert nn.Linear is ab.nn.Linear and F.relu is ab.nn.functional.relu
        assert optim.Adam is ab.optim.Adam and DataLoader is ab.data.DataLoader
        assert Categorical is ab.distributions.Categorical
        assert isinstance(torch.zeros(2), torch.Tensor) and torch.float32 == ab.float32
        assert torch.nn.functional is F  # a module reached by attribute is the same view


def test_the_real_torch_comes_back_after_the_block(torch):
    with torch_modules():
        import torch as inside
    import torch as after

    assert after is torch and inside is not torch


def test_a_missing_name_says_abinitio_does_not_implement_it_with_the_line():
    with torch_modules():
        import torch

        assert not hasattr(torch, "compile_everything")  # hasattr still works
        with pytest.raises(NotImplementedInAbinitio) as error:
            torch.compile_everything(3)
        assert "abinitio does not implement torch.compile_everything yet" in str(error.value)
        assert f"{__file__}:" in str(error.value)
        with pytest.raises(ModuleNotFoundError, match="does not implement torch.jit yet"):
            import torch.jit  # noqa: F401


def test_the_mapping_is_one_rule():
    assert abinitio_name("torch") == "abinitio"
    assert abinitio_name("torch.nn.utils.rnn") == "abinitio.nn.utils.rnn"
    assert abinitio_name("torchvision.transforms") == "abinitio.vision.transforms"
    assert abinitio_name("torch.distributed") == "abinitio.distributed"
    assert abinitio_name("torch.onnx") == "abinitio.onnx"


def test_the_command_runs_a_script_and_names_a_missing_import(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text("import sys\nimport torch\nprint(torch.ones(2).sum().item(), sys.argv[1:])\n")
    done = subprocess.run([sys.executable, "-m", "abinitio.torch", str(script), "--lr", "1"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2.0 ['--lr', '1']"
    script.write_text("import torch\nfrom torch.nn import NoSuchLayer\n")
    done = subprocess.run([sys.executable, "-m", "abinitio.torch", str(script)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode != 0
    assert f"abinitio does not implement torch.nn.NoSuchLayer yet (used at {script}:2)" in done.stderr
    assert os.path.basename(__file__)  # (the file's name is unique across tests/)
