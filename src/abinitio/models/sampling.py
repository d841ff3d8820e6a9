"""Sampling text from a language model, one token at a time (shared by GPT and CharRNN).

A language model gives logits z over the vocabulary for the next token. Sampling draws
from p = softmax(z / T): a temperature T below 1 sharpens p towards the likeliest token,
above 1 flattens it, and T = 0 is greedy decoding (always the arg-max). Top-k sampling
first keeps only the k largest logits, so a long tail of unlikely tokens cannot be drawn.
"""

from __future__ import annotations

import numpy as np


def prompt_tokens(prompt, tokenizer, caller: str) -> np.ndarray:
    """The prompt as an (N, T) int64 array: from tokens, (T,) or (N, T), or from a string
    encoded by ``tokenizer``. ``caller`` names the method in error messages."""
    if isinstance(prompt, str):
        if tokenizer is None:
            raise ValueError(f"{caller}: a string prompt needs tokenizer=CharTokenizer(...)")
        prompt = tokenizer.encode(prompt)
    tokens = np.asarray(prompt.array if hasattr(prompt, "array") else prompt)
    tokens = tokens.reshape(1, -1) if tokens.ndim == 1 else tokens
    if tokens.ndim != 2 or tokens.shape[1] == 0:
        raise ValueError(
            f"{caller}: the prompt needs at least one token, as (T,) or (N, T), got shape "
            f"{tokens.shape}"
        )
    return tokens.astype(np.int64)


def check_sampling(max_new_tokens: int, temperature: float, top_k, caller: str) -> None:
    """Reject settings that cannot be sampled with, naming ``caller``."""
    if max_new_tokens < 0 or temperature < 0:
        raise ValueError(
            f"{caller}: max_new_tokens and temperature must be >= 0, got {max_new_tokens} "
            f"and {temperature}"
        )
    if top_k is not None and top_k < 1:
        raise ValueError(f"{caller}: top_k must be a positive int, got {top_k}")


def sample_next(logits: np.ndarray, temperature: float, top_k, rng) -> np.ndarray:
    """One token per row of ``logits`` (N, V): drawn from softmax(logits / temperature)
    restricted to the ``top_k`` largest; the arg-max when temperature is 0.

    The draw inverts the cumulative distribution: u ~ U(0, total), and the token is the
    first index whose cumulative (unnormalised) probability reaches u.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> logits = np.array([[0.0, 5.0, 1.0], [2.0, 0.0, 0.0]])
        >>> sample_next(logits, 0.0, None, rng).tolist()  # greedy
        [1, 0]
        >>> sample_next(logits, 1.0, 1, rng).tolist()  # top-1 is greedy too
        [1, 0]
    """
    logits = logits.astype(np.float64)
    if temperature == 0:
        return logits.argmax(axis=-1)
    logits = logits / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = np.partition(logits, -top_k, axis=-1)[:, -top_k, None]
        logits = np.where(logits < kth, -np.inf, logits)
    cumulative = np.cumsum(np.exp(logits - logits.max(axis=-1, keepdims=True)), axis=-1)
    draws = rng.random((len(cumulative), 1)) * cumulative[:, -1:]
    return np.minimum((cumulative < draws).sum(axis=-1), logits.shape[-1] - 1)
