"""Soak: train for many steps and watch the resident memory (RSS) stay flat.

    python scripts/soak.py                       # 100,000 MLP steps and 10,000 GPT steps
    python scripts/soak.py --mlp-steps 1000 --gpt-steps 100

A leak in an eager autograd engine shows as RSS that climbs step after step: a graph kept
alive by a reference cycle, a saved array never freed, an optimizer state that grows. The
script samples RSS (from /proc/self/statm) every ``--every`` steps after a warm-up, fits
a line through the samples and reports the growth per 1,000 steps, with Python's garbage
collector left as it is. ``tests/training/test_memory.py`` is the short version in the
suite. Results go to ``scripts/results/soak.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np


def rss_mib() -> float:
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def mlp_step():
    import abinitio as ab
    from abinitio import nn
    from abinitio.models import MLP

    model = MLP(64, (128, 64), 10, dropout=0.1)
    optimizer = ab.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = ab.randn(32, 64)
    y = ab.tensor(np.random.default_rng(0).integers(0, 10, 32))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def gpt_step():
    import abinitio as ab
    from abinitio.models.gpt import GPT
    from abinitio.nn import functional as F

    model = GPT(64, 32, 2, 4, 64, dropout=0.1)
    optimizer = ab.optim.AdamW(model.parameters(), lr=1e-3)
    tokens = ab.tensor(np.random.default_rng(0).integers(0, 64, (8, 33)))
    x, y = tokens[:, :-1], tokens[:, 1:]

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x).reshape(-1, 64), y.reshape(-1))
        loss.backward()
        optimizer.step()

    return step


def soak(name: str, make, steps: int, every: int, warmup: int) -> dict:
    step = make()
    for _ in range(warmup):
        step()
    samples, started = [], time.perf_counter()
    for i in range(steps):
        step()
        if i % every == 0 or i == steps - 1:
            samples.append((i, rss_mib()))
    seconds = time.perf_counter() - started
    x, y = np.array(samples, dtype=float).T
    slope = np.polyfit(x, y, 1)[0] * 1000 if len(samples) > 1 else 0.0
    result = {"steps": steps, "seconds": seconds, "rss_first_mib": y[0], "rss_last_mib": y[-1],
              "rss_max_mib": y.max(), "growth_mib_per_1000_steps": slope}  # fmt: skip
    print(f"{name}: {steps:,} steps in {seconds:.0f} s; RSS {y[0]:.1f} -> {y[-1]:.1f} MiB "
          f"(max {y.max():.1f}); trend {slope:+.4f} MiB per 1,000 steps", flush=True)  # fmt: skip
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mlp-steps", type=int, default=100_000)
    parser.add_argument("--gpt-steps", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "soak.json"))
    args = parser.parse_args(argv)
    results = {
        "mlp": soak("MLP 64-128-64-10 with dropout, batch 32", mlp_step, args.mlp_steps,
                    args.every, args.warmup),  # fmt: skip
        "gpt": soak("GPT 2 blocks of width 64, context 32, batch 8", gpt_step, args.gpt_steps,
                    max(args.every // 10, 1), args.warmup // 10),  # fmt: skip
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
