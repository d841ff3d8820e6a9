"""The Module contract: registration, traversal, modes, state dicts, repr, summary."""

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.out = nn.Linear(4, 2)
        self.register_buffer("steps", ab.tensor(0))
        self.scale = 2.0  # a plain attribute

    def forward(self, x):
        return self.out(self.hidden(x).relu()) * self.scale


def test_attributes_register_by_type():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert [name for name, _ in model.named_children()] == ["hidden", "out"]
    assert [type(m).__name__ for m in model.modules()] == ["TwoLayer", "Linear", "Linear"]
    assert list(model.state_dict()) == ["steps"] + names  # own tensors first, as in torch
    assert model.scale == 2.0 and "steps" in dict(model.named_buffers())


def test_parameter_order_is_the_same_in_every_process():
    import subprocess
    import sys

    code = (
        "import abinitio as ab; m = ab.nn.Sequential(ab.nn.Linear(2, 2), ab.nn.BatchNorm1d(2));"
        "print([n for n, _ in m.named_parameters()])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": ""},
        ).stdout  # fmt: skip
        for seed in (1, 2)
    }
    assert len(outputs) == 1


def test_tied_weights_are_listed_once():
    a = nn.Linear(2, 2)
    model = nn.Sequential(a, a)
    assert len(list(model.parameters())) == 2


def test_train_and_eval_switch_every_descendant():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5)))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_and_requires_grad():
    model = TwoLayer()
    model(ab.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(not p.grad.numpy().any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not model(ab.randn(1, 3)).requires_grad


def test_load_state_dict_round_trip_keeps_parameter_identity():
    source, target = TwoLayer(), TwoLayer()
    weight = target.hidden.weight
    target.load_state_dict(source.state_dict())
    assert target.hidden.weight is weight
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[key].numpy(), value.numpy())


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    model = TwoLayer()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    state = dict(TwoLayer().state_dict())
    state["hidden.weight"] = ab.zeros(5, 3)
    del state["out.bias"]
    state["extra"] = ab.zeros(1)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "hidden.weight: checkpoint has shape (5, 3), model has (4, 3)" in message
    assert "missing key: out.bias" in message and "unexpected key: extra" in message
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])
    del state["hidden.weight"]
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["hidden.weight", "out.bias"]
    assert result.unexpected_keys == ["extra"]


def test_apply_visits_every_module():
    seen = []
    TwoLayer().apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Linear", "TwoLayer"]


def test_repr_is_readable():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert repr(model) == (
        "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)"
    )


def test_assigning_before_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Broken()


def test_assigning_a_tensor_to_a_parameter_slot_is_refused():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="nn.Parameter"):
        layer.weight = ab.zeros(2, 2)


def test_missing_attribute_message():
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'weights'"):
        _ = nn.Linear(1, 1).weights


def test_containers():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    assert isinstance(layers[-1], nn.ReLU) and len(layers[1:]) == 3
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    assert list(heads) == ["a", "b"] and heads["b"].out_features == 3 and "a" in heads
    seq = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    assert isinstance(seq[1], nn.ReLU) and len(seq[:2]) == 2 and len(seq) == 3
    with pytest.raises(TypeError, match="not an nn.Module"):
        nn.Sequential(nn.Linear(1, 1), lambda x: x)


def test_forward_hook_sees_output_and_can_be_removed():
    layer = nn.Linear(2, 2)
    shapes = []
    handle = layer.register_forward_hook(lambda m, i, o: shapes.append(o.shape))
    layer(ab.randn(3, 2))
    handle.remove()
    layer(ab.randn(3, 2))
    assert shapes == [(3, 2)]


def test_to_double_converts_parameters_and_buffers():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).double()
    assert all(p.dtype == ab.float64 for p in model.parameters())
    assert model[1].running_mean.dtype == ab.float64
    assert model[1].num_batches_tracked.dtype == ab.int64


def test_summary_table():
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    lines = []
    table = nn.summary(model, (1, 784), print_fn=lines.append)
    assert lines == [table]
    assert "0 (Linear)" in table and "(1, 128)" in table and "100,480" in table
    assert "Total params: 101,770" in table and "Non-trainable params: 0" in table
    assert model.training
