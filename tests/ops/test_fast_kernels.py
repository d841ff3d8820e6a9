"""Every fast kernel against its readable reference (the composed version kept beside it)."""

import numpy as np
import pytest

import abinitio as ab
import abinitio.nn.functional as F
from abinitio.ops.activation import _reference_normal_cdf, normal_cdf
from abinitio.ops.normalization import _reference_batch_norm, _reference_layer_norm


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_cdf_matches_its_reference_tails_included(dtype):
    x = np.concatenate([np.linspace(-14, 14, 20001), [0.0, -0.0, 1e-30, -1e-30]]).astype(dtype)
    fast, reference = normal_cdf(x), _reference_normal_cdf(x)
    assert fast.dtype == dtype
    # relative error, so the far tails (Phi(-14) ~ 8e-45 in float64) count too
    scale = np.maximum(reference, np.finfo(dtype).tiny)
    tolerance = 4 * np.finfo(dtype).eps
    assert np.max(np.abs(fast - reference) / scale) < tolerance


def test_normal_cdf_keeps_shapes_and_takes_scalars():
    x = np.linspace(-3, 3, 24).reshape(2, 3, 4)[:, ::2]  # a strided view
    np.testing.assert_allclose(normal_cdf(x), _reference_normal_cdf(x), rtol=1e-15)
    assert abs(float(normal_cdf(0.0)) - 0.5) < 2e-8  # the fit is not exact at 0
    assert normal_cdf(np.array([1, 2])).dtype.kind == "f"


def _grads(fn, arrays, weights):
    leaves = [ab.tensor(a, requires_grad=True) for a in arrays]  # float32, as by default
    out = fn(*leaves)
    (out * ab.tensor(weights)).sum().backward()
    return [out.detach().numpy()] + [leaf.grad.numpy() for leaf in leaves]


def test_batch_norm_on_batch_innermost_memory_matches_its_reference():
    # convolutions return (N, C, H, W) views of (C, H, W, N) memory: BatchNorm's fast
    # backward works on those as (C, H*W*N) rows
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 5, 6)).transpose(3, 0, 1, 2)  # (6, 3, 4, 5)
    assert not x.flags.c_contiguous
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    weights = rng.standard_normal(x.shape)
    fused = _grads(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                   (x, w, b), weights)  # fmt: skip
    composed = _grads(lambda x, w, b: _reference_batch_norm(x, w, b, 1e-5), (x, w, b), weights)
    for ours, reference in zip(fused, composed):
        np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=2e-6)


@pytest.mark.parametrize("affine", ["both", "bias only", "none"])
def test_layer_norm_over_two_dims_matches_its_reference(affine):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4, 5))
    w = rng.standard_normal((4, 5)) if affine == "both" else None
    b = rng.standard_normal((4, 5)) if affine != "none" else None
    params = [p for p in (w, b) if p is not None]
    weights = rng.standard_normal(x.shape)

    def unpack(x, *rest):
        rest = list(rest)
        return x, (rest.pop(0) if w is not None else None), (rest.pop(0) if b is not None else None)

    def fused(*leaves):
        x, w_, b_ = unpack(*leaves)
        return F.layer_norm(x, (4, 5), w_, b_)

    def composed(*leaves):
        x, w_, b_ = unpack(*leaves)
        return _reference_layer_norm(x, 1.0 if w_ is None else w_, 0.0 if b_ is None else b_,
                                     2, 1e-5)  # fmt: skip

    for ours, reference in zip(_grads(fused, (x, *params), weights),
                               _grads(composed, (x, *params), weights)):  # fmt: skip
        np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=2e-6)


def test_softmax_matches_its_composed_definition():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7)) * 5
    weights = rng.standard_normal(x.shape)
    for dim in (-1, 1, 0):
        def composed(t, dim=dim):
            e = (t - t.max(dim=dim, keepdim=True).values).exp()
            return e / e.sum(dim=dim, keepdim=True)

        ours = _grads(lambda t: F.softmax(t, dim=dim), (x,), weights)
        reference = _grads(composed, (x,), weights)
        for a, b in zip(ours, reference):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-6)


@pytest.mark.parametrize("count, rows", [(500, 7), (3, 1000), (0, 4)])
def test_embedding_grad_matches_the_scatter_add_reference(count, rows):
    from abinitio.ops.embedding import _reference_embedding_grad, _sum_rows_by_index

    rng = np.random.default_rng(4)
    indices = rng.integers(0, rows, count)
    values = rng.standard_normal((count, 5))
    np.testing.assert_allclose(
        _sum_rows_by_index(indices, values, rows),
        _reference_embedding_grad(indices, values, rows),
        rtol=1e-12, atol=1e-12,
    )


def test_flatten_gradient_lies_in_memory_as_its_input_did():
    """The gradient through a reshape comes back in the forward input's memory order (a
    convolution's batch-innermost output), with the same numbers as a plain reshape."""
    from types import SimpleNamespace

    from abinitio.ops.shape import Reshape

    rng = np.random.default_rng(0)
    data = rng.standard_normal((3, 4, 5, 2), np.float32).transpose(3, 0, 1, 2)  # (N, C, H, W)
    g = rng.standard_normal((2, 60), np.float32)
    ctx = SimpleNamespace()
    Reshape.forward(ctx, data, (2, 60))
    grad = Reshape.backward(ctx, g)
    np.testing.assert_array_equal(grad, g.reshape(2, 3, 4, 5))
    assert grad.transpose(1, 2, 3, 0).flags.c_contiguous  # batch innermost, like the input
    Reshape.forward(ctx, np.ascontiguousarray(data), (2, 60))
    assert np.shares_memory(Reshape.backward(ctx, g), g)  # a C-ordered input: a plain view
    x = ab.tensor(data, requires_grad=True)  # and through the engine, into .grad
    x.flatten(1).backward(ab.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), g.reshape(2, 3, 4, 5))
