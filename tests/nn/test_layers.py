"""Every layer against PyTorch with the same weights, float64 gradcheck, and errors that
name the layer."""

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn
from helpers import compare_module_with_torch, random_inputs

LAYERS = {
    "linear": (lambda: nn.Linear(5, 3), lambda t: t.nn.Linear(5, 3), [(4, 5)]),
    "linear_3d_no_bias": (
        lambda: nn.Linear(5, 3, bias=False),
        lambda t: t.nn.Linear(5, 3, bias=False),
        [(2, 4, 5)],
    ),
    "relu": (lambda: nn.ReLU(), lambda t: t.nn.ReLU(), [(3, 4)]),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2), [(3, 4)]),
    "sigmoid": (lambda: nn.Sigmoid(), lambda t: t.nn.Sigmoid(), [(3, 4)]),
    "tanh": (lambda: nn.Tanh(), lambda t: t.nn.Tanh(), [(3, 4)]),
    "gelu": (lambda: nn.GELU(), lambda t: t.nn.GELU(), [(3, 4)]),
    "gelu_tanh": (lambda: nn.GELU("tanh"), lambda t: t.nn.GELU("tanh"), [(3, 4)]),
    "silu": (lambda: nn.SiLU(), lambda t: t.nn.SiLU(), [(3, 4)]),
    "softplus": (lambda: nn.Softplus(2.0, 5.0), lambda t: t.nn.Softplus(2.0, 5.0), [(3, 4)]),
    "softmax": (lambda: nn.Softmax(1), lambda t: t.nn.Softmax(1), [(3, 4)]),
    "log_softmax": (lambda: nn.LogSoftmax(-1), lambda t: t.nn.LogSoftmax(-1), [(3, 4)]),
    "identity": (lambda: nn.Identity(), lambda t: t.nn.Identity(), [(3, 4)]),
    "flatten": (lambda: nn.Flatten(), lambda t: t.nn.Flatten(), [(2, 3, 4)]),
    "batchnorm1d_train": (lambda: nn.BatchNorm1d(4), lambda t: t.nn.BatchNorm1d(4), [(8, 4)]),
    "batchnorm1d_3d": (lambda: nn.BatchNorm1d(3), lambda t: t.nn.BatchNorm1d(3), [(4, 3, 5)]),
    "batchnorm1d_no_affine": (
        lambda: nn.BatchNorm1d(4, affine=False),
        lambda t: t.nn.BatchNorm1d(4, affine=False),
        [(8, 4)],
    ),
    "layernorm": (lambda: nn.LayerNorm(4), lambda t: t.nn.LayerNorm(4), [(3, 4)]),
    "layernorm_2d": (lambda: nn.LayerNorm((3, 4)), lambda t: t.nn.LayerNorm((3, 4)), [(2, 3, 4)]),
    "layernorm_no_bias": (
        lambda: nn.LayerNorm(4, bias=False),
        lambda t: t.nn.LayerNorm(4, bias=False),
        [(2, 4)],
    ),
    "mlp": (
        lambda: nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)),
        lambda t: t.nn.Sequential(t.nn.Linear(4, 8), t.nn.Tanh(), t.nn.Linear(8, 2)),
        [(5, 4)],
    ),
}


def _randomise_affine(module):
    """Give norm layers non-trivial weights so their gradients are really tested."""
    for name, param in module.named_parameters():
        if "weight" in name or "bias" in name:
            param.array[...] = np.random.default_rng(3).uniform(0.5, 1.5, param.shape)


@pytest.mark.parametrize("name", LAYERS)
def test_layer_matches_torch(name, torch):
    ours_factory, theirs_factory, shapes = LAYERS[name]
    ours, theirs = ours_factory(), theirs_factory(torch)
    _randomise_affine(ours)
    compare_module_with_torch(torch, ours, theirs, random_inputs(shapes))


@pytest.mark.parametrize("name", LAYERS)
def test_layer_gradcheck(name):
    ours_factory, _, shapes = LAYERS[name]
    module = ours_factory().double()
    x = ab.tensor(random_inputs(shapes, dtype=np.float64)[0], requires_grad=True)
    assert ab.gradcheck(lambda x, *params: module(x), [x, *module.parameters()])


