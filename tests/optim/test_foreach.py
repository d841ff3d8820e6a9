"""The flat-buffer path (``foreach``) of SGD, Adam and AdamW: the same numbers as the
per-parameter loop, to the bit, and as torch.optim; it is taken by default, and falls back
to (or rebuilds from) the loop whenever the views it relies on are gone."""

import numpy as np
import pytest
from test_optimizers import ab_params, loss_fn, problem, torch_params, train, train_torch

import abinitio as ab
from abinitio import optim
from abinitio.nn import functional as F

CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
]
ids = [f"{name}-{options}" for name, options in CASES]


def groups(params, name):
    """Two groups with different options, as a fine-tuning script has them."""
    return [{"params": params[:2]}, {"params": params[2:], "lr": 0.003}]


def trained(name, options, foreach, steps=20, dtype=np.float32):
    x, y, weights = problem(dtype)
    params = ab_params(weights)
    optimizer = getattr(optim, name)(groups(params, name), foreach=foreach, **options)
    train(optimizer, params, x, y, steps)
    return params, optimizer


def is_flat(optimizer) -> bool:
    """Every parameter's array is a view of its group's flat buffer."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    return all(p.array.base is not None and p.array.base.base is None for p in params) and all(
        any(np.shares_memory(p.array, f.buffer) for f in optimizer._flat.values())
        for p in params
    )


@pytest.mark.parametrize("name, options", CASES, ids=ids)
def test_flat_equals_the_loop_to_the_bit(name, options):
    loop, by_loop = trained(name, options, foreach=False)
    flat, by_flat = trained(name, options, foreach=None)  # the default picks the flat path
    assert is_flat(by_flat) and not by_loop._flat
    for p, q in zip(loop, flat):
        np.testing.assert_array_equal(p.array, q.array)
    for p, q in zip(loop, flat):  # state too: state_dict sees per-parameter arrays
        for key, value in by_loop.state[p].items():
            np.testing.assert_array_equal(by_flat.state[q][key], value)


@pytest.mark.torch
@pytest.mark.parametrize("name, options", CASES[::2], ids=ids[::2])
def test_flat_matches_torch_foreach(torch, name, options):
    x, y, weights = problem()
    params, _ = trained(name, options, foreach=None, steps=50)
    theirs = torch_params(torch, weights)
    optimizer = getattr(torch.optim, name)(groups(theirs, name), foreach=True, **options)
    train_torch(torch, optimizer, theirs, x, y, 50)
    for p, q in zip(params, theirs):
        expected = q.detach().numpy()
        np.testing.assert_allclose(p.array, expected, atol=1e-5 * np.abs(expected).max())


def test_replaced_array_is_noticed_and_still_trained():
    """``p.data = t`` makes p share t's memory (torch's semantics): the step must update t,
    so the flat views are given up while t is held elsewhere, and the numbers stay the loop's."""
    x, y, weights = problem()
    runs = {}
    for foreach in (False, None):
        params = ab_params(weights)
        optimizer = optim.SGD(params, lr=0.1, momentum=0.9, foreach=foreach)
        train(optimizer, params, x, y, 3)
        replacement = ab.tensor(np.full(params[0].shape, 0.1, np.float32))
        params[0].data = replacement
        train(optimizer, params, x, y, 3)
        assert params[0].array is replacement.array  # still shared: the step wrote there
        del replacement
        train(optimizer, params, x, y, 3)  # nobody else holds it now: flat again
        runs[foreach] = (params, optimizer)
    assert is_flat(runs[None][1])
    for p, q in zip(runs[False][0], runs[None][0]):
        np.testing.assert_array_equal(p.array, q.array)


def test_load_state_dict_and_missing_gradients_keep_the_loop_numbers():
    x, y, weights = problem()
    runs = []
    for foreach in (False, None):
        params = ab_params(weights)
        optimizer = optim.Adam(params, lr=0.01, foreach=foreach)
        train(optimizer, params, x, y, 3)
        saved = optimizer.state_dict()
        train(optimizer, params, x, y, 2)
        optimizer.load_state_dict(saved)  # new state arrays: no longer the flat views
        train(optimizer, params, x, y, 2)
        optimizer.zero_grad()
        loss_fn(F, params, ab.from_numpy(x), ab.from_numpy(y)).backward()
        params[3].grad = None  # one parameter sits this step out
        optimizer.step()
        train(optimizer, params, x, y, 2)
        runs.append(params)
    for p, q in zip(*runs):
        np.testing.assert_array_equal(p.array, q.array)


def test_shared_memory_keeps_the_loop_by_default():
    """A Parameter made from a tensor shares its memory (as in PyTorch): the step updates
    both, so the default leaves that group on the loop; foreach=True flattens anyway."""
    source = ab.ones(3)
    w = ab.nn.Parameter(source)
    optimizer = optim.SGD([w], lr=0.5)
    w.grad = ab.ones(3)
    optimizer.step()
    assert source.tolist() == [0.5, 0.5, 0.5] and not optimizer._flat
    forced = optim.SGD([w], lr=0.5, foreach=True)
    forced.step()
    assert w.tolist() == [0.0, 0.0, 0.0] and forced._flat


def test_zero_grad_without_none_gives_views_backward_adds_into():
    x, y, weights = problem()
    runs = []
    for foreach in (False, None):
        params = ab_params(weights)
        optimizer = optim.SGD(params, lr=0.1, momentum=0.9, foreach=foreach)
        for _ in range(4):
            optimizer.zero_grad(set_to_none=False)
            loss_fn(F, params, ab.from_numpy(x), ab.from_numpy(y)).backward()
            optimizer.step()
        runs.append((params, optimizer))
    flat = runs[1][1]._flat[0]
    assert all(p.grad.array is v for p, v in zip(runs[1][0], flat.grad_views))
    for p, q in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(p.array, q.array)
