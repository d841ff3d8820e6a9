"""Where a Transformer looks: the attention weights of one head as a heat map.

Row i of a head's map is the distribution softmax(q_i K^T / sqrt(d)) over the keys: how
much position i reads from each position. In a causal language model everything above the
diagonal is 0; a bright sub-diagonal is a "previous token" head, a bright first column a
head parking its attention on the start.
"""

from __future__ import annotations

import numpy as np

from abinitio.autograd.grad_mode import no_grad
from abinitio.nn.modules.attention import MultiheadAttention

# how whitespace characters are shown as tick labels
_VISIBLE = {" ": "\u2423", "\n": "\u21b5", "\t": "\u21e5"}


def attention_layers(model) -> list:
    """The model's :class:`~abinitio.nn.MultiheadAttention` modules, in registration order
    (a GPT block has one; a decoder layer two: self-attention, then cross-attention)."""
    return [m for m in model.modules() if isinstance(m, MultiheadAttention)]


def attention_weights(model, inputs, layer: int = 0) -> np.ndarray:
    """Run ``model(inputs)`` in eval mode and return the per-head attention weights
    (N, H, L, S) of its ``layer``-th MultiheadAttention (negative counts from the end).

    The layer is made to compute its weights for this one call (its callers usually ask
    for ``need_weights=False``); the model and its outputs are otherwise unchanged.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.models import GPT
        >>> model = GPT(vocab_size=5, context_size=8, n_layers=2, n_heads=2, width=8)
        >>> weights = attention_weights(model, ab.tensor([[1, 2, 3, 4]]), layer=1)
        >>> weights.shape, bool(abs(weights.sum(-1) - 1).max() < 1e-5)
        ((1, 2, 4, 4), True)

    See the article docs/articles/architectures/transformers.py.
    """
    layers = attention_layers(model)
    if not -len(layers) <= layer < len(layers):
        raise ValueError(
            f"attention_weights: layer {layer} does not exist; the model has {len(layers)} "
            "MultiheadAttention layers"
        )
    target, captured = layers[layer], []
    original = type(target).forward

    def capturing(*args, **kwargs):
        kwargs.update(need_weights=True, average_attn_weights=False)
        output, weights = original(target, *args, **kwargs)
        captured.append(weights.detach().numpy())
        return output, weights

    was_training = model.training
    model.eval()
    target.forward = capturing  # an instance attribute shadows the class's method
    try:
        with no_grad():
            model(inputs)
    finally:
        del target.forward
        model.train(was_training)
    weights = captured[0]
    return weights if weights.ndim == 4 else weights[None]


def attention_heatmap(model, inputs, layer: int = 0, head: int = 0, labels=None,
                      title: str | None = None):  # fmt: skip
    """A heat map (a matplotlib Figure) of one head's attention for the first input.

    Args:
        model: any model with :class:`~abinitio.nn.MultiheadAttention` layers.
        inputs: what ``model`` takes; only the first sample is drawn.
        layer: which attention layer (see :func:`attention_layers`).
        head: which head of that layer.
        labels: one label per position (e.g. the characters); indices when omitted.
            Spaces, newlines and tabs are drawn as visible symbols.
        title: the axes title; "layer L, head H" when omitted.

    Example:
        >>> import abinitio as ab
        >>> from abinitio.models import GPT
        >>> model = GPT(vocab_size=5, context_size=8, n_layers=1, n_heads=2, width=8)
        >>> fig = attention_heatmap(model, ab.tensor([[1, 2, 3]]), head=1, labels="abc")
        >>> fig.axes[0].get_title()
        'layer 0, head 1'
    """
    weights = attention_weights(model, inputs, layer)
    if not -weights.shape[1] <= head < weights.shape[1]:
        raise ValueError(
            f"attention_heatmap: head {head} does not exist; layer {layer} has "
            f"{weights.shape[1]} heads"
        )
    matrix = weights[0, head]
    if labels is not None:
        labels = [_VISIBLE.get(str(c), str(c)) for c in labels]
        if len(labels) != matrix.shape[1]:
            raise ValueError(
                f"attention_heatmap: {len(labels)} labels for {matrix.shape[1]} positions"
            )
    from abinitio.viz.plots import heatmap

    title = f"layer {layer}, head {head}" if title is None else title
    square = matrix.shape[0] == matrix.shape[1]  # self-attention: queries are the keys
    fig = heatmap(matrix, labels if square else None, labels, title)
    fig.axes[0].set_xlabel("key position (attended to)")
    fig.axes[0].set_ylabel("query position")
    return fig
