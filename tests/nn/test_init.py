"""Initialisation: the empirical moments of large initialised matrices match each formula,
and the gains match PyTorch's."""

import math

import numpy as np
import pytest

import abinitio as ab
from abinitio.nn import init

FAN_OUT, FAN_IN = 400, 600  # a (400, 600) weight


def _moments(fill):
    w = ab.empty(FAN_OUT, FAN_IN)
    fill(w)
    values = w.numpy()
    return values.mean(), values.var(), values


@pytest.mark.parametrize(
    "fill, variance",
    [
        (lambda w: init.xavier_uniform_(w), 2 / (FAN_IN + FAN_OUT)),
        (lambda w: init.xavier_normal_(w, gain=2.0), 4 * 2 / (FAN_IN + FAN_OUT)),
        (lambda w: init.kaiming_uniform_(w, nonlinearity="relu"), 2 / FAN_IN),
        (lambda w: init.kaiming_normal_(w, nonlinearity="relu"), 2 / FAN_IN),
        (
            lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="tanh"),
            (5 / 3) ** 2 / FAN_OUT,
        ),  # fmt: skip
        (lambda w: init.kaiming_uniform_(w, a=math.sqrt(5)), 1 / (3 * FAN_IN)),
        (lambda w: init.uniform_(w, -2.0, 4.0), 36 / 12),
        (lambda w: init.normal_(w, 1.0, 0.5), 0.25),
    ],
)
def test_variance_matches_the_formula(fill, variance):
    mean, var, _ = _moments(fill)
    assert var == pytest.approx(variance, rel=0.02)
    assert abs(mean - (1.0 if var == pytest.approx(0.25, rel=0.02) else
                       1.0 if var == pytest.approx(3.0, rel=0.02) else 0.0)) < 0.01  # fmt: skip


def test_uniform_bounds():
    _, _, values = _moments(lambda w: init.xavier_uniform_(w))
    bound = math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert values.max() <= bound and values.max() > 0.99 * bound


def test_orthogonal_rows_are_orthonormal():
    w = ab.empty(50, 80)
    init.orthogonal_(w, gain=2.0)
    product = w.numpy() @ w.numpy().T
    np.testing.assert_allclose(product, 4 * np.eye(50), atol=1e-4)


def test_constant_fills():
    w = ab.empty(3, 3)
    assert init.ones_(w).sum().item() == 9 and init.zeros_(w).sum().item() == 0
    assert init.constant_(w, 0.5).sum().item() == 4.5 and init.eye_(w).sum().item() == 3


def test_fills_work_on_parameters_that_require_grad():
    p = ab.nn.Parameter(ab.zeros(10, 10))
    init.kaiming_normal_(p)
    assert p.requires_grad and p.grad_fn is None and p.numpy(force=True).std() > 0


def test_gains_match_torch(torch):
    for name in ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu", "conv2d"):
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2)
    )


def test_unknown_nonlinearity_and_bad_mode():
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="mode must be"):
        init.kaiming_uniform_(ab.empty(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match="at least 2 dims"):
        init.xavier_uniform_(ab.empty(5))


def test_fans_of_a_convolution_weight():
    assert init.calculate_fan_in_and_fan_out(ab.empty(16, 6, 5, 5)) == (150, 400)


def test_seeded_initialisation_is_repeatable():
    ab.manual_seed(1)
    a = ab.nn.Linear(3, 2).weight.numpy(force=True)
    ab.manual_seed(1)
    assert (ab.nn.Linear(3, 2).weight.numpy(force=True) == a).all()
