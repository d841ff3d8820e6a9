"""Fine-tuning: load_state_dict(strict=False) as PyTorch, freezing by pattern, frozen batch
norm, discriminative learning rates, gradual unfreezing, a new head."""

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn, optim
from abinitio.data import DataLoader, TensorDataset
from abinitio.models import SimpleCNN
from abinitio.nn.finetune import (
    FrozenBatchNorm1d,
    FrozenBatchNorm2d,
    freeze,
    get_submodule,
    load_pretrained,
    param_groups,
    set_submodule,
    unfreeze,
)
from abinitio.training import Callback, Trainer
from abinitio.training.finetune import GradualUnfreezing


def small(out=3):
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, out))


# ---- load_state_dict(strict=False): PyTorch's contract --------------------------------------
def test_non_strict_load_reports_exactly_the_missing_and_unexpected_keys_as_torch(torch):
    ours = small()
    state = {k: v.numpy().copy() for k, v in small().state_dict().items()}
    del state["3.bias"], state["1.running_var"]
    state["head.weight"] = np.zeros((2, 8), np.float32)
    result = ours.load_state_dict(state, strict=False)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8),
                                 torch.nn.ReLU(), torch.nn.Linear(8, 3))  # fmt: skip
    expected = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()},
                                      strict=False)  # fmt: skip
    assert result.missing_keys == expected.missing_keys == ["1.running_var", "3.bias"]
    assert result.unexpected_keys == expected.unexpected_keys == ["head.weight"]
    assert result == (result.missing_keys, result.unexpected_keys)  # a named tuple
    np.testing.assert_array_equal(ours[0].weight.detach().numpy(), state["0.weight"])
    matched = "<All keys matched successfully>"
    assert repr(ours.load_state_dict(small().state_dict())) == matched
    assert repr(theirs.load_state_dict(theirs.state_dict())) == matched


def test_a_shape_mismatch_names_the_key_and_both_shapes_and_changes_nothing():
    model, before = small(), small().state_dict()
    model.load_state_dict(before)
    state = {k: v.numpy().copy() for k, v in small(out=5).state_dict().items()}
    for strict in (True, False):
        with pytest.raises(RuntimeError, match=r"3\.weight: checkpoint has shape \(5, 8\), "
                           r"model has \(3, 8\)"):  # fmt: skip
            model.load_state_dict(state, strict=strict)
    assert all(np.array_equal(model.state_dict()[k].numpy(), before[k].numpy()) for k in before)


def test_load_pretrained_leaves_a_resized_head_fresh():
    source, target = small(out=5), small(out=3)
    fresh = target[3].weight.detach().numpy().copy()
    report = load_pretrained(target, source.state_dict())
    assert report["mismatched"] == [("3.weight", (5, 8), (3, 8)), ("3.bias", (5,), (3,))]
    assert report["missing_keys"] == [] and report["unexpected_keys"] == []
    assert "0.weight" in report["loaded"] and "3.weight" not in report["loaded"]
    np.testing.assert_array_equal(target[0].weight.detach().numpy(),
                                  source[0].weight.detach().numpy())  # fmt: skip
    np.testing.assert_array_equal(target[3].weight.detach().numpy(), fresh)


# ---- freezing ---------------------------------------------------------------------------------
def test_freeze_by_pattern_stops_gradients_and_optimiser_steps():
    model = small()
    frozen = freeze(model, "0", train_bn=True)
    assert frozen == ["0.weight", "0.bias"]
    before = model[0].weight.detach().numpy().copy()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    loss = model(ab.randn(6, 4)).sum()
    loss.backward()
    assert model[0].weight.grad is None and model[3].weight.grad is not None
    optimizer.step()
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), before)


def test_glob_and_comma_patterns():
    model = small()
    assert freeze(model, "*.bias", train_bn=True) == ["0.bias", "1.bias", "3.bias"]
    assert unfreeze(model, ["1.*", "3"]) == ["1.weight", "1.bias", "3.weight", "3.bias"]
    assert [n for n, p in model.named_parameters() if not p.requires_grad] == ["0.bias"]


def test_a_pattern_that_matches_nothing_is_a_clear_error():
    with pytest.raises(ValueError, match=r"pattern 'backbone' matches no parameter of "
                       r"Sequential; its parameters are named like 0\.weight"):  # fmt: skip
        freeze(small(), "0,backbone")
    with pytest.raises(ValueError, match="param_groups: pattern 'head'"):
        param_groups(small(), {"head": 0.1})


