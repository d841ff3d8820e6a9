"""Neural-network building blocks: parameters, modules, layers, initialisation, losses.

``import abinitio.nn as nn`` gives PyTorch's layout: ``nn.Module``, ``nn.Linear``,
``nn.functional`` (as ``F``), ``nn.init``, ``nn.utils``, ``nn.parallel``.
"""

from abinitio.nn import functional, init, parallel, utils
from abinitio.nn.modules import (
    GELU,
    GRU,
    LSTM,
    RNN,
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCELoss,
    BCEWithLogitsLoss,
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    CrossEntropyLoss,
    Dropout,
    Dropout2d,
    Embedding,
    Flatten,
    GRUCell,
    HuberLoss,
    Identity,
    L1Loss,
    LayerNorm,
    LeakyReLU,
    LearnedPositionalEmbedding,
    Linear,
    LogSoftmax,
    LSTMCell,
    MaxPool1d,
    MaxPool2d,
    Module,
    ModuleDict,
    ModuleList,
    MSELoss,
    MultiheadAttention,
    Neuron,
    NLLLoss,
    ReLU,
    RNNBase,
    RNNCell,
    RNNCellBase,
    Sequential,
    Sigmoid,
    SiLU,
    SinusoidalPositionalEncoding,
    SmoothL1Loss,
    Softmax,
    Softplus,
    Tanh,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
    Unflatten,
)
from abinitio.nn.parallel.sync_batchnorm import SyncBatchNorm
from abinitio.nn.modules.activation import ELU, SELU  # PyTorch's surface, issue 13
from abinitio.nn.modules.instancenorm import InstanceNorm1d, InstanceNorm2d
from abinitio.nn.modules.padding import (
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad2d,
    ZeroPad2d,
)
from abinitio.nn.modules.resampling import PixelShuffle, PixelUnshuffle, Upsample
from abinitio.nn.modules.transformer_model import Transformer
from abinitio.nn.parameter import Parameter
from abinitio.nn.summary import summary

__all__ = [name for name in dir() if not name.startswith("_")]
