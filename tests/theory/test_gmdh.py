"""Ivakhnenko's GMDH: grown by held-out error, better than a line on a nonlinear target."""

import numpy as np
import pytest

from abinitio import theory


def nonlinear(x):
    return np.sin(2 * x[:, 0]) * x[:, 1] + x[:, 2] ** 2 - x[:, 3] * x[:, 4]


def data(seed, n=600):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 5))
    return x, nonlinear(x) + 0.05 * rng.standard_normal(n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gmdh_beats_linear_regression_on_a_nonlinear_target(seed):
    x, y = data(seed)
    x_test, y_test = data(100 + seed, 2000)
    model = theory.GMDHRegressor(seed=seed).fit(x, y)
    w = np.linalg.lstsq(np.c_[np.ones(len(x)), x], y, rcond=None)[0]
    linear = np.mean((np.c_[np.ones(len(x_test)), x_test] @ w - y_test) ** 2)
    gmdh = np.mean((model.predict(x_test) - y_test) ** 2)
    # seeds 0-7: GMDH 0.015-0.031 against linear 0.38-0.44, a ratio of at most 0.075
    assert gmdh < 0.2 * linear, (gmdh, linear)


def test_it_reports_the_structure_it_chose():
    x, y = data(0)
    model = theory.GMDHRegressor().fit(x, y)
    text = model.describe()
    assert len(model.layers_) >= 2
    assert text.splitlines()[-1].startswith(f"L{len(model.layers_)}.u0 = q(")
    assert all(f"x{i}" in text for i in range(5))  # every input matters for this target
    kept = model.validation_errors_[: len(model.layers_)]
    assert all(a > b for a, b in zip(kept, kept[1:])), kept


def test_growth_stops_when_the_held_out_error_stops_falling():
    x, y = data(0)
    model = theory.GMDHRegressor(limit=0.0).fit(x, y)
    kept = len(model.layers_)
    if kept < model.max_layers:  # the last recorded error did not improve
        assert model.validation_errors_[kept] >= model.validation_errors_[kept - 1]


def test_a_quadratic_of_two_inputs_is_found_exactly_in_one_layer():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (200, 3))
    y = 1 + 2 * x[:, 0] - x[:, 2] + 3 * x[:, 0] * x[:, 2] + x[:, 2] ** 2
    model = theory.GMDHRegressor(k_best=3).fit(x, y)
    assert model.layers_[0].pairs[0].tolist() == [0, 2]
    np.testing.assert_allclose(model.predict(x), y, atol=1e-6)


def test_layer_fit_matches_numpy_least_squares():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (100, 3))
    y = np.cos(x[:, 0] + x[:, 1])
    model = theory.GMDHRegressor(k_best=3, max_layers=1, ridge=0.0, test_size=0.3).fit(x, y)
    held = np.random.default_rng(0).permutation(100)[:30]
    train = np.setdiff1d(np.arange(100), held)
    z = (x - x.mean(0)) / x.std(0)
    i, j = model.layers_[0].pairs[0]
    a, b = z[train, i], z[train, j]
    design = np.stack([np.ones_like(a), a, b, a * b, a * a, b * b], 1)
    expected = np.linalg.lstsq(design, y[train], rcond=None)[0]
    np.testing.assert_allclose(model.layers_[0].coefficients[0], expected, atol=1e-8)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: theory.GMDHRegressor(k_best=0), ValueError, "k_best must be a positive int"),
        (lambda: theory.GMDHRegressor(test_size=1.0), ValueError, "test_size must lie in"),
        (lambda: theory.GMDHRegressor().fit(np.ones((10, 1)), np.ones(10)), ValueError,
         "features >= 2"),
        (lambda: theory.GMDHRegressor().fit(np.ones((10, 2)), np.ones(9)), ValueError,
         "10 samples but y has 9"),
        (lambda: theory.GMDHRegressor().predict(np.ones((3, 2))), RuntimeError, "call fit"),
    ],
)
def test_bad_inputs_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
