"""Attention layers: ``MultiheadAttention`` and the two ways to tell a Transformer where
each token is (``SinusoidalPositionalEncoding``, ``LearnedPositionalEmbedding``).

Attention itself is order-blind: permuting the keys permutes nothing in the output. Word
order therefore enters as a position vector added to each token's embedding.
"""

from __future__ import annotations

import math

import numpy as np

from abinitio import creation
from abinitio.nn import functional as F
from abinitio.nn import init
from abinitio.nn.modules.dropout import Dropout
from abinitio.nn.modules.linear import Linear
from abinitio.nn.modules.module import Module
from abinitio.nn.parameter import Parameter
from abinitio.ops.arguments import array_of
from abinitio.ops.attention import causal_mask
from abinitio.tensor import Tensor


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al. 2017), with PyTorch's parameters and semantics.

    Each head h projects the inputs to its own queries, keys and values of size
    d = embed_dim / num_heads and attends on its own; the heads are concatenated and mixed
    by one more linear layer::

        head_h = softmax(Q W_q^h (K W_k^h)^T / sqrt(d) + mask) V W_v^h
        output = concat(head_1, ..., head_H) W_o^T + b_o

    The three input projections are stored stacked in ``in_proj_weight`` (3 E, E), so the
    state dict is PyTorch's and moves between the two frameworks unchanged.

    **Masks follow PyTorch's MultiheadAttention**, whose bool masks mean the opposite of
    ``F.scaled_dot_product_attention``'s: here True means *may not attend*. Float masks are
    added to the scores in both.

    Args:
        embed_dim: E, the size of each token vector (divisible by ``num_heads``).
        num_heads: the number of heads H.
        dropout: dropout probability on the attention weights (training mode only).
        bias: learn the projection biases ``in_proj_bias`` and ``out_proj.bias``.
        batch_first: inputs are (N, L, E) instead of PyTorch's default (L, N, E).

    Shape:
        query (N, L, E) or (L, N, E) or unbatched (L, E); key and value likewise with S.
        Returns ``(output, weights)``: output like ``query``; weights (N, L, S) averaged
        over heads, (N, H, L, S) with ``average_attn_weights=False``, None without
        ``need_weights``.

    Example:
        >>> import abinitio as ab
        >>> mha = ab.nn.MultiheadAttention(16, 4, batch_first=True)
        >>> x = ab.randn(2, 5, 16)
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        ((2, 5, 16), (2, 5, 5))

    See the article docs/articles/architectures/transformers.py.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False, dtype=None) -> None:  # fmt: skip
        super().__init__()
        if num_heads <= 0 or embed_dim <= 0 or embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim must be a positive multiple of num_heads, got "
                f"embed_dim={embed_dim}, num_heads={num_heads}"
            )
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, dtype=dtype))
        if bias:
            self.in_proj_bias = Parameter(creation.zeros(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's: Xavier-uniform input projections, zero biases."""
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True,
                is_causal: bool = False):  # fmt: skip
        """Attend from ``query`` to ``key``/``value``; returns ``(output, weights)``.

        ``key_padding_mask`` (N, S): True (or -inf) marks padding keys no query may see.
        ``attn_mask`` (L, S) or (N * num_heads, L, S): True (or -inf) forbids a pair.
        ``is_causal=True`` without a mask applies the causal mask (PyTorch demands the
        mask as well and takes the flag as a hint that it is causal)."""
        batched = self._check_inputs(query, key, value)
        if not batched:
            query, key, value = (t.unsqueeze(0) for t in (query, key, value))
        elif not self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        n, length, source = query.shape[0], query.shape[1], key.shape[1]
        if is_causal and attn_mask is None:
            attn_mask = causal_mask(length, source, query.dtype.name)
        mask = self._merged_mask(attn_mask, key_padding_mask, n, length, source, query.dtype)
        q, k, v = self._project(query, key, value)
        p = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            out, weights = _attention_with_weights(q, k, v, mask, p)
            weights = weights.mean(1) if average_attn_weights else weights
            weights = weights if batched else weights.squeeze(0)
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        out = self.out_proj(out.permute(0, 2, 1, 3).reshape(n, length, self.embed_dim))
        if not batched:
            return out.squeeze(0), weights
        return (out if self.batch_first else out.transpose(0, 1)), weights

    def _check_inputs(self, query, key, value) -> bool:
        shapes = tuple(tuple(t.shape) for t in (query, key, value))
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(
                f"{self!r}: query, key and value must all be 3-D (batched) or all 2-D "
                f"(unbatched), got shapes {shapes}"
            )
        if any(shape[-1] != self.embed_dim for shape in shapes):
            raise ValueError(
                f"{self!r}: expected query, key and value with embed_dim {self.embed_dim} "
                f"in their last dim, got shapes {shapes}"
            )
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"{self!r}: key and value shapes differ: {shapes[1:]}")
        return query.ndim == 3

    def _project(self, query, key, value):
        """(N, L, E) inputs -> q, k, v of shape (N, H, L, d): one GEMM for self-attention."""
        w, b, e = self.in_proj_weight, self.in_proj_bias, self.embed_dim
        if query is key and key is value:
            qkv = F.linear(query, w, b).reshape(*query.shape[:2], 3, self.num_heads, -1)
            qkv = qkv.permute(2, 0, 3, 1, 4)
            return qkv[0], qkv[1], qkv[2]
        biases = (None, None, None) if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
        weights = (w[:e], w[e : 2 * e], w[2 * e :])
        return tuple(
            F.linear(x, wi, bi).reshape(*x.shape[:2], self.num_heads, -1).permute(0, 2, 1, 3)
            for x, wi, bi in zip((query, key, value), weights, biases)
        )

    def _merged_mask(self, attn_mask, key_padding_mask, n, length, source, dtype):
        """attn_mask and key_padding_mask as one additive mask broadcasting to (N, H, L, S)."""
        mask = None
        if attn_mask is not None:
            mask = _as_additive(attn_mask, dtype)
            if tuple(mask.shape) == (n * self.num_heads, length, source):
                mask = mask.reshape(n, self.num_heads, length, source)
            elif tuple(mask.shape) != (length, source):
                raise ValueError(
                    f"{self!r}: attn_mask must have shape (L, S) = {(length, source)} or "
                    f"(N * num_heads, L, S) = {(n * self.num_heads, length, source)}, "
                    f"got {tuple(attn_mask.shape)}"
                )
        if key_padding_mask is not None:
            expected = (n, source)
            padding = _as_additive(key_padding_mask, dtype)
            if padding.ndim == 1:
                padding = padding.reshape(1, -1)
            if tuple(padding.shape) != expected:
                raise ValueError(
                    f"{self!r}: key_padding_mask must have shape (N, S) = {expected}, got "
                    f"{tuple(key_padding_mask.shape)}"
                )
            padding = padding.reshape(n, 1, 1, source)
            mask = padding if mask is None else mask + padding
        return mask

    def extra_repr(self) -> str:
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
            f"batch_first={self.batch_first}"
        )


