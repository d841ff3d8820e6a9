"""abinitio.inspect.gradient_flow and the vanishing-gradient experiment of
examples/vanishing_gradient.py: the orderings it demonstrates (not exact values)."""

import importlib.util
import pathlib

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn
from abinitio.inspect import gradient_flow
from abinitio.models import PlainMLP, ResidualMLP
from abinitio.nn import functional as F
from helpers import require

EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "vanishing_gradient.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("vanishing_gradient", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def spiral_batch():
    data = ab.data.datasets.spirals(2000)
    return ab.tensor(data.x_train[:256]), ab.tensor(data.y_train[:256])


def test_plain_sigmoid_gradient_vanishes_and_residual_does_not(example, spiral_batch):
    flows = example.measure(example.build_models(), *spiral_batch)
    sigmoid, relu, residual = (flows[name].grad_norms for name in flows)
    assert len(sigmoid) == len(relu) == len(residual) == 30
    # the sigmoid net's first layer: orders of magnitude below its last layer ...
    assert sigmoid[0] < 1e-10 * sigmoid[-1]
    # ... shrinking at every step back through the network
    assert all(a < b for a, b in zip(sigmoid, sigmoid[1:]))
    # the residual and the He-initialised ReLU nets keep it within ~1-2 orders of magnitude
    assert residual[0] > 1e-2 * residual[-1] and relu[0] > 1e-2 * relu[-1]
    assert min(residual) > 1e-2 * max(residual)
    # and their first layers get gradients many orders of magnitude larger than sigmoid's
    assert residual[0] > 1e10 * sigmoid[0] and relu[0] > 1e10 * sigmoid[0]


def test_the_first_sigmoid_layer_does_not_learn_the_residual_one_does(spiral_batch):
    x, y = spiral_batch
    ab.manual_seed(0)
    changes = {}
    models = {"sigmoid": PlainMLP(30, 32, "sigmoid"), "residual": ResidualMLP(30, 32)}
    for name, model in models.items():
        first = next(m for m in model.modules() if isinstance(m, nn.Linear))
        before = first.weight.detach().numpy().copy()
        optimizer = ab.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(5):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        changes[name] = np.abs(first.weight.detach().numpy() - before).max()
    assert changes["sigmoid"] < 1e-12 and changes["residual"] > 1e-4


def test_norms_are_the_gradients_norms_in_forward_order():
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    x, y = ab.randn(5, 1, 6, 6), ab.tensor([0, 1, 0, 1, 1])
    flow = gradient_flow(model, lambda m: F.cross_entropy(m(x), y))
    assert flow.names == ["0", "3"]
    assert [layer.shape for layer in flow.layers] == [(3, 1, 3, 3), (2, 48)]
    for layer, module in zip(flow.layers, (model[0], model[3])):
        np.testing.assert_allclose(layer.grad_norm, np.linalg.norm(module.weight.grad.numpy()))
        np.testing.assert_allclose(
            layer.weight_norm, np.linalg.norm(module.weight.numpy(force=True))
        )
        assert layer.relative == pytest.approx(layer.grad_norm / layer.weight_norm)
    expected = F.cross_entropy(model(x), y).item()
    assert flow.loss == pytest.approx(expected, rel=1e-6)
    assert "(3, 1, 3, 3)" in flow.table() and "|dL/dW|" in flow.table()


def test_activation_statistics_and_dead_relus():
    layer = nn.Linear(4, 6)
    with ab.no_grad():
        layer.bias[:3] = -100.0  # three units can never fire: dead
    model = nn.Sequential(layer, nn.ReLU(), nn.Linear(6, 2), nn.Sigmoid())
    x = ab.randn(32, 4)
    flow = gradient_flow(model, lambda m: m(x).sum())
    relu, sigmoid = flow.activations
    assert (relu.name, sigmoid.name) == ("1", "3")
    assert relu.dead_fraction == pytest.approx(0.5)
    assert sigmoid.dead_fraction == 0.0 and 0 < sigmoid.mean < 1
    hidden = F.relu(layer(x)).detach().numpy()
    assert relu.mean == pytest.approx(hidden.mean(), rel=1e-5)
    assert relu.std == pytest.approx(hidden.std(), rel=1e-4)
    assert not any(m._forward_hooks for m in model.modules()), "hooks must be removed"


def test_a_module_called_twice_is_recorded_twice():
    relu = nn.ReLU()

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.relu = nn.Linear(3, 3), relu

        def forward(self, x):
            return self.relu(self.fc(self.relu(x)))

    flow = gradient_flow(Twice(), lambda m: m(ab.randn(4, 3)).sum())
    assert [a.name for a in flow.activations] == ["relu", "relu#2"]


def test_a_computed_loss_gives_gradients_only_and_bad_losses_are_refused():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    flow = gradient_flow(model, model(ab.randn(4, 2)).sum())
    assert len(flow.layers) == 2 and flow.activations == []
    with pytest.raises(ValueError, match="expected a scalar loss"):
        gradient_flow(model, lambda m: m(ab.randn(4, 2)))


def test_gradient_flow_figure_and_report_section(spiral_batch):
    require("matplotlib")
    from abinitio.viz import figure_to_png, gradient_flow_figure, gradient_flow_section
    from abinitio.viz.report import render_report

    model = PlainMLP(6, 8, "tanh")
    flow = gradient_flow(model, lambda m: F.cross_entropy(m(spiral_batch[0]), spiral_batch[1]))
    figure = gradient_flow_figure({"tanh": flow, "again": flow}, title="six layers")
    assert len(figure.axes) == 2 and figure_to_png(figure)[:4] == b"\x89PNG"
    page = render_report(title="t", summary={}, history=[],
                         extra_sections=[gradient_flow_section(flow)])  # fmt: skip
    assert "Gradient flow" in page and "first layer |dL/dW|" in page
