"""Candidates in processes of their own: each framework's training step runs in a worker
process, and one driver times them in interleaved rounds.

Why: two frameworks in one process share more than the cores. PyTorch's OpenMP workers
keep spinning after its step, and its thread pools and allocator stay in the process;
measured on the 2-core machine (2026-12-03), abinitio's 2-thread ResNet-8 step took 118 ms
beside PyTorch, 58-62 ms in a process where PyTorch had run and then slept 2 s, and 51 ms
in a process where PyTorch never ran. A user runs one framework per program, and the
issue that set the floors measured "one process per framework, interleaved rounds".

What stays as in the one-process harness (``common.compare_timers``): the rounds alternate
between candidates with a rotating order and a pause before each timed block, and the
ratio is the median of per-round ratios, so a slow drift of the shared machine cancels.
Only one worker computes at a time; the others wait on a pipe.

A worker builds the whole workload with the benchmark's own function (the same seeds, so
the same weights and data as in one process), then runs only its candidate. A worker for
an abinitio or NumPy candidate never imports PyTorch (checked), so nothing of PyTorch's is
in its process. Each worker starts with ``OMP_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS``
set to the setting's thread count and sets them again through threadpoolctl and
``torch.set_num_threads``.

Protocol: one JSON object per line, the driver's requests on the worker's stdin
(``{"repeat": n}``), the replies on a copy of its stdout (``{"seconds": s}``); whatever
the workload prints goes to stderr.

Worker command line (started by :class:`Worker`, not by hand):
``python isolated.py MODULE:FUNCTION CANDIDATE THREADS CLOCK``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TORCH_CANDIDATES = frozenset({"torch", "snntorch"})


class Worker:
    """One candidate of one workload in a process of its own; ``worker(repeat)`` returns the
    seconds per call of ``repeat`` calls of its step, timed inside the worker."""

    def __init__(self, builder: str, candidate: str, threads: int, clock: str = "wall"):
        variables = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        counts = {variable: str(threads) for variable in variables}
        self.name = candidate
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), builder, candidate, str(threads),
             clock],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HERE,
            env={**os.environ, **counts},
        )  # fmt: skip

    def ready(self) -> dict:
        return self._reply()

    def __call__(self, repeat: int) -> float:
        self.process.stdin.write(json.dumps({"repeat": repeat}) + "\n")
        self.process.stdin.flush()
        return self._reply()["seconds"]

    def _reply(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            raise RuntimeError(f"benchmark worker for {self.name!r} exited with code {code} "
                               "(its error is above, on stderr)")  # fmt: skip
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # end of requests: the worker returns
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def workers(builder: str, candidates, threads: int, clock: str = "wall"):
    """A started :class:`Worker` per name in ``candidates`` (in that order), closed on exit."""
    started = {}
    try:
        for name in candidates:  # all start at once; their imports overlap
            started[name] = Worker(builder, name, threads, clock)
        for worker in started.values():
            worker.ready()
        yield started
    finally:
        for worker in started.values():
            worker.close()


def add_isolation_option(parser) -> None:
    """The ``--isolation`` option every benchmark that uses this module takes."""
    parser.add_argument(
        "--isolation", choices=("process", "none"), default="process",
        help="process (default): every candidate in a worker process of its own "
        "(isolated.py); none: all in this process",
    )  # fmt: skip


def build(builder: str, torch):
    """Call the workload function ``builder`` (MODULE:FUNCTION) with ``torch`` (or None):
    its candidates, and the samples per step if it gives them (else None)."""
    module_name, function_name = builder.split(":")
    built = getattr(importlib.import_module(module_name), function_name)(torch)
    return built if isinstance(built, tuple) else (built, None)


def compare_workload(builder: str, torch, threads: int, repeat: int, rounds: int,
                     isolation: str = "process", warmup: int = 2, clock: str = "wall"):  # fmt: skip
    """Time ``builder``'s candidates at ``threads`` threads in interleaved rounds, each in a
    worker process (``isolation="process"``) or all in this one (``"none"``): the stats of
    ``common.compare`` and the samples per step."""
    from common import compare, compare_timers, limit_threads

    if isolation == "process":
        candidates, samples = build(builder, torch)  # for the names; timed elsewhere
        with workers(builder, list(candidates), threads, clock) as timers:
            return compare_timers(timers, repeat, rounds, warmup), samples
    with limit_threads(threads, torch):
        candidates, samples = build(builder, torch)
        return compare(candidates, repeat, rounds, warmup), samples


def _serve(builder: str, candidate: str, threads: int, clock: str) -> None:
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the workload's prints go to stderr, never into the replies
    sys.stdout = sys.stderr
    sys.path.insert(0, str(HERE))
    from common import limit_threads

    torch = None
    if candidate in TORCH_CANDIDATES:
        import torch
    candidates, _ = build(builder, torch)
    if candidate not in candidates:
        raise SystemExit(f"{builder} has no candidate {candidate!r}; it has {sorted(candidates)}")
    if torch is None and "torch" in sys.modules:
        raise SystemExit(f"{builder} imported PyTorch into the process of {candidate!r}")
    step = candidates[candidate]
    clock_fn = time.perf_counter if clock == "wall" else time.process_time
    with limit_threads(threads, torch):
        channel.write(json.dumps({"ready": candidate}) + "\n")
        for line in sys.stdin:
            repeat = json.loads(line)["repeat"]
            start = clock_fn()
            for _ in range(repeat):
                step()
            channel.write(json.dumps({"seconds": (clock_fn() - start) / repeat}) + "\n")


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
