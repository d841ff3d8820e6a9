"""The small networks the agents learn: an actor-critic pair and a Q-network.

Initialisation follows Stable-Baselines3 and CleanRL: orthogonal weights with gain sqrt(2)
in hidden layers, 0.01 on the policy's output (the first policy is close to uniform) and 1
on the value's output, zero biases.
"""

from __future__ import annotations

import math

import numpy as np

import abinitio as ab
from abinitio import nn
from abinitio.distributions import Categorical, Independent, Normal

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


def mlp(in_features: int, hidden: tuple, out_features: int, activation: str = "tanh",
        out_gain: float = 1.0, orthogonal: bool = True) -> nn.Sequential:  # fmt: skip
    """Linear layers of widths ``hidden`` with ``activation`` between them."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    sizes = [in_features, *hidden, out_features]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.Linear(a, b)
        if orthogonal:
            last = i == len(sizes) - 2
            nn.init.orthogonal_(linear.weight, out_gain if last else math.sqrt(2))
            nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class ActorCritic(nn.Module):
    """A policy pi(a | s) (the actor) and a state value V(s) (the critic), separate MLPs.

    Discrete actions: the actor outputs logits, pi = Categorical(logits). Continuous
    actions in R^d: the actor outputs the mean mu(s) and a learned, state-independent
    ``actor_logstd`` gives sigma, pi = Independent(Normal(mu, exp(logstd)), 1).

    Args:
        obs_dim: the length of an observation vector.
        action_space: a Gymnasium ``Discrete`` or ``Box`` space.
        hidden: hidden widths of both networks.
        activation: "tanh" or "relu".

    Example:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> net = ActorCritic(4, SimpleNamespace(n=2), hidden=(8,))
        >>> net.distribution(np.zeros((3, 4), np.float32)).batch_shape
        (3,)

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    def __init__(self, obs_dim: int, action_space, hidden=(64, 64), activation="tanh") -> None:
        super().__init__()
        self.continuous = not hasattr(action_space, "n")
        out = int(np.prod(action_space.shape)) if self.continuous else int(action_space.n)
        self.critic = mlp(obs_dim, tuple(hidden), 1, activation, out_gain=1.0)
        self.actor = mlp(obs_dim, tuple(hidden), out, activation, out_gain=0.01)
        if self.continuous:
            self.actor_logstd = nn.Parameter(ab.zeros(1, out))

    def value(self, obs) -> ab.Tensor:
        """V(s), shape (B,)."""
        return self.critic(ab.as_tensor(obs)).squeeze(-1)

    def distribution(self, obs):
        """pi(. | s) for a batch of observations (B, obs_dim)."""
        out = self.actor(ab.as_tensor(obs))
        if not self.continuous:
            return Categorical(logits=out)
        return Independent(Normal(out, self.actor_logstd.exp()), 1)


class QNetwork(nn.Module):
    """Q(s, .): one action value per discrete action, from an MLP with ReLU.

    Example:
        >>> import numpy as np
        >>> QNetwork(4, 2, hidden=(8,))(np.zeros((3, 4), np.float32)).shape
        (3, 2)

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    def __init__(self, obs_dim: int, num_actions: int, hidden=(256, 256)) -> None:
        super().__init__()
        self.network = mlp(obs_dim, tuple(hidden), num_actions, "relu", orthogonal=False)

    def forward(self, obs) -> ab.Tensor:
        return self.network(ab.as_tensor(obs))
