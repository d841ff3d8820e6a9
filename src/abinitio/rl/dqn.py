"""Deep Q-learning (DQN) with replay, a target network and optional Double DQN, CleanRL's
``dqn.py`` in shape. Mnih et al., "Human-level control through deep reinforcement learning"
(Nature 518, 2015); van Hasselt et al., "Deep Reinforcement Learning with Double
Q-learning" (https://arxiv.org/abs/1509.06461).

Q-learning fits Q(s, a) to the Bellman optimality equation
Q*(s, a) = E[r + gamma * max_a' Q*(s', a')]. On a minibatch from the replay buffer:

    y      = r + gamma * (1 - terminated) * Q_target(s', a*)          (no gradient)
    a*     = argmax_a' Q_target(s', a')     DQN
           = argmax_a' Q(s', a')            Double DQN: the online net chooses, the target rates
    L      = mean(huber(Q(s, a) - y))       huber(d) = d^2 / 2 if |d| < 1 else |d| - 1/2

    target: theta' <- tau * theta + (1 - tau) * theta'   every target_network_frequency
            gradient steps (tau = 1: a hard copy)

Replay breaks the correlation between consecutive samples; the slowly moving target keeps
the regression from chasing itself. Exploration is epsilon-greedy, epsilon falling linearly
from ``start_e`` to ``end_e`` over ``exploration_fraction`` of the run.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import abinitio as ab
from abinitio.creation import from_numpy
from abinitio.nn.functional import smooth_l1_loss
from abinitio.nn.utils import clip_grad_norm_
from abinitio.optim import Adam
from abinitio.rl.agent import Agent
from abinitio.rl.buffers import ReplayBuffer
from abinitio.rl.networks import QNetwork


@dataclasses.dataclass
class DQNConfig:
    """DQN's hyper-parameters (CleanRL's names); defaults: RL Baselines3 Zoo's CartPole-v1.

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    num_envs: int = 1
    learning_rate: float = 2.3e-3
    buffer_size: int = 100_000
    gamma: float = 0.99
    tau: float = 1.0
    target_network_frequency: int = 128  # in gradient steps
    batch_size: int = 64
    start_e: float = 1.0
    end_e: float = 0.04
    exploration_fraction: float = 0.16
    learning_starts: int = 1000
    train_frequency: int = 256  # environment steps between bursts of training
    gradient_steps: int = 128  # gradient steps per burst
    double_dqn: bool = True
    max_grad_norm: float = 10.0
    hidden: tuple = (256, 256)
    normalize_observation: bool = False
    normalize_reward: bool = False

    @classmethod
    def for_env(cls, env_id: str) -> DQNConfig:
        return cls(**DQN_RECIPES.get(env_id, {}))


DQN_RECIPES = {
    "CartPole-v1": {},
    # RL Baselines3 Zoo's Acrobot-v1 recipe (hyperparams/dqn.yml)
    "Acrobot-v1": {"learning_rate": 6.3e-4, "batch_size": 128, "buffer_size": 50_000,
                   "learning_starts": 0, "target_network_frequency": 250,
                   "train_frequency": 4, "gradient_steps": -1, "exploration_fraction": 0.12,
                   "end_e": 0.1, "hidden": (256, 256)},
}  # fmt: skip


def linear_schedule(start: float, end: float, duration: float, t: float) -> float:
    """start -> end linearly over ``duration`` steps, then ``end``."""
    slope = (end - start) / max(duration, 1)
    return max(slope * t + start, end) if end <= start else min(slope * t + start, end)


class DQN(Agent):
    """DQN for discrete actions: epsilon-greedy acting, replay, target network, Huber loss.

    Example:
        >>> agent = DQN("CartPole-v1", seed=0, learning_starts=8, train_frequency=8,
        ...             gradient_steps=2, batch_size=4)
        >>> agent.learn(16).gradient_updates
        4

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    algo = "dqn"
    config_class = DQNConfig

    def build(self) -> None:
        c = self.config
        obs_dim, n = int(np.prod(self.obs_shape)), int(self.action_space.n)
        self.q_network = QNetwork(obs_dim, n, c.hidden)
        self.target_network = QNetwork(obs_dim, n, c.hidden)
        self.target_network.load_state_dict(self.q_network.state_dict())
        self.optimizer = Adam(self.q_network.parameters(), lr=c.learning_rate)
        self.replay = ReplayBuffer(c.buffer_size, self.obs_shape)
        self.gradient_updates = 0

    def modules(self) -> dict:
        return {"q_network": self.q_network, "target_network": self.target_network,
                "optimizer": self.optimizer}  # fmt: skip

    def extra_state(self) -> dict:
        return {"replay": self.replay.state_dict(), "gradient_updates": self.gradient_updates}

    def load_extra_state(self, state: dict) -> None:
        self.replay.load_state_dict(state["replay"])
        self.gradient_updates = int(state["gradient_updates"])

    def epsilon(self) -> float:
        c = self.config
        duration = c.exploration_fraction * max(self.total_steps, 1)
        return linear_schedule(c.start_e, c.end_e, duration, self.global_step)

    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        with ab.no_grad():
            greedy = self.q_network(np.asarray(obs, np.float32)).numpy().argmax(-1)
        if deterministic:
            return greedy
        explore = self.rng.random(len(greedy)) < self.epsilon()
        random_actions = self.rng.integers(0, self.action_space.n, size=len(greedy))
        return np.where(explore, random_actions, greedy)

    def train_step(self) -> dict:
        """``train_frequency`` environment steps, then ``gradient_steps`` updates (``-1``:
        one per environment step)."""
        c = self.config
        for _ in range(max(c.train_frequency // self.envs.num_envs, 1)):
            obs = self.next_obs.astype(np.float32)
            actions = self.act(obs, deterministic=False)
            self.next_obs, rewards, terminated, _, real_next = self.step_envs(actions)
            self.replay.add(obs, actions, rewards, real_next, terminated)
        if self.global_step < c.learning_starts:
            return {"epsilon": self.epsilon()}
        steps = c.gradient_steps if c.gradient_steps > 0 else c.train_frequency
        losses = [self.update() for _ in range(steps)]
        loss, q = np.mean(losses, axis=0)
        return {"loss": loss, "q_mean": q, "epsilon": self.epsilon()}

    def update(self) -> tuple:
        c = self.config
        batch = self.replay.sample(c.batch_size, self.rng)
        with ab.no_grad():
            q_next = self.target_network(batch["next_obs"]).numpy()
            if c.double_dqn:
                choice = self.q_network(batch["next_obs"]).numpy().argmax(-1)
            else:
                choice = q_next.argmax(-1)
            best = np.take_along_axis(q_next, choice[:, None], axis=1)[:, 0]
            target = batch["rewards"] + c.gamma * (1 - batch["terminated"]) * best
        actions = from_numpy(batch["actions"][:, None])
        q = self.q_network(batch["obs"]).gather(1, actions).squeeze(1)
        loss = smooth_l1_loss(q, from_numpy(target.astype(np.float32)))
        self.optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(self.q_network.parameters(), c.max_grad_norm)
        self.optimizer.step()
        self.gradient_updates += 1
        if self.gradient_updates % c.target_network_frequency == 0:
            self.update_target()
        return loss.item(), float(q.array.mean())

    def update_target(self) -> None:
        """theta' <- tau theta + (1 - tau) theta' (tau = 1 copies)."""
        tau = self.config.tau
        target = dict(self.target_network.named_parameters())
        for name, p in self.q_network.named_parameters():
            target[name].array[...] = tau * p.array + (1 - tau) * target[name].array
