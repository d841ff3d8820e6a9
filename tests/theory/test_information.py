"""Entropy, divergences and mutual information: exact values, oracles, estimator accuracy."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import abinitio as ab
from abinitio import theory
from helpers import require

probabilities = arrays(np.float64, st.integers(2, 6), elements=st.floats(0.01, 1.0))


def test_entropy_on_known_distributions():
    assert theory.entropy([0.25] * 4, base=2) == 2.0
    assert theory.entropy([1.0, 0.0, 0.0]) == 0.0
    assert theory.entropy([0.5, 0.25, 0.125, 0.125], base=2) == 1.75
    assert theory.entropy([2, 1, 1], base=2) == 1.5  # weights are normalised
    assert theory.entropy(ab.tensor([0.5, 0.5]), base=2) == 1.0  # Tensors work too


def test_kl_and_cross_entropy_on_known_distributions():
    p, q = [0.5, 0.5], [0.25, 0.75]
    expected = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    assert theory.kl_divergence(p, q) == pytest.approx(expected, abs=1e-15)
    assert theory.kl_divergence(p, p) == 0.0
    assert theory.kl_divergence([1.0, 0.0], [0.0, 1.0]) == math.inf
    assert theory.cross_entropy([1, 0], [0.5, 0.5], base=2) == 1.0
    assert theory.js_divergence([1, 0], [0, 1], base=2) == 1.0


@given(probabilities, probabilities)
def test_cross_entropy_is_entropy_plus_kl_and_js_is_bounded(p, q):
    n = min(len(p), len(q))
    p, q = p[:n], q[:n]
    h, kl = theory.entropy(p), theory.kl_divergence(p, q)
    assert theory.cross_entropy(p, q) == pytest.approx(h + kl, abs=1e-12)
    assert kl >= -1e-12 and theory.kl_divergence(q, p) >= -1e-12
    js = theory.js_divergence(p, q)
    assert -1e-12 <= js <= math.log(2) + 1e-12
    assert js == pytest.approx(theory.js_divergence(q, p), abs=1e-12)


def test_batched_rows_give_one_value_each():
    p = np.array([[0.5, 0.5], [1.0, 0.0]])
    np.testing.assert_array_equal(theory.entropy(p, base=2), [1.0, 0.0])


def test_against_scipy():
    stats = require("scipy.stats")
    distance = require("scipy.spatial.distance")
    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(7)), rng.dirichlet(np.ones(7))
    assert theory.entropy(p) == pytest.approx(stats.entropy(p), rel=1e-12)
    assert theory.kl_divergence(p, q, base=2) == pytest.approx(stats.entropy(p, q, base=2))
    assert math.sqrt(theory.js_divergence(p, q)) == pytest.approx(distance.jensenshannon(p, q))
    cov = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 0.5]])
    expected = stats.multivariate_normal(np.zeros(3), cov).entropy()
    assert theory.gaussian_entropy(cov) == pytest.approx(expected, rel=1e-12)


def test_against_torch(torch):
    rng = np.random.default_rng(1)
    p, q = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
    cp, cq = (torch.distributions.Categorical(probs=torch.tensor(v)) for v in (p, q))
    assert theory.entropy(p) == pytest.approx(cp.entropy().item(), rel=1e-9)
    kl = torch.distributions.kl_divergence(cp, cq).item()
    assert theory.kl_divergence(p, q) == pytest.approx(kl, rel=1e-9)


def test_cross_entropy_loss_is_the_coding_cost_of_the_labels():
    logits = ab.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    labels = ab.tensor([0, 2])
    loss = ab.nn.functional.cross_entropy(logits, labels).item()
    q = ab.softmax(logits, dim=1).numpy()
    one_hot = np.eye(3)[[0, 2]]
    assert loss == pytest.approx(np.mean(theory.cross_entropy(one_hot, q)), rel=1e-6)


def test_gaussian_mutual_information_is_exact():
    rho = 0.6
    cov = [[1.0, rho], [rho, 1.0]]
    assert theory.gaussian_mutual_information(cov) == pytest.approx(-0.5 * math.log(1 - rho**2))
    block = np.eye(4)
    block[0, 2] = block[2, 0] = block[1, 3] = block[3, 1] = rho
    two_pairs = theory.gaussian_mutual_information(block, x_dims=2)
    assert two_pairs == pytest.approx(-math.log(1 - rho**2))
    assert theory.correlated_gaussians(10, rho, dim=2)[2] == pytest.approx(two_pairs)


@pytest.mark.parametrize("rho", [0.3, 0.6, 0.9])
def test_ksg_is_within_0_06_nats_of_the_exact_value(rho):
    # seeds 0-7 at N = 2000, rho = 0.9: errors from -0.042 (seed 3, used here) to +0.005
    require("scipy")
    x, y, exact = theory.correlated_gaussians(2000, rho, seed=3)
    assert theory.mutual_information(x, y, "ksg") == pytest.approx(exact, abs=0.06)


def test_ksg_matches_scikit_learn():
    # mutual_info_regression is KSG estimator 1 too, after adding 1e-10-scale noise
    feature_selection = require("sklearn.feature_selection")
    x, y, _ = theory.correlated_gaussians(1000, 0.7, seed=5)
    expected = feature_selection.mutual_info_regression(x, y.ravel(), n_neighbors=3)[0]
    assert theory.mutual_information(x, y, "ksg", k=3) == pytest.approx(expected, abs=2e-3)


def test_estimators_take_tensors():
    require("scipy")
    x, y, _ = theory.correlated_gaussians(500, 0.5, seed=0)
    from_numpy = theory.mutual_information(x, y, "ksg")
    assert theory.mutual_information(ab.tensor(x), ab.tensor(y), "ksg") == from_numpy
    assert theory.mutual_information(x[:, 0], y[:, 0], "ksg") == from_numpy  # 1-D columns


def test_ksg_in_two_dimensions():
    require("scipy")
    x, y, exact = theory.correlated_gaussians(2000, 0.7, dim=2, seed=1)
    assert theory.mutual_information(x, y, "ksg") == pytest.approx(exact, abs=0.06)


@pytest.mark.parametrize("rho", [0.3, 0.6, 0.9])
def test_mine_is_within_0_08_nats_of_the_exact_value(rho):
    # seeds 0-4 at N = 2000: worst errors -0.007, -0.017, -0.034 (scripts/theory_results.py)
    x, y, exact = theory.correlated_gaussians(2000, rho, seed=2)
    estimate = theory.mutual_information(x, y, "mine", seed=2)
    assert estimate == pytest.approx(exact, abs=0.08)


def test_binning_is_biased_upward_as_miller_madow_predicts():
    rng = np.random.default_rng(0)
    for n in [500, 2000]:
        x, y = rng.uniform(size=n), rng.uniform(size=n)  # independent: exact I = 0
        estimate = theory.mutual_information(x, y, "binning", bins=16)
        predicted = (16 * 16 - 16 - 16 + 1) / (2 * n)
        assert estimate > 0 and estimate == pytest.approx(predicted, rel=0.3)


def test_binning_on_categories_is_the_plug_in_estimate():
    x = np.array([0, 0, 1, 1])
    assert theory.mutual_information(x, x, "binning", base=2) == 1.0
    assert theory.mutual_information(x, np.array([0, 1, 0, 1]), "binning") == 0.0


def test_information_plane_of_a_copy_and_of_a_constant():
    labels = np.repeat([0, 1], 8)
    copy = np.eye(16)  # each input gets its own code: I(X;T) = log2 16, I(T;Y) = H(Y) = 1
    constant = np.zeros((16, 3))
    plane = theory.information_plane([copy, constant], labels)
    np.testing.assert_allclose(plane, [[4.0, 1.0], [0.0, 0.0]], atol=1e-12)


def test_fixed_bin_width_sees_scale_and_adaptive_bins_do_not():
    rng = np.random.default_rng(0)
    t, labels = rng.uniform(0, 0.5, (256, 2)), rng.integers(0, 2, 256)
    adaptive = theory.information_plane([t, 10 * t], labels)
    np.testing.assert_allclose(adaptive[0], adaptive[1], atol=1e-12)
    fixed = theory.information_plane([t, 10 * t], labels, bin_width=2 / 30)
    assert fixed[1, 0] > fixed[0, 0] + 1  # ten times the scale: many more occupied bins


def test_trace_information_plane_records_bounded_values():
    trace = theory.trace_information_plane("relu", sizes=(6, 5, 3), epochs=4, record_every=2)
    assert trace.epochs == [1, 2, 4] and trace.plane.shape == (3, 2, 2)
    x, y = theory.binary_task(6)
    h_y = theory.entropy(np.bincount(y), base=2)
    assert (trace.plane[..., 0] <= 6 + 1e-9).all() and (trace.plane >= -1e-9).all()
    assert (trace.plane[..., 1] <= h_y + 1e-9).all()
    assert len(trace.accuracy) == 3 and x.shape == (64, 6)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: theory.entropy([0.5, -0.1]), ValueError, "finite and non-negative"),
        (lambda: theory.entropy([0.0, 0.0]), ValueError, "positive sum"),
        (lambda: theory.kl_divergence([1, 0], [1, 0, 0]), ValueError, "same outcomes"),
        (lambda: theory.entropy([0.5, 0.5], base=1), ValueError, "base must be positive"),
        (lambda: theory.entropy(["a"]), TypeError, "must be numeric"),
        (lambda: theory.mutual_information([1, 2, 3], [1, 2]), ValueError, "same number"),
        (lambda: theory.mutual_information([1.0, 2], [1.0, 2], "kde"), ValueError, "'mine'"),
        (lambda: theory.gaussian_entropy([[1, 2], [2, 1]]), ValueError, "positive definite"),
        (lambda: theory.correlated_gaussians(5, 1.0), ValueError, "rho must lie in"),
        (lambda: theory.information_plane([np.ones(3)], [0, 1]), ValueError, "3 rows"),
    ],
)
def test_bad_inputs_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
