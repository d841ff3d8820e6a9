"""The fused multi-step LIF layer against its composed reference (forward and every
gradient, each reset mode), against single-step Leaky, and against snnTorch."""

import numpy as np
import pytest

import abinitio as ab
from abinitio import snn
from abinitio.ops.spike import _reference_leaky_layer, leaky_layer
from helpers import require

RNG = np.random.default_rng(0)
X = RNG.uniform(-0.3, 1.2, (12, 3, 4)).astype(np.float32)
MEM0 = RNG.uniform(-0.5, 1.5, (3, 4)).astype(np.float32)  # some start above threshold


def _both(reset, output, beta_shape=(), dtype=np.float32):
    """Run fused and composed on the same inputs; return values and gradients of each."""
    beta = np.full(beta_shape, 0.85, dtype) if beta_shape else np.array(0.85, dtype)
    weights = np.random.default_rng(3).standard_normal(X.shape).astype(dtype)
    results = []
    for fused in (True, False):
        x = ab.tensor(X, dtype=dtype, requires_grad=True)
        mem = ab.tensor(MEM0, dtype=dtype, requires_grad=True)
        b = ab.tensor(beta, dtype=dtype, requires_grad=True)
        theta = ab.tensor(0.9, dtype=dtype, requires_grad=True)
        grad = snn.surrogate.fast_sigmoid(10)
        if fused:
            out = leaky_layer(x, mem, b, theta, grad, reset, output)
            spk, mems = (out[0], out[1]) if output == "both" else (out, None)
        else:
            spk, mems = _reference_leaky_layer(x, mem, b, theta, grad, reset)
            mems = mems if output == "both" else None
        w = ab.tensor(weights, dtype=dtype)
        loss = (spk * w).sum() + ((mems * w * 0.5).sum() if mems is not None else 0)
        loss.backward()
        values = [spk.detach().numpy()] + ([mems.detach().numpy()] if mems is not None else [])
        results.append((values, [t.grad.numpy() for t in (x, mem, b, theta)]))
    return results


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
@pytest.mark.parametrize("output", ["spikes", "both"])
def test_fused_matches_composed(reset, output):
    fused, composed = _both(reset, output)
    for a, b in zip(fused[0], composed[0]):
        np.testing.assert_array_equal(a, b)
    for name, a, b in zip(("x", "mem0", "beta", "threshold"), fused[1], composed[1]):
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=name)


def test_fused_per_neuron_beta_in_float64():
    fused, composed = _both("subtract", "both", beta_shape=(4,), dtype=np.float64)
    for name, a, b in zip(("x", "mem0", "beta", "threshold"), fused[1], composed[1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=name)


def test_fused_beta_gradient_is_zero_outside_the_clamp():
    x = ab.tensor(X, requires_grad=True)
    b = ab.tensor(np.array([1.2, 0.5, 0.5, -0.1], np.float32), requires_grad=True)
    leaky_layer(x, None, b, ab.tensor(1.0), snn.surrogate.atan(), "subtract").sum().backward()
    grad = b.grad.numpy()
    assert grad[0] == 0 and grad[3] == 0 and grad[1] != 0


def test_multistep_equals_stepping_leaky():
    lif = snn.Leaky(beta=0.9, threshold=0.8, reset_mechanism="zero")
    layer = snn.MultiStepLeaky(beta=0.9, threshold=0.8, reset_mechanism="zero", output=True)
    mem = lif.init_leaky()
    steps = []
    for t in range(len(X)):
        spk, mem = lif(ab.tensor(X[t]), mem)
        steps.append((spk.numpy(), mem.numpy()))
    spk, mems = layer(ab.tensor(X))
    np.testing.assert_array_equal(spk.numpy(), np.array([s for s, _ in steps]))
    np.testing.assert_allclose(mems.numpy(), np.array([m for _, m in steps]), rtol=1e-6)


def test_multistep_composed_path_equals_fused():
    layer = snn.MultiStepLeaky(beta=0.8, learn_beta=True)
    reference = snn.MultiStepLeaky(beta=0.8, learn_beta=True, fused=False)
    for net in (layer, reference):
        net(ab.tensor(X)).sum().backward()
    np.testing.assert_allclose(layer.beta.grad.numpy(), reference.beta.grad.numpy(), rtol=1e-5)


def test_time_dimension_must_match_time_steps():
    layer = snn.MultiStepLeaky(beta=0.9, time_steps=25)
    with pytest.raises(ValueError, match="has 12 time steps .* expected time_steps=25"):
        layer(ab.tensor(X))
    with pytest.raises(ValueError, match="time-major"):
        snn.MultiStepLeaky(beta=0.9)(ab.ones(5))


def test_fused_matches_snntorch_leaky_over_time():
    torch = require("torch")
    snntorch = require("snntorch")
    lif_t = snntorch.Leaky(beta=0.85, threshold=0.9, learn_beta=True,
                           spike_grad=snntorch.surrogate.fast_sigmoid(25))  # fmt: skip
    layer = snn.MultiStepLeaky(beta=0.85, threshold=0.9, learn_beta=True, output=True,
                               spike_grad=snn.surrogate.fast_sigmoid(25))  # fmt: skip
    xt = torch.tensor(X, requires_grad=True)
    mem = lif_t.init_leaky()
    spikes, mems = [], []
    for t in range(len(X)):
        spk, mem = lif_t(xt[t], mem)
        spikes.append(spk)
        mems.append(mem)
    spk_t, mem_t = torch.stack(spikes), torch.stack(mems)
    (spk_t.sum() + mem_t.sum()).backward()
    x = ab.tensor(X, requires_grad=True)
    spk, mems = layer(x)
    (spk.sum() + mems.sum()).backward()
    np.testing.assert_array_equal(spk.detach().numpy(), spk_t.detach().numpy())
    np.testing.assert_allclose(mems.detach().numpy(), mem_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.beta.grad.numpy(), lif_t.beta.grad.numpy(), rtol=1e-4)
