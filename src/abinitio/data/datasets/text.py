"""A character-level text corpus for language models (char-RNN, a tiny transformer).

With no file, the corpus is the English help text that ships with every CPython: the
standard library's ``pydoc_data.topics.topics`` (what ``help("if")`` prints), about
465,000 characters in CPython 3.11. Its exact text changes between Python versions.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from abinitio.data.tokenizer import CharTokenizer


class TextCorpus:
    """A text, its sorted character vocabulary, and train/validation token arrays.

    Token ``k`` is ``vocab[k]``; ``encode`` and ``decode`` translate (with ``tokenizer``, a
    :class:`~abinitio.data.tokenizer.CharTokenizer` of the text's characters).

    Args:
        text: the corpus.
        name: a label for ``repr``.
        val_fraction: the share of the text, taken from its end, kept for validation.

    Attributes:
        text: the corpus as one string.
        vocab: the distinct characters, sorted (a tuple of 1-character strings).
        vocab_size: ``len(vocab)``.
        train_data: int64 tokens of the first ``1 - val_fraction`` of the text.
        val_data: int64 tokens of the rest (contiguous, so no sentence leaks across).

    Example:
        >>> corpus = TextCorpus("hello world", val_fraction=0.25)
        >>> corpus.vocab_size, corpus.encode("hello").tolist()
        (8, [3, 2, 4, 4, 5])
        >>> corpus.decode(corpus.encode("world"))
        'world'
        >>> len(corpus.train_data), len(corpus.val_data)
        (8, 3)
    """

    def __init__(self, text: str, name: str = "text", val_fraction: float = 0.1) -> None:
        if not text:
            raise ValueError("TextCorpus: the text is empty")
        if not 0 <= val_fraction < 1:
            raise ValueError(f"TextCorpus: val_fraction must be in [0, 1), got {val_fraction}")
        self.text = text
        self.name = name
        self.tokenizer = CharTokenizer.from_text(text)
        tokens = self.encode(text)
        cut = len(tokens) - round(val_fraction * len(tokens))
        self.train_data, self.val_data = tokens[:cut], tokens[cut:]

    @property
    def vocab(self) -> tuple:
        return self.tokenizer.vocab

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size

    def encode(self, text: str) -> np.ndarray:
        """The int64 token array of ``text``; every character must be in ``vocab``."""
        return self.tokenizer.encode(text)

    def decode(self, tokens) -> str:
        """The text of ``tokens`` (a list, NumPy array or Tensor of ints)."""
        return self.tokenizer.decode(tokens)

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return (
            f"TextCorpus(name={self.name!r}, characters={len(self.text)}, "
            f"vocab_size={self.vocab_size}, train={len(self.train_data)}, "
            f"val={len(self.val_data)})"
        )


def default_text() -> str:
    """The standard library's help topics (``pydoc_data.topics``), joined in sorted order."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key].strip() for key in sorted(topics))


def text(path: str | os.PathLike | None = None, val_fraction: float = 0.1) -> TextCorpus:
    """A character-level corpus from a UTF-8 file, or the Python help topics offline.

    Args:
        path: a UTF-8 text file; ``None`` uses :func:`default_text`.
        val_fraction: the share of the text (from its end) kept for validation.

    Returns:
        a :class:`TextCorpus` (text, vocab, encode/decode, train_data, val_data).

    Example:
        >>> corpus = text()
        >>> corpus.decode(corpus.encode("def f(x):")) == "def f(x):"
        True
        >>> corpus.train_data.dtype, len(corpus.text) > 100_000
        (dtype('int64'), True)
    """
    if path is None:
        return TextCorpus(default_text(), "pydoc topics", val_fraction)
    path = Path(path).expanduser()
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"text(): no file {path}") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"text(): {path} is not UTF-8 text ({error})") from None
    if not content:
        raise ValueError(f"text(): {path} is empty")
    return TextCorpus(content, path.name, val_fraction)
