"""Gymnasium environments for the agents: creation, checks, seeding and saved state.

Every agent steps a ``gymnasium.vector.SyncVectorEnv`` of ``num_envs`` copies in
``SAME_STEP`` autoreset mode: when a copy's episode ends, ``step`` returns the first
observation of its next episode and puts the true last observation in
``info["final_obs"]``. So the next state of every transition is known (needed to bootstrap
a truncated episode and to fill a replay buffer), and no step is wasted on a reset.

Gymnasium is imported inside the functions: ``import abinitio`` does not need it.
"""

from __future__ import annotations

import numpy as np

# the algorithms that can act in each kind of action space
ALGORITHMS_FOR_SPACE = {
    "Discrete": ("ppo", "a2c", "dqn", "reinforce"),
    "Box": ("ppo", "a2c", "reinforce"),
}


class UnsupportedEnvironmentError(ValueError):
    """An environment that cannot be made or that the algorithm cannot act in.

    See the article docs/articles/learning/reinforcement_learning.py.
    """


def gymnasium():
    try:
        import gymnasium
    except ImportError as error:  # pragma: no cover - the rl extra installs it
        raise ImportError(
            "abinitio.rl needs Gymnasium: pip install 'abinitio[rl]'"
        ) from error
    return gymnasium


def check_env_id(env_id: str) -> None:
    """Raise a clear error for an id Gymnasium's registry does not know."""
    gym = gymnasium()
    if env_id not in gym.registry:
        close = [name for name in gym.registry if name.lower().startswith(env_id[:4].lower())]
        hint = f"; similar ids: {', '.join(sorted(close)[:6])}" if close else ""
        raise UnsupportedEnvironmentError(
            f"unknown Gymnasium environment {env_id!r} (for example CartPole-v1, "
            f"Acrobot-v1, Pendulum-v1, LunarLander-v3){hint}"
        )


def space_kind(space) -> str:
    return type(space).__name__


def check_action_space(algo: str, space) -> None:
    """Raise a clear error when ``algo`` cannot act in ``space``, naming those that can."""
    kind = space_kind(space)
    fits = ALGORITHMS_FOR_SPACE.get(kind, ())
    if algo in fits:
        if kind == "Box" and len(space.shape) != 1:
            raise UnsupportedEnvironmentError(
                f"{algo}: Box action spaces must be vectors, got {space}"
            )
        return
    names = ", ".join(fits) if fits else "none of ppo, a2c, dqn, reinforce"
    raise UnsupportedEnvironmentError(
        f"{algo} cannot act in the action space {space} ({kind}); algorithms for {kind} "
        f"spaces: {names}"
    )


def make_env(env_id: str, *, normalize_observation=False, normalize_reward=False,
             gamma: float = 0.99, render_mode: str | None = None):  # fmt: skip
    """One Gymnasium environment with episode statistics and optional normalisation.

    The wrappers are Gymnasium's own, innermost first: ``RecordEpisodeStatistics`` (so the
    recorded returns are the raw ones), ``NormalizeObservation`` (running mean and variance
    of the observations), ``NormalizeReward`` (rewards scaled by the running standard
    deviation of the discounted return).
    """
    gym = gymnasium()
    check_env_id(env_id)
    env = gym.make(env_id, render_mode=render_mode, disable_env_checker=True)
    env = gym.wrappers.RecordEpisodeStatistics(env)
    if normalize_observation:
        env = gym.wrappers.NormalizeObservation(env)
    if normalize_reward:
        env = gym.wrappers.NormalizeReward(env, gamma=gamma)
    return env


def make_vector_env(env_id: str, num_envs: int, **options):
    """``num_envs`` copies of :func:`make_env` in a SyncVectorEnv with SAME_STEP autoreset."""
    gym = gymnasium()
    check_env_id(env_id)
    if int(num_envs) < 1:
        raise ValueError(f"num_envs must be at least 1, got {num_envs}")

    def make():
        return make_env(env_id, **options)

    mode = gym.vector.AutoresetMode.SAME_STEP
    return gym.vector.SyncVectorEnv([make] * int(num_envs), autoreset_mode=mode)


