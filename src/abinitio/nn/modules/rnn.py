"""Recurrent layers: ``RNN``, ``LSTM`` and ``GRU`` over whole sequences (one step: ``rnn_cell``).

A recurrent layer reads a sequence one step at a time and carries a hidden state h_t, a
summary of everything seen so far: h_t = cell(x_t, h_{t-1}), with the same weights at every
step. Unrolled over L steps it is an L-layer feed-forward network whose layers share their
weights, so training it needs no new idea: *backpropagation through time* (BPTT) is the
ordinary backward pass on the unrolled graph. The gradient reaching h_t is the output's own
gradient plus what h_{t+1} sends back through the cell, and each weight's gradient is the
sum over its L copies. Here each layer and direction is one fused primitive that runs the
time loop in NumPy and BPTT by hand (:mod:`abinitio.ops.recurrent`), so a sequence costs
one graph node instead of hundreds; the composed ``_reference_*`` cells are its test oracle.

Gradients through many steps multiply many Jacobians: they can vanish (the LSTM's additive
cell c_t and the GRU's interpolation h_t = (1 - z) n + z h_{t-1} let them survive) or
explode, which clipping their joint norm before the step cures:

    >>> import abinitio as ab
    >>> from abinitio import nn
    >>> lstm, head = nn.LSTM(3, 16, batch_first=True), nn.Linear(16, 2)
    >>> params = list(lstm.parameters()) + list(head.parameters())
    >>> optimizer = ab.optim.Adam(params, lr=1e-3)
    >>> output, (h_n, c_n) = lstm(ab.randn(8, 20, 3))      # (N, L, features)
    >>> loss = nn.functional.cross_entropy(head(h_n[-1]), ab.randint(0, 2, (8,)))
    >>> loss.backward()                                      # BPTT through all 20 steps
    >>> norm = nn.utils.clip_grad_norm_(params, max_norm=1.0)
    >>> optimizer.step()

Parameters carry PyTorch's names (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``,
``bias_hh_l0``, ``..._reverse`` for the second direction) and layouts, so a PyTorch state
dict loads unchanged.
"""

from __future__ import annotations

import math

