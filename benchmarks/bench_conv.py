"""Convolution networks, short: a ResNet-8 step, a LeNet-5 step and the tutorial CSNN step,
abinitio against PyTorch (snnTorch for the CSNN), interleaved rounds, medians, at 1 and
then 2 threads; each candidate in a worker process of its own (``isolated.py``;
``--isolation none`` puts all in this process).

The workloads are the ones of bench_train.py (``resnet8``, ``lenet``) and bench_snn.py
(``csnn``), built by the same functions; this script only runs fewer rounds, so that a
change to a convolution kernel can be checked in a minute instead of bench_train's four.
Ratios above 1 mean abinitio is faster.

``--clock cpu`` times the process's CPU time instead of wall time: on a machine shared
with other jobs (load average far above the core count) wall times there measure the
scheduler, while CPU time at one thread still measures the work. At two threads it
counts both threads' work, so it is no measure of throughput there.

Run: ``python benchmarks/bench_conv.py [--workload resnet8] [--threads 1 2] [--rounds 5]
[--clock cpu]``.
"""

from __future__ import annotations

import argparse
import time

from isolated import add_isolation_option, compare_workload

import common
from common import load_average, try_import_torch

WORKLOADS = {  # name: (builder in MODULE:FUNCTION form, calls per timed block)
    "resnet8": ("bench_train:resnet8", 3),
    "lenet": ("bench_train:lenet", 3),
    "csnn": ("bench_snn:csnn", 1),
}


def cpu_time_call(fn, repeat: int) -> float:
    """CPU seconds of this process per call of ``fn``, averaged over ``repeat`` calls."""
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - start) / repeat


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    add_isolation_option(parser)
    args = parser.parse_args(argv)
    if args.clock == "cpu":
        common.time_call = cpu_time_call  # what compare() times each block with
    torch = try_import_torch()
    results = {}
    for threads in args.threads:
        for name in args.workload or list(WORKLOADS):
            builder, repeat = WORKLOADS[name]
            stats, _ = compare_workload(builder, torch, threads, repeat, args.rounds,
                                        args.isolation, warmup=1, clock=args.clock)  # fmt: skip
            results[f"{name}_{threads}"] = stats
            line = ", ".join(
                f"{k} {v['median_s'] * 1e3:.1f} ms {v['speed_vs_baseline']:.2f}x"
                for k, v in stats.items()
            )
            load = load_average()
            print(f"{name:8s} {threads} thread(s), {args.clock}: {line}  (load {load:.2f})")
    return results


if __name__ == "__main__":
    main()
