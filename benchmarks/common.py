"""Timing harness shared by the benchmarks: run competitors in turn, repeat, take medians.

The machines this runs on are shared and noisy, so each workload is timed in rounds that
alternate between the frameworks (A, B, A, B, ...) in one process, and the figure quoted is
the median over rounds; the ratio is the median of per-round ratios, which cancels slow
drifts of the machine's speed.

Two more precautions, both measured to matter on a 2-core machine: the order of the
candidates rotates every round, and each timed block starts after a short pause. PyTorch's
OpenMP threads and OpenBLAS's threads keep spinning for a while after their last parallel
region, and whatever ran next on the same cores was measured up to 40% slower.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def time_call(fn, repeat: int) -> float:
    """Seconds per call of ``fn``, averaged over ``repeat`` calls."""
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def compare(
    candidates: dict, repeat: int, rounds: int, warmup: int = 2, pause: float = 0.3
) -> dict:
    """Time every candidate ``rounds`` times, interleaved. The first candidate is the
    baseline: each result has the median seconds per call and ``speed_vs_baseline``, the
    median over rounds of baseline_time / candidate_time (above 1: faster than baseline)."""
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in candidates}
    names = list(candidates)
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            time.sleep(pause)  # let the previous candidate's worker threads go idle
            samples[name].append(time_call(candidates[name], repeat))
    first = next(iter(candidates))
    result = {}
    for name, times in samples.items():
        ratios = [base / t for base, t in zip(samples[first], times)]
        result[name] = {
            "median_s": statistics.median(times),
            "min_s": min(times),
            "baseline": first,
            "speed_vs_baseline": statistics.median(ratios),
        }
    return result


def try_import_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


def save(name: str, payload: dict) -> Path:
    """Write ``results/<name>.json``, keeping the entries of workloads not rerun now."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**previous, "machine": machine(), **payload}, indent=2))
    return path
