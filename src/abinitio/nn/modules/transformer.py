"""Transformer layers (Vaswani et al. 2017) with PyTorch's names, defaults and state dicts.

An encoder layer is two residual sub-layers, self-attention then a position-wise
feed-forward network, each followed (post-norm, the original) or preceded (pre-norm,
``norm_first=True``, as GPT-2) by layer normalisation::

    post-norm:  x = norm1(x + SA(x));        x = norm2(x + FF(x))
    pre-norm:   x = x + SA(norm1(x));        x = x + FF(norm2(x))
    FF(x) = linear2(dropout(activation(linear1(x))))

Pre-norm keeps an unnormalised residual path from input to output, which makes deep
stacks train without a learning-rate warm-up. A decoder layer adds cross-attention to the
encoder's output ("memory") between the two.
"""

from __future__ import annotations

import copy

from abinitio.nn import functional as F
from abinitio.nn.modules.attention import MultiheadAttention
from abinitio.nn.modules.container import ModuleList
from abinitio.nn.modules.dropout import Dropout
from abinitio.nn.modules.linear import Linear
from abinitio.nn.modules.module import Module
from abinitio.nn.modules.normalization import LayerNorm

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _activation(activation, layer: str):
    if callable(activation):
        return activation
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"{layer}: activation must be 'relu', 'gelu' or a callable, got {activation!r}"
        )
    return _ACTIVATIONS[activation]


class _Layer(Module):
    """What the encoder and decoder layers share: the feed-forward block and the norms."""

    def _build(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
               batch_first, norm_first, bias, norms: int) -> None:  # fmt: skip
        self.self_attn = MultiheadAttention(d_model, nhead, dropout, bias, batch_first)
        if norms == 3:
            self.multihead_attn = MultiheadAttention(d_model, nhead, dropout, bias, batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        for i in range(1, norms + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        for i in range(1, norms + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(activation, type(self).__name__)
        self.batch_first = batch_first

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]  # fmt: skip
        return self.dropout1(x)

    def _ff_block(self, x, dropout_out):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return dropout_out(x)

    def extra_repr(self) -> str:
        return f"norm_first={self.norm_first}, batch_first={self.batch_first}"


class TransformerEncoderLayer(_Layer):
    """Self-attention and a feed-forward network, each in a residual connection.

    Args:
        d_model: the token vector size.
        nhead: attention heads (``d_model`` must be divisible by it).
        dim_feedforward: the hidden size of the feed-forward network.
        dropout: dropout on the attention weights, inside the feed-forward network, and on
            each sub-layer's output.
        activation: ``"relu"``, ``"gelu"`` (exact, erf-based) or a callable.
        layer_norm_eps: the layer norms' eps.
        batch_first: (N, L, d_model) inputs instead of (L, N, d_model).
        norm_first: pre-norm (True) or post-norm (False, the default, as in PyTorch).
        bias: biases in the linear layers and layer norms.

    Shape:
        src (N, L, d_model) or (L, N, d_model) or (L, d_model) -> the same shape.

    Example:
        >>> import abinitio as ab
        >>> layer = ab.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True)
        >>> layer(ab.randn(2, 5, 16), is_causal=True).shape
        (2, 5, 16)

    See the article docs/articles/architectures/transformers.py.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True) -> None:  # fmt: skip
        super().__init__()
        self._build(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                    batch_first, norm_first, bias, norms=2)  # fmt: skip

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        """``src_mask`` and ``src_key_padding_mask`` as in :class:`MultiheadAttention`;
        ``is_causal=True`` alone applies the causal mask."""
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x), self.dropout2)
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x, self.dropout2))


class TransformerDecoderLayer(_Layer):
    """Causal self-attention, cross-attention to the encoder's output, a feed-forward
    network: three residual sub-layers with ``norm1``, ``norm2``, ``norm3``.

    Args are those of :class:`TransformerEncoderLayer`.

    Shape:
        tgt (N, T, d_model), memory (N, S, d_model) (or sequence-first) -> like ``tgt``.

    Example:
        >>> import abinitio as ab
        >>> layer = ab.nn.TransformerDecoderLayer(16, 4, 32, dropout=0.0, batch_first=True)
        >>> layer(ab.randn(2, 5, 16), ab.randn(2, 7, 16), tgt_is_causal=True).shape
        (2, 5, 16)

    See the article docs/articles/architectures/transformers.py.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True) -> None:  # fmt: skip
        super().__init__()
        self._build(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                    batch_first, norm_first, bias, norms=3)  # fmt: skip

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False):  # fmt: skip
        x = tgt
        masks = (memory_mask, memory_key_padding_mask, memory_is_causal)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, *masks)
            return x + self._ff_block(self.norm3(x), self.dropout3)
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, *masks))
        return self.norm3(x + self._ff_block(x, self.dropout3))

    def _mha_block(self, x, memory, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, memory, memory, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, need_weights=False,
                                is_causal=is_causal)[0]  # fmt: skip
        return self.dropout2(x)


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` applied in turn, then ``norm`` if given
    (a final norm is what a pre-norm stack needs).

    Example:
        >>> import abinitio as ab
        >>> layer = ab.nn.TransformerEncoderLayer(16, 4, 32, batch_first=True)
        >>> encoder = ab.nn.TransformerEncoder(layer, num_layers=2)
        >>> encoder(ab.randn(2, 5, 16)).shape, len(encoder.layers)
        ((2, 5, 16), 2)

    See the article docs/articles/architectures/transformers.py.
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Module | None = None) -> None:  # fmt: skip
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal: bool | None = None):
        x = src
        for layer in self.layers:
            x = layer(x, mask, src_key_padding_mask, bool(is_causal))
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer``, each attending to the same ``memory``,
    then ``norm`` if given.

    Example:
        >>> import abinitio as ab
        >>> layer = ab.nn.TransformerDecoderLayer(16, 4, 32, batch_first=True)
        >>> ab.nn.TransformerDecoder(layer, 2)(ab.randn(2, 5, 16), ab.randn(2, 3, 16)).shape
        (2, 5, 16)

    See the article docs/articles/architectures/transformers.py.
    """

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int,
                 norm: Module | None = None) -> None:  # fmt: skip
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False):  # fmt: skip
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                      memory_key_padding_mask, bool(tgt_is_causal), memory_is_causal)  # fmt: skip
        return x if self.norm is None else self.norm(x)
