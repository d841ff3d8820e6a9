"""What the actor-critic algorithms (REINFORCE, A2C, PPO) share, and nothing more.

:class:`ActorCriticAgent` holds the set-up all three repeated: the policy network and its
optimiser, actions for observations (Gaussian samples clipped to the action box), advantage
normalisation and one clipped gradient step. :class:`OnPolicyAgent` adds the rollout
collector of A2C and PPO: it runs the current policy for ``num_steps`` steps in each of
``num_envs`` copies and stores what :class:`~abinitio.rl.buffers.RolloutBuffer` needs for
GAE. Nothing here defines a loss; ``reinforce.py``, ``a2c.py`` and ``ppo.py`` hold them.
"""

from __future__ import annotations

import numpy as np

import abinitio as ab
from abinitio.nn.utils import clip_grad_norm_
from abinitio.rl.agent import Agent
from abinitio.rl.buffers import RolloutBuffer
from abinitio.rl.networks import ActorCritic


def normalize_advantages(advantages: np.ndarray) -> np.ndarray:
    """(A - mean(A)) / (std(A) + 1e-8): the same scale of step whatever the rewards' scale
    (a single sample is returned as it is)."""
    if len(advantages) <= 1:
        return advantages
    return (advantages - advantages.mean()) / (advantages.std() + 1e-8)


class ActorCriticAgent(Agent):
    """An agent with a policy pi(a | s) and a value V(s) (:class:`ActorCritic`), trained
    by gradient steps on a loss its algorithm writes."""

    def build(self) -> None:
        c = self.config
        obs_dim = int(np.prod(self.obs_shape))
        self.policy = ActorCritic(obs_dim, self.action_space, c.hidden, c.activation)
        self.optimizer = self.make_optimizer(self.policy.parameters())

    def make_optimizer(self, parameters):
        raise NotImplementedError

    def modules(self) -> dict:
        return {"policy": self.policy, "optimizer": self.optimizer}

    def env_actions(self, actions: np.ndarray) -> np.ndarray:
        """Gaussian samples are unbounded; the environment gets them clipped to its box
        (the learner keeps the unclipped sample, whose log-probability was computed)."""
        if self.policy.continuous:
            return np.clip(actions, self.action_space.low, self.action_space.high)
        return actions

    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        with ab.no_grad():
            dist = self.policy.distribution(np.asarray(obs, np.float32))
            action = dist.mode if deterministic else dist.sample(generator=self.generator)
        return self.env_actions(action.numpy())

    def gradient_step(self, loss) -> None:
        """theta <- optimiser step on grad L, the gradient's norm clipped to max_grad_norm
        (None: not clipped)."""
        self.optimizer.zero_grad()
        loss.backward()
        if self.config.max_grad_norm is not None:
            clip_grad_norm_(self.policy.parameters(), self.config.max_grad_norm)
        self.optimizer.step()


class OnPolicyAgent(ActorCriticAgent):
    """An actor-critic agent that learns from rollouts of its own current policy."""

    def build(self) -> None:
        super().build()
        c = self.config
        continuous = self.policy.continuous
        self.buffer = RolloutBuffer(
            c.num_steps, c.num_envs, self.obs_shape,
            self.action_space.shape if continuous else (),
            np.float32 if continuous else np.int64,
        )  # fmt: skip

    def collect_rollout(self) -> RolloutBuffer:
        """Fill the buffer with ``num_steps`` steps of every copy; compute GAE."""
        buffer, policy = self.buffer, self.policy
        buffer.reset()
        real_next = np.zeros_like(buffer.obs)
        with ab.no_grad():
            for t in range(buffer.num_steps):
                obs = self.next_obs.astype(np.float32)
                dist = policy.distribution(obs)
                action = dist.sample(generator=self.generator)
                log_prob = dist.log_prob(action)
                value = policy.value(obs)
                action = action.numpy()
                step = self.step_envs(self.env_actions(action))
                self.next_obs, rewards, terminated, truncated, real_next[t] = step
                buffer.add(obs, action, log_prob.numpy(), value.numpy(), rewards,
                           terminated, truncated)  # fmt: skip
            # V(s'_t) of every step in one batch: the states the steps really led to
            flat = real_next.reshape((-1,) + real_next.shape[2:])
            next_values = policy.value(flat).numpy().reshape(buffer.values.shape)
        buffer.set_next_values(next_values)
        buffer.compute_advantages(self.config.gamma, self.config.gae_lambda)
        return buffer
