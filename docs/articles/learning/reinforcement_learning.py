r"""
.. _article-reinforcement_learning:

Reinforcement learning
======================

In supervised learning every input comes with its answer. In **reinforcement learning**
nobody gives answers: an **agent** acts in an **environment**, receives a **reward** and
a new observation, and must find by trial and error the actions that earn the most reward
over time. A pole on a cart (Gymnasium's ``CartPole-v1``) pays 1 for every step it stays
up; nobody says which way to push. **Deep** reinforcement learning lets neural networks
represent what the agent learns: a **policy** :math:`\pi_\theta(a \mid s)` (what to do), a
**value** :math:`V(s)` (how good a state is) or **action values** :math:`Q(s, a)`. It has
played Atari and Go and controls robots.

The maths
---------

**The Markov decision process.** States :math:`s_t`, actions :math:`a_t \sim \pi(\cdot
\mid s_t)`, rewards :math:`r_t` and next states :math:`s_{t+1} \sim p(\cdot \mid s_t,
a_t)`: the next state depends on the present one only. The **return** discounts the
future by :math:`\gamma \in [0, 1)`, so that it is finite and near rewards count more:

.. math::

   G_t = \sum_{k \ge 0} \gamma^k r_{t+k} = r_t + \gamma G_{t+1}, \qquad
   V^\pi(s) = \mathbb{E}_\pi[G_t \mid s_t = s], \qquad
   Q^\pi(s, a) = \mathbb{E}_\pi[G_t \mid s_t = s, a_t = a].

An episode that *terminates* (the pole fell) has :math:`V = 0` after its end; one that is
*truncated* by a time limit does not, and its last return is bootstrapped from
:math:`V(s_{T})`. Gymnasium reports the two apart, and abinitio keeps them apart.

**The policy-gradient theorem.** The aim is :math:`J(\theta) = \mathbb{E}_{\tau \sim
\pi_\theta}[G_0]`. A trajectory :math:`\tau` has probability :math:`p_\theta(\tau) =
p(s_0) \prod_t \pi_\theta(a_t \mid s_t)\, p(s_{t+1} \mid s_t, a_t)`; the dynamics do not
depend on :math:`\theta`, so :math:`\nabla_\theta \log p_\theta(\tau) = \sum_t \nabla_\theta
\log \pi_\theta(a_t \mid s_t)`, and with :math:`\nabla p = p\, \nabla \log p`:

.. math::

   \nabla_\theta J = \mathbb{E}_\tau\Big[G_0 \sum_t \nabla_\theta \log \pi_\theta(a_t
   \mid s_t)\Big] = \mathbb{E}\Big[\sum_t \nabla_\theta \log \pi_\theta(a_t \mid s_t)\,
   (G_t - b(s_t))\Big].

Rewards before :math:`t` do not depend on :math:`a_t`, so only :math:`G_t` remains; and
any **baseline** :math:`b(s_t)` can be subtracted, because :math:`\mathbb{E}_{a \sim
\pi}[\nabla \log \pi(a \mid s)] = \nabla \sum_a \pi(a \mid s) = \nabla 1 = 0`. It leaves
the gradient unbiased and, with :math:`b \approx V`, cuts its variance: that is
REINFORCE with a baseline. **Actor-critic** methods learn :math:`V` (the critic) and use
the advantage :math:`A_t = G_t - V(s_t)`; **GAE** blends n-step estimates with
:math:`\lambda`:

.. math::

   \delta_t = r_t + \gamma (1 - \text{term}_t) V(s_{t+1}) - V(s_t), \qquad
   A_t = \delta_t + \gamma \lambda (1 - \text{done}_t) A_{t+1}.

**PPO** reuses each rollout for several epochs, and clips the probability ratio
:math:`\rho_t = \pi_\theta(a_t \mid s_t) / \pi_{\text{old}}(a_t \mid s_t)` so that no step
moves the policy far: :math:`L = -\mathbb{E}[\min(\rho_t A_t, \operatorname{clip}(\rho_t,
1 - \epsilon, 1 + \epsilon) A_t)]`, whose gradient is :math:`-A_t \rho_t \nabla \log
\pi_\theta` where the ratio is inside the clip (or the clip does not bind) and 0 elsewhere.

**Q-learning** fits the Bellman optimality equation :math:`Q^*(s, a) = \mathbb{E}[r +
\gamma \max_{a'} Q^*(s', a')]` by regression on :math:`y = r + \gamma (1 -
\text{term}) \max_{a'} Q_{\bar\theta}(s', a')`. DQN samples the regression's data from a
**replay buffer** (consecutive steps are strongly correlated; old ones are reused) and
computes :math:`y` with a **target network** :math:`\bar\theta`, a copy refreshed now and
then, so the regression does not chase its own moving output; Double DQN lets the online
network choose :math:`a'` and the target network rate it, which removes the max's upward bias.

Where it lives in abinitio
--------------------------

.. implementation::

Each algorithm is one file in ``src/abinitio/rl/`` (``reinforce.py``, ``a2c.py``,
``ppo.py``, ``dqn.py``), as in CleanRL. ``abinitio rl train --env CartPole-v1 --algo ppo``
trains from the command line; the README lists five-seed results (PPO and DQN solve
CartPole, PPO Acrobot and Pendulum).
"""

