"""Probability distributions with ``torch.distributions``' names.

A policy network outputs the parameters of a distribution over actions; the agent samples
an action from it and backpropagates through ``log_prob`` and ``entropy``::

    from abinitio.distributions import Categorical
    dist = Categorical(logits=policy(obs))
    action = dist.sample()
    loss = -(dist.log_prob(action) * advantage).mean() - 0.01 * dist.entropy().mean()
"""

from abinitio.distributions.bernoulli import Bernoulli
from abinitio.distributions.categorical import Categorical
from abinitio.distributions.distribution import Distribution
from abinitio.distributions.independent import Independent
from abinitio.distributions.normal import Normal

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "Normal"]
