"""Where agents keep experience: a rollout of the last T steps (on-policy: PPO, A2C,
REINFORCE) or a replay buffer of the last ``capacity`` transitions (off-policy: DQN)."""

from __future__ import annotations

import numpy as np

from abinitio.rl.returns import generalized_advantage_estimate


class RolloutBuffer:
    """T steps of N environments, in (T, N, ...) arrays, and their advantages.

    Each step stores ``obs`` s_t, ``actions`` a_t, ``log_probs`` log pi(a_t | s_t) under the
    policy that acted, ``values`` V(s_t), ``rewards`` r_t, ``terminated``, ``truncated``,
    and ``next_values`` V(s'_t) of the state the step really led to.
    :meth:`compute_advantages` fills ``advantages`` and ``returns`` with GAE(lambda).

    Example:
        >>> buffer = RolloutBuffer(2, 1, obs_shape=(3,), action_shape=())
        >>> buffer.obs.shape, buffer.actions.dtype
        ((2, 1, 3), dtype('int64'))

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    def __init__(self, num_steps: int, num_envs: int, obs_shape: tuple, action_shape: tuple,
                 action_dtype=np.int64) -> None:  # fmt: skip
        self.num_steps, self.num_envs = int(num_steps), int(num_envs)
        steps = (self.num_steps, self.num_envs)
        self.obs = np.zeros(steps + tuple(obs_shape), np.float32)
        self.actions = np.zeros(steps + tuple(action_shape), action_dtype)
        for name in ("log_probs", "values", "rewards", "terminated", "truncated", "next_values"):
            setattr(self, name, np.zeros(steps, np.float32))
        self.advantages = np.zeros(steps, np.float32)
        self.returns = np.zeros(steps, np.float32)
        self.step = 0

    def add(self, obs, actions, log_probs, values, rewards, terminated, truncated) -> None:
        t = self.step
        if t >= self.num_steps:
            raise IndexError(f"RolloutBuffer is full ({self.num_steps} steps); call reset()")
        self.obs[t], self.actions[t], self.log_probs[t] = obs, actions, log_probs
        self.values[t], self.rewards[t] = values, rewards
        self.terminated[t], self.truncated[t] = terminated, truncated
        self.step = t + 1

    def set_next_values(self, next_values: np.ndarray) -> None:
        """V(s'_t) for every step: V(s_{t+1}) inside an episode, V(final obs) where one ended."""
        self.next_values[:] = next_values

    def compute_advantages(self, gamma: float, gae_lambda: float) -> None:
        self.advantages, self.returns = generalized_advantage_estimate(
            self.rewards, self.values, self.next_values, self.terminated, self.truncated,
            gamma, gae_lambda,
        )  # fmt: skip

    def flat(self) -> dict:
        """Every array with its (T, N) axes merged into one batch axis of T * N samples."""
        names = ("obs", "actions", "log_probs", "values", "advantages", "returns")
        size = self.num_steps * self.num_envs
        return {n: getattr(self, n).reshape((size,) + getattr(self, n).shape[2:]) for n in names}

    def reset(self) -> None:
        self.step = 0


def minibatch_indices(size: int, batch_size: int, rng: np.random.Generator):
    """A fresh permutation of ``range(size)`` cut into minibatches of ``batch_size``."""
    order = rng.permutation(size)
    return [order[i : i + batch_size] for i in range(0, size, batch_size)]


class ReplayBuffer:
    """A ring buffer of the last ``capacity`` transitions (s, a, r, s', terminated).

    ``next_obs`` is stored with each transition, not looked up as "the observation after
    it": with several environments and automatic resets, the row after a transition may
    belong to another environment or to the next episode, and pairing with it would teach
    the network a jump that never happened. The agent passes the true s' (Gymnasium's
    ``final_obs`` where an episode ended). ``terminated`` (not ``truncated``) decides
    whether the target bootstraps from s'.

    Args:
        capacity: how many transitions to keep; the oldest are overwritten.
        obs_shape: the shape of one observation.
        action_shape: the shape of one action (``()`` for a discrete one).

    Example:
        >>> import numpy as np
        >>> buffer = ReplayBuffer(4, obs_shape=(2,))
        >>> buffer.add(np.zeros((3, 2)), np.array([0, 1, 0]), np.ones(3), np.ones((3, 2)),
        ...            np.array([False, True, False]))
        >>> len(buffer), buffer.sample(2, np.random.default_rng(0))["obs"].shape
        (3, (2, 2))

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    FIELDS = ("obs", "actions", "rewards", "next_obs", "terminated")

    def __init__(self, capacity: int, obs_shape: tuple, action_shape: tuple = (),
                 action_dtype=np.int64) -> None:  # fmt: skip
        if int(capacity) < 1:
            raise ValueError(f"ReplayBuffer: capacity must be at least 1, got {capacity}")
        self.capacity = int(capacity)
        self.obs = np.zeros((self.capacity,) + tuple(obs_shape), np.float32)
        self.next_obs = np.zeros_like(self.obs)
        self.actions = np.zeros((self.capacity,) + tuple(action_shape), action_dtype)
        self.rewards = np.zeros(self.capacity, np.float32)
        self.terminated = np.zeros(self.capacity, np.float32)
        self.position = 0  # where the next transition goes
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, obs, actions, rewards, next_obs, terminated) -> None:
        """Store one transition per environment (arrays with a leading axis of N)."""
        n = len(obs)
        rows = (self.position + np.arange(n)) % self.capacity
        self.obs[rows], self.actions[rows], self.rewards[rows] = obs, actions, rewards
        self.next_obs[rows], self.terminated[rows] = next_obs, terminated
        self.position = int((self.position + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict:
        """``batch_size`` transitions drawn uniformly, with replacement."""
        if self.size == 0:
            raise ValueError("ReplayBuffer.sample: the buffer is empty")
        rows = rng.integers(0, self.size, size=batch_size)
        return {name: getattr(self, name)[rows] for name in self.FIELDS}

    def state_dict(self) -> dict:
        state = {name: getattr(self, name)[: self.size] for name in self.FIELDS}
        return {**state, "position": self.position, "capacity": self.capacity}

    def load_state_dict(self, state: dict) -> None:
        if int(state["capacity"]) != self.capacity:
            raise ValueError(
                f"ReplayBuffer: saved capacity {state['capacity']} != {self.capacity}"
            )
        size = len(state["rewards"])
        for name in self.FIELDS:
            value = state[name]
            getattr(self, name)[:size] = value.numpy() if hasattr(value, "numpy") else value
        self.size, self.position = size, int(state["position"])
