"""Residual networks (He et al. 2016) for small images: ``ResidualBlock`` and ``ResNet``.

Stacking more layers should never hurt (the extra ones could learn the identity), yet
plain deep networks train worse than shallow ones: their gradient is a product of one
Jacobian per layer, which shrinks or explodes with depth. A residual block computes
y = relu(F(x) + x): it learns only the *change* F(x) to its input, and the identity path
gives the gradient a route around every block, dL/dx = dL/dy (1 + dF/dx). With batch
normalisation after each convolution, networks of hundreds of layers train.
"""

from __future__ import annotations

from abinitio import nn
from abinitio.nn import init


class ResidualBlock(nn.Module):
    """The basic block of ResNet-18/34: two 3x3 convolutions with batch norm, plus a shortcut.

    y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), where the shortcut is the
    identity when the shapes agree, and otherwise a 1x1 convolution with ``stride``
    followed by batch norm (the "projection" shortcut, option B of the paper). The
    convolutions have no bias: the batch norm after each one has its own shift.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        stride: stride of the first convolution (2 halves the image).

    Shape:
        input (N, in_channels, H, W) -> output (N, out_channels, H / stride, W / stride).

    Attributes:
        downsample: the projection shortcut (torchvision's name), or None for the identity.

    Example:
        >>> import abinitio as ab
        >>> block = ResidualBlock(16, 32, stride=2)
        >>> block(ab.randn(2, 16, 8, 8)).shape, block.downsample is not None
        ((2, 32, 4, 4), True)

    See the article docs/articles/architectures/residual_networks.py.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        h = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(h)) + shortcut)


class ResNet(nn.Module):
    """A ResNet for small images (CIFAR-style, He et al. 2016 section 4.2).

    stem: conv 3x3 -> batch norm -> ReLU; then one stage per entry of ``depths``, of that
    many :class:`ResidualBlock` s with ``widths[i]`` channels (every stage after the first
    starts with stride 2, halving the image); then global average pooling and one linear
    layer. Counting the stem, two convolutions per block and the classifier,
    depths (1, 1, 1) is ResNet-8 and (3, 3, 3) ResNet-20.

    Convolutions start from He initialisation (``kaiming_normal_``, fan_out, as in
    torchvision), batch norms from weight 1 and bias 0.

    Args:
        depths: residual blocks per stage.
        widths: channels per stage.
        in_channels: channels of the input images.
        num_classes: number of outputs.

    Shape:
        input (N, in_channels, H, W) -> output (N, num_classes), for any H, W.

    Example:
        >>> import abinitio as ab
        >>> model = ResNet((1, 1, 1), (16, 32, 64), in_channels=3)
        >>> model(ab.randn(2, 3, 32, 32)).shape
        (2, 10)

    See the article docs/articles/architectures/residual_networks.py.
    """

    def __init__(self, depths=(1, 1, 1), widths=(16, 32, 64), in_channels: int = 3,
                 num_classes: int = 10) -> None:  # fmt: skip
        super().__init__()
        if len(depths) != len(widths) or not depths or min(depths) < 1:
            raise ValueError(
                f"ResNet: expected as many widths as depths, each depth >= 1; got "
                f"depths={tuple(depths)}, widths={tuple(widths)}"
            )
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        channels = widths[0]
        for stage, (depth, width) in enumerate(zip(depths, widths)):
            blocks = []
            for index in range(depth):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(ResidualBlock(channels, width, stride))
                channels = width
            self.add_module(f"layer{stage + 1}", nn.Sequential(*blocks))
        self.num_stages = len(depths)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        h = self.relu(self.bn1(self.conv1(x)))
        for stage in range(1, self.num_stages + 1):
            h = getattr(self, f"layer{stage}")(h)
        return self.fc(self.avgpool(h).flatten(1))
