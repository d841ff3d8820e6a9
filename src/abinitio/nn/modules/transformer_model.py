"""``nn.Transformer``: the encoder-decoder of "Attention Is All You Need" (Vaswani et al.
2017), assembled from :class:`TransformerEncoder` and :class:`TransformerDecoder`."""

from __future__ import annotations

import numpy as np

from abinitio.nn.modules.module import Module
from abinitio.nn.modules.normalization import LayerNorm
from abinitio.nn.modules.transformer import (
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from abinitio.tensor import Tensor


class Transformer(Module):
    r"""PyTorch's ``nn.Transformer``: ``num_encoder_layers`` encoder layers over ``src``
    and ``num_decoder_layers`` decoder layers over ``tgt`` attending to the encoder's
    output, each stack ending in a LayerNorm (parameter names as PyTorch's, so state dicts
    load both ways).

    .. math::

       \text{memory} = \text{Encoder}(\text{src}), \qquad
       \text{out} = \text{Decoder}(\text{tgt}, \text{memory})

    Args:
        d_model: the embedding size E. ``nhead``, ``num_encoder_layers``,
            ``num_decoder_layers``, ``dim_feedforward``, ``dropout``, ``activation``,
            ``layer_norm_eps``, ``batch_first``, ``norm_first`` and ``bias`` are PyTorch's.
        custom_encoder: a module to use instead of the built encoder stack.
        custom_decoder: a module to use instead of the built decoder stack.

    Shape:
        src (S, N, E) and tgt (T, N, E), or with ``batch_first`` (N, S, E) and (N, T, E);
        output like tgt.

    Example:
        >>> import abinitio as ab
        >>> model = ab.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1,
        ...                           num_decoder_layers=1, dim_feedforward=16, dropout=0.0)
        >>> mask = model.generate_square_subsequent_mask(3)
        >>> model(ab.randn(5, 2, 8), ab.randn(3, 2, 8), tgt_mask=mask).shape
        (3, 2, 8)

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", custom_encoder=None,
                 custom_decoder=None, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None,
                 dtype=None) -> None:  # fmt: skip
        super().__init__()
        options = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                       layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                       norm_first=norm_first, bias=bias)  # fmt: skip
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, **options)
            self.encoder = TransformerEncoder(layer, num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps))  # fmt: skip
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, **options)
            self.decoder = TransformerDecoder(layer, num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps))  # fmt: skip
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        if dtype is not None or device is not None:
            self.to(*(a for a in (dtype, device) if a is not None))

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal: bool = False):  # fmt: skip
        batch = 0 if self.batch_first else 1
        if src.shape[batch] != tgt.shape[batch]:
            raise ValueError(
                f"Transformer: src and tgt must have the same batch size, got shapes "
                f"{src.shape} and {tgt.shape}"
            )
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(
                f"Transformer: the feature size of src and tgt must be d_model={self.d_model}, "
                f"got shapes {src.shape} and {tgt.shape}"
            )
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)  # fmt: skip
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)  # fmt: skip

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """The causal mask: 0 on and below the diagonal, -inf above (position i may attend
        to positions <= i)."""
        mask = np.triu(np.full((sz, sz), -np.inf, dtype=dtype or np.float32), k=1)
        return Tensor._make(mask, False, None)