def _as_additive(mask, dtype):
    """A bool mask (True = forbidden) -> 0 / -inf; a float mask stays (a Tensor keeps its
    graph, so a learned bias gets gradients)."""
    data = array_of(mask)
    if data.dtype == np.bool_:
        return np.where(data, -np.inf, 0.0).astype(dtype)
    if isinstance(mask, Tensor):
        return mask.to(dtype)
    return data.astype(dtype, copy=False)


def _attention_with_weights(q, k, v, mask, dropout_p: float):
    """The composed attention that also returns the weights (N, H, L, S), after dropout
    as PyTorch returns them. A fully masked row gives NaN, as in PyTorch."""
    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    if mask is not None:
        scores = scores + mask
    weights = F.dropout(scores.softmax(-1), dropout_p, training=dropout_p > 0)
    return weights @ v, weights


class SinusoidalPositionalEncoding(Module):
    """Adds the fixed sinusoidal position code of "Attention Is All You Need" (not in torch).

    PE[pos, 2i] = sin(pos / 10000^(2i / d)),   PE[pos, 2i + 1] = cos(pos / 10000^(2i / d)).

    Each pair of dimensions is a clock of a different frequency, from 2 pi to 10000 * 2 pi
    positions per turn, so every position gets a distinct code, and PE[pos + k] is a fixed
    rotation of PE[pos] for every pos: relative offsets are easy for attention to read.
    Nothing is learned, and lengths up to ``max_len`` work without training on them.

    Args:
        d_model: the embedding size (even).
        max_len: the longest sequence supported.
        dropout: dropout after adding the code (the original Transformer used 0.1).
        batch_first: inputs (N, L, d_model) instead of (L, N, d_model).

    Example:
        >>> import abinitio as ab
        >>> pe = SinusoidalPositionalEncoding(8, max_len=16, batch_first=True)
        >>> pe(ab.zeros(2, 5, 8))[0, 0].tolist()
        [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]

    See the article docs/articles/architectures/transformers.py.
    """

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.0,
                 batch_first: bool = True) -> None:  # fmt: skip
        super().__init__()
        if d_model <= 0 or d_model % 2:
            raise ValueError(f"SinusoidalPositionalEncoding: d_model must be even, got {d_model}")
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        position = np.arange(max_len)[:, None]
        frequency = np.exp(np.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        table = np.zeros((max_len, d_model), dtype=np.float32)
        table[:, 0::2] = np.sin(position * frequency)
        table[:, 1::2] = np.cos(position * frequency)
        self.register_buffer("pe", Tensor(table), persistent=False)
        self.dropout = Dropout(dropout)

    def forward(self, input):
        length = _check_positions(self, input, self.d_model, self.max_len, self.batch_first)
        code = self.pe[:length] if self.batch_first else self.pe[:length].unsqueeze(1)
        return self.dropout(input + code)

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"


class LearnedPositionalEmbedding(Module):
    """Adds a learned vector per position, as GPT does (not in torch: there it is an
    ``nn.Embedding`` indexed by ``arange(L)``).

    output[n, t] = input[n, t] + weight[t]. More flexible than the sinusoidal code, but
    positions beyond ``max_len`` (never trained) are impossible.

    Args:
        max_len: the number of positions (the model's context size).
        embedding_dim: the embedding size.
        batch_first: inputs (N, L, d) instead of (L, N, d).

    Attributes:
        weight: (max_len, embedding_dim), from N(0, 0.02^2) (GPT-2's initialisation).

    Example:
        >>> import abinitio as ab
        >>> LearnedPositionalEmbedding(16, 8)(ab.zeros(2, 5, 8)).shape
        (2, 5, 8)

    See the article docs/articles/architectures/transformers.py.
    """

    def __init__(self, max_len: int, embedding_dim: int, batch_first: bool = True) -> None:
        super().__init__()
        self.max_len, self.embedding_dim, self.batch_first = max_len, embedding_dim, batch_first
        self.weight = Parameter(creation.empty(max_len, embedding_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight, 0.0, 0.02)

    def forward(self, input):
        length = _check_positions(self, input, self.embedding_dim, self.max_len, self.batch_first)
        code = self.weight[:length] if self.batch_first else self.weight[:length].unsqueeze(1)
        return input + code

    def extra_repr(self) -> str:
        return f"{self.max_len}, {self.embedding_dim}, batch_first={self.batch_first}"


def _check_positions(layer, input, dim: int, max_len: int, batch_first: bool) -> int:
    """The sequence length of ``input``, after checking its shape against the layer."""
    layout = "(N, L, d)" if batch_first else "(L, N, d)"
    if input.ndim != 3 or input.shape[-1] != dim:
        raise ValueError(f"{layer!r}: expected input {layout} with d = {dim}, got {input.shape}")
    length = input.shape[1] if batch_first else input.shape[0]
    if length > max_len:
        raise ValueError(
            f"{layer!r}: the sequence has {length} positions but at most max_len = {max_len} "
            f"are supported (input shape {input.shape})"
        )
    return length
