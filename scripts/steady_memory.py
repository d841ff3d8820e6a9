"""Does a long training loop hold steady memory? RSS over N steps of each workload.

    nice -n 10 env OPENBLAS_NUM_THREADS=1 python scripts/steady_memory.py \
        [--steps 10000] [--every 1000] [--warmup 200] [--workloads mlp,gpt,...] [--small]

Each workload is benchmarks/bench_train.py's abinitio training step (forward, loss,
backward, optimiser step), run ``--steps`` times in this process, one workload after
another. The resident set size (RSS, from /proc/self/statm) is read after the warm-up
and every ``--every`` steps; the report gives, per workload, the RSS after warm-up, the
largest RSS after it and the growth between them. A loop that leaks (keeps a graph, a
list of losses, a cache keyed by step) grows without bound; a steady one settles after
the warm-up (the allocator's pools, caches of im2col indices, the optimiser's state).
``--small`` runs small versions of the workloads (the suite's test uses them).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import abinitio as ab  # noqa: E402
import abinitio.optim  # noqa: E402, F401

WORKLOADS = ("mlp", "lenet", "resnet8", "gpt", "transformer", "gru", "overhead")


def rss_bytes() -> int:
    """This process's resident set size now (Linux /proc; else the peak from resource)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(step, steps: int, every: int, warmup: int) -> dict:
    """Run ``step()`` ``warmup`` times, then ``steps`` times reading RSS every ``every``;
    returns the samples ``[(step, bytes)]``, the RSS after warm-up, the largest after it
    and the growth (largest minus after warm-up), in bytes."""
    for _ in range(warmup):
        step()
    start = rss_bytes()
    samples = [(0, start)]
    began = time.perf_counter()
    for i in range(1, steps + 1):
        step()
        if i % every == 0 or i == steps:
            samples.append((i, rss_bytes()))
    peak = max(rss for _, rss in samples)
    return {"samples": samples, "after_warmup": start, "peak": peak,
            "growth": peak - start, "seconds": time.perf_counter() - began}  # fmt: skip


def workload_step(name: str):
    """bench_train's abinitio training step for workload ``name``."""
    import bench_train

    candidates, _ = bench_train.WORKLOADS[name](None)
    return candidates["abinitio"]


def small_step(name: str):
    """A small version of workload ``name``: the same kinds of layers and optimiser,
    a few milliseconds a step."""
    import bench_train

    rng = np.random.default_rng(0)
    nn = ab.nn
    ab.manual_seed(0)
    if name == "mlp":
        model = bench_train._mlp(nn, (64, 32, 16, 10))
        data = [(rng.standard_normal((32, 64)), rng.integers(0, 10, 32)) for _ in range(4)]
        return _classifier_step(model, ab.optim.SGD(model.parameters(), 0.01, 0.9), data)
    if name == "lenet":
        model = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 8 * 8, 10),
        )  # fmt: skip
        data = [(rng.standard_normal((8, 1, 16, 16)), rng.integers(0, 10, 8)) for _ in range(4)]
        return _classifier_step(model, ab.optim.SGD(model.parameters(), 0.01, 0.9), data)
    if name == "gru":
        xs, ys = bench_train._batches(4, 8, (10, 1), 4)
        rnn, head = nn.GRU(1, 16, batch_first=True), nn.Linear(16, 4)
        return bench_train._gru_step(ab, rnn, head, xs, ys)
    if name == "transformer":
        model = bench_train._plain_transformer(ab, vocab=16, context=8, width=16, heads=2)
        tokens = [rng.integers(0, 16, size=(4, 9)) for _ in range(4)]
        return bench_train._gpt_step(ab, model, ab.optim.AdamW, tokens)
    raise ValueError(f"small_step: no small version of {name!r}; expected one of "
                     "mlp, lenet, gru, transformer")  # fmt: skip


def _classifier_step(model, optimizer, data):
    import bench_train

    batches = [x.astype(np.float32) for x, _ in data], [y for _, y in data]
    return bench_train.classifier_step(ab, model, optimizer, batches)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--small", action="store_true", help="small versions of the workloads")
    parser.add_argument("--json", type=Path, help="write the results there too")
    args = parser.parse_args(argv)
    names = [n for n in args.workloads.split(",") if n]
    results = {}
    print(f"{args.steps} steps after {args.warmup} of warm-up; load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    for name in names:
        step = small_step(name) if args.small else workload_step(name)
        r = results[name] = measure(step, args.steps, args.every, args.warmup)
        trace = " ".join(f"{rss / 2**20:.1f}" for _, rss in r["samples"])
        print(f"{name:12s} RSS after warm-up {r['after_warmup'] / 2**20:8.1f} MiB, peak "
              f"{r['peak'] / 2**20:8.1f} MiB, growth {r['growth'] / 2**20:6.2f} MiB "
              f"({r['seconds']:.0f} s); MiB every {args.every} steps: {trace}")  # fmt: skip
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    if args.json:
        tmp = args.json.with_suffix(".tmp")
        tmp.write_text(json.dumps(results, indent=2))
        tmp.replace(args.json)
    return results


if __name__ == "__main__":
    main()
