"""Signal propagation through 30 layers: He keeps ReLU's variance, Xavier halves it."""

import numpy as np
import pytest

from abinitio import theory
from abinitio.data import datasets


@pytest.fixture(scope="module")
def measured():
    pairings = [("xavier", "tanh"), ("he", "tanh"), ("xavier", "relu"), ("he", "relu")]
    runs = {
        pair: theory.signal_propagation(*pair, depth=30, width=256, batch_size=64, repeats=2)
        for pair in pairings
    }
    for (init, activation), s in runs.items():  # shown with pytest -s
        print(
            f"{init}+{activation}: forward ratio per layer {s.forward_ratios.mean():.3f},"
            f" backward {s.backward_ratios.mean():.3f},"
            f" layer 30 / layer 1 {s.forward[-1] / s.forward[0]:.3g}"
        )
    return runs


def test_he_relu_keeps_the_variance_per_layer_forwards_and_backwards(measured):
    s = measured["he", "relu"]
    # seeds 0-9 (width 256-1024): mean ratios 0.976-1.010
    assert 0.93 < s.forward_ratios.mean() < 1.07
    assert 0.93 < s.backward_ratios.mean() < 1.07


def test_xavier_relu_halves_the_variance_at_every_layer(measured):
    s = measured["xavier", "relu"]
    assert 0.45 < s.forward_ratios.mean() < 0.55
    assert 0.45 < s.backward_ratios.mean() < 0.55
    assert (s.forward_ratios < 0.75).all() and (s.backward_ratios < 0.75).all()
    assert s.forward[-1] / s.forward[0] < 2.0**-25  # about 2^-29 after 29 halvings


def test_tanh_shrinks_under_xavier_and_holds_under_he(measured):
    xavier, he = measured["xavier", "tanh"], measured["he", "tanh"]
    assert 0.8 < xavier.forward_ratios.mean() < 0.97  # tanh' < 1 off zero: a slow decline
    assert he.forward[-1] / he.forward[0] > 10 * xavier.forward[-1] / xavier.forward[0]


def test_he_relu_stays_within_a_factor_of_two_over_30_layers():
    # a wide network: one network's variance wanders around the law by ~ depth / width;
    # seeds 0-5 at width 1024: 0.72 to 1.62 (at width 256 one network can leave [1/2, 2])
    s = theory.signal_propagation("he", "relu", depth=30, width=1024, batch_size=256)
    forward, backward = s.forward / s.forward[0], s.backward / s.backward[-1]
    print(f"He + ReLU, width 1024: forward {forward.min():.3f}..{forward.max():.3f},"
          f" backward {backward.min():.3f}..{backward.max():.3f}")
    assert 0.5 < forward.min() and forward.max() < 2
    assert 0.5 < backward.min() and backward.max() < 2


def test_training_curves_he_relu_learns_where_xavier_relu_stalls():
    data = datasets.moons(400, noise=0.15, seed=0)
    curves = theory.training_curves(
        data.x_train, data.y_train, depth=30, width=32, steps=120, lr=0.05,
        pairings=(("xavier", "relu"), ("he", "relu")),
    )
    he, xavier = curves["he", "relu"], curves["xavier", "relu"]
    # seeds 0-3: He's last 20 steps average 0.19-0.49 nats, Xavier's stay at 0.692-0.694
    assert np.mean(he[-20:]) < 0.6
    assert np.mean(xavier[-20:]) > 0.95 * np.log(2)  # the signal never arrives: no learning


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"init": "lecun"}, "init must be one of \\['he', 'xavier'\\], got 'lecun'"),
        ({"activation": "gelu"}, "activation must be one of"),
        ({"depth": 0}, "depth must be a positive int, got 0"),
        ({"repeats": 0}, "repeats must be a positive int, got 0"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        theory.signal_propagation(**{"width": 8, "depth": 2, **kwargs})
