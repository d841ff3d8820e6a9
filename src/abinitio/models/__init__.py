"""Ready-made architectures, each a few dozen readable lines."""

from abinitio.data.tokenizer import CharTokenizer
from abinitio.models.cnn import MNIST1DCNN, LeNet5, SimpleCNN
from abinitio.models.deep_mlp import PlainMLP, ResidualMLP
from abinitio.models.gpt import GPT
from abinitio.models.mlp import MLP, MNIST1DMLP
from abinitio.models.resnet import ResidualBlock, ResNet
from abinitio.models.rnn import MNIST1DGRU, CharRNN
from abinitio.models.tabular import TabularMLP

__all__ = [
    "CharRNN",
    "CharTokenizer",
    "GPT",
    "LeNet5",
    "MLP",
    "MNIST1DCNN",
    "MNIST1DGRU",
    "MNIST1DMLP",
    "PlainMLP",
    "ResidualBlock",
    "ResidualMLP",
    "ResNet",
    "SimpleCNN",
    "TabularMLP",
]
