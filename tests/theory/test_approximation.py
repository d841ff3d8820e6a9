"""The constructive universal-approximation network meets its proven bound."""

import numpy as np
import pytest

import abinitio as ab
from abinitio import theory

WIDTHS = [2, 4, 8, 16, 32, 64, 128]


def smooth(x):
    return np.sin(3 * x)  # Lipschitz 3, |f''| <= 9


@pytest.mark.parametrize("width", WIDTHS)
def test_relu_construction_meets_its_bound_on_a_smooth_target(width):
    net = theory.construct_network(smooth, width)
    bound = theory.approximation_bound(width, lipschitz=3.0, curvature=9.0)
    assert theory.sup_error(net, smooth) <= bound + 1e-5


@pytest.mark.parametrize("width", WIDTHS)
def test_relu_construction_meets_its_bound_on_a_kink(width):
    net = theory.construct_network(np.abs, width, interval=(-1.0, 1.3))
    bound = theory.approximation_bound(width, (-1.0, 1.3), lipschitz=1.0)
    assert theory.sup_error(net, np.abs, (-1.0, 1.3)) <= bound + 1e-5


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("steepness", [5.0, 20.0])
def test_sigmoid_staircase_meets_its_bound(width, steepness):
    net = theory.construct_network(smooth, width, activation="sigmoid", steepness=steepness)
    bound = theory.approximation_bound(
        width, lipschitz=3.0, activation="sigmoid", steepness=steepness
    )
    assert theory.sup_error(net, smooth) <= bound + 1e-5


def test_relu_construction_interpolates_the_knots_exactly():
    knots = np.linspace(-1, 1, 9)
    net = theory.construct_network(smooth, 8)
    with ab.no_grad():
        out = net(ab.tensor(knots[:, None].astype(np.float32))).numpy().ravel()
    np.testing.assert_allclose(out, smooth(knots), atol=1e-5)


def test_the_bound_is_nearly_tight_for_the_hinges():
    # |x| at an even number of pieces on (-1, 1): the kink sits on a knot, error 0;
    # at an odd number it sits mid-piece, where the error is exactly h/2 * (1/2) * 2 = h/2
    for width in [3, 5, 9]:
        h = 2 / width
        error = theory.sup_error(theory.construct_network(np.abs, width), np.abs)
        assert error == pytest.approx(h / 2, rel=1e-3)
        assert error <= theory.approximation_bound(width, lipschitz=1.0) + 1e-6


def test_the_error_falls_like_one_over_width_squared_for_a_smooth_target():
    errors = [theory.sup_error(theory.construct_network(smooth, n), smooth) for n in WIDTHS]
    slope = np.polyfit(np.log(WIDTHS), np.log(errors), 1)[0]
    assert -2.2 < slope < -1.8, f"log-log slope {slope:.2f}"


def test_a_step_is_outside_the_theorem_the_error_stays_at_half_the_jump():
    step = lambda x: (x > 0.013).astype(np.float64)  # noqa: E731
    errors = [theory.sup_error(theory.construct_network(step, n), step) for n in WIDTHS]
    assert min(errors) > 0.3, errors


def test_trained_error_falls_with_width_on_the_smooth_target():
    errors = [
        theory.sup_error(theory.train_network(smooth, n, steps=600, seed=0), smooth)
        for n in [2, 8, 32]
    ]
    # seeds 0-4: width 2 always 1.00-1.03, width 8 0.18-0.84, width 32 0.08-0.14
    assert errors[0] > errors[1] > errors[2] and errors[2] < 0.3 * errors[0], errors


def test_a_two_dimensional_target_is_handled():
    bowl = lambda x: np.sin(2 * x[:, 0]) * np.cos(2 * x[:, 1])  # noqa: E731
    narrow = theory.train_network(bowl, 4, in_features=2, points=21, steps=300)
    wide = theory.train_network(bowl, 64, in_features=2, points=21, steps=300)
    assert theory.sup_error(wide, bowl, points=21) < theory.sup_error(narrow, bowl, points=21)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"width": 0}, "width must be a positive int, got 0"),
        ({"width": 2.0}, "width must be a positive int, got 2.0"),
        ({"width": 3, "interval": (1.0, 0.0)}, "a < b, got (1.0, 0.0)"),
        ({"width": 3, "activation": "tanh"}, "activation must be one of"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        theory.construct_network(smooth, **kwargs)


def test_the_bound_needs_a_constant():
    with pytest.raises(ValueError, match="needs lipschitz= or curvature="):
        theory.approximation_bound(4)
    with pytest.raises(ValueError, match="sigmoid bound needs lipschitz="):
        theory.approximation_bound(4, curvature=1.0, activation="sigmoid")
