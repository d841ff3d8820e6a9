"""Spikes: an exact step forward; each surrogate's backward equals its stated derivative,
and matches snnTorch's surrogate of the same name."""

import math

import numpy as np
import pytest

import abinitio as ab
from abinitio.snn import surrogate
from helpers import require

U = np.concatenate([np.linspace(-2, 2, 41), [-1e-7, 0.0, 1e-7]]).astype(np.float32)

# the derivative each docstring states, written out independently here
STATED = {
    "fast_sigmoid": lambda u, k=25.0: 1 / (1 + k * np.abs(u)) ** 2,
    "atan": lambda u, a=2.0: (a / 2) / (1 + (math.pi * a * u / 2) ** 2),
    "sigmoid": lambda u, k=25.0: k * np.exp(-k * u) / (1 + np.exp(-k * u)) ** 2,
    "triangular": lambda u, w=1.0: np.maximum(0, 1 - np.abs(u) / w) / w,
    "straight_through_estimator": lambda u: np.ones_like(u),
    "heaviside": lambda u: (u > 0).astype(np.float32),
    "spike_rate_escape": lambda u, b=1.0, k=25.0: k * np.exp(-b * np.abs(u - 1)),
}


@pytest.mark.parametrize("name", sorted(STATED))
def test_forward_is_an_exact_step_and_backward_the_stated_derivative(name):
    fn = surrogate.by_name(name)
    u = ab.tensor(U, requires_grad=True)
    s = fn(u)
    assert s.dtype == np.float32
    np.testing.assert_array_equal(s.detach().numpy(), (U > 0).astype(np.float32))
    weights = np.random.default_rng(0).uniform(0.5, 2, U.shape).astype(np.float32)
    (s * ab.tensor(weights)).sum().backward()
    expected = weights * STATED[name](U.astype(np.float64))
    np.testing.assert_allclose(u.grad.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_parameters_change_the_derivative():
    u = np.array([0.1], np.float32)
    assert surrogate.fast_sigmoid(slope=5).derivative(u)[0] == pytest.approx(1 / 1.5**2)
    assert surrogate.atan(alpha=4).derivative(u)[0] == pytest.approx(2 / (1 + (0.2 * math.pi) ** 2))
    assert surrogate.triangular(width=0.5).derivative(u)[0] == pytest.approx(1.6)


def test_bad_surrogate_arguments():
    with pytest.raises(ValueError, match="slope must be a positive number"):
        surrogate.fast_sigmoid(slope=0)
    with pytest.raises(ValueError, match="unknown surrogate 'relu'"):
        surrogate.by_name("relu")


SNNTORCH_CASES = [("fast_sigmoid", (10,)), ("atan", (3.0,)), ("sigmoid", (5,)),
                  ("straight_through_estimator", ()), ("heaviside", ()),
                  ("spike_rate_escape", (1.5, 20))]  # fmt: skip


@pytest.mark.parametrize("name,args", SNNTORCH_CASES)
def test_surrogates_match_snntorch(name, args):
    torch = require("torch")
    require("snntorch")
    import snntorch.surrogate as sts

    ours, theirs = getattr(surrogate, name)(*args), getattr(sts, name)(*args)
    u = ab.tensor(U, requires_grad=True)
    ut = torch.tensor(U, requires_grad=True)
    s, st = ours(u), theirs(ut)
    np.testing.assert_array_equal(s.detach().numpy(), st.detach().numpy())
    s.sum().backward()
    st.sum().backward()
    np.testing.assert_allclose(u.grad.numpy(), ut.grad.numpy(), rtol=1e-5, atol=1e-7)
