"""The character GPT and its tokenizer: shapes, causality, PyTorch parity, sampling,
learning, the attention heat map, and errors that name the bad input."""

import numpy as np
import pytest

import abinitio as ab
import abinitio.nn.functional as F
from abinitio.models import GPT, CharTokenizer
from abinitio.random import Generator
from abinitio.viz.attention import attention_heatmap, attention_weights


def _model(**kw):
    options = {"vocab_size": 11, "context_size": 8, "n_layers": 2, "n_heads": 2, "width": 16}
    return GPT(**{**options, **kw})


def test_logits_shape_and_parameter_count():
    model = _model()
    assert model(ab.tensor([[1, 2, 3], [4, 5, 6]])).shape == (2, 3, 11)
    per_block = 4 * 16 * 16 + 4 * 16 + 2 * 4 * 16 * 16 + 4 * 16 + 16 + 2 * 2 * 16
    expected = 11 * 16 + 8 * 16 + 2 * per_block + 2 * 16 + 11 * 16
    assert sum(p.numel() for p in model.parameters()) == expected


def test_changing_a_future_token_leaves_earlier_outputs_unchanged():
    model = _model(dropout=0.0).eval()
    tokens = np.array([[3, 1, 4, 1, 5, 9, 2, 6]])
    changed = tokens.copy()
    changed[0, 5] = 7
    with ab.no_grad():
        before, after = model(ab.tensor(tokens)).numpy(), model(ab.tensor(changed)).numpy()
    np.testing.assert_array_equal(before[:, :5], after[:, :5])
    assert not np.allclose(before[:, 5:], after[:, 5:])


def test_blocks_match_a_torch_model_with_the_same_state_dict(torch):
    ours = _model()
    nn = torch.nn

    class TorchGPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding = nn.Embedding(11, 16)
            self.position_embedding = nn.Embedding(8, 16)
            self.blocks = nn.ModuleList(
                nn.TransformerEncoderLayer(
                    16,
                    2,
                    64,
                    0.0,
                    lambda x: F_t.gelu(x, approximate="tanh"),
                    batch_first=True,
                    norm_first=True,
                )  # fmt: skip
                for _ in range(2)
            )
            self.norm, self.head = nn.LayerNorm(16), nn.Linear(16, 11, bias=False)

        def forward(self, x):
            h = self.token_embedding(x) + self.position_embedding.weight[: x.shape[1]]
            mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
            for block in self.blocks:
                h = block(h, src_mask=mask, is_causal=True)
            return self.head(self.norm(h))

    F_t = torch.nn.functional
    theirs = TorchGPT()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    tokens = np.random.default_rng(0).integers(0, 11, size=(3, 6))
    logits, expected = ours(ab.tensor(tokens)), theirs(torch.tensor(tokens))
    np.testing.assert_allclose(logits.detach().numpy(), expected.detach().numpy(), atol=1e-5)
    F.cross_entropy(logits.reshape(-1, 11), ab.tensor(tokens.reshape(-1))).backward()
    F_t.cross_entropy(expected.reshape(-1, 11), torch.tensor(tokens.reshape(-1))).backward()
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), theirs_params[name].grad.numpy(),
                                   atol=1e-5, err_msg=name)  # fmt: skip


def test_generation_is_seeded_and_greedy_at_temperature_zero():
    model = _model()
    first = model.generate([1, 2], 10, generator=Generator(3))
    again = model.generate([1, 2], 10, generator=Generator(3))
    assert first.shape == (1, 12) and first.numpy()[0, :2].tolist() == [1, 2]
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    greedy = model.generate([[1, 2], [3, 4]], 12, temperature=0)  # beyond the context of 8
    assert greedy.shape == (2, 14)
    top_1 = model.generate([[1, 2], [3, 4]], 12, top_k=1, generator=Generator(7))
    np.testing.assert_array_equal(greedy.numpy(), top_1.numpy())
    last = model(ab.tensor(greedy.numpy()[:, -9:-1])).detach().numpy()[:, -1].argmax(-1)
    np.testing.assert_array_equal(last, greedy.numpy()[:, -1])
    assert model.training  # generate restores the mode it found


