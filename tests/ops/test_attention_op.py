"""The fused attention primitive: against its composed reference, PyTorch and finite
differences; dropout, fully masked rows, learned masks and bad input."""

import numpy as np
import pytest

import abinitio as ab
import abinitio.nn.functional as F
from abinitio.ops.attention import (
    ScaledDotProductAttention,
    _reference_scaled_dot_product_attention,
    causal_mask,
)
from helpers import check_gradients, random_inputs

SHAPES = [((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)), ((5, 4), (7, 4), (7, 3))]


def _grads(fn, arrays, seed=1):
    tensors = [ab.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    weights = np.random.default_rng(seed).standard_normal(out.shape).astype(np.float32)
    (out * ab.tensor(weights)).sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in tensors]


def _assert_same(fused, composed, arrays):
    out, grads = _grads(fused, arrays)
    expected, expected_grads = _grads(composed, arrays)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    for got, want in zip(grads, expected_grads):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("shapes", SHAPES)
def test_fused_matches_composed_reference(shapes):
    arrays = random_inputs(shapes)
    _assert_same(F.scaled_dot_product_attention, _reference_scaled_dot_product_attention, arrays)


@pytest.mark.parametrize("kind", ["causal", "bool", "float"])
def test_fused_matches_reference_with_masks(kind):
    arrays = random_inputs(((2, 2, 5, 4), (2, 2, 5, 4), (2, 2, 5, 3)))
    rng = np.random.default_rng(3)
    mask = {"causal": None, "bool": rng.random((5, 5)) < 0.7, "float": rng.normal(size=(5, 5))}
    mask = mask[kind]
    if kind == "bool":
        mask[:, 0] = True  # every query may see one key (the reference is NaN otherwise)
    options = {"is_causal": kind == "causal"}
    if mask is not None:
        options["attn_mask"] = ab.tensor(mask.astype(bool if kind == "bool" else np.float32))

    def fused(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, **options)

    def composed(q, k, v):
        return _reference_scaled_dot_product_attention(q, k, v, **options)

    _assert_same(fused, composed, arrays)


def test_scale_argument_matches_torch(torch):
    arrays = random_inputs(((2, 4, 6), (2, 5, 6), (2, 5, 6)))
    out = F.scaled_dot_product_attention(*map(ab.tensor, arrays), scale=0.3)
    expected = torch.nn.functional.scaled_dot_product_attention(
        *map(torch.tensor, arrays), scale=0.3
    )
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_dropout_backward_matches_composed_with_the_same_keep_mask():
    arrays = random_inputs(((2, 4, 6), (2, 5, 6), (2, 5, 3)))
    keep = (np.random.default_rng(4).random((2, 4, 5)) >= 0.3) / 0.7
    keep = keep.astype(np.float32)
    scale = 1 / np.sqrt(6)

    def fused(q, k, v):
        return ScaledDotProductAttention.apply(q, k, v, None, scale, keep)

    def composed(q, k, v):
        weights = ((q @ k.transpose(-2, -1)) * scale).softmax(-1)
        return (weights * ab.tensor(keep)) @ v

    _assert_same(fused, composed, arrays)


def test_dropout_draws_from_the_seeded_generator():
    q = ab.randn(2, 3, 4)
    ab.manual_seed(5)
    first = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    ab.manual_seed(5)
    again = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    plain = F.scaled_dot_product_attention(q, q, q)
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert not np.allclose(first.numpy(), plain.numpy())


def test_fully_masked_rows_give_zero_output_and_gradient(torch):
    arrays = random_inputs(((1, 3, 4), (1, 5, 4), (1, 5, 2)))
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    out, grads = _grads(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=ab.tensor(mask)), arrays
    )
    assert not np.isnan(out).any() and not out[0, 1].any()
    assert not grads[0][0, 1].any()
    expected = torch.nn.functional.scaled_dot_product_attention(
        *map(torch.tensor, arrays), attn_mask=torch.tensor(mask)
    )
    np.testing.assert_allclose(out, expected.numpy(), atol=1e-6)


def test_float64_gradcheck_with_masks_and_a_learned_bias():
    q, k, v, bias = random_inputs(((2, 3, 4), (2, 5, 4), (2, 5, 3), (3, 5)), dtype=np.float64)
    check_gradients(lambda q, k, v, b: F.scaled_dot_product_attention(q, k, v, attn_mask=b),
                    [q, k, v, bias])  # fmt: skip
    mask = ab.tensor(np.tril(np.ones((3, 5), dtype=bool)))
    check_gradients(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
                    [q, k, v])  # fmt: skip


def test_causal_mask_is_cached_and_read_only():
    mask = causal_mask(3, 4)
    assert mask is causal_mask(3, 4)
    assert not mask.flags.writeable
    assert np.isneginf(mask).tolist() == [[False, True, True, True], [False, False, True, True],
                                          [False, False, False, True]]  # fmt: skip


def test_bad_input_names_what_was_expected_and_received():
    q, k = ab.randn(2, 4, 8), ab.randn(2, 6, 8)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(4, 5\).*\(L, S\) = \(4, 6\)"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=ab.ones(4, 5, dtype=ab.bool))
    with pytest.raises(ValueError, match=r"same last dim.*\(2, 4, 8\).*\(2, 6, 7\)"):
        F.scaled_dot_product_attention(q, ab.randn(2, 6, 7), k)
    with pytest.raises(ValueError, match=r"same length.*\(2, 6, 8\).*\(2, 5, 8\)"):
        F.scaled_dot_product_attention(q, k, ab.randn(2, 5, 8))
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=ab.zeros(4, 6), is_causal=True)
    with pytest.raises(ValueError, match=r"dropout_p must be in \[0, 1\), got 1.5"):
        F.scaled_dot_product_attention(q, k, k, dropout_p=1.5)
    with pytest.raises(ValueError, match=r"query needs shape \(\.\.\., length, dim\)"):
        F.scaled_dot_product_attention(ab.randn(8), k, k)
