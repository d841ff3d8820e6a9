"""What every agent shares: its environments, seeding, the training loop's bookkeeping,
greedy evaluation and atomic checkpoints that resume a run bit for bit.

An algorithm (``ppo.py``, ``a2c.py``, ``reinforce.py``, ``dqn.py``) subclasses
:class:`Agent` and writes three things: ``build`` (its networks and optimiser), ``train_step``
(collect experience, update, return the losses) and ``act`` (actions for observations).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import time

import numpy as np

import abinitio as ab
from abinitio.rl import envs as rl_envs
from abinitio.serialization import CheckpointError, load, save

CHECKPOINT = "checkpoint.safetensors"


@contextlib.contextmanager
def single_threaded_blas():
    """Run NumPy's BLAS on one thread inside the block (threadpoolctl, when installed).

    An agent's matrices are tiny ((256, 64) @ (64, 64)): splitting them over threads costs
    more in synchronisation than it saves, and on a busy machine it costs far more (a
    PPO update measured 15x slower with OpenBLAS's default threads under load).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - the rl extra installs it
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


class Agent:
    """The base of the RL algorithms: environments, seeds, ``learn``, checkpoints.

    Seeding: ``seed`` seeds abinitio's default generator (the weights), the agent's own
    :class:`~abinitio.random.Generator` (action sampling, exploration, minibatches) and
    environment i with ``seed + i``, so one seed gives one run, bit for bit, on one machine.

    Attributes:
        envs: the Gymnasium SyncVectorEnv the agent trains in.
        global_step: environment steps taken so far (summed over the copies).
        episodes: one ``{"step", "return", "length"}`` dict per finished training episode.
        history: one dict of losses and statistics per update.

    See the article docs/articles/learning/reinforcement_learning.py.
    """

    algo = ""
    config_class = None

    def __init__(self, env_id: str, config=None, seed: int = 0, **overrides) -> None:
        if config is None:
            config = self.config_class.for_env(env_id)
        if isinstance(config, dict):
            config = self.config_class(**config)
        self.config = dataclasses.replace(config, **overrides)
        self.env_id, self.seed = env_id, int(seed)
        self.envs = rl_envs.make_vector_env(env_id, self.config.num_envs, **self.env_options())
        rl_envs.check_action_space(self.algo, self.envs.single_action_space)
        self.obs_shape = self.envs.single_observation_space.shape
        self.action_space = self.envs.single_action_space
        ab.manual_seed(self.seed)
        self.generator = ab.random.Generator(self.seed)
        self.build()
        self.next_obs, _ = self.envs.reset(seed=self.seed)
        self.global_step, self.updates, self.total_steps = 0, 0, 0
        self.episodes, self.history = [], []

    @property
    def rng(self) -> np.random.Generator:
        """The NumPy generator behind ``self.generator`` (restoring a state replaces it)."""
        return self.generator.numpy

    # ---- what an algorithm writes -------------------------------------------------------

    def build(self) -> None:
        raise NotImplementedError

    def train_step(self) -> dict:
        raise NotImplementedError

    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        raise NotImplementedError

    def modules(self) -> dict:
        """name -> Module or Optimizer whose state a checkpoint keeps."""
        raise NotImplementedError

    # ---- shared machinery ---------------------------------------------------------------

    def env_options(self) -> dict:
        c = self.config
        return {"normalize_observation": getattr(c, "normalize_observation", False),
                "normalize_reward": getattr(c, "normalize_reward", False),
                "gamma": c.gamma}  # fmt: skip

    def step_envs(self, actions: np.ndarray):
        """One step of every copy; records finished episodes. Returns the Gymnasium tuple
        with ``real_next_obs`` (``final_obs`` where an episode ended) added."""
        next_obs, rewards, terminated, truncated, infos = self.envs.step(actions)
        done = terminated | truncated
        real_next = rl_envs.true_next_obs(next_obs, infos, done)
        self.global_step += self.envs.num_envs
        for episode_return, length in rl_envs.finished_episodes(infos):
            self.episodes.append({"step": self.global_step, "return": episode_return,
                                  "length": length})  # fmt: skip
        return next_obs, rewards, terminated, truncated, real_next

    def learn(self, total_steps: int, callback=None, checkpoint_dir=None,
              checkpoint_every: float = 60.0):  # fmt: skip
        """Train until ``global_step >= total_steps``.

        Args:
            total_steps: environment steps in all (a resumed run continues towards it).
            callback: called as ``callback(agent)`` after every update; return False to stop.
            checkpoint_dir: where to write ``checkpoint.safetensors`` (atomically), every
                ``checkpoint_every`` seconds and at the end.
        """
        self.total_steps = int(total_steps)
        with single_threaded_blas():
            self._learn(callback, checkpoint_dir, checkpoint_every)
        return self

    def _learn(self, callback, checkpoint_dir, checkpoint_every) -> None:
        last_save = time.monotonic()
        while self.global_step < self.total_steps:
            record = self.train_step()
            self.updates += 1
            record = {"update": self.updates, "step": self.global_step, **record}
            self.history.append({k: float(v) for k, v in record.items()})
            if checkpoint_dir and time.monotonic() - last_save > checkpoint_every:
                self.save_checkpoint(checkpoint_dir)
                last_save = time.monotonic()
            if callback is not None and callback(self) is False:
                break
        if checkpoint_dir:
            self.save_checkpoint(checkpoint_dir)

    def mean_return(self, last: int = 100) -> float:
        """The mean raw return of the last ``last`` training episodes (NaN before any)."""
        returns = [e["return"] for e in self.episodes[-last:]]
        return float(np.mean(returns)) if returns else math.nan

    # ---- checkpoints ----------------------------------------------------------------------

    def state_dict(self) -> dict:
        state = {name: m.state_dict() for name, m in self.modules().items()}
        return {
            "algo": self.algo, "env_id": self.env_id, "seed": self.seed,
            "config": dataclasses.asdict(self.config), "modules": state,
            "generator": self.generator.get_state(), "rng": ab.random.get_rng_state(),
            "env_state": rl_envs.get_env_state(self.envs), "next_obs": self.next_obs,
            "counters": {"global_step": self.global_step, "updates": self.updates,
                         "total_steps": self.total_steps},
            "episodes": self.episodes, "history": self.history, "extra": self.extra_state(),
        }  # fmt: skip

    def extra_state(self) -> dict:
        return {}

    def load_extra_state(self, state: dict) -> None:
        pass

    def load_state_dict(self, state: dict) -> None:
        for name, module in self.modules().items():
            module.load_state_dict(state["modules"][name])
        self.generator.set_state(state["generator"])
        ab.random.set_rng_state(state["rng"])
        rl_envs.set_env_state(self.envs, state["env_state"])
        self.next_obs = np.array(state["next_obs"].numpy())
        counters = state["counters"]
        self.global_step, self.updates = counters["global_step"], counters["updates"]
        self.total_steps = counters["total_steps"]
        self.episodes, self.history = list(state["episodes"]), list(state["history"])
        self.load_extra_state(state["extra"])

    def save_checkpoint(self, directory) -> str:
        """Write the whole training state to ``directory/checkpoint.safetensors`` atomically."""
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, CHECKPOINT)
        save(self.state_dict(), path)
        return path