def test_frozen_batch_norm_keeps_eval_statistics_in_training_mode():
    ab.manual_seed(0)
    model = small()
    model.train()
    model(ab.randn(32, 4) * 3 + 1)  # give the running statistics values of their own
    model.eval()
    x = ab.randn(16, 4)
    expected = model(x).detach().numpy()
    stats = model[1].running_mean.numpy().copy()
    freeze(model, "0,1")
    assert isinstance(model[1], FrozenBatchNorm1d)
    model.train()  # the pitfall: a plain BatchNorm1d would now use batch statistics
    np.testing.assert_allclose(model(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model[1].running_mean.numpy(), stats)
    # the state dict is unchanged in its keys, so a frozen model saves and loads as usual
    assert list(model.state_dict()) == list(small().state_dict())


def test_unfrozen_batch_norm_is_the_original_layer_again():
    model = small()
    original = model[1]
    freeze(model, "1")
    assert isinstance(model[1], FrozenBatchNorm1d)
    unfreeze(model, "1")
    assert model[1] is original and model[1].weight.requires_grad


def test_frozen_batch_norm_2d_matches_torch_eval_mode_forward_and_backward(torch):
    bn = nn.BatchNorm2d(3)
    rng = np.random.default_rng(0)
    bn.running_mean.array[...] = rng.normal(size=3)
    bn.running_var.array[...] = rng.uniform(0.5, 2.0, size=3)
    bn.weight.array[...] = rng.normal(size=3)
    bn.bias.array[...] = rng.normal(size=3)
    reference = torch.nn.BatchNorm2d(3)
    reference.load_state_dict({k: torch.tensor(v.numpy()) for k, v in bn.state_dict().items()})
    frozen = FrozenBatchNorm2d(bn).train()
    reference.eval()
    x = rng.normal(size=(2, 3, 4, 4)).astype(np.float32)
    ours, theirs = ab.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = frozen(ours), reference(theirs)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-5,
                               atol=1e-6)  # fmt: skip
    weights = rng.normal(size=x.shape).astype(np.float32)
    (out * ab.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_freezing_the_cnn_backbone_swaps_its_batch_norms():
    model = SimpleCNN()
    freeze(model, "features")
    kinds = [type(m).__name__ for m in model.features]
    assert kinds.count("FrozenBatchNorm2d") == 2 and "BatchNorm2d" not in kinds
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["classifier.1.weight", "classifier.1.bias", "classifier.4.weight",
                         "classifier.4.bias"]  # fmt: skip


# ---- a new head, learning-rate groups, gradual unfreezing ------------------------------------
def test_set_submodule_replaces_the_head_in_place():
    model = SimpleCNN()
    set_submodule(model, "classifier.4", nn.Linear(128, 5))
    assert model(ab.randn(2, 1, 8, 8)).shape == (2, 5)
    assert get_submodule(model, "classifier.4").out_features == 5
    assert list(model.classifier._modules) == ["0", "1", "2", "3", "4"]  # order kept
    with pytest.raises(AttributeError, match="has no sub-module 'head'"):
        set_submodule(model, "head", nn.Linear(1, 1))


def test_discriminative_learning_rates_move_each_group_by_its_own_step():
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2))
    groups = param_groups(model, {"0": 1e-3}, lr=1e-1)
    assert [len(g["params"]) for g in groups] == [2, 2]
    optimizer = optim.SGD(groups)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    model(ab.randn(4, 3)).sum().backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    optimizer.step()
    for p, b, g, lr in zip(model.parameters(), before, grads, [1e-3, 1e-3, 1e-1, 1e-1]):
        np.testing.assert_allclose(p.detach().numpy(), b - lr * g, rtol=1e-6, atol=1e-7)
    freeze(model, "0")
    assert [len(g["params"]) for g in param_groups(model, {"0.*": 1e-3}, lr=1e-1)] == [2]


def test_gradual_unfreezing_opens_one_group_per_epoch_from_the_top():
    model = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 4),
                          nn.ReLU(), nn.Linear(4, 2))  # fmt: skip
    snapshots, batch_norms = [model[0].weight.detach().numpy().copy()], []

    class Watch(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            snapshots.append(model[0].weight.detach().numpy().copy())
            batch_norms.append(type(model[1]).__name__)

    callback = GradualUnfreezing(["5", "3", "0,1"], every=2)
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=0.01), nn.CrossEntropyLoss(),
                      callbacks=[callback, Watch()], progress=False, log=None)  # fmt: skip
    data = DataLoader(TensorDataset(ab.randn(16, 2), ab.randint(0, 2, (16,))), batch_size=8)
    trainer.fit(data, epochs=5)
    assert [len(names) for names in callback.trainable] == [2, 2, 4, 4, 8]
    assert batch_norms == ["FrozenBatchNorm1d"] * 4 + ["BatchNorm1d"]
    moved = [not np.array_equal(a, b) for a, b in zip(snapshots, snapshots[1:])]
    assert moved == [False, False, False, False, True]  # the first layer trains in epoch 5
    with pytest.raises(ValueError, match="at least 2 groups"):
        GradualUnfreezing(["5"])
