"""Activation functions as layers, for use inside ``Sequential``. The maths (and the
derivatives) are in :mod:`abinitio.ops.activation` and :mod:`abinitio.ops.softmax`."""

from __future__ import annotations

from abinitio.nn import functional as F
from abinitio.nn.modules.module import Module


class ReLU(Module):
    """max(x, 0): the default hidden activation of deep networks (cheap, does not saturate
    for x > 0, so gradients pass through deep stacks).

    See the article docs/articles/neurons/activation_functions.py.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, input):
        return F.relu(input)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x: a ReLU whose units cannot die completely.

    See the article docs/articles/neurons/activation_functions.py.
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """1 / (1 + e^-x), in (0, 1): a probability for binary outputs. Saturates (gradient
    at most 1/4), which is why deep sigmoid stacks suffer vanishing gradients.

    See the article docs/articles/neurons/activation_functions.py.
    """

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x), in (-1, 1): a zero-centred sigmoid (tanh(x) = 2 sigmoid(2x) - 1).

    See the article docs/articles/neurons/activation_functions.py.
    """

    def forward(self, input):
        return F.tanh(input)


class GELU(Module):
    """x * Phi(x) with Phi the normal CDF (Transformers' activation).

    See the article docs/articles/neurons/activation_functions.py.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x) (swish).

    See the article docs/articles/neurons/activation_functions.py.
    """

    def forward(self, input):
        return F.silu(input)


class Softplus(Module):
    """log(1 + e^(beta x)) / beta: a smooth ReLU.

    See the article docs/articles/neurons/activation_functions.py.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """Probabilities along ``dim``: e^x_i / sum_j e^x_j (an output layer for
    classification; train with ``CrossEntropyLoss`` on the logits instead).

    See the article docs/articles/neurons/activation_functions.py.
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed stably (pair it with ``NLLLoss``).

    See the article docs/articles/neurons/activation_functions.py.
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


ACTIVATIONS = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "gelu": GELU,
    "silu": SiLU,
    "softplus": Softplus,
}


def activation_by_name(name: str) -> Module:
    """``"relu"`` -> ``ReLU()``; ``"identity"``/``"linear"`` -> ``Identity()``."""
    from abinitio.nn.modules.linear import Identity

    if name in ("identity", "linear", None):
        return Identity()
    if name not in ACTIVATIONS:
        valid = ", ".join(["identity", "linear", *ACTIVATIONS])
        raise ValueError(f"unknown activation {name!r}; expected one of: {valid}")
    return ACTIVATIONS[name]()


class ELU(Module):
    """x for x > 0, else alpha (exp(x) - 1): smooth, with negative outputs that pull mean
    activations towards zero (Clevert et al. 2015).

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, input):
        return F.elu(input, self.alpha)


class SELU(Module):
    """Scaled ELU, self-normalising (Klambauer et al. 2017).

    See the article docs/articles/learning/from_pytorch_and_back.py.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, input):
        return F.selu(input)
