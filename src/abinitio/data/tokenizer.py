"""Characters <-> integer tokens, for character-level language models.

A character-level model reads text as a sequence of integers, one per character: token k
stands for ``vocab[k]``. The vocabulary is the sorted set of characters of the training
text, so a corpus, a model and a saved run agree on it through ``to_json``/``from_json``.
"""

from __future__ import annotations

import json

import numpy as np

from abinitio.ops.arguments import array_of


class CharTokenizer:
    """Characters <-> integer tokens: token k is ``vocab[k]``.

    Args:
        vocab: the distinct characters (a string or a sequence of 1-character strings).

    Example:
        >>> tokenizer = CharTokenizer.from_text("hello")
        >>> tokenizer.vocab, tokenizer.encode("hole").tolist()
        (('e', 'h', 'l', 'o'), [1, 3, 2, 0])
        >>> tokenizer.decode([1, 0, 2, 2, 3])
        'hello'

    See the article docs/articles/architectures/transformers.py.
    """

    def __init__(self, vocab) -> None:
        vocab = tuple(vocab)
        if not vocab or any(not isinstance(c, str) or len(c) != 1 for c in vocab):
            raise ValueError(f"CharTokenizer: vocab must be single characters, got {vocab!r:.80}")
        if len(set(vocab)) != len(vocab):
            raise ValueError("CharTokenizer: vocab has repeated characters")
        self.vocab = vocab
        self._index = {char: k for k, char in enumerate(vocab)}

    @classmethod
    def from_text(cls, text: str) -> CharTokenizer:
        """The tokenizer of every distinct character of ``text``, sorted."""
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> np.ndarray:
        """The int64 tokens of ``text``; unknown characters are an error naming them."""
        unknown = sorted(set(text) - self._index.keys())
        if unknown:
            raise ValueError(
                f"CharTokenizer: characters {unknown} are not in the vocabulary of "
                f"{self.vocab_size} characters {''.join(self.vocab)!r:.120}"
            )
        return np.array([self._index[c] for c in text], dtype=np.int64)

    def decode(self, tokens) -> str:
        """The text of ``tokens`` (a list, array or Tensor of ints)."""
        tokens = np.asarray(array_of(tokens)).reshape(-1)
        if tokens.size and not 0 <= tokens.min() <= tokens.max() < self.vocab_size:
            raise ValueError(
                f"CharTokenizer: tokens must lie in [0, {self.vocab_size}), got values "
                f"from {tokens.min()} to {tokens.max()}"
            )
        return "".join(self.vocab[k] for k in tokens.tolist())

    def to_json(self) -> str:
        return json.dumps({"vocab": "".join(self.vocab)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CharTokenizer:
        return cls(json.loads(text)["vocab"])

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"
