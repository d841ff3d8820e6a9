"""Deep reinforcement learning on Gymnasium: REINFORCE, A2C, PPO and DQN.

One readable file per algorithm, as in CleanRL (``reinforce.py``, ``a2c.py``, ``ppo.py``,
``dqn.py``), on shared parts: ``envs.py`` (Gymnasium's vector API, seeding, saved state),
``returns.py`` (discounted returns, GAE), ``buffers.py`` (rollout and replay buffers),
``networks.py`` and ``agent.py`` (the loop, evaluation, checkpoints)::

    from abinitio.rl import PPO, evaluate
    agent = PPO("CartPole-v1", seed=0).learn(100_000)
    print(evaluate(agent, episodes=100)["mean"])       # greedy mean return

Gymnasium is imported only when an agent or an environment is made.
"""

from abinitio.rl.a2c import A2C, A2CConfig
from abinitio.rl.agent import Agent, evaluate, load_agent
from abinitio.rl.buffers import ReplayBuffer, RolloutBuffer
from abinitio.rl.dqn import DQN, DQNConfig
from abinitio.rl.envs import UnsupportedEnvironmentError, make_env, make_vector_env
from abinitio.rl.networks import ActorCritic, QNetwork
from abinitio.rl.ppo import PPO, PPOConfig, ppo_clip_loss
from abinitio.rl.reinforce import REINFORCE, REINFORCEConfig
from abinitio.rl.returns import discounted_returns, generalized_advantage_estimate

ALGORITHMS = {"ppo": PPO, "a2c": A2C, "dqn": DQN, "reinforce": REINFORCE}

__all__ = [
    "A2C", "A2CConfig", "ALGORITHMS", "ActorCritic", "Agent", "DQN", "DQNConfig", "PPO",
    "PPOConfig", "QNetwork", "REINFORCE", "REINFORCEConfig", "ReplayBuffer", "RolloutBuffer",
    "UnsupportedEnvironmentError", "discounted_returns", "evaluate",
    "generalized_advantage_estimate", "load_agent", "make_env", "make_vector_env",
    "ppo_clip_loss",
]  # fmt: skip
