"""``abinitio rl train|evaluate|play``: train an agent on a Gymnasium task, score it, watch it.

A run directory holds ``checkpoint.safetensors`` (policy, optimiser, replay buffer, random
states and environment states: ``--resume`` continues bit for bit), ``metrics.json``
(every training episode, every update's losses, the greedy evaluation), ``episode.gif``
(one rendered greedy episode) and ``report.html``.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time

import numpy as np

from abinitio.cli.options import UsageError

ALGOS = ("ppo", "a2c", "dqn", "reinforce")
DEFAULT_STEPS = {"ppo": 100_000, "a2c": 500_000, "dqn": 50_000, "reinforce": 300_000}
SMOOTH = 20  # episodes in the moving average of the report and the progress bar


def add_parser(commands) -> None:
    """The ``rl`` subcommand and its three actions."""
    rl = commands.add_parser("rl", help="reinforcement learning on Gymnasium environments")
    actions = rl.add_subparsers(dest="rl_command", metavar="ACTION", required=True)
    train = actions.add_parser("train", help="train an agent; leave a run directory")
    train.add_argument("--env", default="CartPole-v1", help="a Gymnasium id (CartPole-v1)")
    train.add_argument("--algo", default="ppo", help="ppo, a2c, dqn or reinforce")
    train.add_argument("--steps", type=int, help="environment steps (default per algorithm)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--num-envs", type=int, help="parallel copies of the environment")
    train.add_argument("--lr", type=float, help="learning rate")
    train.add_argument("--eval-episodes", type=int, default=100, help="greedy episodes at the end")
    train.add_argument("--out", help="run directory (default runs/rl-<env>-<algo>-<time>)")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument("--no-render", action="store_true", help="no rendered episode")
    evaluate = actions.add_parser("evaluate", help="greedy mean return of a trained agent")
    evaluate.add_argument("run_dir")
    evaluate.add_argument("--episodes", type=int, default=100)
    evaluate.add_argument("--seed", type=int, default=10_000)
    play = actions.add_parser("play", help="render greedy episodes into an animated GIF")
    play.add_argument("run_dir")
    play.add_argument("--episodes", type=int, default=1)
    play.add_argument("--seed", type=int, default=10_000)
    play.add_argument("--output", help="the GIF to write (default RUN_DIR/episode.gif)")


def run(args) -> int:
    return {"train": train, "evaluate": evaluate, "play": play}[args.rl_command](args)


# ---- train ---------------------------------------------------------------------------------


def _make_agent(args):
    from abinitio.rl import ALGORITHMS, UnsupportedEnvironmentError

    if args.algo not in ALGORITHMS:
        raise UsageError(f"--algo: expected one of {', '.join(ALGOS)}, got {args.algo!r}")
    for name in ("steps", "num_envs", "eval_episodes"):
        value = getattr(args, name)
        if value is not None and value < 1:
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag}: expected a positive integer, got {value}")
    if args.lr is not None and not args.lr > 0:
        raise UsageError(f"--lr: expected a positive number, got {args.lr}")
    overrides = {}
    if args.num_envs is not None:
        overrides["num_envs"] = args.num_envs
    if args.lr is not None:
        overrides["learning_rate"] = args.lr
    try:
        return ALGORITHMS[args.algo](args.env, seed=args.seed, **overrides)
    except (UnsupportedEnvironmentError, ValueError) as error:
        raise UsageError(str(error)) from None


def _load(run_dir: str):
    from abinitio.rl import load_agent
    from abinitio.serialization import CheckpointError

    try:
        return load_agent(run_dir)
    except (FileNotFoundError, CheckpointError, KeyError) as error:
        raise UsageError(f"cannot load an agent from {run_dir!r}: {error}") from None


class _Progress:
    """A tqdm bar over environment steps showing the smoothed episode return."""

    def __init__(self, total: int, start: int, enabled: bool) -> None:
        self.bar = None
        if enabled and sys.stderr.isatty():
            try:
                from tqdm.auto import tqdm
            except ImportError:
                return
            self.bar = tqdm(total=total, initial=start, unit="step", dynamic_ncols=True)

    def __call__(self, agent) -> None:
        if self.bar is not None:
            self.bar.update(agent.global_step - self.bar.n)
            self.bar.set_postfix(episodes=len(agent.episodes),
                                 ret=f"{agent.mean_return(SMOOTH):.1f}", refresh=False)  # fmt: skip

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def train(args) -> int:
    from abinitio.rl import evaluate as evaluate_agent
    from abinitio.training import TrainingInterrupted

    if args.resume:
        run_dir, agent = args.resume, _load(args.resume)
        total = args.steps or agent.total_steps
    else:
        agent = _make_agent(args)
        total = args.steps or DEFAULT_STEPS[args.algo]
        stamp = time.strftime("%Y%m%d-%H%M%S")
        run_dir = args.out or os.path.join("runs", f"rl-{args.env}-{args.algo}-{stamp}")
        if os.path.exists(os.path.join(run_dir, "checkpoint.safetensors")):
            raise UsageError(f"{run_dir!r} already holds a run; choose another --out, or "
                             f"continue it with --resume {run_dir}")  # fmt: skip
    os.makedirs(run_dir, exist_ok=True)
    _remove_temporaries(run_dir)
    print(f"run directory: {run_dir}")
    print(f"{agent.algo} on {agent.env_id}, {total:,} steps, seed {agent.seed}")
    progress = _Progress(total, agent.global_step, not args.no_progress)
    started = time.perf_counter()
    try:
        agent.learn(total, callback=progress, checkpoint_dir=run_dir)
    except KeyboardInterrupt:
        progress.close()
        agent.save_checkpoint(run_dir)
        raise TrainingInterrupted(
            f"interrupted at step {agent.global_step:,}; continue with: "
            f"abinitio rl train --resume {run_dir}"
        ) from None
    progress.close()
    seconds = time.perf_counter() - started
    result = evaluate_agent(agent, episodes=args.eval_episodes)
    print(f"training: {len(agent.episodes):,} episodes in {seconds:.1f} s, mean return of "
          f"the last 100: {agent.mean_return(100):.1f}")  # fmt: skip
    print(f"greedy evaluation over {len(result['returns'])} episodes: "
          f"{result['mean']:.1f} +- {result['std']:.1f}")  # fmt: skip
    metrics = {"algo": agent.algo, "env": agent.env_id, "seed": agent.seed,
               "steps": agent.global_step, "seconds": seconds, "evaluation": result,
               "episodes": agent.episodes, "history": agent.history}  # fmt: skip
    _write_json(os.path.join(run_dir, "metrics.json"), metrics)
    gif = None if args.no_render else render_gif(agent, os.path.join(run_dir, "episode.gif"))
    path = write_report(run_dir, metrics, gif)
    print(f"report: {path}")
    return 0


def _remove_temporaries(run_dir: str) -> None:
    """Remove the temporary files that writes cut short by a kill left behind (found by
    scripts/kill_anywhere.py: a ``.metrics.json.*.tmp`` stayed after the resumed run)."""
    from abinitio.serialization import temporaries

    for path in temporaries(run_dir):
        os.remove(path)


# ---- evaluate and play ---------------------------------------------------------------------


def evaluate(args) -> int:
    from abinitio.rl import evaluate as evaluate_agent

    if args.episodes < 1:
        raise UsageError(f"--episodes: expected a positive integer, got {args.episodes}")
    agent = _load(args.run_dir)
    result = evaluate_agent(agent, episodes=args.episodes, seed=args.seed)
    returns = np.asarray(result["returns"])
    print(f"{args.run_dir}: {agent.algo} on {agent.env_id} after {agent.global_step:,} steps")
    print(f"greedy return over {len(returns)} episodes: {returns.mean():.1f} +- "
          f"{returns.std():.1f} (min {returns.min():.1f}, max {returns.max():.1f}), mean "
          f"length {np.mean(result['lengths']):.1f}")  # fmt: skip
    return 0


def play(args) -> int:
    if args.episodes < 1:
        raise UsageError(f"--episodes: expected a positive integer, got {args.episodes}")
    agent = _load(args.run_dir)
    output = args.output or os.path.join(args.run_dir, "episode.gif")
    gif = render_gif(agent, output, episodes=args.episodes, seed=args.seed)
    print(f"{args.episodes} episode(s), returns {', '.join(f'{r:.1f}' for r in gif['returns'])}: "
          f"{output}")  # fmt: skip
    metrics_path = os.path.join(args.run_dir, "metrics.json")
    if os.path.exists(metrics_path):
        with open(metrics_path, encoding="utf-8") as file:
            print(f"report: {write_report(args.run_dir, json.load(file), gif)}")
    return 0


def render_gif(agent, path: str, episodes: int = 1, seed: int = 10_000,
               max_frames: int = 300) -> dict:  # fmt: skip
    """Play greedy episodes with ``render_mode="rgb_array"`` and write them as a GIF.

    Long episodes keep every k-th frame so that the file has at most ``max_frames``."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # pygame draws off screen
    from PIL import Image

    from abinitio.rl.envs import make_env

    env = make_env(agent.env_id, render_mode="rgb_array", **agent.env_options())
    _copy_single_normalization(agent, env)
    frames, returns = [], []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        done, total = False, 0.0
        while not done:
            frames.append(env.render())
            action = agent.act(np.asarray(obs, np.float32)[None], deterministic=True)[0]
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    env.close()
    keep = frames[:: max(1, -(-len(frames) // max_frames))]
    images = [Image.fromarray(frame).quantize(64) for frame in keep]
    images[0].save(path, save_all=True, append_images=images[1:], duration=40, loop=0)
    return {"path": path, "returns": returns, "frames": len(frames)}


def _copy_single_normalization(agent, env) -> None:
    from abinitio.rl.envs import _chain

    for source in _chain(agent.envs.envs[0]):
        if hasattr(source, "obs_rms"):
            for target in _chain(env):
                if hasattr(target, "obs_rms"):
                    target.obs_rms = source.obs_rms
                    target.update_running_mean = False


# ---- the report ----------------------------------------------------------------------------


def _write_json(path: str, payload: dict) -> None:
    from pathlib import Path

    from abinitio.serialization import write_atomically

    text = json.dumps(payload, indent=1)
    write_atomically(path, lambda temporary: Path(temporary).write_text(text, "utf-8"))


def smoothed(values, window: int = SMOOTH) -> np.ndarray:
    """The mean of the last ``window`` values at each point (fewer at the start)."""
    values = np.asarray(values, dtype=np.float64)
    sums = np.cumsum(np.concatenate([[0.0], values]))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (sums[1:] - sums[np.arange(len(values)) + 1 - counts]) / counts


def _figures(metrics: dict):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    episodes, history = metrics["episodes"], metrics["history"]
    steps = [e["step"] for e in episodes]
    returns = [e["return"] for e in episodes]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    axes[0].plot(steps, returns, alpha=0.3, label="episode return")
    axes[0].plot(steps, smoothed(returns), label=f"mean of the last {SMOOTH}")
    axes[0].set(xlabel="environment step", ylabel="return", title="episode returns")
    axes[0].legend()
    axes[1].plot(steps, [e["length"] for e in episodes], ".", markersize=2)
    axes[1].set(xlabel="environment step", ylabel="length", title="episode lengths")
    fig.tight_layout()
    names = [n for n in ("loss", "policy_loss", "value_loss", "entropy", "epsilon", "q_mean")
             if history and n in history[-1]]  # fmt: skip
    losses = None
    if names:
        losses, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3), squeeze=False)
        for ax, name in zip(axes[0], names):
            rows = [h for h in history if name in h]
            ax.plot([h["step"] for h in rows], [h[name] for h in rows])
            ax.set(xlabel="environment step", title=name.replace("_", " "))
        losses.tight_layout()
    return fig, losses


def write_report(run_dir: str, metrics: dict, gif: dict | None) -> str:
    from abinitio.viz.report import Section
    from abinitio.viz.report import write_report as write_html

    returns_figure, losses_figure = _figures(metrics)
    evaluation = metrics["evaluation"]
    sections = [Section("Episode returns and lengths", figure=returns_figure)]
    if losses_figure is not None:
        sections.append(Section("Losses and entropy", figure=losses_figure))
    if gif is not None and os.path.exists(gif["path"]):
        with open(gif["path"], "rb") as file:
            data = base64.b64encode(file.read()).decode("ascii")
        returns = ", ".join(f"{r:.1f}" for r in gif["returns"])
        sections.append(Section(f"A greedy episode (return {returns})",
                                html=f'<figure><img src="data:image/gif;base64,{data}" '
                                     f'alt="rendered episode"></figure>'))  # fmt: skip
    summary = {"environment": metrics["env"], "algorithm": metrics["algo"],
               "seed": metrics["seed"], "environment steps": metrics["steps"],
               "training episodes": len(metrics["episodes"]),
               "greedy mean return": f"{evaluation['mean']:.1f} +- {evaluation['std']:.1f} "
                                     f"({len(evaluation['returns'])} episodes)",
               "wall time (s)": round(metrics["seconds"], 1)}  # fmt: skip
    path = os.path.join(run_dir, "report.html")
    title = f"{metrics['algo']} on {metrics['env']}"
    write_html(path, title=title, summary=summary, history=[], extra_sections=sections)
    return path


