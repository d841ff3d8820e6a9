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
from abinitio.nn.modules.container import ModuleDict, ModuleList, Sequential
from abinitio.nn.modules.dropout import Dropout
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
from abinitio.nn.modules.normalization import BatchNorm1d, LayerNorm
from abinitio.nn.modules.sparse import Embedding
