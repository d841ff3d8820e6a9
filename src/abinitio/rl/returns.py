"""Discounted returns and generalised advantage estimates over vectorised rollouts.

Arrays are ``(T, N)``: T steps of N environments. Step t of environment i went from state
``s_t`` to ``s'_t`` with reward ``r_t``; ``terminated_t`` says ``s'_t`` is terminal (its value
is 0: the pole fell), ``truncated_t`` says the episode was cut by a time limit (``s'_t`` is
an ordinary state, so its value is estimated, not 0). Either way the next row holds the
first step of a new episode, so sums never run across an episode boundary. That is the
distinction Gymnasium makes between ``terminated`` and ``truncated``.

The loops run backwards over time (each step needs the one after it) and are vectorised
over environments.
"""

from __future__ import annotations

import numpy as np


def _as_float(name: str, value, shape=None) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or (shape is not None and array.shape != shape):
        want = f"shape {shape}" if shape else "shape (T,) or (T, N)"
        raise ValueError(f"{name}: expected {want}, got {np.shape(value)}")
    return array


def discounted_returns(rewards, terminated, truncated, gamma: float, next_values=None):
    """Returns-to-go: ``G_t = r_t + gamma * G_{t+1}`` inside an episode.

    ::

        G_t = r_t + gamma * (1 - terminated_t) * B_t
        B_t = G_{t+1}          if the episode goes on (neither flag set)
            = V(s'_t)          if truncated_t (the time limit, not the task, ended it)
            = V(s'_T-1)        at the end of the rollout, t = T - 1

    ``next_values`` holds the estimates ``V(s'_t)`` (T, N); without it, they are 0 (a
    truncated episode is then treated as if it had ended: plain Monte Carlo returns).

    Args:
        rewards, terminated, truncated: (T,) or (T, N) arrays.
        gamma: the discount factor in [0, 1].
        next_values: optional (T, N) value estimates of the next states.

    Returns:
        (T, N) float32 returns (or (T,) for (T,) input).

    Example:
        >>> discounted_returns([1, 1, 1], [0, 0, 1], [0, 0, 0], gamma=0.5).tolist()
        [1.75, 1.5, 1.0]

    See the article docs/articles/learning/reinforcement_learning.py.
    """
    squeeze = np.ndim(rewards) == 1
    r = _as_float("rewards", rewards)
    term = _as_float("terminated", terminated, r.shape)
    trunc = _as_float("truncated", truncated, r.shape)
    if next_values is None:
        v_next = np.zeros_like(r)
    else:
        v_next = _as_float("next_values", next_values, r.shape)
    returns = np.zeros_like(r)
    following = v_next[-1]  # what lies beyond the rollout: its last next state's value
    for t in reversed(range(len(r))):
        # a finished episode (terminated or truncated) starts over from its own next state
        done = np.maximum(term[t], trunc[t])
        bootstrap = done * v_next[t] + (1 - done) * following
        returns[t] = r[t] + gamma * (1 - term[t]) * bootstrap
        following = returns[t]
    out = returns.astype(np.float32)
    return out[:, 0] if squeeze else out


def generalized_advantage_estimate(rewards, values, next_values, terminated, truncated,
                                   gamma: float, gae_lambda: float):  # fmt: skip
    """GAE(lambda) advantages and the value targets ``advantages + values``.

    Schulman et al., "High-Dimensional Continuous Control Using Generalized Advantage
    Estimation" (https://arxiv.org/abs/1506.02438)::

        delta_t = r_t + gamma * (1 - terminated_t) * V(s'_t) - V(s_t)     the TD error
        A_t     = delta_t + gamma * lambda * (1 - done_t) * A_{t+1},      done = term or trunc
        A_{T-1} = delta_{T-1}

    lambda = 0 gives the one-step TD error, lambda = 1 the Monte Carlo return minus V(s_t).
    A truncated step keeps its bootstrap V(s'_t) in delta but stops the sum.

    Args:
        rewards, terminated, truncated: (T, N) arrays (or (T,)).
        values: V(s_t), (T, N).
        next_values: V(s'_t), (T, N): the value of the state each step led to (the final
            observation of an episode that ended, not the next episode's first).
        gamma, gae_lambda: the discount and the GAE parameter, each in [0, 1].

    Returns:
        (advantages, returns), float32, the shape of ``rewards``.

    Example:
        >>> adv, ret = generalized_advantage_estimate(
        ...     [1.0, 1.0], [0.5, 0.5], [0.5, 0.0], [0, 1], [0, 0], gamma=1.0, gae_lambda=1.0)
        >>> adv.tolist(), ret.tolist()
        ([1.5, 0.5], [2.0, 1.0])

    See the article docs/articles/learning/reinforcement_learning.py.
    """
    squeeze = np.ndim(rewards) == 1
    r = _as_float("rewards", rewards)
    v = _as_float("values", values, r.shape)
    v_next = _as_float("next_values", next_values, r.shape)
    term = _as_float("terminated", terminated, r.shape)
    trunc = _as_float("truncated", truncated, r.shape)
    delta = r + gamma * (1 - term) * v_next - v
    keep = gamma * gae_lambda * (1 - np.maximum(term, trunc))
    advantages = np.zeros_like(r)
    following = np.zeros(r.shape[1])
    for t in reversed(range(len(r))):
        following = delta[t] + keep[t] * following
        advantages[t] = following
    returns = advantages + v
    if squeeze:
        return advantages[:, 0].astype(np.float32), returns[:, 0].astype(np.float32)
    return advantages.astype(np.float32), returns.astype(np.float32)
