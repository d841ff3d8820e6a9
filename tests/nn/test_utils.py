"""Gradient clipping and explicit penalties."""

import numpy as np
import pytest

import abinitio as ab
from abinitio.nn import utils


def _grads(torch):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) * 3 for s in [(3, 4), (5,)]]
    ours = [ab.nn.Parameter(ab.zeros(a.shape)) for a in arrays]
    theirs = [torch.zeros(a.shape, requires_grad=True) for a in arrays]
    for p, t, a in zip(ours, theirs, arrays):
        p.grad, t.grad = ab.tensor(a), torch.tensor(a)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_matches_torch(torch, norm_type):
    ours, theirs = _grads(torch)
    total = utils.clip_grad_norm_(ours, 1.5, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type)
    assert total.item() == pytest.approx(expected.item(), rel=1e-5)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-5)


def test_clip_grad_norm_leaves_small_gradients_alone_and_flags_nan():
    p = ab.nn.Parameter(ab.zeros(2))
    p.grad = ab.tensor([0.3, 0.4])
    assert utils.clip_grad_norm_([p], 1.0).item() == pytest.approx(0.5)
    assert p.grad.tolist() == pytest.approx([0.3, 0.4])
    p.grad = ab.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch(torch):
    ours, theirs = _grads(torch)
    utils.clip_grad_value_(ours, 0.5)
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())


def test_penalties_and_their_gradients():
    w = ab.nn.Parameter(ab.tensor([[1.0, -2.0], [0.5, 0.0]]))
    b = ab.nn.Parameter(ab.tensor([3.0]))
    assert utils.l1_penalty([w, b]).item() == 6.5
    l2 = utils.l2_penalty([w, b])
    assert l2.item() == 14.25
    l2.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.numpy(force=True))
    assert utils.parameters_to_vector([w, b]).tolist() == [1.0, -2.0, 0.5, 0.0, 3.0]
