"""Neural-network building blocks: parameters, modules, layers, initialisation, losses.

``import abinitio.nn as nn`` gives PyTorch's layout: ``nn.Module``, ``nn.Linear``,
``nn.functional`` (as ``F``), ``nn.init``, ``nn.utils``.
"""

from abinitio.nn import functional, init, utils
from abinitio.nn.modules import (
    GELU,
    BatchNorm1d,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Flatten,
    HuberLoss,
    Identity,
    L1Loss,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    Module,
    ModuleDict,
    ModuleList,
    MSELoss,
    Neuron,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    SmoothL1Loss,
    Softmax,
    Softplus,
    Tanh,
    Unflatten,
)
from abinitio.nn.parameter import Parameter
from abinitio.nn.summary import summary

__all__ = [name for name in dir() if not name.startswith("_")]
