"""MNIST1DGRU (the MNIST-1D repository's GRU) and CharRNN (a character language model)."""

import numpy as np
import pytest

import abinitio as ab
from abinitio.data.datasets import TextCorpus
from abinitio.models import MNIST1DGRU, CharRNN


def test_mnist1d_gru_has_the_repositorys_5134_parameters():
    model = MNIST1DGRU()
    assert sum(p.numel() for p in model.parameters()) == 5134
    assert list(model.state_dict()) == [
        "gru.weight_ih_l0", "gru.weight_hh_l0", "gru.bias_ih_l0", "gru.bias_hh_l0",
        "gru.weight_ih_l0_reverse", "gru.weight_hh_l0_reverse", "gru.bias_ih_l0_reverse",
        "gru.bias_hh_l0_reverse", "linear.weight", "linear.bias",
    ]  # fmt: skip


def _torch_gru_base(torch):
    """The repository's GRUBase: GRU(1, 6, bidirectional) over (N, 40, 1) from zeros, all
    40 outputs flattened into Linear(480, 10)."""

    class GRUBase(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = torch.nn.GRU(1, 6, batch_first=True, bidirectional=True)
            self.linear = torch.nn.Linear(480, 10)

        def forward(self, x):
            x = x[:, :, None]
            h0 = torch.zeros(2, x.shape[0], 6)
            output, _ = self.gru(x, h0)
            return self.linear(output.reshape(x.shape[0], -1))

    return GRUBase()


def test_mnist1d_gru_matches_the_repositorys_model_in_torch(torch):
    theirs = _torch_gru_base(torch)
    ours = MNIST1DGRU()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((8, 40)).astype(np.float32)
    y = np.arange(8) % 10
    ours_loss = ab.nn.functional.cross_entropy(ours(ab.tensor(x)), ab.tensor(y))
    theirs_loss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
    ours_loss.backward()
    theirs_loss.backward()
    assert abs(ours_loss.item() - theirs_loss.item()) < 1e-5
    expected = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), expected[name].grad.numpy(), atol=1e-5,
                                   err_msg=name)  # fmt: skip


def _windows(tokens, context, rng, batch):
    starts = rng.integers(0, len(tokens) - context - 1, size=batch)
    x = np.stack([tokens[s : s + context] for s in starts])
    y = np.stack([tokens[s + 1 : s + context + 1] for s in starts])
    return ab.tensor(x), ab.tensor(y)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_char_rnn_learns_a_repeating_text_and_continues_it(cell):
    corpus = TextCorpus("the cat sat on the mat. " * 40, val_fraction=0.0)
    model = CharRNN(corpus.vocab_size, embedding_dim=16, hidden_size=32, num_layers=1,
                    cell=cell)  # fmt: skip
    optimizer = ab.optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    for _ in range(150):
        x, y = _windows(corpus.train_data, 24, rng, 16)
        logits = model(x)
        loss = ab.nn.functional.cross_entropy(logits.reshape(-1, corpus.vocab_size),
                                              y.reshape(-1))  # fmt: skip
        optimizer.zero_grad()
        loss.backward()
        ab.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    assert loss.item() < 0.2
    text = model.generate("the cat ", 32, temperature=0, tokenizer=corpus)
    assert text == "the cat sat on the mat. the cat sat on t"


def test_char_rnn_carried_state_equals_rereading_the_prefix():
    model = CharRNN(11, embedding_dim=6, hidden_size=8, num_layers=2, cell="lstm").eval()
    tokens = ab.randint(0, 11, (3, 9))
    full = model(tokens)
    _, state = model.forward_with_state(tokens[:, :5])
    rest = model(tokens[:, 5:], state)
    np.testing.assert_allclose(rest.detach().numpy(), full[:, 5:].detach().numpy(), atol=1e-5)


def test_char_rnn_sampling_options():
    model = CharRNN(7, embedding_dim=4, hidden_size=8, num_layers=1)
    prompt = ab.tensor([[1, 2, 3], [4, 5, 6]])
    greedy = model.generate(prompt, 6, temperature=0)
    assert greedy.shape == (2, 9) and model.training  # mode restored
    np.testing.assert_array_equal(model.generate(prompt, 6, top_k=1).numpy(), greedy.numpy())
    first = model.generate(prompt, 6, generator=ab.Generator().manual_seed(3))
    again = model.generate(prompt, 6, generator=ab.Generator().manual_seed(3))
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert model.generate([1, 2], 3).shape == (1, 5)
    with pytest.raises(ValueError, match="tokenizer"):
        model.generate("abc", 3)
    with pytest.raises(ValueError, match="cell must be 'gru' or 'lstm'"):
        CharRNN(7, cell="transformer")
