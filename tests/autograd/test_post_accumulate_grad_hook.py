"""Tensor.register_post_accumulate_grad_hook: a leaf's hook runs once its .grad is final,
during the backward walk (before the walk reaches the graph's other leaves), as in PyTorch."""

import numpy as np
import pytest

import abinitio as ab
from helpers import require


def _graph(lib, w1, w2, x):
    """x -> w1 (used twice) -> w2: w2's gradient is final before w1's."""
    h = lib.tanh(x @ w1) + x @ w1 * 0.5
    return (lib.tanh(h @ w2) ** 2).sum()


def test_hooks_run_in_torch_order_with_final_gradients():
    torch = require("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (4, 2), (5, 3))]
    ours = [ab.tensor(a, requires_grad=True) for a in arrays[:2]]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays[:2]]
    seen = {"ours": [], "torch": []}
    for name, params in (("ours", ours), ("torch", theirs)):
        for i, p in enumerate(params):
            def hook(t, i=i, name=name):
                seen[name].append((i, np.array(t.grad.detach().numpy() if name == "torch"
                                                else t.grad.array)))  # fmt: skip
            p.register_post_accumulate_grad_hook(hook)
    x = arrays[2]
    _graph(ab, *ours, ab.tensor(x)).backward()
    _graph(torch, *theirs, torch.tensor(x)).backward()
    assert [i for i, _ in seen["ours"]] == [i for i, _ in seen["torch"]] == [1, 0]
    for (_, mine), (_, reference) in zip(seen["ours"], seen["torch"]):
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)
    for index, grad in seen["ours"]:
        np.testing.assert_array_equal(grad, ours[index].grad.array)  # what .grad ends as


def test_hook_runs_before_the_walk_reaches_other_leaves():
    """w's gradient is complete after the first node of the walk; the hook sees that while
    the long chain below it is still to be walked (its leaf x has no .grad yet)."""
    x = ab.ones(3, requires_grad=True)
    w = ab.ones(3, requires_grad=True)
    h = x
    for _ in range(5):
        h = h.tanh()
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(x.grad is None))
    (h * w).sum().backward()
    assert seen == [True]
    assert x.grad is not None


def test_accumulates_over_backward_calls_and_handle_removes():
    w = ab.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (w * w).sum().backward()
    (3 * w).sum().backward()
    assert seen == [[2.0, 4.0], [5.0, 7.0]]
    handle.remove()
    w.sum().backward()
    assert len(seen) == 2


def test_leaf_root_and_no_gradient():
    w = ab.tensor([1.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append("w"))
    w.backward(ab.ones(1))  # the root is the leaf itself
    assert seen == ["w"]
    v = ab.tensor([1.0], requires_grad=True)
    v.register_post_accumulate_grad_hook(lambda t: seen.append("v"))
    (w * 2).sum().backward()  # v takes no part
    assert seen == ["w", "w"]


def test_non_leaf_and_no_grad_are_refused():
    x = ab.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="does not require grad"):
        ab.ones(2).register_post_accumulate_grad_hook(lambda t: None)
