"""The long runs behind the README's reinforcement-learning table: every task of issue 16
for several seeds, each run in its own process, results appended to a JSON file as they
finish (so an interrupted sweep keeps what it has).

    nice -n 10 python scripts/rl_seeds.py --seeds 0 1 2 3 4 --workers 2 \\
        --output scripts/results/rl_seeds.json
    python scripts/rl_seeds.py --table scripts/results/rl_seeds.json   # the README's table

Tasks (the issue's criteria):
  ppo-cartpole       PPO, 100,000 steps, solved if the greedy mean over 100 episodes >= 475
  dqn-cartpole       DQN, 150,000 steps at most, the same criterion
  reinforce-cartpole REINFORCE with baseline, solved if the training mean of 100 episodes
                     reaches 475 within 1,000 episodes
  ppo-acrobot        PPO, greedy mean >= -100
  ppo-pendulum       PPO (Gaussian policy), greedy mean >= -300
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time

import numpy as np

TASKS = {
    "ppo-cartpole": ("ppo", "CartPole-v1", 100_000, 475.0),
    "dqn-cartpole": ("dqn", "CartPole-v1", 150_000, 475.0),
    "reinforce-cartpole": ("reinforce", "CartPole-v1", 1000, 475.0),  # an episode budget
    "ppo-acrobot": ("ppo", "Acrobot-v1", 200_000, -100.0),
    "ppo-pendulum": ("ppo", "Pendulum-v1", 200_000, -300.0),
}


def run(task: str, seed: int) -> dict:
    from abinitio.rl import ALGORITHMS, evaluate

    algo, env_id, budget, threshold = TASKS[task]
    started, cpu_started = time.perf_counter(), time.process_time()
    agent = ALGORITHMS[algo](env_id, seed=seed)
    record = {"task": task, "seed": seed, "algo": algo, "env": env_id}
    if algo == "reinforce":  # until the training mean of 100 episodes passes, or the budget

        def stop(a):
            return not (len(a.episodes) >= budget or
                        (len(a.episodes) >= 100 and a.mean_return(100) >= threshold))  # fmt: skip

        agent.learn(10**9, callback=stop)
        solved_at = next((i + 1 for i in range(99, len(agent.episodes))
                          if sum(e["return"] for e in agent.episodes[i - 99 : i + 1]) / 100
                          >= threshold), None)  # fmt: skip
        record.update(episodes=len(agent.episodes), solved_at_episode=solved_at,
                      train_mean_100=agent.mean_return(100),
                      solved=solved_at is not None)  # fmt: skip
    else:
        # DQN: stop once the greedy policy is solved (checked every 10,000 steps on 20
        # episodes, then confirmed on the 100 of the final score; evaluation steps are not
        # training steps); PPO runs its budget
        def check(a):
            if algo != "dqn" or a.global_step < a.next_check:
                return True
            a.next_check += 10_000
            if evaluate(a, episodes=20, seed=50_000)["mean"] < threshold:
                return True
            return evaluate(a, episodes=100)["mean"] < threshold  # confirmed: stop here

        agent.next_check = 10_000
        agent.learn(budget, callback=check)
        result = evaluate(agent, episodes=100)
        record.update(steps=agent.global_step, greedy_mean=result["mean"],
                      greedy_std=result["std"], solved=result["mean"] >= threshold)  # fmt: skip
    record["seconds"] = time.perf_counter() - started
    record["cpu_seconds"] = time.process_time() - cpu_started  # this worker's own CPU time
    return record


def _run(job):
    return run(*job)


def table(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        rows = [json.loads(line) for line in file if line.strip()]
    latest = {(r["task"], r["seed"]): r for r in rows}  # a seed run again: its last line
    lines = ["| task | seeds solved | mean ± sd | per seed | wall time per seed (median) |",
             "|---|---|---|---|---|"]  # fmt: skip
    for task in TASKS:
        runs = sorted((r for (t, _), r in latest.items() if t == task), key=lambda r: r["seed"])
        if not runs:
            continue
        if task.startswith("reinforce"):
            cells = [f"{r['seed']}: {r['solved_at_episode'] or 'not by ' + str(r['episodes'])}"
                     for r in runs]  # fmt: skip
            values = [r["solved_at_episode"] for r in runs if r["solved_at_episode"]]
            unit = " episodes (solved seeds)"
        else:
            cells = [f"{r['seed']}: {r['greedy_mean']:.0f} ({r['steps'] // 1000}k)" for r in runs]
            values, unit = [r["greedy_mean"] for r in runs], ""
        spread = f"{np.mean(values):.0f} ± {np.std(values):.0f}{unit}" if values else "-"
        solved = sum(r["solved"] for r in runs)
        timed = sorted(r["seconds"] for r in runs if r.get("seconds"))  # carried-over rows: None
        seconds = f"{timed[len(timed) // 2]:.0f} s" if timed else "-"
        lines.append(f"| {task} | {solved}/{len(runs)} | {spread} | {'; '.join(cells)} "
                     f"| {seconds} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="*", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--output", default="rl_seeds.json")
    parser.add_argument("--table", metavar="JSON", help="print the table of a finished sweep")
    args = parser.parse_args()
    if args.table:
        print(table(args.table))
        return
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    jobs = [(task, seed) for task in args.tasks for seed in args.seeds]
    with multiprocessing.Pool(args.workers) as pool:
        for record in pool.imap_unordered(_run, jobs):
            print(json.dumps(record), flush=True)
            with open(args.output, "a", encoding="utf-8") as file:
                file.write(json.dumps(record) + "\n")
    print(table(args.output))


if __name__ == "__main__":
    main()
