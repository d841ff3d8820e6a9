"""Recurrent models: ``MNIST1DGRU`` (the MNIST-1D benchmark's GRU) and ``CharRNN`` (a
character-level language model).

A recurrent network reads its input one step at a time, so the same few weights serve
sequences of any length; what it has seen so far lives in its hidden state.
"""

from __future__ import annotations

import numpy as np

from abinitio import nn
from abinitio.autograd.grad_mode import no_grad
from abinitio.creation import tensor
from abinitio.models.sampling import check_sampling, prompt_tokens, sample_next
from abinitio.random import numpy_generator


class MNIST1DGRU(nn.Module):
    """The GRU of the MNIST-1D repository (``GRUBase``, Greydanus 2020), exactly.

    A bidirectional GRU with 6 hidden units per direction reads the 40-point signal one
    value per step, from zero initial states; its outputs at all 40 steps, (N, 40, 12),
    are flattened to 480 features for a linear classifier. 5,134 parameters (the paper
    reports 91% test accuracy).

    Args:
        input_size: features per step (1: the signal itself).
        hidden_size: units per direction.
        time_steps: the signal's length.
        num_classes: outputs of the classifier.

    Shape:
        input (N, 40) (or (N, 40, 1)) -> logits (N, 10).

    Example:
        >>> import abinitio as ab
        >>> model = MNIST1DGRU()
        >>> sum(p.numel() for p in model.parameters()), model(ab.randn(2, 40)).shape
        (5134, (2, 10))

    See the article docs/articles/architectures/recurrent_networks.py.
    """

    def __init__(self, input_size: int = 1, hidden_size: int = 6, time_steps: int = 40,
                 num_classes: int = 10) -> None:  # fmt: skip
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.gru = nn.GRU(input_size, hidden_size, batch_first=True, bidirectional=True)
        self.linear = nn.Linear(2 * hidden_size * time_steps, num_classes)

    def forward(self, x, h0=None):
        if x.ndim == 2:
            x = x.unsqueeze(-1)  # (N, 40) -> (N, 40, 1): one value per step
        output, _ = self.gru(x, h0)  # h0 None: zeros, as the repository's torch.zeros
        return self.linear(output.flatten(1))


class CharRNN(nn.Module):
    """A character-level language model (Karpathy's char-rnn): embedding -> GRU or LSTM ->
    linear, predicting the next character at every position.

    Trained on (input, target) windows where the target is the input shifted by one
    character, with cross-entropy on every position. :meth:`generate` then samples text one
    character at a time, carrying the recurrent state instead of re-reading the prefix.

    Args:
        vocab_size: number of distinct characters.
        embedding_dim: size of each character's learned vector.
        hidden_size: units of the recurrent layers.
        num_layers: stacked recurrent layers.
        cell: ``"gru"`` (default) or ``"lstm"``.
        dropout: dropout between recurrent layers and before the output layer.

    Shape:
        input (N, L) int tokens -> logits (N, L, vocab_size).

    Example (one training step, with gradient clipping as RNNs usually need):
        >>> import abinitio as ab
        >>> model = CharRNN(vocab_size=20, embedding_dim=8, hidden_size=16, cell="lstm")
        >>> optimizer = ab.optim.Adam(model.parameters(), lr=3e-3)
        >>> tokens = ab.randint(0, 20, (4, 13))
        >>> logits = model(tokens[:, :-1])
        >>> logits.shape
        (4, 12, 20)
        >>> loss = ab.nn.functional.cross_entropy(logits.reshape(-1, 20), tokens[:, 1:].reshape(-1))
        >>> loss.backward()
        >>> norm = ab.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        >>> optimizer.step()
        >>> model.generate(tokens[:1, :3], max_new_tokens=5).shape
        (1, 8)

    See the article docs/articles/architectures/recurrent_networks.py.
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 64, hidden_size: int = 256,
                 num_layers: int = 2, cell: str = "gru", dropout: float = 0.0) -> None:  # fmt: skip
        super().__init__()
        layers = {"gru": nn.GRU, "lstm": nn.LSTM}
        if cell not in layers:
            raise ValueError(f"CharRNN: cell must be 'gru' or 'lstm', got {cell!r}")
        self.vocab_size, self.cell = vocab_size, cell
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = layers[cell](embedding_dim, hidden_size, num_layers, batch_first=True,
                                dropout=dropout if num_layers > 1 else 0.0)  # fmt: skip
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, input, hx=None):
        return self.forward_with_state(input, hx)[0]

    def forward_with_state(self, input, hx=None):
        """(logits, state): the state (h_n, or (h_n, c_n) for an LSTM) continues the text."""
        output, state = self.rnn(self.embedding(input), hx)
        return self.head(self.dropout(output)), state

    def generate(self, prompt, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, tokenizer=None, generator=None):  # fmt: skip
        """Continue ``prompt`` by ``max_new_tokens`` sampled characters (the signature of
        :meth:`abinitio.models.GPT.generate`).

        The prompt is read once; each new character is drawn from softmax(logits /
        temperature), among the ``top_k`` likeliest if given (temperature 0: the likeliest),
        and fed back with the carried state. The model runs in eval mode, without a graph.

        Args:
            prompt: tokens, (T,) or (N, T) ints; or a string, with ``tokenizer``.
            max_new_tokens: how many characters to add.
            temperature: below 1 sharper, above 1 more random; 0 is greedy.
            top_k: sample among the k likeliest only.
            tokenizer: anything with ``encode``/``decode``, needed for a string prompt.
            generator: an :class:`abinitio.random.Generator` (the default one if None).

        Returns:
            (N, T + max_new_tokens) int64 tokens, or the text if ``prompt`` was a string.
        """
        tokens = prompt_tokens(prompt, tokenizer, "CharRNN.generate")
        check_sampling(max_new_tokens, temperature, top_k, "CharRNN.generate")
        rng, was_training = numpy_generator(generator), self.training
        self.eval()
        pieces, state, last = [tokens], None, tokens
        with no_grad():
            for _ in range(max_new_tokens):
                logits, state = self.forward_with_state(tensor(last), state)
                last = sample_next(logits.array[:, -1], temperature, top_k, rng)[:, None]
                pieces.append(last)
        self.train(was_training)
        tokens = np.concatenate(pieces, axis=1)
        return tokenizer.decode(tokens[0]) if isinstance(prompt, str) else tensor(tokens)
