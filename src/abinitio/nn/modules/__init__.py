"""Layers, one job per file."""

from abinitio.nn.modules.activation import (
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from abinitio.nn.modules.attention import (
    LearnedPositionalEmbedding,
    MultiheadAttention,
    SinusoidalPositionalEncoding,
)
from abinitio.nn.modules.container import ModuleDict, ModuleList, Sequential
from abinitio.nn.modules.conv import Conv1d, Conv2d, ConvTranspose2d
from abinitio.nn.modules.dropout import Dropout, Dropout2d
from abinitio.nn.modules.linear import Flatten, Identity, Linear, Unflatten
from abinitio.nn.modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from abinitio.nn.modules.module import Module
from abinitio.nn.modules.neuron import Neuron
from abinitio.nn.modules.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from abinitio.nn.modules.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from abinitio.nn.modules.rnn import GRU, LSTM, RNN, RNNBase
from abinitio.nn.modules.rnn_cell import GRUCell, LSTMCell, RNNCell, RNNCellBase
from abinitio.nn.modules.sparse import Embedding
from abinitio.nn.modules.transformer import (
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
