"""Saving and loading models and optimisers through safetensors files."""

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn
from abinitio.optim import Adam


def _model():
    return nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


def test_model_round_trip_is_bit_identical(tmp_path):
    model = _model()
    model(ab.randn(16, 3))  # move the batch-norm running statistics off their defaults
    ab.save(model.state_dict(), tmp_path / "model.safetensors")
    restored = _model()
    restored.load_state_dict(ab.load(tmp_path / "model.safetensors"))
    for key, value in model.state_dict().items():
        loaded = restored.state_dict()[key].numpy()
        assert loaded.dtype == value.dtype and loaded.tobytes() == value.numpy().tobytes()


def test_optimizer_state_round_trip_continues_identically(tmp_path):
    model = _model()
    optimizer = Adam(model.parameters(), lr=0.01)
    x, y = ab.randn(16, 3), ab.randint(0, 2, (16,))
    for _ in range(3):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    ab.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()},
            tmp_path / "checkpoint.safetensors")  # fmt: skip
    restored = _model()
    restored_optimizer = Adam(restored.parameters(), lr=0.01)
    state = ab.load(tmp_path / "checkpoint.safetensors")
    restored.load_state_dict(state["model"])
    restored_optimizer.load_state_dict(state["optimizer"])
    for m, opt in ((model, optimizer), (restored, restored_optimizer)):
        opt.zero_grad()
        nn.functional.cross_entropy(m(x), y).backward()
        opt.step()
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(restored.state_dict()[key].numpy(), value.numpy())


def test_wrong_architecture_fails_clearly_and_changes_nothing(tmp_path):
    ab.save(_model().state_dict(), tmp_path / "model.safetensors")
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    before = {k: v.numpy().copy() for k, v in other.state_dict().items()}
    with pytest.raises(
        RuntimeError, match=r"0.weight: checkpoint has shape \(8, 3\), model has \(4, 3\)"
    ):
        other.load_state_dict(ab.load(tmp_path / "model.safetensors"))
    for key, value in other.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])