from abinitio import creation
from abinitio.nn import functional as F
from abinitio.nn import init
from abinitio.nn.modules.module import Module
from abinitio.nn.parameter import Parameter
from abinitio.ops.recurrent import RNNLayer
from abinitio.ops.recurrent_gru import GRULayer
from abinitio.ops.recurrent_lstm import LSTMLayer
from abinitio.ops.shape import cat, stack

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """What :class:`RNN`, :class:`LSTM` and :class:`GRU` share: the parameters of every layer
    and direction, their initialisation, shape checks, and the loop over layers.

    Layer k > 0 reads the outputs of layer k - 1 (both directions concatenated), after
    dropout with probability ``dropout`` in training mode. Parameters of layer k are
    ``weight_ih_l{k}`` (G*H, input of layer k), ``weight_hh_l{k}`` (G*H, H),
    ``bias_ih_l{k}`` and ``bias_hh_l{k}`` (G*H,), with G = 1, 3 or 4 gate blocks stacked in
    PyTorch's order; the reverse direction adds ``_reverse``. All start from
    U(-1/sqrt(H), 1/sqrt(H)), PyTorch's default.

    See the article docs/articles/architectures/recurrent_networks.py.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype=None) -> None:  # fmt: skip
        super().__init__()
        name = type(self).__name__
        _check_sizes(name, input_size=input_size, hidden_size=hidden_size)
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"{name}: num_layers must be an int >= 1, got {num_layers!r}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self._flat_weights_names = []
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size * self.num_directions
            for suffix in ("", "_reverse")[: self.num_directions]:
                self._add_weights(f"_l{layer}{suffix}", width, dtype)
        self.reset_parameters()

    def _add_weights(self, suffix: str, width: int, dtype) -> None:
        gates = GATES[self.mode] * self.hidden_size
        shapes = {"weight_ih": (gates, width), "weight_hh": (gates, self.hidden_size)}
        if self.bias:
            shapes.update(bias_ih=(gates,), bias_hh=(gates,))
        for name, shape in shapes.items():
            setattr(self, name + suffix, Parameter(creation.empty(*shape, dtype=dtype)))
            self._flat_weights_names.append(name + suffix)

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def all_weights(self) -> list:
        """The parameters grouped per layer and direction, as PyTorch's ``all_weights``."""
        per = 4 if self.bias else 2
        flat = [getattr(self, name) for name in self._flat_weights_names]
        return [flat[i : i + per] for i in range(0, len(flat), per)]

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """A no-op, for code written for cuDNN (the weights already live in one place)."""

    def _weights(self, layer: int, direction: int) -> tuple:
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return tuple(getattr(self, name + suffix, None) for name in names)

    # ---- forward -------------------------------------------------------------------------
    def forward(self, input, hx=None):
        from abinitio.nn.utils.rnn import PackedSequence, run_packed

        if isinstance(input, PackedSequence):  # variable lengths: each runs over its own
            return run_packed(self, input, hx)
        return self._forward_padded(input, hx)

    def _forward_padded(self, input, hx=None):
        batched = self._check_input(input)
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        x = input.transpose(0, 1) if self.batch_first else input  # time-major (L, N, I)
        states = self._initial_states(hx, x.shape[1], batched)
        finals = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                x = F.dropout(x, self.dropout, True)
            outputs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                weights = self._weights(layer, direction)
                y, final = self._run_layer(x, states[k], weights, reverse=direction == 1)
                outputs.append(y)
                finals.append(final)
            x = outputs[0] if len(outputs) == 1 else cat(outputs, dim=2)
        output = x.transpose(0, 1) if self.batch_first else x
        h_n = tuple(stack([final[j] for final in finals]) for j in range(len(finals[0])))
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n = tuple(h.squeeze(1) for h in h_n)
        return output, (h_n if len(h_n) > 1 else h_n[0])

    def _run_layer(self, x, state, weights, reverse: bool):
        """One layer in one direction: (outputs (L, N, H), final state as a tuple)."""
        raise NotImplementedError

    # ---- checks --------------------------------------------------------------------------
    def _check_input(self, input) -> bool:
        """True for a batch (3-D input), False for one sequence (2-D); else a clear error."""
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            layout = "(N, L, {0})" if self.batch_first else "(L, N, {0})"
            raise ValueError(
                f"{self!r}: expected input of shape {layout.format(self.input_size)} or "
                f"(L, {self.input_size}), got {tuple(input.shape)}"
            )
        return input.ndim == 3

    def _initial_states(self, hx, batch: int, batched: bool) -> list:
        """One state tuple per layer and direction (None: start from zeros)."""
        count = self.num_layers * self.num_directions
        if hx is None:
            return [None] * count
        names = ("h_0", "c_0") if self.mode == "LSTM" else ("h_0",)
        parts = _as_state_tuple(self, hx, names)
        expected = (count, batch, self.hidden_size) if batched else (count, self.hidden_size)
        for name, part in zip(names, parts):
            if tuple(part.shape) != expected:
                raise ValueError(
                    f"{self!r}: expected initial state {name} of shape {expected} "
                    "(num_layers * num_directions, N, hidden_size), "
                    f"got {tuple(part.shape)}"
                )
        if not batched:
            parts = tuple(part.unsqueeze(1) for part in parts)
        return [tuple(part[k] for part in parts) for k in range(count)]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


def _as_state_tuple(module, hx, names) -> tuple:
    """``hx`` as a tuple with one tensor per name: (h_0,) or (h_0, c_0)."""
    parts = hx if isinstance(hx, (tuple, list)) else (hx,)
    if len(parts) != len(names) or any(not hasattr(part, "shape") for part in parts):
        got = f"a tuple of {len(parts)}" if isinstance(hx, (tuple, list)) else type(hx).__name__
        raise TypeError(
            f"{module!r}: expected the initial state as {' and '.join(names)} "
            f"({'a tuple' if len(names) > 1 else 'one tensor'}), got {got}"
        )
    return tuple(parts)


def _check_sizes(layer: str, **sizes) -> None:
    for name, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{layer}: {name} must be a positive int, got {value!r}")


def _last(reverse: bool) -> int:
    """Where a direction's final state sits in its outputs: the last step, or the first."""
    return 0 if reverse else -1


