"""Discounted returns and GAE against hand-computed values, with terminated and truncated
episodes told apart as Gymnasium does."""

import numpy as np
import pytest

from abinitio.rl import discounted_returns, generalized_advantage_estimate


def test_returns_restart_after_a_terminated_episode():
    # episode A: steps 0-1 (terminated at 1); episode B: steps 2-3, cut by the rollout's end
    rewards = [1.0, 2.0, 3.0, 4.0]
    terminated, truncated = [0, 1, 0, 0], [0, 0, 0, 0]
    next_values = [0.0, 0.0, 0.0, 10.0]  # V(s'_3) = 10 bootstraps the unfinished episode
    g = discounted_returns(rewards, terminated, truncated, 0.5, next_values)
    # G3 = 4 + 0.5*10 = 9; G2 = 3 + 0.5*9 = 7.5; G1 = 2 (terminal); G0 = 1 + 0.5*2 = 2
    np.testing.assert_allclose(g, [2.0, 2.0, 7.5, 9.0])


def test_truncation_bootstraps_and_termination_does_not():
    rewards, zeros = [1.0, 1.0], [0, 0]
    next_values = [0.0, 6.0]  # the value of the last state each episode reached
    terminated = discounted_returns(rewards, [0, 1], zeros, 0.9, next_values)
    truncated = discounted_returns(rewards, zeros, [0, 1], 0.9, next_values)
    np.testing.assert_allclose(terminated, [1.9, 1.0])  # V(terminal) = 0 whatever the net says
    np.testing.assert_allclose(truncated, [1 + 0.9 * 6.4, 1 + 0.9 * 6.0], rtol=1e-6)


def test_gae_by_hand_on_two_environments():
    gamma, lam = 0.9, 0.5
    r = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    v = np.array([[0.5, 1.0], [0.4, 2.0], [0.3, 3.0]])
    v_next = np.array([[0.4, 7.0], [0.3, 3.0], [0.2, 4.0]])  # env 1 truncated at t=0: V(final)=7
    term = np.array([[0, 0], [0, 0], [1, 0]])
    trunc = np.array([[0, 1], [0, 0], [0, 0]])
    adv, ret = generalized_advantage_estimate(r, v, v_next, term, trunc, gamma, lam)
    # env 0: deltas 1+.36-.5=.86, 1+.27-.4=.87, 1+0-.3=.7 (terminated: no bootstrap)
    d0 = [0.86, 0.87, 0.7]
    a0_2 = d0[2]
    a0_1 = d0[1] + gamma * lam * a0_2
    a0_0 = d0[0] + gamma * lam * a0_1
    # env 1: delta0 = 0 + .9*7 - 1 = 5.3 and the sum stops (truncated); then 1+2.7-2, 2+3.6-3
    d1 = [5.3, 1.7, 2.6]
    a1_2 = d1[2]
    a1_1 = d1[1] + gamma * lam * a1_2
    expected = np.array([[a0_0, d1[0]], [a0_1, a1_1], [a0_2, a1_2]])
    np.testing.assert_allclose(adv, expected, rtol=1e-6)
    np.testing.assert_allclose(ret, expected + v, rtol=1e-6)
    assert adv.dtype == np.float32


def test_gae_limits_are_td_error_and_monte_carlo():
    rng = np.random.default_rng(0)
    r, v, v_next = rng.standard_normal((3, 6, 2))
    term = (rng.random((6, 2)) < 0.2).astype(float)
    trunc = (rng.random((6, 2)) < 0.2).astype(float) * (1 - term)
    # inside an episode the next state is the next row's state: V(s'_t) = V(s_{t+1})
    done = np.maximum(term, trunc)
    v_next[:-1] = np.where(done[:-1] > 0, v_next[:-1], v[1:])
    td, _ = generalized_advantage_estimate(r, v, v_next, term, trunc, 0.99, 0.0)
    np.testing.assert_allclose(td, r + 0.99 * (1 - term) * v_next - v, rtol=1e-5, atol=1e-6)
    _, mc = generalized_advantage_estimate(r, v, v_next, term, trunc, 0.99, 1.0)
    np.testing.assert_allclose(mc, discounted_returns(r, term, trunc, 0.99, v_next), rtol=1e-5)


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r"terminated: expected shape \(3, 1\), got \(2,\)"):
        discounted_returns([1, 2, 3], [0, 0], [0, 0, 0], 0.9)
    with pytest.raises(ValueError, match="values: expected shape"):
        generalized_advantage_estimate(np.zeros((2, 2)), np.zeros(2), np.zeros((2, 2)),
                                       np.zeros((2, 2)), np.zeros((2, 2)), 0.9, 0.9)  # fmt: skip
