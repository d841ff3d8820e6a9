"""Every strategy's score equals a value computed by hand (or by scipy) on fixed tables."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from abinitio.active import (
    consensus_kl,
    entropy,
    gradient_embedding,
    k_center_greedy,
    kmeans_plus_plus,
    least_confidence,
    margin,
    multi_argmax,
    mutual_information,
    vote_entropy,
)
from abinitio.active.diversity import pairwise_sq_distances
from helpers import require

TABLE = np.array([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25], [1 / 3, 1 / 3, 1 / 3], [1.0, 0.0, 0.0]])


def test_least_confidence_by_hand():
    np.testing.assert_allclose(least_confidence(TABLE), [0.3, 0.6, 2 / 3, 0.0])


def test_margin_by_hand():
    np.testing.assert_allclose(margin(TABLE), [0.5, 0.05, 0.0, 1.0], atol=1e-12)


def test_entropy_by_hand_and_against_scipy():
    h = -(0.7 * math.log(0.7) + 0.2 * math.log(0.2) + 0.1 * math.log(0.1))
    np.testing.assert_allclose(entropy(TABLE)[[0, 2, 3]], [h, math.log(3), 0.0], atol=1e-12)
    stats = require("scipy.stats")
    np.testing.assert_allclose(entropy(TABLE), stats.entropy(TABLE, axis=1), atol=1e-12)


def test_the_three_measures_rank_differently_on_three_classes():
    # (0.5, 0.5, 0) has a zero margin, (0.4, 0.3, 0.3) the higher entropy and the lower confidence
    p = np.array([[0.5, 0.5, 0.0], [0.4, 0.3, 0.3]])
    assert np.argmin(margin(p)) == 0
    assert np.argmax(entropy(p)) == 1
    assert np.argmax(least_confidence(p)) == 1


# committee: 3 members, 2 samples, 3 classes
COMMITTEE = np.array([
    [[0.8, 0.1, 0.1], [0.6, 0.3, 0.1]],
    [[0.2, 0.7, 0.1], [0.5, 0.4, 0.1]],
    [[0.1, 0.1, 0.8], [0.7, 0.2, 0.1]],
])  # fmt: skip


def test_vote_entropy_by_hand():
    # sample 0: votes 0, 1, 2 -> entropy log 3; sample 1: all vote 0 -> 0
    np.testing.assert_allclose(vote_entropy(COMMITTEE), [math.log(3), 0.0], atol=1e-12)
    two_to_one = np.array([[[0.9, 0.1]], [[0.8, 0.2]], [[0.3, 0.7]]])
    expected = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3))
    np.testing.assert_allclose(vote_entropy(two_to_one), [expected])


def test_consensus_kl_by_hand():
    consensus = COMMITTEE.mean(0)
    expected = [
        np.mean([sum(p * math.log(p / q) for p, q in zip(member[n], consensus[n]))
                 for member in COMMITTEE])
        for n in range(2)
    ]  # fmt: skip
    np.testing.assert_allclose(consensus_kl(COMMITTEE), expected, rtol=1e-12)
    # sample 0: consensus (1/3, 0.3, 1/3)... the divergence is larger where members disagree
    assert consensus_kl(COMMITTEE)[0] > consensus_kl(COMMITTEE)[1]


def test_consensus_kl_is_the_jensen_shannon_divergence():
    js = entropy(COMMITTEE.mean(0)) - np.mean([entropy(m) for m in COMMITTEE], axis=0)
    np.testing.assert_allclose(consensus_kl(COMMITTEE), js, atol=1e-12)


def test_bald_mutual_information_from_mc_samples_by_hand():
    mc = np.array([[[0.9, 0.1], [0.5, 0.5]], [[0.1, 0.9], [0.5, 0.5]]])
    h_pass = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1))
    # sample 0: mean (0.5, 0.5) -> log 2, minus each pass's entropy; sample 1: log 2 - log 2
    np.testing.assert_allclose(mutual_information(mc), [math.log(2) - h_pass, 0.0], atol=1e-12)


@given(arrays(np.float64, (4, 5, 3), elements=st.floats(0.01, 1.0)))
def test_bald_is_bounded_by_zero_and_the_total_entropy(raw):
    mc = raw / raw.sum(axis=2, keepdims=True)
    score = mutual_information(mc)
    assert np.all(score >= 0)
    assert np.all(score <= entropy(mc.mean(0)) + 1e-12)


def test_k_center_greedy_distances_by_hand():
    pool = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0], [0.0, 1.0]])
    index, dist = k_center_greedy(pool, np.array([[0.0, 0.0]]), 3)
    # farthest from the origin: (6, 8) at 10; then (3, 4) at 5 (from both centres);
    # then (0, 1) at 1
    assert index.tolist() == [2, 1, 3]
    np.testing.assert_allclose(dist, [10.0, 5.0, 1.0])


def test_k_center_greedy_matches_brute_force():
    rng = np.random.default_rng(0)
    pool, labelled = rng.normal(size=(60, 5)), rng.normal(size=(4, 5))
    index, dist = k_center_greedy(pool, labelled, 8)
    centres = list(labelled)
    for pick, d in zip(index, dist):
        nearest = np.min(np.linalg.norm(pool[:, None] - np.array(centres)[None], axis=2), 1)
        assert pick == np.argmax(nearest)
        np.testing.assert_allclose(d, nearest.max())
        centres.append(pool[pick])
    assert np.all(np.diff(dist) <= 1e-12)  # each pick is no farther than the last


def test_pairwise_sq_distances_against_scipy():
    spatial = require("scipy.spatial")
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(7, 3)), rng.normal(size=(5, 3))
    np.testing.assert_allclose(pairwise_sq_distances(a, b),
                               spatial.distance.cdist(a, b, "sqeuclidean"), atol=1e-12)  # fmt: skip


def test_badge_gradient_embedding_is_the_last_layer_gradient(torch):
    rng = np.random.default_rng(2)
    h = rng.normal(size=(4, 6)).astype(np.float32)
    w = rng.normal(size=(3, 6)).astype(np.float32)
    weight = torch.tensor(w, requires_grad=True)
    logits = torch.tensor(h) @ weight.T
    proba = torch.softmax(logits, 1)
    ours = gradient_embedding(proba.detach().numpy(), h)
    for n in range(4):
        weight.grad = None
        label = proba[n].argmax().reshape(1)
        torch.nn.functional.cross_entropy(logits[n : n + 1], label).backward(retain_graph=True)
        np.testing.assert_allclose(ours[n], weight.grad.numpy().ravel(), rtol=1e-5, atol=1e-6)


def test_kmeans_plus_plus_starts_longest_and_never_repeats():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(40, 4))
    points[17] *= 10
    chosen = kmeans_plus_plus(points, 12, rng=0)
    assert chosen[0] == 17
    assert len(set(chosen.tolist())) == 12
    # identical points: once one is chosen the rest have zero weight, yet 3 distinct come back
    assert len(set(kmeans_plus_plus(np.zeros((5, 2)), 3, rng=0).tolist())) == 3


def test_kmeans_plus_plus_draws_far_points_more_often():
    points = np.array([[0.0], [0.1], [10.0]])
    seconds = [kmeans_plus_plus(points, 2, rng=seed)[1] for seed in range(200)]
    # first pick is the longest (10.0); then 0.0 has weight 100, 0.1 has 98.01
    assert set(seconds) <= {0, 1}
    assert 70 < seconds.count(0) < 130


@pytest.mark.parametrize("bad", [np.ones(3), np.ones((2, 1)), np.ones((2, 2, 2))])
def test_scores_refuse_tables_of_the_wrong_shape(bad):
    with pytest.raises(ValueError, match=r"expected probabilities of shape \(N, C\)"):
        entropy(bad)


def test_committee_scores_refuse_a_single_member():
    with pytest.raises(ValueError, match="M >= 2 members"):
        vote_entropy(np.ones((1, 3, 2)) / 2)


def test_multi_argmax_refuses_a_query_larger_than_the_pool():
    with pytest.raises(ValueError, match="cannot query 5 samples: the pool has only 3"):
        multi_argmax([0.1, 0.2, 0.3], 5)
    with pytest.raises(ValueError, match="at least 1"):
        multi_argmax([0.1], 0)
