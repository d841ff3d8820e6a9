"""A character-level GPT: a decoder-only Transformer that predicts the next character.

Given characters c_1..c_T, the model outputs at every position t a distribution over the
vocabulary for c_(t+1). Causal self-attention (position t sees positions <= t only) lets
one forward pass train all T predictions at once, and lets ``generate`` write text one
character at a time by sampling from the last position's distribution and feeding the
sample back in (Radford et al. 2018, 2019)::

    x = token_embedding(c) + position_embedding(t)
    x = block_n(...block_1(x))          pre-norm causal TransformerEncoderLayers
    logits = head(norm(x))              (B, T, vocab_size)

Each block is PyTorch's ``TransformerEncoderLayer(norm_first=True, activation="gelu")``
with a causal mask, so the weights of a block load into ``torch.nn`` unchanged.
"""

from __future__ import annotations

import math

import numpy as np

from abinitio import nn
from abinitio.autograd.grad_mode import no_grad
from abinitio.models.sampling import check_sampling, prompt_tokens, sample_next
from abinitio.random import numpy_generator
from abinitio.tensor import Tensor


def gelu_tanh(x):
    """GELU with GPT-2's tanh approximation (``F.gelu(x, approximate="tanh")``)."""
    return nn.functional.gelu(x, approximate="tanh")


ACTIVATIONS = {"gelu_tanh": gelu_tanh, "gelu": "gelu", "relu": "relu"}


class GPT(nn.Module):
    """A decoder-only Transformer language model (the GPT-2 layout, at any size).

    Args:
        vocab_size: the number of distinct tokens.
        context_size: the longest input (the block size); ``generate`` keeps the last
            ``context_size`` tokens.
        n_layers: Transformer blocks.
        n_heads: attention heads per block (``width`` must be divisible by it).
        width: the embedding size d_model; the feed-forward layers have 4 * width.
        dropout: after the embeddings, on attention weights, and in every block.
        tie_weights: share the token embedding with the output layer (Press & Wolf 2017).
        activation: the feed-forward activation: ``"gelu_tanh"`` (GPT-2's tanh
            approximation of GELU, the default: within 1e-3 of the exact one and about
            three times cheaper here), ``"gelu"`` (exact) or ``"relu"``.

    Shape:
        (B, T) integer tokens with T <= context_size -> (B, T, vocab_size) logits.

    Weights start as GPT-2's: N(0, 0.02^2), with the two projections that write into the
    residual stream scaled by 1 / sqrt(2 n_layers), so the stream's variance stays put as
    layers are added.

    Example:
        >>> import abinitio as ab
        >>> model = GPT(vocab_size=10, context_size=8, n_layers=1, n_heads=2, width=16)
        >>> model(ab.tensor([[1, 2, 3]])).shape
        (1, 3, 10)
        >>> model.generate([1, 2], max_new_tokens=4).shape
        (1, 6)

    See the article docs/articles/architectures/transformers.py.
    """

    def __init__(self, vocab_size: int, context_size: int = 128, n_layers: int = 4,
                 n_heads: int = 4, width: int = 128, dropout: float = 0.0,
                 tie_weights: bool = False, activation: str = "gelu_tanh") -> None:  # fmt: skip
        super().__init__()
        self.vocab_size, self.context_size = vocab_size, context_size
        self.n_layers, self.n_heads, self.width = n_layers, n_heads, width
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.position_embedding = nn.LearnedPositionalEmbedding(context_size, width)
        self.dropout = nn.Dropout(dropout)
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"GPT: activation must be one of {list(ACTIVATIONS)}, got {activation!r}"
            )
        self.activation = activation
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(
                width,
                n_heads,
                4 * width,
                dropout,
                ACTIVATIONS[activation],
                batch_first=True,
                norm_first=True,
            )  # fmt: skip
            for _ in range(n_layers)
        )
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab_size, bias=False)
        self.reset_parameters()
        if tie_weights:
            self.head.weight = self.token_embedding.weight

    def reset_parameters(self) -> None:
        for name, param in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(param)
            elif param.ndim == 2:
                projection = name.endswith(("out_proj.weight", "linear2.weight"))
                std = 0.02 / math.sqrt(2 * self.n_layers) if projection else 0.02
                nn.init.normal_(param, 0.0, std)

    def forward(self, idx):
        idx = idx if isinstance(idx, Tensor) else Tensor(np.asarray(idx))
        if idx.ndim != 2 or idx.dtype.kind not in "iu" or idx.shape[1] > self.context_size:
            raise ValueError(
                f"GPT: expected (B, T) integer tokens with T <= context_size = "
                f"{self.context_size}, got shape {idx.shape} of dtype {idx.dtype}"
            )
        x = self.dropout(self.position_embedding(self.token_embedding(idx)))
        for block in self.blocks:
            x = block(x, is_causal=True)
        return self.head(self.norm(x))

    def generate(self, prompt, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, tokenizer=None, generator=None):  # fmt: skip
        """Continue ``prompt`` by sampling ``max_new_tokens`` tokens, one at a time.

        Args:
            prompt: tokens, (T,) or (B, T) ints; or a string, with ``tokenizer``.
            max_new_tokens: how many tokens to add.
            temperature: divides the logits: below 1 sharper, above 1 more random;
                0 always takes the most likely token (greedy decoding).
            top_k: sample among the k most likely tokens only.
            tokenizer: a :class:`CharTokenizer`, needed for a string prompt.
            generator: an :class:`abinitio.random.Generator` (the default one if None).

        Returns:
            (B, T + max_new_tokens) int64 tokens, or the text if ``prompt`` was a string.
        """
        tokens = prompt_tokens(prompt, tokenizer, "GPT.generate")
        check_sampling(max_new_tokens, temperature, top_k, "GPT.generate")
        rng, was_training = numpy_generator(generator), self.training
        self.eval()
        with no_grad():
            for _ in range(max_new_tokens):
                logits = self(Tensor(tokens[:, -self.context_size :])).array[:, -1, :]
                choice = sample_next(logits, temperature, top_k, rng)
                tokens = np.concatenate([tokens, choice[:, None]], axis=1)
        self.train(was_training)
        if isinstance(prompt, str):
            return tokenizer.decode(tokens[0])
        return Tensor(tokens)

    def extra_repr(self) -> str:
        return f"vocab_size={self.vocab_size}, context_size={self.context_size}"
