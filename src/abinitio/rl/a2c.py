"""Advantage actor-critic (A2C), the synchronous form of Mnih et al.'s A3C
("Asynchronous Methods for Deep Reinforcement Learning", https://arxiv.org/abs/1602.01783).

Every ``num_steps`` steps of ``num_envs`` copies, one gradient step on

    L = -mean(A_t log pi(a_t | s_t)) + vf_coef * 1/2 mean((V(s_t) - R_t)^2) - ent_coef * H

with n-step advantages A_t = R_t - V(s_t), R_t the n-step return bootstrapped from the value
of the state the rollout stops in (``gae_lambda = 1``), or GAE(lambda) for ``gae_lambda < 1``.
The policy gradient of the first term is the policy-gradient theorem's estimate
grad J = E[A_t grad log pi(a_t | s_t)]; A_t is treated as a constant.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from abinitio.creation import from_numpy
from abinitio.optim import RMSprop
from abinitio.rl.on_policy import OnPolicyAgent, normalize_advantages
from abinitio.rl.ppo import value_loss


@dataclasses.dataclass
class A2CConfig:
    """A2C's hyper-parameters; defaults are Stable-Baselines3's (RMSprop, 5-step returns).

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    num_envs: int = 8
    num_steps: int = 5
    learning_rate: float = 7e-4
    gamma: float = 0.99
    gae_lambda: float = 1.0  # 1: plain n-step returns; < 1: GAE(lambda)
    norm_adv: bool = False
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    hidden: tuple = (64, 64)
    activation: str = "tanh"
    normalize_observation: bool = False
    normalize_reward: bool = False

    @classmethod
    def for_env(cls, env_id: str) -> A2CConfig:
        return cls()


class A2C(OnPolicyAgent):
    """A2C: one synchronous actor-critic gradient step per short rollout.

    Example:
        >>> agent = A2C("CartPole-v1", seed=0, num_envs=2)
        >>> agent.learn(20).updates
        2

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    algo = "a2c"
    config_class = A2CConfig

    def make_optimizer(self, parameters):
        return RMSprop(parameters, lr=self.config.learning_rate, alpha=0.99, eps=1e-5)

    def train_step(self) -> dict:
        c = self.config
        data = self.collect_rollout().flat()
        advantages = data["advantages"]
        if c.norm_adv:
            advantages = normalize_advantages(advantages)
        dist = self.policy.distribution(data["obs"])
        log_prob = dist.log_prob(from_numpy(data["actions"]))
        policy_loss = -(log_prob * from_numpy(advantages)).mean()
        v_loss = value_loss(self.policy.value(data["obs"]), from_numpy(data["returns"]), None, None)
        entropy = dist.entropy().mean()
        loss = policy_loss + c.vf_coef * v_loss - c.ent_coef * entropy
        self.gradient_step(loss)
        return {"loss": loss.item(), "policy_loss": policy_loss.item(),
                "value_loss": v_loss.item(), "entropy": entropy.item(),
                "mean_advantage": float(np.mean(data["advantages"]))}  # fmt: skip
