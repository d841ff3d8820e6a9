"""Distributions against torch.distributions: values, and gradients through log_prob and
entropy; samples against their expected frequencies; bad input."""

import numpy as np
import pytest

import abinitio as ab
from abinitio.distributions import Bernoulli, Categorical, Independent, Normal

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((5, 4)).astype(np.float32) * 2
ACTIONS = RNG.integers(0, 4, size=(5,))
MU = RNG.standard_normal((5, 3)).astype(np.float32)
LOG_SIGMA = RNG.standard_normal((5, 3)).astype(np.float32) * 0.5
X = RNG.standard_normal((5, 3)).astype(np.float32)


def _grads_agree(ours, theirs, out, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol, atol)
    weights = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    (out * ab.tensor(weights)).sum().backward()
    (expected * type(expected)(weights)).sum().backward()
    for a, t in zip(ours, theirs):
        if t.grad is None:  # the entropy of a Normal does not depend on its mean
            assert a.grad is None or not a.grad.numpy().any()
            continue
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol, atol)


@pytest.mark.parametrize("what", ["log_prob", "entropy", "probs"])
def test_categorical_matches_torch(torch, what):
    ours = ab.tensor(LOGITS, requires_grad=True)
    theirs = torch.tensor(LOGITS, requires_grad=True)
    d, t = Categorical(logits=ours), torch.distributions.Categorical(logits=theirs)
    if what == "log_prob":
        out, expected = d.log_prob(ab.tensor(ACTIONS)), t.log_prob(torch.tensor(ACTIONS))
    else:
        out, expected = getattr(d, what), getattr(t, what)
        out, expected = (out(), expected()) if callable(out) else (out, expected)
    _grads_agree([ours], [theirs], out, expected)


def test_categorical_from_probs_and_broadcast_log_prob(torch):
    probs = np.exp(LOGITS) / 3.0  # unnormalised weights, as torch accepts them
    d, t = Categorical(probs=probs), torch.distributions.Categorical(probs=torch.tensor(probs))
    values = RNG.integers(0, 4, size=(7, 5))  # sample_shape (7,) + batch_shape (5,)
    np.testing.assert_allclose(
        d.log_prob(values).numpy(), t.log_prob(torch.tensor(values)).numpy(), rtol=1e-5
    )


@pytest.mark.parametrize("what", ["log_prob", "entropy"])
def test_normal_matches_torch(torch, what):
    mu, log_sigma = ab.tensor(MU, requires_grad=True), ab.tensor(LOG_SIGMA, requires_grad=True)
    tmu = torch.tensor(MU, requires_grad=True)
    tls = torch.tensor(LOG_SIGMA, requires_grad=True)
    d = Independent(Normal(mu, log_sigma.exp()), 1)
    t = torch.distributions.Independent(torch.distributions.Normal(tmu, tls.exp()), 1)
    if what == "log_prob":
        out, expected = d.log_prob(ab.tensor(X)), t.log_prob(torch.tensor(X))
    else:
        out, expected = d.entropy(), t.entropy()
    assert out.shape == (5,)
    _grads_agree([mu, log_sigma], [tmu, tls], out, expected)


@pytest.mark.parametrize("what", ["log_prob", "entropy"])
def test_bernoulli_matches_torch(torch, what):
    ours = ab.tensor(MU, requires_grad=True)
    theirs = torch.tensor(MU, requires_grad=True)
    d, t = Bernoulli(logits=ours), torch.distributions.Bernoulli(logits=theirs)
    x = (X > 0).astype(np.float32)
    if what == "log_prob":
        out, expected = d.log_prob(ab.tensor(x)), t.log_prob(torch.tensor(x))
    else:
        out, expected = d.entropy(), t.entropy()
    _grads_agree([ours], [theirs], out, expected)


def test_normal_rsample_gradient_is_the_noise():
    mu = ab.tensor(np.zeros(4, np.float32), requires_grad=True)
    sigma = ab.tensor(np.full(4, 2.0, np.float32), requires_grad=True)
    a = Normal(mu, sigma).rsample(generator=ab.random.Generator(3))
    a.sum().backward()
    eps = ab.random.Generator(3).numpy.standard_normal(4).astype(np.float32)
    np.testing.assert_allclose(a.detach().numpy(), 2.0 * eps, rtol=1e-6)
    np.testing.assert_allclose(mu.grad.numpy(), np.ones(4))
    np.testing.assert_allclose(sigma.grad.numpy(), eps, rtol=1e-6)
    assert not Normal(mu, sigma).sample().requires_grad


def test_samples_follow_their_distributions():
    g = ab.random.Generator(0)
    probs = np.array([0.1, 0.6, 0.3], np.float32)
    draws = Categorical(probs=probs).sample((20000,), generator=g).numpy()
    assert draws.dtype == np.int64 and draws.shape == (20000,)
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 20000, probs, atol=0.015)
    coins = Bernoulli(probs=ab.tensor([0.2, 0.9])).sample((20000,), generator=g).numpy()
    np.testing.assert_allclose(coins.mean(0), [0.2, 0.9], atol=0.015)
    normal = Normal(ab.tensor([1.0, -2.0]), ab.tensor([0.5, 3.0])).sample((20000,), g).numpy()
    np.testing.assert_allclose(normal.mean(0), [1.0, -2.0], atol=0.06)
    np.testing.assert_allclose(normal.std(0), [0.5, 3.0], rtol=0.03)


def test_sampling_is_repeatable_with_an_explicit_generator():
    d = Categorical(logits=ab.tensor(LOGITS))
    a = d.sample((3,), generator=ab.random.Generator(7)).numpy()
    b = d.sample((3,), generator=ab.random.Generator(7)).numpy()
    assert a.shape == (3, 5) and (a == b).all()
    ab.manual_seed(7)
    c = d.sample((3,)).numpy()
    assert (a == c).all()  # the process generator with the same seed gives the same draws


def test_mode_and_shapes():
    d = Categorical(logits=ab.tensor(LOGITS))
    assert (d.mode.numpy() == LOGITS.argmax(-1)).all()
    n = Independent(Normal(ab.tensor(MU), 1.0), 1)
    assert n.batch_shape == (5,) and n.event_shape == (3,) and n.sample().shape == (5, 3)
    assert (n.mode.numpy() == MU).all()


def test_bad_arguments_are_refused_with_their_values():
    with pytest.raises(ValueError, match="exactly one of probs or logits"):
        Categorical()
    with pytest.raises(ValueError, match="non-negative"):
        Categorical(probs=[0.5, -0.5])
    with pytest.raises(ValueError, match=r"must lie in \[0, 4\), got min 0 and max 4"):
        Categorical(logits=ab.tensor(LOGITS)).log_prob(ab.tensor([0, 1, 2, 3, 4]))
    with pytest.raises(ValueError, match="scale must be positive"):
        Normal(0.0, [1.0, 0.0])
    with pytest.raises(ValueError, match=r"probs must lie in \[0, 1\]"):
        Bernoulli(probs=[1.5])
    with pytest.raises(ValueError, match=r"reinterpreted_batch_ndims must be in \[0, 1\]"):
        Independent(Normal(ab.zeros(3), ab.ones(3)), 2)
