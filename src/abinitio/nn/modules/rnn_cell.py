"""One step of a recurrent layer: ``RNNCell``, ``LSTMCell``, ``GRUCell``.

A cell maps (x_t, h_{t-1}) to h_t; the loop over time is the caller's, which is what a
decoder that feeds back its own samples needs. Each call is one fused primitive of
:mod:`abinitio.ops.recurrent` run over a sequence of length 1, so its backward is the
hand-derived one; the gate equations are those of :class:`~abinitio.nn.RNN`,
:class:`~abinitio.nn.LSTM` and :class:`~abinitio.nn.GRU`. Parameters are named as in
PyTorch (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``) and start from
U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
"""

from __future__ import annotations

import math

from abinitio import creation
from abinitio.nn import init
from abinitio.nn.modules.module import Module
from abinitio.nn.modules.rnn import _check_sizes
from abinitio.nn.parameter import Parameter
from abinitio.ops.recurrent import RNNLayer
from abinitio.ops.recurrent_gru import GRULayer
from abinitio.ops.recurrent_lstm import LSTMLayer


class RNNCellBase(Module):
    """Parameters, initialisation and shape checks shared by the three cells.

    See the article docs/articles/architectures/recurrent_networks.py.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 dtype=None) -> None:  # fmt: skip
        super().__init__()
        _check_sizes(type(self).__name__, input_size=input_size, hidden_size=hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(creation.empty(gates, input_size, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(gates, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(gates, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(gates, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def _weights(self) -> tuple:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def _sequence_of_one(self, input):
        """(N, I) or (I,) -> a time-major sequence (1, N, I), and whether it was batched."""
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{self!r}: expected input of shape (N, {self.input_size}) or "
                f"({self.input_size},), got {tuple(input.shape)}"
            )
        batched = input.ndim == 2
        return (input.unsqueeze(0) if batched else input.reshape(1, 1, -1)), batched

    def _state(self, state, batch: int, batched: bool, name: str = "hx"):
        """The given state as (N, H), or None for zeros; a wrong shape is a clear error."""
        if state is None:
            return None
        expected = (batch, self.hidden_size) if batched else (self.hidden_size,)
        if tuple(state.shape) != expected:
            raise ValueError(
                f"{self!r}: expected {name} of shape {expected}, got {tuple(state.shape)}"
            )
        return state if batched else state.reshape(1, -1)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        return text + ("" if nonlinearity == "tanh" else f", nonlinearity={nonlinearity!r}")


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    Args:
        input_size: features of x.
        hidden_size: features of h.
        bias: learn b_ih and b_hh (default True).
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.

    Shape:
        input (N, input_size) or (input_size,); hx (N, hidden_size) or (hidden_size,), or
        None for zeros -> h' shaped like hx.

    Example:
        >>> import abinitio as ab
        >>> cell = ab.nn.RNNCell(10, 20)
        >>> h = ab.zeros(3, 20)
        >>> for x_t in ab.randn(6, 3, 10):      # the caller's loop over time
        ...     h = cell(x_t, h)
        >>> h.shape
        (3, 20)

    See the article docs/articles/architectures/recurrent_networks.py.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype=None) -> None:  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        super().__init__(input_size, hidden_size, bias, 1, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, batched = self._sequence_of_one(input)
        h = self._state(hx, x.shape[1], batched)
        y = RNNLayer.apply(x, h, *self._weights(), nonlinearity=self.nonlinearity)
        return y[0] if batched else y[0, 0]


class LSTMCell(RNNCellBase):
    """One LSTM step: the gates i, f, g, o from x and h, then c' = f * c + i * g and
    h' = o * tanh(c') (the equations of :class:`~abinitio.nn.LSTM`; weights stacked in the
    order i, f, g, o).

    Args:
        input_size, hidden_size, bias: as for :class:`RNNCell`.

    Shape:
        input (N, input_size) or (input_size,); hx a tuple (h, c), each (N, hidden_size) or
        (hidden_size,), or None for zeros -> (h', c') shaped like them.

    Example:
        >>> import abinitio as ab
        >>> cell = ab.nn.LSTMCell(10, 20)
        >>> h, c = cell(ab.randn(3, 10))
        >>> h, c = cell(ab.randn(3, 10), (h, c))
        >>> h.shape, c.shape
        ((3, 20), (3, 20))

    See the article docs/articles/architectures/recurrent_networks.py.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype=None) -> None:  # fmt: skip
        super().__init__(input_size, hidden_size, bias, 4, dtype)

    def forward(self, input, hx=None):
        x, batched = self._sequence_of_one(input)
        if hx is None:
            h = c = None
        elif isinstance(hx, (tuple, list)) and len(hx) == 2:
            h = self._state(hx[0], x.shape[1], batched, "h")
            c = self._state(hx[1], x.shape[1], batched, "c")
        else:
            raise TypeError(f"{self!r}: expected hx as a tuple (h, c), got {type(hx).__name__}")
        y = LSTMLayer.apply(x, h, c, *self._weights())
        if batched:
            return y[0, 0], y[1, 0]
        return y[0, 0, 0], y[1, 0, 0]


class GRUCell(RNNCellBase):
    """One GRU step: r and z gates, n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) and
    h' = (1 - z) * n + z * h (the equations of :class:`~abinitio.nn.GRU`; weights stacked in
    the order r, z, n).

    Args:
        input_size, hidden_size, bias: as for :class:`RNNCell`.

    Shape:
        as for :class:`RNNCell`.

    Example:
        >>> import abinitio as ab
        >>> cell = ab.nn.GRUCell(10, 20)
        >>> cell(ab.randn(3, 10)).shape, cell(ab.randn(10), ab.zeros(20)).shape
        ((3, 20), (20,))

    See the article docs/articles/architectures/recurrent_networks.py.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype=None) -> None:  # fmt: skip
        super().__init__(input_size, hidden_size, bias, 3, dtype)

    def forward(self, input, hx=None):
        x, batched = self._sequence_of_one(input)
        h = self._state(hx, x.shape[1], batched)
        y = GRULayer.apply(x, h, *self._weights())
        return y[0] if batched else y[0, 0]
