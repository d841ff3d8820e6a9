"""Convolution, pooling, BatchNorm2d and Dropout2d layers: PyTorch parity (forward and every
gradient, weights copied through the state_dict), float64 gradcheck, PyTorch's names,
initialisation and repr, and errors that name the layer."""

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn
from helpers import compare_module_with_torch, copy_into_torch, random_inputs


def _same(build):
    """The same constructor call on ``nn`` (abinitio) and ``torch.nn``."""
    return (lambda: build(nn), lambda t: build(t.nn))


LAYERS = {
    "conv2d": (_same(lambda m: m.Conv2d(3, 4, 3)), [(2, 3, 7, 6)]),
    "conv2d_stride_pad_tuple": (
        _same(lambda m: m.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 2))),
        [(2, 2, 7, 5)],
    ),
    "conv2d_same": (_same(lambda m: m.Conv2d(2, 3, 4, padding="same")), [(2, 2, 6, 5)]),
    "conv2d_valid_dilated": (
        _same(lambda m: m.Conv2d(2, 3, 3, padding="valid", dilation=2)),
        [(2, 2, 8, 7)],
    ),
    "conv2d_groups_no_bias": (
        _same(lambda m: m.Conv2d(4, 6, 3, padding=1, groups=2, bias=False)),
        [(2, 4, 5, 5)],
    ),
    "conv2d_depthwise": (_same(lambda m: m.Conv2d(3, 6, 3, stride=2, groups=3)), [(2, 3, 7, 7)]),
    "conv2d_unbatched": (_same(lambda m: m.Conv2d(2, 3, 3, padding=1)), [(2, 5, 4)]),
    "conv2d_reflect": (
        _same(lambda m: m.Conv2d(2, 3, 3, padding=1, padding_mode="reflect")),
        [(2, 2, 5, 4)],
    ),
    "conv2d_circular": (
        _same(lambda m: m.Conv2d(2, 3, 3, padding=(2, 1), padding_mode="circular")),
        [(1, 2, 5, 4)],
    ),
    "conv1d": (_same(lambda m: m.Conv1d(1, 5, 5, stride=2, padding=1)), [(3, 1, 40)]),
    "conv1d_same_dilated_groups": (
        _same(lambda m: m.Conv1d(4, 2, 3, padding="same", dilation=2, groups=2)),
        [(2, 4, 9)],
    ),
    "conv_transpose2d": (
        _same(lambda m: m.ConvTranspose2d(4, 3, 4, stride=2, padding=1)),
        [(2, 4, 3, 3)],
    ),
    "conv_transpose2d_groups_output_padding": (
        _same(lambda m: m.ConvTranspose2d(4, 6, 3, stride=2, output_padding=1, groups=2)),
        [(2, 4, 3, 2)],
    ),
    "max_pool2d": (_same(lambda m: m.MaxPool2d(2)), [(2, 3, 6, 5)]),
    "max_pool2d_overlapping": (
        _same(lambda m: m.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)),
        [(2, 2, 7, 6)],
    ),
    "max_pool1d": (_same(lambda m: m.MaxPool1d(3, stride=2, dilation=2)), [(2, 3, 11)]),
    "avg_pool2d": (_same(lambda m: m.AvgPool2d((2, 3), padding=1)), [(2, 3, 6, 7)]),
    "avg_pool2d_no_pad_count": (
        _same(lambda m: m.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)),
        [(1, 2, 6, 5)],
    ),
    "avg_pool1d": (_same(lambda m: m.AvgPool1d(3, stride=2)), [(2, 3, 10)]),
    "adaptive_avg_pool2d": (_same(lambda m: m.AdaptiveAvgPool2d((3, 2))), [(2, 3, 7, 5)]),
    "adaptive_avg_pool2d_global": (_same(lambda m: m.AdaptiveAvgPool2d(1)), [(2, 3, 4, 4)]),
    "adaptive_avg_pool1d": (_same(lambda m: m.AdaptiveAvgPool1d(4)), [(2, 3, 10)]),
    "batchnorm2d_train": (_same(lambda m: m.BatchNorm2d(3)), [(4, 3, 5, 4)]),
    "batchnorm2d_no_affine": (_same(lambda m: m.BatchNorm2d(3, affine=False)), [(2, 3, 4, 4)]),
    "cnn": (
        _same(
            lambda m: m.Sequential(
                m.Conv2d(1, 4, 3, padding=1),
                m.BatchNorm2d(4),
                m.ReLU(),
                m.MaxPool2d(2),
                m.Conv2d(4, 6, 3),
                m.ReLU(),
                m.AdaptiveAvgPool2d(1),
                m.Flatten(),
                m.Linear(6, 3),
            )  # fmt: skip
        ),
        [(3, 1, 8, 8)],
    ),
}


