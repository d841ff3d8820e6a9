"""PPO's clipped objective and its gradient against the formula (and against PyTorch)."""

import numpy as np

import abinitio as ab
from abinitio.rl import ppo_clip_loss
from abinitio.rl.ppo import value_loss

RNG = np.random.default_rng(0)
NEW = RNG.normal(-1.0, 0.4, 64).astype(np.float32)
OLD = RNG.normal(-1.0, 0.4, 64).astype(np.float32)
ADV = RNG.standard_normal(64).astype(np.float32)
EPS = 0.2


def test_clipped_loss_and_its_gradient_equal_the_formula():
    new = ab.tensor(NEW, requires_grad=True)
    loss, approx_kl, clip_fraction = ppo_clip_loss(new, ab.tensor(OLD), ab.tensor(ADV), EPS)
    loss.backward()
    r = np.exp(NEW.astype(np.float64) - OLD)
    surrogate = np.minimum(r * ADV, np.clip(r, 1 - EPS, 1 + EPS) * ADV)
    np.testing.assert_allclose(loss.item(), -surrogate.mean(), rtol=1e-5)
    # d/d new_i: -r_i A_i / n where the unclipped term is the minimum, 0 where the clip binds
    clipped_binds = ((ADV > 0) & (r > 1 + EPS)) | ((ADV < 0) & (r < 1 - EPS))
    expected = np.where(clipped_binds, 0.0, -r * ADV / len(r))
    assert 5 < clipped_binds.sum() < 59, "the data should exercise both branches"
    np.testing.assert_allclose(new.grad.numpy(), expected, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(approx_kl, np.mean(r - 1 - np.log(r)), rtol=1e-4)
    np.testing.assert_allclose(clip_fraction, np.mean(np.abs(r - 1) > EPS))


def test_clipped_loss_matches_torch(torch):
    new = torch.tensor(NEW, requires_grad=True)
    ratio = (new - torch.tensor(OLD)).exp()
    adv = torch.tensor(ADV)
    expected = -torch.min(ratio * adv, ratio.clamp(1 - EPS, 1 + EPS) * adv).mean()
    expected.backward()
    ours = ab.tensor(NEW, requires_grad=True)
    loss, _, _ = ppo_clip_loss(ours, ab.tensor(OLD), ab.tensor(ADV), EPS)
    loss.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), new.grad.numpy(), rtol=1e-5, atol=1e-8)


def test_clipped_value_loss_takes_the_larger_error():
    v = ab.tensor([1.0, 0.0, 2.0], requires_grad=True)
    old, target = ab.tensor([0.0, 0.0, 0.0]), ab.tensor([0.0, 1.0, 2.0])
    loss = value_loss(v, target, old, 0.5)
    # v_clipped = [0.5, 0, 0.5]; errors^2: max(1, .25)=1, max(1, 1)=1, max(0, 2.25)=2.25
    np.testing.assert_allclose(loss.item(), 0.5 * (1 + 1 + 2.25) / 3, rtol=1e-6)
    np.testing.assert_allclose(value_loss(v, target, old, None).item(), 0.5 * 2 / 3, rtol=1e-6)
