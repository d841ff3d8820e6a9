"""The fused BatchNorm and LayerNorm primitives against their composed definitions
(``_reference_*`` in ops/normalization.py): the three-term backward is checked against
backpropagation through mean, variance, square root and division."""

import numpy as np
import pytest

import abinitio as ab
from abinitio.nn import functional as F
from abinitio.ops.normalization import _reference_batch_norm, _reference_layer_norm


def _leaves(rng, *shapes):
    return [ab.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


def _outputs_and_grads(fn, leaves, weights):
    for leaf in leaves:
        leaf.grad = None
    out = fn(*leaves)
    (out * ab.tensor(weights)).sum().backward()
    return out.detach().numpy(), [leaf.grad.numpy() for leaf in leaves]


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5)])
def test_batch_norm_matches_its_composed_definition(shape):
    rng = np.random.default_rng(0)
    leaves = _leaves(rng, shape, (3,), (3,))
    weights = rng.standard_normal(shape)
    fused = _outputs_and_grads(
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), leaves, weights
    )
    composed = _outputs_and_grads(
        lambda x, w, b: _reference_batch_norm(x, w, b, 1e-5), leaves, weights
    )
    np.testing.assert_allclose(fused[0], composed[0], rtol=1e-4, atol=1e-5)
    for ours, reference in zip(fused[1], composed[1]):
        np.testing.assert_allclose(ours, reference, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("shape, ndims", [((4, 6), 1), ((2, 3, 4), 2)])
def test_layer_norm_matches_its_composed_definition(shape, ndims):
    rng = np.random.default_rng(1)
    normalized = shape[-ndims:]
    leaves = _leaves(rng, shape, normalized, normalized)
    weights = rng.standard_normal(shape)
    fused = _outputs_and_grads(lambda x, w, b: F.layer_norm(x, normalized, w, b), leaves, weights)
    composed = _outputs_and_grads(
        lambda x, w, b: _reference_layer_norm(x, w, b, ndims, 1e-5), leaves, weights
    )
    np.testing.assert_allclose(fused[0], composed[0], rtol=1e-4, atol=1e-5)
    for ours, reference in zip(fused[1], composed[1]):
        np.testing.assert_allclose(ours, reference, rtol=1e-3, atol=1e-4)
