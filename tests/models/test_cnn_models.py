"""The convolutional and residual architectures: parameter counts, PyTorch parity with the
same state_dict (names included), sizes they adapt to, and the deep MLP pair."""

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn
from abinitio.models import (
    MNIST1DCNN,
    LeNet5,
    PlainMLP,
    ResidualBlock,
    ResidualMLP,
    ResNet,
    SimpleCNN,
)
from helpers import compare_module_with_torch, random_inputs


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def test_parameter_counts():
    assert _count(MNIST1DCNN()) == 5210  # the MNIST-1D repository's ConvBase
    assert _count(LeNet5()) == 61706
    assert _count(ResNet((1, 1, 1), (16, 32, 64), in_channels=3)) == 78042


def _torch_conv_base(torch):
    """The MNIST-1D repository's ConvBase, as written there."""
    tnn = torch.nn

    class ConvBase(tnn.Module):
        def __init__(self, output_size=10, channels=25, linear_in=125):
            super().__init__()
            self.conv1 = tnn.Conv1d(1, channels, 5, stride=2, padding=1)
            self.conv2 = tnn.Conv1d(channels, channels, 3, stride=2, padding=1)
            self.conv3 = tnn.Conv1d(channels, channels, 3, stride=2, padding=1)
            self.linear = tnn.Linear(linear_in, output_size)

        def forward(self, x):
            x = x.view(-1, 1, x.shape[-1])
            h3 = self.conv3(self.conv2(self.conv1(x).relu()).relu()).relu()
            return self.linear(h3.view(h3.shape[0], -1))

    return ConvBase()


def test_mnist1d_cnn_is_the_repository_s_conv_base(torch):
    ours, theirs = MNIST1DCNN(), _torch_conv_base(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    compare_module_with_torch(torch, ours, theirs, random_inputs([(6, 40)]), rtol=1e-4, atol=1e-5)


def _torch_lenet(torch):
    tnn = torch.nn
    model = tnn.Module()
    model.features = tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2),
    )  # fmt: skip
    model.classifier = tnn.Sequential(
        tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(),
        tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10),
    )  # fmt: skip
    model.forward = lambda x: model.classifier(model.features(x))
    return model


def test_lenet5_matches_torch(torch):
    ours, theirs = LeNet5(), _torch_lenet(torch)
    compare_module_with_torch(torch, ours, theirs, random_inputs([(3, 1, 28, 28)]), 1e-4, 1e-5)


def _torch_resnet(torch, depths, widths, in_channels):
    """The same architecture in torch.nn, with torchvision's names."""
    tnn = torch.nn

    class Block(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, cout, 3, stride, padding=1, bias=False)
            self.bn1 = tnn.BatchNorm2d(cout)
            self.conv2 = tnn.Conv2d(cout, cout, 3, padding=1, bias=False)
            self.bn2 = tnn.BatchNorm2d(cout)
            self.relu = tnn.ReLU()
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = tnn.Sequential(
                    tnn.Conv2d(cin, cout, 1, stride, bias=False), tnn.BatchNorm2d(cout)
                )

        def forward(self, x):
            shortcut = x if self.downsample is None else self.downsample(x)
            h = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(h)) + shortcut)

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False)
            self.bn1, self.relu = tnn.BatchNorm2d(widths[0]), tnn.ReLU()
            channels = widths[0]
            for stage, (depth, width) in enumerate(zip(depths, widths)):
                blocks = []
                for index in range(depth):
                    blocks.append(Block(channels, width, 2 if stage and not index else 1))
                    channels = width
                setattr(self, f"layer{stage + 1}", tnn.Sequential(*blocks))
            self.avgpool, self.fc = tnn.AdaptiveAvgPool2d(1), tnn.Linear(channels, 10)

        def forward(self, x):
            h = self.relu(self.bn1(self.conv1(x)))
            for stage in range(len(depths)):
                h = getattr(self, f"layer{stage + 1}")(h)
            return self.fc(self.avgpool(h).flatten(1))

    return Net()


