"""Two ranks of one thread against one process of two threads, on this machine.

The question for a 2-core machine: is it faster to run data-parallel training as two MPI
ranks, each with one BLAS thread and half of every batch (gradients averaged by
DistributedDataParallel), or as one process whose BLAS uses both cores? One process with
one thread is the baseline; every setting trains the same model on the same global batch.

    python benchmarks/bench_distributed.py [--rounds 3] [--steps 30] [--workloads mlp,lenet]

Each setting runs in fresh processes (ranks start through abinitio.distributed.launch,
loopback only), the settings interleave round by round, and the figure is the median
seconds per training step after a warm-up; for two ranks a step ends when both have
stepped (the slower rank's time, with the all-reduce). Results go to
results/bench_distributed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402

# name: (model builder in bench_train, global batch, input shape)
WORKLOADS = {
    "mlp": ("_mlp", 128, (784,)),
    "lenet": ("_lenet5", 64, (1, 28, 28)),
    "resnet8": ("_resnet8", 32, (3, 32, 32)),
}
SETTINGS = {  # name: (ranks, threads per rank)
    "1 process x 1 thread": (1, 1),
    "1 process x 2 threads": (1, 2),
    "2 ranks x 1 thread": (2, 1),
}


def build(name: str):
    import bench_train

    import abinitio as ab

    builder = getattr(bench_train, WORKLOADS[name][0])
    ab.manual_seed(0)
    if builder is bench_train._mlp:
        return builder(ab.nn, (784, 256, 128, 10))
    return builder(ab.nn)


def worker(name: str, steps: int, distributed: bool) -> None:
    """One process of a setting: time ``steps`` training steps, print seconds per step."""
    import bench_train

    import abinitio as ab

    model, rank, world = build(name), 0, 1
    if distributed:
        import abinitio.distributed as dist

        dist.init_process_group("mpi")
        rank, world = dist.get_rank(), dist.get_world_size()
        model = ab.nn.parallel.DistributedDataParallel(model)
    _, batch, shape = WORKLOADS[name]
    batches = bench_train._batches(4, batch // world, shape, 10, seed=rank)
    step = bench_train._sgd_step(ab, model, batches)
    for _ in range(3):
        step()
    if distributed:
        dist.barrier()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    if distributed:
        dist.barrier()  # the step is done when every rank is done
    seconds = (time.perf_counter() - started) / steps
    if rank == 0:
        print(json.dumps({"seconds_per_step": seconds}))


def run_setting(name: str, ranks: int, threads: int, steps: int) -> float:
    from abinitio.distributed import launch

    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    argv = [sys.executable, __file__, "--worker", name, "--steps", str(steps)]
    if ranks > 1:
        result = launch.run(ranks, [*argv, "--distributed"], env=env, capture_output=True,
                            text=True, timeout=600)  # fmt: skip
    else:
        result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{name} on {ranks} x {threads} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])["seconds_per_step"]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--workloads", default="mlp,lenet,resnet8")
    parser.add_argument("--worker")
    parser.add_argument("--distributed", action="store_true")
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.steps, args.distributed)
        return {}
    env = common.environment()
    print(f"CPU: {env['cpu']} ({env['cpus']} cores); BLAS: {env['blas']}")
    print(f"load average at start: {common.load_average():.2f}")
    results = {}
    for name in args.workloads.split(","):
        samples = {setting: [] for setting in SETTINGS}
        names = list(SETTINGS)
        for round_index in range(args.rounds):
            shift = round_index % len(names)
            for setting in names[shift:] + names[:shift]:
                ranks, threads = SETTINGS[setting]
                samples[setting].append(run_setting(name, ranks, threads, args.steps))
        base = samples[names[0]]
        rows = {}
        for setting, times in samples.items():
            speed = statistics.median(b / t for b, t in zip(base, times))
            rows[setting] = {"median_s": statistics.median(times), "speed_vs_1x1": speed}
        results[name] = {"global_batch": WORKLOADS[name][1], **rows}
        print(f"\n{name} (global batch {WORKLOADS[name][1]})")
        for setting, row in rows.items():
            print(f"  {setting:<22} {row['median_s'] * 1e3:8.2f} ms/step  "
                  f"{row['speed_vs_1x1']:.2f}x vs 1 x 1")  # fmt: skip
    print(f"\nload average at end: {common.load_average():.2f}")
    common.save("bench_distributed", {"environment": env, "workloads": results})
    return results


if __name__ == "__main__":
    main()
