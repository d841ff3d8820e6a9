"""abinitio.onnx.export: the exported graph, run in onnxruntime, gives abinitio's outputs
within 1e-5 (the issue's bar), for the model zoo and for every op with a mapping."""

import io

import numpy as np
import pytest
from helpers import require

import abinitio as ab
import abinitio.nn.functional as F
from abinitio import models, nn
from abinitio.autograd.function import Function
from abinitio.onnx import UnsupportedOperatorError, export, supported_ops

ort = require("onnxruntime")
require("onnx")

TOLERANCE = 1e-5


def run_both(model, args, **options):
    """(onnxruntime's outputs, abinitio's outputs) on ``args``, after exporting on them."""
    buffer = io.BytesIO()
    proto = export(model, args, buffer, **options)
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    tensors = [a for a in args if a is not None]
    feeds = {i.name: a.numpy() for i, a in zip(session.get_inputs(), tensors)}
    with ab.no_grad():
        expected = model(*args)
    expected = expected if isinstance(expected, (tuple, list)) else (expected,)
    return session.run(None, feeds), _flat(expected), proto, session


def _flat(values):
    return [t for v in values for t in (_flat(v) if isinstance(v, (tuple, list)) else [v])]


def assert_matches(model, *args, **options):
    got, expected, proto, _ = run_both(model.eval(), args, **options)
    assert len(got) == len(expected)
    for ours, theirs in zip(got, expected):
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=0, atol=TOLERANCE)
    return proto


def _random_batch_statistics(model):
    rng = np.random.default_rng(1)
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            module.running_mean.array[:] = rng.standard_normal(module.running_mean.shape)
            module.running_var.array[:] = rng.uniform(0.5, 2, module.running_var.shape)


@pytest.mark.parametrize(
    "name, build, example",
    [
        ("mlp", lambda: models.MLP(8, (16, 16), 3, activation="tanh"), lambda: ab.randn(2, 8)),
        ("lenet", models.LeNet5, lambda: ab.randn(2, 1, 28, 28)),
        ("resnet", lambda: models.ResNet((1, 1), (4, 8), in_channels=3),
         lambda: ab.randn(2, 3, 8, 8)),
        ("gru", models.MNIST1DGRU, lambda: ab.randn(2, 40)),
        ("lstm", lambda: models.CharRNN(12, 4, 8, num_layers=2, cell="lstm"),
         lambda: ab.randint(0, 12, (2, 5))),
        ("gpt", lambda: models.GPT(12, 8, n_layers=2, n_heads=2, width=16),
         lambda: ab.randint(0, 12, (2, 8))),
    ],
)  # fmt: skip
def test_model_zoo_runs_in_onnxruntime_within_1e_5(name, build, example):
    model = build()
    _random_batch_statistics(model)
    proto = assert_matches(model, example())
    names = {init.name for init in proto.graph.initializer}
    first = next(iter(model.state_dict()))
    assert first in names, f"{name}: parameters keep their state_dict names"


def test_dynamic_batch_axis_takes_another_batch_size():
    model = models.ResNet((1, 1), (4, 8), in_channels=3).eval()
    _random_batch_statistics(model)
    _, _, _, session = run_both(model, (ab.randn(2, 3, 8, 8),), input_names=["x"],
                                output_names=["y"], dynamic_axes={"x": {0: "batch"},
                                                                   "y": [0]})  # fmt: skip
    assert session.get_inputs()[0].shape == ["batch", 3, 8, 8]
    assert session.get_outputs()[0].shape == ["y_dynamic_axes_1", 10]
    x = ab.randn(5, 3, 8, 8)
    (y,) = session.run(None, {"x": x.numpy()})
    np.testing.assert_allclose(y, model(x).detach().numpy(), atol=TOLERANCE)


class Lambda(nn.Module):
    def __init__(self, function, **modules) -> None:
        super().__init__()
        self.function = function
        for name, module in modules.items():
            self.add_module(name, module)

    def forward(self, *args):
        return self.function(self, *args)


OPS = {
    "conv_transpose": (lambda s, x: s.up(x),
                       dict(up=nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1,
                                                  output_padding=1))),  # fmt: skip
    "avg_pool": (lambda s, x: F.avg_pool2d(x, 3, 2, padding=1, count_include_pad=False), {}),
    "max_pool_ceil": (lambda s, x: F.max_pool2d(x, 3, 2, ceil_mode=True), {}),
    "basic_index": (lambda s, x: x[:, 1:, None, ::2, -1] + x[..., 0][:, None, :2, :3], {}),
    "gather_index": (lambda s, x: x[:, ab.tensor([2, 0, 2])], {}),
    "unary": (lambda s, x: (x.exp().log() + x.abs().sqrt() + x.sin() * x.cos()
                            - x.tanh()).clamp(-1, 1) / 2 ** x.sigmoid(), {}),  # fmt: skip
    "activations": (lambda s, x: F.gelu(x) + F.gelu(x, approximate="tanh") + F.silu(x)
                    + F.softplus(x, beta=2) + F.leaky_relu(x, 0.1) + F.log_softmax(x, -1)
                    + x.softmax(1), {}),  # fmt: skip
    "cat_stack_reduce": (lambda s, x: ab.cat([x, x * 2], dim=1).permute(0, 2, 3, 1).amax(-1)
                         + ab.stack([x[:, 0], x[:, 1]], dim=-1).sum(-1), {}),  # fmt: skip
    "pad": (lambda s, x: F.pad(x, (1, 2, 0, 1), value=0.5), {}),
    "reflection_pad": (lambda s, x: F.pad(x, (2, 1, 1, 2), mode="reflect"), {}),
    "min_max": (lambda s, x: ab.minimum(x, x.amin(dim=1, keepdim=True) + 1)
                + ab.maximum(x, x.prod(-1, keepdim=True)), {}),  # fmt: skip
    "batch_norm_eval": (lambda s, x: s.bn(x), dict(bn=nn.BatchNorm2d(3))),
    "layer_norm_no_affine": (lambda s, x: s.ln(x),
                             dict(ln=nn.LayerNorm(6, elementwise_affine=False))),  # fmt: skip
}