def _randomise_norm(module):
    """Give batch-norm layers non-trivial weights so their gradients are really tested."""
    for sub in module.modules():
        if isinstance(sub, nn.BatchNorm2d) and sub.affine:
            rng = np.random.default_rng(3)
            sub.weight.array[...] = rng.uniform(0.5, 1.5, sub.weight.shape)
            sub.bias.array[...] = rng.uniform(-0.5, 0.5, sub.bias.shape)


@pytest.mark.parametrize("name", LAYERS)
def test_layer_matches_torch(name, torch):
    (ours_factory, theirs_factory), shapes = LAYERS[name]
    ours, theirs = ours_factory(), theirs_factory(torch)
    _randomise_norm(ours)
    compare_module_with_torch(torch, ours, theirs, random_inputs(shapes), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", LAYERS)
def test_layer_gradcheck(name):
    (ours_factory, _), shapes = LAYERS[name]
    module = ours_factory().double()
    _randomise_norm(module)
    x = ab.tensor(random_inputs(shapes, dtype=np.float64)[0], requires_grad=True)
    assert ab.gradcheck(lambda x, *params: module(x), [x, *module.parameters()])


@pytest.mark.parametrize(
    "build",
    [
        lambda m: m.Conv2d(1, 6, 5, padding=2),
        lambda m: m.Conv2d(3, 8, (3, 1), stride=2, dilation=(1, 2), groups=1, bias=False),
        lambda m: m.Conv2d(4, 4, 3, padding="same", groups=4, padding_mode="reflect"),
        lambda m: m.Conv1d(1, 25, 5, stride=2, padding=1),
        lambda m: m.ConvTranspose2d(8, 4, 3, stride=2, output_padding=1, groups=2),
        lambda m: m.MaxPool2d(2),
        lambda m: m.MaxPool1d(3, stride=1),
        lambda m: m.AvgPool2d(3, stride=2, padding=1),
        lambda m: m.AvgPool1d(2),
        lambda m: m.AdaptiveAvgPool2d((2, 3)),
        lambda m: m.AdaptiveAvgPool1d(5),
        lambda m: m.BatchNorm2d(16, momentum=0.2),
        lambda m: m.Dropout2d(0.3),
    ],
)
def test_repr_and_state_dict_names_are_torch_s(build, torch):
    ours, theirs = build(nn), build(torch.nn)
    if not isinstance(ours, (nn.BatchNorm2d, nn.Dropout2d)):  # torch adds inplace=, bias=
        assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].shape == tuple(value.shape), key
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("layer", [lambda: nn.Conv2d(6, 16, 5), lambda: nn.Conv1d(25, 25, 3),
                                   lambda: nn.ConvTranspose2d(16, 6, 5, groups=2)])  # fmt: skip
