"""A training loop holds steady memory: RSS after warm-up stays flat over a few hundred
steps of small versions of the benchmark workloads (scripts/steady_memory.py runs the full
ones for 10,000 steps). The same check catches a loop that keeps something every step.

Each measurement runs in a fresh process: inside the suite's process the allocator keeps
the pages earlier tests freed (``backend.keep_freed_memory``), so a leak is served from
memory already resident and RSS does not move, and the check could not fail."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "steady_memory.py"
STEPS, EVERY, WARMUP = 300, 50, 60
BOUND = 1 * 2**20  # bytes of RSS growth allowed after warm-up (a leak of 16 KiB a step: 4.7 MiB)

MEASURE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("steady_memory", sys.argv[1])
steady_memory = importlib.util.module_from_spec(spec)
spec.loader.exec_module(steady_memory)
import abinitio as ab
step, kept = steady_memory.small_step(sys.argv[2]), []
if sys.argv[3] == "leak":
    inner = step
    def step():
        inner()
        kept.append(ab.randn(64, 64))  # 16 KiB kept every step
steps, every, warmup = map(int, sys.argv[4:7])
print(json.dumps(steady_memory.measure(step, steps, every, warmup)))
"""


def measure(name: str, leak: bool = False) -> dict:
    argv = [sys.executable, "-c", MEASURE, str(SCRIPT), name, "leak" if leak else "steady",
            str(STEPS), str(EVERY), str(WARMUP)]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300,
                            env={"OPENBLAS_NUM_THREADS": "1", **os.environ})  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["mlp", "lenet", "gru", "transformer"])
def test_rss_is_steady_after_warm_up(name):
    result = measure(name)
    trace = [round(rss / 2**20, 2) for _, rss in result["samples"]]
    assert result["growth"] < BOUND, f"{name}: RSS grew {result['growth']} bytes: {trace} MiB"


def test_a_leaking_loop_is_caught():
    result = measure("mlp", leak=True)
    assert result["growth"] > BOUND, result
