"""Timing harness shared by the benchmarks: run competitors in turn, repeat, take medians.

The machines this runs on are shared and noisy, so each workload is timed in rounds that
alternate between the frameworks (A, B, A, B, ...), in this process (:func:`compare`) or each
in a worker process of its own (:func:`compare_timers` with ``isolated.workers``), and the
figure quoted is the median over rounds; the ratio is the median of per-round ratios, which cancels slow
drifts of the machine's speed.

Two more precautions, both measured to matter on a 2-core machine: the order of the
candidates rotates every round, and each timed block starts after a short pause. PyTorch's
OpenMP threads and OpenBLAS's threads keep spinning for a while after their last parallel
region, and whatever ran next on the same cores was measured up to 40% slower.
"""

from __future__ import annotations

import contextlib
import functools
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
    timers = {name: functools.partial(_timed, fn) for name, fn in candidates.items()}
    return compare_timers(timers, repeat, rounds, warmup, pause)


def _timed(fn, repeat):
    return time_call(fn, repeat)  # looked up at call time: bench_conv swaps in a CPU clock


def compare_timers(
    timers: dict, repeat: int, rounds: int, warmup: int = 2, pause: float = 0.3
) -> dict:
    """:func:`compare` for candidates given as ``timer(repeat) -> seconds per call``, the
    form a candidate in another process takes (:mod:`isolated`)."""
    for timer in timers.values():
        for _ in range(warmup):
            timer(1)
    samples = {name: [] for name in timers}
    names = list(timers)
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            time.sleep(pause)  # let the previous candidate's worker threads go idle
            samples[name].append(timers[name](repeat))
    first = next(iter(timers))
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


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas() -> str:
    """NumPy's BLAS as threadpoolctl sees it: library, version and the kernel it chose."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    found = [
        f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')} kernels)"
        for p in threadpool_info()
        if p.get("user_api") == "blas" and "numpy" in p.get("filepath", "")
    ]
    return "; ".join(found) or "none found"


def environment(torch=None) -> dict:
    """What the numbers were measured on: CPU, cores, BLAS kernel, library versions."""
    import numpy

    import abinitio

    env = {**machine(), "cpu": cpu_name(), "blas": blas(), "numpy": numpy.__version__,
           "abinitio": abinitio.__version__, "torch": "not installed"}  # fmt: skip
    if torch is not None:
        capability = torch.backends.cpu.get_cpu_capability()
        onednn = "oneDNN" if torch.backends.mkldnn.is_available() else "no oneDNN"
        env["torch"] = f"{torch.__version__} ({capability}, {onednn})"
    return env


def load_average() -> float:
    """The 1-minute load average (the machine is shared: read the ratios beside it)."""
    return os.getloadavg()[0]


@contextlib.contextmanager
def limit_threads(threads: int, torch=None):
    """Both frameworks on ``threads`` threads: PyTorch's intra-op pool, NumPy's BLAS
    (threadpoolctl) and abinitio's elementwise pool."""
    from threadpoolctl import threadpool_limits

    from abinitio import threads as abinitio_threads

    previous = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(threads)
    previous_ours = abinitio_threads._settings["threads"]
    abinitio_threads._settings["threads"] = threads  # ops.parallel's count; BLAS's is below
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        abinitio_threads._settings["threads"] = previous_ours
        if torch is not None:
            torch.set_num_threads(previous)


def save(name: str, payload: dict) -> Path:
    """Write ``results/<name>.json``, keeping the entries of workloads not rerun now."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**previous, "machine": machine(), **payload}, indent=2))
    return path