def test_batchnorm_running_statistics_and_eval_match_torch(torch):
    ours, theirs = nn.BatchNorm1d(3, momentum=0.2), torch.nn.BatchNorm1d(3, momentum=0.2)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = (rng.standard_normal((6, 3)) * 3 + 1).astype(np.float32)
        ours(ab.tensor(x))
        theirs(torch.tensor(x))
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-5)
    ours.eval()
    theirs.eval()
    compare_module_with_torch(torch, ours, theirs, [rng.standard_normal((5, 3)).astype(np.float32)])


def test_batchnorm_cumulative_average_when_momentum_is_none(torch):
    ours, theirs = nn.BatchNorm1d(2, momentum=None), torch.nn.BatchNorm1d(2, momentum=None)
    for x in random_inputs([(5, 2), (7, 2), (4, 2)]):
        ours(ab.tensor(x))
        theirs(torch.tensor(x))
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5)


def test_batchnorm_needs_more_than_one_value_per_channel():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(ab.randn(1, 3))


def test_dropout_is_inverted_and_seeded():
    drop = nn.Dropout(0.25)
    y = drop(ab.ones(100_000)).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.01 and abs(y.mean() - 1) < 0.02
    ab.manual_seed(5)
    a = drop(ab.ones(10)).numpy()
    ab.manual_seed(5)
    assert (drop(ab.ones(10)).numpy() == a).all()
    assert drop.eval()(ab.ones(3)).tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="Dropout: p must be"):
        nn.Dropout(1.5)


def test_dropout_gradient_uses_the_same_mask():
    x = ab.ones(1000, requires_grad=True)
    y = nn.Dropout(0.5)(x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_embedding_matches_torch_with_repeats_and_padding(torch):
    ours, theirs = nn.Embedding(6, 3, padding_idx=0), torch.nn.Embedding(6, 3, padding_idx=0)
    index = np.array([[1, 0, 4, 1], [5, 1, 1, 0]])
    compare_module_with_torch(torch, ours, theirs, [index])
    assert not ours.weight.grad.numpy()[0].any()
    with pytest.raises(IndexError, match=r"Embedding\(6, 3, padding_idx=0\): .*6 rows"):
        ours(ab.tensor([6]))


def test_neuron_is_one_row_of_linear():
    neurons = [nn.Neuron(4, activation="identity") for _ in range(3)]
    layer = nn.Linear(4, 3)
    with ab.no_grad():
        for j, neuron in enumerate(neurons):
            layer.weight[j] = neuron.weight
            layer.bias[j] = neuron.bias
    x = ab.randn(5, 4)
    stacked = ab.stack([neuron(x) for neuron in neurons], dim=1)
    # the same numbers, up to float32 summation order
    np.testing.assert_allclose(stacked.detach().numpy(), layer(x).detach().numpy(), atol=1e-6)
    relu_neuron = nn.Neuron(4)
    pre = x.numpy() @ relu_neuron.weight.detach().numpy() + relu_neuron.bias.detach().numpy()
    assert (pre < 0).any() and (pre > 0).any()  # both sides of the kink are exercised
    np.testing.assert_allclose(relu_neuron(x).detach().numpy(), np.maximum(pre, 0), atol=1e-6)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.Neuron(2, activation="swish")


def test_linear_names_itself_and_both_shapes():
    with pytest.raises(ValueError) as error:
        nn.Linear(784, 128)(ab.zeros(32, 100))
    message = str(error.value)
    assert "Linear(in_features=784, out_features=128, bias=True)" in message
    assert "(*, 784)" in message and "(32, 100)" in message


def test_norm_layers_name_themselves():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4.*expected input of shape \(N, 4\)"):
        nn.BatchNorm1d(4)(ab.zeros(8, 3))
    with pytest.raises(ValueError, match=r"LayerNorm\(\(5,\).*\(\*, 5\).*\(2, 4\)"):
        nn.LayerNorm(5)(ab.zeros(2, 4))


def test_default_linear_init_matches_torch_distribution():
    layer = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    w = layer.weight.numpy(force=True)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    np.testing.assert_allclose(w.var(), bound**2 / 3, rtol=0.02)
    assert np.abs(layer.bias.numpy(force=True)).max() <= bound
