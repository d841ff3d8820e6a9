r"""Variable-length sequences for recurrent layers (``torch.nn.utils.rnn``).

A batch of sequences of different lengths is padded to the longest (:func:`pad_sequence`),
or *packed* (:func:`pack_padded_sequence`): PyTorch's :class:`PackedSequence` stores the
time steps interleaved, step :math:`t` of every sequence longer than :math:`t` one after
another, with ``batch_sizes[t]`` of them, so that a recurrent layer never computes on
padding. abinitio's recurrent layers accept a PackedSequence and run each sequence over its
own length only; their outputs come back packed, and :func:`pad_packed_sequence` pads them
again (with zeros after each sequence's end, as PyTorch's do).

Example:
    >>> import abinitio as ab
    >>> from abinitio.nn.utils.rnn import pack_padded_sequence, pad_sequence
    >>> batch = pad_sequence([ab.ones(3, 1), ab.ones(1, 1)], batch_first=True)
    >>> batch.shape
    (2, 3, 1)
    >>> pack_padded_sequence(batch, [3, 1], batch_first=True).batch_sizes.tolist()
    [2, 1, 1]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from abinitio.ops import cat, stack
from abinitio.tensor import Tensor


class PackedSequence(NamedTuple):
    """Sequences packed time step by time step: ``data`` (sum of lengths, *), the number
    of sequences still running at each step ``batch_sizes``, and the permutations between
    the caller's order and the longest-first order the packing uses.

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None


def _int_list(lengths) -> list:
    if isinstance(lengths, Tensor):
        lengths = lengths.tolist()
    return [int(n) for n in lengths]


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right"):  # fmt: skip
    """Stack (L_i, *) tensors into (L_max, B, *) (or (B, L_max, *) with ``batch_first``),
    filling the tail of each shorter one with ``padding_value``."""
    if not sequences:
        raise ValueError("pad_sequence: expected at least one sequence")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            filler = s.new_full((missing, *s.shape[1:]), padding_value)
            s = cat([s, filler] if padding_side == "right" else [filler, s], dim=0)
        padded.append(s)
    return stack(padded, dim=0 if batch_first else 1)


def pack_padded_sequence(input, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:  # fmt: skip
    """Pack a padded (L, B, *) batch (``batch_first``: (B, L, *)) whose sequences have the
    given ``lengths``; with ``enforce_sorted`` they must already be longest first."""
    lengths = _int_list(lengths)
    x = input.transpose(0, 1) if batch_first else input  # (L, B, *)
    if len(lengths) != x.shape[1]:
        raise ValueError(f"pack_padded_sequence: {len(lengths)} lengths for a batch of {x.shape[1]}")
    if min(lengths) < 1 or max(lengths) > x.shape[0]:
        raise ValueError(f"pack_padded_sequence: lengths must be in 1..{x.shape[0]}, got {lengths}")
    order = np.argsort(-np.asarray(lengths), kind="stable")
    if enforce_sorted and list(order) != list(range(len(lengths))):
        raise ValueError(
            f"pack_padded_sequence: lengths {lengths} are not sorted longest first; sort "
            "them or pass enforce_sorted=False"
        )
    sorted_lengths = [lengths[i] for i in order]
    x = x.index_select(1, Tensor._make(order.astype(np.int64), False, None))
    batch_sizes = [sum(n > t for n in sorted_lengths) for t in range(sorted_lengths[0])]
    data = cat([x[t, :b] for t, b in enumerate(batch_sizes)], dim=0)
    sorted_indices = unsorted_indices = None
    if not enforce_sorted:
        sorted_indices = Tensor._make(order.astype(np.int64), False, None)
        unsorted_indices = Tensor._make(np.argsort(order).astype(np.int64), False, None)
    sizes = Tensor._make(np.asarray(batch_sizes, dtype=np.int64), False, None)
    return PackedSequence(data, sizes, sorted_indices, unsorted_indices)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def _sequences(packed: PackedSequence) -> list:
    """The packed sequences, in longest-first order, each (L_i, *)."""
    sizes = _int_list(packed.batch_sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    lengths = [sum(b > i for b in sizes) for i in range(sizes[0])]
    return [stack([packed.data[starts[t] + i] for t in range(n)]) for i, n in enumerate(lengths)]


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):  # fmt: skip
    """Undo :func:`pack_padded_sequence`: (padded batch, lengths), in the caller's order."""
    sequences = _sequences(sequence)
    if sequence.unsorted_indices is not None:
        sequences = [sequences[i] for i in _int_list(sequence.unsorted_indices)]
    lengths = [s.shape[0] for s in sequences]
    if total_length is not None and total_length > max(lengths):
        first = sequences[0]
        filler = first.new_full((total_length - first.shape[0], *first.shape[1:]), padding_value)
        sequences = [cat([first, filler])] + sequences[1:]
    padded = pad_sequence(sequences, batch_first, padding_value)
    return padded, Tensor._make(np.asarray(lengths, dtype=np.int64), False, None)


def run_packed(rnn, packed: PackedSequence, hx=None):
    """A recurrent layer on a PackedSequence: each sequence runs over its own length (as
    if alone in the batch), so the padding never enters a hidden state; the outputs are
    packed like the input and ``h_n`` holds each sequence's state at its last step."""
    sequences = _sequences(packed)  # longest first
    order = None if packed.sorted_indices is None else _int_list(packed.sorted_indices)
    outputs, finals = [], []
    for i, seq in enumerate(sequences):
        state = None
        if hx is not None:
            j = i if order is None else order[i]
            pick = (lambda h: h[:, j:j + 1])  # noqa: E731  (the caller's sample j)
            state = tuple(pick(h) for h in hx) if isinstance(hx, tuple) else pick(hx)
        x = seq.unsqueeze(0) if rnn.batch_first else seq.unsqueeze(1)
        out, final = rnn._forward_padded(x, state)
        outputs.append(out[0] if rnn.batch_first else out[:, 0])
        finals.append(final if isinstance(final, tuple) else (final,))
    lengths = [s.shape[0] for s in sequences]
    steps = [[outputs[i][t] for i in range(len(outputs)) if lengths[i] > t] for t in range(lengths[0])]
    data = cat([stack(step) for step in steps], dim=0)
    h_n = tuple(cat([f[k] for f in finals], dim=1) for k in range(len(finals[0])))
    if packed.unsorted_indices is not None:
        back = packed.unsorted_indices
        h_n = tuple(h.index_select(1, back) for h in h_n)
    result = PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
    return result, (h_n if len(h_n) > 1 else h_n[0])
