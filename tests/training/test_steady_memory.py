"""A training loop holds steady memory: RSS after warm-up stays flat over a few hundred
steps of small versions of the benchmark workloads (scripts/steady_memory.py runs the full
ones for 10,000 steps). The same check catches a loop that keeps something every step."""

import importlib.util
from pathlib import Path

import pytest

import abinitio as ab

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "steady_memory.py"
spec = importlib.util.spec_from_file_location("steady_memory", SCRIPT)
steady_memory = importlib.util.module_from_spec(spec)
spec.loader.exec_module(steady_memory)

STEPS, WARMUP = 300, 60
BOUND = 1 * 2**20  # bytes of RSS growth allowed after warm-up (a leak of 16 KiB a step: 4.7 MiB)


@pytest.mark.parametrize("name", ["mlp", "lenet", "gru", "transformer"])
def test_rss_is_steady_after_warm_up(name):
    result = steady_memory.measure(steady_memory.small_step(name), STEPS, 50, WARMUP)
    trace = [round(rss / 2**20, 2) for _, rss in result["samples"]]
    assert result["growth"] < BOUND, f"{name}: RSS grew {result['growth']} bytes: {trace} MiB"


def test_a_leaking_loop_is_caught():
    step, kept = steady_memory.small_step("mlp"), []

    def leaking_step():
        step()
        kept.append(ab.randn(64, 64))  # 16 KiB kept every step

    result = steady_memory.measure(leaking_step, STEPS, 50, WARMUP)
    assert result["growth"] > BOUND
