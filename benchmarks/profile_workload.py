"""Profile abinitio's side of a bench_train workload: where does a training step go?

Run: ``python benchmarks/profile_workload.py resnet8 [--steps 10] [--rows 25]`` (any
workload of bench_train.py). Prints ``abinitio.profiler``'s table, sorted by self time.
"""

from __future__ import annotations

import argparse

from bench_train import WORKLOADS

from abinitio.profiler import profile


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rows", type=int, default=25)
    parser.add_argument("--sort-by", default="self_cpu_time_total")
    args = parser.parse_args(argv)
    candidates, _ = WORKLOADS[args.workload](None)
    step = candidates["abinitio"]
    step()  # warm up: caches, first allocations
    with profile() as prof:
        for _ in range(args.steps):
            step()
    print(prof.key_averages().table(sort_by=args.sort_by, row_limit=args.rows))


if __name__ == "__main__":
    main()