def test_default_init_is_kaiming_uniform_with_a_sqrt5(layer):
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight and the bias, as in PyTorch."""
    module = layer()
    w = module.weight.numpy(force=True)
    bound = 1 / np.sqrt(np.prod(w.shape[1:]))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    np.testing.assert_allclose(w.var(), bound**2 / 3, rtol=0.15)
    b = module.bias.numpy(force=True)
    assert np.abs(b).max() <= bound


def test_batchnorm2d_running_statistics_and_eval_match_torch(torch):
    ours, theirs = nn.BatchNorm2d(3, momentum=0.2), torch.nn.BatchNorm2d(3, momentum=0.2)
    _randomise_norm(ours)
    copy_into_torch(torch, ours, theirs)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = (rng.standard_normal((6, 3, 4, 5)) * 3 + 1).astype(np.float32)
        np.testing.assert_allclose(
            ours(ab.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-4
        )
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-5)
    assert int(ours.num_batches_tracked.item()) == 4
    ours.eval()
    theirs.eval()
    x = (rng.standard_normal((5, 3, 4, 4)) * 2).astype(np.float32)
    compare_module_with_torch(torch, ours, theirs, [x], rtol=1e-4, atol=1e-4)


def test_batchnorm2d_eval_gradcheck():
    bn = nn.BatchNorm2d(2).double()
    for _ in range(3):
        bn(ab.randn(4, 2, 3, 3, dtype=ab.float64) * 2 + 1)
    bn.eval()
    x = ab.randn(2, 2, 3, 3, dtype=ab.float64, requires_grad=True)
    assert ab.gradcheck(lambda x, *params: bn(x), [x, *bn.parameters()])


def test_dropout2d_zeroes_whole_channels_at_rate_p():
    drop = nn.Dropout2d(0.3)
    y = drop(ab.ones(200, 50, 3, 4)).numpy()
    per_channel = y.reshape(200, 50, -1)
    # each feature map is all zeros or all 1 / (1 - p)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.7)}
    dropped = (per_channel[..., 0] == 0).mean()
    assert abs(dropped - 0.3) < 0.02 and abs(y.mean() - 1) < 0.03
    assert drop.eval()(ab.ones(1, 2, 2, 2)).numpy().tolist() == np.ones((1, 2, 2, 2)).tolist()


def test_dropout2d_gradient_uses_the_same_mask_and_unbatched_input():
    x = ab.ones(4, 6, 3, 3, requires_grad=True)
    y = nn.Dropout2d(0.5)(x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())
    single = nn.Dropout2d(0.5)(ab.ones(40, 2, 2)).numpy().reshape(40, -1)
    assert (single.min(-1) == single.max(-1)).all()
    with pytest.raises(ValueError, match=r"dropout2d: expected a 3-D .* got shape \(5,\)"):
        nn.Dropout2d()(ab.ones(5))  # (N, C) is accepted, as in PyTorch (issue 13)


def test_dropout2d_statistics_match_torch(torch):
    """Same rate and scale as torch (the masks come from different generators)."""
    x = np.ones((400, 64, 2, 2), dtype=np.float32)
    ours = nn.Dropout2d(0.25)(ab.tensor(x)).numpy()
    theirs = torch.nn.Dropout2d(0.25)(torch.tensor(x)).numpy()
    assert set(np.unique(ours)) == set(np.unique(theirs))
    assert abs((ours == 0).mean() - (theirs == 0).mean()) < 0.02


def test_conv2d_names_itself_on_a_wrong_rank_input():
    conv = nn.Conv2d(3, 16, 3)
    with pytest.raises(ValueError) as error:
        conv(ab.zeros(3, 32))
    message = str(error.value)
    assert message.startswith("Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1)):")
    assert "(N, 3, H, W) or (3, H, W)" in message and "got (3, 32)" in message
    assert conv(ab.zeros(3, 8, 8)).shape == (16, 6, 6)  # one unbatched image, as in torch


def test_conv_layers_name_themselves_on_wrong_channels():
    with pytest.raises(ValueError, match=r"Conv2d\(3, 16.*\(N, 3, H, W\).*got \(8, 1, 28, 28\)"):
        nn.Conv2d(3, 16, 3)(ab.zeros(8, 1, 28, 28))
    with pytest.raises(ValueError, match=r"Conv1d\(1, 25.*\(N, 1, L\).*got \(100, 40, 3\)"):
        nn.Conv1d(1, 25, 5)(ab.zeros(100, 40, 3))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(4, 2.*\(N, 4, H, W\).*got \(1, 2, 3"):
        nn.ConvTranspose2d(4, 2, 3)(ab.zeros(1, 2, 3, 3))


def test_conv_layers_name_themselves_when_the_kernel_does_not_fit():
    with pytest.raises(ValueError) as error:
        nn.Conv2d(1, 6, 5, padding=1)(ab.zeros(2, 1, 2, 8))
    message = str(error.value)
    assert message.startswith("Conv2d(1, 6, kernel_size=(5, 5)")
    assert "larger than the padded input (4, 10)" in message and "(2, 1, 2, 8)" in message
    with pytest.raises(ValueError, match=r"Conv1d\(2, 2, kernel_size=\(3,\).*dilated \(5,\)"):
        nn.Conv1d(2, 2, 3, dilation=2)(ab.zeros(1, 2, 4))


def test_pooling_layers_name_themselves():
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=2.*\(N, C, H, W\).*got \(5,\)"):
        nn.MaxPool2d(2)(ab.zeros(5))
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool1d\(output_size=2\).*\(N, C, L\)"):
        nn.AdaptiveAvgPool1d(2)(ab.zeros(1, 2, 3, 4))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(4.*\(N, 4, H, W\), got \(8, 4\)"):
        nn.BatchNorm2d(4)(ab.zeros(8, 4))


def test_bad_constructor_arguments_are_named():
    with pytest.raises(ValueError, match="Conv2d: groups=2 must divide in_channels=3"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="Conv2d: padding='same' is not supported for strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Conv1d: kernel_size must be an int"):
        nn.Conv1d(3, 4, 0)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