class RNN(RNNBase):
    """A multi-layer Elman RNN: for each step, each layer computes

        h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)

    (``nonlinearity="relu"`` uses max(0, .) instead), where x_t is the input at step t for
    the first layer and the previous layer's h_t for the others.

    Args:
        input_size: features per step of the input.
        hidden_size: features of the hidden state h.
        num_layers: stacked recurrent layers (default 1).
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.
        bias: learn b_ih and b_hh (default True).
        batch_first: input and output are (N, L, features) instead of (L, N, features).
        dropout: dropout probability on the outputs of every layer but the last.
        bidirectional: also run a layer from t = L to 1 and concatenate both outputs.

    Shape:
        input (L, N, input_size), or (N, L, input_size) with ``batch_first``, or
        (L, input_size) for one sequence; h_0 (num_layers * D, N, hidden_size), or None
        for zeros -> output (L, N, D * hidden_size) (batch_first: (N, L, ...)) and h_n
        like h_0; D = 2 if bidirectional else 1.

    Example:
        >>> import abinitio as ab
        >>> rnn = ab.nn.RNN(10, 20, num_layers=2)
        >>> output, h_n = rnn(ab.randn(5, 3, 10), ab.zeros(2, 3, 20))
        >>> output.shape, h_n.shape
        ((5, 3, 20), (2, 3, 20))

    See the article docs/articles/architectures/recurrent_networks.py.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False,
                 dtype=None) -> None:  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(f"RNN_{nonlinearity.upper()}", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, dtype)  # fmt: skip
        self.nonlinearity = nonlinearity

    def _run_layer(self, x, state, weights, reverse: bool):
        h0 = None if state is None else state[0]
        y = RNNLayer.apply(x, h0, *weights, nonlinearity=self.nonlinearity, reverse=reverse)
        return y, (y[_last(reverse)],)


class LSTM(RNNBase):
    """A multi-layer long short-term memory network. For each step, each layer computes

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)     input gate
        f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)     forget gate
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)        candidate cell
        o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)     output gate
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    ``weight_ih_l{k}`` stacks [W_ii; W_if; W_ig; W_io] (4 * hidden_size, input), and
    ``weight_hh_l{k}`` and the biases likewise: PyTorch's order. The cell c_t changes only
    by gated addition, so gradients flow back through it over many steps.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional:
            as for :class:`RNN`.

    Shape:
        as for :class:`RNN`, with the state a tuple: (h_0, c_0) -> output, (h_n, c_n).

    Example:
        >>> import abinitio as ab
        >>> lstm = ab.nn.LSTM(10, 20, batch_first=True, bidirectional=True)
        >>> output, (h_n, c_n) = lstm(ab.randn(3, 5, 10))
        >>> output.shape, h_n.shape, c_n.shape
        ((3, 5, 40), (2, 3, 20), (2, 3, 20))

    See the article docs/articles/architectures/recurrent_networks.py.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype=None) -> None:  # fmt: skip
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype)  # fmt: skip

    def _run_layer(self, x, state, weights, reverse: bool):
        h0, c0 = (None, None) if state is None else state
        y = LSTMLayer.apply(x, h0, c0, *weights, reverse=reverse)
        last = _last(reverse)
        return y[0], (y[0, last], y[1, last])


class GRU(RNNBase):
    """A multi-layer gated recurrent unit network. For each step, each layer computes

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)           reset gate
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)           update gate
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))      candidate
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    ``weight_ih_l{k}`` stacks [W_ir; W_iz; W_in] (3 * hidden_size, input), and
    ``weight_hh_l{k}`` and the biases likewise: PyTorch's order. Note where the reset gate
    acts: on W_hn h + b_hn, after the product, as in PyTorch (and cuDNN).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional:
            as for :class:`RNN`.

    Shape:
        as for :class:`RNN`.

    Example:
        >>> import abinitio as ab
        >>> gru = ab.nn.GRU(input_size=1, hidden_size=6, batch_first=True, bidirectional=True)
        >>> output, h_n = gru(ab.randn(100, 40, 1))
        >>> output.shape, h_n.shape
        ((100, 40, 12), (2, 100, 6))

    See the article docs/articles/architectures/recurrent_networks.py.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype=None) -> None:  # fmt: skip
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype)  # fmt: skip

    def _run_layer(self, x, state, weights, reverse: bool):
        h0 = None if state is None else state[0]
        y = GRULayer.apply(x, h0, *weights, reverse=reverse)
        return y, (y[_last(reverse)],)
