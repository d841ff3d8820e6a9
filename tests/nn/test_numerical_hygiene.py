"""Numerical hygiene: losses, softmax and activations stay finite at logits of +-1e4 (and
their gradients too), saturated probabilities give PyTorch's clamped values, half precision
is refused with a clear error, and index arithmetic is 64-bit."""

import numpy as np
import pytest

import abinitio as ab
import abinitio.nn.functional as F
from abinitio.ops.loss import _reference_binary_cross_entropy

TARGETS = np.array([1, 0])
BIG = {  # name -> a scalar function of (2, 3) logits
    "cross_entropy": lambda x: F.cross_entropy(x, ab.tensor(TARGETS)),
    "cross_entropy_smoothed": lambda x: F.cross_entropy(x, ab.tensor(TARGETS),
                                                        label_smoothing=0.1),  # fmt: skip
    "nll_of_log_softmax": lambda x: F.nll_loss(x.log_softmax(-1), ab.tensor(TARGETS)),
    "bce_with_logits": lambda x: F.binary_cross_entropy_with_logits(x, ab.full((2, 3), 0.3)),
    "bce_of_sigmoid": lambda x: F.binary_cross_entropy(x.sigmoid(), ab.full((2, 3), 0.3)),
    "mse": lambda x: F.mse_loss(x, ab.zeros(2, 3)),
    "huber": lambda x: F.huber_loss(x, ab.zeros(2, 3)),
    "softmax": lambda x: (x.softmax(-1) * ab.tensor([0.0, 1.0, 2.0])).sum(),
    "log_softmax": lambda x: x.log_softmax(-1).sum(),
    "logsumexp": lambda x: x.logsumexp(-1).sum(),
    "sigmoid": lambda x: x.sigmoid().sum(),
    "softplus": lambda x: F.softplus(x).sum(),
    "gelu": lambda x: F.gelu(x).sum(),
    "silu": lambda x: F.silu(x).sum(),
    "attention": lambda x: F.scaled_dot_product_attention(x[None], x[None], x[None]).sum(),
}


@pytest.mark.parametrize("name", BIG)
@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_finite_at_logits_of_1e4(name, scale):
    x = ab.tensor(np.array([[1, -1, 0], [-1, 1, 1]], np.float32) * scale, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        value = BIG[name](x)
        value.backward()
    assert np.isfinite(value.item()), f"{name} = {value.item()}"
    assert np.isfinite(x.grad.numpy()).all(), f"{name}: gradient {x.grad}"


def test_saturated_probabilities_match_pytorchs_clamped_bce(torch):
    p = np.array([0.0, 1.0, 1.0, 0.0, 0.5], np.float32)
    t = np.array([1.0, 0.0, 1.0, 0.0, 1.0], np.float32)
    ours = ab.tensor(p, requires_grad=True)
    theirs = torch.tensor(p, requires_grad=True)
    loss = F.binary_cross_entropy(ours, ab.tensor(t), reduction="sum")
    expected = torch.nn.functional.binary_cross_entropy(theirs, torch.tensor(t), reduction="sum")
    loss.backward()
    expected.backward()
    assert loss.item() == pytest.approx(expected.item())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)


def test_fused_bce_equals_its_composed_reference_inside_the_interval():
    rng = np.random.default_rng(0)
    values = rng.uniform(0.01, 0.99, 20).astype(np.float32)
    p, q = ab.tensor(values, requires_grad=True), ab.tensor(values, requires_grad=True)
    target = ab.tensor(rng.integers(0, 2, 20).astype(np.float32))
    F.binary_cross_entropy(p, target, reduction="sum").backward()
    _reference_binary_cross_entropy(q, target).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float16, "float16", "half"])
def test_half_precision_is_refused_with_a_clear_error(dtype):
    value = np.ones(3, np.float16) if dtype is np.float16 else np.ones(3)
    kwargs = {} if dtype is np.float16 else {"dtype": getattr(ab, dtype)}
    with pytest.raises(TypeError, match="float16 .* float32 or float64"):
        ab.tensor(value, **kwargs)
    with pytest.raises(TypeError, match="float16"):
        ab.ones(3).to(np.float16)


def test_index_arithmetic_is_64_bit():
    """Flat indices of a 50,000 x 50,000 tensor pass 2**31: index tensors are int64."""
    index = ab.tensor([0, 2**31 + 5])
    assert index.dtype == ab.int64
    assert ab.arange(3).dtype == ab.int64
    largest_int32 = ab.tensor([2**31 - 1])  # from a Python int: the default integer dtype
    assert (largest_int32 + 1).item() == 2**31  # int32 arithmetic would wrap to -2**31