def test_top_k_only_samples_the_k_likeliest():
    model = _model()
    logits = model(ab.tensor([[5]])).detach().numpy()[0, -1]
    allowed = set(np.argsort(logits)[-3:].tolist())
    tokens = model.generate([5], 1, temperature=2.0, top_k=3, generator=Generator(0))
    samples = set()
    for seed in range(30):
        sample = model.generate([5], 1, temperature=2.0, top_k=3, generator=Generator(seed))
        samples.add(int(sample.numpy()[0, 1]))
    assert samples <= allowed and tokens.shape == (1, 2)


def test_string_prompts_go_through_the_tokenizer():
    tokenizer = CharTokenizer.from_text("abcdefghij ")
    model = _model()
    text = model.generate("bad cab", 5, tokenizer=tokenizer, generator=Generator(1))
    assert text.startswith("bad cab") and len(text) == 12 and set(text) <= set(tokenizer.vocab)
    with pytest.raises(ValueError, match=r"characters \['x', 'z'\] are not in the vocabulary"):
        model.generate("a zax", 5, tokenizer=tokenizer)
    with pytest.raises(ValueError, match="needs tokenizer"):
        model.generate("abc", 5)
    with pytest.raises(ValueError, match="at least one token"):
        model.generate("", 5, tokenizer=tokenizer)


def test_tokenizer_round_trips_and_refuses_bad_tokens():
    tokenizer = CharTokenizer.from_text("hello, world\n")
    assert tokenizer.decode(tokenizer.encode("low\nhold")) == "low\nhold"
    restored = CharTokenizer.from_json(tokenizer.to_json())
    assert restored.vocab == tokenizer.vocab and restored.vocab_size == 10
    with pytest.raises(ValueError, match=r"tokens must lie in \[0, 10\), got values from 0 to 12"):
        tokenizer.decode([0, 12])
    with pytest.raises(ValueError, match="repeated"):
        CharTokenizer("aba")


def test_tied_weights_are_one_parameter():
    model = _model(tie_weights=True)
    assert model.head.weight is model.token_embedding.weight
    untied = sum(p.numel() for p in _model().parameters())
    assert sum(p.numel() for p in model.parameters()) == untied - 11 * 16


def test_bad_input_names_what_was_expected_and_received():
    model = _model()
    with pytest.raises(ValueError, match=r"T <= context_size = 8, got shape \(1, 9\)"):
        model(ab.zeros(1, 9, dtype=ab.int64))
    with pytest.raises(ValueError, match="dtype float32"):
        model(ab.zeros(1, 3))
    with pytest.raises(ValueError, match=r"activation must be one of .*got 'swish'"):
        _model(activation="swish")
    with pytest.raises(ValueError, match="top_k must be a positive int, got 0"):
        model.generate([1], 3, top_k=0)


def test_a_tiny_model_learns_a_repeating_text():
    text = "the cat sat on the mat. " * 20
    tokenizer = CharTokenizer.from_text(text)
    tokens = tokenizer.encode(text)
    model = GPT(tokenizer.vocab_size, context_size=16, n_layers=1, n_heads=2, width=32)
    optimizer = ab.optim.AdamW(model.parameters(), lr=1e-2)
    starts = np.arange(0, len(tokens) - 17, 7)
    x, y = (ab.tensor(np.stack([tokens[s + i : s + i + 16] for s in starts])) for i in (0, 1))
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x).reshape(-1, tokenizer.vocab_size), y.reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]
    assert model.generate("the c", 6, temperature=0, tokenizer=tokenizer) == "the cat sat"


def test_attention_heat_map_of_one_head():
    model = _model()
    weights = attention_weights(model, ab.tensor([[1, 2, 3, 4, 5]]), layer=-1)
    assert weights.shape == (1, 2, 5, 5)
    np.testing.assert_allclose(weights.sum(-1), 1, rtol=1e-5)
    assert not np.triu(weights[0, 0], 1).any()  # causal: nothing above the diagonal
    assert model.blocks[1].self_attn.forward.__func__ is type(model.blocks[1].self_attn).forward
    figure = attention_heatmap(model, ab.tensor([[1, 2, 3]]), layer=1, head=1, labels="a b")
    assert figure.axes[0].get_title() == "layer 1, head 1"
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["a", "\u2423", "b"]
    with pytest.raises(ValueError, match="layer 2 does not exist; the model has 2"):
        attention_weights(model, ab.tensor([[1]]), layer=2)
    with pytest.raises(ValueError, match="head 2 does not exist; layer 0 has 2 heads"):
        attention_heatmap(model, ab.tensor([[1]]), head=2)
