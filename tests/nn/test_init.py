"""Initialisation: the empirical moments of large initialised matrices match each formula,
and the gains match PyTorch's."""

import math

import numpy as np
import pytest

import abinitio as ab
from abinitio.nn import init
from helpers import require

FAN_OUT, FAN_IN = 400, 600  # a (400, 600) weight


def _moments(fill):
    w = ab.empty(FAN_OUT, FAN_IN)
    fill(w)
    values = w.numpy()
    return values.mean(), values.var(), values


@pytest.mark.parametrize(
    "fill, mean, variance",
    [
        (lambda w: init.xavier_uniform_(w), 0.0, 2 / (FAN_IN + FAN_OUT)),
        (lambda w: init.xavier_normal_(w, gain=2.0), 0.0, 4 * 2 / (FAN_IN + FAN_OUT)),
        (lambda w: init.kaiming_uniform_(w, nonlinearity="relu"), 0.0, 2 / FAN_IN),
        (lambda w: init.kaiming_normal_(w, nonlinearity="relu"), 0.0, 2 / FAN_IN),
        (
            lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="tanh"),
            0.0,
            (5 / 3) ** 2 / FAN_OUT,
        ),  # fmt: skip
        (lambda w: init.kaiming_uniform_(w, a=math.sqrt(5)), 0.0, 1 / (3 * FAN_IN)),
        (lambda w: init.uniform_(w, -2.0, 4.0), 1.0, 36 / 12),
        (lambda w: init.normal_(w, 1.0, 0.5), 1.0, 0.25),
    ],
)
def test_moments_match_the_formula(fill, mean, variance):
    measured_mean, measured_var, _ = _moments(fill)
    assert measured_var == pytest.approx(variance, rel=0.02)
    # 240,000 draws: the standard error of the mean is sqrt(variance / 240,000)
    assert abs(measured_mean - mean) < 5 * math.sqrt(variance / (FAN_IN * FAN_OUT))


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


# ---- trunc_normal_: the truncated normal, by inverting its CDF ----------------------------


@pytest.mark.parametrize(
    "mean, std, a, b",
    [(0.0, 1.0, -2.0, 2.0), (1.0, 0.5, 0.0, 3.0), (0.0, 1.0, 8.0, 9.0), (0.0, 1.0, -9.0, -8.0),
     (0.0, 1.0, 50.0, 51.0), (0.0, 0.02, -0.04, 0.04), (0.0, 1.0, -0.5, 100.0)],
)  # fmt: skip
def test_trunc_normal_has_the_truncated_normals_moments(mean, std, a, b):
    stats = require("scipy.stats")
    _, _, values = _moments(lambda w: init.trunc_normal_(w, mean, std, a, b))
    assert values.min() >= np.float32(a) and values.max() <= np.float32(b)
    expected = stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    n = values.size
    assert abs(values.mean(dtype=np.float64) - expected.mean()) < 5 * expected.std() / n**0.5
    assert values.var(dtype=np.float64) == pytest.approx(expected.var(), rel=0.03)


def test_trunc_normal_far_from_the_mean_is_one_draw_per_element():
    """Redrawing until a sample lands in [8, 9] would need ~1e15 normal draws per element."""
    w = ab.empty(1000)
    init.trunc_normal_(w, a=8.0, b=9.0, generator=ab.Generator().manual_seed(3))
    assert 8.0 <= w.numpy().min() and w.numpy().max() <= 9.0


def test_trunc_normal_is_reproducible_and_refuses_empty_intervals():
    first, second = ab.empty(5), ab.empty(5)
    init.trunc_normal_(first, generator=ab.Generator().manual_seed(1))
    init.trunc_normal_(second, generator=ab.Generator().manual_seed(1))
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(first, a=1.0, b=1.0)
    with pytest.raises(ValueError, match="std must be > 0"):
        init.trunc_normal_(first, std=0.0)
