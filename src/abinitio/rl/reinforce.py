"""REINFORCE with a learned baseline (Williams, "Simple statistical gradient-following
algorithms for connectionist reinforcement learning", Machine Learning 8, 1992).

After every episode, with returns-to-go G_t = sum_k gamma^k r_{t+k} and a baseline V(s_t)
learned by regression on them:

    L = -mean((G_t - V(s_t)) log pi(a_t | s_t)) + vf_coef * 1/2 mean((V(s_t) - G_t)^2)

The policy-gradient theorem says grad J = E[G_t grad log pi(a_t | s_t)]; subtracting any
b(s_t) keeps the expectation (E[grad log pi] = 0) and, with b close to V, cuts its variance.
An episode cut by the time limit bootstraps G from V(final observation) instead of 0.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import abinitio as ab
from abinitio.creation import from_numpy
from abinitio.optim import Adam
from abinitio.rl.on_policy import ActorCriticAgent, normalize_advantages
from abinitio.rl.returns import discounted_returns


@dataclasses.dataclass
class REINFORCEConfig:
    """REINFORCE's hyper-parameters: one environment, one update per episode.

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    num_envs: int = 1
    learning_rate: float = 1e-2
    gamma: float = 0.99
    norm_adv: bool = True
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    # not clipped: the critic's squared error on returns of up to 1/(1 - gamma) = 100 has
    # gradients far larger than the policy's, so one joint norm clip at 1.0 shrank the
    # policy step by whatever the critic's error was (CartPole, 1,000 episodes: seeds 0-2
    # solved 2/3, at episodes 889-919, one collapsed; unclipped, see the README's table)
    max_grad_norm: float | None = None
    hidden: tuple = (128,)
    activation: str = "relu"
    normalize_observation: bool = False
    normalize_reward: bool = False

    @classmethod
    def for_env(cls, env_id: str) -> REINFORCEConfig:
        return cls()


class REINFORCE(ActorCriticAgent):
    """Monte Carlo policy gradient with a value baseline, one update per episode.

    Example:
        >>> agent = REINFORCE("CartPole-v1", seed=0)
        >>> agent.learn(1).updates, len(agent.episodes)
        (1, 1)

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    algo = "reinforce"
    config_class = REINFORCEConfig

    def build(self) -> None:
        if self.config.num_envs != 1:
            raise ValueError(f"REINFORCE runs one environment, got num_envs={self.config.num_envs}")
        super().build()

    def make_optimizer(self, parameters):
        return Adam(parameters, lr=self.config.learning_rate)

    def run_episode(self):
        """Play one episode with the current policy; return its arrays."""
        steps = {"obs": [], "actions": [], "rewards": [], "terminated": [], "truncated": []}
        done = False
        with ab.no_grad():
            while not done:
                obs = self.next_obs.astype(np.float32)
                action = self.policy.distribution(obs).sample(generator=self.generator).numpy()
                step = self.step_envs(self.env_actions(action))
                self.next_obs, reward, term, trunc, real_next = step
                for name, value in zip(steps, (obs[0], action[0], reward[0], term[0], trunc[0])):
                    steps[name].append(value)
                done = bool(term[0] or trunc[0])
        return {k: np.asarray(v) for k, v in steps.items()}, real_next

    def train_step(self) -> dict:
        c = self.config
        episode, final_obs = self.run_episode()
        next_values = np.zeros(len(episode["rewards"]), np.float32)
        if episode["truncated"][-1]:  # the time limit ended it: bootstrap from V(s')
            with ab.no_grad():
                next_values[-1] = self.policy.value(final_obs.astype(np.float32)).item()
        returns = discounted_returns(episode["rewards"], episode["terminated"],
                                     episode["truncated"], c.gamma, next_values)  # fmt: skip
        obs = episode["obs"].astype(np.float32)
        values = self.policy.value(obs)
        advantages = returns - values.array
        if c.norm_adv:
            advantages = normalize_advantages(advantages)
        dist = self.policy.distribution(obs)
        log_prob = dist.log_prob(from_numpy(episode["actions"]))
        policy_loss = -(log_prob * from_numpy(advantages.astype(np.float32))).mean()
        v_loss = 0.5 * ((values - from_numpy(returns)) ** 2).mean()
        entropy = dist.entropy().mean()
        loss = policy_loss + c.vf_coef * v_loss - c.ent_coef * entropy
        self.gradient_step(loss)
        return {"loss": loss.item(), "policy_loss": policy_loss.item(),
                "value_loss": v_loss.item(), "entropy": entropy.item(),
                "episode_return": float(episode["rewards"].sum())}  # fmt: skip
