"""MultiheadAttention, Transformer layers and positional encodings: PyTorch parity with
weights copied through the state dict (outputs, attention weights, every gradient), float64
gradchecks, and errors that name what was expected and received."""

import copy

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn
from helpers import check_gradients, copy_into_torch

TOL = {"rtol": 1e-4, "atol": 1e-4}


def _arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(np.float32) for shape in shapes]


def _compare(torch, ours, theirs, arrays, ours_kw=None, theirs_kw=None):
    """Same weights, inputs and masks: outputs, weights, input and parameter gradients."""
    copy_into_torch(torch, ours, theirs)
    xs = [ab.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = ours(*xs, **(ours_kw or {})), theirs(*ts, **(theirs_kw or {}))
    if isinstance(out, tuple):
        (out, weights), (expected, expected_weights) = out, expected
        assert (weights is None) == (expected_weights is None)
        if weights is not None:
            np.testing.assert_allclose(weights.detach().numpy(),
                                       expected_weights.detach().numpy(), **TOL)  # fmt: skip
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **TOL)
    g = np.random.default_rng(9).standard_normal(out.shape).astype(np.float32)
    (out * ab.tensor(g)).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), **TOL, err_msg=f"input {i}")
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), theirs_params[name].grad.numpy(), **TOL,
                                   err_msg=name)  # fmt: skip


def _masks(torch, lib, length, source, batch):
    rng = np.random.default_rng(5)
    attn = rng.random((length, source)) < 0.3
    attn[:, 0] = False  # every query keeps one key (PyTorch gives NaN for a fully masked row)
    padding = np.zeros((batch, source), dtype=bool)
    padding[0, -2:] = True
    make = ab.tensor if lib == "ab" else torch.tensor
    return {"attn_mask": make(attn), "key_padding_mask": make(padding)}


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("need_weights, average", [(True, True), (True, False), (False, True)])
def test_multihead_attention_matches_torch(torch, batch_first, need_weights, average):
    ours = nn.MultiheadAttention(16, 4, batch_first=batch_first)
    theirs = torch.nn.MultiheadAttention(16, 4, batch_first=batch_first)
    shapes = [(2, 5, 16), (2, 7, 16), (2, 7, 16)]
    if not batch_first:
        shapes = [(s[1], s[0], s[2]) for s in shapes]
    options = {"need_weights": need_weights, "average_attn_weights": average}
    _compare(torch, ours, theirs, _arrays(*shapes),
             {**options, **_masks(torch, "ab", 5, 7, 2)},
             {**options, **_masks(torch, "torch", 5, 7, 2)})  # fmt: skip


def test_multihead_self_attention_unbatched_and_per_head_float_masks(torch):
    ours, theirs = (
        nn.MultiheadAttention(12, 3, bias=False),
        torch.nn.MultiheadAttention(12, 3, bias=False),
    )
    (x,) = _arrays((4, 12))
    _compare(torch, ours, theirs, [x, x, x])
    per_head = _arrays((2 * 3, 4, 4), seed=2)[0]
    y = _arrays((4, 2, 12), seed=3)[0]
    _compare(torch, ours, theirs, [y, y, y], {"attn_mask": ab.tensor(per_head)},
             {"attn_mask": torch.tensor(per_head)})  # fmt: skip


def test_state_dict_keys_are_pytorchs(torch):
    for name, args in [("MultiheadAttention", (8, 2)), ("TransformerEncoderLayer", (8, 2, 16)),
                       ("TransformerDecoderLayer", (8, 2, 16))]:  # fmt: skip
        ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        shapes = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
        assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == shapes


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_torch(torch, norm_first, activation):
    kw = {"dropout": 0.0, "activation": activation, "norm_first": norm_first, "batch_first": True}
    ours, theirs = (
        nn.TransformerEncoderLayer(16, 4, 24, **kw),
        torch.nn.TransformerEncoderLayer(16, 4, 24, **kw),
    )
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)  # True: may not attend
    padding = np.array([[False] * 5, [False] * 3 + [True] * 2])
    masks = {"src_mask": causal, "src_key_padding_mask": padding}
    _compare(torch, ours, theirs, _arrays((2, 5, 16)),
             {k: ab.tensor(v) for k, v in masks.items()},
             {k: torch.tensor(v) for k, v in masks.items()})  # fmt: skip
    _compare(torch, ours, theirs, _arrays((2, 5, 16)), {"is_causal": True},
             {"src_mask": torch.tensor(causal), "is_causal": True})  # fmt: skip


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_decoder_layer_matches_torch(torch, norm_first, activation):
    kw = {"dropout": 0.0, "activation": activation, "norm_first": norm_first}
    ours, theirs = (
        nn.TransformerDecoderLayer(16, 4, 24, **kw),
        torch.nn.TransformerDecoderLayer(16, 4, 24, **kw),
    )
    causal = np.triu(np.full((5, 5), -np.inf, dtype=np.float32), 1)
    memory_padding = np.array([[False] * 6, [False] * 4 + [True] * 2])
    _compare(torch, ours, theirs, _arrays((5, 2, 16), (6, 2, 16)),
             {"tgt_mask": ab.tensor(causal), "memory_key_padding_mask": ab.tensor(memory_padding)},
             {"tgt_mask": torch.tensor(causal),
              "memory_key_padding_mask": torch.tensor(memory_padding)})  # fmt: skip