@pytest.mark.parametrize("training", [True, False])
def test_resnet_matches_torch_in_train_and_eval_mode(training, torch):
    depths, widths = (2, 1), (4, 8)
    ours, theirs = ResNet(depths, widths, in_channels=3), _torch_resnet(torch, depths, widths, 3)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if not training:  # give the running statistics something to hold first
        for x in random_inputs([(4, 3, 8, 8)] * 2):
            ours(ab.tensor(x))
        ours.eval()
        theirs.eval()
    x = random_inputs([(4, 3, 8, 8)], rng=np.random.default_rng(7))
    compare_module_with_torch(torch, ours, theirs, x, rtol=1e-4, atol=1e-4)


def test_residual_block_shortcuts():
    identity = ResidualBlock(8, 8)
    assert identity.downsample is None
    x = ab.randn(2, 8, 5, 5)
    assert identity(x).shape == (2, 8, 5, 5)
    projected = ResidualBlock(8, 16, stride=2)
    assert isinstance(projected.downsample[0], nn.Conv2d)
    assert projected.downsample[0].kernel_size == (1, 1)
    assert projected(x).shape == (2, 16, 3, 3)
    assert ResidualBlock(8, 16)(x).shape == (2, 16, 5, 5)  # channels change: projection


def test_resnet_depth_names_and_any_image_size():
    resnet20 = ResNet((3, 3, 3), (16, 32, 64), in_channels=1)
    convs = [m for m in resnet20.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) - 2 + 1 == 20  # stem + 18 block convs (+ fc), minus the 2 projections
    assert resnet20(ab.randn(2, 1, 8, 8)).shape == (2, 10)
    assert resnet20(ab.randn(2, 1, 13, 9)).shape == (2, 10)
    with pytest.raises(ValueError, match="ResNet: expected as many widths as depths"):
        ResNet((1, 1), (16, 32, 64))


def test_cnns_adapt_to_the_input_size():
    assert LeNet5(in_channels=3, input_size=32)(ab.randn(2, 3, 32, 32)).shape == (2, 10)
    assert LeNet5(input_size=(20, 28))(ab.randn(2, 1, 20, 28)).shape == (2, 10)
    assert SimpleCNN(1, 10, 28)(ab.randn(2, 1, 28, 28)).shape == (2, 10)
    assert SimpleCNN(3, 5, (12, 9))(ab.randn(2, 3, 12, 9)).shape == (2, 5)
    with pytest.raises(ValueError, match="LeNet5: input_size must be at least 12x12"):
        LeNet5(input_size=8)
    with pytest.raises(ValueError, match=r"Linear\(in_features=256.*got \(2, 3136\)"):
        SimpleCNN(input_size=8)(ab.randn(2, 1, 28, 28))  # built for 8x8, fed 28x28


def test_simple_cnn_fits_a_batch_of_digits():
    """A smoke test of learning (the digits accuracy is the CLI test's job)."""
    data = ab.data.datasets.digits()
    model = SimpleCNN(1, 10, 8)
    optimizer = ab.optim.Adam(model.parameters(), lr=3e-3)
    x, y = ab.tensor(data.x_train[:128]), ab.tensor(data.y_train[:128])
    losses = []
    for _ in range(15):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


@pytest.mark.parametrize("model_class", [PlainMLP, ResidualMLP])
def test_deep_mlps_have_depth_linear_layers(model_class):
    model = model_class(30, 16, "relu", in_features=5, out_features=3)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 30
    assert (linears[0].in_features, linears[-1].out_features) == (5, 3)
    assert model(ab.randn(4, 5)).shape == (4, 3)
    with pytest.raises(ValueError, match=f"{model_class.__name__}: depth must be an int >= 2"):
        model_class(1, 16)
    with pytest.raises(ValueError, match="init must be one of"):
        model_class(3, 16, init="lecun")


def test_he_initialisation_keeps_relu_activations_from_shrinking():
    x = ab.randn(512, 64)
    he = PlainMLP(20, 64, "relu", in_features=64, init="he")
    default = PlainMLP(20, 64, "relu", in_features=64)
    with ab.no_grad():
        he_out, default_out = he.layers[:-1](x).numpy(), default.layers[:-1](x).numpy()
    # PyTorch's default (Var(W) = 1 / (3 fan_in)) loses a factor sqrt(6) of spread per
    # ReLU layer; only the biases keep the signal from vanishing altogether
    assert he_out.std() > 0.3 and default_out.std() < 0.1 * he_out.std()
    assert all(float(b.abs().max().item()) == 0 for b in he.parameters() if b.ndim == 1)