def true_next_obs(next_obs: np.ndarray, infos: dict, done: np.ndarray) -> np.ndarray:
    """The observation each step really led to: ``final_obs`` where an episode ended
    (``next_obs`` then already holds the next episode's first observation)."""
    if not done.any():
        return next_obs
    real = next_obs.copy()
    for i in np.flatnonzero(done):
        real[i] = infos["final_obs"][i]
    return real


def finished_episodes(infos: dict) -> list[tuple[float, int]]:
    """(raw return, length) of each episode that ended in this step."""
    final = infos.get("final_info", {})
    if "episode" not in final:
        return []
    episode, mask = final["episode"], final["_episode"]
    return [(float(r), int(n)) for r, n in zip(episode["r"][mask], episode["l"][mask])]


# ---- saved state: what a checkpoint needs to continue a run bit for bit --------------------

_PLAIN = (np.ndarray, np.generic, bool, int, float)
_SKIP = {"_saved_kwargs", "_cached_spec", "spec", "metadata", "render_mode", "episode_start_time"}


def _plain_state(obj) -> dict:
    """The numbers an environment object holds (its physics state, counters, statistics)."""
    state = {}
    for name, value in vars(obj).items():
        if name in _SKIP:
            continue
        if isinstance(value, _PLAIN) or value is None:
            state[name] = value
        elif isinstance(value, np.random.Generator):
            state[name] = {"bit_generator": value.bit_generator.state}
        elif all(hasattr(value, a) for a in ("mean", "var", "count")):  # RunningMeanStd
            state[name] = {"mean": value.mean, "var": value.var, "count": value.count}
    return state


def _set_plain_state(obj, state: dict) -> None:
    for name, value in state.items():
        current = getattr(obj, name, None)
        if isinstance(current, np.random.Generator):
            current.bit_generator.state = value["bit_generator"]
        elif isinstance(value, dict):
            for key, item in value.items():
                setattr(current, key, _as_numpy(item))
        else:
            setattr(obj, name, _as_numpy(value))


def _as_numpy(value):
    return value.numpy() if hasattr(value, "numpy") else value


def _chain(env):
    """The environment and every wrapper under it, outermost first."""
    objects = [env]
    while hasattr(objects[-1], "env"):
        objects.append(objects[-1].env)
    return objects


def get_env_state(vector_env) -> dict:
    """Every number in the vector env and its copies (wrappers included), for a checkpoint.

    Classic-control environments keep their whole state in plain attributes (``state``,
    ``_elapsed_steps``, the running statistics, the random generator), so restoring them
    continues each episode exactly where it was. Environments that keep state in native
    objects (Box2D worlds, MuJoCo data) are not captured: a resumed run of those continues
    from restored weights, optimiser, buffers and counters, but not bit for bit.
    """
    return {
        "vector": _plain_state(vector_env),
        "envs": [[_plain_state(o) for o in _chain(env)] for env in vector_env.envs],
    }


def set_env_state(vector_env, state: dict) -> None:
    """Restore what :func:`get_env_state` returned into a fresh vector env of the same kind."""
    _set_plain_state(vector_env, state["vector"])
    for env, saved in zip(vector_env.envs, state["envs"]):
        for obj, values in zip(_chain(env), saved):
            _set_plain_state(obj, values)


def copy_normalization(source, target) -> None:
    """Give every copy in ``target`` the observation statistics of ``source``'s first copy,
    frozen (evaluation must not change them)."""
    for wrapper in _chain(source.envs[0]):
        if hasattr(wrapper, "obs_rms"):
            for env in target.envs:
                for other in _chain(env):
                    if hasattr(other, "obs_rms"):
                        other.obs_rms.mean = wrapper.obs_rms.mean.copy()
                        other.obs_rms.var = wrapper.obs_rms.var.copy()
                        other.obs_rms.count = wrapper.obs_rms.count
                        other.update_running_mean = False