def test_stacks_match_torch(torch):
    kw = {"dropout": 0.0, "batch_first": True, "norm_first": True}
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, **kw), 2, nn.LayerNorm(8))
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, 16, **kw), 2, torch.nn.LayerNorm(8),
        enable_nested_tensor=False,
    )  # fmt: skip
    for param in encoder.parameters():  # the deep copies start equal: make them differ
        param.array[...] = np.random.default_rng(param.numel()).normal(0, 0.3, param.shape)
    _compare(torch, encoder, theirs, _arrays((2, 4, 8)))
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, **kw), 2)
    theirs = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, 16, **kw), 2)
    _compare(torch, decoder, theirs, _arrays((2, 4, 8), (2, 3, 8)))


def test_encoder_stack_holds_independent_copies():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    encoder = nn.TransformerEncoder(layer, num_layers=3)
    first, second = encoder.layers[0], encoder.layers[1]
    assert first is not second and first.linear1.weight is not second.linear1.weight
    np.testing.assert_array_equal(first.linear1.weight.array, layer.linear1.weight.array)
    assert len(list(encoder.parameters())) == 3 * len(list(layer.parameters()))
    assert copy.deepcopy(layer).self_attn.in_proj_weight is not layer.self_attn.in_proj_weight


def test_float64_gradchecks():
    mha = nn.MultiheadAttention(6, 2, batch_first=True)
    layer = nn.TransformerEncoderLayer(6, 2, 8, dropout=0.0, activation="gelu", batch_first=True)
    for module in (mha, layer):
        for param in module.parameters():
            param.array = param.array.astype(np.float64)
    x, y = _arrays((2, 3, 6), (2, 4, 6), seed=1)
    check_gradients(lambda q, kv: mha(q, kv, kv)[0], [x.astype(np.float64), y.astype(np.float64)])
    check_gradients(lambda s: layer(s, is_causal=True), [x.astype(np.float64)])


def test_dropout_only_in_training_mode():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, batch_first=True)
    x = ab.randn(2, 4, 8)
    assert not np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())


def test_positional_encodings():
    sinusoidal = nn.SinusoidalPositionalEncoding(6, max_len=10)
    code = sinusoidal(ab.zeros(1, 4, 6)).numpy()[0]
    position, i = 3, 1
    assert np.isclose(code[position, 2 * i], np.sin(position / 10000 ** (2 * i / 6)))
    assert np.isclose(code[position, 2 * i + 1], np.cos(position / 10000 ** (2 * i / 6)))
    assert "pe" not in sinusoidal.state_dict()  # a fixed table is not a weight
    sequence_first = nn.SinusoidalPositionalEncoding(6, max_len=10, batch_first=False)
    np.testing.assert_allclose(sequence_first(ab.zeros(4, 2, 6)).numpy()[:, 1], code)
    learned = nn.LearnedPositionalEmbedding(10, 6)
    x = ab.zeros(2, 4, 6, requires_grad=True)
    learned(x).sum().backward()
    assert learned.weight.grad.numpy()[:4].tolist() == [[2.0] * 6] * 4
    assert not learned.weight.grad.numpy()[4:].any()


def test_bad_input_names_what_was_expected_and_received():
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = ab.randn(2, 3, 8)
    with pytest.raises(ValueError, match=r"embed_dim 8 .* got shapes \(\(2, 3, 7\)"):
        mha(ab.randn(2, 3, 7), x, x)
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(L, S\) = \(3, 3\) .*"
                       r"\(N \* num_heads, L, S\) = \(4, 3, 3\), got \(3, 4\)"):  # fmt: skip
        mha(x, x, x, attn_mask=ab.zeros(3, 4))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(N, S\) = \(2, 3\)"):
        mha(x, x, x, key_padding_mask=ab.zeros(3, 2, dtype=ab.bool))
    with pytest.raises(ValueError, match="embed_dim=10, num_heads=3"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="'relu', 'gelu' or a callable, got 'swish'"):
        nn.TransformerEncoderLayer(8, 2, activation="swish")
    with pytest.raises(ValueError, match="max_len = 4"):
        nn.LearnedPositionalEmbedding(4, 8)(x.reshape(1, 6, 8)[:, :5])
    with pytest.raises(ValueError, match=r"expected input \(N, L, d\) with d = 6"):
        nn.SinusoidalPositionalEncoding(6)(x)
