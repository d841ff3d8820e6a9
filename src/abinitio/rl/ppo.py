"""Proximal Policy Optimization (PPO) with a clipped objective, CleanRL's ``ppo.py`` in shape.

Schulman et al., "Proximal Policy Optimization Algorithms" (https://arxiv.org/abs/1707.06347).
Each iteration collects ``num_envs * num_steps`` steps with the current policy, computes
GAE(lambda) advantages, then takes ``update_epochs`` passes of minibatch gradient steps on

    L = L_clip + vf_coef * L_value - ent_coef * H

    r_t(theta) = pi_theta(a_t | s_t) / pi_old(a_t | s_t) = exp(log pi_theta - log pi_old)
    L_clip     = -mean( min(r_t A_t, clip(r_t, 1 - eps, 1 + eps) A_t) )
    L_value    = 1/2 mean( (V(s_t) - R_t)^2 )               R_t = A_t + V_old(s_t)
      or, clipped: 1/2 mean( max((V - R)^2, (V_old + clip(V - V_old, -eps, eps) - R)^2) )
    H          = mean entropy of pi_theta(. | s_t)

The clip removes the incentive to move the ratio beyond [1 - eps, 1 + eps]: where the
clipped term is the smaller one, its gradient is 0. Elsewhere dL_clip / d log pi_theta(a_t|s_t)
= -r_t A_t / B for a minibatch of B.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from abinitio.creation import from_numpy
from abinitio.optim import Adam
from abinitio.rl.buffers import minibatch_indices
from abinitio.rl.on_policy import OnPolicyAgent, normalize_advantages


@dataclasses.dataclass
class PPOConfig:
    """PPO's hyper-parameters (CleanRL's names). Defaults: RL Baselines3 Zoo's tuned
    CartPole-v1 recipe; :meth:`for_env` gives the recipe of a known environment.

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    num_envs: int = 8
    num_steps: int = 32  # steps per copy per rollout
    learning_rate: float = 1e-3
    anneal_lr: bool = True  # lr falls linearly to 0 over the run
    gamma: float = 0.98
    gae_lambda: float = 0.8
    num_minibatches: int = 1
    update_epochs: int = 20
    norm_adv: bool = True
    clip_coef: float = 0.2
    clip_vloss: bool = False
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    hidden: tuple = (64, 64)
    activation: str = "tanh"
    normalize_observation: bool = False
    normalize_reward: bool = False

    @classmethod
    def for_env(cls, env_id: str) -> PPOConfig:
        return cls(**PPO_RECIPES.get(env_id, {}))


# RL Baselines3 Zoo's tuned hyper-parameters (hyperparams/ppo.yml), without gSDE for Pendulum
PPO_RECIPES = {
    "CartPole-v1": {},
    "Acrobot-v1": {"num_envs": 16, "num_steps": 256, "gamma": 0.99, "gae_lambda": 0.94,
                   "update_epochs": 4, "num_minibatches": 64, "normalize_observation": True,
                   "anneal_lr": False, "learning_rate": 3e-4},
    "Pendulum-v1": {"num_envs": 4, "num_steps": 1024, "gamma": 0.9, "gae_lambda": 0.95,
                    "update_epochs": 10, "num_minibatches": 64, "ent_coef": 0.0,
                    "learning_rate": 1e-3, "anneal_lr": False, "clip_coef": 0.2},
}  # fmt: skip


def ppo_clip_loss(log_prob, old_log_prob, advantages, clip_coef: float):
    """L_clip = -mean(min(r A, clip(r, 1 - eps, 1 + eps) A)), r = exp(log_prob - old_log_prob).

    Returns (loss, approximate KL(old || new), fraction of samples clipped)."""
    log_ratio = log_prob - old_log_prob
    ratio = log_ratio.exp()
    unclipped = ratio * advantages
    clipped = ratio.clamp(1 - clip_coef, 1 + clip_coef) * advantages
    loss = -unclipped.minimum(clipped).mean()
    r = ratio.array
    approx_kl = float(((r - 1) - log_ratio.array).mean())  # the k3 estimator, >= 0
    clip_fraction = float((np.abs(r - 1) > clip_coef).mean())
    return loss, approx_kl, clip_fraction


def value_loss(values, returns, old_values, clip_coef: float | None):
    """1/2 mean((V - R)^2), or its clipped form (PPO2's) when ``clip_coef`` is given."""
    squared = (values - returns) ** 2
    if clip_coef is None:
        return 0.5 * squared.mean()
    v_clipped = old_values + (values - old_values).clamp(-clip_coef, clip_coef)
    return 0.5 * squared.maximum((v_clipped - returns) ** 2).mean()


class PPO(OnPolicyAgent):
    """PPO: clipped policy updates on GAE advantages, minibatch epochs, entropy bonus.

    Args:
        env_id: a Gymnasium id (``"CartPole-v1"``, ``"Pendulum-v1"``, ...).
        config: a :class:`PPOConfig` (default: the recipe for ``env_id``).
        seed: seeds the weights, the sampling and the environments.
        **overrides: fields of the config to change.

    Example:
        >>> agent = PPO("CartPole-v1", seed=0, num_envs=2, num_steps=8)
        >>> agent.learn(32).global_step
        32

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    algo = "ppo"
    config_class = PPOConfig

    def make_optimizer(self, parameters):
        return Adam(parameters, lr=self.config.learning_rate, eps=1e-5)

    def train_step(self) -> dict:
        c = self.config
        if c.anneal_lr:
            fraction = 1.0 - self.global_step / max(self.total_steps, 1)
            self.optimizer.param_groups[0]["lr"] = fraction * c.learning_rate
        data = self.collect_rollout().flat()
        size = len(data["advantages"])
        batch_size = max(size // c.num_minibatches, 1)
        stats = []
        for _ in range(c.update_epochs):
            for index in minibatch_indices(size, batch_size, self.rng):
                stats.append(self.update(data, index))
        names = ("loss", "policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction")
        record = dict(zip(names, np.mean(stats, axis=0)))
        variance = np.var(data["returns"])
        explained = 1 - np.var(data["returns"] - data["values"]) / variance if variance else 0
        return {**record, "explained_variance": explained}

    def update(self, data: dict, index: np.ndarray) -> tuple:
        c = self.config
        advantages = data["advantages"][index]
        if c.norm_adv:
            advantages = normalize_advantages(advantages)
        dist = self.policy.distribution(data["obs"][index])
        log_prob = dist.log_prob(from_numpy(data["actions"][index]))
        policy_loss, approx_kl, clip_fraction = ppo_clip_loss(
            log_prob, from_numpy(data["log_probs"][index]), from_numpy(advantages), c.clip_coef
        )
        values = self.policy.value(data["obs"][index])
        v_loss = value_loss(values, from_numpy(data["returns"][index]),
                            from_numpy(data["values"][index]),
                            c.clip_coef if c.clip_vloss else None)  # fmt: skip
        entropy = dist.entropy().mean()
        loss = policy_loss + c.vf_coef * v_loss - c.ent_coef * entropy
        self.gradient_step(loss)
        return (loss.item(), policy_loss.item(), v_loss.item(), entropy.item(),
                approx_kl, clip_fraction)  # fmt: skip
