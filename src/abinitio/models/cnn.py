"""Convolutional networks: ``LeNet5``, ``SimpleCNN`` and the MNIST-1D ``MNIST1DCNN``.

A convolutional network replaces the fully connected layers of an MLP by convolutions
near the input: each unit sees a small patch, and the same filter is applied at every
position. That builds in two facts about images and signals (nearby values belong
together; a pattern means the same wherever it appears) and needs far fewer parameters.
Pooling between convolutions shrinks the maps, so later filters see larger regions; a
small MLP on the flattened features makes the final decision.
"""

from __future__ import annotations

from abinitio import nn


def _pair(size) -> tuple:
    return tuple(size) if isinstance(size, (tuple, list)) else (size, size)


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al. 1998) with ReLU and max pooling, as in today's tutorials.

    conv 6@5x5 (padding 2) -> ReLU -> max-pool 2 -> conv 16@5x5 -> ReLU -> max-pool 2
    -> flatten -> FC 120 -> ReLU -> FC 84 -> ReLU -> FC ``num_classes``.

    On 28x28 inputs the maps are 6@28x28, 6@14x14, 16@10x10, 16@5x5 (400 features) and
    the network has 61,706 parameters. Other input sizes work too (at least 12x12): the
    first fully connected layer is sized from ``input_size``.

    Args:
        in_channels: channels of the input images (1 for MNIST).
        num_classes: number of outputs.
        input_size: (H, W) of the input images, or one int.

    Shape:
        input (N, in_channels, H, W) -> output (N, num_classes).

    Example:
        >>> import abinitio as ab
        >>> model = LeNet5()
        >>> model(ab.randn(2, 1, 28, 28)).shape, sum(p.numel() for p in model.parameters())
        ((2, 10), 61706)

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, input_size=28) -> None:
        super().__init__()
        height, width = _pair(input_size)
        if min(height, width) < 12:
            raise ValueError(f"LeNet5: input_size must be at least 12x12, got {input_size!r}")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        flat = 16 * ((height // 2 - 4) // 2) * ((width // 2 - 4) // 2)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes),
        )  # fmt: skip

    def forward(self, x):
        return self.classifier(self.features(x))


class SimpleCNN(nn.Module):
    """Two 3x3 convolution blocks and a small classifier: the default CNN of
    ``abinitio train``, good on 8x8 digits and on 28x28 MNIST.

    [conv 3x3 (padding 1) -> batch norm -> ReLU -> max-pool 2] x 2 -> flatten
    -> FC ``hidden`` -> ReLU -> dropout -> FC ``num_classes``. Each block halves the
    image and doubles the channels (32, then 64): 8x8 digits become 64 maps of 2x2, MNIST
    64 maps of 7x7. Batch norm lets it train fast with a large learning rate (on the
    digits it adds about half a point of test accuracy).

    Args:
        in_channels: channels of the input images.
        num_classes: number of outputs.
        input_size: (H, W) of the input images, or one int (at least 4).
        channels: output channels of the two convolutions.
        hidden: width of the hidden fully connected layer.
        dropout: dropout probability before the last layer.

    Shape:
        input (N, in_channels, H, W) -> output (N, num_classes).

    Example:
        >>> import abinitio as ab
        >>> SimpleCNN(input_size=8)(ab.randn(5, 1, 8, 8)).shape
        (5, 10)

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, input_size=8,
                 channels=(32, 64), hidden: int = 128, dropout: float = 0.0) -> None:  # fmt: skip
        super().__init__()
        height, width = _pair(input_size)
        if min(height, width) < 4:
            raise ValueError(f"SimpleCNN: input_size must be at least 4x4, got {input_size!r}")
        first, second = channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, first, 3, padding=1), nn.BatchNorm2d(first), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(first, second, 3, padding=1), nn.BatchNorm2d(second), nn.ReLU(),
            nn.MaxPool2d(2),
        )  # fmt: skip
        flat = second * (height // 4) * (width // 4)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )  # fmt: skip

    def forward(self, x):
        return self.classifier(self.features(x))


class MNIST1DCNN(nn.Module):
    """The convolutional network of the MNIST-1D repository (Greydanus 2020, ``ConvBase``),
    layer for layer and name for name, so its state_dict loads unchanged: 5,210 parameters.

    x (N, 40) viewed as (N, 1, 40) -> conv1d 1->25 (k 5, stride 2, padding 1) -> ReLU
    -> conv1d 25->25 (k 3, s 2, p 1) -> ReLU -> conv1d 25->25 (k 3, s 2, p 1) -> ReLU
    -> flatten (25 channels x 5 positions = 125) -> linear 125->10.

    The signal shrinks 40 -> 19 -> 10 -> 5. The paper reports 94% test accuracy with it
    against 68% for its MLP: a shifted pattern is still the same pattern to a convolution.

    Args:
        out_features: number of classes.
        channels: channels of every convolution.
        linear_in: features after flattening (25 * 5 for length-40 signals).

    Shape:
        input (N, 40) or (N, 1, 40) -> output (N, out_features).

    Example:
        >>> import abinitio as ab
        >>> model = MNIST1DCNN()
        >>> model(ab.randn(3, 40)).shape, sum(p.numel() for p in model.parameters())
        ((3, 10), 5210)

    See the article docs/articles/architectures/convolutional_networks.py.
    """

    def __init__(self, out_features: int = 10, channels: int = 25, linear_in: int = 125) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.linear = nn.Linear(linear_in, out_features)
        self.relu = nn.ReLU()

    def forward(self, x):
        h = self.relu(self.conv1(x.reshape(-1, 1, x.shape[-1])))
        h = self.relu(self.conv3(self.relu(self.conv2(h))))
        return self.linear(h.flatten(1))
