"""PPO on CartPole-v1: abinitio against Stable-Baselines3 (PyTorch), in one process.

The same network (separate 64-64 tanh actor and critic, orthogonal initialisation), the
same hyper-parameters (RL Baselines3 Zoo's CartPole recipe: 8 environments x 32 steps,
one minibatch of 256, 20 epochs, gamma 0.98, GAE lambda 0.8, lr 1e-3 falling linearly to
0, clip 0.2, no entropy bonus, value coefficient 0.5, gradient norm 0.5) and
single-threaded maths on both sides (torch.set_num_threads(1); abinitio limits BLAS to one
thread while an agent learns), as recommended for policies this small.

Two figures:
  * environment steps per second while training (collection and updates together),
    interleaved rounds, medians, the ratio per round;
  * wall time to solve: train until the greedy policy scores >= 475 (checked every
    10,240 steps on 20 episodes, confirmed on 100); evaluation time is not counted.

    python benchmarks/bench_rl.py [--steps 20480 --rounds 3 --solve-seeds 0 1]
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import machine, save

CHECK_EVERY = 10_240
BUDGET = 150_000
TIMER = time.perf_counter  # main() switches to time.process_time with --cpu-time


def sb3_model(seed: int, total: int):
    import torch
    from stable_baselines3 import PPO as SB3PPO
    from stable_baselines3.common.env_util import make_vec_env

    torch.set_num_threads(1)
    env = make_vec_env("CartPole-v1", n_envs=8, seed=seed)

    def linear(progress_remaining: float) -> float:
        return 1e-3 * progress_remaining

    policy_kwargs = {"net_arch": {"pi": [64, 64], "vf": [64, 64]}, "activation_fn": torch.nn.Tanh}
    return SB3PPO("MlpPolicy", env, n_steps=32, batch_size=256, n_epochs=20, gamma=0.98,
                  gae_lambda=0.8, learning_rate=linear, clip_range=0.2, ent_coef=0.0,
                  vf_coef=0.5, max_grad_norm=0.5, policy_kwargs=policy_kwargs, seed=seed,
                  device="cpu", verbose=0)  # fmt: skip


def sb3_greedy_mean(model, episodes: int) -> float:
    from stable_baselines3.common.evaluation import evaluate_policy

    mean, _ = evaluate_policy(model, model.get_env(), n_eval_episodes=episodes,
                              deterministic=True)  # fmt: skip
    return float(mean)


def abinitio_train(steps: int, seed: int = 0) -> None:
    from abinitio.rl import PPO

    PPO("CartPole-v1", seed=seed).learn(steps)


def sb3_train(steps: int, seed: int = 0) -> None:
    sb3_model(seed, steps).learn(steps)


def throughput(steps: int, rounds: int, clock=time.perf_counter) -> dict:
    """Steps per second of ``clock``: wall time on a quiet machine; process CPU time
    (``time.process_time``, both sides single-threaded) on a shared one, where wall time
    mostly measures the other users."""
    samples = {"stable-baselines3": [], "abinitio": []}
    runs = {"stable-baselines3": sb3_train, "abinitio": abinitio_train}
    names = list(runs)
    sb3_train(256)  # imports and first calls outside the timing
    abinitio_train(256)
    for r in range(rounds):
        for name in names[r % 2 :] + names[: r % 2]:
            time.sleep(0.5)
            start = clock()
            runs[name](steps, seed=r)
            samples[name].append(steps / (clock() - start))
    ratios = [a / b for a, b in zip(samples["abinitio"], samples["stable-baselines3"])]
    return {"steps": steps, "rounds": rounds, "clock": clock.__name__,
            "steps_per_second": samples,
            "median_steps_per_second": {k: statistics.median(v) for k, v in samples.items()},
            "ratio_abinitio_over_sb3": statistics.median(ratios)}  # fmt: skip


def abinitio_time_to_solve(seed: int) -> dict:
    from abinitio.rl import PPO, evaluate

    agent = PPO("CartPole-v1", seed=seed)
    clock = {"train": 0.0, "last": TIMER(), "next": CHECK_EVERY, "solved": None}

    def check(a):
        if a.global_step < clock["next"]:
            return True
        clock["train"] += TIMER() - clock["last"]
        clock["next"] += CHECK_EVERY
        solved = evaluate(a, 20)["mean"] >= 475 and evaluate(a, 100)["mean"] >= 475
        clock["last"] = TIMER()
        if solved:
            clock["solved"] = a.global_step
        return not solved

    agent.learn(BUDGET, callback=check)
    return {"seconds": clock["train"], "solved_at_step": clock["solved"]}


def sb3_time_to_solve(seed: int) -> dict:
    from stable_baselines3.common.callbacks import BaseCallback

    model = sb3_model(seed, BUDGET)
    clock = {"train": 0.0, "last": TIMER(), "next": CHECK_EVERY, "solved": None}

    class Check(BaseCallback):
        def _on_step(self) -> bool:
            if self.num_timesteps < clock["next"]:
                return True
            clock["train"] += TIMER() - clock["last"]
            clock["next"] += CHECK_EVERY
            solved = sb3_greedy_mean(model, 20) >= 475 and sb3_greedy_mean(model, 100) >= 475
            clock["last"] = TIMER()
            if solved:
                clock["solved"] = self.num_timesteps
            return not solved

    model.learn(BUDGET, callback=Check())
    return {"seconds": clock["train"], "solved_at_step": clock["solved"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_480)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--solve-seeds", type=int, nargs="*", default=[0])
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with process CPU time (a shared, loaded machine)")
    args = parser.parse_args()
    global TIMER
    clock = TIMER = time.process_time if args.cpu_time else time.perf_counter
    result = {"machine": machine(), "throughput": throughput(args.steps, args.rounds, clock)}
    print(f"saved {save('rl', result)}")
    t = result["throughput"]
    print(f"steps/s: abinitio {t['median_steps_per_second']['abinitio']:.0f}, "
          f"SB3 {t['median_steps_per_second']['stable-baselines3']:.0f}, "
          f"ratio {t['ratio_abinitio_over_sb3']:.2f}x", flush=True)  # fmt: skip
    solve = []
    for seed in args.solve_seeds:
        row = {"seed": seed, "abinitio": abinitio_time_to_solve(seed),
               "stable-baselines3": sb3_time_to_solve(seed)}  # fmt: skip
        print(row, flush=True)
        solve.append(row)
    result["time_to_solve"] = solve
    ratios = [r["stable-baselines3"]["seconds"] / r["abinitio"]["seconds"] for r in solve
              if r["abinitio"]["solved_at_step"] and r["stable-baselines3"]["solved_at_step"]]
    if ratios:
        result["time_to_solve_ratio_sb3_over_abinitio"] = statistics.median(ratios)
        print(f"time to solve: SB3 / abinitio = {statistics.median(ratios):.2f}x")
    print(f"saved {save('rl', result)}")


if __name__ == "__main__":
    main()