def _algorithms() -> dict:
    from abinitio.rl.a2c import A2C
    from abinitio.rl.dqn import DQN
    from abinitio.rl.ppo import PPO
    from abinitio.rl.reinforce import REINFORCE

    return {"ppo": PPO, "a2c": A2C, "dqn": DQN, "reinforce": REINFORCE}


def load_agent(path) -> Agent:
    """An agent restored from a checkpoint file (or a directory holding one), ready to
    ``learn`` on from where it stopped or to ``act``."""
    if os.path.isdir(path):
        path = os.path.join(path, CHECKPOINT)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path!r}")
    state = load(path)
    if not isinstance(state, dict) or not isinstance(state.get("algo"), str) or (
        state["algo"] not in _algorithms()
    ):
        raise CheckpointError(f"{path}: not an agent's checkpoint (algo is not one of "
                              f"{', '.join(_algorithms())})")  # fmt: skip
    agent_class = _algorithms()[state["algo"]]
    config = _checked_config(agent_class.config_class, state.get("config"), path)
    env_id, seed = state.get("env_id"), state.get("seed")
    if not isinstance(env_id, str) or isinstance(seed, bool) or not isinstance(seed, int):
        raise CheckpointError(f"{path}: env_id must be a string and seed an integer")
    try:
        agent = agent_class(env_id, config, seed=seed)
        agent.load_state_dict(state)
    except (KeyError, IndexError, TypeError, ValueError, RuntimeError, AttributeError,
            ArithmeticError, *_gymnasium_errors()) as error:  # fmt: skip
        # the checkpoint's pieces do not fit the agent it names (found by scripts/fuzz.py)
        message = f"{path}: the checkpoint does not fit a {state['algo']} agent on {env_id[:80]}"
        raise CheckpointError(f"{message}: {type(error).__name__}: {str(error)[:300]}") from None
    return agent