@pytest.mark.parametrize("name", OPS)
def test_op_matches_in_onnxruntime(name):
    function, modules = OPS[name]
    model = Lambda(function, **modules)
    _random_batch_statistics(model)
    assert_matches(model, ab.randn(2, 3, 6, 6))


@pytest.mark.parametrize(
    "name, module, example",
    [
        ("rnn_relu_bidirectional", nn.RNN(6, 4, batch_first=True, nonlinearity="relu",
                                          bidirectional=True), (2, 5, 6)),
        ("lstm_two_layers_bidirectional", nn.LSTM(6, 4, num_layers=2, bidirectional=True),
         (5, 2, 6)),
        ("multihead_attention", nn.MultiheadAttention(8, 2, batch_first=True), None),
        ("transformer_layer", nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1,
                                                         batch_first=True), (2, 5, 8)),
        ("conv1d", nn.Conv1d(2, 3, 3, padding=1), (4, 2, 7)),
    ],
)  # fmt: skip
def test_module_matches_in_onnxruntime(name, module, example):
    if example is None:  # self-attention: one input used as query, key and value
        model = Lambda(lambda s, x: s.m(x, x, x)[0], m=module)
        example = (2, 5, 8)
    else:
        model = module
    assert_matches(model, ab.randn(*example))


def test_gru_with_a_given_initial_state_and_no_bias():
    model = nn.GRU(6, 4, num_layers=2, bias=False)
    assert_matches(model, ab.randn(5, 2, 6), ab.randn(2, 2, 4))


def test_export_writes_a_file_atomically_and_restores_training_mode(tmp_path):
    model = models.MLP(4, (8,), 2, dropout=0.5)
    path = tmp_path / "mlp.onnx"
    export(model, ab.randn(3, 4), path)
    assert model.training, "export switches to eval mode for the trace, then back"
    assert [p.name for p in tmp_path.iterdir()] == ["mlp.onnx"]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = ab.randn(3, 4)
    with ab.no_grad():
        expected = model.eval()(x).numpy()
    np.testing.assert_allclose(session.run(None, {"x": x.numpy()})[0], expected, atol=1e-6)


class Cube(Function):
    """y = x^3, a primitive the exporter has never heard of."""

    @staticmethod
    def forward(ctx, x):
        return x**3

    @staticmethod
    def backward(ctx, g):
        raise NotImplementedError


def test_an_op_without_mapping_is_named_with_its_call_site():
    model = Lambda(lambda s, x: Cube.apply(s.linear(x)), linear=nn.Linear(3, 3))
    with pytest.raises(UnsupportedOperatorError, match=r"no ONNX mapping for the op Cube") as info:
        export(model, ab.randn(2, 3), io.BytesIO())
    assert info.value.op == "Cube"
    assert "test_onnx_export.py" in str(info.value), "the message points at the user's line"
    assert "Cube" not in supported_ops() and "Conv2d" in supported_ops()


def test_a_value_computed_outside_the_graph_is_refused_not_frozen():
    """x.numpy() > 0 turned back into a tensor would be a constant of the trace."""
    model = Lambda(lambda s, x: x * ab.tensor(x.numpy() > 0).float())
    with pytest.raises(ValueError, match="computed outside abinitio's graph"):
        export(model, ab.randn(4, 3), io.BytesIO())


def test_branching_on_values_is_refused():
    """The example is constant; the second trace's input is not, so the branch differs."""
    model = Lambda(lambda s, x: x.exp() if x.max().item() == x.min().item() else x.sin().cos())
    with pytest.raises(ValueError, match="branches on the input's values"):
        export(model, ab.ones(4, 3), io.BytesIO())


def test_lstm_stack_of_cell_states_is_not_exported():
    from abinitio.ops.recurrent_lstm import lstm_layer

    weights = [ab.randn(16, 3), ab.randn(16, 4)]
    model = Lambda(lambda s, x: lstm_layer(x, None, None, *weights)[1].sum(0))
    with pytest.raises(UnsupportedOperatorError, match="LSTMLayer.*last c_t"):
        export(model, ab.randn(5, 2, 3), io.BytesIO())


def test_bad_names_are_clear_errors():
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"input_names must be 1 distinct names"):
        export(model, ab.randn(2, 3), io.BytesIO(), input_names=["a", "b"])
    with pytest.raises(ValueError, match=r"dynamic_axes names 'batch'"):
        export(model, ab.randn(2, 3), io.BytesIO(), dynamic_axes={"batch": [0]})
    with pytest.raises(TypeError, match="a Tensor or a tuple of Tensors, got str"):
        export(model, "x", io.BytesIO())


def test_an_old_opset_is_raised_to_17_with_a_warning():
    """PyTorch's tutorials pass opset_version=10; torch's exporter upgrades it too."""
    with pytest.warns(UserWarning, match="opset_version 10 is older than the 17"):
        proto = export(nn.Linear(3, 2), ab.randn(2, 3), io.BytesIO(), opset_version=10,
                       export_params=True, do_constant_folding=True)  # fmt: skip
    assert proto.opset_import[0].version == 17
