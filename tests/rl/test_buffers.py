"""The replay buffer never pairs a transition with a next state from another episode, and
keeps its contents through a checkpoint; the rollout buffer flattens (T, N) in order."""

import numpy as np
import pytest

import abinitio as ab
from abinitio.rl import ReplayBuffer, RolloutBuffer
from abinitio.rl.envs import make_vector_env, true_next_obs

TAU = 0.02  # CartPole's time step: x' = x + tau * x_dot, exactly, within an episode


def fill_from_cartpole(buffer, steps=600, num_envs=3):
    envs = make_vector_env("CartPole-v1", num_envs)
    obs, _ = envs.reset(seed=0)
    rng = np.random.default_rng(0)
    ends = 0
    for _ in range(steps):
        actions = rng.integers(0, 2, num_envs)
        next_obs, rewards, terminated, truncated, infos = envs.step(actions)
        done = terminated | truncated
        ends += done.sum()
        buffer.add(obs, actions, rewards, true_next_obs(next_obs, infos, done), terminated)
        obs = next_obs
    return ends


def test_every_stored_transition_is_one_step_of_the_same_episode():
    buffer = ReplayBuffer(1000, obs_shape=(4,))  # smaller than 1800 transitions: it wraps
    ends = fill_from_cartpole(buffer)
    assert ends > 50 and len(buffer) == 1000
    s, s_next = buffer.obs, buffer.next_obs
    # position and angle move by tau times their velocities: true for one physics step only
    np.testing.assert_allclose(s_next[:, 0], s[:, 0] + TAU * s[:, 1], atol=1e-5)
    np.testing.assert_allclose(s_next[:, 2], s[:, 2] + TAU * s[:, 3], atol=1e-5)
    assert buffer.terminated.sum() > 20  # terminal transitions are in there too


def test_pairing_with_the_following_row_would_cross_episodes():
    """The check above can fail: the naive pairing breaks it at every episode boundary."""
    buffer = ReplayBuffer(2000, obs_shape=(4,))
    fill_from_cartpole(buffer, steps=300, num_envs=1)
    s, naive_next = buffer.obs[:299], buffer.obs[1:300]
    jumps = np.abs(naive_next[:, 0] - (s[:, 0] + TAU * s[:, 1])) > 1e-5
    assert jumps.sum() == buffer.terminated[:299].sum() > 5


def test_ring_buffer_overwrites_the_oldest_and_round_trips(tmp_path):
    buffer = ReplayBuffer(5, obs_shape=(1,))
    for i in range(7):
        buffer.add(np.array([[i]]), np.array([i % 2]), np.array([float(i)]),
                   np.array([[i + 1]]), np.array([i == 6]))  # fmt: skip
    assert len(buffer) == 5 and buffer.position == 2
    assert sorted(buffer.rewards.tolist()) == [2.0, 3.0, 4.0, 5.0, 6.0]
    ab.save(buffer.state_dict(), tmp_path / "replay.safetensors")
    restored = ReplayBuffer(5, obs_shape=(1,))
    restored.load_state_dict(ab.load(tmp_path / "replay.safetensors"))
    for name in ReplayBuffer.FIELDS:
        np.testing.assert_array_equal(getattr(restored, name), getattr(buffer, name))
    assert restored.position == 2
    rng = np.random.default_rng(0)
    batch = restored.sample(32, rng)
    assert set(batch["rewards"].tolist()) <= {2.0, 3.0, 4.0, 5.0, 6.0}
    with pytest.raises(ValueError, match="capacity must be at least 1, got 0"):
        ReplayBuffer(0, obs_shape=(1,))
    with pytest.raises(ValueError, match="saved capacity 5 != 6"):
        ReplayBuffer(6, obs_shape=(1,)).load_state_dict(buffer.state_dict())
    with pytest.raises(ValueError, match="empty"):
        ReplayBuffer(3, obs_shape=(1,)).sample(1, rng)


def test_rollout_buffer_flattens_time_major():
    buffer = RolloutBuffer(3, 2, obs_shape=(1,), action_shape=())
    for t in range(3):
        buffer.add(np.array([[t], [10 + t]]), np.array([t, t]), np.zeros(2), np.zeros(2),
                   np.ones(2), np.zeros(2), np.zeros(2))  # fmt: skip
    with pytest.raises(IndexError, match="full"):
        buffer.add(*([np.zeros(2)] * 7))
    flat = buffer.flat()
    assert flat["obs"][:, 0].tolist() == [0, 10, 1, 11, 2, 12]