MAX_SIZE = 10**6  # the largest count a checkpoint's config may hold (recipes: <= 100,000)
MAX_ENVS = 256


def _checked_config(config_class, values, path):
    """``config_class(**values)`` when every value has its field's type and a sane size
    (missing fields take their defaults): a damaged checkpoint must not build a million
    environments or a 100 GB buffer (found by scripts/fuzz.py)."""
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    if not isinstance(values, dict) or not set(values) <= set(fields):
        raise CheckpointError(f"{path}: config must hold fields of {config_class.__name__} "
                              "only")  # fmt: skip

    def fits(name, value, default) -> bool:
        if isinstance(default, bool) or isinstance(value, bool):
            return isinstance(value, bool) and isinstance(default, bool)
        if isinstance(default, int):
            high = MAX_ENVS if name == "num_envs" else MAX_SIZE
            return isinstance(value, int) and -1 <= value <= high
        if isinstance(default, float) or default is None:
            if value is None:
                return default is None or name == "max_grad_norm"
            return isinstance(value, (int, float)) and math.isfinite(value)
        if isinstance(default, str):
            return isinstance(value, str) and len(value) < 100
        if isinstance(default, tuple):  # hidden widths
            return (isinstance(value, (tuple, list)) and 0 < len(value) <= 8
                    and all(fits(name, v, 1) and 1 <= v <= 4096 for v in value))  # fmt: skip
        return False

    for name, field in fields.items():
        if name not in values:  # a field added since the checkpoint was written: its default
            continue
        default = field.default if field.default is not dataclasses.MISSING else (
            field.default_factory() if field.default_factory is not dataclasses.MISSING else None
        )  # fmt: skip
        if not fits(name, values[name], default):
            raise CheckpointError(f"{path}: config {name} = {str(values[name])[:50]} is not "
                                  f"a valid {config_class.__name__} value")  # fmt: skip
    if values.get("num_envs", 1) < 1:
        raise CheckpointError(f"{path}: config num_envs must be at least 1")
    return config_class(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def _gymnasium_errors() -> tuple:
    import gymnasium

    return (gymnasium.error.Error,)


def evaluate(agent: Agent, episodes: int = 100, seed: int = 10_000,
             deterministic: bool = True) -> dict:  # fmt: skip
    """Run ``episodes`` episodes with the agent's (greedy) policy; no learning.

    Every copy of the environment runs the same number of episodes, so short episodes are
    not over-counted. Observation statistics (if normalised) are copied from training and
    frozen.

    Returns:
        ``{"returns": [...], "lengths": [...], "mean": ..., "std": ...}``.

    See the article docs/articles/learning/reinforcement_learning.py.
    """
    if int(episodes) < 1:
        raise ValueError(f"evaluate: episodes must be at least 1, got {episodes}")
    num_envs = min(int(episodes), 20)
    per_env = -(-int(episodes) // num_envs)
    envs = rl_envs.make_vector_env(agent.env_id, num_envs, **agent.env_options())
    rl_envs.copy_normalization(agent.envs, envs)
    obs, _ = envs.reset(seed=seed)
    results = [[] for _ in range(num_envs)]
    with single_threaded_blas():
        _run_episodes(agent, envs, obs, results, per_env, deterministic)
    envs.close()
    flat = [pair for env_results in results for pair in env_results[:per_env]][: int(episodes)]
    returns = [r for r, _ in flat]
    return {"returns": returns, "lengths": [n for _, n in flat],
            "mean": float(np.mean(returns)), "std": float(np.std(returns))}  # fmt: skip


def _run_episodes(agent, envs, obs, results, per_env, deterministic) -> None:
    while min(len(r) for r in results) < per_env:
        action = agent.act(obs, deterministic=deterministic)
        obs, _, _, _, infos = envs.step(action)
        final = infos.get("final_info", {})
        if "episode" in final:
            for i in np.flatnonzero(final["_episode"]):
                episode = final["episode"]
                results[i].append((float(episode["r"][i]), int(episode["l"][i])))
