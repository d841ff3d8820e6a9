"""Engine overhead: how much does abinitio add on top of the arithmetic itself?

Workloads:
* ``elementwise_chain``: 200 elementwise ops on (8, 8) tensors, forward + backward. The
  arrays are tiny, so this measures the per-op cost of the framework (graph recording,
  Python calls, the backward walk), reported in microseconds per op against PyTorch eager.
* ``matmul_1024``: one (1024, 1024) @ (1024, 1024) float32 product, against bare NumPy:
  large work must go straight to BLAS with no extra copies.

Run: ``python benchmarks/bench_ops.py`` (PyTorch optional; add --quick for a short run).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import abinitio as ab
from common import compare, save, try_import_torch

CHAIN_OPS = 200


def elementwise_chain(x):
    """50 rounds of four ops (mul, add, tanh, sub) = 200 ops, then a sum."""
    y = x
    for _ in range(CHAIN_OPS // 4):
        y = y * 1.01
        y = y + 0.1
        y = y.tanh()
        y = y - x
    return y.sum()


def bench_elementwise(torch, rounds: int) -> dict:
    a = np.random.default_rng(0).standard_normal((8, 8)).astype(np.float32)
    x_ab = ab.tensor(a, requires_grad=True)
    candidates = {}
    if torch is not None:
        x_t = torch.tensor(a, requires_grad=True)
        candidates["torch"] = lambda: elementwise_chain(x_t).backward()
    candidates["abinitio"] = lambda: elementwise_chain(x_ab).backward()
    result = compare(candidates, repeat=20, rounds=rounds)
    for stats in result.values():
        stats["us_per_op"] = stats["median_s"] / (CHAIN_OPS + 1) * 1e6
    return result


def bench_matmul(rounds: int) -> dict:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 1024)).astype(np.float32)
    b = rng.standard_normal((1024, 1024)).astype(np.float32)
    ta, tb = ab.tensor(a), ab.tensor(b)
    wa = ab.tensor(a, requires_grad=True)
    candidates = {
        "numpy": lambda: a @ b,
        "abinitio": lambda: ta @ tb,
        "abinitio_recording": lambda: wa @ tb,
    }
    return compare(candidates, repeat=3, rounds=rounds)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else 15
    torch = try_import_torch()
    if torch is not None:
        torch.set_num_threads(os.cpu_count() or 1)  # the cores NumPy's BLAS uses
    chain = bench_elementwise(torch, rounds)
    matmul = bench_matmul(rounds)
    print(f"elementwise chain, {CHAIN_OPS} ops on (8, 8), forward + backward (median):")
    for name, stats in chain.items():
        print(f"  {name:10s} {stats['us_per_op']:6.2f} us/op")
    if "torch" in chain:
        print(f"  abinitio runs at {chain['abinitio']['speed_vs_baseline']:.2f}x PyTorch's speed")
    print("matmul 1024x1024 float32 (median):")
    for name, stats in matmul.items():
        ms = stats["median_s"] * 1e3
        print(f"  {name:19s} {ms:7.2f} ms  ({stats['speed_vs_baseline']:.2f}x NumPy's speed)")
    path = save("bench_ops", {"elementwise_chain": chain, "matmul_1024": matmul})
    print(f"results written to {path}")
    return {"elementwise_chain": chain, "matmul_1024": matmul}


if __name__ == "__main__":
    sys.exit(main() and 0)