# %%
# A baseline cuts the variance of the policy gradient
# ----------------------------------------------------
# A three-armed bandit: rewards 1, 2 and 3 plus noise. Each of 4,000 rows samples an
# action and scores :math:`\nabla_\text{logits} \log \pi(a) \cdot R`; one backward pass
# gives all the per-sample gradients. Subtracting the mean reward changes the average
# gradient very little but shrinks its spread.
import matplotlib.pyplot as plt
import numpy as np

import abinitio as ab
from abinitio.distributions import Categorical
from abinitio.rl import PPO, evaluate, generalized_advantage_estimate

ab.manual_seed(0)
rng = np.random.default_rng(0)
n = 4000
actions = Categorical(logits=ab.zeros(n, 3)).sample(generator=ab.random.Generator(0))
rewards = actions.numpy() + 1.0 + rng.normal(0, 0.5, n)
for name, b in [("no baseline", 0.0), ("baseline = mean reward", rewards.mean())]:
    logits = ab.zeros(n, 3, requires_grad=True)
    policy = Categorical(logits=logits)
    weight = ab.tensor((rewards - b).astype(np.float32))
    (policy.log_prob(actions) * weight).sum().backward()
    g = logits.grad.numpy()
    print(f"{name:>24}: mean gradient {g.mean(0).round(2)}, variance {g.var(0).sum():.2f}")

# %%
# GAE on a short trajectory
# -------------------------
# Two steps of one episode that terminates: the second step does not bootstrap.
adv, ret = generalized_advantage_estimate(
    rewards=[1.0, 1.0], values=[0.5, 0.5], next_values=[0.5, 0.0],
    terminated=[0, 1], truncated=[0, 0], gamma=0.99, gae_lambda=0.95,
)  # fmt: skip
print("advantages", adv.round(3), "value targets", ret.round(3))

# %%
# PPO learning to balance the pole
# --------------------------------
# A short run (20,000 steps; the README's runs use 100,000 and solve it on every seed).
agent = PPO("CartPole-v1", seed=0)
agent.learn(20_000)
steps = [e["step"] for e in agent.episodes]
returns = np.array([e["return"] for e in agent.episodes])
smooth = np.convolve(returns, np.ones(10) / 10, mode="valid")
result = evaluate(agent, episodes=20)
print(f"{len(returns)} episodes; greedy mean return {result['mean']:.0f} of 500")
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(steps, returns, alpha=0.3, label="episode return")
ax.plot(steps[9:], smooth, label="mean of 10")
ax.set(xlabel="environment step", ylabel="return", title="PPO on CartPole-v1")
ax.legend()
plt.show()

# %%
# Related topics
# --------------
# * :ref:`article-gradient_descent`: the policy and value networks learn by Adam
# * :ref:`article-loss_functions`: the Huber loss of DQN and the squared error of the critic
# * :ref:`article-training_loop`: checkpoints that resume bit for bit, here too
